package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// maxCheckErrors bounds what Check reports about a badly broken database.
const maxCheckErrors = 20

// Check is the twin of the bbolt store's Check: every decision's index keys
// (store.IndexEntries) are in decision_index pointing at it, there is no
// other key, and every outbox row's due column matches its item. PostgreSQL
// checks its own pages; this checks what Baton derives. It reads
// everything: for tests and tools, not the hot path.
func (s *Store) Check() error {
	ctx, cancel := s.op()
	defer cancel()
	var errs []error
	report := func(err error) bool {
		errs = append(errs, err)
		return len(errs) < maxCheckErrors
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	// One snapshot for every read below.
	if _, err := tx.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	want := map[string]decisions.ID{}
	rows, err := tx.Query(ctx, "SELECT id, body FROM decisions ORDER BY id")
	if err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	for rows.Next() {
		var id int64
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			rows.Close()
			return fmt.Errorf("check postgres %s: %w", s.name, err)
		}
		var d decisions.Decision
		if err := json.Unmarshal(body, &d); err != nil {
			report(fmt.Errorf("decision %d: %w", id, err))
			continue
		}
		if int64(d.ID) != id {
			report(fmt.Errorf("decision row %d holds decision %s", id, d.ID))
		}
		for _, e := range store.IndexEntries(&d) {
			want[e.Index+"\x00"+string(e.Key)] = d.ID
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	rows, err = tx.Query(ctx, "SELECT idx, key, id FROM decision_index")
	if err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	for rows.Next() {
		var idx string
		var key []byte
		var id int64
		if err := rows.Scan(&idx, &key, &id); err != nil {
			rows.Close()
			return fmt.Errorf("check postgres %s: %w", s.name, err)
		}
		k := idx + "\x00" + string(key)
		wid, ok := want[k]
		switch {
		case !ok:
			report(fmt.Errorf("%s holds stray key %q (decision %d)", idx, key, id))
		case int64(wid) != id:
			report(fmt.Errorf("%s key %q points at %d, not %s", idx, key, id, wid))
		}
		delete(want, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	for k, id := range want {
		idx, key, _ := cut(k)
		if !report(fmt.Errorf("%s misses key %q of decision %s", idx, key, id)) {
			break
		}
	}
	if err := checkOutbox(ctx, tx, report); err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	if err := checkLoad(ctx, tx, report); err != nil {
		return fmt.Errorf("check postgres %s: %w", s.name, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("check postgres %s: %w", s.name, errors.Join(errs...))
	}
	return nil
}

func cut(k string) (string, string, bool) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:], true
		}
	}
	return k, "", false
}

// checkOutbox verifies that each pending item's due column is its NotBefore
// and that no key is both pending and delivered.
func checkOutbox(ctx context.Context, tx pgx.Tx, report func(error) bool) error {
	rows, err := tx.Query(ctx, "SELECT key, header, not_before FROM outbox")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key, hdr []byte
		var due int64
		if err := rows.Scan(&key, &hdr, &due); err != nil {
			return err
		}
		var it store.OutboxItem
		if err := json.Unmarshal(hdr, &it); err != nil {
			report(fmt.Errorf("outbox item %s: %w", key, err))
			continue
		}
		if string(key) != it.Key {
			report(fmt.Errorf("outbox row %s holds item %s", key, it.Key))
		}
		if nanos(it.NotBefore) != due {
			report(fmt.Errorf("outbox item %s is due at %d, its row says %d", key, nanos(it.NotBefore), due))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var both int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM outbox o JOIN delivered d ON d.key = o.key").Scan(&both); err != nil {
		return err
	}
	if both > 0 {
		report(fmt.Errorf("%d outbox keys are both pending and delivered", both))
	}
	return nil
}
