package pgstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// TestOpenLoadMigration: a database from before open_load gets it filled
// from the decider index, counting open decisions only; Check catches a
// count that drifts.
func TestOpenLoadMigration(t *testing.T) {
	s := openGroupTest(t, 1)[0]
	for i, deciders := range [][]string{{"U2"}, {"U2", "U3"}, {"U3"}} {
		d := proposal(fmt.Sprintf("P%d", i))
		d.Deciders = deciders
		if _, err := s.CreateDecision(d, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The third is decided: it no longer counts.
	if _, err := s.UpdateDecision(3, func(d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) {
		d.Status = decisions.StatusApproved
		d.DecidedAt = t0
		return d, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, "DROP TABLE open_load; DELETE FROM schema_migrations WHERE version = 2"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.migrate(ctx); err != nil || v != 2 {
		t.Fatalf("migrate: %d, %v", v, err)
	}
	load, err := s.OpenLoad()
	if err != nil || fmt.Sprint(load) != "map[U2:2 U3:1]" {
		t.Errorf("OpenLoad after the migration = %v, %v; want map[U2:2 U3:1]", load, err)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE open_load SET n = n + 1 WHERE decider = 'U3'"); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err == nil || !strings.Contains(err.Error(), "open_load counts 2 open decisions for U3, the decider index 1") {
		t.Errorf("Check = %v, want the drifted count", err)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE open_load SET n = n - 1 WHERE decider = 'U3'"); err != nil {
		t.Fatal(err)
	}
}
