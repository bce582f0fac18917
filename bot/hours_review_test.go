package bot

import (
	"slices"
	"testing"
	"time"

	"github.com/baton-app/baton/slackfake"
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
