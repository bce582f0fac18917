package store

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestOutboxAfterReadsInCommitOrder: items come back in enqueue order
// whatever their NotBefore, each once for a sender that keeps the last Seq;
// delivered items leave the sequence index; an attempt is recorded.
func TestOutboxAfterReadsInCommitOrder(t *testing.T) {
	h := newTestDB(t)
	// Enqueue times out of order, as racing handlers produce them.
	if err := h.Enqueue(OutboxItem{Key: "b", Body: []byte(`{}`), NotBefore: t0.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := h.Enqueue(OutboxItem{Key: "a", Body: []byte(`{}`), NotBefore: t0}); err != nil {
		t.Fatal(err)
	}
	keys := func(its []OutboxItem, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range its {
			out = append(out, it.Key)
		}
		return out
	}
	all, err := h.OutboxAfter(0, 0)
	if got := keys(all, err); !slices.Equal(got, []string{"b", "a"}) {
		t.Fatalf("OutboxAfter(0) = %v, want commit order b, a", got)
	}
	if got := keys(h.OutboxAfter(all[0].Seq, 0)); !slices.Equal(got, []string{"a"}) {
		t.Errorf("OutboxAfter(b) = %v, want a", got)
	}
	if err := h.OutboxAttempt("a", t0); err != nil {
		t.Fatal(err)
	}
	if err := h.OutboxAttempt("nope", t0); err == nil {
		t.Error("attempt on a missing key succeeded")
	}
	if err := h.OutboxDone("b", t0, nil); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	left, err := h.OutboxAfter(0, 0)
	if got := keys(left, err); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after delivering b: %v", got)
	}
	if !left[0].Attempted.Equal(t0) {
		t.Errorf("attempt not kept across a restart: %v", left[0].Attempted)
	}
}

// TestOutboxSeqIndexRebuilt: a file written before outbox_seq existed gets
// it filled at open.
func TestOutboxSeqIndexRebuilt(t *testing.T) {
	h := newTestDB(t)
	if err := h.Enqueue(OutboxItem{Key: "x", Body: []byte(`{}`)}, OutboxItem{Key: "y", Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := h.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte(bucketOutboxSeq)) }); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.Close(); err != nil { // not h.close: its check would (rightly) fail
		t.Fatal(err)
	}
	h.open()
	its, err := h.OutboxAfter(0, 0)
	if err != nil || len(its) != 2 || its[0].Key != "x" {
		t.Fatalf("after rebuild: %v, %v", its, err)
	}
}

// TestOutboxBodyStoredRaw: a body is stored as its own bytes, not base64
// inside JSON, and items written in the old all-JSON form still read.
func TestOutboxBodyStoredRaw(t *testing.T) {
	h := newTestDB(t)
	body := []byte(`{"kind":"post","text":"D-1 proposed"}`)
	if err := h.Enqueue(OutboxItem{Key: "new", Body: body}); err != nil {
		t.Fatal(err)
	}
	old, _ := json.Marshal(OutboxItem{Key: "old", Body: []byte("legacy"), Seq: 99, NotBefore: t0, Enqueued: t0})
	if err := h.db.Update(func(tx *bolt.Tx) error {
		if !bytes.Contains(tx.Bucket([]byte(bucketOutbox)).Get([]byte("new")), body) {
			t.Error("the body is not stored as is")
		}
		it := OutboxItem{Seq: 99, NotBefore: t0}
		if err := tx.Bucket([]byte(bucketOutboxDue)).Put(outboxDueKey(&it), []byte("old")); err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketOutboxSeq)).Put(u64(99), []byte("old")); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketOutbox)).Put([]byte("old"), old)
	}); err != nil {
		t.Fatal(err)
	}
	its, err := h.OutboxAfter(0, 0)
	if err != nil || len(its) != 2 {
		t.Fatalf("OutboxAfter = %v, %v", its, err)
	}
	if string(its[0].Body) != string(body) || string(its[1].Body) != "legacy" {
		t.Errorf("bodies read back: %q, %q", its[0].Body, its[1].Body)
	}
}
