package store

import (
	"encoding/json"
	"fmt"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// View reads inside a write transaction: what a callback of
// UpdateDecisionIn sees is the state its write commits on, and reading it
// opens no second transaction. It is valid only during the callback.
type View struct {
	tx *bolt.Tx
	r  ViewReader // set by other backends (see NewView)
}

// Ref is where the message stored under key lives.
func (v View) Ref(key string) (decisions.MessageRef, bool, error) {
	if v.r != nil {
		return v.r.Ref(key)
	}
	var ref decisions.MessageRef
	b := v.tx.Bucket([]byte(bucketRefs)).Get([]byte(key))
	if b == nil {
		return ref, false, nil
	}
	if err := json.Unmarshal(b, &ref); err != nil {
		return ref, false, fmt.Errorf("ref %s: %w", key, err)
	}
	return ref, true, nil
}

// RefsWithPrefix returns every ref whose key starts with p.
func (v View) RefsWithPrefix(p string) (map[string]decisions.MessageRef, error) {
	if v.r != nil {
		return v.r.RefsWithPrefix(p)
	}
	refs := map[string]decisions.MessageRef{}
	var err error
	scanPrefix(v.tx.Bucket([]byte(bucketRefs)), []byte(p), false, func(k, b []byte) bool {
		var ref decisions.MessageRef
		if err = json.Unmarshal(b, &ref); err != nil {
			return false
		}
		refs[string(k)] = ref
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("refs with prefix %q: %w", p, err)
	}
	return refs, nil
}

// OutboxPending reports whether key is waiting in the outbox.
func (v View) OutboxPending(key string) (bool, error) {
	if v.r != nil {
		return v.r.OutboxPending(key)
	}
	return v.tx.Bucket([]byte(bucketOutbox)).Get([]byte(key)) != nil, nil
}

// UpdateDecisionIn is UpdateDecision whose fn also gets a View of the
// transaction, for the reads its messages depend on.
func (s *Store) UpdateDecisionIn(id decisions.ID, fn func(v View, d decisions.Decision) (decisions.Decision, []OutboxItem, error)) (decisions.Decision, error) {
	return s.updateDecision(id, fn)
}
