// Package storetest is the store conformance suite: one set of tests every
// store.Backend must pass, run against the bbolt store (store's tests) and
// the PostgreSQL store (store/pgstore's tests), so the two cannot drift.
// After every test the backend's own consistency check runs (bbolt's Check,
// pgstore's twin of it), so each test also proves the indexes stayed exact.
package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// T0 is the suite's fixed clock: every backend is opened with Now
// returning it.
var T0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// Opener opens a fresh, empty backend whose clock returns now. It registers
// in t.Cleanup a consistency check and the close.
type Opener func(t *testing.T, now func() time.Time) store.Backend

// Run runs every conformance test against open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b store.Backend)
	}{
		{"CreateRejectsWhatWouldCorruptIndexes", testCreateRejects},
		{"BuildErrorRollsBack", testBuildErrorRollsBack},
		{"UpdateErrorChangesNothing", testUpdateErrorChangesNothing},
		{"MissingDecisionIsNotFound", testMissing},
		{"CreateReadUpdate", testCreateReadUpdate},
		{"ReservedIDs", testReservedIDs},
		{"ConcurrentCreatesGetDistinctIDs", testConcurrentCreates},
		{"EventDeduplicatedUnderConcurrency", testEventOnce},
		{"IndexQueries", testIndexQueries},
		{"ReindexAfterTransitions", testReindex},
		{"TimeRanges", testTimeRanges},
		{"RegisterQueries", testRegister},
		{"StuckDecisions", testStuck},
		{"SetNextChecks", testSetNextChecks},
		{"PutBulkAndEach", testPutBulkAndEach},
		{"OutboxRefusesAndDeduplicates", testOutboxDedup},
		{"OutboxLifecycle", testOutboxLifecycle},
		{"OutboxAttemptIsClaimedOnce", testOutboxAttemptOnce},
		{"OutboxAfterFollowsCommitOrder", testOutboxAfter},
		{"ViewReadsInsideTheWrite", testView},
		{"Events", testEvents},
		{"ReplaySignatures", testReplay},
		{"Refs", testRefs},
		{"JobsRunOnce", testJobs},
		{"JobRunOnceUnderConcurrency", testJobsConcurrent},
		{"Aways", testAways},
		{"Probe", testProbe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t, func() time.Time { return T0 }))
		})
	}
}

// Proposal is a valid open decision created at T0.
func Proposal(title, proposer, domain string, deciders ...string) decisions.Decision {
	return decisions.Decision{
		Title:     title,
		Proposer:  proposer,
		Domain:    domain,
		Deciders:  deciders,
		Status:    decisions.StatusOpen,
		CreatedAt: T0,
		UpdatedAt: T0,
		History:   []decisions.Event{{At: T0, Actor: proposer, Kind: decisions.EventProposed}},
	}
}

func create(t *testing.T, b store.Backend, d decisions.Decision) decisions.Decision {
	t.Helper()
	out, err := b.CreateDecision(d, nil)
	if err != nil {
		t.Fatalf("create %q: %v", d.Title, err)
	}
	return out
}

func update(t *testing.T, b store.Backend, id decisions.ID, change func(*decisions.Decision)) decisions.Decision {
	t.Helper()
	out, err := b.UpdateDecision(id, func(d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) {
		change(&d)
		return d, nil, nil
	})
	if err != nil {
		t.Fatalf("update %s: %v", id, err)
	}
	return out
}

func ids(ds []decisions.Decision) []decisions.ID {
	out := []decisions.ID{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func want(t *testing.T, what string, ds []decisions.Decision, err error, wantIDs ...decisions.ID) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if wantIDs == nil {
		wantIDs = []decisions.ID{}
	}
	if got := ids(ds); !slices.Equal(got, wantIDs) {
		t.Errorf("%s = %v, want %v", what, got, wantIDs)
	}
}

func count(t *testing.T, b store.Backend) int {
	t.Helper()
	n, err := b.Count()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func outboxLen(t *testing.T, b store.Backend) int {
	t.Helper()
	n, err := b.OutboxLen()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testCreateRejects(t *testing.T, b store.Backend) {
	for _, d := range []decisions.Decision{
		func() decisions.Decision { d := Proposal("x", "U1", "product", "U2"); d.Status = "maybe"; return d }(),
		Proposal("x", "U1", "prod\x00uct", "U2"),
		Proposal("x", "U\x001", "product", "U2"),
		Proposal("x", "U1", "product", "U\x002"),
	} {
		if _, err := b.CreateDecision(d, nil); err == nil {
			t.Errorf("create %+v: no error", d)
		}
	}
	if n := count(t, b); n != 0 {
		t.Errorf("count = %d after refused creates, want 0", n)
	}
}

var errBuild = errors.New("render failed")

func testBuildErrorRollsBack(t *testing.T, b store.Backend) {
	_, err := b.CreateDecision(Proposal("x", "U1", "product", "U2"), func(decisions.Decision) ([]store.OutboxItem, error) {
		return nil, errBuild
	})
	if !errors.Is(err, errBuild) {
		t.Fatalf("create with failing build: %v, want the build's error", err)
	}
	if n := count(t, b); n != 0 {
		t.Errorf("count = %d, want 0", n)
	}
	if n := outboxLen(t, b); n != 0 {
		t.Errorf("outbox = %d, want 0", n)
	}
	d, err := b.CreateDecision(Proposal("y", "U1", "product", "U2"), func(d decisions.Decision) ([]store.OutboxItem, error) {
		return []store.OutboxItem{{Key: d.ID.String() + "/announce", Body: []byte("hi")}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := b.OutboxPending(d.ID.String() + "/announce"); err != nil || !ok {
		t.Errorf("announcement pending = %v, %v; want it enqueued with the decision", ok, err)
	}
}

var errNo = errors.New("not allowed")

func testUpdateErrorChangesNothing(t *testing.T, b store.Backend) {
	d := create(t, b, Proposal("x", "U1", "product", "U2"))
	_, err := b.UpdateDecision(d.ID, func(d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) {
		d.Status = decisions.StatusApproved
		return d, []store.OutboxItem{{Key: "k"}}, fmt.Errorf("approve: %w", errNo)
	})
	if !errors.Is(err, errNo) {
		t.Fatalf("update error = %v, want errNo through", err)
	}
	got, err := b.Decision(d.ID)
	if err != nil || got.Status != decisions.StatusOpen {
		t.Errorf("after a failed update: %v, %v; want still open", got.Status, err)
	}
	if n := outboxLen(t, b); n != 0 {
		t.Errorf("outbox = %d, want 0", n)
	}
	// An update to a NUL domain is refused too.
	_, err = b.UpdateDecision(d.ID, func(d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) {
		d.Domain = "a\x00b"
		return d, nil, nil
	})
	if err == nil {
		t.Error("update to a NUL domain: no error")
	}
}

func testMissing(t *testing.T, b store.Backend) {
	if _, err := b.Decision(42); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Decision(42) = %v, want ErrNotFound", err)
	}
	_, err := b.UpdateDecision(42, func(d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) { return d, nil, nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateDecision(42) = %v, want ErrNotFound", err)
	}
}

func testCreateReadUpdate(t *testing.T, b store.Backend) {
	d := Proposal("Adopt Go 1.26", "U1", "eng", "U2", "U3")
	d.Details = "nul \x00 in details is fine; so is \u00e9"
	d.Due = T0.Add(48 * time.Hour)
	d = create(t, b, d)
	if d.ID == 0 {
		t.Fatal("no id assigned")
	}
	got, err := b.Decision(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != d.Title || got.Details != d.Details || !got.Due.Equal(d.Due) || !slices.Equal(got.Deciders, d.Deciders) {
		t.Errorf("read back %+v, want %+v", got, d)
	}
	up := update(t, b, d.ID, func(d *decisions.Decision) {
		d.Status = decisions.StatusApproved
		d.DecidedAt = T0.Add(time.Hour)
		d.ID = 999 // fn cannot change the id
	})
	if up.ID != d.ID {
		t.Errorf("update changed the id to %s", up.ID)
	}
	if got, _ := b.Decision(d.ID); got.Status != decisions.StatusApproved {
		t.Errorf("status = %s, want approved", got.Status)
	}
	if n := count(t, b); n != 1 {
		t.Errorf("count = %d, want 1", n)
	}
}

func testReservedIDs(t *testing.T, b store.Backend) {
	id, release := b.ReserveID()
	d := Proposal("x", "U1", "product", "U2")
	d.ID = id
	got := create(t, b, d)
	release() // after a successful create it does nothing
	if got.ID != id {
		t.Errorf("created as %s, want the reserved %s", got.ID, id)
	}
	id2, release2 := b.ReserveID()
	if id2 == id {
		t.Fatalf("reserved %s twice", id)
	}
	release2()
	next := create(t, b, Proposal("y", "U1", "product", "U2"))
	if next.ID == id {
		t.Errorf("id %s given twice", id)
	}
	if peek, err := b.PeekNextID(); err != nil || peek <= next.ID {
		t.Errorf("PeekNextID = %s, %v; want after %s", peek, err, next.ID)
	}
}

func testConcurrentCreates(t *testing.T, b store.Backend) {
	const n = 40
	var wg sync.WaitGroup
	got := make([]decisions.ID, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			d, err := b.CreateDecision(Proposal(fmt.Sprintf("p%d", i), "U1", "product", "U2"), func(d decisions.Decision) ([]store.OutboxItem, error) {
				return []store.OutboxItem{{Key: d.ID.String() + "/announce"}}, nil
			})
			got[i], errs[i] = d.ID, err
		})
	}
	wg.Wait()
	seen := map[decisions.ID]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		if seen[got[i]] {
			t.Errorf("id %s given twice", got[i])
		}
		seen[got[i]] = true
	}
	if c := count(t, b); c != n {
		t.Errorf("count = %d, want %d", c, n)
	}
	if c := outboxLen(t, b); c != n {
		t.Errorf("outbox = %d, want %d", c, n)
	}
}

func testEventOnce(t *testing.T, b store.Backend) {
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, dup := 0, 0
	for range n {
		wg.Go(func() {
			_, err := b.CreateDecisionForEvent("Ev1", T0, Proposal("x", "U1", "product", "U2"), nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.Is(err, store.ErrDuplicateEvent):
				dup++
			default:
				t.Errorf("create for event: %v", err)
			}
		})
	}
	wg.Wait()
	if created != 1 || dup != n-1 {
		t.Errorf("created %d, duplicates %d; want 1 and %d", created, dup, n-1)
	}
	if c := count(t, b); c != 1 {
		t.Errorf("count = %d, want 1", c)
	}
	if seen, err := b.EventSeen("Ev1"); err != nil || !seen {
		t.Errorf("EventSeen = %v, %v", seen, err)
	}
	if _, err := b.CreateDecisionForEvent("", T0, Proposal("x", "U1", "product", "U2"), nil); err == nil {
		t.Error("empty event id: no error")
	}
}
