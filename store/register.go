package store

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/baton-app/baton/decisions"
)

// The decision register's indexes: full-text search and review dates.
const (
	idxWords  = "idx_words"  // word 0 id, every decision (decisions.SearchWords)
	idxReview = "idx_review" // ts id, decisions with a review date
	// idxMisroutes has one key per misroute (decline or retagging edit).
	idxMisroutes = "idx_misroutes" // ts id
	// idxAdvice lists who owes advice on open decisions
	// (decisions.AdviceOwed), for the App Home.
	idxAdvice = "idx_advice" // user 0 id
)

// registerEntries are the register's index keys for d; indexEntries
// includes them.
func registerEntries(d *decisions.Decision) []entry {
	id := idKey(d.ID)
	var es []entry
	for _, w := range decisions.SearchWords(d) {
		es = append(es, entry{idxWords, string(append(prefix(w), id...))})
	}
	if !d.ReviewOn.IsZero() && d.Status != decisions.StatusWithdrawn {
		es = append(es, entry{idxReview, string(tsKey(d.ReviewOn, id))})
	}
	for _, m := range d.Misroutes {
		es = append(es, entry{idxMisroutes, string(tsKey(m.At, id))})
	}
	for _, u := range decisions.AdviceOwed(d) {
		es = append(es, entry{idxAdvice, string(append(prefix(u), id...))})
	}
	return es
}

// indexRegister is the migration that indexes existing decisions for
// search and review dates.
func indexRegister(tx *bolt.Tx) error {
	b := tx.Bucket([]byte(bucketDecisions))
	return b.ForEach(func(k, _ []byte) error {
		d, err := getDecision(b, idFromKey(k))
		if err != nil {
			return err
		}
		if err := reindex(tx, nil, registerEntries(&d)); err != nil {
			return fmt.Errorf("decision %s: %w", d.ID, err)
		}
		return nil
	})
}

// maxWordScan bounds how many decisions one query word reads from the
// index (the newest), so a word found in most decisions stays fast.
const maxWordScan = 20000

// Search finds decisions by words in their titles, details, rationales,
// advice and comments: those holding every word first, then most words;
// within that, title matches rank higher, then newer decisions. It reads
// the index, never every decision.
func (s *Store) Search(query string, limit int) ([]decisions.Decision, error) {
	words := decisions.QueryWords(query)
	if len(words) == 0 || limit <= 0 {
		return nil, nil
	}
	var out []decisions.Decision
	err := s.db.View(func(tx *bolt.Tx) error {
		idx := tx.Bucket([]byte(idxWords))
		hits := map[decisions.ID]int{}
		for _, w := range words {
			n := 0
			scanPrefix(idx, prefix(w), true, func(k, _ []byte) bool {
				hits[idFromKey(k)]++
				n++
				return n < maxWordScan
			})
		}
		type hit struct {
			id decisions.ID
			n  int
		}
		ranked := make([]hit, 0, len(hits))
		for id, n := range hits {
			ranked = append(ranked, hit{id, n})
		}
		slices.SortFunc(ranked, func(a, b hit) int {
			if c := cmp.Compare(b.n, a.n); c != 0 {
				return c
			}
			return cmp.Compare(b.id, a.id)
		})
		// Read a few times more than asked, to rank by where words are.
		if max := limit * 4; len(ranked) > max {
			ranked = ranked[:max]
		}
		b := tx.Bucket([]byte(bucketDecisions))
		type scored struct {
			d     decisions.Decision
			n, sc int
		}
		found := make([]scored, 0, len(ranked))
		for _, h := range ranked {
			d, err := getDecision(b, h.id)
			if err != nil {
				return err
			}
			found = append(found, scored{d, h.n, decisions.SearchScore(&d, words)})
		}
		slices.SortFunc(found, func(a, b scored) int {
			if c := cmp.Compare(b.n, a.n); c != 0 {
				return c
			}
			if c := cmp.Compare(b.sc, a.sc); c != 0 {
				return c
			}
			return cmp.Compare(b.d.ID, a.d.ID)
		})
		for i := 0; i < len(found) && i < limit; i++ {
			out = append(out, found[i].d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	return out, nil
}

// ReviewsBetween lists decisions whose review date is in [from, to), in
// date order.
func (s *Store) ReviewsBetween(from, to time.Time) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRange(tx.Bucket([]byte(idxReview)), from, to, false)
	})
}

// Misrouted lists the decisions with a misroute in [from, to), each once,
// oldest misroute first.
func (s *Store) Misrouted(from, to time.Time) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		var out []decisions.ID
		seen := map[decisions.ID]bool{}
		for _, id := range inRange(tx.Bucket([]byte(idxMisroutes)), from, to, false) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return out
	})
}

// AdviceOwedBy lists the open decisions user owes advice on, newest first.
func (s *Store) AdviceOwedBy(user string, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return newest(tx.Bucket([]byte(idxAdvice)), prefix(user), limit)
	})
}
