package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/baton-app/baton/decisions"
)

// The decision register's indexes: full-text search and review dates.
const (
	idxWords = "idx_words" // word 0 id, every decision (decisions.SearchWords)
	// idxReview has two kinds of key. Reviews not yet asked: ts id, by
	// review date, which the hourly job reads. Reviews asked and not yet
	// answered: reviewOwed user 0 id, one per person asked, which App Home
	// reads; they sort after every date, so the job never reads them.
	idxReview = "idx_review"
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
		if asked, users := decisions.ReviewAsked(d); asked {
			for _, u := range users {
				es = append(es, entry{idxReview, string(append(reviewOwed(u), id...))})
			}
		} else {
			es = append(es, entry{idxReview, string(tsKey(d.ReviewOn, id))})
		}
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

// reviewOwed is the idx_review prefix of the reviews asked of user: the
// largest time key, so date scans (which end before year 2262) stop short
// of it.
func reviewOwed(user string) []byte {
	k := tsKey(maxNano.Add(1), nil)
	if user == "" {
		return k // every review owed
	}
	return append(k, prefix(user)...)
}

// reindexReviews is the migration that moves reviews already asked out of
// the date order of idx_review, into the per-person part.
func reindexReviews(tx *bolt.Tx) error {
	if err := tx.DeleteBucket([]byte(idxReview)); err != nil {
		return fmt.Errorf("drop %s: %w", idxReview, err)
	}
	idx, err := tx.CreateBucket([]byte(idxReview))
	if err != nil {
		return fmt.Errorf("create %s: %w", idxReview, err)
	}
	b := tx.Bucket([]byte(bucketDecisions))
	return b.ForEach(func(k, _ []byte) error {
		d, err := getDecision(b, idFromKey(k))
		if err != nil {
			return err
		}
		for _, e := range registerEntries(&d) {
			if e.bucket != idxReview {
				continue
			}
			if err := idx.Put([]byte(e.key), nil); err != nil {
				return fmt.Errorf("decision %s: %w", d.ID, err)
			}
		}
		return nil
	})
}

// Search finds decisions by words in their titles, details, rationales,
// advice and comments: those holding every word first, then most words;
// within that, title matches rank higher, then newer decisions. It reads
// the index, never every decision.
func (s *Store) Search(query string, limit int) ([]decisions.Decision, error) {
	words, perWord := SearchWords(query)
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
				return n < perWord
			})
		}
		b := tx.Bucket([]byte(bucketDecisions))
		var ds []decisions.Decision
		for _, id := range RankHits(hits, limit) {
			d, err := getDecision(b, id)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		out = RankFound(ds, hits, words, limit)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	return out, nil
}

// ReviewsBetween lists decisions whose review date is in [from, to), in
// date order: those not yet asked, and those asked that nobody answered
// (at most maxOwedRead of them), as the digest lists them.
func (s *Store) ReviewsBetween(from, to time.Time) ([]decisions.Decision, error) {
	ds, err := s.query(func(tx *bolt.Tx) []decisions.ID {
		idx := tx.Bucket([]byte(idxReview))
		ids := inRange(idx, from, to, false)
		seen := map[decisions.ID]bool{}
		scanPrefix(idx, reviewOwed(""), true, func(k, _ []byte) bool {
			if id := idFromKey(k); !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
			return len(seen) < MaxOwedRead // ordered by person: past the bound, not the newest
		})
		return ids
	})
	if err != nil {
		return nil, err
	}
	return ReviewsInWindow(ds, from, to), nil
}

// ReviewsDue lists decisions whose review date is in [from, to) and whose
// review was not yet asked, in date order, stopping after limit (limit <=
// 0: no limit), so one run of the reviews job has a bounded read.
func (s *Store) ReviewsDue(from, to time.Time, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return inRangeLimit(tx.Bucket([]byte(idxReview)), from, to, false, limit)
	})
}

// ReviewsOwedBy lists the reviews Baton asked user and nobody answered yet,
// newest decision first.
func (s *Store) ReviewsOwedBy(user string, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return newest(tx.Bucket([]byte(idxReview)), reviewOwed(user), limit)
	})
}

// CreatedSince lists decisions created in [from, to), newest first, reading
// the creation index from to backwards and stopping after limit.
func (s *Store) CreatedSince(from, to time.Time, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		var ids []decisions.ID
		scanTimeDesc(tx.Bucket([]byte(idxCreated)), from, to, func(k []byte) bool {
			ids = append(ids, idFromKey(k))
			return limit <= 0 || len(ids) < limit
		})
		return ids
	})
}

// Misrouted lists the decisions with a misroute in [from, to), each once,
// newest misroute first, at most limit of them (limit <= 0: all).
func (s *Store) Misrouted(from, to time.Time, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		var out []decisions.ID
		seen := map[decisions.ID]bool{}
		scanTimeDesc(tx.Bucket([]byte(idxMisroutes)), from, to, func(k []byte) bool {
			if id := idFromKey(k); !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
			return limit <= 0 || len(out) < limit
		})
		return out
	})
}

// AdviceOwedBy lists the open decisions user owes advice on, newest first.
func (s *Store) AdviceOwedBy(user string, limit int) ([]decisions.Decision, error) {
	return s.query(func(tx *bolt.Tx) []decisions.ID {
		return newest(tx.Bucket([]byte(idxAdvice)), prefix(user), limit)
	})
}

// scanTimeDesc visits time index keys with from <= time < to, newest
// first, until fn returns false. It seeks to to, so only what fn takes is
// read.
func scanTimeDesc(b *bolt.Bucket, from, to time.Time, fn func(k []byte) bool) {
	lo, hi := tsOrder(from), tsOrder(to)
	n := int64(0)
	defer func() { scanned.Add(n) }()
	c := b.Cursor()
	k, _ := c.Seek(u64(hi))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil; k, _ = c.Prev() {
		n++
		if tsOf(k) < lo || !fn(k) {
			return
		}
	}
}
