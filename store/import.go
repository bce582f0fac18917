package store

import (
	"fmt"
	"slices"
	"strings"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// Import stores decisions under the ids they already have, for moving a
// register between stores (baton store copy): a decision's id is in Slack
// messages, links and people's memory, so it must not change. An id
// already taken is an error and nothing is written.
func (s *Store) Import(ds []decisions.Decision) error {
	maxID := uint64(0)
	for i := range ds {
		if err := validate(&ds[i]); err != nil {
			return fmt.Errorf("import: decision %s: %w", ds[i].ID, err)
		}
		if ds[i].ID == 0 {
			return fmt.Errorf("import: decision %d of %d has no id", i+1, len(ds))
		}
		maxID = max(maxID, uint64(ds[i].ID))
	}
	// Ids handed out from now on come after the imported ones.
	s.ids.mu.Lock()
	s.ids.next = max(s.ids.next, maxID)
	s.ids.mu.Unlock()
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketDecisions))
		var entries []entry
		for i := range ds {
			if b.Get(idKey(ds[i].ID)) != nil {
				return Refuse(fmt.Errorf("import: decision %s: the id is taken", ds[i].ID))
			}
			if err := putDecision(b, &ds[i]); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			entries = append(entries, indexEntries(&ds[i])...)
		}
		// In key order, as PutBulk does, so bbolt's inserts stay cheap.
		slices.SortFunc(entries, func(a, b entry) int {
			if c := strings.Compare(a.bucket, b.bucket); c != 0 {
				return c
			}
			return strings.Compare(a.key, b.key)
		})
		if err := reindex(tx, nil, entries); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if err := b.SetSequence(max(maxID, b.Sequence())); err != nil {
			return fmt.Errorf("import: set sequence: %w", err)
		}
		return addCount(tx, int64(len(ds)))
	})
}
