package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// openGroupTest opens n stores (replicas) on one fresh schema, checked and
// dropped when t ends.
func openGroupTest(t *testing.T, n int) []*Store {
	t.Helper()
	dsn := os.Getenv("BATON_TEST_POSTGRES")
	if dsn == "" {
		t.SkipNow() // TestMain said how to run it
	}
	schema := ScratchSchema(t, dsn, "w_")
	var out []*Store
	for range n {
		s, err := Open(context.Background(), dsn, Options{Schema: schema, Now: func() time.Time { return t0 }, MaxConns: 8})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		out = append(out, s)
	}
	t.Cleanup(func() {
		if err := out[0].Check(); err != nil {
			t.Errorf("consistency check: %v", err)
		}
		for _, s := range out {
			_ = s.Close()
		}
	})
	return out
}

func proposal(title string) decisions.Decision {
	return decisions.Decision{
		Title: title, Proposer: "U1", Domain: "eng", Deciders: []string{"U2"},
		Status: decisions.StatusOpen, CreatedAt: t0, UpdatedAt: t0,
		History: []decisions.Event{{At: t0, Actor: "U1", Kind: decisions.EventProposed}},
	}
}

// newID reserves an id from the sequence, as ReserveID does.
func newID(t *testing.T, s *Store) decisions.ID {
	t.Helper()
	v, err := s.reserve()
	if err != nil {
		t.Fatal(err)
	}
	return decisions.ID(v)
}

func items(keys ...string) []store.OutboxItem {
	var out []store.OutboxItem
	for _, k := range keys {
		out = append(out, store.OutboxItem{Key: k, Body: []byte(k)})
	}
	return out
}

// runGroup commits writes (each a writeFn or a *stmt) as one group, as a
// writer does, and returns each caller's answer.
func runGroup(s *Store, writes ...any) []error {
	ws := make([]*writeReq, len(writes))
	for i, w := range writes {
		ws[i] = &writeReq{done: make(chan error, 1)}
		switch w := w.(type) {
		case writeFn:
			ws[i].fn = w
		case *stmt:
			ws[i].st = w
		}
	}
	s.commit(ws)
	errs := make([]error, len(ws))
	for i, w := range ws {
		errs[i] = <-w.done
	}
	return errs
}

// TestGroupFailingWritesFailAlone: in one group, a write whose id is taken
// (a unique violation that aborts the transaction), a write that errs after
// writing, a write that panics and a duplicate event each get their own
// answer, write nothing, and the others commit with their messages in
// order.
func TestGroupFailingWritesFailAlone(t *testing.T) {
	s := openGroupTest(t, 1)[0]
	taken, err := s.CreateDecision(proposal("Already here"), nil)
	if err != nil {
		t.Fatal(err)
	}
	create := func(ev, title string, id decisions.ID, keys ...string) *stmt {
		d := proposal(title)
		d.ID = id
		st, err := createStmt(ev, t0, d, items(keys...), t0)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, c, d := newID(t, s), newID(t, s), newID(t, s)
	boom := errors.New("boom")
	errs := runGroup(s,
		create("Ev1", "First", a, "a/1", "a/2"),
		create("Ev2", "Taken id", taken.ID, "taken/1"),
		create("Ev1", "Same event again", c, "c/1"),
		writeFn(func(ctx context.Context, tx pgx.Tx, _ *group) error {
			if err := putRef(ctx, tx, "written-then-failed", decisions.MessageRef{Channel: "C1", TS: "1"}); err != nil {
				return err
			}
			return boom
		}),
		writeFn(func(context.Context, pgx.Tx, *group) error { panic("hostile") }),
		create("", "No event", d, "d/1", "d/2"),
	)
	if errs[0] != nil || errs[5] != nil {
		t.Fatalf("the good writes failed: %v, %v", errs[0], errs[5])
	}
	if errs[1] == nil || errors.Is(errs[1], store.ErrDuplicateEvent) || !strings.Contains(errs[1].Error(), taken.ID.String()) {
		t.Errorf("taken id: got %v, want a unique violation naming %s", errs[1], taken.ID)
	}
	if !errors.Is(errs[2], store.ErrDuplicateEvent) {
		t.Errorf("duplicate event in the group: got %v, want ErrDuplicateEvent", errs[2])
	}
	if !errors.Is(errs[3], boom) {
		t.Errorf("failing write: got %v, want boom", errs[3])
	}
	if errs[4] == nil || !strings.Contains(errs[4].Error(), "panicked") {
		t.Errorf("panicking write: got %v", errs[4])
	}
	for _, id := range []decisions.ID{a, d} {
		if _, err := s.Decision(id); err != nil {
			t.Errorf("decision %s: %v", id, err)
		}
	}
	if _, err := s.Decision(c); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the duplicate event's decision: got %v, want not found", err)
	}
	if got, _ := s.Decision(taken.ID); got.Title != "Already here" {
		t.Errorf("the taken id's decision was overwritten: %q", got.Title)
	}
	if seen, err := s.EventSeen("Ev2"); err != nil || seen {
		t.Errorf("the failed write's event is marked (%v, %v)", seen, err)
	}
	if _, ok, err := s.Ref("written-then-failed"); err != nil || ok {
		t.Errorf("the failed write's ref is stored (%v, %v)", ok, err)
	}
	got, err := s.OutboxAfter(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for i, it := range got {
		keys = append(keys, it.Key)
		if i > 0 && it.Seq <= got[i-1].Seq {
			t.Errorf("seq %d after %d", it.Seq, got[i-1].Seq)
		}
	}
	if fmt.Sprint(keys) != "[a/1 a/2 d/1 d/2]" {
		t.Errorf("outbox %v, want [a/1 a/2 d/1 d/2]", keys)
	}
}

// TestGroupSharesOneTransaction: writes in one group see each other (a
// second update of one row reads the first's result) and number their
// messages apart.
func TestGroupSharesOneTransaction(t *testing.T) {
	s := openGroupTest(t, 1)[0]
	d, err := s.CreateDecision(proposal("T"), nil)
	if err != nil {
		t.Fatal(err)
	}
	appendX := func(key string) writeFn {
		return func(ctx context.Context, tx pgx.Tx, g *group) error {
			old, err := getDecision(ctx, tx, d.ID, true)
			if err != nil {
				return err
			}
			nd := old
			nd.Title += "x"
			if err := putDecision(ctx, tx, &nd); err != nil {
				return err
			}
			if err := reindex(ctx, tx, g.load, d.ID, store.IndexEntries(&old), store.IndexEntries(&nd)); err != nil {
				return err
			}
			return enqueue(ctx, tx, g, t0, items(key))
		}
	}
	for i, err := range runGroup(s, appendX("k/1"), appendX("k/2"), appendX("k/3")) { // each a writeFn
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if got, _ := s.Decision(d.ID); got.Title != "Txxx" {
		t.Errorf("title %q, want Txxx", got.Title)
	}
	got, err := s.OutboxAfter(0, 10)
	if err != nil || len(got) != 3 || got[1].Seq != got[0].Seq+1 || got[2].Seq != got[0].Seq+2 {
		t.Errorf("outbox %+v (%v), want three consecutive seqs", got, err)
	}
}

// TestConcurrentUpdatesAcrossReplicas: two replicas, each with its
// writers, update one decision from many goroutines at once; the row lock
// taken inside each group's transaction loses no update.
func TestConcurrentUpdatesAcrossReplicas(t *testing.T) {
	ss := openGroupTest(t, 2)
	d, err := ss[0].CreateDecision(proposal("T"), nil)
	if err != nil {
		t.Fatal(err)
	}
	const each = 25
	var wg sync.WaitGroup
	errs := make(chan error, 2*each)
	for _, s := range ss {
		for range each {
			wg.Go(func() {
				_, err := s.UpdateDecision(d.ID, func(d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) {
					d.Title += "x"
					return d, nil, nil
				})
				errs <- err
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	got, err := ss[1].Decision(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Title) != 1+2*each {
		t.Errorf("title has %d x's, want %d: updates were lost", len(got.Title)-1, 2*each)
	}
	t.Logf("%d updates in %d+%d transactions", 2*each, ss[0].groups.Load(), ss[1].groups.Load())
}

// TestDuplicateEventAcrossReplicas: the same event proposed at once on two
// replicas, many times over, is stored once per event.
func TestDuplicateEventAcrossReplicas(t *testing.T) {
	ss := openGroupTest(t, 2)
	const events = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	stored := map[string]int{}
	for i := range events {
		for r, s := range ss {
			wg.Go(func() {
				ev := fmt.Sprintf("Ev%d", i)
				_, err := s.CreateDecisionForEvent(ev, t0, proposal(fmt.Sprintf("P%d-%d", i, r)), func(d decisions.Decision) ([]store.OutboxItem, error) {
					return items(d.ID.String() + "/announce"), nil
				})
				switch {
				case err == nil:
					mu.Lock()
					stored[ev]++
					mu.Unlock()
				case !errors.Is(err, store.ErrDuplicateEvent):
					t.Errorf("%s: %v", ev, err)
				}
			})
		}
	}
	wg.Wait()
	for i := range events {
		if n := stored[fmt.Sprintf("Ev%d", i)]; n != 1 {
			t.Errorf("Ev%d stored %d times", i, n)
		}
	}
	if n, err := ss[0].Count(); err != nil || n != events {
		t.Errorf("%d decisions (%v), want %d", n, err, events)
	}
	if n, err := ss[0].OutboxLen(); err != nil || n != events {
		t.Errorf("%d messages (%v), want %d", n, err, events)
	}
}

// TestReserveIDsTogether: callers reserving at once (who may share one
// round trip to the sequence) each get their own id; released ids come
// back first.
func TestReserveIDsTogether(t *testing.T) {
	s := openGroupTest(t, 1)[0]
	const n = 100
	ids := make([]decisions.ID, n)
	releases := make([]func(), n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { ids[i], releases[i] = s.ReserveID() })
	}
	wg.Wait()
	seen := map[decisions.ID]bool{}
	least := ids[0]
	for _, id := range ids {
		if id == 0 || seen[id] {
			t.Fatalf("id %s handed out twice or not at all: %v", id, ids)
		}
		seen[id] = true
		least = min(least, id)
	}
	for _, r := range releases {
		r()
	}
	if next, err := s.PeekNextID(); err != nil || next != least {
		t.Errorf("PeekNextID = %s, %v; want the least released id %s", next, err, least)
	}
	d, err := s.CreateDecision(proposal("Reuses"), nil)
	if err != nil || d.ID != least {
		t.Errorf("CreateDecision got id %s (%v), want %s", d.ID, err, least)
	}
}
