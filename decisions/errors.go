package decisions

import (
	"errors"
	"fmt"
)

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
		who = mentions(e.Allowed)
	}
	switch e.Role {
	case "the proposer", "the deciders themselves":
		return fmt.Sprintf("only %s (%s) or an admin may %s this decision", e.Role, who, e.Verb)
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
	case VerbStuck:
		return "marked stuck"
	case VerbConsent:
		return "approved by consent"
	}
	return string(v)
}
