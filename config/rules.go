package config

import (
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
)

// rule reads a domain's decision rule and how long a consent proposal
// waits for objections.
func (d *decoder) rule(rd rawDomain) (decisions.Rule, time.Duration) {
	rule := decisions.Rule(or(rd.rule, string(decisions.RuleAny)))
	known := false
	var names []string
	for _, r := range decisions.Rules {
		names = append(names, string(r))
		known = known || r == rule
	}
	if !known {
		d.errorf(rd.rule.line, rd.rule.field, "unknown rule %q%s; use %s or %s", rule,
			suggest(string(rule), names), strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
	}
	after := decisions.DefaultConsentAfter
	if v := rd.consentAfter; v.set {
		dur, err := ParseDuration(v.val)
		switch {
		case err != nil:
			d.errorf(v.line, v.field, "%v", err)
		case dur <= 0:
			d.errorf(v.line, v.field, "must be more than zero, got %q", v.val)
		default:
			after = dur
		}
		if known && rule != decisions.RuleConsent {
			d.warnf(v.line, v.field, "has no effect: it is how long rule: consent waits for objections, and this domain's rule is %s", rule)
		}
	}
	return rule, after
}

// rules warns where a domain's rule cannot change anything: all and
// majority among one assigned decider are just that decider's say.
func (d *decoder) rules(c *Config, r *rawConfig) {
	for i, rd := range r.domains {
		if i >= len(c.Domains) {
			return
		}
		dom := c.Domains[i]
		if dom.Rule != decisions.RuleAll && dom.Rule != decisions.RuleMajority {
			continue
		}
		switch n, from, ok := c.owners(dom); {
		case dom.Assign == decisions.AssignRoundRobin || dom.Assign == decisions.AssignLeastLoaded:
			d.warnf(rd.rule.line, rd.rule.field, "rule %s cannot apply: assign: %s gives each decision to one owner, who decides alone; use assign: all, or remove the rule", dom.Rule, dom.Assign)
		case ok && n == 1 && from != dom.Name:
			d.warnf(rd.rule.line, rd.rule.field, "rule %s cannot apply: %s has no owners of its own, and %s has one, who decides alone; add owners, or remove the rule", dom.Rule, dom.Name, from)
		case ok && n == 1:
			d.warnf(rd.rule.line, rd.rule.field, "rule %s cannot apply: %s has one owner, who decides alone; add owners, or remove the rule", dom.Rule, dom.Name)
		}
	}
}

// owners counts the people who own dom (its own owners, else those of the
// nearest parent domain that has some, named by from), as far as the config
// can tell: ok is false when a usergroup it does not define leaves the
// count to Slack.
func (c *Config) owners(dom decisions.Domain) (n int, from string, ok bool) {
	owners, name := dom.Owners, dom.Name
	for len(owners) == 0 {
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			break
		}
		name = name[:i]
		if p, found := c.Domain(name); found {
			owners = p.Owners
		}
	}
	people := map[string]bool{}
	for _, o := range owners {
		switch {
		case strings.Contains(o, "@"):
			if p, found := c.PersonByEmail(o); found {
				people[p.ID] = true
			} else {
				people[strings.ToLower(o)] = true
			}
		case strings.HasPrefix(o, "S"):
			g, found := c.Usergroup(o)
			if !found {
				return 0, name, false
			}
			for _, m := range g.Members {
				people[m] = true
			}
		default:
			people[o] = true
		}
	}
	return len(people), name, true
}
