package pgstore

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// loadDelta is how a transaction changes open_load, the open decisions per
// decider: collected as its writes move decider index keys, and applied
// once, at its end, in decider order, so the counter rows are locked
// briefly and in one order by every transaction (no deadlock among them).
type loadDelta map[string]int

// add counts the open-decider keys among es (each key once) sign times.
func (l loadDelta) add(es []store.IndexEntry, sign int) {
	seen := map[string]bool{}
	for _, e := range es {
		if u, ok := openDecider(e); ok && !seen[string(e.Key)] {
			seen[string(e.Key)] = true
			l[u] += sign
		}
	}
}

// openDecider is the user of a decider key (user 0 status 0 id) of an
// open decision.
func openDecider(e store.IndexEntry) (string, bool) {
	if e.Index != store.IndexDecider {
		return "", false
	}
	user, rest, ok := bytes.Cut(e.Key, []byte{0})
	if !ok {
		return "", false
	}
	st, _, ok := bytes.Cut(rest, []byte{0})
	return string(user), ok && string(st) == string(decisions.StatusOpen)
}

// applyLoad adds l to open_load in tx.
func applyLoad(ctx context.Context, tx pgx.Tx, l loadDelta) error {
	var users [][]byte
	var ns []int64
	for _, u := range slices.Sorted(maps.Keys(l)) {
		if l[u] != 0 {
			users, ns = append(users, []byte(u)), append(ns, int64(l[u]))
		}
	}
	if len(users) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO open_load (decider, n) SELECT * FROM unnest($1::bytea[], $2::bigint[])
		ON CONFLICT (decider) DO UPDATE SET n = open_load.n + excluded.n`, users, ns)
	if err != nil {
		return fmt.Errorf("open load: %w", err)
	}
	return nil
}

// checkLoad reports every decider whose open_load count differs from the
// decider keys of open decisions.
func checkLoad(ctx context.Context, tx pgx.Tx, report func(error) bool) error {
	rows, err := tx.Query(ctx, `WITH counted AS (
			SELECT substring(key FROM 1 FOR p - 1) AS decider, count(*) AS n
			FROM (SELECT key, position('\x00'::bytea IN key) AS p FROM decision_index WHERE idx = $1) t
			WHERE p > 0 AND substring(key FROM p + 1 FOR $3) = $2 GROUP BY 1)
		SELECT coalesce(c.decider, o.decider), coalesce(c.n, 0), coalesce(o.n, 0)
		FROM counted c FULL JOIN open_load o ON o.decider = c.decider
		WHERE coalesce(c.n, 0) <> coalesce(o.n, 0)`, store.IndexDecider, openStatusKey, len(openStatusKey))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u []byte
		var want, got int64
		if err := rows.Scan(&u, &want, &got); err != nil {
			return err
		}
		if !report(fmt.Errorf("open_load counts %d open decisions for %s, the decider index %d", got, u, want)) {
			break
		}
	}
	return rows.Err()
}

// openStatusKey is the status part of an open decision's decider key.
var openStatusKey = append([]byte(decisions.StatusOpen), 0)
