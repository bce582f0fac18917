package store

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// TestMarkRequestRefusesReplaysAcrossRestart: the same signed request is
// accepted once, also after a restart; other signatures are not confused
// with it, and signatures too old to verify again are pruned.
func TestMarkRequestRefusesReplaysAcrossRestart(t *testing.T) {
	h := newTestDB(t)
	at := t0
	mark := func(sig string, signedAt time.Time) bool {
		t.Helper()
		first, err := h.MarkRequest(sig, signedAt)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !mark("v0=aaa", at) {
		t.Fatal("a new signature was taken for a replay")
	}
	if mark("v0=aaa", at) {
		t.Error("the same signature at the same time was accepted twice")
	}
	h.reopen()
	if mark("v0=aaa", at) {
		t.Error("a replay after a restart was accepted")
	}
	if !mark("v0=bbb", at) {
		t.Error("another signature at the same second was taken for a replay")
	}
	if _, err := h.MarkRequest("", at); err == nil {
		t.Error("an empty signature was accepted")
	}
	// Ten minutes and a second later, both are unverifiable and pruned.
	if !mark("v0=ccc", at.Add(2*ReplayWindow+time.Second)) {
		t.Error("a new signature after the window was taken for a replay")
	}
	if n, err := h.RememberedRequests(); err != nil || n != 1 {
		t.Errorf("remembered %d signatures (err %v), want 1 once the old ones expired", n, err)
	}
}

// TestMarkRequestIsDurableBeforeTheNextWrite: MarkRequest does not wait
// for its commit, so concurrent copies of one request must still find
// exactly one first (the mark is pending in memory), and the mark must be
// in the file once any write made after it has returned.
func TestMarkRequestIsDurableBeforeTheNextWrite(t *testing.T) {
	h := newTestDB(t)
	var firsts atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			first, err := h.MarkRequest("v0=same", t0)
			if err != nil {
				t.Error(err)
			}
			if first {
				firsts.Add(1)
			}
		})
	}
	wg.Wait()
	if n := firsts.Load(); n != 1 {
		t.Fatalf("%d of 50 copies of one request were taken as first", n)
	}
	if first, err := h.MarkRequest("v0=next", t0); err != nil || !first {
		t.Fatalf("a new signature: first %v, err %v", first, err)
	}
	// A write after the mark: once it returns, the mark is in the file.
	if err := h.SetRef("k", decisions.MessageRef{Channel: "C1", TS: "1.2"}); err != nil {
		t.Fatal(err)
	}
	var inFile bool
	if err := h.db.View(func(tx *bolt.Tx) error {
		inFile = tx.Bucket([]byte(bucketReplay)).Get(tsKey(t0, []byte("v0=next"))) != nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !inFile {
		t.Error("a write made after MarkRequest returned before the mark was committed")
	}
}
