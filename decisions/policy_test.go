package decisions

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// polT0 is Monday 2026-11-23 09:00 UTC, when D-1 is proposed.
var polT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func polAt(day, hour int) time.Time {
	return time.Date(2026, 11, 23+day, hour, 0, 0, 0, time.UTC)
}

// polUp is the escalation ladder of product/pricing: its parent
// product's owner, then nobody.
var polUp = []Rung{{Label: "the owners of product", Users: []string{"UCPO"}}}

var polSLA = map[string]time.Duration{"product/pricing": 72 * time.Hour, "product": 48 * time.Hour}

// polSit is the situation of d at now: its domain's SLA, the ladder, and
// who is away.
func polSit(d Decision, now time.Time, ladder []Rung, presence map[string]Presence) Situation {
	return Situation{Now: now, Rules: DomainRules{SLA: polSLA[d.Domain]}, Ladder: ladder, People: People{Presence: presence, Now: now}}
}

func polDecision(due time.Time) Decision {
	d := NewDecision(
		Proposal{Title: "Raise the Pro plan price", Proposer: "UCAROL", Due: due},
		Route{Domain: "product/pricing", Deciders: []string{"UALICE", "UBOB"}},
		polT0,
	)
	d.ID = 1
	return d
}

// simulate runs an hourly scheduler from one hour after polT0 until end,
// applying people's actions at their hour before the scheduler runs, and
// returns what the scheduler did, one line per step.
func simulate(t *testing.T, p Policy, d Decision, end time.Time, people map[time.Time]Action) ([]string, Decision) {
	t.Helper()
	return simulateIn(t, p, d, end, people, func(d Decision, now time.Time) Situation { return polSit(d, now, polUp, nil) })
}

func simulateIn(t *testing.T, p Policy, d Decision, end time.Time, people map[time.Time]Action, sit func(Decision, time.Time) Situation) ([]string, Decision) {
	t.Helper()
	var log []string
	// check is the decision's NextCheck as the scheduler keeps it: zero
	// (look now) after people act, else what the last look computed. A
	// step the policy would take before it is a step the scheduler misses.
	var check time.Time
	for now := polT0.Add(time.Hour); !now.After(end); now = now.Add(time.Hour) {
		if a, ok := people[now]; ok {
			var err error
			if d, err = Apply(d, a, now); err != nil {
				t.Fatalf("%s: %s: %v", now, a.Verb, err)
			}
			check = time.Time{}
		}
		st := sit(d, now)
		step := p.Next(d, st)
		a, ok := step.Action()
		a.Rules = st.Rules
		if step.Kind == StepNone {
			if ok {
				t.Fatalf("StepNone has an action")
			}
			if !now.Before(check) {
				check = p.NextCheck(d, st)
			}
			continue
		}
		if now.Before(check) && d.Status == StatusOpen {
			t.Errorf("%s: the policy would %s, but NextCheck said %s", now.Format("Mon 01-02 15:04"), step.Kind, check.Format("Mon 01-02 15:04"))
		}
		line := fmt.Sprintf("%s %s %v %s", now.In(polT0.Location()).Format("Mon 01-02 15:04"), step.Kind, step.Users, step.Reason)
		if len(step.Advisors) > 0 {
			line += fmt.Sprintf(" (advisors %v)", step.Advisors)
		}
		if step.SameRound {
			line += " (same round)"
		}
		log = append(log, line)
		var err error
		if d, err = Apply(d, a, now); err != nil {
			t.Fatalf("%s: applying %s: %v", now, step.Kind, err)
		}
		check = p.NextCheck(d, sit(d, now))
	}
	return log, d
}

func TestPolicyWeek(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		due    time.Time
		end    time.Time
		people map[time.Time]Action
		want   []string
	}{{
		// Escalation adds the product owner; the pricing owners keep the
		// decision and get one more reminder each (3 at most), then the
		// root is reached: recorded once, and the reminders stop.
		name:   "SLA: remind twice a day apart, climb adding a level, three reminders each at most, stuck once",
		policy: Policy{EscalateAfter: 2},
		end:    polAt(12, 20),
		want: []string{
			"Thu 11-26 09:00 remind [UALICE UBOB] past its 3-day SLA",
			"Fri 11-27 05:00 remind [UALICE UBOB] past its 3-day SLA",
			"Sat 11-28 01:00 escalate [UCPO] 2 reminders without a decision",
			"Tue 12-01 01:00 remind [UALICE UBOB UCPO] past its 3-day SLA",
			"Tue 12-01 21:00 remind [UCPO] past its 3-day SLA",
			"Wed 12-02 17:00 stuck [] 2 reminders without a decision; nobody above product/pricing can take it",
		},
	}, {
		name:   "SLA with no reminder budget climbs at the deadline",
		policy: Policy{EscalateAfter: 0},
		end:    polAt(9, 9),
		want: []string{
			"Thu 11-26 09:00 escalate [UCPO] past its 3-day SLA",
			"Sun 11-29 09:00 stuck [] past its 3-day SLA; nobody above product/pricing can take it",
		},
	}, {
		name:   "due date: remind the day before, only who has not acted; climb when missed",
		policy: Policy{EscalateAfter: 2},
		due:    time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC), // Friday
		end:    polAt(7, 9),
		people: map[time.Time]Action{
			polAt(3, 12): {Verb: VerbAskAdvice, Actor: Actor{User: "UALICE"}, Users: []string{"UFIN"}},
		},
		want: []string{
			// SLA (Thu 09:00) comes first; alice has asked for advice by the next one.
			"Thu 11-26 09:00 remind [UALICE UBOB] past its 3-day SLA",
			"Fri 11-27 05:00 remind [UBOB] past its 3-day SLA",
			"Fri 11-27 18:00 escalate [UCPO] past its due date 2026-11-27",
			// After climbing, everyone who holds it owes it again; bob has
			// had his three.
			"Sat 11-28 14:00 remind [UALICE UBOB UCPO] overdue since 2026-11-27",
			"Sun 11-29 10:00 remind [UALICE UCPO] overdue since 2026-11-27",
			"Mon 11-30 06:00 stuck [] 2 reminders without a decision; nobody above product/pricing can take it",
		},
	}, {
		name:   "deferred reopens on its date; the decider who deferred owes it again",
		policy: Policy{EscalateAfter: 2},
		end:    polAt(4, 23),
		people: map[time.Time]Action{
			polAt(0, 15): {Verb: VerbDefer, Actor: Actor{User: "UALICE"}, Until: polAt(2, 12)},
		},
		want: []string{
			"Wed 11-25 12:00 reopen [] deferred until 2026-11-25",
			// The SLA restarts on reopening: Saturday 12:00.
		},
	}, {
		name:   "decided on Tuesday: nothing more",
		policy: Policy{EscalateAfter: 2},
		due:    time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC),
		end:    polAt(7, 9),
		people: map[time.Time]Action{
			polAt(1, 10): {Verb: VerbApprove, Actor: Actor{User: "UBOB"}},
		},
		want: nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := simulate(t, tt.policy, polDecision(tt.due), tt.end, tt.people)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("scheduler did:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestPolicyReopenedIsRemindedAgain(t *testing.T) {
	people := map[time.Time]Action{
		polAt(0, 15): {Verb: VerbDefer, Actor: Actor{User: "UALICE"}, Until: polAt(2, 12)},
	}
	got, d := simulate(t, Policy{EscalateAfter: 2}, polDecision(time.Time{}), polAt(5, 12), people)
	want := []string{
		"Wed 11-25 12:00 reopen [] deferred until 2026-11-25",
		"Sat 11-28 12:00 remind [UALICE UBOB] past its 3-day SLA",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scheduler did:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if d.Reminders != 1 || !d.LastRemindedAt.Equal(polAt(5, 12)) {
		t.Errorf("Reminders = %d at %v", d.Reminders, d.LastRemindedAt)
	}
}

func TestPolicyNext(t *testing.T) {
	now := polAt(4, 9) // Friday 09:00, 96h after the proposal
	open := polDecision(time.Time{})
	p := Policy{EscalateAfter: 2}
	sla := 72 * time.Hour
	with := func(f func(d *Decision)) Decision {
		d := polDecision(time.Time{})
		f(&d)
		return d
	}
	remindedAgo := func(n int, ago time.Duration) func(d *Decision) {
		// n rounds a day apart, the last ago, as the history has them.
		return func(d *Decision) {
			d.Reminders, d.LastRemindedAt = n, now.Add(-ago)
			for i := n - 1; i >= 0; i-- {
				d.History = append(d.History, Event{At: now.Add(-ago - time.Duration(i)*24*time.Hour), Actor: SystemActor, Kind: EventReminded, Users: []string{"UALICE", "UBOB"}})
			}
		}
	}
	var root []Rung
	tests := []struct {
		name string
		p    Policy
		d    Decision
		sla  time.Duration
		up   []Rung
		want Step
	}{
		{"approved", p, with(func(d *Decision) { d.Status = StatusApproved }), sla, polUp, Step{}},
		{"withdrawn and overdue", p, with(func(d *Decision) { d.Status, d.Due = StatusWithdrawn, polT0 }), sla, polUp, Step{}},
		{"deferred, not yet", p, with(func(d *Decision) { d.Status, d.DeferredUntil = StatusDeferred, now.Add(time.Second) }), sla, polUp, Step{}},
		{"deferred, the moment it is due", p, with(func(d *Decision) { d.Status, d.DeferredUntil = StatusDeferred, now }), sla, polUp,
			Step{Kind: StepReopen, Reason: "deferred until 2026-11-27"}},
		{"deferred without a date stays", p, with(func(d *Decision) { d.Status = StatusDeferred }), sla, polUp, Step{}},
		{"no SLA, no due", p, open, 0, polUp, Step{}},
		{"within SLA", p, open, 100 * time.Hour, polUp, Step{}},
		{"past SLA", p, open, sla, polUp, Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "past its 3-day SLA"}},
		{"past a 36h SLA", p, open, 36 * time.Hour, polUp, Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "past its 36-hour SLA"}},
		{"reminded 19h ago", p, with(remindedAgo(1, 19*time.Hour)), sla, polUp, Step{}},
		{"reminded 20h ago", p, with(remindedAgo(1, 20*time.Hour)), sla, polUp, Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "past its 3-day SLA"}},
		{"custom gap", Policy{EscalateAfter: 2, RemindGap: 48 * time.Hour}, with(remindedAgo(1, 20*time.Hour)), sla, polUp, Step{}},
		{"reminders exhausted but the last is fresh", p, with(remindedAgo(2, time.Hour)), sla, polUp, Step{}},
		{"reminders exhausted", p, with(remindedAgo(2, 20*time.Hour)), sla, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "2 reminders without a decision"}},
		{"reminders exhausted without an SLA", p, with(remindedAgo(3, 30*time.Hour)), 0, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "3 reminders without a decision"}},
		{"one reminder in a budget of one", Policy{EscalateAfter: 1}, with(remindedAgo(1, 21*time.Hour)), sla, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "1 reminder without a decision"}},
		{"no budget, past SLA", Policy{}, open, sla, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "past its 3-day SLA"}},
		{"no budget, past a 2-week SLA", Policy{}, with(func(d *Decision) { d.CreatedAt, d.History[0].At = now.Add(-15*24*time.Hour), now.Add(-15*24*time.Hour) }), 14 * 24 * time.Hour, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "past its 2-week SLA"}},
		{"no budget, within SLA", Policy{}, open, 100 * time.Hour, polUp, Step{}},
		{"due in 30h", p, with(func(d *Decision) { d.Due = now.Add(30 * time.Hour) }), 0, polUp, Step{}},
		{"due in 24h", p, with(func(d *Decision) { d.Due = now.Add(24 * time.Hour) }), 0, polUp,
			Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "due 2026-11-28"}},
		{"due in 30h with a 48h window", Policy{DueSoon: 48 * time.Hour}, with(func(d *Decision) { d.Due = now.Add(30 * time.Hour) }), 0, polUp,
			Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "due 2026-11-28"}},
		{"due soon but proposed 2h ago", p, with(func(d *Decision) { d.Due, d.History[0].At = now.Add(5*time.Hour), now.Add(-2*time.Hour) }), 0, polUp, Step{}},
		{"overdue: climbs one level", p, with(func(d *Decision) { d.Due = now.Add(-time.Hour) }), 0, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "past its due date 2026-11-27"}},
		{"overdue, even if just reminded", p, with(func(d *Decision) {
			d.Due, d.Reminders, d.LastRemindedAt = now.Add(-time.Hour), 1, now.Add(-2*time.Hour)
		}), 0, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "past its due date 2026-11-27"}},
		{"overdue already when handed over: remind instead", p, with(func(d *Decision) {
			d.Due = polT0.Add(time.Hour)
			d.History = append(d.History, Event{At: polAt(1, 9), Actor: SystemActor, Kind: EventEscalated})
		}), 0, polUp, Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "overdue since 2026-11-23"}},
		{"overdue at the root", p, with(func(d *Decision) { d.Due = now.Add(-time.Hour) }), 0, root,
			Step{Kind: StepStuck, Reason: "past its due date 2026-11-27; nobody above product/pricing can take it"}},
		{"stuck, even if nudged 3h ago", p, with(func(d *Decision) { d.Due, d.LastRemindedAt = now.Add(-time.Hour), now.Add(-3*time.Hour) }), 0, root,
			Step{Kind: StepStuck, Reason: "past its due date 2026-11-27; nobody above product/pricing can take it"}},
		{"already stuck: nothing more", p, with(func(d *Decision) {
			d.Due = now.Add(-time.Hour)
			d.History = append(d.History, Event{At: polAt(3, 9), Actor: SystemActor, Kind: EventStuck})
		}), 0, root, Step{}},
		{"the rung above holds the same people: stuck, not a loop", p, with(remindedAgo(2, 21*time.Hour)), sla,
			[]Rung{{Label: "the owners of product", Users: []string{"UBOB", "UALICE"}}},
			Step{Kind: StepStuck, Reason: "2 reminders without a decision; nobody above product/pricing can take it"}},
		{"the rung above is empty", p, with(remindedAgo(2, 21*time.Hour)), sla,
			[]Rung{{Label: "the owners of product"}},
			Step{Kind: StepStuck, Reason: "2 reminders without a decision; nobody above product/pricing can take it"}},
		{"escalate_to first", p, with(remindedAgo(2, 21*time.Hour)), sla,
			append([]Rung{{Label: "the escalation contacts of product/pricing", Users: []string{"UHEAD"}}}, polUp...),
			Step{Kind: StepEscalate, Users: []string{"UHEAD"}, Label: "the escalation contacts of product/pricing", Reason: "2 reminders without a decision"}},
		{"a rung climbed already is skipped", p, with(func(d *Decision) { remindedAgo(2, 21*time.Hour)(d); d.Escalations = 1 }), sla,
			append([]Rung{{Label: "the escalation contacts of product/pricing", Users: []string{"UHEAD"}}}, polUp...),
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 1, Label: "the owners of product", Reason: "2 reminders without a decision"}},
		{"nobody holds it", p, with(func(d *Decision) { d.Deciders = nil }), 0, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 0, Label: "the owners of product", Reason: "nobody holds it"}},
		{"remind only who has not acted", p, with(func(d *Decision) {
			d.History = append(d.History, Event{At: polAt(1, 9), Actor: "UBOB", Kind: EventAdvised})
		}), sla, polUp, Step{Kind: StepRemind, Users: []string{"UALICE"}, Reason: "past its 3-day SLA"}},
		{"everyone acted but it is still open: remind all", p, with(func(d *Decision) {
			d.History = append(d.History,
				Event{At: polAt(1, 9), Actor: "UBOB", Kind: EventAdvised},
				Event{At: polAt(1, 10), Actor: "UALICE", Kind: EventAdviceRequested})
		}), sla, polUp, Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "past its 3-day SLA"}},
		{"acting before a reassignment does not count", p, with(func(d *Decision) {
			d.History = append(d.History,
				Event{At: polT0.Add(time.Hour), Actor: "UBOB", Kind: EventAdvised},
				Event{At: polT0.Add(2 * time.Hour), Actor: "UALICE", Kind: EventReassigned, Users: []string{"UALICE", "UBOB"}})
		}), 24 * time.Hour, polUp, Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "past its 1-day SLA"}},
		{"SLA restarts on reassignment", p, with(func(d *Decision) {
			d.History = append(d.History, Event{At: polAt(2, 9), Actor: "UALICE", Kind: EventReassigned, Users: []string{"UERIN"}})
			d.Deciders = []string{"UERIN"}
		}), sla, polUp, Step{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sit := Situation{Now: now, Rules: DomainRules{SLA: tt.sla}, Ladder: tt.up}
			got := tt.p.Next(tt.d, sit)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Next =\n  %+v\nwant\n  %+v", got, tt.want)
			}
			// Every step the policy takes must be one Apply accepts.
			if a, ok := got.Action(); ok {
				a.Rules = sit.Rules
				if _, err := Apply(tt.d, a, now); err != nil {
					t.Errorf("Apply(%s): %v", got.Kind, err)
				}
			} else if got.Kind != StepNone {
				t.Errorf("%s has no action", got.Kind)
			}
		})
	}
}

func TestStepAction(t *testing.T) {
	sys := Actor{System: true}
	tests := []struct {
		step Step
		want Action
		ok   bool
	}{
		{Step{}, Action{}, false},
		{Step{Kind: StepRemind, Users: []string{"UA"}, Reason: "due 2026-12-01"},
			Action{Verb: VerbRemind, Actor: sys, Users: []string{"UA"}, Rationale: "due 2026-12-01"}, true},
		{Step{Kind: StepRemind, Users: []string{"UA"}, Advisors: []string{"UF", "UA"}, Reason: "due 2026-12-01"},
			Action{Verb: VerbRemind, Actor: sys, Users: []string{"UA", "UF"}, Rationale: "due 2026-12-01"}, true},
		{Step{Kind: StepStuck, Reason: "r"},
			Action{Verb: VerbStuck, Actor: sys, Rationale: "r"}, true},
		{Step{Kind: StepEscalate, Users: []string{"UB"}, Level: 1, Label: "the owners of product", Reason: "r"},
			Action{Verb: VerbEscalate, Actor: sys, Users: []string{"UB"}, Level: 1, Rationale: "r; now with the owners of product too"}, true},
		{Step{Kind: StepConsent, Reason: "r"},
			Action{Verb: VerbConsent, Actor: sys, Rationale: "r"}, true},
		{Step{Kind: StepReopen, Reason: "deferred until 2026-12-01"},
			Action{Verb: VerbReopen, Actor: sys, Rationale: "deferred until 2026-12-01"}, true},
	}
	for _, tt := range tests {
		got, ok := tt.step.Action()
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Action() = %+v, %v; want %+v, %v", tt.step.Kind, got, ok, tt.want, tt.ok)
		}
	}
	s := Step{Kind: StepRemind, Users: []string{"UA"}}
	a, _ := s.Action()
	a.Users[0] = "UX"
	if s.Users[0] != "UA" {
		t.Error("Action shares Users with the step")
	}
	if StepStuck.String() != "stuck" || StepKind(42).String() != "StepKind(42)" {
		t.Error("StepKind.String")
	}
}

func TestHandedOverAt(t *testing.T) {
	d := polDecision(time.Time{})
	if got := HandedOverAt(d); !got.Equal(polT0) {
		t.Errorf("fresh: %v", got)
	}
	d.History = append(d.History,
		Event{At: polAt(1, 0), Kind: EventReminded, Actor: SystemActor},
		Event{At: polAt(2, 0), Kind: EventEscalated, Actor: SystemActor},
		Event{At: polAt(3, 0), Kind: EventAdvised, Actor: "UX"})
	if got := HandedOverAt(d); !got.Equal(polAt(2, 0)) {
		t.Errorf("after escalation: %v", got)
	}
	d.History = nil
	if got := HandedOverAt(d); !got.Equal(polT0) {
		t.Errorf("no history: %v", got)
	}
	if got := WaitingOn(d); !reflect.DeepEqual(got, []string{"UALICE", "UBOB"}) {
		t.Errorf("WaitingOn without history = %v", got)
	}
}
