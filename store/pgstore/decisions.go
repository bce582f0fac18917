package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// CreateDecision stores d as a new decision, as store.Store.CreateDecision
// does: the decision, its index keys and build's outbox items commit
// together.
func (s *Store) CreateDecision(d decisions.Decision, build func(d decisions.Decision) ([]store.OutboxItem, error)) (decisions.Decision, error) {
	return s.createDecision("", time.Time{}, d, build)
}

// CreateDecisionForEvent is CreateDecision that also marks eventID seen, in
// the same transaction: Slack's retry, on any replica, finds the event's
// primary key taken and gets store.ErrDuplicateEvent.
func (s *Store) CreateDecisionForEvent(eventID string, seenAt time.Time, d decisions.Decision, build func(d decisions.Decision) ([]store.OutboxItem, error)) (decisions.Decision, error) {
	if eventID == "" {
		return decisions.Decision{}, fmt.Errorf("create decision: empty event id")
	}
	return s.createDecision(eventID, seenAt, d, build)
}

func (s *Store) createDecision(eventID string, seenAt time.Time, d decisions.Decision, build func(d decisions.Decision) ([]store.OutboxItem, error)) (decisions.Decision, error) {
	if err := store.ValidateDecision(&d); err != nil {
		return decisions.Decision{}, fmt.Errorf("create decision: %w", err)
	}
	if d.ID == 0 || !s.ids.IsReserved(uint64(d.ID)) {
		v, err := s.reserve()
		if err != nil {
			return decisions.Decision{}, fmt.Errorf("create decision: %w", err)
		}
		defer s.ids.Release(v)
		d.ID = decisions.ID(v)
	}
	// build runs before anything is written: its refusal must write
	// nothing, as the rest of the group commits.
	var items []store.OutboxItem
	if build != nil {
		var err error
		if items, err = build(d); err != nil {
			return decisions.Decision{}, err
		}
	}
	st, err := createStmt(eventID, seenAt, d, items, s.now())
	if err != nil {
		return decisions.Decision{}, err
	}
	err = s.writeStmt(st)
	if err != nil {
		return decisions.Decision{}, err
	}
	s.ids.Stored(uint64(d.ID))
	return d, nil
}

// createStmt is the write that stores d, under the id it has, with items
// and, unless eventID is empty, marks eventID seen: one statement, the
// event, the decision, its index keys and its messages. A duplicate event
// writes nothing and is a refusal; a taken id is a unique violation, which
// aborts the group's transaction so this write fails alone.
func createStmt(eventID string, seenAt time.Time, d decisions.Decision, items []store.OutboxItem, now time.Time) (*stmt, error) {
	body, err := json.Marshal(&d)
	if err != nil {
		return nil, fmt.Errorf("encode decision %s: %w", d.ID, err)
	}
	var ev []byte // NULL: no event to mark
	if eventID != "" {
		ev = []byte(eventID)
	}
	entries := store.IndexEntries(&d)
	idx, keys := entryArrays(entries)
	return &stmt{
		sql: createSQL,
		args: func(g *group) ([]any, error) {
			args, err := outboxArgs(g, now, items)
			if err != nil {
				return nil, fmt.Errorf("create decision %s: %w", d.ID, err)
			}
			return append(args, ev, nanos(seenAt), int64(d.ID), body, idx, keys, outboxChannel, len(items) > 0), nil
		},
		scan: func(row pgx.Row, g *group) error {
			var fresh bool
			if err := row.Scan(&fresh, nil); err != nil {
				return fmt.Errorf("create decision %s: %w", d.ID, err)
			}
			if !fresh {
				return store.Refuse(store.ErrDuplicateEvent)
			}
			g.load.add(entries, 1)
			return nil
		},
	}, nil
}

// Decision loads one decision; a missing one gives store.ErrNotFound.
func (s *Store) Decision(id decisions.ID) (decisions.Decision, error) {
	ctx, cancel := s.op()
	defer cancel()
	return getDecision(ctx, s.pool, id, false)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func getDecision(ctx context.Context, q querier, id decisions.ID, lock bool) (decisions.Decision, error) {
	var d decisions.Decision
	sql := "SELECT body FROM decisions WHERE id = $1"
	if lock {
		sql += " FOR UPDATE"
	}
	var body []byte
	if err := q.QueryRow(ctx, sql, int64(id)).Scan(&body); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return d, fmt.Errorf("decision %s: %w", id, store.ErrNotFound)
		}
		return d, fmt.Errorf("load decision %s: %w", id, err)
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return d, fmt.Errorf("decode decision %s: %w", id, err)
	}
	return d, nil
}

// UpdateDecision reads decision id (locking its row, so replicas take turns
// on one decision), passes it to fn and stores what fn returns, reindexed,
// with fn's outbox items, in one transaction.
func (s *Store) UpdateDecision(id decisions.ID, fn func(d decisions.Decision) (decisions.Decision, []store.OutboxItem, error)) (decisions.Decision, error) {
	return s.UpdateDecisionIn(id, func(_ store.View, d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) { return fn(d) })
}

// UpdateDecisionIn is UpdateDecision whose fn also reads through a View of
// the transaction.
func (s *Store) UpdateDecisionIn(id decisions.ID, fn func(v store.View, d decisions.Decision) (decisions.Decision, []store.OutboxItem, error)) (decisions.Decision, error) {
	var out decisions.Decision
	now := s.now()
	err := s.write(func(ctx context.Context, tx pgx.Tx, g *group) error {
		old, err := getDecision(ctx, tx, id, true)
		if errors.Is(err, store.ErrNotFound) {
			return store.Refuse(err)
		}
		if err != nil {
			return err // a lock timeout or deadlock: the group retries
		}
		oldEntries := store.IndexEntries(&old)
		nd, items, err := fn(store.NewView(txView{ctx, tx}), old)
		if err != nil {
			return refusedUnlessDB(err)
		}
		nd.ID = id
		if err := store.ValidateDecision(&nd); err != nil {
			return store.Refuse(fmt.Errorf("update decision %s: %w", id, err))
		}
		if err := putDecision(ctx, tx, &nd); err != nil {
			return err
		}
		if err := reindex(ctx, tx, g.load, id, oldEntries, store.IndexEntries(&nd)); err != nil {
			return fmt.Errorf("update decision %s: %w", id, err)
		}
		if err := enqueue(ctx, tx, g, now, items); err != nil {
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

func putDecision(ctx context.Context, tx pgx.Tx, d *decisions.Decision) error {
	body, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode decision %s: %w", d.ID, err)
	}
	if _, err := tx.Exec(ctx, "UPDATE decisions SET body = $2 WHERE id = $1", int64(d.ID), body); err != nil {
		return fmt.Errorf("put decision %s: %w", d.ID, err)
	}
	return nil
}

// reindex moves a decision's index keys from old to new, touching only the
// keys that changed, and counts the change in open load into l.
func reindex(ctx context.Context, tx pgx.Tx, l loadDelta, id decisions.ID, old, new []store.IndexEntry) error {
	l.add(old, -1)
	l.add(new, 1)
	key := func(e store.IndexEntry) string { return e.Index + "\x00" + string(e.Key) }
	inNew := make(map[string]bool, len(new))
	for _, e := range new {
		inNew[key(e)] = true
	}
	inOld := make(map[string]bool, len(old))
	var delIdx, addIdx []string
	var delKey, addKey [][]byte
	for _, e := range old {
		inOld[key(e)] = true
		if !inNew[key(e)] {
			delIdx, delKey = append(delIdx, e.Index), append(delKey, e.Key)
		}
	}
	for _, e := range new {
		if !inOld[key(e)] {
			inOld[key(e)] = true // an entry listed twice is added once
			addIdx, addKey = append(addIdx, e.Index), append(addKey, e.Key)
		}
	}
	if len(delIdx) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM decision_index WHERE (idx, key) IN
			(SELECT * FROM unnest($1::text[], $2::bytea[]))`, delIdx, delKey); err != nil {
			return fmt.Errorf("unindex: %w", err)
		}
	}
	if len(addIdx) > 0 {
		if _, err := tx.Exec(ctx, insertIndexSQL, addIdx, addKey, int64(id)); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	return nil
}

// PutBulk stores many new decisions in one transaction, with ids from the
// sequence in order, written back into ds.
func (s *Store) PutBulk(ds []decisions.Decision) error {
	for i := range ds {
		if err := store.ValidateDecision(&ds[i]); err != nil {
			return fmt.Errorf("bulk put: decision %d of %d: %w", i+1, len(ds), err)
		}
	}
	if len(ds) == 0 {
		return nil
	}
	assigned := make([]decisions.ID, len(ds))
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT nextval('decision_id') FROM generate_series(1, $1) ORDER BY 1", len(ds))
		if err != nil {
			return fmt.Errorf("bulk put: ids: %w", err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("bulk put: ids: %w", err)
		}
		var drows, irows [][]any
		load := loadDelta{}
		for i := range ds {
			d := ds[i]
			d.ID = decisions.ID(ids[i])
			load.add(store.IndexEntries(&d), 1)
			body, err := json.Marshal(&d)
			if err != nil {
				return fmt.Errorf("bulk put: encode decision: %w", err)
			}
			drows = append(drows, []any{ids[i], body})
			seen := map[string]bool{}
			for _, e := range store.IndexEntries(&d) {
				if k := e.Index + "\x00" + string(e.Key); !seen[k] {
					seen[k] = true
					irows = append(irows, []any{e.Index, e.Key, ids[i]})
				}
			}
			assigned[i] = d.ID
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"decisions"}, []string{"id", "body"}, pgx.CopyFromRows(drows)); err != nil {
			return fmt.Errorf("bulk put: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"decision_index"}, []string{"idx", "key", "id"}, pgx.CopyFromRows(irows)); err != nil {
			return fmt.Errorf("bulk put: index: %w", err)
		}
		return applyLoad(ctx, tx, load)
	})
	if err != nil {
		return err
	}
	for i := range ds {
		ds[i].ID = assigned[i]
	}
	return nil
}

// SetNextChecks stores when the scheduler should next look at each open
// decision, skipping any that changed since it was read (Events differs) or
// closed, and returns how many it stored.
func (s *Store) SetNextChecks(checks []store.NextCheck) (int, error) {
	n := 0
	err := s.tx(func(ctx context.Context, tx pgx.Tx) error {
		n = 0
		load := loadDelta{}
		for _, c := range checks {
			d, err := getDecision(ctx, tx, c.ID, true)
			if err != nil {
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				return err
			}
			if d.Status != decisions.StatusOpen || len(d.History) != c.Events || d.NextCheck.Equal(c.At) {
				continue
			}
			old := store.IndexEntries(&d)
			d.NextCheck = c.At
			if err := putDecision(ctx, tx, &d); err != nil {
				return err
			}
			if err := reindex(ctx, tx, load, d.ID, old, store.IndexEntries(&d)); err != nil {
				return fmt.Errorf("decision %s: %w", d.ID, err)
			}
			n++
		}
		return applyLoad(ctx, tx, load)
	})
	if err != nil {
		return 0, fmt.Errorf("set next checks: %w", err)
	}
	return n, nil
}

// Count is the number of decisions stored.
func (s *Store) Count() (int, error) {
	return s.count("decisions", "count decisions")
}

const eachBatch = 1000

// Each calls fn for every decision in id order, reading in batches.
func (s *Store) Each(fn func(decisions.Decision) error) error {
	after := int64(0)
	for {
		ctx, cancel := s.op()
		batch, err := scanDecisions(s.pool.Query(ctx, "SELECT body FROM decisions WHERE id > $1 ORDER BY id LIMIT $2", after, eachBatch))
		cancel()
		if err != nil {
			return fmt.Errorf("each decision: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		for _, d := range batch {
			if err := fn(d); err != nil {
				return err
			}
		}
		after = int64(batch[len(batch)-1].ID)
	}
}

func scanDecisions(rows pgx.Rows, err error) ([]decisions.Decision, error) {
	if err != nil {
		return nil, err
	}
	out := []decisions.Decision{}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var d decisions.Decision
		if err := json.Unmarshal(body, &d); err != nil {
			return nil, fmt.Errorf("decode decision: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Import stores decisions under the ids they already have (baton store
// copy), and moves the id sequence past them. An id already taken is an
// error and nothing is written.
func (s *Store) Import(ds []decisions.Decision) error {
	var drows, irows [][]any
	maxID := int64(0)
	load := loadDelta{}
	for i := range ds {
		d := &ds[i]
		if err := store.ValidateDecision(d); err != nil {
			return fmt.Errorf("import: decision %s: %w", d.ID, err)
		}
		if d.ID == 0 {
			return fmt.Errorf("import: decision %d of %d has no id", i+1, len(ds))
		}
		body, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("import: encode decision %s: %w", d.ID, err)
		}
		drows = append(drows, []any{int64(d.ID), body})
		seen := map[string]bool{}
		for _, e := range store.IndexEntries(d) {
			if k := e.Index + "\x00" + string(e.Key); !seen[k] {
				seen[k] = true
				irows = append(irows, []any{e.Index, e.Key, int64(d.ID)})
			}
		}
		maxID = max(maxID, int64(d.ID))
		load.add(store.IndexEntries(d), 1)
	}
	if len(ds) == 0 {
		return nil
	}
	return s.tx(func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"decisions"}, []string{"id", "body"}, pgx.CopyFromRows(drows)); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"decision_index"}, []string{"idx", "key", "id"}, pgx.CopyFromRows(irows)); err != nil {
			return fmt.Errorf("import: index: %w", err)
		}
		if err := applyLoad(ctx, tx, load); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		_, err := tx.Exec(ctx, `SELECT setval('decision_id', greatest($1, (SELECT last_value FROM decision_id)))`, maxID)
		return err
	})
}

// createSQL is a new decision in one statement: $1 to $5 its outbox items
// (insertOutboxCTE), $6 the event to mark or NULL, $7 when it was seen, $8
// the id, $9 the body, $10 and $11 the index keys (insertIndexSQL), $12 the
// NOTIFY channel and $13 whether to notify. It returns whether it wrote: false
// when the event was seen before, and then nothing is written. The outbox
// and index rows wait for the decision row (each CTE's RETURNING), and the
// foreign key is checked at the statement's end, when all are in.
var createSQL = `WITH ev AS (
		INSERT INTO events (id, seen_at) SELECT $6, $7 WHERE $6::bytea IS NOT NULL
		ON CONFLICT (id) DO NOTHING RETURNING 1),
	fresh AS (SELECT $6::bytea IS NULL OR EXISTS (SELECT 1 FROM ev) AS ok),
	dec AS (
		INSERT INTO decisions (id, body) SELECT $8, $9 FROM fresh WHERE fresh.ok RETURNING id),
	ins_index AS (
		INSERT INTO decision_index (idx, key, id)
		SELECT i, k, $8 FROM unnest($10::text[], $11::bytea[]) AS t(i, k) WHERE EXISTS (SELECT 1 FROM dec)),
	` + insertOutboxCTE("EXISTS (SELECT 1 FROM dec)") + `
	SELECT fresh.ok, CASE WHEN fresh.ok AND $13 THEN pg_notify($12, '') END FROM fresh`

// insertIndexSQL adds a decision's index keys ($1 indexes, $2 keys, $3 id).
const insertIndexSQL = `INSERT INTO decision_index (idx, key, id)
	SELECT i, k, $3 FROM unnest($1::text[], $2::bytea[]) AS t(i, k)`

// entryArrays splits entries into the arrays insertIndexSQL takes, each
// entry once.
func entryArrays(es []store.IndexEntry) ([]string, [][]byte) {
	seen := make(map[string]bool, len(es))
	idx, keys := make([]string, 0, len(es)), make([][]byte, 0, len(es))
	for _, e := range es {
		if k := e.Index + "\x00" + string(e.Key); !seen[k] {
			seen[k] = true
			idx, keys = append(idx, e.Index), append(keys, e.Key)
		}
	}
	return idx, keys
}
