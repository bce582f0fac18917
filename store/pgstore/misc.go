package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// maxReplayPrune bounds how many old signatures one MarkRequest forgets.
const maxReplayPrune = 256

// MarkEvent records a Slack event id; first is false when any replica saw
// it before.
func (s *Store) MarkEvent(eventID string, now time.Time) (first bool, err error) {
	if eventID == "" {
		return false, fmt.Errorf("mark event: empty event id")
	}
	err = s.writeStmt(&stmt{
		sql:  "INSERT INTO events (id, seen_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING true",
		args: func(*group) ([]any, error) { return []any{[]byte(eventID), nanos(now)}, nil },
		scan: func(row pgx.Row, _ *group) error {
			err := row.Scan(&first)
			if errors.Is(err, pgx.ErrNoRows) {
				first, err = false, nil
			}
			return err
		},
	})
	if err != nil {
		return false, fmt.Errorf("mark event %s: %w", eventID, err)
	}
	return first, nil
}

// EventSeen reports whether eventID was already handled.
func (s *Store) EventSeen(eventID string) (bool, error) {
	ctx, cancel := s.op()
	defer cancel()
	return exists(ctx, s.pool, "SELECT EXISTS (SELECT 1 FROM events WHERE id = $1)", []byte(eventID))
}

// ExpireEvents forgets event ids marked before before.
func (s *Store) ExpireEvents(before time.Time) (int, error) {
	ctx, cancel := s.op()
	defer cancel()
	tag, err := s.pool.Exec(ctx, "DELETE FROM events WHERE seen_at < $1", nanos(before))
	if err != nil {
		return 0, fmt.Errorf("expire events: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// MarkRequest records a request signature; first is false for a replay,
// whichever replica saw the original.
func (s *Store) MarkRequest(sig string, signedAt time.Time) (bool, error) {
	if sig == "" {
		return false, fmt.Errorf("mark request: empty signature")
	}
	// One statement, one round trip in a shared transaction, on every
	// request: remember the signature and, if it is new, forget a bounded
	// number of signatures older than Slack's timestamp window allows
	// (skipping any another group is forgetting, rather than waiting).
	var first bool
	err := s.writeStmt(&stmt{
		sql: `WITH ins AS (
				INSERT INTO replay (sig, signed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1),
			del AS (
				DELETE FROM replay WHERE EXISTS (SELECT 1 FROM ins) AND (signed_at, sig) IN
					(SELECT signed_at, sig FROM replay WHERE signed_at < $3 ORDER BY signed_at LIMIT $4 FOR UPDATE SKIP LOCKED))
			SELECT EXISTS (SELECT 1 FROM ins)`,
		args: func(*group) ([]any, error) {
			return []any{[]byte(sig), nanos(signedAt), nanos(signedAt.Add(-2 * store.ReplayWindow)), maxReplayPrune}, nil
		},
		scan: func(row pgx.Row, _ *group) error { return row.Scan(&first) },
	})
	if err != nil {
		return false, fmt.Errorf("mark request: %w", err)
	}
	return first, nil
}

// RememberedRequests is how many signatures are remembered.
func (s *Store) RememberedRequests() (int, error) {
	return s.count("replay", "count remembered requests")
}

// Ref is where the message stored under key lives.
func (s *Store) Ref(key string) (decisions.MessageRef, bool, error) {
	ctx, cancel := s.op()
	defer cancel()
	return getRef(ctx, s.pool, key)
}

func getRef(ctx context.Context, q querier, key string) (decisions.MessageRef, bool, error) {
	var ref decisions.MessageRef
	var v []byte
	err := q.QueryRow(ctx, "SELECT ref FROM refs WHERE key = $1", []byte(key)).Scan(&v)
	if err == pgx.ErrNoRows {
		return ref, false, nil
	}
	if err == nil {
		err = json.Unmarshal(v, &ref)
	}
	if err != nil {
		return decisions.MessageRef{}, false, fmt.Errorf("ref %s: %w", key, err)
	}
	return ref, true, nil
}

// SetRef records where the message for key lives.
func (s *Store) SetRef(key string, ref decisions.MessageRef) error {
	err := s.write(func(ctx context.Context, tx pgx.Tx, _ *group) error { return putRef(ctx, tx, key, ref) })
	if err != nil {
		return fmt.Errorf("set ref %s: %w", key, err)
	}
	return nil
}

func putRef(ctx context.Context, tx pgx.Tx, key string, ref decisions.MessageRef) error {
	if key == "" {
		return fmt.Errorf("a message ref needs a key")
	}
	v, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "INSERT INTO refs (key, ref) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET ref = excluded.ref", []byte(key), v)
	return err
}

// RefsWithPrefix returns every ref whose key starts with p.
func (s *Store) RefsWithPrefix(p string) (map[string]decisions.MessageRef, error) {
	ctx, cancel := s.op()
	defer cancel()
	return refsWithPrefix(ctx, s.pool, p)
}

func refsWithPrefix(ctx context.Context, q querier, p string) (map[string]decisions.MessageRef, error) {
	lo, hi := prefixRange([]byte(p))
	rows, err := q.Query(ctx, "SELECT key, ref FROM refs WHERE key >= $1 AND ($2::bytea IS NULL OR key < $2)", lo, hi)
	if err != nil {
		return nil, fmt.Errorf("refs with prefix %q: %w", p, err)
	}
	defer rows.Close()
	refs := map[string]decisions.MessageRef{}
	for rows.Next() {
		var k, v []byte
		var ref decisions.MessageRef
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("refs with prefix %q: %w", p, err)
		}
		if err := json.Unmarshal(v, &ref); err != nil {
			return nil, fmt.Errorf("refs with prefix %q: %w", p, err)
		}
		refs[string(k)] = ref
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("refs with prefix %q: %w", p, err)
	}
	return refs, nil
}

// txView is what an UpdateDecisionIn callback reads: the transaction the
// write commits in.
type txView struct {
	ctx context.Context
	tx  pgx.Tx
}

func (v txView) Ref(key string) (decisions.MessageRef, bool, error) { return getRef(v.ctx, v.tx, key) }
func (v txView) RefsWithPrefix(p string) (map[string]decisions.MessageRef, error) {
	return refsWithPrefix(v.ctx, v.tx, p)
}
func (v txView) OutboxPending(key string) (bool, error) {
	return exists(v.ctx, v.tx, "SELECT EXISTS (SELECT 1 FROM outbox WHERE key = $1)", []byte(key))
}

// LastRun is when job last completed, or the zero time.
func (s *Store) LastRun(job string) (time.Time, error) {
	ctx, cancel := s.op()
	defer cancel()
	var at time.Time
	var v []byte
	err := s.pool.QueryRow(ctx, "SELECT at_tz FROM jobs WHERE job = $1", job).Scan(&v)
	if err == pgx.ErrNoRows {
		return at, nil
	}
	if err == nil {
		err = at.UnmarshalBinary(v)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("last run of %s: %w", job, err)
	}
	return at, nil
}

// CompleteRun records that job ran for time at and enqueues its messages,
// in one transaction. The conditional upsert makes it exactly once across
// replicas: an at not after the recorded run gives store.ErrAlreadyRun.
func (s *Store) CompleteRun(job string, at time.Time, items ...store.OutboxItem) error {
	if job == "" {
		return fmt.Errorf("complete run: empty job name")
	}
	v, err := at.MarshalBinary()
	if err != nil {
		return fmt.Errorf("complete run %s: %w", job, err)
	}
	now := s.now()
	err = s.write(func(ctx context.Context, tx pgx.Tx, g *group) error {
		tag, err := tx.Exec(ctx, `INSERT INTO jobs (job, at, at_tz) VALUES ($1, $2, $3)
			ON CONFLICT (job) DO UPDATE SET at = excluded.at, at_tz = excluded.at_tz WHERE jobs.at < excluded.at`,
			job, nanos(at), v)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var last time.Time
			var lv []byte
			if err := tx.QueryRow(ctx, "SELECT at_tz FROM jobs WHERE job = $1", job).Scan(&lv); err != nil {
				return err
			}
			if err := last.UnmarshalBinary(lv); err != nil {
				return err
			}
			return store.Refuse(fmt.Errorf("last run was %s: %w", last.Format(time.RFC3339), store.ErrAlreadyRun))
		}
		return enqueue(ctx, tx, g, now, items)
	})
	if err != nil {
		return fmt.Errorf("complete run %s at %s: %w", job, at.Format(time.RFC3339), err)
	}
	return nil
}

// SetAway records a.User as away; a zero Until clears the record.
func (s *Store) SetAway(a store.Away) error {
	if a.User == "" {
		return fmt.Errorf("set away: empty user")
	}
	ctx, cancel := s.op()
	defer cancel()
	var err error
	if a.Until.IsZero() {
		_, err = s.pool.Exec(ctx, `DELETE FROM away WHERE "user" = $1`, a.User)
	} else {
		var v []byte
		if v, err = json.Marshal(a); err == nil {
			_, err = s.pool.Exec(ctx, `INSERT INTO away ("user", body) VALUES ($1, $2)
				ON CONFLICT ("user") DO UPDATE SET body = excluded.body`, a.User, v)
		}
	}
	s.aways.forget()
	if err != nil {
		return fmt.Errorf("set away %s: %w", a.User, err)
	}
	return nil
}

// awayTTL is how long a replica reuses the away list: every proposal and
// action reads it, and a query each time cost a tenth of a proposal's
// CPU. A replica's own SetAway refreshes it at once; another replica's is
// seen within awayTTL.
const awayTTL = 2 * time.Second

// awayCache is the away list as last read, and when (wall clock).
type awayCache struct {
	mu   sync.Mutex
	list []store.Away
	read time.Time
	gen  uint64 // bumped by every SetAway: a read that straddles one is not kept
}

func (c *awayCache) get() ([]store.Away, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.read.IsZero() && time.Since(c.read) < awayTTL {
		return slices.Clone(c.list), c.gen, true
	}
	return nil, c.gen, false
}

func (c *awayCache) put(list []store.Away, gen uint64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.list, c.read = list, at
	}
}

func (c *awayCache) forget() {
	c.mu.Lock()
	c.gen++
	c.read = time.Time{}
	c.mu.Unlock()
}

// Aways lists every out-of-office record, by user id.
func (s *Store) Aways() ([]store.Away, error) {
	list, gen, ok := s.aways.get()
	if ok {
		return list, nil
	}
	started := time.Now()
	list, err := s.readAways()
	if err == nil {
		s.aways.put(slices.Clone(list), gen, started)
	}
	return list, err
}

func (s *Store) readAways() ([]store.Away, error) {
	ctx, cancel := s.op()
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT body FROM away ORDER BY "user" COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("aways: %w", err)
	}
	defer rows.Close()
	var out []store.Away
	for rows.Next() {
		var v []byte
		var a store.Away
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("aways: %w", err)
		}
		if err := json.Unmarshal(v, &a); err != nil {
			return nil, fmt.Errorf("aways: decode: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("aways: %w", err)
	}
	return out, nil
}

// Probe commits a tiny write, so readiness reflects whether the database
// takes writes right now.
func (s *Store) Probe(now time.Time) error {
	ctx, cancel := s.op()
	defer cancel()
	if _, err := s.pool.Exec(ctx, "INSERT INTO probe (id, at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET at = excluded.at", nanos(now)); err != nil {
		return fmt.Errorf("probe postgres %s: %w", s.name, err)
	}
	return nil
}
