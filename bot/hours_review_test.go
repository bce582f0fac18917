package bot

import (
	"slices"
	"testing"
	"time"

	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// TestReviewEscalationNextCheckUsesDecidersZones: when a run escalates a
// decision, the policy takes the climb path and never asks for the
// existing deciders' hours, so plan looks up only the new deciders'
// zones (hours.know(st.Users)). The NextCheck computed inside the write
// then reads every other decider's hour in the workspace's zone. For a
// decider whose own hour comes before the workspace's that is too late:
// the scheduler does not look at the decision at their hour, the run at
// the workspace's hour no longer counts it, and they miss the day.
//
// Pricing's owners are UPRICE1 in Berlin (09:00 = 08:00 UTC) and UPRICE2
// in the workspace's UTC. Proposed Monday 08:00 due 10:00, it climbs to
// the CFO at Tuesday 09:00 (overdue); Wednesday is everyone's first
// reminder day after the hand-over, and UPRICE1's hour comes at 08:00 UTC.
func TestReviewEscalationNextCheckUsesDecidersZones(t *testing.T) {
	h := newSched(t, "UTC", mon2.Add(8*time.Hour))
	h.fake.AddUser(slackfake.User{ID: uPrice1, Name: "uprice1", TZ: "Europe/Berlin"})
	d := h.propose(uTom, "product/pricing", "Raise prices", mon2.Add(10*time.Hour))
	tue9 := mon2.AddDate(0, 0, 1).Add(9 * time.Hour)
	h.tick(tue9)
	got := h.decision(d.ID)
	if !slices.Contains(got.Deciders, uCFO) {
		t.Fatalf("Tuesday 09:00: deciders %v, want the CFO added", got.Deciders)
	}
	wed8 := mon2.AddDate(0, 0, 2).Add(8 * time.Hour) // 09:00 in Berlin
	if got.NextCheck.After(wed8) {
		t.Errorf("after the climb NextCheck is %s, later than %s, UPRICE1's first reminder hour in Berlin", got.NextCheck.UTC(), wed8)
	}
	h.events()
	h.tick(wed8)
	h.wantEvents("Wednesday 08:00 UTC (09:00 in Berlin)", "remind D-1 UPRICE1")
}

// TestReviewRoundsDelegateGoingAwayIsLookedAtAgain: lookAgain has the
// scheduler look again at the decisions of whoever goes away or comes
// back, but only those they decide (ByDecider). A delegate who goes away
// naming a delegate of their own changes who acts for the owner they
// stand in for just the same, and the new person's hour may come before
// anything NextCheck waits for.
//
// UPRICE1 is on leave with UDEV1 deciding for him. Past pricing's 1-day
// SLA, UDEV1 and UPRICE2 are reminded Tuesday 09:00 UTC (escalate_after 1:
// the one round is spent). At 10:30 UDEV1 goes away too, naming UCTO1
// (Tokyo). UCTO1 now acts for UPRICE1 and owes his reminder in the round
// at his 09:00, Wednesday 00:00 UTC; but the decision's NextCheck is still
// the climb at Wednesday 09:00, so he gets it a day late (and the climb,
// which waits for him, slips a day too).
func TestReviewRoundsDelegateGoingAwayIsLookedAtAgain(t *testing.T) {
	h := newSched(t, "UTC", mon2.Add(8*time.Hour))
	h.fake.AddUser(slackfake.User{ID: uCTO, Name: "ucto1", TZ: "Asia/Tokyo"})
	leave := mon2.AddDate(0, 1, 0)
	if err := h.st.SetAway(store.Away{User: uPrice1, Until: leave, Delegate: uDev}); err != nil {
		t.Fatal(err)
	}
	d := h.propose(uTom, "product/pricing", "Raise prices", time.Time{})
	tue := mon2.AddDate(0, 0, 1)
	h.tick(tue.Add(10*time.Hour + 30*time.Minute))
	var first []string
	for _, e := range h.decision(d.ID).History {
		if e.Kind == decisions.EventReminded {
			first = append(first, e.Users...)
		}
	}
	slices.Sort(first)
	if !slices.Equal(first, []string{uDev, uPrice2}) {
		t.Fatalf("Tuesday: reminded %v, want UDEV1 (for UPRICE1) and UPRICE2", first)
	}
	inv := invocation{User: uDev, Channel: chPropose, Now: h.clock.Now()}
	h.app.cmdAway(h.ctx, inv, command.Command{Until: leave, Delegate: uCTO})
	wed0 := tue.AddDate(0, 0, 1) // 09:00 in Tokyo
	h.tick(wed0.Add(30 * time.Minute))
	var ctoAt []time.Time
	for _, e := range h.decision(d.ID).History {
		if e.Kind == decisions.EventReminded && slices.Contains(e.Users, uCTO) {
			ctoAt = append(ctoAt, e.At)
		}
	}
	if len(ctoAt) == 0 || !ctoAt[0].Equal(wed0) {
		t.Errorf("UCTO1, acting for UPRICE1 since Tuesday 10:30, reminded at %v, want Wednesday 09:00 in Tokyo (%s); NextCheck is %s",
			ctoAt, wed0, h.decision(d.ID).NextCheck.UTC())
	}
}
