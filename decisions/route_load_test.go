package decisions

// Review of fe6bc17: Router.UsesLoad lets the bot skip reading the open
// load. Whenever UsesLoad is false, Route must not depend on Request.Load.

import (
	"reflect"
	"testing"
	"time"
)

func FuzzRouteIgnoresLoadUnlessUsesLoad(f *testing.F) {
	f.Add("deploy the pricing change #infra", uint8(0), uint8(1), uint8(2), uint64(3), uint8(5))
	f.Add("pricing", uint8(2), uint8(2), uint8(2), uint64(0), uint8(0))
	f.Add("nothing matches", uint8(1), uint8(0), uint8(2), uint64(7), uint8(255))
	f.Fuzz(func(t *testing.T, text string, a0, a1, a2 uint8, seq uint64, away uint8) {
		policies := []Assign{AssignAll, AssignRoundRobin, AssignLeastLoaded, ""}
		ds := []Domain{
			{Name: "product", Owners: []string{"U1", "U2", "U3"}, Keywords: []string{"roadmap"}, Assign: policies[a0%4]},
			{Name: "product/pricing", Keywords: []string{"pricing"}, Assign: policies[a1%4]}, // held by product
			{Name: "infra", Owners: []string{"U4", "U5", "U6"}, Keywords: []string{"deploy"}, Assign: policies[a2%4], EscalateTo: []string{"U7"}},
		}
		r, err := NewRouter(ds, "product")
		if err != nil {
			t.Fatal(err)
		}
		want := a0%4 == 2 || a1%4 == 2 || a2%4 == 2
		if r.UsesLoad() != want {
			t.Fatalf("UsesLoad = %v with policies %d %d %d", r.UsesLoad(), a0%4, a1%4, a2%4)
		}
		now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		pres := map[string]Presence{}
		for i, u := range []string{"U1", "U2", "U3", "U4", "U5", "U6"} {
			if away&(1<<i) != 0 {
				pres[u] = Presence{AwayUntil: now.Add(time.Hour)}
			}
		}
		req := Request{Text: text, Proposer: "U9", Now: now, Seq: seq, Presence: pres}
		without := r.Route(req)
		req.Load = map[string]int{"U1": 5, "U2": 1, "U3": 3, "U4": 9, "U5": 2, "U6": 0}
		with := r.Route(req)
		if !r.UsesLoad() && !reflect.DeepEqual(with, without) {
			t.Fatalf("UsesLoad is false but the load changed the route:\n with %+v\n without %+v", with, without)
		}
	})
}
