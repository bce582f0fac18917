package pgstore

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// The lists read decision_index exactly as the bbolt store reads its idx_*
// buckets: a prefix or a time range of keys, in key order, joined to the
// decisions in the same statement (one snapshot).

// lim is a LIMIT argument: NULL (no limit) when limit <= 0.
func lim(limit int) *int64 {
	if limit <= 0 {
		return nil
	}
	v := int64(limit)
	return &v
}

// prefixRange is the key range [lo, hi) of keys starting with p; hi is nil
// when unbounded.
func prefixRange(p []byte) ([]byte, []byte) {
	return p, store.KeyPrefixEnd(p)
}

// timeRange is the key range of time keys in [from, to), or [from, to] when
// inclusive.
func timeRange(from, to time.Time, inclusive bool) ([]byte, []byte) {
	lo := store.TimeKey(from)
	hi := store.TimeOrder(to)
	if inclusive {
		if hi == ^uint64(0) {
			return lo, nil
		}
		hi++
	}
	return lo, binary.BigEndian.AppendUint64(nil, hi)
}

const rangeSQL = `SELECT d.body FROM decision_index i JOIN decisions d ON d.id = i.id
	WHERE i.idx = $1 AND i.key >= $2 AND ($3::bytea IS NULL OR i.key < $3)`

func (s *Store) scan(idx string, lo, hi []byte, desc bool, limit int) ([]decisions.Decision, error) {
	ctx, cancel := s.op()
	defer cancel()
	order := " ORDER BY i.key"
	if desc {
		order += " DESC"
	}
	ds, err := scanDecisions(s.pool.Query(ctx, rangeSQL+order+" LIMIT $4", idx, lo, hi, lim(limit)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", idx, err)
	}
	return ds, nil
}

// newestOf lists the decisions with a key starting with any of ps in idx,
// each once, highest id first.
func (s *Store) newestOf(idx string, limit int, ps ...[]byte) ([]decisions.Decision, error) {
	ctx, cancel := s.op()
	defer cancel()
	var los, his [][]byte
	for _, p := range ps {
		lo, hi := prefixRange(p)
		los, his = append(los, lo), append(his, hi)
	}
	ds, err := scanDecisions(s.pool.Query(ctx, `SELECT d.body FROM decisions d WHERE d.id IN (
		SELECT i.id FROM decision_index i, unnest($2::bytea[], $3::bytea[]) AS r(lo, hi)
		WHERE i.idx = $1 AND i.key >= r.lo AND (r.hi IS NULL OR i.key < r.hi))
		ORDER BY d.id DESC LIMIT $4`, idx, los, his, lim(limit)))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", idx, err)
	}
	return ds, nil
}

// ByStatus lists decisions with status st, newest first.
func (s *Store) ByStatus(st decisions.Status, limit int) ([]decisions.Decision, error) {
	lo, hi := prefixRange(store.KeyPrefix(string(st)))
	return s.scan(store.IndexStatus, lo, hi, true, limit)
}

// ByStatusOldest lists decisions with status st, oldest first.
func (s *Store) ByStatusOldest(st decisions.Status, limit int) ([]decisions.Decision, error) {
	lo, hi := prefixRange(store.KeyPrefix(string(st)))
	return s.scan(store.IndexStatus, lo, hi, false, limit)
}

// ByDecider lists decisions assigned to user with status st ("" for any),
// newest first.
func (s *Store) ByDecider(user string, st decisions.Status, limit int) ([]decisions.Decision, error) {
	if st != "" {
		lo, hi := prefixRange(store.KeyPrefix(user, string(st)))
		return s.scan(store.IndexDecider, lo, hi, true, limit)
	}
	return s.newestOf(store.IndexDecider, limit, store.KeyPrefix(user))
}

// ByProposer lists decisions proposed by user, newest first.
func (s *Store) ByProposer(user string, limit int) ([]decisions.Decision, error) {
	lo, hi := prefixRange(store.KeyPrefix(user))
	return s.scan(store.IndexProposer, lo, hi, true, limit)
}

// Newest lists decisions of any status, newest first.
func (s *Store) Newest(limit int) ([]decisions.Decision, error) {
	ctx, cancel := s.op()
	defer cancel()
	ds, err := scanDecisions(s.pool.Query(ctx, "SELECT body FROM decisions ORDER BY id DESC LIMIT $1", lim(limit)))
	if err != nil {
		return nil, fmt.Errorf("newest decisions: %w", err)
	}
	return ds, nil
}

// ByDomain lists decisions in exactly domain, newest first.
func (s *Store) ByDomain(domain string, limit int) ([]decisions.Decision, error) {
	lo, hi := prefixRange(store.KeyPrefix(domain))
	return s.scan(store.IndexDomain, lo, hi, true, limit)
}

// ByDomainTree lists decisions in domain and its children, newest first;
// "" means every domain.
func (s *Store) ByDomainTree(domain string, limit int) ([]decisions.Decision, error) {
	domain = strings.TrimSuffix(domain, "/")
	if domain == "" {
		return s.newestOf(store.IndexDomain, limit, []byte{})
	}
	return s.newestOf(store.IndexDomain, limit, store.KeyPrefix(domain), []byte(domain+"/"))
}

func (s *Store) between(idx string, from, to time.Time, inclusive bool, limit int) ([]decisions.Decision, error) {
	lo, hi := timeRange(from, to, inclusive)
	return s.scan(idx, lo, hi, false, limit)
}

// DueBetween lists open decisions due in [from, to), earliest first.
func (s *Store) DueBetween(from, to time.Time) ([]decisions.Decision, error) {
	return s.between(store.IndexDue, from, to, false, 0)
}

// DueBefore lists up to limit open decisions due before t, earliest first.
func (s *Store) DueBefore(t time.Time, limit int) ([]decisions.Decision, error) {
	return s.between(store.IndexDue, time.Time{}, t, false, limit)
}

// CheckDue lists up to limit open decisions whose NextCheck is at or
// before t, earliest first.
func (s *Store) CheckDue(t time.Time, limit int) ([]decisions.Decision, error) {
	return s.between(store.IndexCheck, time.Time{}, t, true, limit)
}

// DeferredUntilBefore lists deferred decisions to reopen at or before t.
func (s *Store) DeferredUntilBefore(t time.Time) ([]decisions.Decision, error) {
	return s.between(store.IndexDeferred, time.Time{}, t, true, 0)
}

// DecidedBetween lists closed decisions decided in [from, to).
func (s *Store) DecidedBetween(from, to time.Time) ([]decisions.Decision, error) {
	return s.between(store.IndexDecided, from, to, false, 0)
}

// CreatedBetween lists decisions created in [from, to).
func (s *Store) CreatedBetween(from, to time.Time) ([]decisions.Decision, error) {
	return s.between(store.IndexCreated, from, to, false, 0)
}

// ReviewsBetween lists decisions whose review date is in [from, to): those
// not yet asked, and those asked that nobody answered (at most
// store.MaxOwedRead of them), in date order, as the bbolt store does.
func (s *Store) ReviewsBetween(from, to time.Time) ([]decisions.Decision, error) {
	due, err := s.between(store.IndexReview, from, to, false, 0)
	if err != nil {
		return nil, err
	}
	owed, err := s.newestOf(store.IndexReview, store.MaxOwedRead, store.ReviewOwedPrefix(""))
	if err != nil {
		return nil, err
	}
	return store.ReviewsInWindow(append(due, owed...), from, to), nil
}

// ReviewsDue lists decisions whose review date is in [from, to) and not
// asked yet, soonest first, at most limit.
func (s *Store) ReviewsDue(from, to time.Time, limit int) ([]decisions.Decision, error) {
	return s.between(store.IndexReview, from, to, false, limit)
}

// ReviewsOwedBy lists the reviews asked of user and not answered, newest
// first.
func (s *Store) ReviewsOwedBy(user string, limit int) ([]decisions.Decision, error) {
	return s.newestOf(store.IndexReview, limit, store.ReviewOwedPrefix(user))
}

// CreatedSince lists decisions created in [from, to), newest first, at
// most limit.
func (s *Store) CreatedSince(from, to time.Time, limit int) ([]decisions.Decision, error) {
	lo, hi := timeRange(from, to, false)
	return s.scan(store.IndexCreated, lo, hi, true, limit)
}

// Misrouted lists decisions with a misroute in [from, to), each once,
// newest misroute first, at most limit (limit <= 0: all).
func (s *Store) Misrouted(from, to time.Time, limit int) ([]decisions.Decision, error) {
	ctx, cancel := s.op()
	defer cancel()
	lo, hi := timeRange(from, to, false)
	ds, err := scanDecisions(s.pool.Query(ctx, `SELECT d.body FROM decisions d JOIN (
		SELECT i.id, (array_agg(i.key ORDER BY i.key DESC))[1] AS last FROM decision_index i
		WHERE i.idx = $1 AND i.key >= $2 AND ($3::bytea IS NULL OR i.key < $3) GROUP BY i.id) m
		ON m.id = d.id ORDER BY m.last DESC LIMIT $4`, store.IndexMisroutes, lo, hi, lim(limit)))
	if err != nil {
		return nil, fmt.Errorf("misrouted: %w", err)
	}
	return ds, nil
}

// StuckOldest lists the open decisions recorded stuck, longest stuck
// first, at most limit.
func (s *Store) StuckOldest(limit int) ([]decisions.Decision, error) {
	lo, hi := timeRange(time.Time{}, store.MaxTime, false)
	return s.scan(store.IndexStuck, lo, hi, false, limit)
}

// AdviceOwedBy lists the open decisions user's advice is asked on and not
// given yet, newest first.
func (s *Store) AdviceOwedBy(user string, limit int) ([]decisions.Decision, error) {
	return s.newestOf(store.IndexAdvice, limit, store.KeyPrefix(user))
}

// Search finds decisions holding the query's words, reading as much and
// ranking as the bbolt store does.
func (s *Store) Search(query string, limit int) ([]decisions.Decision, error) {
	words, perWord := store.SearchWords(query)
	if len(words) == 0 || limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.op()
	defer cancel()
	hits := map[decisions.ID]int{}
	for _, w := range words {
		lo, hi := prefixRange(store.KeyPrefix(w))
		rows, err := s.pool.Query(ctx, `SELECT id FROM decision_index
			WHERE idx = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3) ORDER BY key DESC LIMIT $4`,
			store.IndexWords, lo, hi, perWord)
		if err != nil {
			return nil, fmt.Errorf("search %q: %w", query, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("search %q: %w", query, err)
			}
			hits[decisions.ID(id)]++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("search %q: %w", query, err)
		}
	}
	ranked := store.RankHits(hits, limit)
	ids := make([]int64, len(ranked))
	for i, id := range ranked {
		ids[i] = int64(id)
	}
	ds, err := scanDecisions(s.pool.Query(ctx, "SELECT body FROM decisions WHERE id = ANY($1)", ids))
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	return store.RankFound(ds, hits, words, limit), nil
}

// indexKeys reads every key of idx.
func (s *Store) indexKeys(idx string) ([][]byte, error) {
	ctx, cancel := s.op()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT key FROM decision_index WHERE idx = $1 ORDER BY key", idx)
	if err != nil {
		return nil, err
	}
	var keys [][]byte
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, err
		}
		keys = append(keys, k)
	}
	rows.Close()
	return keys, rows.Err()
}

// OpenLoad counts open decisions per decider, from open_load (load.go):
// every proposal reads it, so it is one row per decider, not one per
// decision.
func (s *Store) OpenLoad() (map[string]int, error) {
	ctx, cancel := s.op()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT decider, n FROM open_load WHERE n > 0")
	if err != nil {
		return nil, fmt.Errorf("open load: %w", err)
	}
	defer rows.Close()
	load := map[string]int{}
	for rows.Next() {
		var user []byte
		var n int
		if err := rows.Scan(&user, &n); err != nil {
			return nil, fmt.Errorf("open load: %w", err)
		}
		load[string(user)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open load: %w", err)
	}
	return load, nil
}

// PendingCounts counts open, overdue and deferred decisions per domain.
func (s *Store) PendingCounts(now time.Time) (map[string]store.Pending, error) {
	keys, err := s.indexKeys(store.IndexPending)
	if err != nil {
		return nil, fmt.Errorf("pending counts: %w", err)
	}
	out := map[string]store.Pending{}
	cutoff := store.TimeOrder(now)
	for _, k := range keys {
		i := bytes.IndexByte(k, 0)
		j := -1
		if i >= 0 {
			j = bytes.IndexByte(k[i+1:], 0)
		}
		if j < 0 || len(k)-(i+1+j+1) != 16 {
			return nil, fmt.Errorf("pending counts: malformed %s key %q", store.IndexPending, k)
		}
		domain, status, rest := string(k[:i]), decisions.Status(k[i+1:i+1+j]), k[i+1+j+1:]
		p := out[domain]
		switch status {
		case decisions.StatusOpen:
			p.Open++
			if ts := store.KeyTime(rest); ts != 0 && ts < cutoff {
				p.Overdue++
			}
		case decisions.StatusDeferred:
			p.Deferred++
		}
		out[domain] = p
	}
	return out, nil
}
