package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// markInFile reports whether sig's mark at t0 is committed.
func markInFile(t *testing.T, h *testDB, sig string) bool {
	t.Helper()
	var in bool
	if err := h.db.View(func(tx *bolt.Tx) error {
		in = tx.Bucket([]byte(bucketReplay)).Get(tsKey(t0, []byte(sig))) != nil
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestReviewFailedMarkIsNotForgotten: when the commit carrying a request's
// mark fails (here the file may not grow: bbolt's MaxSize, the same kind
// of commit error as a full disk), MarkRequest has already told the caller
// "first" with no error, so the request was handled. The mark must then
// not simply vanish: a write the caller makes afterwards that does commit
// must not land before it, and a copy of the request must still be refused.
// Before the change MarkRequest returned the commit's error and the
// request was refused.
func TestReviewFailedMarkIsNotForgotten(t *testing.T) {
	h := newTestDB(t)
	// Marks until one needs the file to grow, with growing forbidden: the
	// writer is idle between iterations (settle), so setting MaxSize here
	// happens before the writer reads it.
	h.db.MaxSize = 1
	failed, reported := "", false
	for i := range 5000 {
		sig := fmt.Sprintf("v0=%064d", i)
		first, err := h.MarkRequest(sig, t0)
		if err != nil || !first {
			reported = true // refused outright: the caller knows (the old behaviour)
			break
		}
		_ = h.Store.update(func(*bolt.Tx) error { return nil }) // what settle does
		if !markInFile(t, h, sig) {
			failed = sig
			break
		}
	}
	h.db.MaxSize = 0
	if reported {
		return
	}
	if failed == "" {
		t.Skip("no mark needed the file to grow")
	}
	// The request was handled: its write commits.
	if err := h.SetRef("k", decisions.MessageRef{Channel: "C1", TS: "1.2"}); err != nil {
		t.Fatal(err)
	}
	if !markInFile(t, h, failed) {
		t.Errorf("MarkRequest(%q) said first with no error, a later write committed, and the mark is not in the file", failed)
	}
	if first, err := h.MarkRequest(failed, t0); err == nil && first {
		t.Errorf("a copy of a request whose mark failed to commit is taken as first: the request is handled twice")
	}
}

// TestReviewBrokenStoreStillRefusesReplays: once a write found the file
// damaged, every write fails at once. MarkRequest still says "first" with
// no error (its failure goes only to the forget callback), so every copy
// of a request is let through to its handler; before the change the mark's
// error refused it.
func TestReviewBrokenStoreStillRefusesReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "baton.db")
	s, err := Open(path, Options{Timeout: 100 * time.Millisecond, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	// Close leaves a broken store open on purpose (bbolt may hold its lock).
	t.Cleanup(func() { _ = s.Close() })
	s.broken.set(damaged(path, "test: a page went bad"))
	var firsts int
	for range 3 {
		first, err := s.MarkRequest("v0=copied", t0)
		_ = s.update(func(*bolt.Tx) error { return nil }) // the mark's outcome is in
		if err == nil && first {
			firsts++
		}
	}
	if firsts > 1 {
		t.Errorf("on a broken store %d of 3 copies of one request were taken as first, with no error", firsts)
	}
}
