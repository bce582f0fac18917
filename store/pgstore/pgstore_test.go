package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
	"github.com/baton-app/baton/store/storetest"
)

// EnvDSN names the database the PostgreSQL tests use; .ci/run sets it to a
// fresh database per run.
const EnvDSN = "BATON_TEST_POSTGRES"

var dsn string

func TestMain(m *testing.M) {
	dsn = os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			fmt.Println("pgstore: CI=true but " + EnvDSN + " is not set: the PostgreSQL tests cannot run (.ci/run sets it)")
			os.Exit(1)
		}
		fmt.Println("pgstore: PostgreSQL tests skipped; run them with " + EnvDSN + "=postgres://postgres@127.0.0.1:5432/test go test ./store/pgstore/ (or .ci/run)")
	}
	os.Exit(m.Run())
}

// Open is a fresh store in its own schema of the test database, checked
// (the twin of bbolt's index check) and dropped at the end of the test.
func Open(t *testing.T, now func() time.Time) *pgstore.Store {
	t.Helper()
	if dsn == "" {
		t.SkipNow()
	}
	schema := newSchema(t)
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{Schema: schema, Now: now, MaxConns: 8})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Check(); err != nil {
			t.Errorf("consistency check: %v", err)
		}
		_ = s.Close()
	})
	return s
}

// newSchema names a schema for t and drops it when t ends.
func newSchema(t *testing.T) string { return pgstore.ScratchSchema(t, dsn, "t_") }

func TestConformance(t *testing.T) {
	if dsn == "" {
		t.SkipNow() // TestMain said how to run it
	}
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Backend { return Open(t, now) })
}
