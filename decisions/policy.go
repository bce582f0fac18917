package decisions

import (
	"fmt"
	"slices"
	"time"
)

// Defaults for a zero Policy field.
const (
	DefaultDueSoon      = 24 * time.Hour
	DefaultRemindGap    = 20 * time.Hour
	DefaultMaxPerPerson = 3
)

// Policy is the reminder and escalation policy the scheduler applies to every
// open or deferred decision on each run.
//
// The rules, in order:
//
//   - Closed: nothing.
//   - Deferred: reopen once DeferredUntil has come; until then nothing.
//   - Open, consent rule: approve once consent_after has passed since it
//     was handed over with no objection (and the advice it needs).
//   - Open: climb one level when
//     (a) nobody holds it (no deciders), or
//     (b) it is past its due date and the current deciders already held it
//     when it fell due, or
//     (c) EscalateAfter > 0 and it has had EscalateAfter rounds of
//     reminders since it last changed hands, everyone who can be reminded
//     has had theirs in the last round, and the last was at least
//     RemindGap ago (so each reminder gets a day's grace), or
//     (d) EscalateAfter <= 0 and it is past its SLA: with no reminder
//     budget, the SLA alone sends it up, or
//     (e) a nudge is due and nobody can be nudged: everyone who holds it is
//     away with no delegate, or has had MaxPerPerson reminders.
//     With nobody above, it is recorded as stuck once and left to the
//     digest: reminders stop.
//   - Open, not climbing, not stuck: remind when it is past its SLA or due
//     within DueSoon (or overdue), each person not nudged within RemindGap.
//     A reminder goes to whoever acts for each decider who still owes
//     action (their delegate while they are away; nobody away is
//     reminded), and to the advisors whose required advice is missing, at
//     most MaxPerPerson times per person per decision.
//
// Each person is reminded at their own hour: with Situation.Hours set, a
// run reminds only the people whose hour (the reminders schedule in their
// zone) came since the previous run, and climbs, reopens and approves by
// consent only at the workspace's hour. The quiet gap is per person, and
// the reminders of one pass over the people — Tokyo first, London later —
// make one round (see nudges): only its first counts toward EscalateAfter,
// so a team spread over zones climbs after as many days of reminders as
// one in a single zone, each person's last with a day's grace.
//
// The SLA runs from when the decision last changed hands (proposed,
// reassigned, escalated or reopened; see HandedOverAt), so the people it was
// just handed to get the full SLA. Past the SLA the owners are reminded
// first; it climbs after EscalateAfter reminders. That is the spec's "past its
// SLA, or after escalate_after reminders", read so that nobody is bypassed
// without having been asked.
//
// Reminders to a person are spaced by RemindGap (20h) measured from the later
// of their last reminder and the hand-over, because the hand-over message
// itself is a nudge:
// an hourly scheduler then reminds at most once a day, at about the same
// time each day, and never right after an escalation DM.
//
// Rule (b) applies once per hand-over: after climbing, the decision is
// already past the due date, so its deciders are reminded and escalation
// continues by rule (c), one level at a time, never straight to the top.
type Policy struct {
	// EscalateAfter is how many reminders the deciders get before the
	// decision climbs (config reminders.escalate_after). Zero or less: it
	// climbs as soon as it is past its SLA.
	EscalateAfter int
	// MaxPerPerson caps the reminders one person gets about one decision
	// (config reminders.max_per_person; zero: 3).
	MaxPerPerson int
	// DueSoon: remind when the due date is this close (zero: 24h).
	DueSoon time.Duration
	// RemindGap is the least time between two nudges (zero: 20h).
	RemindGap time.Duration
}

func (p Policy) withDefaults() Policy {
	if p.RemindGap <= 0 {
		p.RemindGap = DefaultRemindGap
	}
	if p.DueSoon <= 0 {
		p.DueSoon = DefaultDueSoon
	}
	if p.MaxPerPerson <= 0 {
		p.MaxPerPerson = DefaultMaxPerPerson
	}
	return p
}

// Situation is what the policy reads besides the decision: the time, the
// domain's rules, who is around, the domain's escalation ladder, and
// whose hour it is.
type Situation struct {
	Now    time.Time
	Rules  DomainRules
	People People
	Ladder []Rung
	// Hours, when set, says when each person's reminder hour comes; a run
	// acts for the hours that came in (Since, Now]. Nil: every run is
	// everyone's hour.
	Hours Hours
	Since time.Time
}

// Hours says when people's reminder hours come: the reminders schedule
// read in each person's own time zone.
type Hours interface {
	// Next is the first hour of user's after t; user "" is the
	// workspace's. Zero: never.
	Next(user string, t time.Time) time.Time
}

// hourSince reports whether a rule that began to hold at from acts in
// this run for user ("" the workspace): one of their hours came in
// (Since, Now] and not before from. Without Hours: whether from has come.
// Rules are judged at the hour, not at the run, so a run that starts
// late does not act on what only began after the hour.
func (s Situation) hourSince(user string, from time.Time) bool {
	if s.Hours == nil {
		return !from.After(s.Now)
	}
	t := s.Hours.Next(user, maxTime(s.Since, from.Add(-time.Nanosecond)))
	return !t.IsZero() && !t.After(s.Now)
}

// StepKind is what the scheduler does to one decision.
type StepKind int

// Step kinds.
const (
	StepNone     StepKind = iota
	StepRemind            // DM whoever acts for the deciders who still owe action
	StepEscalate          // add the next level as deciders
	StepReopen            // a deferred decision's date has come
	StepStuck             // it should climb but nobody above can act: record it once
	StepConsent           // a consent proposal's time passed without objection
)

func (k StepKind) String() string {
	switch k {
	case StepNone:
		return "none"
	case StepRemind:
		return "remind"
	case StepEscalate:
		return "escalate"
	case StepReopen:
		return "reopen"
	case StepStuck:
		return "stuck"
	case StepConsent:
		return "consent"
	}
	return fmt.Sprintf("StepKind(%d)", int(k))
}

// Step is the scheduler's verdict on one decision.
type Step struct {
	Kind StepKind
	// Users: for remind, the people to DM about deciding (the acting
	// person of each decider who still owes action); for escalate, the
	// deciders added.
	Users []string
	// Advisors: for remind, the people whose required advice is missing.
	Advisors []string
	// Level and Label: for escalate, the ladder rung reached.
	Level int
	Label string
	// Reason is for humans: "past its 3-day SLA", "due 2026-12-01",
	// "2 reminders without a decision".
	Reason string
	// SameRound: for remind, the reminder joins today's round (people
	// whose hour comes later than the first reminded's) and does not count
	// again toward EscalateAfter.
	SameRound bool
}

// Next decides what the scheduler does to d in the situation s.
func (p Policy) Next(d Decision, s Situation) Step {
	p = p.withDefaults()
	s.Rules = s.Rules.For(d)
	now := s.Now
	switch d.Status {
	case StatusDeferred:
		if !d.DeferredUntil.IsZero() && s.hourSince("", d.DeferredUntil) {
			return Step{Kind: StepReopen, Reason: "deferred until " + day(d.DeferredUntil)}
		}
		return Step{}
	case StatusOpen:
	default:
		return Step{}
	}
	if at := ConsentAt(d, s.Rules); !at.IsZero() && !now.Before(at) && adviceSettled(d, s.Rules, now) {
		if !AdviceGiven(d, "") && s.Rules.RequireAdvice {
			at = maxTime(at, AdviceWaivedAt(d, s.Rules))
		}
		if s.hourSince("", at) {
			return Step{Kind: StepConsent, Reason: "no objection within the " + span(s.Rules.consentAfter()) + " consent period"}
		}
	}

	n := p.nudgesOf(d, s)
	handover := n.handover
	quiet := now.Sub(n.lastNudge()) >= p.RemindGap
	sla := s.Rules.SLA
	pastSLA := sla > 0 && !now.Before(handover.Add(sla))
	slaReason := "past its " + span(sla) + " SLA"

	var why string // why a nudge is due, if one is
	switch {
	case pastSLA:
		why = slaReason
	case d.Overdue(now):
		why = "overdue since " + day(d.Due)
	case !d.Due.IsZero() && d.Due.Sub(now) <= p.DueSoon:
		why = "due " + day(d.Due)
	}

	// The climb rules that hold; the reason is the first's, and it climbs
	// at the workspace's first hour after the earliest began to hold.
	var climb string
	climbFrom := Never
	hold := func(ok bool, reason string, from time.Time) {
		if !ok {
			return
		}
		if climb == "" {
			climb = reason
		}
		climbFrom = minTime(climbFrom, from)
	}
	hold(len(d.Deciders) == 0, "nobody holds it", time.Time{})
	hold(d.Overdue(now) && handover.Before(d.Due), "past its due date "+day(d.Due), d.Due.Add(time.Nanosecond))
	if graceEnds, ok := n.graceEnds(); ok {
		hold(!now.Before(graceEnds), plural(d.Reminders, "reminder")+" without a decision", graceEnds)
	}
	hold(p.EscalateAfter <= 0 && pastSLA, slaReason, handover.Add(sla))
	nudgeFrom := maxTime(n.whyFrom, n.lastNudge().Add(p.RemindGap))
	hold(why != "" && quiet && len(s.People.Reachable(d.Deciders, d.Proposer)) == 0,
		why+" and nobody who holds it can act now", nudgeFrom)
	hold(why != "" && quiet && len(n.users) == 0 && len(n.advisors) == 0,
		why+" and everyone who holds it has had "+plural(p.MaxPerPerson, "reminder"), nudgeFrom)
	if climb != "" {
		if !s.hourSince("", climbFrom) {
			return Step{} // it climbs at the workspace's hour; no nudge before
		}
		if up, level, ok := Climb(s.Ladder, d.Escalations, d.Deciders, s.People, d.Proposer); ok {
			return Step{Kind: StepEscalate, Users: up, Level: level, Label: s.Ladder[level].Label, Reason: climb}
		}
		if _, already := Stuck(d); already {
			return Step{}
		}
		return Step{Kind: StepStuck, Reason: climb + "; nobody above " + d.Domain + " can take it"}
	}
	if _, stuck := Stuck(d); stuck || why == "" {
		return Step{} // once recorded stuck, the reminders stop
	}
	users, advisors := n.due(s, n.users), n.due(s, n.advisors)
	if len(users)+len(advisors) == 0 {
		return Step{}
	}
	joins := n.open
	for _, u := range slices.Concat(users, advisors) {
		joins = joins && !n.inRound(u)
	}
	return Step{Kind: StepRemind, Users: users, Advisors: advisors, Reason: why, SameRound: joins}
}

// adviceSettled reports whether require_advice no longer holds a decision
// back: not required, given, or waived after half the SLA.
func adviceSettled(d Decision, r DomainRules, now time.Time) bool {
	if !r.RequireAdvice || AdviceGiven(d, "") {
		return true
	}
	at := AdviceWaivedAt(d, r)
	return !at.IsZero() && !now.Before(at)
}

// Never is the NextCheck of an open decision that no deadline will ever
// bring back to the scheduler (no due date, no SLA, nobody to nudge again).
var Never = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// Action converts a step into the lifecycle Action for Apply, performed by
// Baton itself. StepNone has no action.
func (s Step) Action() (Action, bool) {
	a := Action{Actor: Actor{System: true}, Rationale: s.Reason, Users: slices.Clone(s.Users)}
	switch s.Kind {
	case StepRemind:
		a.Verb, a.SameRound = VerbRemind, s.SameRound
		for _, u := range s.Advisors {
			if !slices.Contains(a.Users, u) {
				a.Users = append(a.Users, u)
			}
		}
	case StepEscalate:
		a.Verb, a.Level = VerbEscalate, s.Level
		a.Rationale = s.Reason + "; now with " + s.Label + " too"
	case StepStuck:
		a.Verb, a.Users = VerbStuck, nil
	case StepReopen:
		a.Verb, a.Users = VerbReopen, nil
	case StepConsent:
		a.Verb, a.Users = VerbConsent, nil
	default:
		return Action{}, false
	}
	return a, true
}

// HandedOverAt is when the decision last changed hands: its latest proposed,
// reassigned, escalated or reopened event, else CreatedAt. SLAs and
// "who has acted" are measured from it.
func HandedOverAt(d Decision) time.Time {
	if i := handoverIndex(d); i >= 0 && !d.History[i].At.IsZero() {
		return d.History[i].At
	}
	return d.CreatedAt
}

func handoverIndex(d Decision) int {
	for i := len(d.History) - 1; i >= 0; i-- {
		switch d.History[i].Kind {
		case EventProposed, EventReassigned, EventEscalated, EventReopened, EventDeclined:
			return i
		}
	}
	return -1
}

// WaitingOn lists the deciders who still owe action: those who have done
// nothing on the decision since it last changed hands. Unlike
// Decision.HasActed, which looks at the whole history, a decider who
// deferred it is owed a reminder again once it reopens. When every decider
// has done something (asked for advice, say) and it is still open, they all
// still owe the decision itself, so all are listed.
func WaitingOn(d Decision) []string {
	acted := map[string]bool{}
	for _, e := range d.History[handoverIndex(d)+1:] {
		acted[e.Actor] = true
		if e.For != "" {
			acted[e.For] = true
		}
	}
	for _, v := range d.Votes {
		acted[v.Owner] = true // a delegate's vote covers every seat it was cast for
	}
	var out []string
	for _, u := range d.Deciders {
		if !acted[u] && !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		return slices.Clone(d.Deciders)
	}
	return out
}

// day formats a date the way users write it, in the time's own zone.
func day(t time.Time) string { return t.Format("2006-01-02") }

// span renders an SLA as people say it: "3-day", "2-week", "36-hour".
func span(d time.Duration) string {
	switch {
	case d%(7*24*time.Hour) == 0:
		return fmt.Sprintf("%d-week", d/(7*24*time.Hour))
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%d-day", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%d-hour", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d-minute", d/time.Minute)
	}
	return d.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
