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

func keys(items []store.OutboxItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.Key)
	}
	return out
}

func wantKeys(t *testing.T, what string, items []store.OutboxItem, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if want == nil {
		want = []string{}
	}
	if got := keys(items); !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testOutboxDedup(t *testing.T, b store.Backend) {
	if err := b.Enqueue(store.OutboxItem{Key: "a"}, store.OutboxItem{}); err == nil {
		t.Error("enqueue without a key: no error")
	}
	if n := outboxLen(t, b); n != 0 {
		t.Errorf("a refused enqueue left %d items", n)
	}
	must(t, b.Enqueue(store.OutboxItem{Key: "a", Body: []byte("first")}))
	must(t, b.Enqueue(store.OutboxItem{Key: "a", Body: []byte("retry")}))
	items, err := b.OutboxDue(T0, 0)
	wantKeys(t, "due", items, err, "a")
	if string(items[0].Body) != "first" {
		t.Errorf("body = %q, want the first enqueue's", items[0].Body)
	}
	must(t, b.OutboxDone("a", T0, nil))
	must(t, b.Enqueue(store.OutboxItem{Key: "a", Body: []byte("again")}))
	if n := outboxLen(t, b); n != 0 {
		t.Errorf("a delivered key was enqueued again (%d pending)", n)
	}
	if ok, err := b.Delivered("a"); err != nil || !ok {
		t.Errorf("Delivered(a) = %v, %v", ok, err)
	}
	// Past the retention, a new OutboxDone forgets it.
	must(t, b.Enqueue(store.OutboxItem{Key: "b"}))
	must(t, b.OutboxDone("b", T0.Add(store.DeliveredRetention+time.Hour), nil))
	if ok, _ := b.Delivered("a"); ok {
		t.Error("a delivered key outlived the retention")
	}
	for _, err := range []error{
		b.OutboxAttempt("nope", T0), b.OutboxRetry("nope", T0, "x"), b.OutboxPostpone("nope", T0, "x"),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("change of a missing key = %v, want ErrNotFound", err)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testOutboxLifecycle(t *testing.T, b store.Backend) {
	if _, ok, err := b.OutboxNext(); err != nil || ok {
		t.Errorf("OutboxNext on empty = %v, %v", ok, err)
	}
	must(t, b.Enqueue(
		store.OutboxItem{Key: "later", NotBefore: T0.Add(time.Minute), Body: []byte{0, 1, 2}},
		store.OutboxItem{Key: "now1"},
		store.OutboxItem{Key: "now2"},
	))
	next, ok, err := b.OutboxNext()
	if err != nil || !ok || !next.Equal(T0) {
		t.Errorf("OutboxNext = %v, %v, %v; want %v", next, ok, err, T0)
	}
	items, err := b.OutboxDue(T0, 0)
	wantKeys(t, "due now", items, err, "now1", "now2")
	if !items[0].Enqueued.Equal(T0) || !items[0].NotBefore.Equal(T0) || items[0].Seq == 0 {
		t.Errorf("stamped item = %+v", items[0])
	}
	items, err = b.OutboxDue(T0.Add(time.Minute), 1)
	wantKeys(t, "due in a minute, 1", items, err, "now1")
	must(t, b.OutboxAttempt("now1", T0))
	must(t, b.OutboxRetry("now1", T0.Add(2*time.Minute), "rate limited"))
	must(t, b.OutboxPostpone("now1", T0.Add(3*time.Minute), "paced"))
	items, err = b.OutboxDue(T0.Add(time.Hour), 0)
	wantKeys(t, "due in an hour", items, err, "now2", "later", "now1")
	it := items[2]
	if it.Attempts != 1 || it.LastError != "paced" || !it.Attempted.Equal(T0) || !it.NotBefore.Equal(T0.Add(3*time.Minute)) {
		t.Errorf("retried item = %+v, want 1 attempt, attempted at T0", it)
	}
	if string(items[1].Body) != "\x00\x01\x02" {
		t.Errorf("body = %q", items[1].Body)
	}
	refs := map[string]decisions.MessageRef{"D-1/announce": {Channel: "C1", TS: "1.1"}}
	must(t, b.OutboxDone("now2", T0, refs))
	if ok, _ := b.OutboxPending("now2"); ok {
		t.Error("done item still pending")
	}
	if ref, ok, err := b.Ref("D-1/announce"); err != nil || !ok || ref.TS != "1.1" {
		t.Errorf("ref saved with the delivery = %v, %v, %v", ref, ok, err)
	}
	if n := outboxLen(t, b); n != 2 {
		t.Errorf("OutboxLen = %d, want 2", n)
	}
}

// testOutboxAfter: a sender remembering the last Seq it read never misses
// an item, however many writers enqueue at once.
func testOutboxAfter(t *testing.T, b store.Backend) {
	const writers, each = 8, 10
	var wg sync.WaitGroup
	seen := map[string]bool{}
	var last uint64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			items, err := b.OutboxAfter(last, 0)
			if err != nil {
				done <- err
				return
			}
			for _, it := range items {
				if it.Seq <= last {
					done <- fmt.Errorf("seq %d after %d", it.Seq, last)
					return
				}
				seen[it.Key], last = true, it.Seq
			}
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
		}
	}()
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := b.Enqueue(store.OutboxItem{Key: fmt.Sprintf("w%d/%d", w, i)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// One last read after every writer finished.
	items, err := b.OutboxAfter(last, 0)
	must(t, err)
	for _, it := range items {
		seen[it.Key] = true
	}
	// An item committed with a seq below one already read would be missed
	// by the tail, then found here only because we read everything again.
	all, err := b.OutboxAfter(0, 0)
	must(t, err)
	if len(all) != writers*each || len(seen) != writers*each {
		t.Errorf("tail saw %d of %d items (%d stored)", len(seen), writers*each, len(all))
	}
	items, err = b.OutboxAfter(all[2].Seq, 2)
	wantKeys(t, "OutboxAfter(third, 2)", items, err, all[3].Key, all[4].Key)
}

func testView(t *testing.T, b store.Backend) {
	d := create(t, b, Proposal("x", "U1", "product", "U2"))
	must(t, b.SetRef("D-1/dm/U2", decisions.MessageRef{Channel: "D2", TS: "2.2"}))
	must(t, b.Enqueue(store.OutboxItem{Key: "pending"}))
	_, err := b.UpdateDecisionIn(d.ID, func(v store.View, d decisions.Decision) (decisions.Decision, []store.OutboxItem, error) {
		ref, ok, err := v.Ref("D-1/dm/U2")
		if err != nil || !ok || ref.TS != "2.2" {
			return d, nil, fmt.Errorf("view ref = %v, %v, %v", ref, ok, err)
		}
		refs, err := v.RefsWithPrefix("D-1/dm/")
		if err != nil || len(refs) != 1 {
			return d, nil, fmt.Errorf("view refs = %v, %v", refs, err)
		}
		if ok, err := v.OutboxPending("pending"); err != nil || !ok {
			return d, nil, fmt.Errorf("view pending = %v, %v", ok, err)
		}
		if ok, _ := v.OutboxPending("other"); ok {
			return d, nil, errors.New("view: other is pending")
		}
		return d, []store.OutboxItem{{Key: "from-update"}}, nil
	})
	must(t, err)
	if ok, _ := b.OutboxPending("from-update"); !ok {
		t.Error("the update's item was not enqueued")
	}
}

func testEvents(t *testing.T, b store.Backend) {
	if _, err := b.MarkEvent("", T0); err == nil {
		t.Error("empty event id: no error")
	}
	first, err := b.MarkEvent("Ev1", T0)
	if err != nil || !first {
		t.Fatalf("first mark = %v, %v", first, err)
	}
	if first, _ := b.MarkEvent("Ev1", T0.Add(time.Second)); first {
		t.Error("second mark was first")
	}
	_, _ = b.MarkEvent("Ev2", T0.Add(time.Hour))
	n, err := b.ExpireEvents(T0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Errorf("ExpireEvents = %d, %v; want 1", n, err)
	}
	if seen, _ := b.EventSeen("Ev1"); seen {
		t.Error("expired event still seen")
	}
	if seen, _ := b.EventSeen("Ev2"); !seen {
		t.Error("recent event forgotten")
	}
}

func testReplay(t *testing.T, b store.Backend) {
	if _, err := b.MarkRequest("", T0); err == nil {
		t.Error("empty signature: no error")
	}
	if first, err := b.MarkRequest("v0=abc", T0); err != nil || !first {
		t.Fatalf("first = %v, %v", first, err)
	}
	if first, _ := b.MarkRequest("v0=abc", T0); first {
		t.Error("a replay was first")
	}
	// A request well after the window prunes the old signature.
	if first, _ := b.MarkRequest("v0=def", T0.Add(time.Hour)); !first {
		t.Error("new signature was not first")
	}
	if n, err := b.RememberedRequests(); err != nil || n != 1 {
		t.Errorf("RememberedRequests = %d, %v; want 1", n, err)
	}
}

func testRefs(t *testing.T, b store.Backend) {
	if err := b.SetRef("", decisions.MessageRef{}); err == nil {
		t.Error("empty ref key: no error")
	}
	if _, ok, err := b.Ref("D-1/announce"); err != nil || ok {
		t.Errorf("missing ref = %v, %v", ok, err)
	}
	must(t, b.SetRef("D-1/dm/U1", decisions.MessageRef{Channel: "D1", TS: "1"}))
	must(t, b.SetRef("D-1/dm/U2", decisions.MessageRef{Channel: "D2", TS: "2"}))
	must(t, b.SetRef("D-10/dm/U1", decisions.MessageRef{Channel: "D1", TS: "10"}))
	must(t, b.SetRef("D-1/dm/U2", decisions.MessageRef{Channel: "D2", TS: "2b"}))
	refs, err := b.RefsWithPrefix("D-1/dm/")
	must(t, err)
	if len(refs) != 2 || refs["D-1/dm/U2"].TS != "2b" {
		t.Errorf("RefsWithPrefix = %v", refs)
	}
}

func testJobs(t *testing.T, b store.Backend) {
	if at, err := b.LastRun("digest"); err != nil || !at.IsZero() {
		t.Errorf("LastRun never run = %v, %v", at, err)
	}
	if err := b.CompleteRun("", T0); err == nil {
		t.Error("empty job: no error")
	}
	at := T0.In(time.FixedZone("CET", 3600))
	must(t, b.CompleteRun("digest", at, store.OutboxItem{Key: "digest/C1"}))
	for _, again := range []time.Time{at, at.Add(-time.Hour)} {
		err := b.CompleteRun("digest", again, store.OutboxItem{Key: "digest/C2"})
		if !errors.Is(err, store.ErrAlreadyRun) {
			t.Errorf("CompleteRun(%v) again = %v, want ErrAlreadyRun", again, err)
		}
	}
	if ok, _ := b.OutboxPending("digest/C2"); ok {
		t.Error("a refused run enqueued its messages")
	}
	got, err := b.LastRun("digest")
	_, off := got.Zone()
	if err != nil || !got.Equal(at) || off != 3600 {
		t.Errorf("LastRun = %v, %v; want %v, in its zone's offset", got, err, at)
	}
}

func testJobsConcurrent(t *testing.T, b store.Backend) {
	const n = 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	ran := 0
	for i := range n {
		wg.Go(func() {
			err := b.CompleteRun("digest", T0, store.OutboxItem{Key: fmt.Sprintf("digest/%d", i)})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ran++
			} else if !errors.Is(err, store.ErrAlreadyRun) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if ran != 1 || outboxLen(t, b) != 1 {
		t.Errorf("%d runs recorded, %d messages; want 1 and 1", ran, outboxLen(t, b))
	}
}

func testAways(t *testing.T, b store.Backend) {
	if err := b.SetAway(store.Away{}); err == nil {
		t.Error("away without a user: no error")
	}
	must(t, b.SetAway(store.Away{User: "U2", Until: T0.Add(time.Hour), Delegate: "U3"}))
	must(t, b.SetAway(store.Away{User: "U1", Until: T0.Add(time.Hour)}))
	must(t, b.SetAway(store.Away{User: "U1", Until: T0.Add(2 * time.Hour)}))
	aways, err := b.Aways()
	must(t, err)
	if len(aways) != 2 || aways[0].User != "U1" || !aways[0].Until.Equal(T0.Add(2*time.Hour)) || aways[1].Delegate != "U3" {
		t.Errorf("Aways = %+v", aways)
	}
	must(t, b.SetAway(store.Away{User: "U1"}))
	if aways, _ := b.Aways(); len(aways) != 1 {
		t.Errorf("after clearing U1: %+v", aways)
	}
}

func testProbe(t *testing.T, b store.Backend) {
	must(t, b.Probe(T0))
	must(t, b.Probe(T0.Add(time.Second)))
}

// testOutboxAttemptOnce: recording an attempt is a compare-and-set, so of
// two senders (an old and a new leader) racing for one message, exactly
// one records the attempt and the other learns someone else is at it.
func testOutboxAttemptOnce(t *testing.T, b store.Backend) {
	must(t, b.Enqueue(store.OutboxItem{Key: "dm/D-1/U1", Body: []byte("{}")}))
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.OutboxAttempt("dm/D-1/U1", T0.Add(time.Duration(i)*time.Second))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range results {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrAttemptedElsewhere):
			t.Errorf("attempt: %v, want nil or ErrAttemptedElsewhere", err)
		}
	}
	if won != 1 {
		t.Errorf("%d senders recorded the attempt, want exactly 1", won)
	}
}
