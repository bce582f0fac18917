// Package decisions is Baton's domain: decisions and their lifecycle, decision
// rights, the routing engine, reminder and escalation policy, and digest
// figures. It is pure: no Slack, no storage, and time is always passed in.
package decisions

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ID identifies a decision within a workspace. It is shown as "D-<n>" and is
// never reused.
type ID uint64

// String renders the id the way users type it.
func (id ID) String() string { return "D-" + strconv.FormatUint(uint64(id), 10) }

// ParseID accepts "D-7", "d-7" or "7".
func ParseID(s string) (ID, error) {
	t := strings.TrimSpace(s)
	if len(t) > 2 && (t[0] == 'D' || t[0] == 'd') && t[1] == '-' {
		t = t[2:]
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a decision id (expected something like D-7)", s)
	}
	return ID(n), nil
}

// Status is where a decision is in its lifecycle.
type Status string

// The statuses are part of the product contract.
const (
	StatusOpen      Status = "open"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusDeferred  Status = "deferred"
	StatusWithdrawn Status = "withdrawn"
)

// Statuses lists every status, in display order.
var Statuses = []Status{StatusOpen, StatusDeferred, StatusApproved, StatusRejected, StatusWithdrawn}

// Closed reports whether no further decision is expected: approved, rejected
// or withdrawn. A deferred decision is not closed; it reopens on its date.
func (s Status) Closed() bool {
	return s == StatusApproved || s == StatusRejected || s == StatusWithdrawn
}

// SourceKind says how a decision was proposed.
type SourceKind string

// Source kinds.
const (
	SourceCommand  SourceKind = "command"
	SourceMention  SourceKind = "mention"
	SourceShortcut SourceKind = "shortcut"
	SourceReaction SourceKind = "reaction"
)

// Source is where a proposal was made: the channel and, for mentions, the
// thread the conversation belongs to.
type Source struct {
	Kind      SourceKind `json:"kind"`
	Channel   string     `json:"channel,omitempty"`
	ThreadTS  string     `json:"thread_ts,omitempty"`
	MessageTS string     `json:"message_ts,omitempty"`
}

// MessageRef points at a message Baton posted, so later messages can thread
// under it or update it.
type MessageRef struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// Advice is an advisor's input, recorded before the decision is made.
type Advice struct {
	By   string    `json:"by"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// EventKind names an entry in a decision's history.
type EventKind string

// History event kinds.
const (
	EventProposed        EventKind = "proposed"
	EventApproved        EventKind = "approved"
	EventRejected        EventKind = "rejected"
	EventDeferred        EventKind = "deferred"
	EventWithdrawn       EventKind = "withdrawn"
	EventReopened        EventKind = "reopened"
	EventReassigned      EventKind = "reassigned"
	EventAdvised         EventKind = "advised"
	EventAdviceRequested EventKind = "advice_requested"
	EventReminded        EventKind = "reminded"
	EventEscalated       EventKind = "escalated"
	// EventVoted is a decider's vote under a rule that needs more than one
	// (all, majority); the vote that meets the rule is recorded as
	// approved or rejected instead.
	EventVoted EventKind = "voted"
	// EventObjected is an objection to a consent proposal: it stops the
	// automatic approval, and the deciders decide as under "any".
	EventObjected EventKind = "objected"
	// EventStuck records that a decision could climb no higher: reminders
	// stop and the digest lists it until someone acts.
	EventStuck EventKind = "stuck"
)

// Event is one append-only entry in a decision's history.
type Event struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"` // user id, or "baton" for scheduled actions
	Kind  EventKind `json:"kind"`
	Note  string    `json:"note,omitempty"`
	Users []string  `json:"users,omitempty"` // who was assigned, reminded or escalated to
	// For is the away decider the actor stood in for, as their delegate.
	For string `json:"for,omitempty"`
	// Vote is "approve" or "reject" on EventVoted.
	Vote string `json:"vote,omitempty"`
}

// SystemActor is the Actor of events Baton performs on its own (reminders,
// escalations, reopening deferred decisions).
const SystemActor = "baton"

// Decision is a proposed decision and everything that happened to it.
type Decision struct {
	ID       ID     `json:"id"`
	Title    string `json:"title"`
	Details  string `json:"details,omitempty"`
	Proposer string `json:"proposer"`
	Source   Source `json:"source"`

	Domain string `json:"domain"`
	// Deciders are everyone who may decide: the owners it was routed or
	// reassigned to, plus each level escalation added.
	Deciders []string `json:"deciders"`
	// Owners are the deciders closest to the work, whose votes a domain's
	// rule counts; escalation never removes them. Empty in decisions
	// stored before rules existed: then Deciders are the owners.
	Owners   []string `json:"owners,omitempty"`
	Advisors []string `json:"advisors,omitempty"`
	Informed []string `json:"informed,omitempty"` // channel ids
	// Rule is the decision rule it was proposed under (empty: any); a
	// later config change does not change the rule people were told.
	Rule   Rule   `json:"rule,omitempty"`
	Reason string `json:"reason"` // why it was routed where it was

	Due           time.Time `json:"due,omitzero"`
	Status        Status    `json:"status"`
	Rationale     string    `json:"rationale,omitempty"`
	DecidedBy     string    `json:"decided_by,omitempty"`
	DecidedAt     time.Time `json:"decided_at,omitzero"`
	DeferredUntil time.Time `json:"deferred_until,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`

	// Reminders counts reminders sent since the decision last changed hands
	// (proposal, reassignment or escalation); escalation policy reads it.
	Reminders      int       `json:"reminders,omitempty"`
	LastRemindedAt time.Time `json:"last_reminded_at,omitzero"`
	// Escalations counts how many levels the decision has climbed.
	Escalations int `json:"escalations,omitempty"`
	// NextCheck is when the scheduler next needs to look at this open
	// decision (to remind, escalate or flag it); zero means at its next run.
	// The scheduler sets it; other changes keep it, which is safe because
	// they can only postpone what the scheduler will do. The store indexes
	// it so a reminders run reads only the decisions that need it.
	NextCheck time.Time `json:"next_check,omitzero"`

	// Announcement is the channel message announcing the proposal, once
	// posted; outcomes are threaded under it.
	Announcement MessageRef `json:"announcement,omitzero"`

	Advice []Advice `json:"advice,omitempty"`
	// Votes are the owners' votes so far under rule all or majority, one
	// per owner (the latest counts).
	Votes []Vote `json:"votes,omitempty"`
	// NoAdviceFrom lists whose advice was asked and never given when the
	// decision was made anyway, half its SLA after asking.
	NoAdviceFrom []string `json:"no_advice_from,omitempty"`
	History      []Event  `json:"history"`

	// ReviewOn is when the outcome is to be looked at again (zero: never);
	// Revisits is the decision this one was proposed to revisit. See
	// register.go.
	ReviewOn time.Time `json:"review_on,omitzero"`
	Revisits ID        `json:"revisits,omitempty"`
	// Misroutes are the times the decision landed in the wrong place (see
	// misroutes.go), oldest first.
	Misroutes []Misroute `json:"misroutes,omitempty"`
}

// Vote is one owner's vote; By differs from Owner when a delegate voted.
type Vote struct {
	Owner   string    `json:"owner"`
	By      string    `json:"by"`
	Approve bool      `json:"approve"`
	At      time.Time `json:"at"`
}

// Seats are the owners whose votes a rule counts.
func (d *Decision) Seats() []string {
	if len(d.Owners) > 0 {
		return d.Owners
	}
	return d.Deciders
}

// Overdue reports whether an open decision is past its due date at now.
func (d *Decision) Overdue(now time.Time) bool {
	return d.Status == StatusOpen && !d.Due.IsZero() && now.After(d.Due)
}

// IsDecider reports whether user is one of the assigned deciders.
func (d *Decision) IsDecider(user string) bool { return contains(d.Deciders, user) }

// HasActed reports whether user has done anything on the decision since it
// last changed hands (proposal, reassignment, escalation or reopening), so
// a decider who deferred it owes action again once it reopens.
func (d *Decision) HasActed(user string) bool {
	for _, e := range d.History[handoverIndex(*d)+1:] {
		if e.Actor == user || e.For == user {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// NewDecision builds an open decision from a proposal and its route, with
// the first history entry.
func NewDecision(p Proposal, r Route, now time.Time) Decision {
	return Decision{
		Title:       p.Title,
		Details:     p.Details,
		Proposer:    p.Proposer,
		Source:      p.Source,
		Domain:      r.Domain,
		Deciders:    slices.Clone(r.Deciders),
		Owners:      slices.Clone(r.Owners),
		Advisors:    slices.Clone(r.Advisors),
		Informed:    slices.Clone(r.Informed),
		Rule:        r.Rule,
		Reason:      r.Reason,
		Escalations: r.Escalations,
		Due:         p.Due,
		Status:      StatusOpen,
		CreatedAt:   now,
		UpdatedAt:   now,
		History:     []Event{{At: now, Actor: p.Proposer, Kind: EventProposed, Note: r.Reason, Users: slices.Clone(r.Deciders)}},
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
