package store

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// TestReservedIDs: reserved ids are distinct, stored under as reserved, and
// handed back when unused, so ids stay dense; a failed build hands its id
// back too.
func TestReservedIDs(t *testing.T) {
	h := newTestDB(t)
	a, releaseA := h.ReserveID()
	b, releaseB := h.ReserveID()
	if a == b {
		t.Fatalf("two reservations got %s", a)
	}
	d := proposal("second", "U1", "product", "U2")
	d.ID = b
	got, err := h.CreateDecision(d, nil)
	if err != nil || got.ID != b {
		t.Fatalf("create with reserved %s: %v, %v", b, got.ID, err)
	}
	releaseB() // after a successful create: nothing
	releaseA() // unused: handed back
	if next, _ := h.PeekNextID(); next != a {
		t.Errorf("PeekNextID = %s, want the released %s", next, a)
	}
	boom := errors.New("boom")
	if _, err := h.CreateDecision(proposal("fails", "U1", "product", "U2"), func(decisions.Decision) ([]OutboxItem, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("build error = %v", err)
	}
	got = h.create(proposal("first", "U1", "product", "U2"))
	if got.ID != a {
		t.Errorf("next create got %s, want the released %s", got.ID, a)
	}
	h.reopen()
	if next, _ := h.PeekNextID(); next != b+1 {
		t.Errorf("after reopen PeekNextID = %s, want %s", next, b+1)
	}
}

// TestUpdateSeesItsTransaction: a callback's View reads the transaction it
// writes in, so a ref saved by a write grouped before it is seen.
func TestUpdateSeesItsTransaction(t *testing.T) {
	h := newTestDB(t)
	d := h.create(proposal("p", "U1", "product", "U2"))
	if err := h.SetRef("D-1/announce", decisions.MessageRef{Channel: "C1", TS: "1.2"}); err != nil {
		t.Fatal(err)
	}
	var seen bool
	if _, err := h.UpdateDecisionIn(d.ID, func(v View, cur decisions.Decision) (decisions.Decision, []OutboxItem, error) {
		_, seen, _ = v.Ref("D-1/announce")
		refs, err := v.RefsWithPrefix("D-1/")
		if err != nil || len(refs) != 1 {
			t.Errorf("RefsWithPrefix = %v, %v", refs, err)
		}
		return cur, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if !seen {
		t.Error("the view did not see the ref")
	}
}

// TestOpenLoadKeptAndRebuilt: the open counts follow creates and
// transitions, and a file without them gets them at open.
func TestOpenLoadKeptAndRebuilt(t *testing.T) {
	h := newTestDB(t)
	h.create(proposal("a", "U1", "product", "UA", "UB"))
	d := h.create(proposal("b", "U1", "product", "UA"))
	if _, err := h.UpdateDecision(d.ID, func(cur decisions.Decision) (decisions.Decision, []OutboxItem, error) {
		cur.Status = decisions.StatusApproved
		return cur, nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"UA": 1, "UB": 1}
	if got, err := h.OpenLoad(); err != nil || !maps.Equal(got, want) {
		t.Fatalf("OpenLoad = %v, %v; want %v", got, err, want)
	}
	if err := h.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(bucketOpenLoad)) }); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.Close(); err != nil {
		t.Fatal(err)
	}
	h.open()
	if got, err := h.OpenLoad(); err != nil || !maps.Equal(got, want) {
		t.Errorf("after rebuild OpenLoad = %v, %v; want %v", got, err, want)
	}
}

// TestCheckReadsDamagedOpenCounts: an open count that is not 8 bytes is
// reported, not a reason for the whole check to fail, and a file with many
// bad counts gets maxCheckErrors problems, not one per user.
func TestCheckReadsDamagedOpenCounts(t *testing.T) {
	h := newTestDB(t)
	h.create(proposal("a", "U1", "product", "UA"))
	put := func(f func(b *bolt.Bucket) error) {
		t.Helper()
		if err := h.db.Update(func(tx *bolt.Tx) error { return f(tx.Bucket([]byte(bucketOpenLoad))) }); err != nil {
			t.Fatal(err)
		}
	}
	put(func(b *bolt.Bucket) error { return b.Put([]byte("UA"), []byte{1}) })
	err := h.Check()
	if err == nil || !strings.Contains(err.Error(), "UA counts -1 open decisions, the decider index 1") || strings.Contains(err.Error(), "panic") {
		t.Errorf("Check with a 1-byte count = %v", err)
	}
	put(func(b *bolt.Bucket) error {
		for i := range 50 {
			if err := b.Put(fmt.Appendf(nil, "UBOGUS%02d", i), u64(3)); err != nil {
				return err
			}
		}
		return nil
	})
	err = h.Check()
	if n := strings.Count(err.Error(), bucketOpenLoad+":"); n != maxCheckErrors {
		t.Errorf("Check reported %d open-count problems, want it to stop at %d:\n%v", n, maxCheckErrors, err)
	}
	// Mend it for the helper's own check at the end.
	put(func(b *bolt.Bucket) error {
		for i := range 50 {
			if err := b.Delete(fmt.Appendf(nil, "UBOGUS%02d", i)); err != nil {
				return err
			}
		}
		return b.Put([]byte("UA"), u64(1))
	})
}
