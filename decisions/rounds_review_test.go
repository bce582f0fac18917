package decisions

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// presenceWindows is time-varying presence: each person away in
// [from, until) windows, with a delegate or not.
type awayWindow struct {
	user, delegate string
	from, until    time.Time
}

func presenceAt(ws []awayWindow, now time.Time) map[string]Presence {
	m := map[string]Presence{}
	for _, w := range ws {
		if !now.Before(w.from) && now.Before(w.until) {
			m[w.user] = Presence{AwayUntil: w.until, Delegate: w.delegate}
		}
	}
	return m
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestReviewRoundsRandomWide drives the hourly scheduler (hourSim) over
// random decisions, zones (11, Kathmandu and Chatham among them),
// schedules, DST, people's actions, every escalate_after and
// max_per_person, and presence that changes mid-way (delegate chains),
// and checks that NextCheck never sleeps through a step, that people are
// reminded only at their hour, at most once per RemindGap, once a round
// and MaxPerPerson times, that climbs, reopens and consent come at the
// workspace's hour, and that a decision that owes a nudge does something.
// ROUNDS_SEEDS, ROUNDS_FIRST, ROUNDS_DAYS and ROUNDS_PRESENCE widen it.
func TestReviewRoundsRandomWide(t *testing.T) {
	zoneNames := []string{"Europe/London", "Asia/Tokyo", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
		"Pacific/Auckland", "Pacific/Honolulu", "Pacific/Chatham", "America/Los_Angeles", "Australia/Adelaide", "UTC"}
	var zones []*time.Location
	for _, n := range zoneNames {
		zones = append(zones, mustZone(t, n))
	}
	specs := []string{"0 9 * * *", "30 8 * * *", "0 9,15 * * *", "0 9 * * 1-5", "0 2 * * *", "45 23 * * *", "0 9 * * MON-FRI"}
	starts := []time.Time{
		time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 26, 13, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 5, 7, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 22, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 4, 2, 20, 0, 0, 0, time.UTC),
	}
	users := []string{"UALICE", "UBOB", "UDAN", "UEVE", "UFAY", "UGUS"}
	dels := []string{"UDEL", "UDEL2", "UALICE", "UBOB"}
	seeds := envInt("ROUNDS_SEEDS", 300)
	first := envInt("ROUNDS_FIRST", 0)
	days := envInt("ROUNDS_DAYS", 28)
	failures := 0
	kinds := map[string]int{}
	for seed := first; seed < first+seeds && failures < 5; seed++ {
		rng := rand.New(rand.NewSource(int64(seed)))
		pick := func(n int) []string {
			var out []string
			for _, i := range rng.Perm(len(users))[:n] {
				out = append(out, users[i])
			}
			return out
		}
		ws := zones[rng.Intn(len(zones))]
		zm := map[string]*time.Location{}
		for _, u := range append(slices.Clone(users), "UCPO", "UTOP", "UDEL", "UDEL2") {
			zm[u] = zones[rng.Intn(len(zones))]
		}
		spec := specs[rng.Intn(len(specs))]
		sched := mustCron(t, spec)
		t0 := starts[rng.Intn(len(starts))].Add(time.Duration(rng.Intn(24*60)) * time.Minute)
		rules := DomainRules{SLA: []time.Duration{0, 24 * time.Hour, 36 * time.Hour, 72 * time.Hour}[rng.Intn(4)]}
		if rng.Intn(4) == 0 {
			rules.Rule, rules.ConsentAfter = RuleConsent, []time.Duration{0, 24 * time.Hour, 50 * time.Hour}[rng.Intn(3)]
		}
		rules.RequireAdvice = rng.Intn(3) == 0
		var due time.Time
		if rng.Intn(2) == 0 || rules.SLA == 0 {
			due = t0.Add(time.Duration(12+rng.Intn(24*6)) * time.Hour)
		}
		route := Route{Domain: "product/pricing", Deciders: pick(1 + rng.Intn(3))}
		if rng.Intn(2) == 0 {
			route.Advisors = pick(1 + rng.Intn(2))
			route.Advisors = slices.DeleteFunc(route.Advisors, func(u string) bool { return slices.Contains(route.Deciders, u) })
		}
		d := NewDecision(Proposal{Title: "T", Proposer: "UCAROL", Due: due}, route, t0)
		d.ID = ID(seed + 1)
		ladder := []Rung{{Label: "the owners of product", Users: []string{"UCPO"}}}
		if rng.Intn(2) == 0 {
			ladder = append(ladder, Rung{Label: "the owners of everything", Users: []string{"UTOP"}})
		}
		var windows []awayWindow
		people := map[time.Time]func(Decision, time.Time) (Decision, error){}
		// People go away and come back mid-way, with delegates and chains
		// of them (ROUNDS_PRESENCE=windows, the default); =static has them
		// away from the start, =none keeps everyone around.
		mode := cmpOr(os.Getenv("ROUNDS_PRESENCE"), "windows")
		for _, u := range append(slices.Clone(users), "UDEL", "UDEL2", "UCPO") {
			if mode == "none" {
				break
			}
			next := t0.Add(-time.Hour)
			for k := rng.Intn(3); k > 0; k-- {
				if rng.Intn(2) == 0 {
					continue
				}
				from := next.Add(time.Duration(rng.Intn(24*days/2)) * time.Hour).Add(time.Duration(rng.Intn(60)) * time.Minute)
				if rng.Intn(3) == 0 || mode == "static" {
					from = next
				}
				w := awayWindow{user: u, from: from, until: from.Add(time.Duration(1+rng.Intn(24*5)) * time.Hour)}
				next = w.until.Add(time.Hour)
				if mode == "static" && u == "UCPO" {
					continue
				}
				if rng.Intn(2) == 0 {
					w.delegate = dels[rng.Intn(len(dels))]
					if w.delegate == u {
						w.delegate = "UDEL"
					}
				}
				windows = append(windows, w)
				// Going away has the scheduler look again at the decisions
				// the person acts on (bot.lookAgain: those they decide or owe
				// advice on, and those of everyone whose delegation chain
				// passes through them).
				if from.After(t0) {
					uu := u
					people[from] = func(d Decision, now time.Time) (Decision, error) {
						ps := People{Presence: presenceAt(windows, now), Now: now}
						for _, x := range slices.Concat(d.Deciders, MissingAdvice(d)) {
							if slices.Contains(ps.Chain(x), uu) {
								return d, nil
							}
						}
						return d, errors.New("not theirs")
					}
				}
			}
		}
		for i := rng.Intn(4); i > 0; i-- {
			at := t0.Add(time.Duration(1+rng.Intn(24*8))*time.Hour + time.Duration(rng.Intn(60))*time.Minute)
			switch rng.Intn(5) {
			case 0:
				to := pick(1 + rng.Intn(2))
				people[at] = func(d Decision, now time.Time) (Decision, error) {
					return Apply(d, Action{Verb: VerbReassign, Actor: Actor{Admin: true, User: "UADMIN"}, Users: to}, now)
				}
			case 1:
				people[at] = func(d Decision, now time.Time) (Decision, error) {
					return Comment(d, Actor{User: d.Deciders[0]}, "thinking", now)
				}
			case 2:
				who := pick(1)
				people[at] = func(d Decision, now time.Time) (Decision, error) {
					return Apply(d, Action{Verb: VerbAskAdvice, Actor: Actor{User: d.Deciders[0]}, Users: who}, now)
				}
			case 3:
				people[at] = func(d Decision, now time.Time) (Decision, error) {
					return Apply(d, Action{Verb: VerbAdvise, Actor: Actor{User: "UOUT"}, Rationale: "do it"}, now)
				}
			case 4:
				to := pick(1)
				people[at] = func(d Decision, now time.Time) (Decision, error) {
					return Decline(d, Actor{User: d.Deciders[0]}, Route{Domain: "product/pricing", Deciders: to}, "not mine", now)
				}
			}
		}
		p := Policy{EscalateAfter: 1 + rng.Intn(3), MaxPerPerson: 1 + rng.Intn(3)}
		sim := &hourSim{
			t: t, p: p, hours: cronHours{sched: sched, workspace: ws, zones: zm}, runs: runsOf(t, sched),
			rules: rules, ladder: ladder, people: people, start: t0, end: t0.AddDate(0, 0, days),
			presence: func(now time.Time) map[string]Presence { return presenceAt(windows, now) },
		}
		end := sim.run(d)
		for _, pr := range sim.problems {
			k := pr[strings.Index(pr, ": ")+2:]
			if i := strings.IndexAny(k, "[0123456789"); i > 0 {
				k = k[:i]
			}
			kinds[k]++
		}
		// a decision still open and not stuck at the end, whose ladder had
		// room, that has done nothing for a week while a nudge was due
		if end.Status == StatusOpen && len(sim.problems) == 0 {
			if _, stuck := Stuck(end); !stuck {
				last := HandedOverAt(end)
				for _, e := range end.History {
					last = maxTime(last, e.At)
				}
				st := sim.sit(end, sim.end.Add(-time.Hour), sim.end)
				n := p.withDefaults().nudgesOf(end, st)
				if n.whyFrom.Before(sim.end.AddDate(0, 0, -7)) && last.Before(sim.end.AddDate(0, 0, -7)) {
					sim.problem("idle since %s: users %v advisors %v spent %v open %v reminders %d", last, n.users, n.advisors, n.spent, n.open, end.Reminders)
				}
			}
		}
		if len(sim.problems) > 0 {
			failures++
			desc := fmt.Sprintf("seed %d: schedule %q, workspace %s, zones %v, policy %+v, rules %+v, deciders %v advisors %v due %v, windows %v",
				seed, spec, ws, zm, p, rules, route.Deciders, route.Advisors, due, windows)
			sim.report(t, desc)
		}
	}
	t.Logf("problem kinds: %v", kinds)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sitAt is the situation for the focused tests: the domain's 3-day SLA,
// the ladder, presence at now, Hours with the previous run an hour ago.
func sitAt(hours Hours, ladder []Rung, presence func(time.Time) map[string]Presence) func(Decision, time.Time) Situation {
	return func(d Decision, now time.Time) Situation {
		s := polSit(d, now, ladder, presence(now))
		s.Hours, s.Since = hours, now.Add(-time.Hour)
		return s
	}
}

// TestReviewRoundsStuckDecisionNeverClimbsWhenTheLevelAboveIsBack: the
// climb comes while the only person above (UCPO) is on leave with no
// delegate, so it is recorded as stuck, and NextCheck of a stuck decision
// is Never (only consent can come). But Next climbs to UCPO as soon as he
// is back: the scheduler never looks again, and the decision stays stuck
// with the level above back at work (and, since stuck stops the
// reminders, nobody is reminded either). The bot's lookAgain does not
// help: UCPO decides none of it.
func TestReviewRoundsStuckDecisionNeverClimbsWhenTheLevelAboveIsBack(t *testing.T) {
	back := polAt(5, 9) // Saturday 09:00 UTC
	away := map[string]Presence{"UCPO": {AwayUntil: back}}
	sit := sitAt(nil, polUp, func(time.Time) map[string]Presence { return away })
	p := Policy{EscalateAfter: 1}
	// Thursday 09:00 both are reminded; the grace ends Friday 05:00, with
	// UCPO away: stuck.
	got, d := simulateIn(t, p, polDecision(time.Time{}), polAt(4, 12), nil, sit)
	if _, stuck := Stuck(d); !stuck {
		t.Fatalf("want it recorded stuck by Friday noon; the scheduler did:\n  %s", strings.Join(got, "\n  "))
	}
	check := p.NextCheck(d, sit(d, polAt(4, 12)))
	later := back.Add(time.Hour)
	st := p.Next(d, sit(d, later))
	if st.Kind != StepEscalate {
		t.Fatalf("Saturday 10:00, UCPO back: %s, want the policy to climb to him", st.Kind)
	}
	if check.After(later) {
		t.Errorf("NextCheck of the stuck decision is %s, but the policy climbs to UCPO once he is back (%s): "+
			"the scheduler never looks again and the decision stays stuck", check.Format("Mon 01-02 15:04"), back.Format("Mon 01-02 15:04"))
	}
}

// TestReviewRoundsNextCheckMissesADelegateBackFromAway: NextCheck looks at
// the hours of the people reachable now and of everyone who owes action
// (they may be back by then), but not of the people a decider's
// delegation passes through. Alice is on leave with Dan (Tokyo) deciding
// for her; Dan himself is away until Thursday 20:00 UTC, so on Thursday
// Alice is unreachable and only Bob (London) is reminded. From Thursday
// 20:00 Dan acts for Alice and is due at his 09:00 (Friday 00:00 UTC), but
// NextCheck says Friday 09:00 (Alice's and Bob's hour): Dan's reminder
// slips a day.
func TestReviewRoundsNextCheckMissesADelegateBackFromAway(t *testing.T) {
	hours := nineAM{workspace: mustZone(t, "Europe/London"), zones: map[string]*time.Location{"UDAN": mustZone(t, "Asia/Tokyo")}}
	presence := map[string]Presence{
		"UALICE": {AwayUntil: polAt(17, 0), Delegate: "UDAN"},
		"UDAN":   {AwayUntil: polAt(3, 20)},
	}
	sit := sitAt(hours, polUp, func(time.Time) map[string]Presence { return presence })
	p := Policy{EscalateAfter: 2}
	thu9 := polAt(3, 9)
	got, d := simulateIn(t, p, polDecision(time.Time{}), thu9, nil, sit)
	if want := []string{"Thu 11-26 09:00 remind [UBOB] past its 3-day SLA"}; !slices.Equal(got, want) {
		t.Fatalf("scheduler did:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	check := p.NextCheck(d, sit(d, thu9))
	fri0 := polAt(4, 0)
	st := p.Next(d, sit(d, fri0))
	if st.Kind != StepRemind || !slices.Equal(st.Users, []string{"UDAN"}) {
		t.Fatalf("Friday 00:00 UTC: %s %v, want Dan, acting for Alice since Thursday 20:00, reminded at his hour", st.Kind, st.Users)
	}
	if check.After(fri0) {
		t.Errorf("NextCheck after Bob's reminder is %s UTC, but Dan (Alice's delegate, back Thursday 20:00) is due at %s UTC: "+
			"the scheduler does not look until then and Dan's reminder slips a day",
			check.UTC().Format("Mon 15:04"), fri0.Format("Mon 15:04"))
	}
}

// TestReviewRoundsNextCheckMissesTheClimbWhenADelegateStepsBack: Next
// reads who holds the round up (graceEnds) and who can be nudged (rule
// (e)) with the presence of the moment, but NextCheck adds the climb's
// instant only when it holds already. Alice and Bob (London) are reminded
// Thursday 09:00; the grace ends Friday 05:00 and it climbs at the
// workspace's Friday 09:00. Thursday evening Alice goes away until Friday
// 08:30 with Dan (New York) deciding for her: the bot looks again, Dan
// owes a reminder in the round (or, with max_per_person 1, is the only one
// who can still be nudged), so NextCheck is Dan's hour, Friday 14:00 UTC.
// Alice is back at 08:30 and the policy climbs at 09:00, but the scheduler
// is not looking: the climb slips to Saturday.
func TestReviewRoundsNextCheckMissesTheClimbWhenADelegateStepsBack(t *testing.T) {
	hours := nineAM{workspace: mustZone(t, "Europe/London"), zones: map[string]*time.Location{"UDAN": mustZone(t, "America/New_York")}}
	goes, back := polAt(3, 19).Add(30*time.Minute), polAt(4, 8).Add(30*time.Minute)
	presence := func(now time.Time) map[string]Presence {
		if !now.Before(goes) && now.Before(back) {
			return map[string]Presence{"UALICE": {AwayUntil: back, Delegate: "UDAN"}}
		}
		return nil
	}
	for _, tt := range []struct {
		name   string
		policy Policy
	}{
		{"the round's grace (rule c)", Policy{EscalateAfter: 1}},
		{"nobody left to nudge (rule e)", Policy{EscalateAfter: 3, MaxPerPerson: 1}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.policy
			sit := sitAt(hours, polUp, presence)
			thu9 := polAt(3, 9)
			got, d := simulateIn(t, p, polDecision(time.Time{}), thu9, nil, sit)
			if want := []string{"Thu 11-26 09:00 remind [UALICE UBOB] past its 3-day SLA"}; !slices.Equal(got, want) {
				t.Fatalf("scheduler did:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			// Alice goes away at 19:30: the bot looks again at 20:00.
			thu20 := polAt(3, 20)
			if st := p.Next(d, sit(d, thu20)); st.Kind != StepNone {
				t.Fatalf("Thursday 20:00: %s %v, want nothing", st.Kind, st.Users)
			}
			check := p.NextCheck(d, sit(d, thu20))
			fri9 := polAt(4, 9)
			st := p.Next(d, sit(d, fri9))
			if st.Kind != StepEscalate {
				t.Fatalf("Friday 09:00, Alice back: %s %v, want the climb", st.Kind, st.Users)
			}
			if check.After(fri9) {
				t.Errorf("NextCheck at Thursday 20:00 is %s UTC, but with Alice back at 08:30 the policy climbs at Friday 09:00 UTC (%s): "+
					"the scheduler does not look and the climb slips a day", check.UTC().Format("Mon 15:04"), st.Reason)
			}
		})
	}
}
