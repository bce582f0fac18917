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
)

// Actor is who performs an action, with the authority they carry.
type Actor struct {
	User  string
	Admin bool
	// OnBehalfOf lists the users currently away who delegated to User: User
	// may act wherever any of them is a decider.
	OnBehalfOf []string
	// System marks Baton's own scheduled actions.
	System bool
}

// Action is a request to change a decision.
type Action struct {
	Verb      Verb
	Actor     Actor
	Rationale string    // approve, reject, defer, withdraw; advice text for advise
	Until     time.Time // defer
	Users     []string  // reassign / escalate: the new deciders; remind: who was reminded
	Domain    string    // escalate: the domain now responsible, if it changes
	// RequireAdvice refuses approve and reject until someone has advised:
	// the domain's require_advice setting.
	RequireAdvice bool
}

// ErrAdviceRequired refuses a decision made before anyone advised on it,
// in a domain that requires the advice process.
var ErrAdviceRequired = errors.New("this domain requires advice before deciding")

// InputError refuses an action because of what was asked (a date in the
// past, empty advice, nobody to hand over to). Its message is written for
// the person who asked.
type InputError struct {
	Msg string
	Err error // an underlying sentinel such as ErrAdviceRequired, if any
}

func (e *InputError) Error() string { return e.Msg }

func (e *InputError) Unwrap() error { return e.Err }

func inputError(msg string) error { return &InputError{Msg: msg} }

// ErrClosed is returned for an action on a decision that is already closed.
var ErrClosed = errors.New("decision is closed")

// PermissionError says who may do what was refused. Its message is meant
// for the person who tried.
type PermissionError struct {
	Verb    Verb
	User    string
	Allowed []string // user ids who may do it (deciders, proposer); admins always may
	Role    string   // "the deciders", "the proposer", "the deciders or the proposer" or "Baton"
}

func (e *PermissionError) Error() string {
	if e.Role == "Baton" {
		return fmt.Sprintf("only Baton's scheduler may %s a decision", e.Verb)
	}
	who := "nobody"
	if len(e.Allowed) > 0 {
		parts := make([]string, len(e.Allowed))
		for i, u := range e.Allowed {
			parts[i] = "<@" + u + ">"
		}
		who = strings.Join(parts, ", ")
	}
	if e.Role == "the proposer" {
		return fmt.Sprintf("only the proposer (%s) or an admin may %s this decision", who, e.Verb)
	}
	return fmt.Sprintf("only %s (%s), their delegates or an admin may %s this decision", e.Role, who, e.Verb)
}

// StateError reports an action that does not fit the decision's status.
type StateError struct {
	ID     ID
	Verb   Verb
	Status Status
}

func (e *StateError) Error() string {
	return fmt.Sprintf("%s is already %s, so it cannot be %s", e.ID, e.Status, pastTense(e.Verb))
}

func (e *StateError) Unwrap() error {
	if e.Status.Closed() {
		return ErrClosed
	}
	return nil
}

func pastTense(v Verb) string {
	switch v {
	case VerbApprove:
		return "approved"
	case VerbReject:
		return "rejected"
	case VerbDefer:
		return "deferred"
	case VerbWithdraw:
		return "withdrawn"
	case VerbReassign:
		return "reassigned"
	case VerbAdvise, VerbAskAdvice:
		return "advised on"
	case VerbReopen:
		return "reopened"
	case VerbEscalate:
		return "escalated"
	case VerbRemind:
		return "reminded"
	}
	return string(v)
}

// Apply returns the decision after the action, or an error saying why the
// action is not allowed. The input is not modified; history is appended.
func Apply(d Decision, a Action, now time.Time) (Decision, error) {
	if a.Actor.User == "" && !a.Actor.System {
		return d, errors.New("action has no actor")
	}
	out := d
	out.Deciders = slices.Clone(d.Deciders)
	out.History = slices.Clone(d.History)
	out.Advice = slices.Clone(d.Advice)
	actor := a.Actor.User
	if a.Actor.System {
		actor = SystemActor
	}
	ev := Event{At: now, Actor: actor, Note: strings.TrimSpace(a.Rationale)}

	switch a.Verb {
	case VerbApprove, VerbReject, VerbDefer:
		if d.Status != StatusOpen && !(d.Status == StatusDeferred && a.Verb != VerbDefer) {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		if !mayDecide(d, a.Actor) {
			return d, &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: d.Deciders, Role: "the deciders"}
		}
		if a.RequireAdvice && a.Verb != VerbDefer && len(d.Advice) == 0 {
			return d, &InputError{Msg: d.ID.String() + " needs advice before it is decided: ask the advisors first", Err: ErrAdviceRequired}
		}
		switch a.Verb {
		case VerbApprove:
			out.Status, ev.Kind = StatusApproved, EventApproved
		case VerbReject:
			out.Status, ev.Kind = StatusRejected, EventRejected
		case VerbDefer:
			if a.Until.IsZero() || !a.Until.After(now) {
				return d, inputError("a decision can only be deferred until a date in the future")
			}
			out.Status, ev.Kind = StatusDeferred, EventDeferred
			out.DeferredUntil = a.Until
			ev.Note = strings.TrimSpace("until " + a.Until.Format("2006-01-02") + " " + ev.Note)
		}
		if out.Status.Closed() {
			out.DeferredUntil = time.Time{}
			out.Rationale = strings.TrimSpace(a.Rationale)
			out.DecidedBy = actor
			out.DecidedAt = now
		}
	case VerbWithdraw:
		if d.Status.Closed() {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		if !a.Actor.Admin && !a.Actor.System && a.Actor.User != d.Proposer {
			return d, &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: []string{d.Proposer}, Role: "the proposer"}
		}
		out.Status, ev.Kind = StatusWithdrawn, EventWithdrawn
		out.Rationale = strings.TrimSpace(a.Rationale)
		out.DecidedBy = actor
		out.DecidedAt = now
	case VerbReassign:
		if d.Status.Closed() {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		if !mayDecide(d, a.Actor) {
			return d, &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: d.Deciders, Role: "the deciders"}
		}
		if len(a.Users) == 0 {
			return d, inputError("reassign needs at least one person to hand the decision to")
		}
		out.Deciders = slices.Clone(a.Users)
		out.Reminders = 0
		out.LastRemindedAt = time.Time{}
		ev.Kind, ev.Users = EventReassigned, slices.Clone(a.Users)
	case VerbAdvise:
		if d.Status.Closed() {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		if ev.Note == "" {
			return d, inputError("advice needs some text")
		}
		// Anyone may advise: the advice process asks for input widely.
		out.Advice = append(out.Advice, Advice{By: actor, Text: ev.Note, At: now})
		ev.Kind = EventAdvised
	case VerbAskAdvice:
		if d.Status.Closed() {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		if !mayDecide(d, a.Actor) && a.Actor.User != d.Proposer {
			return d, &PermissionError{Verb: a.Verb, User: a.Actor.User, Allowed: append(slices.Clone(d.Deciders), d.Proposer), Role: "the deciders or the proposer"}
		}
		ev.Kind, ev.Users = EventAdviceRequested, slices.Clone(a.Users)
	case VerbReopen:
		if !a.Actor.System && !a.Actor.Admin {
			return d, &PermissionError{Verb: a.Verb, User: a.Actor.User, Role: "Baton"}
		}
		if d.Status != StatusDeferred {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		out.Status, ev.Kind = StatusOpen, EventReopened
		out.DeferredUntil = time.Time{}
		out.Reminders = 0
	case VerbRemind:
		if !a.Actor.System {
			return d, &PermissionError{Verb: a.Verb, User: a.Actor.User, Role: "Baton"}
		}
		if d.Status != StatusOpen {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		out.Reminders++
		out.LastRemindedAt = now
		ev.Kind, ev.Users = EventReminded, slices.Clone(a.Users)
	case VerbEscalate:
		if !a.Actor.System && !a.Actor.Admin {
			return d, &PermissionError{Verb: a.Verb, User: a.Actor.User, Role: "Baton"}
		}
		if d.Status != StatusOpen {
			return d, &StateError{ID: d.ID, Verb: a.Verb, Status: d.Status}
		}
		if len(a.Users) == 0 {
			return d, inputError("escalation needs someone to escalate to")
		}
		out.Deciders = slices.Clone(a.Users)
		if a.Domain != "" {
			out.Domain = a.Domain
		}
		out.Escalations++
		out.Reminders = 0
		out.LastRemindedAt = time.Time{}
		ev.Kind, ev.Users = EventEscalated, slices.Clone(a.Users)
	default:
		return d, fmt.Errorf("unknown action %q", a.Verb)
	}
	out.UpdatedAt = now
	out.History = append(out.History, ev)
	return out, nil
}

// mayDecide reports whether the actor holds the right to decide d: an
// assigned decider, a delegate of one, or an admin.
func mayDecide(d Decision, a Actor) bool {
	if a.Admin || a.System {
		return true
	}
	if d.IsDecider(a.User) {
		return true
	}
	for _, u := range a.OnBehalfOf {
		if d.IsDecider(u) {
			return true
		}
	}
	return false
}

// MayDecide reports whether the actor may approve, reject or defer d.
func MayDecide(d Decision, a Actor) bool { return mayDecide(d, a) }

// NewDecision builds an open decision from a proposal and its route, with
// the first history entry.
func NewDecision(p Proposal, r Route, now time.Time) Decision {
	return Decision{
		Title:     p.Title,
		Details:   p.Details,
		Proposer:  p.Proposer,
		Source:    p.Source,
		Domain:    r.Domain,
		Deciders:  slices.Clone(r.Deciders),
		Advisors:  slices.Clone(r.Advisors),
		Informed:  slices.Clone(r.Informed),
		Reason:    r.Reason,
		Due:       p.Due,
		Status:    StatusOpen,
		CreatedAt: now,
		UpdatedAt: now,
		History:   []Event{{At: now, Actor: p.Proposer, Kind: EventProposed, Note: r.Reason, Users: slices.Clone(r.Deciders)}},
	}
}

// Proposal is what someone asked to be decided, before routing.
type Proposal struct {
	Title    string
	Details  string
	Proposer string
	Source   Source
	Due      time.Time
}
