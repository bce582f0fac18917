package pgstore

import (
	"testing"
	"time"

	"github.com/baton-app/baton/store"
)

// TestAwaysCachedBriefly: a replica's own SetAway shows at once in its
// Aways; another replica, which read the list just before, sees it within
// awayTTL and never later.
func TestAwaysCachedBriefly(t *testing.T) {
	rs := openGroupTest(t, 2)
	a, b := rs[0], rs[1]
	if list, err := b.Aways(); err != nil || len(list) != 0 {
		t.Fatalf("aways before: %v %v", list, err)
	}
	if err := a.SetAway(store.Away{User: "U1", Until: t0.Add(72 * time.Hour), Delegate: "U2"}); err != nil {
		t.Fatal(err)
	}
	if list, err := a.Aways(); err != nil || len(list) != 1 || list[0].Delegate != "U2" {
		t.Errorf("the replica that set it: %v %v, want U1 away with U2", list, err)
	}
	deadline := time.Now().Add(awayTTL + time.Second)
	for {
		list, err := b.Aways()
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other replica still reads %v after %s", list, awayTTL+time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := a.SetAway(store.Away{User: "U1"}); err != nil {
		t.Fatal(err)
	}
	if list, err := a.Aways(); err != nil || len(list) != 0 {
		t.Errorf("back: %v %v, want nobody away", list, err)
	}
}
