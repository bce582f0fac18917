package bot_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// TestConcurrentRoundRobinTakesTurns: proposals to a round-robin domain
// arriving at once (and so committed together) still alternate between
// its two owners: each has its own id, and so its own turn.
func TestConcurrentRoundRobinTakesTurns(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const n = 20
	bodies := make([][]byte, n)
	for i := range n {
		sc := slashCommand{
			TeamID: slackfake.TeamID, AppID: slackfake.AppID, Command: "/decide",
			User: ravi, UserName: "ravi", Channel: chRandom, ChannelName: "random",
			Text:        fmt.Sprintf("Put item %d on the roadmap for next quarter", i),
			ResponseURL: e.fake.ResponseURLFor(chRandom, ravi), TriggerID: fmt.Sprintf("1337.42.rr%04d", i),
		}
		bodies[i] = render(t, "slash_command.tmpl", sc)
	}
	var wg sync.WaitGroup
	for _, b := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.send("/slack/commands", "application/x-www-form-urlencoded", b, nil); r.Status != http.StatusOK {
				t.Errorf("proposal answered %d", r.Status)
			}
		}()
	}
	wg.Wait()
	per := map[string]int{}
	for id := 1; id <= n; id++ {
		d := e.decision(decisions.ID(id))
		if d.Domain != "product/roadmap" || len(d.Deciders) != 1 {
			t.Fatalf("%s: domain %s, deciders %v", d.ID, d.Domain, d.Deciders)
		}
		per[d.Deciders[0]]++
	}
	if per[tom] != n/2 || per[grace] != n/2 {
		t.Errorf("turns = %v, want %d each", per, n/2)
	}
}

// Concurrent proposals to a least_loaded domain (engineering/infrastructure,
// three owners) each see the load the ones before them committed, so they
// spread evenly instead of all landing on whoever was least loaded first.
func TestConcurrentLeastLoadedSpreads(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const n = 30
	var wg sync.WaitGroup
	for i := range n {
		sc := slashCommand{
			TeamID: slackfake.TeamID, AppID: slackfake.AppID, Command: "/decide",
			User: ravi, UserName: "ravi", Channel: chRandom, ChannelName: "random",
			Text:        fmt.Sprintf("Deploy service %d to the new kubernetes cluster", i),
			ResponseURL: e.fake.ResponseURLFor(chRandom, ravi), TriggerID: fmt.Sprintf("1337.42.ll%04d", i),
		}
		body := render(t, "slash_command.tmpl", sc)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.send("/slack/commands", "application/x-www-form-urlencoded", body, nil); r.Status != http.StatusOK {
				t.Errorf("proposal answered %d", r.Status)
			}
		}()
	}
	wg.Wait()
	wantSpreadOverInfra(t, e, n)
}

// wantSpreadOverInfra checks that decisions D-1…D-n went to
// engineering/infrastructure, one owner each, n/3 to each of its three
// owners (least_loaded taking turns).
func wantSpreadOverInfra(t *testing.T, e *e2e, n int) {
	t.Helper()
	per := map[string]int{}
	for id := 1; id <= n; id++ {
		d := e.decision(decisions.ID(id))
		if d.Domain != "engineering/infrastructure" || len(d.Deciders) != 1 {
			t.Fatalf("%s: domain %s, deciders %v", d.ID, d.Domain, d.Deciders)
		}
		per[d.Deciders[0]]++
	}
	for _, u := range []string{"U03PRIYA6", "U03LARS07", "U03MEI008"} {
		if per[u] != n/3 {
			t.Errorf("load = %v, want %d each", per, n/3)
			break
		}
	}
}
