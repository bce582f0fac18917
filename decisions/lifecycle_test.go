package decisions

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	lcT0  = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // Monday
	lcNow = lcT0.Add(26 * time.Hour)
)

// openDecision is D-7, proposed by carol, decided by alice or bob.
func lcOpen() Decision {
	return NewDecision(
		Proposal{Title: "Raise the Pro plan to 12 EUR", Proposer: "UCAROL", Source: Source{Kind: SourceCommand, Channel: "CPRICING"}},
		Route{Domain: "product/pricing", Deciders: []string{"UALICE", "UBOB"}, Advisors: []string{"UFIN"}, Reason: "#pricing tag"},
		lcT0,
	)
}

func lcWithStatus(d Decision, s Status) Decision {
	d.Status = s
	if s == StatusDeferred {
		d.DeferredUntil = lcNow.Add(72 * time.Hour)
	}
	return d
}

var (
	lcAlice    = Actor{User: "UALICE"}
	lcBob      = Actor{User: "UBOB"}
	lcCarol    = Actor{User: "UCAROL"} // the proposer
	lcMallory  = Actor{User: "UMAL"}
	lcDelegate = Actor{User: "UDAN", OnBehalfOf: []string{"UBOB"}}
	lcStrayDel = Actor{User: "UDAN", OnBehalfOf: []string{"UZED"}} // delegate of someone not deciding
	lcAdmin    = Actor{User: "UADMIN", Admin: true}
	lcSystem   = Actor{System: true}
)

// TestApplyPermissions is the decision-rights matrix: for each verb, who may
// and who is refused with a *PermissionError naming who may.
func TestApplyPermissions(t *testing.T) {
	future := lcNow.Add(48 * time.Hour)
	type row struct {
		name    string
		status  Status
		action  Action
		allowed []string // nil: the action succeeds
	}
	deciders := []string{"UALICE", "UBOB"}
	tests := []row{
		{"decider approves", StatusOpen, Action{Verb: VerbApprove, Actor: lcAlice}, nil},
		{"second decider rejects", StatusOpen, Action{Verb: VerbReject, Actor: lcBob}, nil},
		{"delegate of a decider approves", StatusOpen, Action{Verb: VerbApprove, Actor: lcDelegate}, nil},
		{"admin approves", StatusOpen, Action{Verb: VerbApprove, Actor: lcAdmin}, nil},
		{"decider defers", StatusOpen, Action{Verb: VerbDefer, Actor: lcAlice, Until: future}, nil},
		{"proposer may not approve", StatusOpen, Action{Verb: VerbApprove, Actor: lcCarol}, deciders},
		{"stranger may not reject", StatusOpen, Action{Verb: VerbReject, Actor: lcMallory}, deciders},
		{"stranger may not defer", StatusOpen, Action{Verb: VerbDefer, Actor: lcMallory, Until: future}, deciders},
		{"delegate of a non-decider may not approve", StatusOpen, Action{Verb: VerbApprove, Actor: lcStrayDel}, deciders},

		{"proposer withdraws", StatusOpen, Action{Verb: VerbWithdraw, Actor: lcCarol}, nil},
		{"proposer withdraws a deferred one", StatusDeferred, Action{Verb: VerbWithdraw, Actor: lcCarol}, nil},
		{"admin withdraws", StatusOpen, Action{Verb: VerbWithdraw, Actor: lcAdmin}, nil},
		{"decider may not withdraw", StatusOpen, Action{Verb: VerbWithdraw, Actor: lcAlice}, []string{"UCAROL"}},

		{"decider reassigns", StatusOpen, Action{Verb: VerbReassign, Actor: lcAlice, Users: []string{"UERIN"}}, nil},
		// A delegate acts for the away owner but may not give her decision away.
		{"delegate reassigns", StatusOpen, Action{Verb: VerbReassign, Actor: lcDelegate, Users: []string{"UERIN"}}, deciders},
		{"proposer may not reassign", StatusOpen, Action{Verb: VerbReassign, Actor: lcCarol, Users: []string{"UERIN"}}, deciders},

		{"anyone advises", StatusOpen, Action{Verb: VerbAdvise, Actor: lcMallory, Rationale: "check churn first"}, nil},
		{"proposer asks for advice", StatusOpen, Action{Verb: VerbAskAdvice, Actor: lcCarol, Users: []string{"UFIN"}}, nil},
		{"decider asks for advice", StatusOpen, Action{Verb: VerbAskAdvice, Actor: lcBob, Users: []string{"UFIN"}}, nil},
		{"stranger may not ask for advice", StatusOpen, Action{Verb: VerbAskAdvice, Actor: lcMallory}, []string{"UALICE", "UBOB", "UCAROL"}},

		{"system reminds", StatusOpen, Action{Verb: VerbRemind, Actor: lcSystem, Users: deciders}, nil},
		{"admin may not remind", StatusOpen, Action{Verb: VerbRemind, Actor: lcAdmin}, []string{}},
		{"decider may not remind", StatusOpen, Action{Verb: VerbRemind, Actor: lcAlice}, []string{}},
		{"system escalates", StatusOpen, Action{Verb: VerbEscalate, Actor: lcSystem, Users: []string{"UCEO"}}, nil},
		{"admin escalates", StatusOpen, Action{Verb: VerbEscalate, Actor: lcAdmin, Users: []string{"UCEO"}}, nil},
		{"decider may not escalate", StatusOpen, Action{Verb: VerbEscalate, Actor: lcAlice, Users: []string{"UCEO"}}, []string{}},
		{"system reopens", StatusDeferred, Action{Verb: VerbReopen, Actor: lcSystem}, nil},
		{"admin reopens", StatusDeferred, Action{Verb: VerbReopen, Actor: lcAdmin}, nil},
		{"decider may not reopen", StatusDeferred, Action{Verb: VerbReopen, Actor: lcAlice}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := lcWithStatus(lcOpen(), tt.status)
			got, err := Apply(d, tt.action, lcNow)
			if tt.allowed == nil {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if len(got.History) != len(d.History)+1 {
					t.Errorf("history has %d events, want %d", len(got.History), len(d.History)+1)
				}
				return
			}
			var pe *PermissionError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *PermissionError", err, err)
			}
			if pe.Verb != tt.action.Verb || pe.User != tt.action.Actor.User {
				t.Errorf("PermissionError{Verb: %q, User: %q}, want %q by %q", pe.Verb, pe.User, tt.action.Verb, tt.action.Actor.User)
			}
			if !slices.Equal(pe.Allowed, tt.allowed) && (len(pe.Allowed) != 0 || len(tt.allowed) != 0) {
				t.Errorf("Allowed = %v, want %v", pe.Allowed, tt.allowed)
			}
			for _, u := range tt.allowed {
				if !strings.Contains(err.Error(), "<@"+u+">") {
					t.Errorf("message %q does not mention <@%s>", err, u)
				}
			}
			if !reflect.DeepEqual(got, d) {
				t.Errorf("a refused action changed the decision")
			}
		})
	}
}

func TestApplyTransitions(t *testing.T) {
	future := lcNow.Add(72 * time.Hour)
	tests := []struct {
		name   string
		status Status
		action Action
		check  func(t *testing.T, got Decision)
	}{
		{"approve records outcome", StatusOpen, Action{Verb: VerbApprove, Actor: lcAlice, Rationale: "  margins allow it "}, func(t *testing.T, got Decision) {
			lcEq(t, got.Status, StatusApproved)
			lcEq(t, got.Rationale, "margins allow it")
			lcEq(t, got.DecidedBy, "UALICE")
			lcEq(t, got.DecidedAt, lcNow)
			lcEq(t, lcLast(got).Kind, EventApproved)
			lcEq(t, lcLast(got).Note, "margins allow it")
		}},
		{"delegate approval is recorded under the delegate", StatusOpen, Action{Verb: VerbApprove, Actor: lcDelegate}, func(t *testing.T, got Decision) {
			lcEq(t, got.DecidedBy, "UDAN")
			lcEq(t, lcLast(got).Actor, "UDAN")
		}},
		{"reject", StatusOpen, Action{Verb: VerbReject, Actor: lcBob, Rationale: "not this quarter"}, func(t *testing.T, got Decision) {
			lcEq(t, got.Status, StatusRejected)
			lcEq(t, lcLast(got).Kind, EventRejected)
		}},
		{"defer sets the date and is not closed", StatusOpen, Action{Verb: VerbDefer, Actor: lcAlice, Until: future, Rationale: "after the board"}, func(t *testing.T, got Decision) {
			lcEq(t, got.Status, StatusDeferred)
			lcEq(t, got.DeferredUntil, future)
			lcEq(t, got.DecidedAt, time.Time{})
			lcEq(t, lcLast(got).Note, "until 2026-11-27 after the board")
		}},
		{"deferred can be approved", StatusDeferred, Action{Verb: VerbApprove, Actor: lcAlice}, func(t *testing.T, got Decision) {
			lcEq(t, got.Status, StatusApproved)
		}},
		{"deferred can be rejected", StatusDeferred, Action{Verb: VerbReject, Actor: lcBob}, func(t *testing.T, got Decision) {
			lcEq(t, got.Status, StatusRejected)
		}},
		{"withdraw closes", StatusOpen, Action{Verb: VerbWithdraw, Actor: lcCarol, Rationale: "superseded"}, func(t *testing.T, got Decision) {
			lcEq(t, got.Status, StatusWithdrawn)
			lcEq(t, got.DecidedBy, "UCAROL")
			lcEq(t, got.Rationale, "superseded")
		}},
		{"reassign replaces deciders and resets reminders", StatusOpen, Action{Verb: VerbReassign, Actor: lcAlice, Users: []string{"UERIN"}}, func(t *testing.T, got Decision) {
			lcEq(t, got.Deciders, []string{"UERIN"})
			lcEq(t, got.Reminders, 0)
			lcEq(t, lcLast(got).Users, []string{"UERIN"})
			lcEq(t, got.Status, StatusOpen)
		}},
		{"advice is recorded", StatusOpen, Action{Verb: VerbAdvise, Actor: lcMallory, Rationale: "check churn"}, func(t *testing.T, got Decision) {
			lcEq(t, got.Advice, []Advice{{By: "UMAL", Text: "check churn", At: lcNow}})
			lcEq(t, lcLast(got).Kind, EventAdvised)
		}},
		{"ask advice", StatusOpen, Action{Verb: VerbAskAdvice, Actor: lcCarol, Users: []string{"UFIN"}}, func(t *testing.T, got Decision) {
			lcEq(t, lcLast(got).Kind, EventAdviceRequested)
			lcEq(t, lcLast(got).Users, []string{"UFIN"})
		}},
		{"reopen clears the date and reminders", StatusDeferred, Action{Verb: VerbReopen, Actor: lcSystem}, func(t *testing.T, got Decision) {
			lcEq(t, got.Status, StatusOpen)
			lcEq(t, got.DeferredUntil, time.Time{})
			lcEq(t, got.Reminders, 0)
			lcEq(t, lcLast(got).Actor, SystemActor)
			lcEq(t, lcLast(got).Kind, EventReopened)
		}},
		{"remind counts", StatusOpen, Action{Verb: VerbRemind, Actor: lcSystem, Users: []string{"UBOB"}}, func(t *testing.T, got Decision) {
			lcEq(t, got.Reminders, 3)
			lcEq(t, got.LastRemindedAt, lcNow)
			lcEq(t, lcLast(got).Users, []string{"UBOB"})
			lcEq(t, lcLast(got).Actor, SystemActor)
		}},
		{"escalate adds the next level; the owners keep the decision", StatusOpen, Action{Verb: VerbEscalate, Actor: lcSystem, Users: []string{"UCPO"}, Rationale: "2 reminders without a decision"}, func(t *testing.T, got Decision) {
			lcEq(t, got.Deciders, []string{"UALICE", "UBOB", "UCPO"})
			lcEq(t, got.Owners, []string{"UALICE", "UBOB"})
			lcEq(t, got.Domain, "product/pricing") // a level is added; the domain stays
			lcEq(t, got.Escalations, 2)
			lcEq(t, got.Reminders, 0)
			lcEq(t, lcLast(got).Kind, EventEscalated)
			lcEq(t, lcLast(got).Users, []string{"UCPO"})
			lcEq(t, lcLast(got).Note, "2 reminders without a decision")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := lcWithStatus(lcOpen(), tt.status)
			d.Reminders, d.Escalations = 2, 1
			before := lcDeepCopy(d)
			got, err := Apply(d, tt.action, lcNow)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			tt.check(t, got)
			lcEq(t, got.UpdatedAt, lcNow)
			lcEq(t, len(got.History), len(d.History)+1)
			lcEq(t, got.History[:len(d.History)], d.History)
			lcEq(t, lcLast(got).At, lcNow)
			if !reflect.DeepEqual(d, before) {
				t.Errorf("Apply modified its input:\n got %+v\nwant %+v", d, before)
			}
		})
	}
}

func TestApplyStateErrors(t *testing.T) {
	future := lcNow.Add(72 * time.Hour)
	tests := []struct {
		name   string
		status Status
		action Action
		closed bool // errors.Is(err, ErrClosed)
	}{
		{"approve an approved one", StatusApproved, Action{Verb: VerbApprove, Actor: lcAlice}, true},
		{"reject an approved one", StatusApproved, Action{Verb: VerbReject, Actor: lcAlice}, true},
		{"approve a rejected one", StatusRejected, Action{Verb: VerbApprove, Actor: lcAlice}, true},
		{"defer a withdrawn one", StatusWithdrawn, Action{Verb: VerbDefer, Actor: lcAlice, Until: future}, true},
		{"withdraw an approved one", StatusApproved, Action{Verb: VerbWithdraw, Actor: lcCarol}, true},
		{"reassign a rejected one", StatusRejected, Action{Verb: VerbReassign, Actor: lcAlice, Users: []string{"UERIN"}}, true},
		{"advise on an approved one", StatusApproved, Action{Verb: VerbAdvise, Actor: lcMallory, Rationale: "late"}, true},
		{"ask advice on a withdrawn one", StatusWithdrawn, Action{Verb: VerbAskAdvice, Actor: lcCarol}, true},
		{"re-defer a deferred one", StatusDeferred, Action{Verb: VerbDefer, Actor: lcAlice, Until: future}, false},
		{"reopen an open one", StatusOpen, Action{Verb: VerbReopen, Actor: lcSystem}, false},
		{"reopen an approved one", StatusApproved, Action{Verb: VerbReopen, Actor: lcSystem}, true},
		{"remind a deferred one", StatusDeferred, Action{Verb: VerbRemind, Actor: lcSystem}, false},
		{"remind an approved one", StatusApproved, Action{Verb: VerbRemind, Actor: lcSystem}, true},
		{"escalate a deferred one", StatusDeferred, Action{Verb: VerbEscalate, Actor: lcSystem, Users: []string{"UCPO"}}, false},
		{"escalate a rejected one", StatusRejected, Action{Verb: VerbEscalate, Actor: lcSystem, Users: []string{"UCPO"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := lcWithStatus(lcOpen(), tt.status)
			d.ID = 7
			got, err := Apply(d, tt.action, lcNow)
			var se *StateError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *StateError", err, err)
			}
			if se.Status != tt.status || se.Verb != tt.action.Verb || se.ID != 7 {
				t.Errorf("StateError = %+v", se)
			}
			if errors.Is(err, ErrClosed) != tt.closed {
				t.Errorf("errors.Is(err, ErrClosed) = %v, want %v", !tt.closed, tt.closed)
			}
			if !strings.HasPrefix(err.Error(), "D-7 is already "+string(tt.status)) {
				t.Errorf("message %q", err)
			}
			if !reflect.DeepEqual(got, d) {
				t.Errorf("a refused action changed the decision")
			}
		})
	}
}

func TestApplyInvalid(t *testing.T) {
	tests := []struct {
		name   string
		status Status
		action Action
		msg    string
	}{
		{"defer without a date", StatusOpen, Action{Verb: VerbDefer, Actor: lcAlice}, "in the future"},
		{"defer to the past", StatusOpen, Action{Verb: VerbDefer, Actor: lcAlice, Until: lcNow.Add(-time.Hour)}, "in the future"},
		{"defer to now", StatusOpen, Action{Verb: VerbDefer, Actor: lcAlice, Until: lcNow}, "in the future"},
		{"reassign to nobody", StatusOpen, Action{Verb: VerbReassign, Actor: lcAlice}, "at least one person"},
		{"empty advice", StatusOpen, Action{Verb: VerbAdvise, Actor: lcMallory, Rationale: "   "}, "needs some text"},
		{"escalate to nobody", StatusOpen, Action{Verb: VerbEscalate, Actor: lcSystem}, "someone to escalate to"},
		{"no actor", StatusOpen, Action{Verb: VerbApprove}, "no actor"},
		{"unknown verb", StatusOpen, Action{Verb: "frobnicate", Actor: lcAlice}, "unknown action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := lcWithStatus(lcOpen(), tt.status)
			got, err := Apply(d, tt.action, lcNow)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want one saying %q", err, tt.msg)
			}
			if !reflect.DeepEqual(got, d) {
				t.Errorf("a refused action changed the decision")
			}
		})
	}
}

// TestApplyDoesNotAlias checks that the result shares no slice with the
// input: appending to or editing one must not show through the other.
func TestApplyDoesNotAlias(t *testing.T) {
	d := lcOpen()
	d.History = slices.Grow(d.History, 10) // spare capacity would expose aliasing
	d.Deciders = slices.Grow(d.Deciders, 10)
	users := []string{"UCPO"}
	got, err := Apply(d, Action{Verb: VerbEscalate, Actor: lcSystem, Users: users}, lcNow)
	if err != nil {
		t.Fatal(err)
	}
	got.Deciders[0] = "UX"
	got.History[0].Note = "changed"
	users[0] = "UY"
	lcEq(t, d.Deciders, []string{"UALICE", "UBOB"})
	lcEq(t, d.History[0].Note, "#pricing tag")
	lcEq(t, len(d.History), 1)
	lcEq(t, lcLast(got).Users, []string{"UCPO"})

	got2, err := Apply(d, Action{Verb: VerbAdvise, Actor: lcMallory, Rationale: "a"}, lcNow)
	if err != nil {
		t.Fatal(err)
	}
	got3, err := Apply(d, Action{Verb: VerbAdvise, Actor: lcBob, Rationale: "b"}, lcNow)
	if err != nil {
		t.Fatal(err)
	}
	lcEq(t, got2.Advice[0].Text, "a")
	lcEq(t, got3.Advice[0].Text, "b")
	lcEq(t, lcLast(got2).Actor, "UMAL")
}

// A proposal's whole life: proposed, reminded, escalated, deferred, reopened,
// approved by a delegate.
func TestApplyStory(t *testing.T) {
	d := lcOpen()
	steps := []struct {
		at time.Time
		a  Action
	}{
		{lcT0.Add(72 * time.Hour), Action{Verb: VerbRemind, Actor: lcSystem, Users: []string{"UALICE", "UBOB"}}},
		{lcT0.Add(96 * time.Hour), Action{Verb: VerbRemind, Actor: lcSystem, Users: []string{"UALICE", "UBOB"}}},
		{lcT0.Add(120 * time.Hour), Action{Verb: VerbEscalate, Actor: lcSystem, Users: []string{"UCPO"}}},
		{lcT0.Add(121 * time.Hour), Action{Verb: VerbDefer, Actor: Actor{User: "UCPO"}, Until: lcT0.Add(240 * time.Hour)}},
		{lcT0.Add(240 * time.Hour), Action{Verb: VerbReopen, Actor: lcSystem}},
		{lcT0.Add(241 * time.Hour), Action{Verb: VerbApprove, Actor: Actor{User: "UDEP", OnBehalfOf: []string{"UCPO"}}, Rationale: "go"}},
	}
	for i, s := range steps {
		var err error
		d, err = Apply(d, s.a, s.at)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, s.a.Verb, err)
		}
	}
	var kinds []EventKind
	for _, e := range d.History {
		kinds = append(kinds, e.Kind)
	}
	lcEq(t, kinds, []EventKind{EventProposed, EventReminded, EventReminded, EventEscalated, EventDeferred, EventReopened, EventApproved})
	lcEq(t, d.Status, StatusApproved)
	lcEq(t, d.Escalations, 1)
	lcEq(t, d.Reminders, 0)
	lcEq(t, d.Domain, "product/pricing") // escalation added a level, not a new domain
	lcEq(t, d.DecidedAt.Sub(d.CreatedAt), 241*time.Hour)
	lcEq(t, DecidedLevel(d), 1) // decided by the level escalation added
	// The owners closest to the work keep their right once it climbed.
	got, err := Apply(lcEscalated(), Action{Verb: VerbApprove, Actor: lcAlice}, lcNow)
	if err != nil || got.Status != StatusApproved {
		t.Fatalf("an owner could not decide after escalation: %v", err)
	}
	lcEq(t, DecidedLevel(got), 0)
}

func lcEscalated() Decision {
	d, _ := Apply(lcOpen(), Action{Verb: VerbEscalate, Actor: lcSystem, Users: []string{"UCPO"}}, lcNow)
	return d
}

func lcLast(d Decision) Event { return d.History[len(d.History)-1] }

func lcEq[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func lcDeepCopy(d Decision) Decision {
	c := d
	c.Deciders = slices.Clone(d.Deciders)
	c.Advisors = slices.Clone(d.Advisors)
	c.Informed = slices.Clone(d.Informed)
	c.Advice = slices.Clone(d.Advice)
	c.History = make([]Event, len(d.History))
	for i, e := range d.History {
		e.Users = slices.Clone(e.Users)
		c.History[i] = e
	}
	return c
}

// TestApplyRequireAdvice: require_advice is met only by advice from
// someone who is neither a decider nor the proposer; once half the SLA has
// passed since advice was asked and none came, the deciders may decide and
// the decision records whose advice it went without.
func TestApplyRequireAdvice(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rules := DomainRules{RequireAdvice: true, SLA: 72 * time.Hour}
	base := func() Decision {
		d := NewDecision(Proposal{Title: "t", Proposer: "UPROP1"},
			Route{Domain: "product/pricing", Deciders: []string{"UDEC01", "UDEC02"}, Advisors: []string{"UADV01", "UADV02"}}, t0)
		d.ID = 3
		return d
	}
	advise := func(by string) func(Decision) Decision {
		return func(d Decision) Decision {
			out, err := Apply(d, Action{Verb: VerbAdvise, Actor: Actor{User: by}, Rationale: "advice from " + by}, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
	}
	none := func(d Decision) Decision { return d }
	noAdvisors := func(d Decision) Decision { d.Advisors = nil; return d }
	tests := []struct {
		name     string
		prep     func(Decision) Decision
		rules    DomainRules
		at       time.Time
		verb     Verb
		wantErr  string // substring of the refusal; "" means allowed
		wantSkip []string
	}{
		{"no advice yet: refused, naming whose advice is missing", none, rules, t0.Add(2 * time.Hour), VerbApprove,
			"waiting on advice from <@UADV01>, <@UADV02>; if none comes, you may decide without it from 2026-12-02 21:00", nil},
		{"the decider advising herself does not count", advise("UDEC01"), rules, t0.Add(2 * time.Hour), VerbApprove, "waiting on advice from <@UADV01>, <@UADV02>", nil},
		{"the proposer's advice does not count", advise("UPROP1"), rules, t0.Add(2 * time.Hour), VerbReject, "waiting on advice", nil},
		{"an advisor's advice counts", advise("UADV02"), rules, t0.Add(2 * time.Hour), VerbApprove, "", nil},
		{"anyone outside counts", advise("UOTHER"), rules, t0.Add(2 * time.Hour), VerbApprove, "", nil},
		{"deferring needs no advice", none, rules, t0.Add(2 * time.Hour), VerbDefer, "", nil},
		{"just before half the SLA: still refused", none, rules, t0.Add(36*time.Hour - time.Minute), VerbApprove, "waiting on advice", nil},
		{"half the SLA after asking: decided without it", none, rules, t0.Add(36 * time.Hour), VerbApprove, "", []string{"UADV01", "UADV02"}},
		{"without an SLA advice is never waived", none, DomainRules{RequireAdvice: true}, t0.Add(400 * time.Hour), VerbApprove, "waiting on advice", nil},
		{"nobody asked: refused, saying to ask", noAdvisors, rules, t0.Add(100 * time.Hour), VerbApprove, "from someone who is neither a decider nor the proposer: ask for advice first", nil},
		{"not required: decide at once", none, DomainRules{SLA: 72 * time.Hour}, t0.Add(time.Hour), VerbApprove, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.prep(base())
			act := Action{Verb: tt.verb, Actor: Actor{User: "UDEC01"}, Rationale: "because", Rules: tt.rules}
			if tt.verb == VerbDefer {
				act.Until = tt.at.Add(48 * time.Hour)
			}
			got, err := Apply(d, act, tt.at)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrAdviceRequired) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrAdviceRequired saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !slices.Equal(got.NoAdviceFrom, tt.wantSkip) {
				t.Errorf("NoAdviceFrom = %v, want %v", got.NoAdviceFrom, tt.wantSkip)
			}
		})
	}
}
