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
//     (c) EscalateAfter > 0 and it has had EscalateAfter reminders since it
//     last changed hands, the last one at least RemindGap ago (so the last
//     reminder gets a day's grace), or
//     (d) EscalateAfter <= 0 and it is past its SLA: with no reminder
//     budget, the SLA alone sends it up, or
//     (e) a nudge is due and nobody can be nudged: everyone who holds it is
//     away with no delegate, or has had MaxPerPerson reminders.
//     With nobody above, it is recorded as stuck once and left to the
//     digest: reminders stop.
//   - Open, not climbing: remind when it is past its SLA or due within
//     DueSoon (or overdue), unless someone was nudged within RemindGap.
//     A reminder goes to whoever acts for each decider who still owes
//     action (their delegate while they are away; nobody away is
//     reminded), and to the advisors whose required advice is missing, at
//     most MaxPerPerson times per person per decision.
//
// The SLA runs from when the decision last changed hands (proposed,
// reassigned, escalated or reopened; see HandedOverAt), so the people it was
// just handed to get the full SLA. Past the SLA the owners are reminded
// first; it climbs after EscalateAfter reminders. That is the spec's "past its
// SLA, or after escalate_after reminders", read so that nobody is bypassed
// without having been asked.
//
// Reminders are spaced by RemindGap (20h) measured from the later of the last
// reminder and the hand-over, because the hand-over message itself is a nudge:
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
// domain's rules, who is around, and the domain's escalation ladder.
type Situation struct {
	Now    time.Time
	Rules  DomainRules
	People People
	Ladder []Rung
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
}

// Next decides what the scheduler does to d in the situation s.
func (p Policy) Next(d Decision, s Situation) Step {
	p = p.withDefaults()
	s.Rules = s.Rules.For(d)
	now := s.Now
	switch d.Status {
	case StatusDeferred:
		if !d.DeferredUntil.IsZero() && !now.Before(d.DeferredUntil) {
			return Step{Kind: StepReopen, Reason: "deferred until " + day(d.DeferredUntil)}
		}
		return Step{}
	case StatusOpen:
	default:
		return Step{}
	}
	if at := ConsentAt(d, s.Rules); !at.IsZero() && !now.Before(at) && adviceSettled(d, s.Rules, now) {
		return Step{Kind: StepConsent, Reason: "no objection within the " + span(s.Rules.consentAfter()) + " consent period"}
	}

	handover := HandedOverAt(d)
	lastNudge := handover
	if d.LastRemindedAt.After(lastNudge) {
		lastNudge = d.LastRemindedAt
	}
	quiet := now.Sub(lastNudge) >= p.RemindGap
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
	waiting := WaitingOn(d)
	users := p.remindable(d, waiting, s.People)
	var advisors []string
	if s.Rules.RequireAdvice && !AdviceGiven(d, "") {
		advisors = p.remindable(d, MissingAdvice(d), s.People)
	}

	var climb string
	switch {
	case len(d.Deciders) == 0:
		climb = "nobody holds it"
	case d.Overdue(now) && handover.Before(d.Due):
		climb = "past its due date " + day(d.Due)
	case p.EscalateAfter > 0 && d.Reminders >= p.EscalateAfter && now.Sub(d.LastRemindedAt) >= p.RemindGap:
		climb = plural(d.Reminders, "reminder") + " without a decision"
	case p.EscalateAfter <= 0 && pastSLA:
		climb = slaReason
	case why != "" && quiet && len(s.People.Reachable(d.Deciders, d.Proposer)) == 0:
		climb = why + " and nobody who holds it can act now"
	case why != "" && quiet && len(users) == 0 && len(advisors) == 0:
		climb = why + " and everyone who holds it has had " + plural(p.MaxPerPerson, "reminder")
	}
	if climb != "" {
		if up, level, ok := Climb(s.Ladder, d.Escalations, d.Deciders, s.People, d.Proposer); ok {
			return Step{Kind: StepEscalate, Users: up, Level: level, Label: s.Ladder[level].Label, Reason: climb}
		}
		if _, already := Stuck(d); already {
			return Step{}
		}
		return Step{Kind: StepStuck, Reason: climb + "; nobody above " + d.Domain + " can take it"}
	}
	if !quiet || why == "" || len(users)+len(advisors) == 0 {
		return Step{}
	}
	return Step{Kind: StepRemind, Users: users, Advisors: advisors, Reason: why}
}

// remindable maps users to whoever acts for them now, dropping people
// away with nobody acting for them, and those who have had their
// MaxPerPerson reminders about d.
func (p Policy) remindable(d Decision, users []string, people People) []string {
	var out []string
	for _, a := range people.Reachable(users, d.Proposer) {
		if RemindersTo(d, a) < p.MaxPerPerson {
			out = append(out, a)
		}
	}
	return out
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

// NextCheck is the earliest time after now at which the policy could act
// on d if nothing else changes: a lower bound is safe (the scheduler
// looks, finds nothing, and looks again later), a later time would miss a
// reminder. Each rule fires at one of these instants: the end of the
// quiet gap after the last nudge, the due date coming close or passing,
// the SLA running out since the hand-over, or the consent period ending.
// A stuck decision waits for someone to act: never.
func (p Policy) NextCheck(d Decision, s Situation) time.Time {
	if d.Status != StatusOpen {
		return Never
	}
	p = p.withDefaults()
	s.Rules = s.Rules.For(d)
	next := Never
	consider := func(t time.Time) {
		if t.After(s.Now) && t.Before(next) {
			next = t
		}
	}
	if at := ConsentAt(d, s.Rules); !at.IsZero() {
		consider(at)
		if w := AdviceWaivedAt(d, s.Rules); !w.IsZero() {
			consider(w)
		}
	}
	if _, stuck := Stuck(d); stuck {
		return next // nothing but consent can happen until someone acts
	}
	handover := HandedOverAt(d)
	nudge := handover
	if d.LastRemindedAt.After(nudge) {
		nudge = d.LastRemindedAt
	}
	consider(nudge.Add(p.RemindGap))
	if !d.Due.IsZero() {
		consider(d.Due.Add(-p.DueSoon))
		consider(d.Due.Add(time.Nanosecond)) // Overdue is strictly after Due
	}
	if sla := s.Rules.SLA; sla > 0 {
		consider(handover.Add(sla))
	}
	return next
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
		a.Verb = VerbRemind
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
