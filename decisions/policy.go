package decisions

import (
	"fmt"
	"slices"
	"time"
)

// Defaults for a zero Policy field.
const (
	DefaultDueSoon   = 24 * time.Hour
	DefaultRemindGap = 20 * time.Hour
)

// Policy is the reminder and escalation policy the scheduler applies to every
// open or deferred decision on each run.
//
// The rules, in order:
//
//   - Closed: nothing.
//   - Deferred: reopen once DeferredUntil has come; until then nothing.
//   - Open: escalate one level when
//     (a) nobody holds it (no deciders), or
//     (b) it is past its due date and the current deciders already held it
//     when it fell due, or
//     (c) EscalateAfter > 0 and it has had EscalateAfter reminders since it
//     last changed hands, the last one at least RemindGap ago (so the last
//     reminder gets a day's grace), or
//     (d) EscalateAfter <= 0 and it is past its SLA: with no reminder
//     budget, the SLA alone sends it up.
//   - Open, not escalating: remind when it is past its SLA or due within
//     DueSoon (or overdue), unless someone was nudged within RemindGap.
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
// Rule (b) applies once per hand-over: after climbing, the new deciders are
// already past the due date, so they are reminded and escalation continues
// by rule (c), one level at a time, never straight to the top.
type Policy struct {
	// EscalateAfter is how many reminders the deciders get before the
	// decision climbs (config reminders.escalate_after). Zero or less: it
	// climbs as soon as it is past its SLA.
	EscalateAfter int
	// DueSoon: remind when the due date is this close (zero: 24h).
	DueSoon time.Duration
	// RemindGap is the least time between two nudges (zero: 20h).
	RemindGap time.Duration
}

// StepKind is what the scheduler does to one decision.
type StepKind int

// Step kinds.
const (
	StepNone     StepKind = iota
	StepRemind            // DM the deciders who still owe action
	StepEscalate          // hand the decision one level up
	StepReopen            // a deferred decision's date has come
	// StepStuck: it should climb but there is nobody above. Its action is a
	// reminder to the deciders it is stuck with, so that the condition is
	// reported at most once per RemindGap rather than on every run; the
	// digest lists stuck decisions too.
	StepStuck
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
	}
	return fmt.Sprintf("StepKind(%d)", int(k))
}

// Step is the scheduler's verdict on one decision.
type Step struct {
	Kind StepKind
	// Users: for remind and stuck, the deciders who still owe action; for
	// escalate, the new deciders.
	Users []string
	// Domain: for escalate, the domain now responsible; for stuck, the
	// domain it is stuck in.
	Domain string
	// Reason is for humans: "past its 3-day SLA", "due 2026-12-01",
	// "2 reminders without a decision".
	Reason string
}

// Next decides what the scheduler does to d at now. sla is the SLA of the
// decision's domain (0: none). up finds the escalation target: the users
// and domain one level above d (escalate_to, or the parent domain's
// owners), ok=false at the root. A nil up means nobody is ever above.
func (p Policy) Next(d Decision, sla time.Duration, now time.Time, up func(Decision) (users []string, domain string, ok bool)) Step {
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

	handover := HandedOverAt(d)
	gap := p.RemindGap
	if gap <= 0 {
		gap = DefaultRemindGap
	}
	soon := p.DueSoon
	if soon <= 0 {
		soon = DefaultDueSoon
	}
	lastNudge := handover
	if d.LastRemindedAt.After(lastNudge) {
		lastNudge = d.LastRemindedAt
	}
	quiet := now.Sub(lastNudge) >= gap
	pastSLA := sla > 0 && !now.Before(handover.Add(sla))
	slaReason := "past its " + span(sla) + " SLA"

	var climb string
	switch {
	case len(d.Deciders) == 0:
		climb = "nobody holds it"
	case d.Overdue(now) && handover.Before(d.Due):
		climb = "past its due date " + day(d.Due)
	case p.EscalateAfter > 0 && d.Reminders >= p.EscalateAfter && now.Sub(d.LastRemindedAt) >= gap:
		climb = plural(d.Reminders, "reminder") + " without a decision"
	case p.EscalateAfter <= 0 && pastSLA:
		climb = slaReason
	}
	if climb != "" {
		if up != nil {
			users, domain, ok := up(d)
			if domain == "" {
				domain = d.Domain
			}
			if ok && len(users) > 0 && !(domain == d.Domain && sameSet(users, d.Deciders)) {
				return Step{Kind: StepEscalate, Users: slices.Clone(users), Domain: domain, Reason: climb}
			}
		}
		if !quiet {
			return Step{}
		}
		return Step{Kind: StepStuck, Users: WaitingOn(d), Domain: d.Domain,
			Reason: climb + "; nobody above " + d.Domain + " to escalate to"}
	}

	if !quiet {
		return Step{}
	}
	var why string
	switch {
	case pastSLA:
		why = slaReason
	case d.Overdue(now):
		why = "overdue since " + day(d.Due)
	case !d.Due.IsZero() && d.Due.Sub(now) <= soon:
		why = "due " + day(d.Due)
	default:
		return Step{}
	}
	return Step{Kind: StepRemind, Users: WaitingOn(d), Reason: why}
}

// Action converts a step into the lifecycle Action for Apply, performed by
// Baton itself. StepNone has no action.
func (s Step) Action() (Action, bool) {
	a := Action{Actor: Actor{System: true}, Rationale: s.Reason, Users: slices.Clone(s.Users)}
	switch s.Kind {
	case StepRemind, StepStuck:
		a.Verb = VerbRemind
	case StepEscalate:
		a.Verb, a.Domain = VerbEscalate, s.Domain
	case StepReopen:
		a.Verb, a.Users = VerbReopen, nil
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
		case EventProposed, EventReassigned, EventEscalated, EventReopened:
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

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
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
