package store

// Reading decisions: the indexed lists, Each, Count and the query helpers
// behind them.

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// ByStatus lists decisions with status st, newest first. limit <= 0 means all.
func (s *Store) ByStatus(st decisions.Status, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return newest(tx.Bucket([]byte(idxStatus)), prefix(string(st)), limit)
	})
}

// ByDecider lists decisions assigned to user with status st ("" means any
// status), newest first. limit <= 0 means all.
func (s *Store) ByDecider(user string, st decisions.Status, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		b := tx.Bucket([]byte(idxDecider))
		if st != "" {
			return newest(b, prefix(user, string(st)), limit)
		}
		// One range per status; merge them by id.
		return newestOf(collect(b, prefix(user)), limit)
	})
}

// ByProposer lists decisions proposed by user, newest first. limit <= 0
// means all.
func (s *Store) ByProposer(user string, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return newest(tx.Bucket([]byte(idxProposer)), prefix(user), limit)
	})
}

// Newest lists decisions of any status, newest first. limit <= 0 means all.
func (s *Store) Newest(limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return newest(tx.Bucket([]byte(bucketDecisions)), nil, limit)
	})
}

// ByDomain lists decisions in exactly domain, newest first. limit <= 0 means
// all.
func (s *Store) ByDomain(domain string, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return newest(tx.Bucket([]byte(idxDomain)), prefix(domain), limit)
	})
}

// ByDomainTree lists decisions in domain and its children ("product" gives
// product and product/pricing, not productivity), newest first. An empty
// domain means every domain. limit <= 0 means all.
func (s *Store) ByDomainTree(domain string, limit int) ([]decisions.Decision, error) {
	domain = strings.TrimSuffix(domain, "/")
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		b := tx.Bucket([]byte(idxDomain))
		if domain == "" {
			return newestOf(collect(b, nil), limit)
		}
		ids := collect(b, prefix(domain))
		ids = append(ids, collect(b, []byte(domain+"/"))...)
		return newestOf(ids, limit)
	})
}

// DueBetween lists open decisions due in [from, to), earliest due first.
func (s *Store) DueBetween(from, to time.Time) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRange(tx.Bucket([]byte(idxDue)), from, to, false)
	})
}

// DeferredUntilBefore lists deferred decisions whose DeferredUntil is at or
// before t, earliest first: the ones to reopen.
func (s *Store) DeferredUntilBefore(t time.Time) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRange(tx.Bucket([]byte(idxDeferred)), time.Time{}, t, true)
	})
}

// DecidedBetween lists closed decisions (approved, rejected, withdrawn) with
// DecidedAt in [from, to), in order of DecidedAt.
func (s *Store) DecidedBetween(from, to time.Time) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRange(tx.Bucket([]byte(idxDecided)), from, to, false)
	})
}

// CreatedBetween lists decisions with CreatedAt in [from, to), in order of
// CreatedAt.
func (s *Store) CreatedBetween(from, to time.Time) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRange(tx.Bucket([]byte(idxCreated)), from, to, false)
	})
}

// eachBatch bounds how many decisions Each reads per transaction, so a long
// export neither holds a read transaction open nor blocks fn from writing.
const eachBatch = 1000

// Each calls fn for every decision in id order, stopping at fn's first error,
// which it returns. Decisions are read in batches, each a consistent
// snapshot; for one snapshot of everything use Backup.
func (s *Store) Each(fn func(decisions.Decision) error) error {
	after := uint64(0)
	for {
		batch := make([]decisions.Decision, 0, eachBatch)
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte(bucketDecisions)).Cursor()
			for k, v := c.Seek(u64(after + 1)); k != nil && len(batch) < eachBatch; k, v = c.Next() {
				var d decisions.Decision
				if err := json.Unmarshal(v, &d); err != nil {
					return fmt.Errorf("decode decision %d: %w", binary.BigEndian.Uint64(k), err)
				}
				batch = append(batch, d)
			}
			trim(tx)
			return nil
		})
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, d := range batch {
			if err := fn(d); err != nil {
				return err
			}
		}
		after = uint64(batch[len(batch)-1].ID)
	}
}

// Count is the number of decisions stored.
func (s *Store) Count() (int, error) {
	var n uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		n = count(tx)
		return nil
	})
	return int(n), err
}

func count(tx *bolt.Tx) uint64 {
	if v := tx.Bucket([]byte(bucketMeta)).Get(metaDecisionCount); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func addCount(tx *bolt.Tx, delta int64) error {
	n := int64(count(tx)) + delta
	if err := tx.Bucket([]byte(bucketMeta)).Put(metaDecisionCount, u64(uint64(n))); err != nil {
		return fmt.Errorf("update decision count: %w", err)
	}
	return nil
}

// trimAfter is how many decisions one read loads before it gives the
// pages it mapped back (see trim).
const trimAfter = 500

// query loads, in one read transaction, the decisions whose ids ids returns,
// in that order.
func (s *Store) query(ids func(tx *bolt.Tx) []decisions.ID) ([]decisions.Decision, error) {
	var out []decisions.Decision
	err := s.db.View(func(tx *bolt.Tx) error {
		list := ids(tx)
		out = make([]decisions.Decision, 0, len(list))
		b := tx.Bucket([]byte(bucketDecisions))
		for _, id := range list {
			d, err := getDecision(b, id)
			if err != nil {
				return fmt.Errorf("index points at %s: %w", id, err)
			}
			out = append(out, d)
		}
		if len(list) >= trimAfter {
			trim(tx)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// newest walks the keys starting with p from the highest id down.
func newest(b *bolt.Bucket, p []byte, limit int) []decisions.ID {
	var ids []decisions.ID
	scanPrefix(b, p, true, func(k, _ []byte) bool {
		ids = append(ids, idFromKey(k))
		return limit <= 0 || len(ids) < limit
	})
	return ids
}

// collect gathers the ids of every key starting with p.
func collect(b *bolt.Bucket, p []byte) []decisions.ID {
	var ids []decisions.ID
	scanPrefix(b, p, false, func(k, _ []byte) bool {
		ids = append(ids, idFromKey(k))
		return true
	})
	return ids
}

// newestOf orders ids from several index ranges newest first.
func newestOf(ids []decisions.ID, limit int) []decisions.ID {
	slices.SortFunc(ids, func(a, b decisions.ID) int { return -cmpID(a, b) })
	ids = slices.Compact(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids
}

func cmpID(a, b decisions.ID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func inRange(b *bolt.Bucket, from, to time.Time, inclusive bool) []decisions.ID {
	var ids []decisions.ID
	scanTime(b, from, to, inclusive, func(k, _ []byte) bool {
		ids = append(ids, idFromKey(k))
		return true
	})
	return ids
}

func getDecision(b *bolt.Bucket, id decisions.ID) (decisions.Decision, error) {
	var d decisions.Decision
	v := b.Get(idKey(id))
	if v == nil {
		return d, fmt.Errorf("decision %s: %w", id, ErrNotFound)
	}
	if err := json.Unmarshal(v, &d); err != nil {
		return d, fmt.Errorf("decode decision %s: %w", id, err)
	}
	return d, nil
}

func putDecision(b *bolt.Bucket, d *decisions.Decision) error {
	v, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode decision %s: %w", d.ID, err)
	}
	if err := b.Put(idKey(d.ID), v); err != nil {
		return fmt.Errorf("put decision %s: %w", d.ID, err)
	}
	return nil
}

// validate rejects what would corrupt the indexes: an unknown status, or a
// NUL byte in a value that is part of an index key.
func validate(d *decisions.Decision) error {
	if !slices.Contains(decisions.Statuses, d.Status) {
		return fmt.Errorf("status %q is not one of %v", d.Status, decisions.Statuses)
	}
	for _, f := range append([]string{d.Domain, d.Proposer}, d.Deciders...) {
		if strings.IndexByte(f, sep) >= 0 {
			return fmt.Errorf("%q contains a NUL byte", f)
		}
	}
	return nil
}

// entry is one index key a decision owns.
type entry struct {
	bucket string
	key    string
}

// indexEntries lists every index key d should have. It is the single place
// that says what is indexed where; reindex and Check both derive from it.
func indexEntries(d *decisions.Decision) []entry {
	id := idKey(d.ID)
	st := string(d.Status)
	es := []entry{
		{idxStatus, string(append(prefix(st), id...))},
		{idxProposer, string(append(prefix(d.Proposer), id...))},
		{idxDomain, string(append(prefix(d.Domain), id...))},
	}
	seen := map[string]bool{}
	for _, u := range d.Deciders {
		if u == "" || seen[u] {
			continue
		}
		seen[u] = true
		es = append(es, entry{idxDecider, string(append(prefix(u, st), id...))})
	}
	if d.Status == decisions.StatusOpen && !d.Due.IsZero() {
		es = append(es, entry{idxDue, string(tsKey(d.Due, id))})
	}
	if d.Status == decisions.StatusOpen {
		es = append(es, entry{idxCheck, string(tsKey(d.NextCheck, id))})
	}
	if d.Status == decisions.StatusOpen || d.Status == decisions.StatusDeferred {
		es = append(es, entry{idxPending, string(append(prefix(d.Domain, st), tsKey(d.Due, id)...))})
	}
	if d.Status == decisions.StatusDeferred && !d.DeferredUntil.IsZero() {
		es = append(es, entry{idxDeferred, string(tsKey(d.DeferredUntil, id))})
	}
	if d.Status.Closed() && !d.DecidedAt.IsZero() {
		es = append(es, entry{idxDecided, string(tsKey(d.DecidedAt, id))})
	}
	if !d.CreatedAt.IsZero() {
		es = append(es, entry{idxCreated, string(tsKey(d.CreatedAt, id))})
	}
	es = append(es, stuckEntries(d, id)...)
	return append(es, registerEntries(d)...)
}

// reindex moves a decision's index entries from old to new: it deletes the
// keys only old has and puts the keys only new has. Unchanged keys are not
// touched, so an edit to the title writes no index page.
func reindex(tx *bolt.Tx, old, new []entry) error {
	inNew := make(map[entry]bool, len(new))
	for _, e := range new {
		inNew[e] = true
	}
	inOld := make(map[entry]bool, len(old))
	load := map[string]int{}
	for _, e := range old {
		inOld[e] = true
		if !inNew[e] {
			if err := tx.Bucket([]byte(e.bucket)).Delete([]byte(e.key)); err != nil {
				return fmt.Errorf("unindex %s: %w", e.bucket, err)
			}
			loadDeltas(load, e, -1)
		}
	}
	for _, e := range new {
		if !inOld[e] {
			if err := tx.Bucket([]byte(e.bucket)).Put([]byte(e.key), []byte{}); err != nil {
				return fmt.Errorf("index %s: %w", e.bucket, err)
			}
			loadDeltas(load, e, +1)
		}
	}
	return applyLoad(tx, load)
}
