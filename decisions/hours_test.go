package decisions

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// nineAM is a reminder hour of 09:00 every day in each person's zone,
// the workspace's for "" and anyone not listed.
type nineAM struct {
	workspace *time.Location
	zones     map[string]*time.Location
}

func (h nineAM) Next(user string, t time.Time) time.Time {
	loc, ok := h.zones[user]
	if !ok {
		loc = h.workspace
	}
	t = t.In(loc)
	nine := time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, loc)
	if !nine.After(t) {
		nine = nine.AddDate(0, 0, 1)
	}
	return nine
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestPolicyEachPersonsHour runs the hourly scheduler over a decision
// whose deciders live in different zones: each is reminded at 09:00 in
// their own zone, one day's reminders count once toward escalate_after,
// and climbs happen at the workspace's 09:00. simulateIn also checks that
// NextCheck never sleeps through a step.
func TestPolicyEachPersonsHour(t *testing.T) {
	london, tokyo, newYork := mustZone(t, "Europe/London"), mustZone(t, "Asia/Tokyo"), mustZone(t, "America/New_York")
	tests := []struct {
		name      string
		workspace *time.Location
		zones     map[string]*time.Location
		due       time.Time
		people    map[time.Time]Action
		end       time.Time
		want      []string
	}{{
		// 09:00 in Tokyo is 00:00 UTC (London's time in November).
		name:      "London workspace, Bob in Tokyo",
		workspace: london,
		zones:     map[string]*time.Location{"UBOB": tokyo},
		end:       polAt(12, 20),
		want: []string{
			"Thu 11-26 09:00 remind [UALICE] past its 3-day SLA",
			"Fri 11-27 00:00 remind [UBOB] past its 3-day SLA (same round)",
			"Fri 11-27 09:00 remind [UALICE] past its 3-day SLA",
			"Sat 11-28 00:00 remind [UBOB] past its 3-day SLA (same round)",
			// Bob's last reminder gets a day's grace too: not Saturday 09:00.
			"Sun 11-29 09:00 escalate [UCPO] 2 reminders without a decision",
			"Wed 12-02 09:00 remind [UALICE UCPO] past its 3-day SLA",
			"Thu 12-03 00:00 remind [UBOB] past its 3-day SLA (same round)",
			// Alice and Bob have had their three; the product owner his second.
			"Thu 12-03 09:00 remind [UCPO] past its 3-day SLA",
			"Fri 12-04 09:00 stuck [] 2 reminders without a decision; nobody above product/pricing can take it",
		},
	}, {
		// The same people with the workspace in Tokyo: it climbs at
		// 00:00 UTC, a day's grace after the round Bob started.
		name:      "Tokyo workspace, Alice in London",
		workspace: tokyo,
		zones:     map[string]*time.Location{"UALICE": london},
		end:       polAt(9, 20),
		want: []string{
			"Thu 11-26 09:00 remind [UALICE] past its 3-day SLA",
			"Fri 11-27 00:00 remind [UBOB] past its 3-day SLA (same round)",
			"Fri 11-27 09:00 remind [UALICE] past its 3-day SLA",
			"Sat 11-28 00:00 remind [UBOB] past its 3-day SLA (same round)",
			"Sun 11-29 00:00 escalate [UCPO] 2 reminders without a decision",
			// The SLA runs again from the climb; the product owner is in
			// the workspace's zone.
			"Wed 12-02 00:00 remind [UBOB UCPO] past its 3-day SLA",
			"Wed 12-02 09:00 remind [UALICE] past its 3-day SLA (same round)",
		},
	}, {
		// Alice in New York: 09:00 there is 14:00 UTC. A due date read
		// "due within a day" comes at Thursday 17:00 UTC, too late for
		// Thursday's London hour; each is reminded at their next.
		name:      "due date, three zones",
		workspace: london,
		zones:     map[string]*time.Location{"UALICE": newYork, "UBOB": tokyo},
		due:       time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC),
		end:       polAt(5, 20),
		want: []string{
			"Thu 11-26 14:00 remind [UALICE] past its 3-day SLA",
			"Fri 11-27 00:00 remind [UBOB] past its 3-day SLA (same round)",
			"Fri 11-27 14:00 remind [UALICE] past its 3-day SLA",
			// Overdue, it climbs at the workspace's hour: nobody is nudged
			// in between.
			"Sat 11-28 09:00 escalate [UCPO] past its due date 2026-11-27",
		},
	}, {
		// Nobody is reminded at 03:00 their time, even when the decision
		// is handed to them at midnight: the hand-over DM is the nudge.
		name:      "reassigned to someone in Tokyo",
		workspace: london,
		zones:     map[string]*time.Location{"UDAN": tokyo},
		people: map[time.Time]Action{
			polAt(3, 18): {Verb: VerbReassign, Actor: Actor{User: "UALICE"}, Users: []string{"UDAN"}},
		},
		end: polAt(9, 12),
		want: []string{
			"Thu 11-26 09:00 remind [UALICE UBOB] past its 3-day SLA",
			// Handed over Thursday 18:00 UTC; the SLA runs again to Sunday 18:00.
			"Mon 11-30 00:00 remind [UDAN] past its 3-day SLA",
			"Tue 12-01 00:00 remind [UDAN] past its 3-day SLA",
			// Dan's last reminder gets a day's grace: the workspace's hour
			// nine hours later is too soon.
			"Wed 12-02 09:00 escalate [UCPO] 2 reminders without a decision",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hours := nineAM{workspace: tt.workspace, zones: tt.zones}
			sit := func(d Decision, now time.Time) Situation {
				s := polSit(d, now, polUp, nil)
				s.Hours, s.Since = hours, now.Add(-time.Hour)
				return s
			}
			got, _ := simulateIn(t, Policy{EscalateAfter: 2}, polDecision(tt.due), tt.end, tt.people, sit)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("scheduler did:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestPolicyHoursSinceTheLastRun: a run acts for every hour that came
// since the previous run (after downtime, all of them, once), and judges
// each at that hour: a reminder is due at someone's hour only if it was
// due by then.
func TestPolicyHoursSinceTheLastRun(t *testing.T) {
	hours := nineAM{workspace: time.UTC, zones: map[string]*time.Location{"UBOB": mustZone(t, "Asia/Tokyo")}}
	d := polDecision(time.Time{}) // past its SLA from Thursday 09:00 UTC
	fri2 := polAt(4, 2)
	for _, tt := range []struct {
		name       string
		since, now time.Time
		want       []string
	}{
		{"last run an hour ago: nobody's hour", fri2.Add(-time.Hour), fri2, nil},
		{"Bob's hour (00:00 UTC) came", polAt(3, 23), fri2, []string{"UBOB"}},
		{"down since Thursday 08:00: both hours came", polAt(3, 8), fri2, []string{"UALICE", "UBOB"}},
		{"Bob's Thursday hour came before the SLA ran out", polAt(2, 20), polAt(3, 12), []string{"UALICE"}},
		{"a run late after the hour: nobody", polAt(3, 8), polAt(3, 9).Add(50 * time.Minute), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := d
			if strings.Contains(tt.name, "late") {
				// Proposed at 09:30: its SLA runs out after Alice's hour.
				d.CreatedAt = d.CreatedAt.Add(30 * time.Minute)
				d.History = slices.Clone(d.History)
				d.History[0].At = d.CreatedAt
			}
			s := polSit(d, tt.now, polUp, nil)
			s.Hours, s.Since = hours, tt.since
			if got := (Policy{EscalateAfter: 2}).Next(d, s); !reflect.DeepEqual(got.Users, tt.want) {
				t.Errorf("reminded %v, want %v", got.Users, tt.want)
			}
		})
	}
}
