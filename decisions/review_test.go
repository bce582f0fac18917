package decisions

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"
)

// These tests came from a review of the decision-rights work: each failed
// before its fix.

// gatedSim is what the real scheduler does: a decision is only looked at once
// its NextCheck has come; NextCheck is recomputed after a scheduler step or a
// StepNone look, and reset by people's actions (as bot.transition does).
// It returns the kinds of steps taken with their hour offsets, for the naive
// (every hour) and the gated scheduler.
func gatedSim(t *testing.T, p Policy, d Decision, hours int, people map[int]Action, sit func(Decision, time.Time) Situation) (naive, gated []string) {
	t.Helper()
	run := func(gate bool) []string {
		d := d
		var log []string
		next := time.Time{}
		for h := 1; h <= hours; h++ {
			now := lcT0.Add(time.Duration(h) * time.Hour)
			if a, ok := people[h]; ok {
				var err error
				a.Rules = sit(d, now).Rules
				if d, err = Apply(d, a, now); err != nil {
					t.Fatalf("h%d %s: %v", h, a.Verb, err)
				}
				next = time.Time{} // bot.transition resets NextCheck
			}
			if gate && d.Status == StatusOpen && now.Before(next) {
				continue
			}
			st := sit(d, now)
			step := p.Next(d, st)
			a, ok := step.Action()
			if !ok {
				next = p.NextCheck(d, st)
				continue
			}
			a.Rules = st.Rules
			var err error
			if d, err = Apply(d, a, now); err != nil {
				t.Fatalf("h%d apply %s: %v", h, step.Kind, err)
			}
			next = p.NextCheck(d, sit(d, now))
			log = append(log, step.Kind.String()+"@"+strconv.Itoa(h))
		}
		return log
	}
	return run(false), run(true)
}

func consentDecision() Decision {
	d := NewDecision(Proposal{Title: "Try a 4-day week", Proposer: "UCAROL"},
		Route{Domain: "ops/people", Deciders: []string{"UALICE", "UBOB"}, Owners: []string{"UALICE", "UBOB"}, Rule: RuleConsent}, lcT0)
	d.ID = 9
	return d
}

// A consent proposal in a require_advice domain without SLA: outside advice
// arrives after the consent period; the consent must follow.
func TestNextCheckConsentAfterLateAdvice(t *testing.T) {
	rules := DomainRules{Rule: RuleConsent, ConsentAfter: 48 * time.Hour, RequireAdvice: true}
	sit := func(d Decision, now time.Time) Situation { return Situation{Now: now, Rules: rules} }
	naive, gated := gatedSim(t, Policy{EscalateAfter: 2}, consentDecision(), 24*10,
		map[int]Action{72: {Verb: VerbAdvise, Actor: Actor{User: "UFIN"}, Rationale: "fine by finance"}}, sit)
	t.Logf("naive=%v gated=%v", naive, gated)
	if !slices.Equal(naive, gated) {
		t.Errorf("NextCheck too late: every-hour scheduler does %v, the NextCheck-gated one %v", naive, gated)
	}
}

// consent_after longer than the SLA: the decision climbs, then is stuck
// (NextCheck = Never) before its consent period ends.
func TestNextCheckConsentWhileStuck(t *testing.T) {
	rules := DomainRules{Rule: RuleConsent, ConsentAfter: 72 * time.Hour, SLA: 24 * time.Hour}
	ladder := []Rung{{Label: "the owners of ops", Users: []string{"UCOO"}}}
	sit := func(d Decision, now time.Time) Situation {
		return Situation{Now: now, Rules: rules, Ladder: ladder, People: People{Now: now}}
	}
	naive, gated := gatedSim(t, Policy{}, consentDecision(), 24*10, nil, sit)
	t.Logf("naive=%v gated=%v", naive, gated)
	if !slices.Equal(naive, gated) {
		t.Errorf("NextCheck too late: every-hour scheduler does %v, the NextCheck-gated one %v", naive, gated)
	}
}

// An objection stops consent for good ("it waits for the deciders like any"),
// but an escalation is a hand-over and Objected only looks after it.
func TestObjectionStandsThroughEscalation(t *testing.T) {
	rules := DomainRules{Rule: RuleConsent, ConsentAfter: 48 * time.Hour, SLA: 24 * time.Hour}
	ladder := []Rung{{Label: "the owners of ops", Users: []string{"UCOO"}}}
	d := consentDecision()
	d.Advisors = []string{"UFIN"}
	sit := func(d Decision, now time.Time) Situation {
		return Situation{Now: now, Rules: rules, Ladder: ladder, People: People{Now: now}}
	}
	naive, _ := gatedSim(t, Policy{}, d, 24*6,
		map[int]Action{2: {Verb: VerbReject, Actor: Actor{User: "UFIN"}, Rationale: "not safe to try: payroll"}}, sit)
	t.Logf("steps=%v", naive)
	if slices.ContainsFunc(naive, func(s string) bool { return len(s) > 7 && s[:7] == "consent" }) {
		t.Errorf("an objected consent proposal approved itself after escalation: %v", naive)
	}
}

// Stuck, then reassigned to someone new: the new decider must be reminded.
func TestNextCheckReassignAfterStuck(t *testing.T) {
	rules := DomainRules{SLA: 24 * time.Hour}
	sit := func(d Decision, now time.Time) Situation {
		return Situation{Now: now, Rules: rules, People: People{Now: now}}
	}
	d := consentDecision()
	d.Rule = ""
	naive, gated := gatedSim(t, Policy{EscalateAfter: 1}, d, 24*8,
		map[int]Action{100: {Verb: VerbReassign, Actor: Actor{User: "UALICE"}, Users: []string{"UDAN"}}}, sit)
	t.Logf("naive=%v gated=%v", naive, gated)
	if !slices.Equal(naive, gated) {
		t.Errorf("NextCheck too late: every-hour scheduler does %v, the NextCheck-gated one %v", naive, gated)
	}
}

// A delegate acts for an away owner; handing the owner's right to someone
// else for good (including to himself) is more than acting for her.
func TestDelegateCannotGiveTheOwnersDecisionAway(t *testing.T) {
	d := NewDecision(Proposal{Title: "x", Proposer: "UTOM"},
		Route{Domain: "product/pricing", Deciders: []string{"USOFIA"}, Owners: []string{"USOFIA"}}, lcT0)
	got, err := Apply(d, Action{Verb: VerbReassign, Actor: Actor{User: "UBEN", OnBehalfOf: []string{"USOFIA"}}, Users: []string{"UBEN"}}, lcT0.Add(time.Hour))
	if err == nil {
		t.Errorf("the delegate took the decision from its owner: deciders %v owners %v", got.Deciders, got.Owners)
	}
}

// A proposal that climbed at routing (every owner away, no delegate) and was
// decided by the level above is reported as decided by the owners.
func TestDecidedLevelAfterRouteClimb(t *testing.T) {
	d := NewDecision(Proposal{Title: "x", Proposer: "UTOM"},
		Route{Domain: "product/pricing", Deciders: []string{"USOFIA", "UCPO"}, Owners: []string{"USOFIA"}, Escalations: 1}, lcT0)
	got, err := Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UCPO"}}, lcT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n := DecidedLevel(got); n == 0 {
		t.Errorf("DecidedLevel = 0 for a decision the level above made (Escalations=%d)", got.Escalations)
	}
}

// An advisor asked later ("Ask for advice") cannot object to a consent proposal.
func TestAskedAdvisorMayObject(t *testing.T) {
	rules := DomainRules{Rule: RuleConsent}
	d := consentDecision()
	d, err := Apply(d, Action{Verb: VerbAskAdvice, Actor: Actor{User: "UALICE"}, Users: []string{"ULEGAL"}, Rules: rules}, lcT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(d, Action{Verb: VerbReject, Actor: Actor{User: "ULEGAL"}, Rationale: "GDPR", Rules: rules}, lcT0.Add(2*time.Hour)); err != nil {
		t.Errorf("an advisor asked for advice cannot object: %v", err)
	}
}

// NoAdviceFrom names a decider who was an advisor and advised herself.
func TestNoAdviceFromNamesOnlyOutsiders(t *testing.T) {
	rules := DomainRules{RequireAdvice: true, SLA: 48 * time.Hour}
	d := NewDecision(Proposal{Title: "x", Proposer: "UTOM"},
		Route{Domain: "d", Deciders: []string{"UALICE"}, Owners: []string{"UALICE"}, Advisors: []string{"UALICE", "UFIN"}}, lcT0)
	d, _ = Apply(d, Action{Verb: VerbAdvise, Actor: Actor{User: "UALICE"}, Rationale: "my own", Rules: rules}, lcT0.Add(time.Hour))
	got, err := Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UALICE"}, Rules: rules}, lcT0.Add(25*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(got.NoAdviceFrom, "UALICE") {
		t.Errorf("NoAdviceFrom = %v: names the decider, who cannot give the advice and did advise", got.NoAdviceFrom)
	}
}

// Break 7 through a delegate: Ben acts for away Sofia, advises, then approves
// for her: the "outside advice" came from the person deciding.
func TestDelegatesOwnAdviceDoesNotCount(t *testing.T) {
	rules := DomainRules{RequireAdvice: true, SLA: 72 * time.Hour}
	ben := Actor{User: "UBEN", OnBehalfOf: []string{"USOFIA"}}
	d := NewDecision(Proposal{Title: "x", Proposer: "UTOM"},
		Route{Domain: "product/pricing", Deciders: []string{"USOFIA"}, Owners: []string{"USOFIA"}}, lcT0)
	d, err := Apply(d, Action{Verb: VerbAdvise, Actor: ben, Rationale: "looks fine to me", Rules: rules}, lcT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Apply(d, Action{Verb: VerbApprove, Actor: ben, Rules: rules}, lcT0.Add(2*time.Hour))
	if err == nil {
		t.Errorf("require_advice met by the delegate's own advice: %s by %s for %s", got.Status, got.DecidedBy, got.History[len(got.History)-1].For)
	}
}

// Advice "asked" only of a co-decider starts the half-SLA waiver clock.
func TestWaiverNeedsAdviceAskedOutside(t *testing.T) {
	rules := DomainRules{RequireAdvice: true, SLA: 48 * time.Hour}
	d := NewDecision(Proposal{Title: "x", Proposer: "UTOM"},
		Route{Domain: "d", Deciders: []string{"UALICE", "UBOB"}, Owners: []string{"UALICE", "UBOB"}}, lcT0)
	d, _ = Apply(d, Action{Verb: VerbAskAdvice, Actor: Actor{User: "UALICE"}, Users: []string{"UBOB"}, Rules: rules}, lcT0.Add(time.Hour))
	got, err := Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UALICE"}, Rules: rules}, lcT0.Add(26*time.Hour))
	if err == nil {
		t.Errorf("decided without advice though nobody outside was ever asked: NoAdviceFrom=%v", got.NoAdviceFrom)
	}
}

// An edit after one of two owners approved under "all": the approval was
// of the old text and lapses; the second approval alone does not pass it.
func TestEditLapsesVotesAndRestartsConsent(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	d := NewDecision(Proposal{Title: "Buy 2 laptops", Proposer: "UPROP"},
		Route{Domain: "it", Deciders: []string{"UA", "UB"}, Owners: []string{"UA", "UB"}, Rule: RuleAll, Reason: "test"}, now)
	d.ID = 1
	rules := DomainRules{Rule: RuleAll}
	d, err := Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UA"}, Rules: rules}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d, err = ApplyEdit(d, Edit{Title: "Buy 200 laptops"}, Actor{User: "UPROP"}, now.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d, err = Apply(d, Action{Verb: VerbApprove, Actor: Actor{User: "UB"}, Rules: rules}, now.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if d.Status == StatusApproved {
		t.Errorf("%q approved with a vote cast on %q", d.Title, "Buy 2 laptops")
	}

	// Consent: an edit a minute before the period ends gives a new period.
	c := NewDecision(Proposal{Title: "Buy a CI runner", Proposer: "UPROP"},
		Route{Domain: "spend", Deciders: []string{"UA"}, Owners: []string{"UA"}, Rule: RuleConsent}, now)
	crules := DomainRules{Rule: RuleConsent, ConsentAfter: 48 * time.Hour}
	edited := now.Add(48*time.Hour - time.Minute)
	c, err = ApplyEdit(c, Edit{Title: "Buy five CI runners"}, Actor{User: "UPROP"}, edited)
	if err != nil {
		t.Fatal(err)
	}
	if got := ConsentAt(c, crules); !got.Equal(edited.Add(48 * time.Hour)) {
		t.Errorf("consent at %v after an edit at %v, want a full new period", got, edited)
	}
}

// A delegate may not decline the away owner's decision to someone else
// (a reassignment by another name).
func TestDelegateCannotDecline(t *testing.T) {
	d := NewDecision(Proposal{Title: "x", Proposer: "UTOM"},
		Route{Domain: "product/pricing", Deciders: []string{"USOFIA"}, Owners: []string{"USOFIA"}}, lcT0)
	_, err := Decline(d, Actor{User: "UBEN", OnBehalfOf: []string{"USOFIA"}}, Route{Domain: "finance", Deciders: []string{"UBEN"}, Reason: "x"}, "not ours", lcT0.Add(time.Hour))
	var pe *PermissionError
	if !errors.As(err, &pe) {
		t.Errorf("a delegate declined the owner's decision away: %v", err)
	}
}
