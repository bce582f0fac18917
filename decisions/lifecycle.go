package decisions

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Verb is something a person (or Baton itself) does to a decision.
type Verb string

// Verbs that change a decision.
const (
	VerbApprove   Verb = "approve"
	VerbReject    Verb = "reject"
	VerbDefer     Verb = "defer"
	VerbWithdraw  Verb = "withdraw"
	VerbReassign  Verb = "reassign"
	VerbAdvise    Verb = "advise"
	VerbAskAdvice Verb = "ask_advice"
	// System verbs, performed by the scheduler.
	VerbReopen   Verb = "reopen"
	VerbRemind   Verb = "remind"
	VerbEscalate Verb = "escalate"
	VerbStuck    Verb = "stuck"   // nobody above: record it once, stop reminding
	VerbConsent  Verb = "consent" // a consent proposal's time passed without objection
)

// Actor is who performs an action, with the authority they carry.
type Actor struct {
	User  string
	Admin bool
	// OnBehalfOf lists the users currently away whose delegation ends with
	// User: User may act wherever any of them is a decider.
	OnBehalfOf []string
	// System marks Baton's own scheduled actions.
	System bool
}

// Action is a request to change a decision.
type Action struct {
	Verb      Verb
	Actor     Actor
	Rationale string    // approve, reject, defer, withdraw, reassign note; advice text for advise
	Until     time.Time // defer
	Users     []string  // reassign / escalate: the new deciders; remind: who was reminded
	// Level is, for escalate, the ladder rung reached: levels skipped
	// (nobody available, nobody new) count as climbed, so the next
	// escalation starts above them.
	Level int
	// SameRound is, for remind, a reminder that joins the day's round
	// (see Policy): it does not count again toward escalate_after.
	SameRound bool
	// Rules are the decision's domain's rules: the decision rule, the
	// advice process and the SLA.
	Rules DomainRules
}

// statuses says which statuses a verb applies to.
type statuses func(Status) bool

var (
	openOnly     statuses = func(s Status) bool { return s == StatusOpen }
	deferredOnly statuses = func(s Status) bool { return s == StatusDeferred }
	notClosed    statuses = func(s Status) bool { return !s.Closed() } // open or deferred
)

// who says whether the actor may perform the verb on d; nil means yes.
type who func(d Decision, a Action) error

// verbSpec is one row of the lifecycle: where a verb applies, who may do
// it, and what it does to the decision (out starts as a copy of d, ev as
// the history entry to append).
type verbSpec struct {
	from   statuses
	may    who
	effect func(out *Decision, ev *Event, a Action, now time.Time) error
}

// lifecycle is the whole lifecycle, one row per verb.
var lifecycle = map[Verb]verbSpec{
	VerbApprove:   {notClosed, deciders, decide},
	VerbReject:    {notClosed, decidersOrObjector, decide},
	VerbDefer:     {openOnly, deciders, deferDecision},
	VerbWithdraw:  {notClosed, proposer, withdraw},
	VerbReassign:  {notClosed, holders, reassign},
	VerbAdvise:    {notClosed, anyone, advise},
	VerbAskAdvice: {notClosed, decidersOrProposer, askAdvice},
	VerbReopen:    {deferredOnly, baton(true), reopen},
	VerbRemind:    {openOnly, baton(false), remind},
	VerbEscalate:  {openOnly, baton(true), escalate},
	VerbStuck:     {openOnly, baton(false), stuck},
	VerbConsent:   {openOnly, baton(false), consent},
}

// Apply returns the decision after the action, or an error saying why the
// action is not allowed. The input is not modified; history is appended.
func Apply(d Decision, a Action, now time.Time) (Decision, error) {
	if a.Actor.User == "" && !a.Actor.System {
		return d, errors.New("action has no actor")
	}
	spec, ok := lifecycle[a.Verb]
	if !ok {
		return d, fmt.Errorf("unknown action %q", a.Verb)
	}
	a.Rules = a.Rules.For(d)
	if !spec.from(d.Status) {
		return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
	}
	if err := spec.may(d, a); err != nil {
		return d, err
	}
	out := clone(d)
	ev := Event{At: now, Actor: actorID(a.Actor), Note: strings.TrimSpace(a.Rationale)}
	if err := spec.effect(&out, &ev, a, now); err != nil {
		return d, err
	}
	out.UpdatedAt = now
	out.History = append(out.History, ev)
	return out, nil
}

func actorID(a Actor) string {
	if a.System {
		return SystemActor
	}
	return a.User
}

// ---- who may ----

func anyone(Decision, Action) error { return nil }

func deciders(d Decision, a Action) error {
	if mayDecide(d, a.Actor) {
		return nil
	}
	return &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: d.Deciders, Role: "the deciders"}
}

// holders may hand a decision to someone else: its deciders themselves
// and admins. A delegate acts for an away owner but may not give the
// owner's decision away.
func holders(d Decision, a Action) error {
	if a.Actor.Admin || a.Actor.System || d.IsDecider(a.Actor.User) {
		return nil
	}
	return &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: d.Deciders, Role: "the deciders themselves"}
}

// decidersOrObjector lets anyone whose advice was asked reject a consent
// proposal: that is how they object.
func decidersOrObjector(d Decision, a Action) error {
	if a.Rules.Rule == RuleConsent {
		if asked, _ := AdviceAsked(d); slices.Contains(asked, a.Actor.User) {
			return nil
		}
	}
	return deciders(d, a)
}

func decidersOrProposer(d Decision, a Action) error {
	if mayDecide(d, a.Actor) || a.Actor.User == d.Proposer {
		return nil
	}
	return &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: append(slices.Clone(d.Deciders), d.Proposer), Role: "the deciders or the proposer"}
}

func proposer(d Decision, a Action) error {
	if a.Actor.Admin || a.Actor.System || a.Actor.User == d.Proposer {
		return nil
	}
	return &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: []string{d.Proposer}, Role: "the proposer"}
}

// baton allows only Baton's scheduler, and admins where orAdmin is set.
func baton(orAdmin bool) who {
	return func(d Decision, a Action) error {
		if a.Actor.System || (orAdmin && a.Actor.Admin) {
			return nil
		}
		return &PermissionError{Verb: a.Verb, User: a.Actor.User, Role: "Baton"}
	}
}

// mayDecide reports whether the actor holds the right to decide d: a
// decider, someone acting for an away decider, or an admin. A delegate
// never acts for someone else on their own proposal.
func mayDecide(d Decision, a Actor) bool {
	if a.Admin || a.System || d.IsDecider(a.User) {
		return true
	}
	return a.User != d.Proposer && slices.ContainsFunc(a.OnBehalfOf, d.IsDecider)
}

// MayDecide reports whether the actor may approve, reject or defer d.
func MayDecide(d Decision, a Actor) bool { return mayDecide(d, a) }

// standsFor is the decider an actor who is not one acts for ("" if the
// actor is a decider, an admin or Baton).
func standsFor(d Decision, a Actor) string {
	if a.System || d.IsDecider(a.User) {
		return ""
	}
	for _, u := range a.OnBehalfOf {
		if d.IsDecider(u) {
			return u
		}
	}
	return ""
}

// ---- effects ----

func deferDecision(out *Decision, ev *Event, a Action, now time.Time) error {
	if a.Until.IsZero() || !a.Until.After(now) {
		return inputError("a decision can only be deferred until a date in the future")
	}
	ev.For = standsFor(*out, a.Actor)
	out.Status, ev.Kind = StatusDeferred, EventDeferred
	out.DeferredUntil = a.Until
	ev.Note = strings.TrimSpace("until " + a.Until.Format("2006-01-02") + " " + ev.Note)
	return nil
}

func withdraw(out *Decision, ev *Event, a Action, now time.Time) error {
	closeAs(out, ev, StatusWithdrawn, actorID(a.Actor), a.Rationale, now)
	return nil
}

func reassign(out *Decision, ev *Event, a Action, now time.Time) error {
	if len(a.Users) == 0 {
		return inputError("reassign needs at least one person to hand the decision to")
	}
	ev.For = standsFor(*out, a.Actor)
	out.Deciders = slices.Clone(a.Users)
	out.Owners = slices.Clone(a.Users)
	out.Votes = nil
	out.Reminders = 0
	out.LastRemindedAt = time.Time{}
	ev.Kind, ev.Users = EventReassigned, slices.Clone(a.Users)
	return nil
}

func advise(out *Decision, ev *Event, a Action, now time.Time) error {
	if ev.Note == "" {
		return inputError("advice needs some text")
	}
	// Anyone may advise: the advice process asks for input widely. Only
	// advice from outside (see AdviceGiven) meets require_advice.
	out.Advice = append(out.Advice, Advice{By: ev.Actor, Text: ev.Note, At: now})
	ev.Kind = EventAdvised
	return nil
}

func askAdvice(out *Decision, ev *Event, a Action, now time.Time) error {
	ev.Kind, ev.Users = EventAdviceRequested, slices.Clone(a.Users)
	return nil
}

func reopen(out *Decision, ev *Event, a Action, now time.Time) error {
	out.Status, ev.Kind = StatusOpen, EventReopened
	out.DeferredUntil = time.Time{}
	out.Reminders = 0
	out.Votes = nil
	return nil
}

func remind(out *Decision, ev *Event, a Action, now time.Time) error {
	if !a.SameRound {
		out.Reminders++
		out.LastRemindedAt = now
	}
	ev.Kind, ev.Users = EventReminded, slices.Clone(a.Users)
	return nil
}

// escalate adds the next level as deciders: the owners closest to the
// work keep their right and their buttons.
func escalate(out *Decision, ev *Event, a Action, now time.Time) error {
	if len(a.Users) == 0 {
		return inputError("escalation needs someone to escalate to")
	}
	if len(out.Owners) == 0 {
		out.Owners = slices.Clone(out.Deciders) // a decision stored before owners were kept
	}
	for _, u := range a.Users {
		if !out.IsDecider(u) {
			out.Deciders = append(out.Deciders, u)
		}
	}
	out.Escalations = max(out.Escalations+1, a.Level+1)
	out.Reminders = 0
	out.LastRemindedAt = time.Time{}
	ev.Kind, ev.Users = EventEscalated, slices.Clone(a.Users)
	return nil
}

func stuck(out *Decision, ev *Event, a Action, now time.Time) error {
	ev.Kind, ev.Users = EventStuck, slices.Clone(a.Users)
	return nil
}

func consent(out *Decision, ev *Event, a Action, now time.Time) error {
	if a.Rules.Rule != RuleConsent {
		return inputError("only a consent domain approves on its own")
	}
	if Objected(*out) {
		return inputError("someone objected, so the deciders decide")
	}
	closeAs(out, ev, StatusApproved, SystemActor, a.Rationale, now)
	return nil
}
