package pgstore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/baton-app/baton/store"
)

// TestReviewAwaysStraddlingSetAway: readers racing a replica's own SetAway
// never leave a stale list cached: once SetAway returns, the next Aways on
// that replica shows it, every round. And a caller changing the list it got
// does not change what the next caller gets.
func TestReviewAwaysStraddlingSetAway(t *testing.T) {
	s := openGroupTest(t, 1)[0]
	for round := range 30 {
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := s.Aways(); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		user := fmt.Sprintf("U%d", round)
		if err := s.SetAway(store.Away{User: user, Until: t0.Add(time.Hour), Delegate: "UD"}); err != nil {
			t.Fatal(err)
		}
		list, err := s.Aways()
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range list {
			found = found || a.User == user
		}
		if !found {
			t.Fatalf("round %d: SetAway(%s) returned, then Aways is %v", round, user, list)
		}
		list[0].Delegate = "changed by a caller"
		again, _ := s.Aways()
		if again[0].Delegate == "changed by a caller" {
			t.Fatal("a caller's change to the returned list shows in the cached one")
		}
	}
}

// TestReviewIDsUniqueUnderRace: ids reserved, released and stored from
// many goroutines at once are never handed out twice at the same time.
func TestReviewIDsUniqueUnderRace(t *testing.T) {
	s := openGroupTest(t, 1)[0]
	var mu sync.Mutex
	held := map[uint64]bool{}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 30 {
				id, release := s.ReserveID()
				if id == 0 {
					t.Error("ReserveID gave 0")
					return
				}
				mu.Lock()
				if held[uint64(id)] {
					t.Errorf("id %d handed out twice", id)
				}
				held[uint64(id)] = true
				mu.Unlock()
				_, _ = s.PeekNextID()
				mu.Lock()
				delete(held, uint64(id))
				mu.Unlock()
				if (g+i)%3 == 0 {
					s.ids.Stored(uint64(id))
				}
				release()
			}
		})
	}
	wg.Wait()
}
