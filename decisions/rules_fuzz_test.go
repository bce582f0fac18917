package decisions

import (
	"slices"
	"testing"
	"time"
)

// FuzzApplyRules plays arbitrary sequences of votes, objections, delegated
// actions, escalations and scheduler steps on a decision under each rule,
// and checks what must always hold: no panic, a closed decision never
// changes again, votes never outnumber seats, the owners are never removed
// by escalation, and an approval under "all" had every owner's approval
// unless someone who decides outright made it.
func FuzzApplyRules(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte{2, 0, 0, 1, 1, 2, 2})
	f.Add([]byte{3, 7, 7, 9, 1, 0, 4})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 || len(ops) > 64 {
			return
		}
		rule := Rules[int(ops[0])%len(Rules)]
		users := []string{"UALICE", "UBOB", "UCAROL", "UFIN", "UDAN", "UCPO", "UADMIN"}
		d := ruleDecision(rule)
		owners := d.Owners
		rules := DomainRules{Rule: rule, SLA: 72 * time.Hour, RequireAdvice: ops[0]%5 == 0}
		now := lcT0
		for _, op := range ops[1:] {
			now = now.Add(time.Duration(op%13) * time.Hour)
			before := d
			actor := Actor{User: users[int(op)%len(users)]}
			switch actor.User {
			case "UADMIN":
				actor.Admin = true
			case "UDAN":
				actor.OnBehalfOf = []string{owners[int(op)%len(owners)]}
			}
			var act Action
			switch (op >> 4) % 8 {
			case 0, 1:
				act = Action{Verb: VerbApprove, Actor: actor, Rationale: "ok"}
			case 2:
				act = Action{Verb: VerbReject, Actor: actor, Rationale: "no"}
			case 3:
				act = Action{Verb: VerbReject, Actor: actor}
			case 4:
				act = Action{Verb: VerbAdvise, Actor: actor, Rationale: "advice"}
			case 5:
				act = Action{Verb: VerbEscalate, Actor: Actor{System: true}, Users: []string{"UCPO"}, Rationale: "late"}
			case 6:
				st := Policy{EscalateAfter: 1}.Next(d, Situation{Now: now, Rules: rules, Ladder: polUp})
				var ok bool
				if act, ok = st.Action(); !ok {
					continue
				}
			case 7:
				act = Action{Verb: VerbDefer, Actor: actor, Until: now.Add(24 * time.Hour)}
			}
			act.Rules = rules
			next, err := Apply(d, act, now)
			if err != nil {
				if len(next.History) != len(d.History) || next.Status != d.Status {
					t.Fatalf("a refused %s changed the decision", act.Verb)
				}
				continue
			}
			if before.Status.Closed() {
				t.Fatalf("%s changed a closed decision (%s)", act.Verb, before.Status)
			}
			d = next
			if len(d.Votes) > len(d.Seats()) {
				t.Fatalf("%d votes for %d seats", len(d.Votes), len(d.Seats()))
			}
			for _, o := range owners {
				if d.Status == StatusOpen && !d.IsDecider(o) {
					t.Fatalf("owner %s lost the decision after %s", o, act.Verb)
				}
			}
			if d.Status == StatusApproved && rule == RuleAll && before.Status != StatusApproved && act.Verb == VerbApprove {
				outright := act.Actor.Admin || !slices.Contains(owners, act.Actor.User) && standsFor(before, act.Actor) == ""
				if t2 := Tally(d); !outright && len(heldSeats(before, act.Actor)) > 0 && t2.Approve != t2.Seats {
					t.Fatalf("approved under all with %d of %d approvals", t2.Approve, t2.Seats)
				}
			}
		}
	})
}
