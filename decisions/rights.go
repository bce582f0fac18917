package decisions

import "time"

// Assign is a domain's assignment policy.
type Assign string

// Assignment policies.
const (
	AssignAll         Assign = "all"          // every owner is a decider; any of them decides
	AssignRoundRobin  Assign = "round_robin"  // one owner, in turn
	AssignLeastLoaded Assign = "least_loaded" // the owner with the fewest open decisions
)

// Rule is how a domain's assigned deciders reach a decision.
type Rule string

// Decision rules (config key rule).
const (
	RuleAny      Rule = "any"      // one assigned decider decides (the default)
	RuleAll      Rule = "all"      // every assigned decider approves; any rejection rejects
	RuleMajority Rule = "majority" // more than half of the assigned deciders
	RuleConsent  Rule = "consent"  // approved after ConsentAfter unless someone objects
)

// Rules lists every decision rule, in the order help shows them.
var Rules = []Rule{RuleAny, RuleAll, RuleMajority, RuleConsent}

// DefaultConsentAfter is how long a consent proposal waits for objections
// when the domain sets no consent_after.
const DefaultConsentAfter = 48 * time.Hour

// Domain is a decision right: a named area, the people who hold it and the
// rules that route proposals to it. Names form a tree by "/".
type Domain struct {
	Name          string
	Description   string
	Owners        []string // user ids once resolved; usergroup ids or emails until then
	Advisors      []string
	Informed      []string // channel ids
	Aliases       []string
	Keywords      []string // whole words or phrases, matched case-insensitively
	Channels      []string // channel ids whose proposals belong here
	SLA           time.Duration
	Assign        Assign
	EscalateTo    []string
	Announce      bool
	RequireAdvice bool
	// Rule is how the assigned deciders decide (empty means RuleAny), and
	// ConsentAfter how long a RuleConsent proposal waits for objections
	// (zero means DefaultConsentAfter).
	Rule         Rule
	ConsentAfter time.Duration
}

// Presence is what routing needs to know about a person's availability.
type Presence struct {
	Deactivated bool
	AwayUntil   time.Time // away while now is before AwayUntil
	Delegate    string    // who decides for them while away
}

// Away reports whether the person is out at now.
func (p Presence) Away(now time.Time) bool { return !p.AwayUntil.IsZero() && now.Before(p.AwayUntil) }

// Request is everything routing looks at. Routing is a pure function of it.
type Request struct {
	Text     string
	Tags     []string // extra tags besides those written as #tag in Text
	Channel  string
	Proposer string
	Now      time.Time
	// Seq picks the owner for round_robin domains (the decision number is a
	// good choice): deterministic, and fair over time.
	Seq uint64
	// Presence of people by user id; missing means available.
	Presence map[string]Presence
	// Load is the number of open decisions per user, for least_loaded.
	Load map[string]int
}

// MatchLevel says which rule level decided a route.
type MatchLevel string

// Match levels, in precedence order.
const (
	MatchTag     MatchLevel = "tag"
	MatchChannel MatchLevel = "channel"
	MatchKeyword MatchLevel = "keyword"
	MatchDefault MatchLevel = "default"
	MatchNone    MatchLevel = "none"
)

// Route is where a proposal goes and why.
type Route struct {
	Domain   string     `json:"domain"`
	Deciders []string   `json:"deciders"`
	Advisors []string   `json:"advisors"`
	Informed []string   `json:"informed"`
	Reason   string     `json:"reason"`
	Level    MatchLevel `json:"-"`
	// Candidates lists domain names for the proposer to pick from when
	// nothing matched (Level == MatchNone).
	Candidates []string `json:"-"`
	// Owners are the deciders who hold the right (the domain's owners
	// after assignment); Deciders adds the level the proposal climbed to
	// when none of them could act, and Escalations counts those levels.
	Owners      []string `json:"-"`
	Escalations int      `json:"-"`
	// Rule is the domain's decision rule (empty means RuleAny), and
	// ConsentAfter its consent period.
	Rule         Rule          `json:"-"`
	ConsentAfter time.Duration `json:"-"`
}

// Matched reports whether the route found a domain.
func (r Route) Matched() bool { return r.Domain != "" }
