package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// CreateDecision stores d as a new decision, under d.ID if that id came from
// ReserveID, else under the next id. In one transaction it writes and
// indexes the decision, calls build with the id set, and enqueues the outbox
// items build returns. If build fails, nothing is stored (the id is handed
// back) and its error is returned as is. build may be nil; it should only
// return items rendered beforehand, since it runs inside the single writer.
func (s *Store) CreateDecision(d decisions.Decision, build func(d decisions.Decision) ([]OutboxItem, error)) (decisions.Decision, error) {
	return s.createDecision("", time.Time{}, d, build)
}

// ErrDuplicateEvent is returned by CreateDecisionForEvent when the Slack
// event was already handled: nothing was written.
var ErrDuplicateEvent = errors.New("event already handled")

// CreateDecisionForEvent is CreateDecision for a proposal made by a Slack
// event: the event id is recorded as seen in the same transaction, so a
// crash can neither lose the proposal nor let Slack's retry create a
// second one.
func (s *Store) CreateDecisionForEvent(eventID string, seenAt time.Time, d decisions.Decision, build func(d decisions.Decision) ([]OutboxItem, error)) (decisions.Decision, error) {
	if eventID == "" {
		return decisions.Decision{}, fmt.Errorf("create decision: empty event id")
	}
	return s.createDecision(eventID, seenAt, d, build)
}

func (s *Store) createDecision(eventID string, seenAt time.Time, d decisions.Decision, build func(d decisions.Decision) ([]OutboxItem, error)) (decisions.Decision, error) {
	if err := validate(&d); err != nil {
		return decisions.Decision{}, fmt.Errorf("create decision: %w", err)
	}
	if d.ID == 0 || !s.ids.IsReserved(uint64(d.ID)) {
		id, release := s.ReserveID()
		defer release()
		d.ID = id
	}
	// Encoded and indexed before the transaction: the single writer only
	// copies bytes.
	value, err := json.Marshal(&d)
	if err != nil {
		return decisions.Decision{}, fmt.Errorf("encode decision %s: %w", d.ID, err)
	}
	entries := indexEntries(&d)
	err = s.update(func(tx *bolt.Tx) error {
		if eventID != "" {
			first, err := markEvent(tx, eventID, seenAt)
			if err != nil {
				return fmt.Errorf("create decision: mark event %s: %w", eventID, err)
			}
			if !first {
				return Refuse(ErrDuplicateEvent)
			}
		}
		b := tx.Bucket([]byte(bucketDecisions))
		if b.Get(idKey(d.ID)) != nil {
			return fmt.Errorf("create decision %s: the id is taken", d.ID)
		}
		if err := b.Put(idKey(d.ID), value); err != nil {
			return fmt.Errorf("create decision %s: %w", d.ID, err)
		}
		if uint64(d.ID) > b.Sequence() {
			if err := b.SetSequence(uint64(d.ID)); err != nil {
				return fmt.Errorf("create decision %s: %w", d.ID, err)
			}
		}
		if err := reindex(tx, nil, entries); err != nil {
			return fmt.Errorf("create decision %s: %w", d.ID, err)
		}
		if err := addCount(tx, 1); err != nil {
			return fmt.Errorf("create decision %s: %w", d.ID, err)
		}
		if build == nil {
			return nil
		}
		items, err := build(d)
		if err != nil {
			return err
		}
		if err := enqueue(tx, s.now(), items); err != nil {
			return fmt.Errorf("create decision %s: %w", d.ID, err)
		}
		return nil
	})
	if err != nil {
		return decisions.Decision{}, err
	}
	s.ids.Stored(uint64(d.ID))
	return d, nil
}

// Decision loads one decision. A missing one gives an error wrapping
// ErrNotFound.
func (s *Store) Decision(id decisions.ID) (decisions.Decision, error) {
	var d decisions.Decision
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		d, err = getDecision(tx.Bucket([]byte(bucketDecisions)), id)
		return err
	})
	return d, err
}

// UpdateDecision reads decision id, passes it to fn, and stores what fn
// returns, reindexed, with fn's outbox items enqueued, all in one
// transaction. If fn fails, nothing changes and fn's error is returned as is,
// so errors.Is and errors.As see it. The id cannot be changed by fn.
func (s *Store) UpdateDecision(id decisions.ID, fn func(d decisions.Decision) (decisions.Decision, []OutboxItem, error)) (decisions.Decision, error) {
	return s.updateDecision(id, func(_ View, d decisions.Decision) (decisions.Decision, []OutboxItem, error) { return fn(d) })
}

func (s *Store) updateDecision(id decisions.ID, fn func(v View, d decisions.Decision) (decisions.Decision, []OutboxItem, error)) (decisions.Decision, error) {
	var out decisions.Decision
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketDecisions))
		old, err := getDecision(b, id)
		if err != nil {
			return Refuse(err)
		}
		// Computed before fn runs: fn may modify the slices it is handed.
		oldEntries := indexEntries(&old)
		nd, items, err := fn(View{tx: tx}, old)
		if err != nil {
			return Refuse(err)
		}
		nd.ID = id
		if err := validate(&nd); err != nil {
			return Refuse(fmt.Errorf("update decision %s: %w", id, err))
		}
		if err := putDecision(b, &nd); err != nil {
			return fmt.Errorf("update decision %s: %w", id, err)
		}
		if err := reindex(tx, oldEntries, indexEntries(&nd)); err != nil {
			return fmt.Errorf("update decision %s: %w", id, err)
		}
		if err := enqueue(tx, s.now(), items); err != nil {
			return fmt.Errorf("update decision %s: %w", id, err)
		}
		out = nd
		return nil
	})
	if err != nil {
		return decisions.Decision{}, err
	}
	return out, nil
}

// PeekNextID is the id the next CreateDecision would get, for previews. It
// is not reserved.
func (s *Store) PeekNextID() (decisions.ID, error) {
	if v, ok := s.ids.PeekFree(); ok {
		return decisions.ID(v), nil
	}
	s.ids.mu.Lock()
	defer s.ids.mu.Unlock()
	return decisions.ID(s.ids.next + 1), nil
}

// PutBulk stores many new decisions in one transaction, for seeding, imports
// and benchmarks. Ids are assigned in order and written back into ds. Pass
// chunks (say 50,000) rather than millions at once: the whole transaction is
// held in memory until it commits.
func (s *Store) PutBulk(ds []decisions.Decision) error {
	for i := range ds {
		if err := validate(&ds[i]); err != nil {
			return fmt.Errorf("bulk put: decision %d of %d: %w", i+1, len(ds), err)
		}
	}
	assigned := make([]decisions.ID, len(ds))
	first := s.reserveRange(len(ds))
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketDecisions))
		// Ids only grow, so pages can be packed full.
		b.FillPercent = 0.95
		tx.Bucket([]byte(idxCreated)).FillPercent = 0.95
		next := first - 1
		var entries []entry
		for i := range ds {
			d := ds[i]
			next++
			d.ID = decisions.ID(next)
			if err := putDecision(b, &d); err != nil {
				return fmt.Errorf("bulk put: %w", err)
			}
			entries = append(entries, indexEntries(&d)...)
			assigned[i] = d.ID
		}
		// bbolt splits nodes only at commit, so keys inserted out of order
		// into one growing node cost a memmove each: quadratic. In key order
		// every insert lands right after the previous one.
		slices.SortFunc(entries, func(a, b entry) int {
			if c := strings.Compare(a.bucket, b.bucket); c != 0 {
				return c
			}
			return strings.Compare(a.key, b.key)
		})
		if err := reindex(tx, nil, entries); err != nil {
			return fmt.Errorf("bulk put: %w", err)
		}
		if err := b.SetSequence(max(next, b.Sequence())); err != nil {
			return fmt.Errorf("bulk put: set sequence: %w", err)
		}
		return addCount(tx, int64(len(ds)))
	})
	if err != nil {
		return err
	}
	for i := range ds {
		ds[i].ID = assigned[i]
	}
	return nil
}
