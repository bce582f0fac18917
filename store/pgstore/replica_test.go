package pgstore_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
	"github.com/baton-app/baton/store/storetest"
)

func now() time.Time { return storetest.T0 }

// openSchema opens another store (a replica) on an existing schema.
func openSchema(t *testing.T, schema string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{Schema: schema, Now: now, MaxConns: 8})
	if err != nil {
		t.Fatalf("open %s: %v", schema, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestCheckFindsBrokenIndexes: the index check can fail.
func TestCheckFindsBrokenIndexes(t *testing.T) {
	if dsn == "" {
		t.SkipNow()
	}
	schema := newSchema(t)
	s := openSchema(t, schema)
	d, err := s.CreateDecision(storetest.Proposal("x", "U1", "product", "U2"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Pool().Exec(ctx, "DELETE FROM decision_index WHERE idx = $1", store.IndexStatus); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, "INSERT INTO decision_index (idx, key, id) VALUES ($1, 'stray', $2)", store.IndexDue, int64(d.ID)); err != nil {
		t.Fatal(err)
	}
	err = s.Check()
	if err == nil || !strings.Contains(err.Error(), "idx_status misses key") || !strings.Contains(err.Error(), "stray") {
		t.Errorf("Check = %v, want the missing and the stray key", err)
	}
}

// TestMigrations: opening again migrates nothing; a database newer than
// this build is refused, not written to.
func TestMigrations(t *testing.T) {
	if dsn == "" {
		t.SkipNow()
	}
	schema := newSchema(t)
	s := openSchema(t, schema)
	openSchema(t, schema)
	v, err := s.Version()
	if err != nil || v != pgstore.SchemaVersion() || v < 1 {
		t.Fatalf("Version = %d, %v; want %d", v, err, pgstore.SchemaVersion())
	}
	if _, err := s.Pool().Exec(context.Background(), "INSERT INTO schema_migrations (version, name) VALUES ($1, 'future')", v+1); err != nil {
		t.Fatal(err)
	}
	_, err = pgstore.Open(context.Background(), dsn, pgstore.Options{Schema: schema})
	if err == nil || !strings.Contains(err.Error(), "upgrade baton") {
		t.Errorf("open of a newer schema = %v, want refused", err)
	}
}

// TestReplicasShareOneTruth: two stores on one database, as two replicas
// are, never give the same id, answer one Slack event once and record one
// run of a job once.
func TestReplicasShareOneTruth(t *testing.T) {
	if dsn == "" {
		t.SkipNow()
	}
	schema := newSchema(t)
	reps := []*pgstore.Store{openSchema(t, schema), openSchema(t, schema), openSchema(t, schema)}
	defer func() {
		if err := reps[0].Check(); err != nil {
			t.Error(err)
		}
	}()
	const n = 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[decisions.ID]bool{}
	created, dups, runs := 0, 0, 0
	for i := range n {
		r := reps[i%len(reps)]
		wg.Go(func() {
			id, release := r.ReserveID()
			defer release()
			d := storetest.Proposal("p", "U1", "product", "U2")
			d.ID = id
			out, err := r.CreateDecision(d, func(d decisions.Decision) ([]store.OutboxItem, error) {
				return []store.OutboxItem{{Key: d.ID.String() + "/announce"}}, nil
			})
			_, everr := r.CreateDecisionForEvent("Ev-retried", storetest.T0, storetest.Proposal("e", "U1", "product", "U2"), nil)
			runErr := r.CompleteRun("digest", storetest.T0, store.OutboxItem{Key: "digest/C1"})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Error(err)
			} else if ids[out.ID] {
				t.Errorf("id %s given twice", out.ID)
			}
			ids[out.ID] = true
			switch {
			case everr == nil:
				created++
			case errors.Is(everr, store.ErrDuplicateEvent):
				dups++
			default:
				t.Error(everr)
			}
			if runErr == nil {
				runs++
			} else if !errors.Is(runErr, store.ErrAlreadyRun) {
				t.Error(runErr)
			}
		})
	}
	wg.Wait()
	if created != 1 || dups != n-1 || runs != 1 {
		t.Errorf("event created %d (dups %d), job ran %d; want 1, %d, 1", created, dups, runs, n-1)
	}
	if c, _ := reps[1].Count(); c != n+1 {
		t.Errorf("count = %d, want %d", c, n+1)
	}
	if c, _ := reps[2].OutboxLen(); c != n+1 {
		t.Errorf("outbox = %d, want %d", c, n+1)
	}
}
