package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// pruneBatch bounds how many expired delivered keys OutboxDone forgets per
// call, as in bbolt.
const pruneBatch = 256

// Enqueue adds items to the outbox in one transaction; a key pending or
// delivered recently is skipped.
func (s *Store) Enqueue(items ...store.OutboxItem) error {
	if len(items) == 0 {
		return nil
	}
	now := s.now()
	return s.writeStmt(&stmt{
		sql: enqueueSQL,
		args: func(g *group) ([]any, error) {
			args, err := outboxArgs(g, now, items)
			return append(args, outboxChannel), err
		},
		scan: func(row pgx.Row, _ *group) error {
			if err := row.Scan(nil); err != nil {
				return fmt.Errorf("enqueue: %w", err)
			}
			return nil
		},
	})
}

// enqueue runs inside the caller's transaction, in one round trip. Each
// item's seq is the transaction's id times 65536 plus its place in the
// transaction (g numbers the items of every write in the group): ordered by
// the order transactions began, which OutboxAfter turns into an order no
// reader can skip (see there). Unlike a global lock held to commit, this
// lets PostgreSQL commit many groups per disk flush. The NOTIFY wakes the
// leader's Listen at commit.
func enqueue(ctx context.Context, tx pgx.Tx, g *group, now time.Time, items []store.OutboxItem) error {
	if len(items) == 0 {
		return nil
	}
	args, err := outboxArgs(g, now, items)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, enqueueSQL, append(args, outboxChannel)...); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	return nil
}

var enqueueSQL = "WITH " + insertOutboxCTE("true") + " SELECT pg_notify($6, '')"

// insertOutboxCTE inserts the items outboxArgs encoded ($1 the first
// place, $2 to $5 the arrays of keys, not-befores, headers and bodies),
// when cond holds, skipping a key pending or delivered recently.
func insertOutboxCTE(cond string) string {
	return `ins_outbox AS (
	INSERT INTO outbox (key, xid, seq, not_before, header, body)
	SELECT t.key, pg_current_xact_id(), pg_current_xact_id()::text::bigint * 65536 + $1 + t.n - 1, t.nb, t.h, t.b
	FROM unnest($2::bytea[], $3::bigint[], $4::bytea[], $5::bytea[]) WITH ORDINALITY AS t(key, nb, h, b, n)
	WHERE ` + cond + ` AND NOT EXISTS (SELECT 1 FROM delivered d WHERE d.key = t.key)
	ON CONFLICT (key) DO NOTHING)`
}

// outboxArgs are insertOutboxCTE's $1 to $5 for items, placed in g.
func outboxArgs(g *group, now time.Time, items []store.OutboxItem) ([]any, error) {
	first, err := g.place(len(items))
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(items))
	nbs := make([]int64, len(items))
	hdrs := make([][]byte, len(items))
	bodies := make([][]byte, len(items))
	for i, it := range items {
		if it.Key == "" {
			return nil, fmt.Errorf("enqueue: an outbox item needs a key")
		}
		if it.Enqueued.IsZero() {
			it.Enqueued = now
		}
		if it.NotBefore.IsZero() {
			it.NotBefore = it.Enqueued
		}
		hdr, body, err := encode(&it)
		if err != nil {
			return nil, fmt.Errorf("enqueue %s: %w", it.Key, err)
		}
		keys[i], nbs[i], hdrs[i], bodies[i] = []byte(it.Key), nanos(it.NotBefore), hdr, body
	}
	return []any{first, keys, nbs, hdrs, bodies}, nil
}

// encode splits an item into its JSON header (without body and seq, which
// have their own columns) and its body.
func encode(it *store.OutboxItem) ([]byte, []byte, error) {
	h := *it
	h.Body, h.Seq = nil, 0
	hdr, err := json.Marshal(&h)
	if err != nil {
		return nil, nil, err
	}
	body := it.Body
	if body == nil {
		body = []byte{}
	}
	return hdr, body, nil
}

const itemCols = "header, body, seq"

func scanItems(rows pgx.Rows, err error) ([]store.OutboxItem, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.OutboxItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

func scanItem(row pgx.Row) (store.OutboxItem, error) {
	var it store.OutboxItem
	var hdr, body []byte
	var seq int64
	if err := row.Scan(&hdr, &body, &seq); err != nil {
		return it, err
	}
	if err := json.Unmarshal(hdr, &it); err != nil {
		return it, fmt.Errorf("decode outbox item: %w", err)
	}
	if len(body) > 0 {
		it.Body = body
	}
	it.Seq = uint64(seq)
	return it, nil
}

// OutboxDue lists pending items with NotBefore <= now, by NotBefore then
// enqueue order.
func (s *Store) OutboxDue(now time.Time, limit int) ([]store.OutboxItem, error) {
	ctx, cancel := s.op()
	defer cancel()
	out, err := scanItems(s.pool.Query(ctx, "SELECT "+itemCols+" FROM outbox WHERE not_before <= $1 ORDER BY not_before, seq LIMIT $2", nanos(now), lim(limit)))
	if err != nil {
		return nil, fmt.Errorf("outbox due: %w", err)
	}
	return out, nil
}

// horizonWait bounds how long OutboxAfter waits for older transactions to
// finish before answering with what it can vouch for.
const horizonWait = time.Second

// OutboxAfter lists pending items with a sequence number after seq, in
// sequence order, never skipping one: a reader that remembers the last Seq
// it read sees every item. Sequence numbers follow the order transactions
// began, not the order they committed, so it returns only items of
// transactions older than every transaction still running (the snapshot's
// xmin): any item committed later has a higher number. When committed items
// are held back behind a running transaction, it waits (up to horizonWait)
// for that transaction to end, so a caller who just committed sees its items.
func (s *Store) OutboxAfter(seq uint64, limit int) ([]store.OutboxItem, error) {
	ctx, cancel := s.op()
	defer cancel()
	var held *int64
	if err := s.pool.QueryRow(ctx, `SELECT max(xid::text::bigint) FROM outbox
		WHERE seq > $1 AND xid >= pg_snapshot_xmin(pg_current_snapshot())`, int64(seq)).Scan(&held); err != nil {
		return nil, fmt.Errorf("outbox after %d: %w", seq, err)
	}
	for deadline := time.Now().Add(horizonWait); held != nil && time.Now().Before(deadline); {
		var past bool
		if err := s.pool.QueryRow(ctx, "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint > $1", *held).Scan(&past); err != nil {
			return nil, fmt.Errorf("outbox after %d: %w", seq, err)
		}
		if past {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	out, err := scanItems(s.pool.Query(ctx, `SELECT `+itemCols+` FROM outbox
		WHERE seq > $1 AND xid < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY seq LIMIT $2`, int64(seq), lim(limit)))
	if err != nil {
		return nil, fmt.Errorf("outbox after %d: %w", seq, err)
	}
	return out, nil
}

// OutboxNext is the earliest NotBefore among pending items.
func (s *Store) OutboxNext() (time.Time, bool, error) {
	ctx, cancel := s.op()
	defer cancel()
	it, err := scanItem(s.pool.QueryRow(ctx, "SELECT "+itemCols+" FROM outbox ORDER BY not_before, seq LIMIT 1"))
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox next: %w", err)
	}
	return it.NotBefore, true, nil
}

// change rewrites pending item key with fn, in one transaction; a key not
// pending gives store.ErrNotFound.
func (s *Store) change(key string, fn func(it *store.OutboxItem)) error {
	return s.write(func(ctx context.Context, tx pgx.Tx, _ *group) error {
		it, err := scanItem(tx.QueryRow(ctx, "SELECT "+itemCols+" FROM outbox WHERE key = $1 FOR UPDATE", []byte(key)))
		if errors.Is(err, pgx.ErrNoRows) {
			return store.Refuse(store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		fn(&it)
		hdr, _, err := encode(&it)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE outbox SET header = $2, not_before = $3 WHERE key = $1", []byte(key), hdr, nanos(it.NotBefore))
		return err
	})
}

// OutboxAttempt records that key is about to be sent at at; of two
// replicas sending it, one records the attempt and the other gets
// store.ErrAttemptedElsewhere (the row is locked while it is read).
func (s *Store) OutboxAttempt(key string, at time.Time) error {
	elsewhere := false
	err := s.change(key, func(it *store.OutboxItem) {
		if elsewhere = !it.Attempted.IsZero(); !elsewhere {
			it.Attempted = at
		}
	})
	if err == nil && elsewhere {
		err = store.ErrAttemptedElsewhere
	}
	if err != nil {
		return fmt.Errorf("outbox attempt %s: %w", key, err)
	}
	return nil
}

// OutboxRetry puts a pending item back for another attempt at at.
func (s *Store) OutboxRetry(key string, at time.Time, errText string) error {
	err := s.change(key, func(it *store.OutboxItem) {
		it.Attempts++
		it.NotBefore, it.LastError = at, errText
	})
	if err != nil {
		return fmt.Errorf("outbox retry %s: %w", key, err)
	}
	return nil
}

// OutboxPostpone puts a pending item back until at without counting an
// attempt.
func (s *Store) OutboxPostpone(key string, at time.Time, why string) error {
	err := s.change(key, func(it *store.OutboxItem) { it.NotBefore, it.LastError = at, why })
	if err != nil {
		return fmt.Errorf("outbox retry %s: %w", key, err)
	}
	return nil
}

// OutboxDone records that key was delivered at now and saves refs, in one
// transaction; delivered keys past the retention are forgotten, a bounded
// number per call.
func (s *Store) OutboxDone(key string, now time.Time, refs map[string]decisions.MessageRef) error {
	err := s.write(func(ctx context.Context, tx pgx.Tx, _ *group) error {
		if _, err := tx.Exec(ctx, "DELETE FROM outbox WHERE key = $1", []byte(key)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO delivered (key, at) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET at = excluded.at`, []byte(key), nanos(now)); err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(refs)) {
			if err := putRef(ctx, tx, k, refs[k]); err != nil {
				return err
			}
		}
		// SKIP LOCKED: another group pruning the same keys is not waited for.
		_, err := tx.Exec(ctx, `DELETE FROM delivered WHERE key IN
			(SELECT key FROM delivered WHERE at < $1 ORDER BY at LIMIT $2 FOR UPDATE SKIP LOCKED)`, nanos(now.Add(-store.DeliveredRetention)), pruneBatch)
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox done %s: %w", key, err)
	}
	return nil
}

// OutboxPending reports whether key is waiting in the outbox.
func (s *Store) OutboxPending(key string) (bool, error) {
	ctx, cancel := s.op()
	defer cancel()
	return exists(ctx, s.pool, "SELECT EXISTS (SELECT 1 FROM outbox WHERE key = $1)", []byte(key))
}

// Delivered reports whether key was delivered within the retention.
func (s *Store) Delivered(key string) (bool, error) {
	ctx, cancel := s.op()
	defer cancel()
	return exists(ctx, s.pool, "SELECT EXISTS (SELECT 1 FROM delivered WHERE key = $1)", []byte(key))
}

func exists(ctx context.Context, q querier, sql string, args ...any) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, sql, args...).Scan(&ok); err != nil {
		return false, err
	}
	return ok, nil
}

// OutboxLen is the number of pending items.
func (s *Store) OutboxLen() (int, error) {
	return s.count("outbox", "outbox length")
}
