package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

func TestCheckDueAndSetNextChecks(t *testing.T) {
	h := newTestDB(t)
	q := listed(t)
	hour := time.Hour
	fresh := h.create(proposal("fresh", "UALICE", "ops", "UBOB")) // zero NextCheck: due at once
	later := proposal("later", "UALICE", "ops", "UBOB")
	later.NextCheck = t0.Add(5 * hour)
	later = h.create(later)
	soon := proposal("soon", "UALICE", "ops", "UBOB")
	soon.NextCheck = t0.Add(2 * hour)
	soon = h.create(soon)
	closed := proposal("closed", "UALICE", "ops", "UBOB")
	closed.Status, closed.DecidedAt, closed.NextCheck = decisions.StatusApproved, t0, t0
	closed = h.create(closed)

	wantIDs(t, "CheckDue(t0)", q(h.CheckDue(t0, 0)), fresh.ID)
	wantIDs(t, "CheckDue(soon) is inclusive", q(h.CheckDue(t0.Add(2*hour), 0)), fresh.ID, soon.ID)
	wantIDs(t, "CheckDue(all)", q(h.CheckDue(t0.Add(10*hour), 0)), fresh.ID, soon.ID, later.ID)
	wantIDs(t, "CheckDue(all, 2)", q(h.CheckDue(t0.Add(10*hour), 2)), fresh.ID, soon.ID)

	n, err := h.SetNextChecks([]NextCheck{
		{ID: fresh.ID, Events: 1, At: t0.Add(3 * hour)},
		{ID: soon.ID, Events: 2, At: t0.Add(9 * hour)}, // stale: the history has 1 event
		{ID: closed.ID, Events: 1, At: t0.Add(hour)},   // closed: not indexed
		{ID: 99, Events: 1, At: t0},                    // missing
	})
	if err != nil || n != 1 {
		t.Fatalf("SetNextChecks = %d, %v; want 1 set", n, err)
	}
	if d, _ := h.Decision(fresh.ID); !d.NextCheck.Equal(t0.Add(3 * hour)) {
		t.Errorf("fresh.NextCheck = %v", d.NextCheck)
	}
	wantIDs(t, "CheckDue after SetNextChecks", q(h.CheckDue(t0.Add(4*hour), 0)), soon.ID, fresh.ID)

	// Closing a decision takes it out of the index.
	h.update(soon.ID, func(d *decisions.Decision) { d.Status, d.DecidedAt = decisions.StatusRejected, t0 })
	wantIDs(t, "CheckDue after reject", q(h.CheckDue(t0.Add(10*hour), 0)), fresh.ID, later.ID)

	// The scan reads only its range: the decisions checked later are not
	// visited (one key past the range ends it).
	before := scanned.Load()
	if got := q(h.CheckDue(t0, 0)); len(got) != 0 {
		t.Errorf("CheckDue(t0) = %v", got)
	}
	if n := scanned.Load() - before; n > 1 {
		t.Errorf("CheckDue visited %d keys for no result", n)
	}
}

func TestPendingCountsAndOverdue(t *testing.T) {
	h := newTestDB(t)
	q := listed(t)
	day := 24 * time.Hour
	now := t0.Add(10 * day)
	mk := func(domain string, st decisions.Status, due time.Time) decisions.Decision {
		d := proposal("d", "UALICE", domain, "UBOB")
		d.Status, d.Due = st, due
		switch st {
		case decisions.StatusDeferred:
			d.DeferredUntil = now.Add(day)
		case decisions.StatusApproved:
			d.DecidedAt = t0
		}
		return h.create(d)
	}
	a1 := mk("product", decisions.StatusOpen, now.Add(-2*day)) // overdue
	a2 := mk("product", decisions.StatusOpen, now.Add(-day))   // overdue
	mk("product", decisions.StatusOpen, now)                   // due exactly now: not yet overdue
	mk("product", decisions.StatusOpen, time.Time{})           // no due date
	mk("product", decisions.StatusDeferred, now.Add(-3*day))   // deferred: never overdue
	mk("product", decisions.StatusApproved, now.Add(-3*day))   // closed: not counted
	p := mk("product/pricing", decisions.StatusOpen, now.Add(-3*day))
	mk("productivity", decisions.StatusDeferred, time.Time{})

	got, err := h.PendingCounts(now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Pending{
		"product":         {Open: 4, Deferred: 1, Overdue: 2},
		"product/pricing": {Open: 1, Overdue: 1},
		"productivity":    {Deferred: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("PendingCounts = %v, want %v", got, want)
	}
	wantIDs(t, "DueBefore(now)", q(h.DueBefore(now, 0)), p.ID, a1.ID, a2.ID)
	wantIDs(t, "DueBefore(now, 2)", q(h.DueBefore(now, 2)), p.ID, a1.ID)
	wantIDs(t, "ByStatusOldest(open, 2)", q(h.ByStatusOldest(decisions.StatusOpen, 2)), a1.ID, a2.ID)

	// Moving a decision keeps the counts right.
	h.update(p.ID, func(d *decisions.Decision) { d.Domain, d.Due = "product", time.Time{} })
	got, _ = h.PendingCounts(now)
	if got["product"].Open != 5 || got["product"].Overdue != 2 || got["product/pricing"] != (Pending{}) {
		t.Errorf("PendingCounts after move = %v", got)
	}
}

// A store written before the scheduler's indexes existed gets them on open.
func TestMigrationIndexesPendingDecisions(t *testing.T) {
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = saved[:1]
	h := newTestDB(t)
	open := h.create(proposal("open", "UALICE", "ops", "UBOB"))
	deferred := proposal("deferred", "UALICE", "ops", "UBOB")
	deferred.Status, deferred.DeferredUntil = decisions.StatusDeferred, t0.Add(time.Hour)
	h.create(deferred)
	closed := proposal("closed", "UALICE", "ops", "UBOB")
	closed.Status, closed.DecidedAt = decisions.StatusApproved, t0
	h.create(closed)
	// A v1 baton wrote no entries in the v2 indexes.
	err := h.db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{idxCheck, idxPending} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Close without the consistency check: a v1 file lacks v2's entries.
	if err := h.Store.Close(); err != nil {
		t.Fatal(err)
	}
	migrations = saved
	h.open() // runs v2; Check runs on close at the end of the test
	wantIDs(t, "CheckDue after migration", listed(t)(h.CheckDue(t0, 0)), open.ID)
	if got, _ := h.PendingCounts(t0); got["ops"] != (Pending{Open: 1, Deferred: 1}) {
		t.Errorf("PendingCounts after migration = %v", got)
	}
}
