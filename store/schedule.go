package store

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// This file holds the queries the scheduler's reminders and digest run on.
// Each reads a range of an index that holds only open (and deferred)
// decisions, so its cost follows the current workload, never the history.

// CheckDue lists open decisions whose NextCheck is at or before t (a zero
// NextCheck counts as due), earliest first: the ones a reminders run must
// look at. limit <= 0 means all.
func (s *Store) CheckDue(t time.Time, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRangeLimit(tx.Bucket([]byte(idxCheck)), time.Time{}, t, true, limit)
	})
}

// DueBefore lists open decisions due before t, earliest due first: the
// overdue ones when t is now. limit <= 0 means all.
func (s *Store) DueBefore(t time.Time, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRangeLimit(tx.Bucket([]byte(idxDue)), time.Time{}, t, false, limit)
	})
}

// ByStatusOldest lists decisions with status st, oldest (lowest id) first.
// limit <= 0 means all.
func (s *Store) ByStatusOldest(st decisions.Status, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		var ids []decisions.ID
		scanPrefix(tx.Bucket([]byte(idxStatus)), prefix(string(st)), false, func(k, _ []byte) bool {
			ids = append(ids, idFromKey(k))
			return limit <= 0 || len(ids) < limit
		})
		return ids
	})
}

// NextCheck is one entry for SetNextChecks.
type NextCheck struct {
	ID decisions.ID
	// Events is the length of the decision's history when the caller read
	// it: if the decision changed since, the entry is skipped.
	Events int
	At     time.Time
}

// SetNextChecks records when the scheduler next needs to look at each
// decision, in one transaction. An entry whose decision is no longer open,
// no longer exists, or changed since it was read (its history grew) is
// skipped, so the scheduler looks at that decision again on its next run.
// It returns how many were set.
func (s *Store) SetNextChecks(checks []NextCheck) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = 0 // the writer may run this again after splitting a group
		b := tx.Bucket([]byte(bucketDecisions))
		for _, c := range checks {
			d, err := getDecision(b, c.ID)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					continue
				}
				return err
			}
			if d.Status != decisions.StatusOpen || len(d.History) != c.Events || d.NextCheck.Equal(c.At) {
				continue
			}
			old := indexEntries(&d)
			d.NextCheck = c.At
			if err := putDecision(b, &d); err != nil {
				return err
			}
			if err := reindex(tx, old, indexEntries(&d)); err != nil {
				return fmt.Errorf("decision %s: %w", d.ID, err)
			}
			n++
		}
		if len(checks) >= trimAfter {
			s.trimAfterCommit.Store(true)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("set next checks: %w", err)
	}
	return n, nil
}

// Pending counts a domain's decisions that are not closed.
type Pending = decisions.Pending

// PendingCounts counts open and deferred decisions per domain, and the open
// ones due before now, from the keys of one index: no decision is read.
// Domains with none are absent.
func (s *Store) PendingCounts(now time.Time) (map[string]Pending, error) {
	out := map[string]Pending{}
	cutoff := tsOrder(now)
	err := s.db.View(func(tx *bolt.Tx) error {
		var bad error
		scanPrefix(tx.Bucket([]byte(idxPending)), nil, false, func(k, _ []byte) bool {
			i := bytes.IndexByte(k, sep)
			j := -1
			if i >= 0 {
				j = bytes.IndexByte(k[i+1:], sep)
			}
			if j < 0 || len(k)-(i+1+j+1) != 16 {
				bad = fmt.Errorf("malformed %s key %q", idxPending, k)
				return false
			}
			domain, status, rest := string(k[:i]), decisions.Status(k[i+1:i+1+j]), k[i+1+j+1:]
			p := out[domain]
			switch status {
			case decisions.StatusOpen:
				p.Open++
				if ts := tsOf(rest); ts != 0 && ts < cutoff {
					p.Overdue++
				}
			case decisions.StatusDeferred:
				p.Deferred++
			}
			out[domain] = p
			return true
		})
		return bad
	})
	if err != nil {
		return nil, fmt.Errorf("pending counts: %w", err)
	}
	return out, nil
}

// inRangeLimit is inRange stopping after limit ids (limit <= 0: no limit).
func inRangeLimit(b *bolt.Bucket, from, to time.Time, inclusive bool, limit int) []decisions.ID {
	var ids []decisions.ID
	scanTime(b, from, to, inclusive, func(k, _ []byte) bool {
		ids = append(ids, idFromKey(k))
		return limit <= 0 || len(ids) < limit
	})
	return ids
}

// indexPending fills the named indexes from the open and deferred
// decisions, for a migration that adds an index only they appear in.
func indexPending(tx *bolt.Tx, buckets ...string) error {
	want := map[string]bool{}
	for _, b := range buckets {
		want[b] = true
	}
	b := tx.Bucket([]byte(bucketDecisions))
	for _, st := range []decisions.Status{decisions.StatusOpen, decisions.StatusDeferred} {
		for _, id := range collect(tx.Bucket([]byte(idxStatus)), prefix(string(st))) {
			d, err := getDecision(b, id)
			if err != nil {
				return err
			}
			var es []entry
			for _, e := range indexEntries(&d) {
				if want[e.bucket] {
					es = append(es, e)
				}
			}
			if err := reindex(tx, nil, es); err != nil {
				return fmt.Errorf("decision %s: %w", id, err)
			}
		}
	}
	return nil
}

// idxStuck lists open decisions the scheduler recorded stuck (nobody above
// can take them): ts(stuck at) id → "". The digest lists them from it,
// however many older open decisions there are.
const idxStuck = "idx_stuck"

// stuckEntries is d's idx_stuck key, if it is open and stuck.
func stuckEntries(d *decisions.Decision, id []byte) []entry {
	if d.Status != decisions.StatusOpen {
		return nil
	}
	if at, ok := decisions.Stuck(*d); ok {
		return []entry{{idxStuck, string(tsKey(at, id))}}
	}
	return nil
}

// StuckOldest lists the open decisions recorded stuck, longest stuck
// first, at most limit.
func (s *Store) StuckOldest(limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRangeLimit(tx.Bucket([]byte(idxStuck)), time.Time{}, maxNano, false, limit)
	})
}
