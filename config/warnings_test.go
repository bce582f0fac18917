package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
)

// TestWarnings: what Baton runs with but someone should fix. Parse
// succeeds (serve starts, check exits 0) and Warnings names each line.
func TestWarnings(t *testing.T) {
	const people = `people:
  - {id: U01MAYA01, name: Maya Chen, email: maya@northwind.example}
  - {id: U01RAVI02, name: Ravi Patel, email: ravi@northwind.example}
  - {id: U02SOFIA3, name: Sofia Lindqvist}
`
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"everyone listed", people + `usergroups:
  - {id: S01LEADS1, members: [U01MAYA01, U01RAVI02]}
admins: [U01MAYA01]
domains:
  - name: company
    owners: [maya@northwind.example, S01LEADS1]
    advisors: [U02SOFIA3]
    escalate_to: [U01RAVI02]
`, nil},
		{"people missing from people:", people + `admins: [U01MAYA10]
domains:
  - name: company
    owners: [U01MAYA01, U09GHOST1]
    advisors: [ghost@northwind.example, rav@northwind.example]
    escalate_to: [U01RAVI02, S01LEADS1]
`, []string{
			`c.yaml:5: admins[0]: U01MAYA10 is not listed under people: (did you mean U01MAYA01, Maya Chen?); serve asks Slack who it is, the shell knows it only by id`,
			`c.yaml:8: domains[0].owners[1]: U09GHOST1 is not listed under people:; serve asks Slack who it is, the shell knows it only by id`,
			`c.yaml:9: domains[0].advisors[0]: nobody under people: has the email ghost@northwind.example; serve asks Slack for it, the shell leaves it out`,
			`c.yaml:9: domains[0].advisors[1]: nobody under people: has the email rav@northwind.example (did you mean ravi@northwind.example?); serve asks Slack for it, the shell leaves it out`,
			`c.yaml:10: domains[0].escalate_to[1]: usergroup S01LEADS1 is not defined under usergroups:; serve asks Slack for its members, the shell takes it as empty`,
		}},
		{"usergroup members are people too", people + `usergroups:
  - {id: S01LEADS1, members: [U01MAYA01, U07EVA007]}
domains:
  - name: company
    owners: [S01LEADS1]
`, []string{
			`c.yaml:6: usergroups[0].members[1]: U07EVA007 is not listed under people:; serve asks Slack who it is, the shell knows it only by id`,
		}},
		{"no people: means Slack is the directory", `domains:
  - name: company
    owners: [U09GHOST1, ghost@northwind.example, S01LEADS1]
`, nil},
		{"usergroups: alone checks usergroups only", `usergroups:
  - {id: S01LEADS1, members: [U09GHOST1]}
domains:
  - name: company
    owners: [U09GHOST1, ghost@northwind.example, S01LEADS1, S02OTHER1]
`, []string{
			`c.yaml:5: domains[0].owners[3]: usergroup S02OTHER1 is not defined under usergroups:; serve asks Slack for its members, the shell takes it as empty`,
		}},
		{"rules that cannot apply", people + `usergroups:
  - {id: S01LEADS1, members: [U01MAYA01, U01RAVI02]}
  - {id: S02SOLO01, members: [U01MAYA01]}
domains:
  - name: company
    owners: [U01MAYA01, maya@northwind.example]
    rule: all
  - name: company/events
    rule: majority
  - name: product
    owners: [U01RAVI02, U02SOFIA3]
    assign: round_robin
    rule: all
  - name: product/pricing
    owners: [U01RAVI02, U02SOFIA3]
    rule: majority
    consent_after: 3d
  - name: product/design
    owners: [S01LEADS1]
    rule: all
  - name: product/design/brand
    owners: [S02SOLO01]
    rule: all
  - name: finance
    owners: [U01MAYA01]
    rule: consent
`, []string{
			`c.yaml:11: domains[0].rule: rule all cannot apply: company has one owner, who decides alone; add owners, or remove the rule`,
			`c.yaml:13: domains[1].rule: rule majority cannot apply: company/events has no owners of its own, and company has one, who decides alone; add owners, or remove the rule`,
			`c.yaml:17: domains[2].rule: rule all cannot apply: assign: round_robin gives each decision to one owner, who decides alone; use assign: all, or remove the rule`,
			`c.yaml:21: domains[3].consent_after: has no effect: it is how long rule: consent waits for objections, and this domain's rule is majority`,
			`c.yaml:27: domains[5].rule: rule all cannot apply: product/design/brand has one owner, who decides alone; add owners, or remove the rule`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.yaml", []byte(tt.yaml), nil)
			if err != nil {
				t.Fatalf("warnings must not stop Baton: %v", err)
			}
			var got []string
			for _, w := range c.Warnings {
				got = append(got, w.Error())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestWarningsYieldToErrors: a file with errors is refused, and a field in
// error is not warned about as well.
func TestWarningsYieldToErrors(t *testing.T) {
	_, err := Parse("c.yaml", []byte(`people: [{id: U01MAYA01}]
domains:
  - name: company
    owners: [U01MAYA01]
    rule: al
    consent_after: 2d
`), nil)
	if err == nil || err.Error() != `c.yaml:5: domains[0].rule: unknown rule "al" (did you mean "all"?); use any, all, majority or consent` {
		t.Errorf("Parse error = %v", err)
	}
}

func TestRuleDefaults(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`domains:
  - name: company
    owners: [U01MAYA01, U01RAVI02]
  - name: finance
    owners: [U01FATIM3, U05OLIVE4]
    rule: consent
  - name: finance/spend
    rule: consent
    consent_after: 1w
  - name: legal
    owners: [U07EVA007, U01MAYA01, U01FATIM3]
    rule: majority
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		rule  decisions.Rule
		after time.Duration
	}{
		{decisions.RuleAny, decisions.DefaultConsentAfter},
		{decisions.RuleConsent, 48 * time.Hour},
		{decisions.RuleConsent, 7 * 24 * time.Hour},
		{decisions.RuleMajority, decisions.DefaultConsentAfter},
	}
	for i, w := range want {
		if d := c.Domains[i]; d.Rule != w.rule || d.ConsentAfter != w.after {
			t.Errorf("%s: rule %q, consent_after %v; want %q, %v", d.Name, d.Rule, d.ConsentAfter, w.rule, w.after)
		}
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %v", c.Warnings)
	}
}
