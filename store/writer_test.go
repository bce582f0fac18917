package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

func putMeta(key string) func(tx *bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put([]byte(key), []byte("x"))
	}
}

func metaHas(t *testing.T, h *testDB, key string) bool {
	t.Helper()
	var ok bool
	if err := h.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket([]byte(bucketMeta)).Get([]byte(key)) != nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestGroupSplitsAroundAFailure: a write that fails after writing rolls
// back only itself; the writes grouped with it commit; a refused write is a
// value and rolls back nothing.
func TestGroupSplitsAroundAFailure(t *testing.T) {
	h := newTestDB(t)
	boom := errors.New("boom")
	reqs := []*writeReq{
		{fn: putMeta("t-first")},
		{fn: func(tx *bolt.Tx) error {
			if err := putMeta("t-failed")(tx); err != nil {
				return err
			}
			return boom
		}},
		{fn: func(*bolt.Tx) error { return Refuse(ErrDuplicateEvent) }},
		{fn: putMeta("t-last")},
	}
	for _, r := range reqs {
		r.done = make(chan error, 1)
	}
	h.commit(reqs)
	errs := make([]error, len(reqs))
	for i, r := range reqs {
		errs[i] = <-r.done
	}
	if errs[0] != nil || errs[3] != nil {
		t.Errorf("writes grouped with a failure failed: %v, %v", errs[0], errs[3])
	}
	if !errors.Is(errs[1], boom) {
		t.Errorf("failed write got %v, want its own error", errs[1])
	}
	if !errors.Is(errs[2], ErrDuplicateEvent) {
		t.Errorf("refused write got %v", errs[2])
	}
	if !metaHas(t, h, "t-first") || !metaHas(t, h, "t-last") || metaHas(t, h, "t-failed") {
		t.Error("wrong writes committed around the failure")
	}
}

// TestConcurrentProposalsShareCommits: 200 concurrent proposals, some
// retried by Slack, all commit with unique ids in far fewer transactions;
// a retried event creates one decision, the others get ErrDuplicateEvent.
func TestConcurrentProposalsShareCommits(t *testing.T) {
	h := newTestDB(t)
	before := h.groups.Load()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[decisions.ID]bool{}
	dups := 0
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			event := fmt.Sprintf("Ev%d", i%150) // 50 events delivered twice
			d, err := h.CreateDecisionForEvent(event, t0, proposal("p", "U1", "product", "U2"), func(d decisions.Decision) ([]OutboxItem, error) {
				return []OutboxItem{{Key: d.ID.String() + "/announce", Body: []byte(`{"kind":"post"}`)}}, nil
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrDuplicateEvent):
				dups++
			case err != nil:
				t.Error(err)
			case ids[d.ID]:
				t.Errorf("id %s given twice", d.ID)
			default:
				ids[d.ID] = true
			}
		}()
	}
	wg.Wait()
	if len(ids) != 150 || dups != 50 {
		t.Errorf("%d decisions and %d duplicates, want 150 and 50", len(ids), dups)
	}
	if n, _ := h.Count(); n != 150 {
		t.Errorf("Count = %d", n)
	}
	if n, _ := h.OutboxLen(); n != 150 {
		t.Errorf("%d announcements queued, want 150", n)
	}
	t.Logf("200 writes in %d commits", h.groups.Load()-before)
}

// TestWriteAfterClose: a write to a closed store fails instead of hanging.
func TestWriteAfterClose(t *testing.T) {
	h := newTestDB(t)
	s := h.Store
	h.close()
	if err := s.Enqueue(OutboxItem{Key: "k"}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v, want ErrClosed", err)
	}
}
