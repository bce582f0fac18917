package decisions

import (
	"slices"
	"strings"
	"time"
)

// DomainRules are what a domain says about how its decisions are made.
type DomainRules struct {
	Rule          Rule          // empty means RuleAny
	ConsentAfter  time.Duration // RuleConsent; zero means DefaultConsentAfter
	RequireAdvice bool
	SLA           time.Duration // zero: none
}

// RulesOf reads a domain's rules.
func RulesOf(d Domain) DomainRules {
	return DomainRules{Rule: d.Rule, ConsentAfter: d.ConsentAfter, RequireAdvice: d.RequireAdvice, SLA: d.SLA}
}

// For is the rules as they apply to d: the rule it was proposed under
// wins over the domain's current one.
func (r DomainRules) For(d Decision) DomainRules {
	if d.Rule != "" {
		r.Rule = d.Rule
	}
	return r
}

func (r DomainRules) consentAfter() time.Duration {
	if r.ConsentAfter > 0 {
		return r.ConsentAfter
	}
	return DefaultConsentAfter
}

// Describe says a rule the way rights and who show it.
func (r DomainRules) Describe() string {
	switch r.Rule {
	case RuleAll:
		return "all owners approve (any rejection rejects)"
	case RuleMajority:
		return "a majority of owners approves"
	case RuleConsent:
		return "approved after " + span(r.consentAfter()) + " without objection (consent)"
	}
	return "any one owner decides"
}

// countsVotes reports whether the rule needs more than one owner.
func countsVotes(d Decision, r Rule) bool {
	return (r == RuleAll || r == RuleMajority) && len(d.Seats()) > 1
}

// heldSeats are the owners' seats the actor votes for: their own, and
// those of away owners they act for. Admins and deciders added by
// escalation hold none: they decide outright, which is what escalation
// is for.
func heldSeats(d Decision, a Actor) []string {
	if a.System {
		return nil
	}
	var out []string
	for _, s := range d.Seats() {
		if s == a.User || (a.User != d.Proposer && slices.Contains(a.OnBehalfOf, s)) {
			out = append(out, s)
		}
	}
	return out
}

func castVote(d *Decision, v Vote) {
	for i := range d.Votes {
		if d.Votes[i].Owner == v.Owner {
			d.Votes[i] = v
			return
		}
	}
	d.Votes = append(d.Votes, v)
}

// VoteTally counts the owners' votes.
type VoteTally struct {
	Seats, Approve, Reject int
	Waiting                []string // owners who have not voted, in order
}

// Tally counts d's votes against its seats.
func Tally(d Decision) VoteTally {
	t := VoteTally{Seats: len(d.Seats())}
	for _, s := range d.Seats() {
		i := slices.IndexFunc(d.Votes, func(v Vote) bool { return v.Owner == s })
		switch {
		case i < 0:
			t.Waiting = append(t.Waiting, s)
		case d.Votes[i].Approve:
			t.Approve++
		default:
			t.Reject++
		}
	}
	return t
}

// Outcome says whether the votes meet the rule, and how. "all" needs
// every owner and any rejection rejects; "majority" needs more than half,
// and rejects once that can no longer happen.
func (t VoteTally) Outcome(r Rule) (Status, bool) {
	switch r {
	case RuleAll:
		if t.Reject > 0 {
			return StatusRejected, true
		}
		if t.Approve == t.Seats {
			return StatusApproved, true
		}
	case RuleMajority:
		if 2*t.Approve > t.Seats {
			return StatusApproved, true
		}
		if 2*(t.Seats-t.Reject) <= t.Seats {
			return StatusRejected, true
		}
	default:
		if t.Approve > 0 {
			return StatusApproved, true
		}
		if t.Reject > 0 {
			return StatusRejected, true
		}
	}
	return StatusOpen, false
}

// AdviceGiven reports whether require_advice is met for a decision made
// by decider: someone who is neither a decider, nor the proposer, nor the
// person deciding (a delegate advising himself, then deciding for the away
// owner, counts no more than the owner advising herself) advised.
func AdviceGiven(d Decision, decider string) bool {
	return slices.ContainsFunc(d.Advice, func(a Advice) bool {
		return outsider(d, a.By) && a.By != decider
	})
}

// outsider reports whether user's advice can count: not a decider, not
// the proposer.
func outsider(d Decision, user string) bool {
	return user != "" && user != d.Proposer && !d.IsDecider(user)
}

// AdviceAsked lists the people outside the decision (not deciders, not
// the proposer) whose advice was asked — the advisors notified at the
// proposal and everyone asked since — and when the first of them was.
func AdviceAsked(d Decision) (who []string, at time.Time) {
	add := func(users []string, when time.Time) {
		for _, u := range users {
			if outsider(d, u) && !slices.Contains(who, u) {
				if len(who) == 0 {
					at = when
				}
				who = append(who, u)
			}
		}
	}
	add(d.Advisors, d.CreatedAt)
	for _, e := range d.History {
		if e.Kind == EventAdviceRequested {
			add(e.Users, e.At)
		}
	}
	return who, at
}

// MissingAdvice lists who was asked for advice and has not given it.
func MissingAdvice(d Decision) []string {
	asked, _ := AdviceAsked(d)
	return slices.DeleteFunc(asked, func(u string) bool {
		return slices.ContainsFunc(d.Advice, func(a Advice) bool { return a.By == u })
	})
}

// AdviceWaivedAt is when the deciders may decide without the advice they
// asked for — half the SLA after the first person outside was asked — or
// zero if never (nobody outside was asked, or there is no SLA).
func AdviceWaivedAt(d Decision, r DomainRules) time.Time {
	asked, at := AdviceAsked(d)
	if len(asked) == 0 || r.SLA <= 0 {
		return time.Time{}
	}
	return at.Add(r.SLA / 2)
}

func adviceMissing(d Decision, r DomainRules) error {
	msg := d.ID.String() + " needs advice before it is decided"
	switch missing := MissingAdvice(d); {
	case len(missing) > 0:
		msg += ": waiting on advice from " + mentions(missing)
		if at := AdviceWaivedAt(d, r); !at.IsZero() {
			msg += "; if none comes, you may decide without it from " + at.Format("2006-01-02 15:04")
		}
	default:
		msg += " from someone who is neither a decider nor the proposer: ask for advice first"
	}
	return &InputError{Msg: msg, Err: ErrAdviceRequired}
}

func mentions(users []string) string {
	parts := make([]string, len(users))
	for i, u := range users {
		parts[i] = "<@" + u + ">"
	}
	return strings.Join(parts, ", ")
}

// consentIndex is the history entry a consent period runs from: the
// proposal, or the latest reopening, reassignment, decline or edit (people
// need the full period to object to the new text). Escalation does not
// restart it: the proposal is the same and so are its objections.
func consentIndex(d Decision) int {
	for i := len(d.History) - 1; i >= 0; i-- {
		switch d.History[i].Kind {
		case EventProposed, EventReopened, EventReassigned, EventDeclined, EventEdited:
			return i
		}
	}
	return -1
}

// Objected reports whether someone objected to the proposal since its
// consent period began; an objection stands through escalation.
func Objected(d Decision) bool {
	for _, e := range d.History[consentIndex(d)+1:] {
		if e.Kind == EventObjected {
			return true
		}
	}
	return false
}

// ConsentAt is when a consent proposal approves itself (zero if the rule
// is not consent, it is not open, or someone objected).
func ConsentAt(d Decision, r DomainRules) time.Time {
	if r.Rule != RuleConsent || d.Status != StatusOpen || Objected(d) {
		return time.Time{}
	}
	from := d.CreatedAt
	if i := consentIndex(d); i >= 0 && !d.History[i].At.IsZero() {
		from = d.History[i].At
	}
	return from.Add(r.consentAfter())
}

// Stuck reports whether the decision could climb no higher since it last
// changed hands, and since when.
func Stuck(d Decision) (time.Time, bool) {
	for _, e := range d.History[handoverIndex(d)+1:] {
		if e.Kind == EventStuck {
			return e.At, true
		}
	}
	return time.Time{}, false
}

// RemindersTo counts the reminders user has had about d.
func RemindersTo(d Decision, user string) int {
	n := 0
	for _, e := range d.History {
		if e.Kind == EventReminded && slices.Contains(e.Users, user) {
			n++
		}
	}
	return n
}

// DecidedLevel says how far above the owners the decision was made: 0
// when one of its owners (or someone acting for them) decided it — the
// people closest to the work — or it was approved by consent; else the
// level of the escalation that had added the decider (for a proposal that
// climbed when it was made, the level it climbed to). Open and withdrawn
// decisions are at 0.
func DecidedLevel(d Decision) int {
	if !d.Status.Closed() || d.Status == StatusWithdrawn || d.DecidedBy == SystemActor {
		return 0
	}
	by := d.DecidedBy
	for i := len(d.History) - 1; i >= 0; i-- {
		if e := d.History[i]; e.Kind == EventApproved || e.Kind == EventRejected {
			if e.For != "" {
				by = e.For
			}
			break
		}
	}
	if slices.Contains(d.Seats(), by) || !d.IsDecider(by) {
		return 0 // an owner, or an admin deciding outright
	}
	// Count the climbs up to the one that added the decider: the climb
	// made when the proposal was routed (its first deciders were more
	// than its owners), then each escalation.
	level := 0
	for _, e := range d.History {
		climbed := e.Kind == EventEscalated ||
			e.Kind == EventProposed && slices.ContainsFunc(e.Users, func(u string) bool { return !slices.Contains(d.Seats(), u) })
		if !climbed {
			continue
		}
		level++
		if slices.Contains(e.Users, by) {
			return level
		}
	}
	return max(level, 1)
}

// decide approves or rejects under the decision rule: an owner votes for
// their seats, and the decision closes when the rule is met; an advisor's
// rejection of a consent proposal is an objection.
func decide(out *Decision, ev *Event, a Action, now time.Time) error {
	ev.For = standsFor(*out, a.Actor)
	objector := a.Verb == VerbReject && a.Rules.Rule == RuleConsent && !mayDecide(*out, a.Actor)
	if objector {
		if ev.Note == "" {
			return inputError("an objection needs a reason: say what would make the proposal safe enough to try")
		}
		ev.Kind = EventObjected
		return nil
	}
	if a.Rules.RequireAdvice && !AdviceGiven(*out, a.Actor.User) {
		if at := AdviceWaivedAt(*out, a.Rules); at.IsZero() || now.Before(at) {
			return adviceMissing(*out, a.Rules)
		}
		out.NoAdviceFrom = MissingAdvice(*out)
	}
	status := StatusApproved
	if a.Verb == VerbReject {
		status = StatusRejected
	}
	if seats := heldSeats(*out, a.Actor); countsVotes(*out, a.Rules.Rule) && len(seats) > 0 {
		for _, s := range seats {
			castVote(out, Vote{Owner: s, By: actorID(a.Actor), Approve: a.Verb == VerbApprove, At: now})
		}
		if ev.For == "" && seats[0] != a.Actor.User {
			ev.For = seats[0]
		}
		var met bool
		if status, met = Tally(*out).Outcome(a.Rules.Rule); !met {
			ev.Kind, ev.Vote = EventVoted, string(a.Verb)
			return nil
		}
	}
	closeAs(out, ev, status, actorID(a.Actor), a.Rationale, now)
	return nil
}

func closeAs(out *Decision, ev *Event, status Status, by, rationale string, now time.Time) {
	out.Status = status
	ev.Kind = map[Status]EventKind{StatusApproved: EventApproved, StatusRejected: EventRejected, StatusWithdrawn: EventWithdrawn}[status]
	out.DeferredUntil = time.Time{}
	out.Rationale = strings.TrimSpace(rationale)
	out.DecidedBy = by
	out.DecidedAt = now
}
