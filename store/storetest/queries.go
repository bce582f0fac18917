package storetest

import (
	"maps"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

func testIndexQueries(t *testing.T, b store.Backend) {
	a := create(t, b, Proposal("a", "U1", "product", "U2", "U3"))
	p := create(t, b, Proposal("p", "U1", "product/pricing", "U2"))
	q := create(t, b, Proposal("q", "U4", "productivity", "U3"))
	r := update(t, b, create(t, b, Proposal("r", "U4", "eng", "U2")).ID, func(d *decisions.Decision) {
		d.Status = decisions.StatusRejected
		d.DecidedAt = T0.Add(time.Hour)
	})
	ds, err := b.ByStatus(decisions.StatusOpen, 0)
	want(t, "ByStatus(open)", ds, err, q.ID, p.ID, a.ID)
	ds, err = b.ByStatus(decisions.StatusOpen, 2)
	want(t, "ByStatus(open, 2)", ds, err, q.ID, p.ID)
	ds, err = b.ByStatusOldest(decisions.StatusOpen, 2)
	want(t, "ByStatusOldest(open, 2)", ds, err, a.ID, p.ID)
	ds, err = b.ByStatus(decisions.StatusApproved, 0)
	want(t, "ByStatus(approved)", ds, err)
	ds, err = b.ByDecider("U2", decisions.StatusOpen, 0)
	want(t, "ByDecider(U2, open)", ds, err, p.ID, a.ID)
	ds, err = b.ByDecider("U2", "", 0)
	want(t, "ByDecider(U2, any)", ds, err, r.ID, p.ID, a.ID)
	ds, err = b.ByDecider("U2", "", 1)
	want(t, "ByDecider(U2, any, 1)", ds, err, r.ID)
	ds, err = b.ByDecider("U", "", 0) // a prefix of user ids is not a user
	want(t, "ByDecider(U)", ds, err)
	ds, err = b.ByProposer("U4", 0)
	want(t, "ByProposer(U4)", ds, err, r.ID, q.ID)
	ds, err = b.ByDomain("product", 0)
	want(t, "ByDomain(product)", ds, err, a.ID)
	ds, err = b.ByDomainTree("product/", 0)
	want(t, "ByDomainTree(product)", ds, err, p.ID, a.ID)
	ds, err = b.ByDomainTree("", 0)
	want(t, "ByDomainTree(all)", ds, err, r.ID, q.ID, p.ID, a.ID)
	ds, err = b.Newest(3)
	want(t, "Newest(3)", ds, err, r.ID, q.ID, p.ID)
	load, err := b.OpenLoad()
	if err != nil {
		t.Fatal(err)
	}
	if wantLoad := map[string]int{"U2": 2, "U3": 2}; !maps.Equal(load, wantLoad) {
		t.Errorf("OpenLoad = %v, want %v", load, wantLoad)
	}
}

func testReindex(t *testing.T, b store.Backend) {
	d := Proposal("x", "U1", "product", "U2")
	d.Due = T0.Add(24 * time.Hour)
	d = create(t, b, d)
	// Deferred: off the due index, on the deferred one.
	update(t, b, d.ID, func(d *decisions.Decision) {
		d.Status = decisions.StatusDeferred
		d.DeferredUntil = T0.Add(72 * time.Hour)
	})
	ds, err := b.DueBetween(T0, T0.Add(100*time.Hour))
	want(t, "DueBetween after deferring", ds, err)
	ds, err = b.DeferredUntilBefore(T0.Add(72 * time.Hour))
	want(t, "DeferredUntilBefore(until) is inclusive", ds, err, d.ID)
	pending, err := b.PendingCounts(T0)
	if err != nil {
		t.Fatal(err)
	}
	if p := pending["product"]; p.Deferred != 1 || p.Open != 0 {
		t.Errorf("PendingCounts = %+v, want 1 deferred", pending)
	}
	// Reopened and overdue, then decided and reassigned.
	update(t, b, d.ID, func(d *decisions.Decision) {
		d.Status = decisions.StatusOpen
		d.DeferredUntil = time.Time{}
	})
	pending, _ = b.PendingCounts(T0.Add(48 * time.Hour))
	if p := pending["product"]; p.Open != 1 || p.Overdue != 1 || p.Deferred != 0 {
		t.Errorf("PendingCounts after reopening = %+v, want 1 open, 1 overdue", pending)
	}
	update(t, b, d.ID, func(d *decisions.Decision) {
		d.Status = decisions.StatusApproved
		d.DecidedAt = T0.Add(2 * time.Hour)
		d.Deciders = []string{"U9", "U9"}
		d.Domain = "eng"
	})
	ds, err = b.ByDecider("U2", "", 0)
	want(t, "ByDecider(old decider)", ds, err)
	ds, err = b.ByDecider("U9", decisions.StatusApproved, 0)
	want(t, "ByDecider(new decider)", ds, err, d.ID)
	ds, err = b.ByDomain("product", 0)
	want(t, "ByDomain(old domain)", ds, err)
	ds, err = b.DecidedBetween(T0, T0.Add(3*time.Hour))
	want(t, "DecidedBetween", ds, err, d.ID)
	pending, _ = b.PendingCounts(T0)
	if len(pending) != 0 {
		t.Errorf("PendingCounts after deciding = %v, want none", pending)
	}
}

func testTimeRanges(t *testing.T, b store.Backend) {
	var all []decisions.ID
	for i := range 5 {
		d := Proposal("x", "U1", "product", "U2")
		d.CreatedAt = T0.Add(time.Duration(i) * time.Hour)
		d.Due = T0.Add(time.Duration(i) * 24 * time.Hour)
		d.NextCheck = T0.Add(time.Duration(i) * time.Minute)
		all = append(all, create(t, b, d).ID)
	}
	ds, err := b.CreatedBetween(T0.Add(time.Hour), T0.Add(3*time.Hour))
	want(t, "CreatedBetween [1h, 3h)", ds, err, all[1], all[2])
	ds, err = b.DueBetween(T0.Add(24*time.Hour), T0.Add(48*time.Hour))
	want(t, "DueBetween [1d, 2d)", ds, err, all[1])
	ds, err = b.DueBefore(T0.Add(72*time.Hour), 2)
	want(t, "DueBefore(3d, 2)", ds, err, all[0], all[1])
	ds, err = b.CheckDue(T0.Add(2*time.Minute), 0)
	want(t, "CheckDue(2m) is inclusive", ds, err, all[0], all[1], all[2])
	ds, err = b.CheckDue(T0.Add(time.Hour), 1)
	want(t, "CheckDue(1h, 1)", ds, err, all[0])
	// Times before 1678 and after 2262 clamp, as keys do, and still sort.
	ds, err = b.CreatedBetween(time.Time{}, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
	want(t, "CreatedBetween(forever)", ds, err, all...)
}

func testRegister(t *testing.T, b store.Backend) {
	a := Proposal("Move billing to Stripe", "U1", "finance", "U2")
	a.ReviewOn = T0.Add(30 * 24 * time.Hour)
	a = create(t, b, a)
	c := Proposal("Stripe webhooks retry policy", "U1", "eng", "U2")
	c.Misroutes = []decisions.Misroute{{At: T0.Add(2 * time.Hour), From: "finance", To: "eng"}, {At: T0.Add(time.Hour), From: "ops", To: "finance"}}
	c = create(t, b, c)
	w := Proposal("Withdrawn review", "U1", "eng", "U2")
	w.ReviewOn = T0.Add(time.Hour)
	w.Status = decisions.StatusWithdrawn
	create(t, b, w)
	ds, err := b.Search("stripe billing", 10)
	want(t, "Search(stripe billing)", ds, err, a.ID, c.ID)
	ds, err = b.Search("stripe", 1)
	want(t, "Search(stripe, 1)", ds, err, c.ID)
	if ds, err := b.Search("", 10); err != nil || len(ds) != 0 {
		t.Errorf("Search(\"\") = %v, %v", ds, err)
	}
	ds, err = b.ReviewsBetween(T0, T0.Add(365*24*time.Hour))
	want(t, "ReviewsBetween (withdrawn left out)", ds, err, a.ID)
	ds, err = b.Misrouted(T0, T0.Add(24*time.Hour), 0)
	want(t, "Misrouted (each once)", ds, err, c.ID)
	ds, err = b.Misrouted(T0.Add(90*time.Minute), T0.Add(24*time.Hour), 0)
	want(t, "Misrouted (later half)", ds, err, c.ID)
	ds, err = b.Misrouted(T0.Add(3*time.Hour), T0.Add(24*time.Hour), 0)
	want(t, "Misrouted (after both)", ds, err)
	// Newest misroute first, bounded.
	e := Proposal("Refund policy", "U1", "finance", "U2")
	e.Misroutes = []decisions.Misroute{{At: T0.Add(5 * time.Hour), From: "eng", To: "finance"}}
	e = create(t, b, e)
	ds, err = b.Misrouted(T0, T0.Add(24*time.Hour), 1)
	want(t, "Misrouted (newest, 1)", ds, err, e.ID)
	ds, err = b.CreatedSince(T0.Add(-time.Hour), T0.Add(time.Hour), 2)
	if err != nil || len(ds) != 2 || ds[0].ID < ds[1].ID {
		t.Errorf("CreatedSince(limit 2) = %v, %v: want the 2 newest, newest first", ids(ds), err)
	}
	ds, err = b.ReviewsDue(T0, T0.Add(365*24*time.Hour), 10)
	want(t, "ReviewsDue", ds, err, a.ID)
	// Reviews asked and not answered come too, once each (two people
	// owe one), but only those dated in the window, in date order.
	asked := func(title string, on time.Time) decisions.Decision {
		d := Proposal(title, "U1", "eng", "U2")
		d.ReviewOn = on
		d.History = append(d.History, decisions.Event{At: on, Actor: decisions.SystemActor, Kind: decisions.EventReviewAsked, Users: []string{"U1", "U2"}})
		return create(t, b, d)
	}
	early := asked("Asked, in the window", T0.Add(48*time.Hour))
	asked("Asked, before the window", T0.Add(-48*time.Hour))
	ds, err = b.ReviewsBetween(T0, T0.Add(365*24*time.Hour))
	want(t, "ReviewsBetween (asked ones in the window, by date)", ds, err, early.ID, a.ID)
}

func testSetNextChecks(t *testing.T, b store.Backend) {
	a := create(t, b, Proposal("a", "U1", "product", "U2"))
	c := create(t, b, Proposal("c", "U1", "product", "U2"))
	closed := update(t, b, create(t, b, Proposal("z", "U1", "product", "U2")).ID, func(d *decisions.Decision) {
		d.Status = decisions.StatusApproved
		d.DecidedAt = T0
	})
	// c changed since the scheduler read it (one more event): skipped.
	update(t, b, c.ID, func(d *decisions.Decision) {
		d.History = append(d.History, decisions.Event{At: T0, Actor: "U1", Kind: "edited"})
	})
	later := T0.Add(6 * time.Hour)
	n, err := b.SetNextChecks([]store.NextCheck{
		{ID: a.ID, Events: 1, At: later},
		{ID: c.ID, Events: 1, At: later},
		{ID: closed.ID, Events: 1, At: later},
		{ID: 999, Events: 1, At: later},
	})
	if err != nil || n != 1 {
		t.Fatalf("SetNextChecks = %d, %v; want 1", n, err)
	}
	ds, err := b.CheckDue(T0, 0)
	want(t, "CheckDue(now)", ds, err, c.ID)
	ds, err = b.CheckDue(later, 0)
	want(t, "CheckDue(later)", ds, err, c.ID, a.ID)
}

func testPutBulkAndEach(t *testing.T, b store.Backend) {
	if err := b.PutBulk([]decisions.Decision{Proposal("ok", "U1", "p", "U2"), Proposal("bad", "U1", "p\x00", "U2")}); err == nil {
		t.Error("PutBulk with a bad decision: no error")
	}
	first := create(t, b, Proposal("first", "U1", "p", "U2"))
	ds := make([]decisions.Decision, 25)
	for i := range ds {
		ds[i] = Proposal("bulk", "U1", "p", "U2")
	}
	if err := b.PutBulk(ds); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(ds); i++ {
		if ds[i].ID <= ds[i-1].ID || ds[0].ID <= first.ID {
			t.Fatalf("bulk ids not in order: %v", ids(ds))
		}
	}
	if n := count(t, b); n != 26 {
		t.Errorf("count = %d, want 26", n)
	}
	var seen []decisions.ID
	if err := b.Each(func(d decisions.Decision) error { seen = append(seen, d.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 26 || seen[0] != first.ID || seen[25] != ds[24].ID {
		t.Errorf("Each visited %v", seen)
	}
	stop := errBuild
	n := 0
	if err := b.Each(func(decisions.Decision) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("Each stopping: %v after %d", err, n)
	}
}

// testStuck: a decision the scheduler recorded stuck is found by
// StuckOldest, longest stuck first, until it changes hands or closes.
func testStuck(t *testing.T, b store.Backend) {
	create(t, b, Proposal("Not stuck", "U1", "eng", "U2"))
	stuck := func(title string, at time.Time) decisions.Decision {
		d := Proposal(title, "U1", "eng", "U2")
		d.History = append(d.History, decisions.Event{At: at, Actor: decisions.SystemActor, Kind: decisions.EventStuck})
		return create(t, b, d)
	}
	later := stuck("Stuck later", T0.Add(2*time.Hour))
	sooner := stuck("Stuck sooner", T0.Add(time.Hour))
	ds, err := b.StuckOldest(10)
	want(t, "StuckOldest", ds, err, sooner.ID, later.ID)
	ds, err = b.StuckOldest(1)
	want(t, "StuckOldest(1)", ds, err, sooner.ID)
	update(t, b, sooner.ID, func(d *decisions.Decision) {
		d.History = append(d.History, decisions.Event{At: T0.Add(3 * time.Hour), Actor: "U1", Kind: decisions.EventReassigned, Users: []string{"U3"}})
	})
	update(t, b, later.ID, func(d *decisions.Decision) { d.Status = decisions.StatusApproved; d.DecidedAt = T0.Add(4 * time.Hour) })
	ds, err = b.StuckOldest(10)
	want(t, "StuckOldest after a hand-over and a decision", ds, err)
}
