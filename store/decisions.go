package store

import (
	"encoding/binary"
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
	if d.ID == 0 || !s.isReserved(uint64(d.ID)) {
		id, release := s.ReserveID()
		defer release()
		d.ID = id
	}
	// Encoded before the transaction: the single writer only copies bytes.
	value, err := json.Marshal(&d)
	if err != nil {
		return decisions.Decision{}, fmt.Errorf("encode decision %s: %w", d.ID, err)
	}
	err = s.update(func(tx *bolt.Tx) error {
		if eventID != "" {
			first, err := markEvent(tx, eventID, seenAt)
			if err != nil {
				return fmt.Errorf("create decision: mark event %s: %w", eventID, err)
			}
			if !first {
				return refuse(ErrDuplicateEvent)
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
		if err := reindex(tx, nil, indexEntries(&d)); err != nil {
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
	s.stored(uint64(d.ID))
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
			return refuse(err)
		}
		// Computed before fn runs: fn may modify the slices it is handed.
		oldEntries := indexEntries(&old)
		nd, items, err := fn(View{tx: tx}, old)
		if err != nil {
			return refuse(err)
		}
		nd.ID = id
		if err := validate(&nd); err != nil {
			return refuse(fmt.Errorf("update decision %s: %w", id, err))
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
	s.ids.mu.Lock()
	defer s.ids.mu.Unlock()
	if len(s.ids.free) > 0 {
		return decisions.ID(s.ids.free[0]), nil
	}
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
