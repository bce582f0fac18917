package store

import (
	"testing"
	"time"
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
