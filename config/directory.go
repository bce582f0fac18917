package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/baton-app/baton/internal/textdist"
)

// The directory: who the people and usergroups named in the config are.
// serve asks Slack; the local shell and check know only what people: and
// usergroups: say. So a name those lists lack is a warning, not an error:
// serve runs fine with it, but the shell cannot show or resolve it, and it
// is most often a typo.

func (d *decoder) usergroups(raw []rawUsergroup) []Usergroup {
	var out []Usergroup
	ids := map[string]int{} // id => line
	for _, rg := range raw {
		g := Usergroup{ID: rg.id.val, Name: rg.name.val}
		switch {
		case g.ID == "":
			d.errorf(rg.line, join(rg.field, "id"), "missing: every usergroup needs its Slack id (S…)")
		case !isSlackID(usergroupID, g.ID):
			d.errorf(rg.id.line, rg.id.field, "%q is not a Slack usergroup id (S…, e.g. S012AB3CD)", g.ID)
		case ids[g.ID] > 0:
			d.errorf(rg.id.line, rg.id.field, "%s is listed twice (first on line %d)", g.ID, ids[g.ID])
		default:
			ids[g.ID] = rg.id.line
		}
		m := rg.members
		switch {
		case !m.set:
			d.errorf(rg.line, join(rg.field, "members"), "missing: list the usergroup's members (user ids, U…)")
		case len(m.items) == 0 && !d.bad[m.field]:
			d.errorf(m.line, m.field, "names nobody; list the usergroup's members (user ids, U…)")
		}
		seen := map[string]bool{}
		for _, s := range m.items {
			switch {
			case strings.HasPrefix(s.val, "@"):
				d.errorf(s.line, s.field, "%q is a display name; use the user id (U…)", s.val)
			case !isSlackID(userID, s.val):
				d.errorf(s.line, s.field, "%q is not a Slack user id (U… or W…, e.g. U012AB3CD); members are user ids", s.val)
			case seen[s.val]:
				d.errorf(s.line, s.field, "%s is listed twice", s.val)
			default:
				seen[s.val] = true
				g.Members = append(g.Members, s.val)
			}
		}
		out = append(out, g)
	}
	return out
}

// directory warns about everyone the config names who is not in people:
// (when it is given) and every usergroup not defined under usergroups:
// (when either is given).
func (d *decoder) directory(c *Config, r *rawConfig) {
	if !r.peopleSet && !r.usergroupsSet {
		return // Slack is the only directory: nothing to hold names against
	}
	var ids, emails []string
	names := map[string]string{}
	for _, p := range c.People {
		ids = append(ids, p.ID)
		names[p.ID] = p.Name
		if p.Email != "" {
			emails = append(emails, strings.ToLower(p.Email))
		}
	}
	groups := map[string]bool{}
	for _, g := range c.Usergroups {
		groups[g.ID] = true
	}
	check := func(l list) {
		for _, s := range l.items {
			switch {
			case isSlackID(userID, s.val):
				if r.peopleSet && !slices.Contains(ids, s.val) {
					d.warnf(s.line, s.field, "%s is not listed under people:%s; serve asks Slack who it is, the shell knows it only by id", s.val, closest(s.val, ids, names))
				}
			case isSlackID(usergroupID, s.val):
				if !groups[s.val] {
					d.warnf(s.line, s.field, "usergroup %s is not defined under usergroups:; serve asks Slack for its members, the shell takes it as empty", s.val)
				}
			case email.MatchString(s.val):
				if r.peopleSet && !slices.Contains(emails, strings.ToLower(s.val)) {
					d.warnf(s.line, s.field, "nobody under people: has the email %s%s; serve asks Slack for it, the shell leaves it out", s.val, closest(strings.ToLower(s.val), emails, nil))
				}
			}
		}
	}
	check(r.admins)
	for _, rg := range r.usergroups {
		check(rg.members)
	}
	for _, rd := range r.domains {
		check(rd.owners)
		check(rd.advisors)
		check(rd.escalateTo)
	}
}

// closest returns " (did you mean X?)" for the candidate a typo of s most
// likely meant, with its name when known.
func closest(s string, candidates []string, names map[string]string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := textdist.Distance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	switch {
	case best == "":
		return ""
	case names[best] != "":
		return fmt.Sprintf(" (did you mean %s, %s?)", best, names[best])
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}
