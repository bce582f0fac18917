package decisions

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTallyOutcome(t *testing.T) {
	tests := []struct {
		rule                   Rule
		seats, approve, reject int
		want                   Status
		met                    bool
	}{
		{RuleAny, 2, 0, 0, StatusOpen, false},
		{RuleAny, 2, 1, 0, StatusApproved, true},
		{RuleAny, 2, 0, 1, StatusRejected, true},
		{RuleAll, 2, 1, 0, StatusOpen, false},
		{RuleAll, 2, 2, 0, StatusApproved, true},
		{RuleAll, 3, 2, 1, StatusRejected, true}, // any rejection rejects
		{RuleAll, 3, 0, 1, StatusRejected, true},
		{RuleMajority, 3, 1, 0, StatusOpen, false},
		{RuleMajority, 3, 2, 0, StatusApproved, true},
		{RuleMajority, 3, 1, 1, StatusOpen, false},
		{RuleMajority, 3, 0, 2, StatusRejected, true}, // 2 of 3 can no longer happen
		{RuleMajority, 2, 1, 0, StatusOpen, false},    // half is not more than half
		{RuleMajority, 2, 0, 1, StatusRejected, true},
		{RuleMajority, 4, 2, 1, StatusOpen, false},
		{RuleMajority, 4, 3, 0, StatusApproved, true},
		{RuleMajority, 4, 1, 2, StatusRejected, true}, // a tie is not a majority
	}
	for _, tt := range tests {
		got, met := VoteTally{Seats: tt.seats, Approve: tt.approve, Reject: tt.reject}.Outcome(tt.rule)
		if got != tt.want || met != tt.met {
			t.Errorf("%s %d seats, %d for, %d against: %s %v, want %s %v", tt.rule, tt.seats, tt.approve, tt.reject, got, met, tt.want, tt.met)
		}
	}
}

// ruleDecision is D-9 in a domain with rule, owned by alice, bob and
// carol, proposed by pat, with fin as advisor.
func ruleDecision(rule Rule, owners ...string) Decision {
	if owners == nil {
		owners = []string{"UALICE", "UBOB", "UCAROL"}
	}
	d := NewDecision(Proposal{Title: "Try a four-day week", Proposer: "UPAT"},
		Route{Domain: "people", Deciders: owners, Owners: owners, Advisors: []string{"UFIN"}, Rule: rule}, lcT0)
	d.ID = 9
	return d
}

// TestApplyRules plays votes through Apply: each row is a sequence of
// actions and the status and history kinds they leave.
func TestApplyRules(t *testing.T) {
	type act struct {
		user    string
		verb    Verb
		forAway string // the actor acts for this away owner
		admin   bool
		note    string
	}
	tests := []struct {
		name    string
		rule    Rule
		owners  []string
		acts    []act
		status  Status
		kinds   []EventKind // after "proposed"
		line    string      // the vote line afterwards, if any
		wantErr string
	}{
		{name: "any: one owner decides", rule: RuleAny, acts: []act{{user: "UBOB", verb: VerbApprove}},
			status: StatusApproved, kinds: []EventKind{EventApproved}},
		{name: "all: waits for every owner", rule: RuleAll, acts: []act{{user: "UALICE", verb: VerbApprove}, {user: "UBOB", verb: VerbApprove}},
			status: StatusOpen, kinds: []EventKind{EventVoted, EventVoted}, line: "2 of 3 approved — waiting on UCAROL"},
		{name: "all: the last approval approves", rule: RuleAll, acts: []act{{user: "UALICE", verb: VerbApprove}, {user: "UBOB", verb: VerbApprove}, {user: "UCAROL", verb: VerbApprove}},
			status: StatusApproved, kinds: []EventKind{EventVoted, EventVoted, EventApproved}},
		{name: "all: any rejection rejects", rule: RuleAll, acts: []act{{user: "UALICE", verb: VerbApprove}, {user: "UBOB", verb: VerbReject, note: "not now"}},
			status: StatusRejected, kinds: []EventKind{EventVoted, EventRejected}},
		{name: "all: a vote counted twice is one vote", rule: RuleAll, acts: []act{{user: "UALICE", verb: VerbApprove}, {user: "UALICE", verb: VerbApprove}},
			status: StatusOpen, kinds: []EventKind{EventVoted, EventVoted}, line: "1 of 3 approved"},
		{name: "all: a delegate votes for the away owner's seat", rule: RuleAll, owners: []string{"UALICE", "UBOB"},
			acts:   []act{{user: "UDAN", verb: VerbApprove, forAway: "UALICE"}, {user: "UBOB", verb: VerbApprove}},
			status: StatusApproved, kinds: []EventKind{EventVoted, EventApproved}},
		{name: "all: an admin decides outright", rule: RuleAll, acts: []act{{user: "UADMIN", verb: VerbApprove, admin: true}},
			status: StatusApproved, kinds: []EventKind{EventApproved}},
		{name: "majority: two of three", rule: RuleMajority, acts: []act{{user: "UALICE", verb: VerbApprove}, {user: "UCAROL", verb: VerbReject, note: "no"}, {user: "UBOB", verb: VerbApprove}},
			status: StatusApproved, kinds: []EventKind{EventVoted, EventVoted, EventApproved}},
		{name: "majority: two rejections of three reject", rule: RuleMajority, acts: []act{{user: "UALICE", verb: VerbReject, note: "no"}, {user: "UBOB", verb: VerbReject, note: "no"}},
			status: StatusRejected, kinds: []EventKind{EventVoted, EventRejected}},
		{name: "all with one owner is any", rule: RuleAll, owners: []string{"UALICE"}, acts: []act{{user: "UALICE", verb: VerbApprove}},
			status: StatusApproved, kinds: []EventKind{EventApproved}},
		{name: "consent: an advisor's rejection is an objection", rule: RuleConsent, acts: []act{{user: "UFIN", verb: VerbReject, note: "cash flow in Q1"}},
			status: StatusOpen, kinds: []EventKind{EventObjected}},
		{name: "consent: an objection needs a reason", rule: RuleConsent, acts: []act{{user: "UFIN", verb: VerbReject}},
			wantErr: "an objection needs a reason"},
		{name: "consent: after an objection the deciders decide as under any", rule: RuleConsent,
			acts:   []act{{user: "UFIN", verb: VerbReject, note: "cash"}, {user: "UBOB", verb: VerbApprove, note: "with a review in March"}},
			status: StatusApproved, kinds: []EventKind{EventObjected, EventApproved}},
		{name: "consent: an advisor cannot approve for the deciders", rule: RuleConsent, acts: []act{{user: "UFIN", verb: VerbApprove}},
			wantErr: "only the deciders"},
		{name: "any: an advisor cannot reject", rule: RuleAny, acts: []act{{user: "UFIN", verb: VerbReject, note: "no"}},
			wantErr: "only the deciders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ruleDecision(tt.rule, tt.owners...)
			var err error
			for i, a := range tt.acts {
				actor := Actor{User: a.user, Admin: a.admin}
				if a.forAway != "" {
					actor.OnBehalfOf = []string{a.forAway}
				}
				d, err = Apply(d, Action{Verb: a.verb, Actor: actor, Rationale: a.note, Rules: DomainRules{Rule: tt.rule}}, lcT0.Add(time.Duration(i+1)*time.Hour))
				if err != nil {
					break
				}
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var kinds []EventKind
			for _, e := range d.History[1:] {
				kinds = append(kinds, e.Kind)
			}
			if d.Status != tt.status || !slices.Equal(kinds, tt.kinds) {
				t.Errorf("status %s, history %v; want %s, %v", d.Status, kinds, tt.status, tt.kinds)
			}
			if tt.line != "" {
				tally := Tally(d)
				line := strconv.Itoa(tally.Approve) + " of " + strconv.Itoa(tally.Seats) + " approved"
				if len(tally.Waiting) > 0 {
					line += " — waiting on " + strings.Join(tally.Waiting, ", ")
				}
				if !strings.HasPrefix(line, tt.line) {
					t.Errorf("vote line %q, want %q", line, tt.line)
				}
			}
		})
	}
}

// A delegate's action is recorded as theirs, for whom they acted.
func TestApplyRecordsWhoActedForWhom(t *testing.T) {
	d := ruleDecision(RuleAny, "USOFIA", "URAVI")
	got, err := Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UBEN", OnBehalfOf: []string{"USOFIA"}}, Rationale: "go"}, lcNow)
	if err != nil {
		t.Fatal(err)
	}
	last := got.History[len(got.History)-1]
	if last.Actor != "UBEN" || last.For != "USOFIA" || got.DecidedBy != "UBEN" {
		t.Errorf("event %+v, decided by %s", last, got.DecidedBy)
	}
	if DecidedLevel(got) != 0 {
		t.Errorf("a delegate of an owner decided at level %d, want 0", DecidedLevel(got))
	}
	// The owner, back, acts herself; her delegate no longer can.
	if _, err := Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UBEN"}}, lcNow); err == nil {
		t.Error("the delegate acted after the away window ended")
	}
	// A delegate never acts for someone else on their own proposal.
	d.Proposer = "UBEN"
	var pe *PermissionError
	if _, err := Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UBEN", OnBehalfOf: []string{"USOFIA"}}}, lcNow); !errors.As(err, &pe) {
		t.Errorf("a proposer approved his own proposal as a delegate: %v", err)
	}
}

func TestConsent(t *testing.T) {
	rules := DomainRules{Rule: RuleConsent, ConsentAfter: 48 * time.Hour}
	d := ruleDecision(RuleConsent)
	if got := ConsentAt(d, rules); !got.Equal(lcT0.Add(48 * time.Hour)) {
		t.Fatalf("ConsentAt = %v", got)
	}
	if got := ConsentAt(d, DomainRules{Rule: RuleConsent}); !got.Equal(lcT0.Add(DefaultConsentAfter)) {
		t.Errorf("default consent_after: %v", got)
	}
	p := Policy{EscalateAfter: 2}
	sit := func(now time.Time) Situation { return Situation{Now: now, Rules: rules} }
	if st := p.Next(d, sit(lcT0.Add(47*time.Hour))); st.Kind != StepNone {
		t.Errorf("before the period: %s", st.Kind)
	}
	st := p.Next(d, sit(lcT0.Add(48*time.Hour)))
	if st.Kind != StepConsent || st.Reason != "no objection within the 2-day consent period" {
		t.Fatalf("at the end of the period: %+v", st)
	}
	a, _ := st.Action()
	a.Rules = rules
	got, err := Apply(d, a, lcT0.Add(48*time.Hour))
	if err != nil || got.Status != StatusApproved || got.DecidedBy != SystemActor {
		t.Fatalf("consent applied: %s by %s, %v", got.Status, got.DecidedBy, err)
	}
	// Past the first quiet gap, nothing but the consent period is ahead.
	if nc := p.NextCheck(d, sit(lcT0.Add(30*time.Hour))); !nc.Equal(lcT0.Add(48 * time.Hour)) {
		t.Errorf("NextCheck = %v, want the end of the consent period", nc)
	}
	objected, err := Apply(d, Action{Verb: VerbReject, Actor: Actor{User: "UFIN"}, Rationale: "cash", Rules: rules}, lcT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st := p.Next(objected, sit(lcT0.Add(50*time.Hour))); st.Kind == StepConsent {
		t.Error("an objected proposal approved itself")
	}
	if _, err := Apply(objected, a, lcT0.Add(50*time.Hour)); err == nil {
		t.Error("Apply approved an objected proposal by consent")
	}
	// require_advice holds consent back until advice or the waiver.
	needs := rules
	needs.RequireAdvice, needs.SLA = true, 200*time.Hour
	if st := p.Next(d, Situation{Now: lcT0.Add(48 * time.Hour), Rules: needs}); st.Kind == StepConsent {
		t.Error("consent approved a decision still waiting for required advice")
	}
	if st := p.Next(d, Situation{Now: lcT0.Add(100 * time.Hour), Rules: needs}); st.Kind != StepConsent {
		t.Errorf("after half the SLA without advice: %s, want consent", st.Kind)
	}
}

func TestPolicyPeople(t *testing.T) {
	now := polAt(4, 9)
	away := func(del string) Presence { return Presence{AwayUntil: now.Add(48 * time.Hour), Delegate: del} }
	p := Policy{EscalateAfter: 2}
	open := polDecision(time.Time{}) // alice and bob, past the 3-day SLA at now
	withAdvisors := func() Decision {
		d := polDecision(time.Time{})
		d.Advisors = []string{"UFIN", "ULEGAL"}
		return d
	}
	capped := func() Decision {
		d := polDecision(time.Time{})
		for i := range 3 {
			d.History = append(d.History, Event{At: polAt(3, i), Actor: SystemActor, Kind: EventReminded, Users: []string{"UALICE"}})
		}
		return d
	}
	tests := []struct {
		name     string
		d        Decision
		presence map[string]Presence
		rules    DomainRules
		ladder   []Rung
		want     Step
	}{
		{"an away owner's reminder goes to her delegate", open, map[string]Presence{"UALICE": away("UDAN")}, DomainRules{SLA: 72 * time.Hour}, polUp,
			Step{Kind: StepRemind, Users: []string{"UDAN", "UBOB"}, Reason: "past its 3-day SLA"}},
		{"nobody away is reminded", open, map[string]Presence{"UALICE": away("")}, DomainRules{SLA: 72 * time.Hour}, polUp,
			Step{Kind: StepRemind, Users: []string{"UBOB"}, Reason: "past its 3-day SLA"}},
		{"a delegate who proposed it is not reminded for someone else", open, map[string]Presence{"UALICE": away("UCAROL")}, DomainRules{SLA: 72 * time.Hour}, polUp,
			Step{Kind: StepRemind, Users: []string{"UBOB"}, Reason: "past its 3-day SLA"}},
		{"every owner away with no delegate: climb", open, map[string]Presence{"UALICE": away(""), "UBOB": away("")}, DomainRules{SLA: 72 * time.Hour}, polUp,
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Label: "the owners of product", Reason: "past its 3-day SLA and nobody who holds it can act now"}},
		{"a rung whose people are all away is passed over", open, map[string]Presence{"UALICE": away(""), "UBOB": away(""), "UHEAD": away("")}, DomainRules{SLA: 72 * time.Hour},
			append([]Rung{{Label: "the escalation contacts of product/pricing", Users: []string{"UHEAD"}}}, polUp...),
			Step{Kind: StepEscalate, Users: []string{"UCPO"}, Level: 1, Label: "the owners of product", Reason: "past its 3-day SLA and nobody who holds it can act now"}},
		{"three reminders is the most anyone gets", capped(), nil, DomainRules{SLA: 72 * time.Hour}, polUp,
			Step{Kind: StepRemind, Users: []string{"UBOB"}, Reason: "past its 3-day SLA"}},
		{"advisors whose required advice is missing are reminded too", withAdvisors(), nil, DomainRules{SLA: 72 * time.Hour, RequireAdvice: true}, polUp,
			Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Advisors: []string{"UFIN", "ULEGAL"}, Reason: "past its 3-day SLA"}},
		{"advisors are not reminded when advice is not required", withAdvisors(), nil, DomainRules{SLA: 72 * time.Hour}, polUp,
			Step{Kind: StepRemind, Users: []string{"UALICE", "UBOB"}, Reason: "past its 3-day SLA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.Next(tt.d, Situation{Now: now, Rules: tt.rules, Ladder: tt.ladder, People: People{Presence: tt.presence, Now: now}})
			if got.Kind != tt.want.Kind || !slices.Equal(got.Users, tt.want.Users) || !slices.Equal(got.Advisors, tt.want.Advisors) ||
				got.Reason != tt.want.Reason || got.Level != tt.want.Level || got.Label != tt.want.Label {
				t.Errorf("Next =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

func TestUnowned(t *testing.T) {
	r := routeTestRouter(t, "company")
	until := routeTestNow.Add(48 * time.Hour)
	people := func(p map[string]Presence) People { return People{Presence: p, Now: routeTestNow} }
	// product/pricing's owners on holiday, product's owner in: proposals
	// climb there, so nothing is unowned — no false alarm in the digest.
	got := r.Unowned(people(map[string]Presence{"U0ALICE01": {AwayUntil: until}, "U0BOB0001": {AwayUntil: until}}))
	if slices.Contains(got, "product/pricing") {
		t.Errorf("Unowned = %v: product/pricing can climb to product", got)
	}
	// Nobody on the whole ladder: unowned.
	got = r.Unowned(people(map[string]Presence{
		"U0ALICE01": {AwayUntil: until}, "U0BOB0001": {AwayUntil: until}, "U0PM00001": {Deactivated: true}, "U0CEO0001": {AwayUntil: until},
	}))
	if !slices.Contains(got, "product/pricing") {
		t.Errorf("Unowned = %v: nobody on product/pricing's ladder can act", got)
	}
}
