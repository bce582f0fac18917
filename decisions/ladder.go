package decisions

import (
	"slices"
	"strings"
)

// Rung is one level of a domain's escalation ladder: who a decision climbs
// to, as configured. Presence is applied when climbing, so a rung's index
// never depends on who is away.
type Rung struct {
	Label string // "the owners of product", for reasons, history and DMs
	Users []string
}

// Ladder lists, for a domain, the levels a decision climbs through: the
// domain's escalate_to, then each ancestor that has owners of its own (a
// domain without owners defers to its parent and is no level).
func (r *Router) Ladder(domain string) []Rung {
	var l []Rung
	if dom, ok := r.Domain(domain); ok && len(dom.EscalateTo) > 0 {
		l = append(l, Rung{Label: "the escalation contacts of " + dom.Name, Users: slices.Clone(dom.EscalateTo)})
	}
	for name := domain; ; {
		parent, ok := r.Parent(name)
		if !ok {
			break
		}
		if len(parent.Owners) > 0 {
			l = append(l, Rung{Label: "the owners of " + parent.Name, Users: slices.Clone(parent.Owners)})
		}
		name = parent.Name
	}
	return l
}

// Climb finds the first rung at index from or above with someone who can
// act now and does not hold the decision yet. users are that rung's
// people who are not deactivated (the right goes to them, not to their
// delegates); ok is false when nobody on the rest of the ladder can act.
func Climb(ladder []Rung, from int, holders []string, people People, proposer string) (users []string, level int, ok bool) {
	for i := max(from, 0); i < len(ladder); i++ {
		var fresh []string
		reachable := false
		for _, u := range ladder[i].Users {
			if u == "" || people.Presence[u].Deactivated || slices.Contains(holders, u) || slices.Contains(fresh, u) {
				continue
			}
			fresh = append(fresh, u)
			if people.ActingOn(u, proposer) != "" {
				reachable = true
			}
		}
		if reachable {
			return fresh, i, true
		}
	}
	return nil, 0, false
}

// Unowned lists the domains where nobody on the whole ladder can act now:
// no owner (or, for a domain without owners, no owner of the nearest
// ancestor that has some) is reachable, and neither is anyone above. A
// domain whose owners are on holiday but whose parent can decide is not
// unowned: proposals climb there.
func (r *Router) Unowned(people People) []string {
	var out []string
	for _, dom := range r.Domains() {
		owners := dom.Owners
		for name := dom.Name; len(owners) == 0; {
			parent, ok := r.Parent(name)
			if !ok {
				break
			}
			owners, name = parent.Owners, parent.Name
		}
		if len(people.Reachable(owners, "")) > 0 {
			continue
		}
		if _, _, ok := Climb(r.Ladder(dom.Name), 0, nil, people, ""); ok {
			continue
		}
		out = append(out, dom.Name)
	}
	return out
}

// whoToAsk names, for a refusal, the owners a proposer could talk to.
func whoToAsk(owners []string, people People) string {
	var parts []string
	for _, o := range owners {
		p := people.Presence[o]
		switch {
		case p.Deactivated:
		case p.Away(people.Now):
			parts = append(parts, o+" (back "+day(p.AwayUntil)+")")
		default:
			parts = append(parts, o)
		}
	}
	return strings.Join(parts, ", ")
}
