package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// bucketOpenLoad counts, per decider, the open decisions assigned to them:
// user → uint64. Routing reads it for every proposal (least_loaded), so it is
// kept up to date by reindex rather than counted from the decider index,
// which grew with every open decision. It is created, and filled from the
// decider index, at the first open by a build that knows it.
const bucketOpenLoad = "open_load"

// openDecider reads the user of an idx_decider key with status open.
func openDecider(key string) (string, bool) {
	user, rest, ok := bytes.Cut([]byte(key), []byte{sep})
	if !ok {
		return "", false
	}
	st, _, ok := bytes.Cut(rest, []byte{sep})
	return string(user), ok && string(st) == string(decisions.StatusOpen)
}

// loadDeltas turns the decider index changes of a reindex into changes of
// open counts.
func loadDeltas(deltas map[string]int, e entry, by int) {
	if e.bucket != idxDecider {
		return
	}
	if user, open := openDecider(e.key); open {
		deltas[user] += by
	}
}

// applyLoad writes load changes.
func applyLoad(tx *bolt.Tx, deltas map[string]int) error {
	b := tx.Bucket([]byte(bucketOpenLoad))
	if b == nil || len(deltas) == 0 {
		return nil
	}
	for _, user := range slices.Sorted(maps.Keys(deltas)) {
		d := deltas[user]
		if d == 0 {
			continue
		}
		n := int64(0)
		if v := b.Get([]byte(user)); len(v) == 8 {
			n = int64(binary.BigEndian.Uint64(v))
		}
		n += int64(d)
		var err error
		if n <= 0 {
			err = b.Delete([]byte(user))
		} else {
			err = b.Put([]byte(user), u64(uint64(n)))
		}
		if err != nil {
			return fmt.Errorf("open load of %s: %w", user, err)
		}
	}
	return nil
}

// countOpenLoad counts open decisions per decider from the decider index,
// seeking from one user to the next.
func countOpenLoad(tx *bolt.Tx) (map[string]int, error) {
	load := map[string]int{}
	c := tx.Bucket([]byte(idxDecider)).Cursor()
	k, _ := c.First()
	for k != nil {
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			return nil, fmt.Errorf("malformed decider index key %q", k)
		}
		user := string(k[:i])
		p := prefix(user, string(decisions.StatusOpen))
		n := 0
		for k, _ = c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
			n++
		}
		if n > 0 {
			load[user] = n
		}
		// user followed by sep+1 sorts after all of user's keys and
		// before the next user's.
		k, _ = c.Seek(append([]byte(user), sep+1))
	}
	return load, nil
}

// indexOpenLoad creates and fills open_load when the file predates it. It
// runs at open, in the schema transaction.
func indexOpenLoad(tx *bolt.Tx) error {
	if tx.Bucket([]byte(bucketOpenLoad)) != nil {
		return nil
	}
	b, err := tx.CreateBucket([]byte(bucketOpenLoad))
	if err != nil {
		return err
	}
	load, err := countOpenLoad(tx)
	if err != nil {
		return err
	}
	for user, n := range load {
		if err := b.Put([]byte(user), u64(uint64(n))); err != nil {
			return err
		}
	}
	return nil
}

// OpenLoad counts open decisions per decider. Users with none are absent.
// It reads one small bucket; a read-only file from before it existed is
// counted from the decider index.
func (s *Store) OpenLoad() (map[string]int, error) {
	load := map[string]int{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketOpenLoad))
		if b == nil {
			var err error
			load, err = countOpenLoad(tx)
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("malformed open load of %s", k)
			}
			load[string(k)] = int(binary.BigEndian.Uint64(v))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("open load: %w", err)
	}
	return load, nil
}

// checkWriterIndexes checks what the write path keeps besides the decision
// indexes: the open counts against the decider index, and the outbox's
// sequence index against the outbox.
func checkWriterIndexes(tx *bolt.Tx, report func(error) bool) {
	if b := tx.Bucket([]byte(bucketOpenLoad)); b != nil {
		want, err := countOpenLoad(tx)
		if err != nil {
			report(err)
			return
		}
		err = b.ForEach(func(k, v []byte) error {
			n := -1 // a value that is not a count
			if len(v) == 8 {
				n = int(binary.BigEndian.Uint64(v))
			}
			if n != want[string(k)] && !report(fmt.Errorf("%s: %s counts %d open decisions, the decider index %d", bucketOpenLoad, k, n, want[string(k)])) {
				return errCheckStop
			}
			delete(want, string(k))
			return nil
		})
		if err != nil {
			return
		}
		for user, n := range want {
			if !report(fmt.Errorf("%s: %s missing, the decider index has %d open", bucketOpenLoad, user, n)) {
				return
			}
		}
	}
	checkOutboxIdx(tx, bucketOutboxSeq, func(it *OutboxItem) []byte { return u64(it.Seq) }, report)
}
