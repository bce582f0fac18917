package decisions

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/internal/reminderruns"
	"github.com/robfig/cron/v3"
)

// Review tests for "reminders at each person's hour": an hourly scheduler
// drives Policy.Next / Policy.NextCheck with Hours read from a real
// reminders.schedule in each person's zone.

// cronHours is decisions.Hours as bot/hours.go builds it: the reminders
// schedule read in each person's zone (the workspace's for "" and anyone
// not listed).
type cronHours struct {
	sched     cron.Schedule
	workspace *time.Location
	zones     map[string]*time.Location
}

func (h cronHours) zone(user string) *time.Location {
	if loc, ok := h.zones[user]; ok && user != "" {
		return loc
	}
	return h.workspace
}

func (h cronHours) Next(user string, t time.Time) time.Time {
	return h.sched.Next(t.In(h.zone(user)))
}

// hourCame reports whether one of user's hours is in (since, now].
func (h cronHours) hourCame(user string, since, now time.Time) bool {
	t := h.Next(user, since)
	return !t.IsZero() && !t.After(now)
}

func mustCron(t testing.TB, spec string) cron.Schedule {
	t.Helper()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runsOf is the reminders job's own schedule, as the scheduler runs it.
func runsOf(t testing.TB, s cron.Schedule) cron.Schedule { return reminderruns.Schedule(s) }

// skipStuck leaves out steps on decisions recorded as stuck; checkFair
// flags a climb after fewer reminders to someone than escalate_after (off:
// someone away has their delegate reminded instead, and someone whose hour
// comes within the gap after a hand-over waits for the next).
const (
	skipStuck = false
	checkFair = false
)

// hourSim is one hourly scheduler run over one decision.
type hourSim struct {
	t         *testing.T
	p         Policy
	hours     cronHours
	runs      cron.Schedule
	rules     DomainRules
	ladder    []Rung
	presence  func(now time.Time) map[string]Presence
	people    map[time.Time]func(Decision, time.Time) (Decision, error)
	start     time.Time
	end       time.Time
	log       []string
	problems  []string
	lastNudge map[string]time.Time // per person, any reminder
}

func (s *hourSim) sit(d Decision, since, now time.Time) Situation {
	var pr map[string]Presence
	if s.presence != nil {
		pr = s.presence(now)
	}
	return Situation{Now: now, Since: since, Rules: s.rules, Ladder: s.ladder, People: People{Presence: pr, Now: now}, Hours: s.hours}
}

func (s *hourSim) problem(format string, args ...any) {
	if len(s.problems) < 20 {
		s.problems = append(s.problems, fmt.Sprintf(format, args...))
	}
}

// run drives the scheduler from start to end; people act at their times
// (between runs), which makes the scheduler look at the decision on its
// next run, as the bot does (NextCheck reset to zero).
func (s *hourSim) run(d Decision) Decision {
	s.lastNudge = map[string]time.Time{}
	var acts []time.Time
	for at := range s.people {
		acts = append(acts, at)
	}
	slices.SortFunc(acts, time.Time.Compare)
	var check time.Time
	since := s.start
	stamp := func(t time.Time) string { return t.In(s.hours.workspace).Format("Mon 01-02 15:04 MST") }
	for now := s.runs.Next(s.start.In(s.hours.workspace)); !now.After(s.end); since, now = now, s.runs.Next(now) {
		for len(acts) > 0 && !acts[0].After(now) {
			at := acts[0]
			acts = acts[1:]
			nd, err := s.people[at](d, at)
			if err == nil {
				d = nd
				d.NextCheck = time.Time{}
				check = time.Time{}
			}
		}
		if d.Status.Closed() {
			break
		}
		st := s.sit(d, since, now)
		step := s.p.Next(d, st)
		if step.Kind == StepNone {
			if !now.Before(check) {
				check = s.p.NextCheck(d, st)
			}
			continue
		}
		_, stuck := Stuck(d)
		if d.Status == StatusOpen && now.Before(check) && !(skipStuck && stuck) {
			s.problem("%s: the policy would %s %v (%s), but NextCheck said %s", stamp(now), step.Kind, step.Users, step.Reason, stamp(check))
		}
		line := fmt.Sprintf("%s %s %v %s", stamp(now), step.Kind, slices.Concat(step.Users, step.Advisors), step.Reason)
		if step.SameRound {
			line += " (same round)"
		}
		s.log = append(s.log, line)
		a, _ := step.Action()
		switch step.Kind {
		case StepRemind:
			for _, u := range a.Users {
				if !s.hours.hourCame(u, since, now) {
					s.problem("%s: reminded %s outside their hour", stamp(now), u)
				}
				if last, ok := s.lastNudge[u]; ok && now.Sub(last) < s.p.withDefaults().RemindGap {
					s.problem("%s: reminded %s again %s after the last reminder", stamp(now), u, now.Sub(last))
				}
				s.lastNudge[u] = now
			}
		case StepEscalate:
			if checkFair && (strings.Contains(step.Reason, "reminders without") || strings.Contains(step.Reason, "reminder without")) {
				h := HandedOverAt(d)
				for _, u := range s.p.remindable(d, WaitingOn(d), People{Presence: st.People.Presence, Now: now}) {
					n := 0
					for _, e := range d.History {
						if !e.At.Before(h) && e.Kind == EventReminded && slices.Contains(e.Users, u) {
							n++
						}
					}
					if n < s.p.EscalateAfter {
						s.problem("%s: climbs after %d reminders, but %s had %d since %s", stamp(now), d.Reminders, u, n, stamp(h))
					}
				}
			}
			if !s.hours.hourCame("", since, now) {
				s.problem("%s: %s outside the workspace's hour", stamp(now), step.Kind)
			}
		default:
			if !s.hours.hourCame("", since, now) {
				s.problem("%s: %s outside the workspace's hour", stamp(now), step.Kind)
			}
		}
		a.Rules = st.Rules.For(d)
		nd, err := Apply(d, a, now)
		if err != nil {
			s.t.Fatalf("%s: applying %s: %v", stamp(now), step.Kind, err)
		}
		d = nd
		for _, u := range slices.Concat(step.Users, step.Advisors) {
			if n := RemindersTo(d, u); step.Kind == StepRemind && n > s.p.withDefaults().MaxPerPerson {
				s.problem("%s: %s has had %d reminders", stamp(now), u, n)
			}
		}
		check = s.p.NextCheck(d, s.sit(d, since, now))
	}
	return d
}

func (s *hourSim) report(t *testing.T, what string) {
	t.Helper()
	if len(s.problems) > 0 {
		t.Errorf("%s:\n  %s\nthe scheduler did:\n  %s", what, strings.Join(s.problems, "\n  "), strings.Join(s.log, "\n  "))
	}
}

// TestReviewNextCheckSeesDeciderBackFromAway: NextCheck only looks at the
// hours of the people reachable now, so a decider who is away (with no
// delegate) when it is computed is not counted when they come back, and
// their reminder at their own hour is skipped until someone else's hour
// brings the decision back. Alice (London) is away until Friday 06:00
// UTC; Bob (Tokyo, 09:00 = 00:00 UTC) is reminded Friday 00:00 and the
// next check is set to his next hour, Saturday 00:00; but from Friday
// 09:00 Alice is back and due her reminder.
func TestReviewNextCheckSeesDeciderBackFromAway(t *testing.T) {
	hours := nineAM{workspace: mustZone(t, "Europe/London"), zones: map[string]*time.Location{"UBOB": mustZone(t, "Asia/Tokyo")}}
	away := map[string]Presence{"UALICE": {AwayUntil: polAt(4, 6)}}
	p := Policy{EscalateAfter: 2}
	sit := func(d Decision, now time.Time) Situation {
		s := polSit(d, now, polUp, away)
		s.Hours, s.Since = hours, now.Add(-time.Hour)
		return s
	}
	d := polDecision(time.Time{}) // past its 3-day SLA from Thursday 09:00 UTC
	fri0, fri9 := polAt(4, 0), polAt(4, 9)
	st := p.Next(d, sit(d, fri0))
	if st.Kind != StepRemind || !slices.Equal(st.Users, []string{"UBOB"}) {
		t.Fatalf("Friday 00:00 UTC: %s %v, want Bob reminded at his hour", st.Kind, st.Users)
	}
	a, _ := st.Action()
	d, err := Apply(d, a, fri0)
	if err != nil {
		t.Fatal(err)
	}
	check := p.NextCheck(d, sit(d, fri0))
	st = p.Next(d, sit(d, fri9))
	if st.Kind != StepRemind || !slices.Equal(st.Users, []string{"UALICE"}) {
		t.Fatalf("Friday 09:00 UTC: %s %v, want Alice, back since 06:00, reminded at her hour", st.Kind, st.Users)
	}
	if check.After(fri9) {
		t.Errorf("NextCheck after Bob's reminder is %s UTC, but the policy reminds Alice (back from away at %s UTC) at %s UTC: "+
			"the scheduler does not look until then and Alice's reminder slips a day",
			check.UTC().Format("Mon 15:04"), polAt(4, 6).Format("Mon 15:04"), fri9.Format("Mon 15:04"))
	}
}

// TestReviewNextCheckOfStuckDecisionWithNewAdvisor: a decision recorded as
// stuck gets NextCheck Never ("nothing but consent can happen until
// someone acts"), but Next used to still remind advisors whose required
// advice is missing: asked at a run that was not the advisor's hour, the
// advisor's reminder never came. Now the two agree: once stuck, the
// reminders stop (as the README says), and simulateIn checks NextCheck.
func TestReviewNextCheckOfStuckDecisionWithNewAdvisor(t *testing.T) {
	hours := nineAM{workspace: mustZone(t, "Europe/London"), zones: map[string]*time.Location{"UDAN": mustZone(t, "Asia/Tokyo")}}
	p := Policy{EscalateAfter: 2, MaxPerPerson: 1}
	sit := func(d Decision, now time.Time) Situation {
		s := polSit(d, now, nil, nil) // nobody above: it gets stuck
		s.Rules.RequireAdvice = true
		s.Hours, s.Since = hours, now.Add(-time.Hour)
		return s
	}
	ask := polAt(4, 10) // Friday 10:00 UTC, after it was recorded stuck at 09:00
	people := map[time.Time]Action{ask: {Verb: VerbAskAdvice, Actor: Actor{User: "UALICE"}, Users: []string{"UDAN"}}}
	// simulateIn reports a step NextCheck sleeps through.
	got, _ := simulateIn(t, p, polDecision(time.Time{}), polAt(7, 12), people, sit)
	stuck := "Fri 11-27 09:00 stuck [] past its 3-day SLA and everyone who holds it has had 1 reminder; nobody above product/pricing can take it"
	if !slices.Contains(got, stuck) {
		t.Fatalf("scheduler did:\n  %s\nwant it recorded stuck first:\n  %s", strings.Join(got, "\n  "), stuck)
	}
	// Once recorded stuck the reminders stop, for an advisor asked later
	// too (the ask itself was a DM): Next and NextCheck agree on it.
	if i := slices.Index(got, stuck); i != len(got)-1 {
		t.Errorf("scheduler did:\n  %s\nwant nothing after it was recorded stuck", strings.Join(got, "\n  "))
	}
}

// TestReviewRoundSkipsADeciderWhoseHourComesJustBefore: a round is "the
// reminders within RemindGap (20h) of the first", but people's hours
// spread over a whole day. When the SLA runs out between Bob's hour and
// Alice's, Alice opens the round and Bob's next hour comes 20-24h later:
// it counts as a new round, which with escalate_after 1 is "spent" (Bob
// is skipped and the decision climbs), and with escalate_after 2 is the
// second round (the climb comes after Bob's first reminder). In a single
// zone both would get escalate_after reminders first; the change's own
// promise is that a spread team "climbs as soon as one in a single zone
// would", and nobody is bypassed without having been asked.
func TestReviewRoundSkipsADeciderWhoseHourComesJustBefore(t *testing.T) {
	london := mustZone(t, "Europe/London")
	for _, tt := range []struct {
		name     string
		spec     string
		bob      *time.Location
		proposed time.Time // the 3-day SLA runs out 72h later
		policy   Policy
	}{
		// Berlin's 09:00 is 08:00 UTC in November; proposed Monday 08:30
		// UTC, the SLA runs out Thursday 08:30, between Bob's and Alice's.
		{"Bob in Berlin, escalate_after 1", "0 9 * * *", mustZone(t, "Europe/Berlin"), polAt(0, 8).Add(30 * time.Minute), Policy{EscalateAfter: 1}},
		{"Bob in Berlin, escalate_after 2", "0 9 * * *", mustZone(t, "Europe/Berlin"), polAt(0, 8).Add(30 * time.Minute), Policy{EscalateAfter: 2}},
		// Weekdays only, across the date line: Bob's Friday 09:00 in Tokyo
		// is Friday 00:00 UTC, an hour before the SLA runs out; his next
		// is Monday 00:00 UTC, 63h after Alice opened the round.
		{"Bob in Tokyo, weekdays, escalate_after 1", "0 9 * * 1-5", mustZone(t, "Asia/Tokyo"), polAt(1, 1), Policy{EscalateAfter: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hours := cronHours{sched: mustCron(t, tt.spec), workspace: london, zones: map[string]*time.Location{"UBOB": tt.bob}}
			d := polDecision(time.Time{})
			d.CreatedAt = tt.proposed
			d.History = slices.Clone(d.History)
			d.History[0].At = d.CreatedAt
			sit := func(d Decision, now time.Time) Situation {
				s := polSit(d, now, polUp, nil)
				s.Hours, s.Since = hours, now.Add(-time.Hour)
				return s
			}
			got, end := simulateIn(t, tt.policy, d, polAt(9, 12), nil, sit)
			reminded := map[string]int{}
			for _, e := range end.History {
				if e.Kind == EventEscalated {
					break
				}
				if e.Kind == EventReminded {
					for _, u := range e.Users {
						reminded[u]++
					}
				}
			}
			if reminded["UBOB"] < tt.policy.EscalateAfter {
				t.Errorf("it climbed past Bob after %d reminder(s) to him (Alice had %d), want escalate_after %d each, as in one zone:\n  %s",
					reminded["UBOB"], reminded["UALICE"], tt.policy.EscalateAfter, strings.Join(got, "\n  "))
			}
		})
	}
}
