package bot_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
)

// checkedStore is a store whose indexes the harness checks when it closes:
// bbolt's Check, or pgstore's twin of it.
type checkedStore interface {
	store.Backend
	Check() error
}

// onPostgres reports whether the end-to-end suite runs on PostgreSQL:
// BATON_TEST_STORE=postgres with BATON_TEST_POSTGRES naming the database,
// so the same tests prove both stores.
func onPostgres() bool { return os.Getenv("BATON_TEST_STORE") == "postgres" }

// openStore opens e's store: the bbolt file at e.dbPath, or on PostgreSQL
// a schema named after that path (so a restart finds the same data),
// dropped when the test ends.
func (e *e2e) openStore() (checkedStore, error) {
	if !onPostgres() {
		st, err := store.Open(e.dbPath, store.Options{Now: e.clock.Now})
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	dsn := os.Getenv("BATON_TEST_POSTGRES")
	if dsn == "" {
		e.t.Fatal("BATON_TEST_STORE=postgres needs BATON_TEST_POSTGRES, the database to use")
	}
	if e.schema == "" {
		sum := sha256.Sum256([]byte(e.dbPath))
		e.schema = "e2e_" + hex.EncodeToString(sum[:8])
		schema := e.schema
		// Registered before e.close, so it runs after it.
		e.t.Cleanup(func() {
			ctx := context.Background()
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				e.t.Errorf("drop schema: %v", err)
				return
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
				e.t.Errorf("drop schema: %v", err)
			}
		})
	}
	st, err := pgstore.Open(e.ctx(), dsn, pgstore.Options{Schema: e.schema, Now: e.clock.Now, MaxConns: 8})
	if err != nil {
		return nil, err
	}
	return st, nil
}
