package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// testDB is a store in a real file under t.TempDir(). It is checked for
// consistency whenever it is closed, including at the end of the test.
type testDB struct {
	*Store
	t    *testing.T
	path string
}

func newTestDB(t *testing.T) *testDB {
	t.Helper()
	h := &testDB{t: t, path: filepath.Join(t.TempDir(), "baton.db")}
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *testDB) open() {
	h.t.Helper()
	s, err := Open(h.path, Options{Timeout: 100 * time.Millisecond, Now: func() time.Time { return t0 }})
	if err != nil {
		h.t.Fatalf("open: %v", err)
	}
	h.Store = s
}

func (h *testDB) close() {
	h.t.Helper()
	if h.Store == nil {
		return
	}
	if err := h.Check(); err != nil {
		h.t.Errorf("consistency check: %v", err)
	}
	if err := h.Close(); err != nil {
		h.t.Errorf("close: %v", err)
	}
	h.Store = nil
}

func (h *testDB) reopen() {
	h.t.Helper()
	h.close()
	h.open()
}

func proposal(title, proposer, domain string, deciders ...string) decisions.Decision {
	return decisions.Decision{
		Title:     title,
		Proposer:  proposer,
		Domain:    domain,
		Deciders:  deciders,
		Status:    decisions.StatusOpen,
		CreatedAt: t0,
		UpdatedAt: t0,
		History:   []decisions.Event{{At: t0, Actor: proposer, Kind: decisions.EventProposed}},
	}
}

func (h *testDB) create(d decisions.Decision) decisions.Decision {
	h.t.Helper()
	out, err := h.CreateDecision(d, nil)
	if err != nil {
		h.t.Fatalf("create %q: %v", d.Title, err)
	}
	return out
}

func (h *testDB) update(id decisions.ID, change func(*decisions.Decision)) decisions.Decision {
	h.t.Helper()
	out, err := h.UpdateDecision(id, func(d decisions.Decision) (decisions.Decision, []OutboxItem, error) {
		change(&d)
		return d, nil, nil
	})
	if err != nil {
		h.t.Fatalf("update %s: %v", id, err)
	}
	return out
}

func ids(ds []decisions.Decision) []decisions.ID {
	out := make([]decisions.ID, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// listed turns a query result into its ids, failing the test on error.
func listed(t *testing.T) func([]decisions.Decision, error) []decisions.ID {
	return func(ds []decisions.Decision, err error) []decisions.ID {
		t.Helper()
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		return ids(ds)
	}
}

func wantIDs(t *testing.T, what string, got []decisions.ID, want ...decisions.ID) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestCreateReadUpdate(t *testing.T) {
	h := newTestDB(t)
	d := proposal("Raise prices", "UALICE", "product/pricing", "UBOB")
	d.Due = t0.Add(72 * time.Hour)
	d.ID = 99 // ignored: the store assigns ids
	got := h.create(d)
	if got.ID != 1 {
		t.Fatalf("first id = %s, want D-1", got.ID)
	}
	read, err := h.Decision(1)
	if err != nil {
		t.Fatal(err)
	}
	if read.Title != "Raise prices" || !read.Due.Equal(d.Due) || !slices.Equal(read.Deciders, []string{"UBOB"}) || len(read.History) != 1 {
		t.Errorf("read back %+v", read)
	}

	upd := h.update(1, func(d *decisions.Decision) { d.Title = "Raise prices by 5%"; d.ID = 42 })
	if upd.ID != 1 || upd.Title != "Raise prices by 5%" {
		t.Errorf("update returned %s %q", upd.ID, upd.Title)
	}
	read, _ = h.Decision(1)
	if read.Title != "Raise prices by 5%" {
		t.Errorf("title after update = %q", read.Title)
	}

	_, err = h.Decision(7)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "D-7") {
		t.Errorf("missing decision: err = %v, want ErrNotFound naming D-7", err)
	}
	_, err = h.UpdateDecision(7, func(d decisions.Decision) (decisions.Decision, []OutboxItem, error) {
		t.Error("fn called for a missing decision")
		return d, nil, nil
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("update missing: err = %v, want ErrNotFound", err)
	}
}

func TestCreateRejectsWhatWouldCorruptIndexes(t *testing.T) {
	h := newTestDB(t)
	bad := proposal("x", "UALICE", "ops")
	bad.Status = ""
	if _, err := h.CreateDecision(bad, nil); err == nil {
		t.Error("empty status accepted")
	}
	bad = proposal("x", "UAL\x00ICE", "ops")
	if _, err := h.CreateDecision(bad, nil); err == nil {
		t.Error("NUL in proposer accepted")
	}
	if n, _ := h.Count(); n != 0 {
		t.Errorf("count = %d after rejected creates", n)
	}
}

func TestIDsSequentialAndNeverReused(t *testing.T) {
	h := newTestDB(t)
	if next, err := h.PeekNextID(); err != nil || next != 1 {
		t.Fatalf("PeekNextID on empty store = %s, %v", next, err)
	}
	for i := 1; i <= 3; i++ {
		if d := h.create(proposal(fmt.Sprint("d", i), "UALICE", "ops", "UBOB")); d.ID != decisions.ID(i) {
			t.Fatalf("decision %d got id %s", i, d.ID)
		}
	}
	h.reopen()
	if next, _ := h.PeekNextID(); next != 4 {
		t.Errorf("PeekNextID after reopen = %s, want D-4", next)
	}
	if d := h.create(proposal("after reopen", "UALICE", "ops", "UBOB")); d.ID != 4 {
		t.Errorf("id after reopen = %s, want D-4", d.ID)
	}
	for i := decisions.ID(1); i <= 4; i++ {
		if _, err := h.Decision(i); err != nil {
			t.Errorf("after reopen: %v", err)
		}
	}
	bulk := []decisions.Decision{proposal("b1", "UALICE", "ops", "UBOB"), proposal("b2", "UBOB", "people", "UALICE")}
	bulk[1].Status, bulk[1].DecidedAt = decisions.StatusRejected, t0
	if err := h.PutBulk(bulk); err != nil {
		t.Fatal(err)
	}
	if bulk[0].ID != 5 || bulk[1].ID != 6 {
		t.Errorf("PutBulk assigned %s, %s; want D-5, D-6", bulk[0].ID, bulk[1].ID)
	}
	if d := h.create(proposal("after bulk", "UALICE", "ops", "UBOB")); d.ID != 7 {
		t.Errorf("id after PutBulk = %s, want D-7", d.ID)
	}
	h.reopen()
	if next, _ := h.PeekNextID(); next != 8 {
		t.Errorf("PeekNextID after bulk and reopen = %s, want D-8", next)
	}
	if n, _ := h.Count(); n != 7 {
		t.Errorf("count = %d, want 7", n)
	}
	var seen []decisions.ID
	if err := h.Each(func(d decisions.Decision) error { seen = append(seen, d.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []decisions.ID{1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("Each visited %v", seen)
	}
}

func TestBuildErrorRollsBackDecisionAndOutbox(t *testing.T) {
	h := newTestDB(t)
	boom := errors.New("slack layer said no")
	var sawID decisions.ID
	_, err := h.CreateDecision(proposal("doomed", "UALICE", "ops", "UBOB"), func(d decisions.Decision) ([]OutboxItem, error) {
		sawID = d.ID
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the build error", err)
	}
	if sawID != 1 {
		t.Errorf("build saw id %s, want D-1", sawID)
	}
	if _, err := h.Decision(1); !errors.Is(err, ErrNotFound) {
		t.Errorf("decision survived a failed build: %v", err)
	}
	if got, _ := h.ByStatus(decisions.StatusOpen, 0); len(got) != 0 {
		t.Errorf("index survived a failed build: %v", ids(got))
	}

	// An item that cannot be enqueued takes the decision and the items
	// enqueued before it down too.
	_, err = h.CreateDecision(proposal("doomed too", "UALICE", "ops", "UBOB"), func(d decisions.Decision) ([]OutboxItem, error) {
		return []OutboxItem{{Key: d.ID.String() + "/announce"}, {Key: ""}}, nil
	})
	if err == nil {
		t.Fatal("an outbox item without a key was accepted")
	}
	if n, _ := h.OutboxLen(); n != 0 {
		t.Errorf("outbox holds %d items after a rolled-back create", n)
	}
	if n, _ := h.Count(); n != 0 {
		t.Errorf("count = %d after rolled-back creates", n)
	}

	// A build that succeeds commits its items with the decision.
	d, err := h.CreateDecision(proposal("kept", "UALICE", "ops", "UBOB"), func(d decisions.Decision) ([]OutboxItem, error) {
		return []OutboxItem{{Key: d.ID.String() + "/announce", Body: []byte("hi")}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != 1 {
		t.Errorf("id after a rolled-back create = %s; only committed ids count, want D-1", d.ID)
	}
	if ok, _ := h.OutboxPending("D-1/announce"); !ok {
		t.Error("announcement not enqueued with the decision")
	}

	// An update fn error leaves the decision and outbox as they were, and
	// keeps its type for errors.As.
	_, err = h.UpdateDecision(1, func(d decisions.Decision) (decisions.Decision, []OutboxItem, error) {
		d.Status = decisions.StatusApproved
		return d, []OutboxItem{{Key: "D-1/outcome"}}, &decisions.StateError{ID: 1, Verb: decisions.VerbApprove, Status: decisions.StatusApproved}
	})
	var se *decisions.StateError
	if !errors.As(err, &se) || !errors.Is(err, decisions.ErrClosed) {
		t.Errorf("update error = %v, want the StateError", err)
	}
	if got, _ := h.Decision(1); got.Status != decisions.StatusOpen {
		t.Errorf("status after failed update = %s", got.Status)
	}
	if ok, _ := h.OutboxPending("D-1/outcome"); ok {
		t.Error("failed update enqueued its message")
	}
}

func TestIndexQueries(t *testing.T) {
	h := newTestDB(t)
	day := 24 * time.Hour
	mk := func(title, proposer, domain string, created time.Time, due time.Time, deciders ...string) decisions.Decision {
		d := proposal(title, proposer, domain, deciders...)
		d.CreatedAt, d.Due = created, due
		return h.create(d)
	}
	d1 := mk("pricing", "UALICE", "product/pricing", t0, t0.Add(3*day), "UBOB", "UCAROL")
	d2 := mk("roadmap", "UBOB", "product", t0.Add(day), t0.Add(1*day), "UCAROL")
	d3 := mk("laptops", "UALICE", "productivity", t0.Add(2*day), time.Time{}, "UDAN")
	q := listed(t)
	d4 := mk("hiring", "UCAROL", "people", t0.Add(3*day), t0.Add(3*day), "UBOB", "UBOB")

	wantIDs(t, "ByStatus(open)", q(h.ByStatus(decisions.StatusOpen, 0)), 4, 3, 2, 1)
	wantIDs(t, "ByStatus(open, 2)", q(h.ByStatus(decisions.StatusOpen, 2)), 4, 3)
	wantIDs(t, "ByStatus(approved)", q(h.ByStatus(decisions.StatusApproved, 0)))
	wantIDs(t, "ByDecider(UBOB, open)", q(h.ByDecider("UBOB", decisions.StatusOpen, 0)), 4, 1)
	wantIDs(t, "ByDecider(UCAROL, any)", q(h.ByDecider("UCAROL", "", 0)), 2, 1)
	wantIDs(t, "ByDecider(UCAROL, any, 1)", q(h.ByDecider("UCAROL", "", 1)), 2)
	wantIDs(t, "ByDecider(UBO) is not a prefix match", q(h.ByDecider("UBO", "", 0)))
	wantIDs(t, "ByProposer(UALICE)", q(h.ByProposer("UALICE", 0)), 3, 1)
	wantIDs(t, "ByDomain(product)", q(h.ByDomain("product", 0)), 2)
	wantIDs(t, "ByDomainTree(product)", q(h.ByDomainTree("product", 0)), 2, 1)
	wantIDs(t, "ByDomainTree(product/)", q(h.ByDomainTree("product/", 1)), 2)
	wantIDs(t, "ByDomainTree(product/pricing)", q(h.ByDomainTree("product/pricing", 0)), 1)
	wantIDs(t, "ByDomainTree(all)", q(h.ByDomainTree("", 0)), 4, 3, 2, 1)

	// Ranges are [from, to): the edges are exact.
	wantIDs(t, "DueBetween(all)", q(h.DueBetween(time.Time{}, t0.Add(30*day))), d2.ID, d1.ID, d4.ID)
	wantIDs(t, "DueBetween up to d1's due, exclusive", q(h.DueBetween(t0, t0.Add(3*day))), d2.ID)
	wantIDs(t, "DueBetween from d1's due, inclusive", q(h.DueBetween(t0.Add(3*day), t0.Add(3*day+time.Nanosecond))), d1.ID, d4.ID)
	wantIDs(t, "DueBetween empty range", q(h.DueBetween(t0.Add(3*day), t0.Add(3*day))))
	wantIDs(t, "CreatedBetween", q(h.CreatedBetween(t0.Add(day), t0.Add(3*day))), d2.ID, d3.ID)

	load, err := h.OpenLoad()
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int{"UBOB": 2, "UCAROL": 2, "UDAN": 1}; !mapsEqual(load, want) {
		t.Errorf("OpenLoad = %v, want %v", load, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestReindexAfterTransitions(t *testing.T) {
	h := newTestDB(t)
	q := listed(t)
	day := 24 * time.Hour
	d := proposal("pricing", "UALICE", "product/pricing", "UBOB")
	d.Due = t0.Add(2 * day)
	d = h.create(d)
	other := h.create(proposal("other", "UALICE", "ops", "UBOB"))

	// Approve, through the real lifecycle.
	approvedAt := t0.Add(day)
	_, err := h.UpdateDecision(d.ID, func(cur decisions.Decision) (decisions.Decision, []OutboxItem, error) {
		out, err := decisions.Apply(cur, decisions.Action{Verb: decisions.VerbApprove, Actor: decisions.Actor{User: "UBOB"}, Rationale: "ok"}, approvedAt)
		return out, []OutboxItem{{Key: cur.ID.String() + "/outcome"}}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "ByStatus(open) after approve", q(h.ByStatus(decisions.StatusOpen, 0)), other.ID)
	wantIDs(t, "ByStatus(approved)", q(h.ByStatus(decisions.StatusApproved, 0)), d.ID)
	wantIDs(t, "DueBetween after approve", q(h.DueBetween(time.Time{}, t0.Add(10*day))))
	wantIDs(t, "DecidedBetween [approvedAt, +1ns)", q(h.DecidedBetween(approvedAt, approvedAt.Add(time.Nanosecond))), d.ID)
	wantIDs(t, "DecidedBetween ending at approvedAt", q(h.DecidedBetween(t0, approvedAt)))
	wantIDs(t, "ByDecider(UBOB, open)", q(h.ByDecider("UBOB", decisions.StatusOpen, 0)), other.ID)
	wantIDs(t, "ByDecider(UBOB, approved)", q(h.ByDecider("UBOB", decisions.StatusApproved, 0)), d.ID)
	if ok, _ := h.OutboxPending("D-1/outcome"); !ok {
		t.Error("outcome message not enqueued with the approval")
	}

	// Defer, reassign, escalate to another domain, reopen.
	until := t0.Add(5 * day)
	h.update(other.ID, func(d *decisions.Decision) {
		d.Status, d.DeferredUntil = decisions.StatusDeferred, until
		d.Deciders = []string{"UCAROL"}
		d.Domain = "finance"
	})
	wantIDs(t, "DeferredUntilBefore(until-1ns)", q(h.DeferredUntilBefore(until.Add(-time.Nanosecond))))
	wantIDs(t, "DeferredUntilBefore(until) is inclusive", q(h.DeferredUntilBefore(until)), other.ID)
	wantIDs(t, "ByDecider(UBOB) after reassign", q(h.ByDecider("UBOB", "", 0)), d.ID)
	wantIDs(t, "ByDecider(UCAROL, deferred)", q(h.ByDecider("UCAROL", decisions.StatusDeferred, 0)), other.ID)
	wantIDs(t, "ByDomain(ops) after move", q(h.ByDomain("ops", 0)))
	wantIDs(t, "ByDomain(finance)", q(h.ByDomain("finance", 0)), other.ID)
	if load, _ := h.OpenLoad(); len(load) != 0 {
		t.Errorf("OpenLoad with nothing open = %v", load)
	}

	h.update(other.ID, func(d *decisions.Decision) {
		d.Status, d.DeferredUntil = decisions.StatusOpen, time.Time{}
		d.Due = t0.Add(6 * day)
	})
	wantIDs(t, "DeferredUntilBefore after reopen", q(h.DeferredUntilBefore(until.Add(day))))
	wantIDs(t, "DueBetween after reopen", q(h.DueBetween(t0, t0.Add(7*day))), other.ID)
	if load, _ := h.OpenLoad(); !mapsEqual(load, map[string]int{"UCAROL": 1}) {
		t.Errorf("OpenLoad = %v", load)
	}
}

func TestTimeRangesReadOnlyTheirRange(t *testing.T) {
	h := newTestDB(t)
	var ds []decisions.Decision
	for i := range eachBatch + 1 {
		d := proposal(fmt.Sprint("d", i), "UALICE", "ops", "UBOB")
		d.Status = decisions.StatusApproved
		d.DecidedAt = t0.Add(time.Duration(i) * time.Hour)
		ds = append(ds, d)
	}
	if err := h.PutBulk(ds); err != nil {
		t.Fatal(err)
	}
	if last := ds[len(ds)-1].ID; last != eachBatch+1 {
		t.Fatalf("PutBulk wrote back id %s for the last decision", last)
	}
	next := decisions.ID(1)
	err := h.Each(func(d decisions.Decision) error {
		if d.ID != next {
			return fmt.Errorf("Each gave %s, want %s", d.ID, next)
		}
		next++
		return nil
	})
	if err != nil || next != eachBatch+2 {
		t.Errorf("Each across batches stopped before %s: %v", next, err)
	}
	before := scanned.Load()
	got, err := h.DecidedBetween(t0.Add(500*time.Hour), t0.Add(510*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 || got[0].ID != 501 || got[9].ID != 510 {
		t.Fatalf("DecidedBetween = %v", ids(got))
	}
	// Ten in range plus the key that ends the scan. (scanned is global:
	// this holds because no test here calls t.Parallel.)
	if n := scanned.Load() - before; n != 11 {
		t.Errorf("DecidedBetween visited %d index keys for 10 results", n)
	}
}

func TestOutbox(t *testing.T) {
	h := newTestDB(t)
	if _, ok, err := h.OutboxNext(); ok || err != nil {
		t.Fatalf("OutboxNext on empty outbox = %v, %v", ok, err)
	}
	err := h.Enqueue(
		OutboxItem{Key: "late", Body: []byte("3"), NotBefore: t0.Add(time.Hour)},
		OutboxItem{Key: "now-a", Body: []byte("1")}, // zero NotBefore: enqueue time (t0)
		OutboxItem{Key: "now-b", Body: []byte("2"), NotBefore: t0},
		OutboxItem{Key: "early", Body: []byte("0"), NotBefore: t0.Add(-time.Minute)},
	)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(items []OutboxItem, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, it := range items {
			ks = append(ks, it.Key)
		}
		return ks
	}
	if got := keys(h.OutboxDue(t0, 0)); !slices.Equal(got, []string{"early", "now-a", "now-b"}) {
		t.Errorf("OutboxDue(t0) = %v", got)
	}
	if got := keys(h.OutboxDue(t0, 2)); !slices.Equal(got, []string{"early", "now-a"}) {
		t.Errorf("OutboxDue(t0, 2) = %v", got)
	}
	if got := keys(h.OutboxDue(t0.Add(-2*time.Minute), 0)); len(got) != 0 {
		t.Errorf("OutboxDue before anything = %v", got)
	}
	items, _ := h.OutboxDue(t0, 1)
	if it := items[0]; string(it.Body) != "0" || !it.Enqueued.Equal(t0) || it.Seq == 0 {
		t.Errorf("item = %+v", it)
	}
	if next, ok, _ := h.OutboxNext(); !ok || !next.Equal(t0.Add(-time.Minute)) {
		t.Errorf("OutboxNext = %v, %v", next, ok)
	}

	// Idempotent while pending: the body does not change, no second copy.
	if err := h.Enqueue(OutboxItem{Key: "early", Body: []byte("again")}); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.OutboxLen(); n != 4 {
		t.Errorf("OutboxLen = %d, want 4", n)
	}

	// Retry moves it to the back and counts the attempt.
	if err := h.OutboxRetry("early", t0.Add(30*time.Minute), "rate_limited"); err != nil {
		t.Fatal(err)
	}
	if got := keys(h.OutboxDue(t0, 0)); !slices.Equal(got, []string{"now-a", "now-b"}) {
		t.Errorf("OutboxDue after retry = %v", got)
	}
	items, _ = h.OutboxDue(t0.Add(30*time.Minute), 0)
	if len(items) != 3 || items[2].Key != "early" || items[2].Attempts != 1 || items[2].LastError != "rate_limited" || string(items[2].Body) != "0" {
		t.Errorf("after retry: %+v", items)
	}
	if err := h.OutboxRetry("nope", t0, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry of unknown key: %v", err)
	}

	// Done: gone, delivered, refs saved, and enqueueing it again is a no-op.
	refs := map[string]decisions.MessageRef{"D-7/announce": {Channel: "C1", TS: "1700000000.000100"}}
	if err := h.OutboxDone("now-a", t0, refs); err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.OutboxPending("now-a"); ok {
		t.Error("delivered item still pending")
	}
	if ok, _ := h.Delivered("now-a"); !ok {
		t.Error("delivered item not recorded")
	}
	if ref, ok, _ := h.Ref("D-7/announce"); !ok || ref != refs["D-7/announce"] {
		t.Errorf("ref saved by OutboxDone = %+v, %v", ref, ok)
	}
	if err := h.Enqueue(OutboxItem{Key: "now-a"}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.OutboxPending("now-a"); ok {
		t.Error("delivered key enqueued again")
	}
	h.reopen()
	if ok, _ := h.Delivered("now-a"); !ok {
		t.Error("delivered record lost on reopen")
	}
	if n, _ := h.OutboxLen(); n != 3 {
		t.Errorf("OutboxLen after reopen = %d, want 3", n)
	}

	// Delivered keys are forgotten after the retention, by a later delivery.
	if err := h.OutboxDone("now-b", t0.Add(DeliveredRetention+time.Second), nil); err != nil {
		t.Fatal(err)
	}
	if ok, _ := h.Delivered("now-a"); ok {
		t.Error("delivered key kept past the retention")
	}
	if ok, _ := h.Delivered("now-b"); !ok {
		t.Error("fresh delivery forgotten")
	}
}

func TestMarkEvent(t *testing.T) {
	h := newTestDB(t)
	for _, c := range []struct {
		id    string
		at    time.Time
		first bool
	}{
		{"Ev1", t0, true},
		{"Ev1", t0.Add(time.Second), false},
		{"Ev2", t0.Add(time.Hour), true},
	} {
		first, err := h.MarkEvent(c.id, c.at)
		if err != nil || first != c.first {
			t.Errorf("MarkEvent(%s) = %v, %v; want %v", c.id, first, err, c.first)
		}
	}
	h.reopen()
	if first, _ := h.MarkEvent("Ev2", t0.Add(2*time.Hour)); first {
		t.Error("event forgotten across reopen")
	}
	// Expiry is by first sighting: Ev1 at t0 goes, Ev2 at t0+1h stays.
	n, err := h.ExpireEvents(t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("ExpireEvents = %d, %v; want 1", n, err)
	}
	if first, _ := h.MarkEvent("Ev1", t0.Add(3*time.Hour)); !first {
		t.Error("expired event still known")
	}
	if first, _ := h.MarkEvent("Ev2", t0.Add(3*time.Hour)); first {
		t.Error("unexpired event forgotten")
	}
	if _, err := h.MarkEvent("", t0); err == nil {
		t.Error("empty event id accepted")
	}
}

func TestRefs(t *testing.T) {
	h := newTestDB(t)
	set := map[string]decisions.MessageRef{
		"D-7/announce": {Channel: "C1", TS: "1.1"},
		"D-7/dm/U1":    {Channel: "D1", TS: "1.2"},
		"D-7/dm/U2":    {Channel: "D2", TS: "1.3"},
		"D-70/dm/U1":   {Channel: "D1", TS: "1.4"},
	}
	for k, r := range set {
		if err := h.SetRef(k, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := h.Ref("D-8/announce"); ok {
		t.Error("unknown ref found")
	}
	got, err := h.RefsWithPrefix("D-7/dm/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["D-7/dm/U1"] != set["D-7/dm/U1"] || got["D-7/dm/U2"] != set["D-7/dm/U2"] {
		t.Errorf("RefsWithPrefix = %v", got)
	}
}

func TestJobs(t *testing.T) {
	h := newTestDB(t)
	if at, err := h.LastRun("digest"); err != nil || !at.IsZero() {
		t.Fatalf("LastRun of a new job = %v, %v", at, err)
	}
	run := t0.Add(time.Hour)
	if err := h.CompleteRun("digest", run, OutboxItem{Key: "digest/2026-11-02/C1"}); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	if at, _ := h.LastRun("digest"); !at.Equal(run) {
		t.Errorf("LastRun = %v, want %v", at, run)
	}
	if ok, _ := h.OutboxPending("digest/2026-11-02/C1"); !ok {
		t.Error("run's message not enqueued")
	}
	err := h.CompleteRun("digest", run, OutboxItem{Key: "digest/again"})
	if !errors.Is(err, ErrAlreadyRun) {
		t.Errorf("second run at the same time: %v, want ErrAlreadyRun", err)
	}
	if ok, _ := h.OutboxPending("digest/again"); ok {
		t.Error("refused run enqueued its message")
	}
	if at, _ := h.LastRun("reminders"); !at.IsZero() {
		t.Error("jobs share their bookkeeping")
	}
}

func TestAways(t *testing.T) {
	h := newTestDB(t)
	until := t0.Add(7 * 24 * time.Hour)
	for _, a := range []Away{{User: "UBOB", Until: until, Delegate: "UCAROL"}, {User: "UALICE", Until: until}} {
		if err := h.SetAway(a); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.Aways()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].User != "UALICE" || got[1].Delegate != "UCAROL" || !got[1].Until.Equal(until) {
		t.Errorf("Aways = %+v", got)
	}
	if err := h.SetAway(Away{User: "UBOB"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := h.Aways(); len(got) != 1 || got[0].User != "UALICE" {
		t.Errorf("Aways after clearing UBOB = %+v", got)
	}
}

func TestBackup(t *testing.T) {
	h := newTestDB(t)
	h.create(proposal("kept", "UALICE", "ops", "UBOB"))
	if _, err := h.MarkEvent("Ev1", t0); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := h.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if _, err := h.BackupFile(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left behind: %v", err)
	}
	// Written while the original stays open and writable.
	h.create(proposal("after backup", "UALICE", "ops", "UBOB"))

	c, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Check(); err != nil {
		t.Error(err)
	}
	if d, err := c.Decision(1); err != nil || d.Title != "kept" {
		t.Errorf("backup D-1 = %q, %v", d.Title, err)
	}
	if n, _ := c.Count(); n != 1 {
		t.Errorf("backup holds %d decisions, want 1", n)
	}
	if got, _ := c.ByDecider("UBOB", decisions.StatusOpen, 0); len(got) != 1 {
		t.Errorf("backup indexes: %v", ids(got))
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	h := newTestDB(t)
	start := time.Now()
	_, err := Open(h.path, Options{Timeout: 50 * time.Millisecond})
	want := "open store " + h.path + ": the file is locked: is another baton running on this file?"
	if err == nil || err.Error() != want || !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v\nwant: %s", err, want)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("second open waited %v despite a 50ms timeout", waited)
	}
}

func TestMigrationsRunOnce(t *testing.T) {
	runs := 0
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = append(slices.Clone(saved), func(tx *bolt.Tx) error {
		runs++
		return tx.Bucket([]byte(bucketMeta)).Put([]byte("v2"), []byte("yes"))
	})
	h := newTestDB(t)
	h.reopen()
	h.reopen()
	if runs != 1 {
		t.Errorf("migration ran %d times, want once", runs)
	}

	// A file from a newer baton is refused rather than misread.
	h.close()
	migrations = saved
	if _, err := Open(h.path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("opening a newer schema: %v", err)
	}
}

func BenchmarkDecidedBetween(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n, chunk = 100_000, 20_000
	for start := 0; start < n; start += chunk {
		ds := make([]decisions.Decision, chunk)
		for i := range ds {
			at := t0.Add(time.Duration(start+i) * 10 * time.Minute) // ~2 years
			d := proposal("seeded", fmt.Sprint("U", (start+i)%50), "ops", fmt.Sprint("U", (start+i)%37))
			d.CreatedAt = at.Add(-48 * time.Hour)
			if (start+i)%3 == 0 {
				d.Due = at.Add(72 * time.Hour)
			} else {
				d.Status, d.DecidedAt = decisions.StatusApproved, at
			}
			ds[i] = d
		}
		if err := s.PutBulk(ds); err != nil {
			b.Fatal(err)
		}
	}
	from := t0.Add(365 * 24 * time.Hour)
	to := from.Add(7 * 24 * time.Hour)
	for b.Loop() {
		got, err := s.DecidedBetween(from, to)
		if err != nil || len(got) == 0 {
			b.Fatal(len(got), err)
		}
	}
}

func TestOutboxPostponeKeepsAttempts(t *testing.T) {
	h := newTestDB(t)
	if err := h.Enqueue(OutboxItem{Key: "k1", Body: []byte("{}"), NotBefore: t0}); err != nil {
		t.Fatal(err)
	}
	if err := h.OutboxRetry("k1", t0.Add(time.Second), "503"); err != nil {
		t.Fatal(err)
	}
	if err := h.OutboxPostpone("k1", t0.Add(2*time.Second), "paced"); err != nil {
		t.Fatal(err)
	}
	if due, _ := h.OutboxDue(t0.Add(time.Second), 10); len(due) != 0 {
		t.Fatalf("postponed item due early: %+v", due)
	}
	due, err := h.OutboxDue(t0.Add(2*time.Second), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("OutboxDue = %v, %v", due, err)
	}
	if due[0].Attempts != 1 || due[0].LastError != "paced" {
		t.Errorf("after retry+postpone: attempts %d, last error %q; want 1, paced", due[0].Attempts, due[0].LastError)
	}
	if err := h.OutboxPostpone("missing", t0, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("postpone of a missing key: %v, want ErrNotFound", err)
	}
}

func TestCreateDecisionForEventOnce(t *testing.T) {
	h := newTestDB(t)
	d := proposal("Move standup", "UPROP1", "product", "UDEC01")
	build := func(d decisions.Decision) ([]OutboxItem, error) {
		return []OutboxItem{{Key: d.ID.String() + "/dm", Body: []byte("{}")}}, nil
	}
	got, err := h.CreateDecisionForEvent("Ev1", t0, d, build)
	if err != nil || got.ID != 1 {
		t.Fatalf("first: %v, %v", got.ID, err)
	}
	if seen, _ := h.EventSeen("Ev1"); !seen {
		t.Error("the event is not recorded with its decision")
	}
	if _, err := h.CreateDecisionForEvent("Ev1", t0.Add(time.Second), d, build); !errors.Is(err, ErrDuplicateEvent) {
		t.Fatalf("second: err %v, want ErrDuplicateEvent", err)
	}
	if n, _ := h.Count(); n != 1 {
		t.Errorf("%d decisions, want 1", n)
	}
	if n, _ := h.OutboxLen(); n != 1 {
		t.Errorf("%d outbox items, want 1", n)
	}
	// A failed build rolls back the event mark too, so a retry can succeed.
	fail := func(decisions.Decision) ([]OutboxItem, error) { return nil, errors.New("boom") }
	if _, err := h.CreateDecisionForEvent("Ev2", t0, d, fail); err == nil {
		t.Fatal("want the build error")
	}
	if seen, _ := h.EventSeen("Ev2"); seen {
		t.Error("a failed create left the event marked as seen")
	}
}

func TestNewest(t *testing.T) {
	h := newTestDB(t)
	for _, title := range []string{"one", "two", "three"} {
		h.create(proposal(title, "UPROP1", "product", "UDEC01"))
	}
	got, err := h.Newest(2)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "Newest(2)", ids(got), 3, 2)
	all, _ := h.Newest(0)
	wantIDs(t, "Newest(0)", ids(all), 3, 2, 1)
}
