package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
)

const example = "../config.example.yaml"

func TestExampleLoads(t *testing.T) {
	// Whatever the developer's shell exports must not change the example.
	for _, v := range []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "SLACK_TEAM_ID", "SLACK_APP_ID", "BATON_LISTEN", "BATON_DB"} {
		t.Setenv(v, "")
	}
	c, err := Load(example)
	if err != nil {
		t.Fatalf("the example config must stay valid:\n%v", err)
	}
	var names []string
	for _, d := range c.Domains {
		names = append(names, d.Name)
	}
	want := []string{
		"company", "product", "product/pricing", "product/roadmap", "product/design",
		"engineering", "engineering/infrastructure", "engineering/security",
		"people", "people/hiring", "people/compensation", "finance", "finance/spend", "legal",
	}
	if !slices.Equal(names, want) {
		t.Errorf("domains = %q, want %q", names, want)
	}
	if c.Slack.Command != "/decide" || c.Slack.BotToken != "" || c.Server.Listen != ":8080" || c.Store.Path != "baton.db" {
		t.Errorf("slack/server/store = %q %q %q %q", c.Slack.Command, c.Slack.BotToken, c.Server.Listen, c.Store.Path)
	}
	if c.TimezoneName != "Europe/London" || c.Timezone.String() != "Europe/London" {
		t.Errorf("timezone = %q %v", c.TimezoneName, c.Timezone)
	}
	if c.DefaultDomain != "company" || c.Reminders.EscalateAfter != 2 || len(c.Digest.Channels) != 2 {
		t.Errorf("default %q, escalate_after %d, digest %q", c.DefaultDomain, c.Reminders.EscalateAfter, c.Digest.Channels)
	}

	pricing, ok := c.Domain("product/pricing")
	if !ok {
		t.Fatal("no product/pricing")
	}
	if pricing.SLA != 72*time.Hour || !pricing.RequireAdvice || !pricing.Announce || pricing.Assign != decisions.AssignAll ||
		!slices.Contains(pricing.Keywords, "price change") || len(pricing.Advisors) == 0 {
		t.Errorf("product/pricing = %+v", pricing)
	}
	comp, _ := c.Domain("people/compensation")
	if comp.Announce || comp.SLA != 9*24*time.Hour {
		t.Errorf("people/compensation = %+v, want announce false and sla 1w2d", comp)
	}
	infra, _ := c.Domain("engineering/infrastructure")
	if infra.Assign != decisions.AssignLeastLoaded || !slices.Contains(infra.Keywords, "on call") || !slices.Contains(infra.Aliases, "infra") {
		t.Errorf("engineering/infrastructure = %+v", infra)
	}
	roadmap, _ := c.Domain("product/roadmap")
	sec, _ := c.Domain("engineering/security")
	if roadmap.Assign != decisions.AssignRoundRobin || len(sec.EscalateTo) == 0 {
		t.Errorf("roadmap assign %q, security escalate_to %q", roadmap.Assign, sec.EscalateTo)
	}

	// Everyone the example names is in people:, so the shell shows names.
	for _, d := range c.Domains {
		for _, id := range slices.Concat(d.Owners, d.Advisors, d.EscalateTo, c.Admins) {
			if strings.HasPrefix(id, "U") && c.Name(id) == id {
				t.Errorf("%s: %s has no entry in people", d.Name, id)
			}
			if strings.Contains(id, "@") {
				if _, ok := c.PersonByEmail(id); !ok {
					t.Errorf("%s: %s has no entry in people", d.Name, id)
				}
			}
		}
	}
	// The example uses a decision rule of each interesting kind, and is
	// clean: check prints nothing but ok for it.
	hiring, _ := c.Domain("people/hiring")
	spend, _ := c.Domain("finance/spend")
	if hiring.Rule != decisions.RuleAll || spend.Rule != decisions.RuleConsent || spend.ConsentAfter != 48*time.Hour || pricing.Rule != decisions.RuleAny {
		t.Errorf("rules: hiring %q, spend %q after %v, pricing %q", hiring.Rule, spend.Rule, spend.ConsentAfter, pricing.Rule)
	}
	if g, ok := c.Usergroup("S03SECCHMP"); !ok || len(g.Members) == 0 || !slices.Contains(sec.Advisors, g.ID) {
		t.Errorf("security's advisors %q: usergroup %+v, %v", sec.Advisors, g, ok)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("the example has warnings:\n%v", c.Warnings)
	}
	if got := c.Summary(); !strings.HasPrefix(got, "../config.example.yaml: 14 domains, ") || !strings.HasSuffix(got, ", default domain company") {
		t.Errorf("Summary() = %q", got)
	}
}

func TestBrokenFiles(t *testing.T) {
	t.Setenv("BATON_TEST_UNSET_TOKEN", "")
	os.Unsetenv("BATON_TEST_UNSET_TOKEN")
	tests := map[string][]string{
		"unknown_key.yaml": {
			`1: unknown key "sever" (did you mean "server"?)`,
			`6: domains[0]: unknown key "descripton" (did you mean "description"?)`,
			`7: domains[0]: unknown key "Owners" (did you mean "owners"?)`,
		},
		"wrong_type.yaml": {
			`1: slack: expected a mapping of keys, got "xoxb-not-a-mapping"`,
			`3: reminders.escalate_after: expected a whole number of reminders, got "two"`,
			`6: domains[0].owners: expected a list, got "U01MAYA01" (write [a, b] or one "- item" per line)`,
			`7: domains[0].announce: expected true or false, got "maybe"`,
			`9: domains[0].match.keywords: expected a list, got a mapping (write [a, b] or one "- item" per line)`,
		},
		"bad_user_id.yaml": {
			`1: admins[0]: "u01maya01" is not a Slack user id (U… or W…, e.g. U012AB3CD), usergroup id (S…) or email`,
			`4: domains[0].owners[0]: "UPRICE" is not a Slack user id (U… or W…, e.g. U012AB3CD), usergroup id (S…) or email`,
			`5: domains[0].advisors[0]: "@ravi" is a display name; use the user id (U…), a usergroup id (S…) or an email`,
			`5: domains[0].advisors[1]: "ravi@northwind" is not a Slack user id (U… or W…, e.g. U012AB3CD), usergroup id (S…) or email`,
		},
		"bad_channel_id.yaml": {
			`2: digest.channels[0]: "D01DIRECT" is not a Slack channel id (C… or G…, e.g. C012AB3CD)`,
			`6: domains[0].informed[0]: "#product" is a channel name; use its id (C…), shown at the bottom of the channel's details`,
			`8: domains[0].match.channels[0]: "CPRODUCT" is not a Slack channel id (C… or G…, e.g. C012AB3CD)`,
		},
		"unknown_default_domain.yaml": {
			`1: default_domain: unknown domain "compnay" (did you mean "company"?)`,
		},
		"duplicate_domain.yaml": {
			`6: domains[2].name: duplicate domain "product" (first defined on line 2)`,
			`8: domains[3].name: "Product/Pricing" is not a domain name: use lowercase letters, digits, - and _, in parts joined by / (e.g. product/pricing)`,
		},
		"duplicate_alias.yaml": {
			`4: domains[0].aliases[1]: alias "eng" is listed twice`,
			`7: domains[1].aliases[1]: alias "eng" is already used by domain "engineering" (line 4)`,
			`7: domains[1].aliases[2]: alias "engineering" is the name of domain "engineering"`,
			`7: domains[1].aliases[3]: alias "security" is ambiguous: #security already means domain "engineering/security"`,
			`10: domains[2].aliases[0]: alias "infra" is already used by domain "engineering/infrastructure" (line 7)`,
			`10: domains[2].aliases[2]: "Sec" is not a valid alias: use lowercase letters, digits, - and _ (it is typed as #Sec)`,
		},
		"bad_sla.yaml": {
			`4: domains[0].sla: invalid duration "3 days": unknown unit " days" (write e.g. 72h, 3d, 2w or 1w2d)`,
			`7: domains[1].sla: must be more than zero, got "0h"`,
			`10: domains[2].sla: invalid duration "2fortnights": unknown unit "fortnights" (write e.g. 72h, 3d, 2w or 1w2d)`,
		},
		"bad_cron.yaml": {
			`2: reminders.schedule: invalid cron schedule "0 25 * * *": end of range (25) above maximum (23): 25 (write e.g. "0 9 * * 1-5" or @weekly)`,
			`4: digest.schedule: invalid cron schedule "@fortnightly": unrecognized descriptor: @fortnightly (write e.g. "0 9 * * 1-5" or @weekly)`,
		},
		"bad_person_tz.yaml": {
			`2: people[0].tz: unknown time zone "Europe/Gondor" (use an IANA name such as Asia/Tokyo or America/New_York)`,
		},
		"bad_timezone.yaml": {
			`1: timezone: unknown time zone "Mars/Olympus_Mons" (use an IANA name such as Europe/Berlin or UTC)`,
		},
		"escalate_to_empty.yaml": {
			`6: domains[1].escalate_to: names nobody; list who takes escalations, or remove it to escalate to the parent domain`,
			`9: domains[2].escalate_to: names nobody; list who takes escalations, or remove it to escalate to the parent domain`,
		},
		"orphan_domain.yaml": {
			`6: domains[2].owners: domain "product/pricing" has no owners and no parent domain to decide for it; add owners`,
			`9: domains[3].owners: domain "finance" has no owners and no parent domain to decide for it; add owners`,
		},
		"multiple_errors.yaml": {
			`3: slack.command: "decide" is not a slash command: it must start with "/", e.g. /decide`,
			`4: slack.api_url: "ftp://slack.example" is not an http(s) URL, e.g. https://slack.com/api/`,
			`6: server.listen: "8080" is not a listen address such as :8080 or 127.0.0.1:8080`,
			`8: store.path: must not be empty (default baton.db)`,
			`10: reminders.escalate_after: must be at least 1, got 0`,
			`14: domains[0].owners[0]: "UPRICE" is not a Slack user id (U… or W…, e.g. U012AB3CD), usergroup id (S…) or email`,
			`15: domains[0].assign: unknown assign policy "random" (use all, round_robin or least_loaded)`,
			`16: domains[0].sla: invalid duration "1x": unknown unit "x" (write e.g. 72h, 3d, 2w or 1w2d)`,
			`17: domains[1].name: "people/" is not a domain name: use lowercase letters, digits, - and _, in parts joined by / (e.g. product/pricing)`,
		},
		"people.yaml": {
			`3: people[1].id: U01MAYA01 is listed twice (first on line 2)`,
			`4: people[2].id: missing: every person needs a Slack user id`,
			`5: people[3].email: MAYA@northwind.example is listed twice (first on line 2)`,
			`6: people[4].email: "sofia" is not an email address`,
		},
		"env_unset.yaml": {
			`2: slack.bot_token: environment variable BATON_TEST_UNSET_TOKEN is not set (write ${BATON_TEST_UNSET_TOKEN:-} to allow it to be empty)`,
			`3: slack.signing_secret: bad environment variable reference ${1BAD} (write ${NAME} or ${NAME:-default})`,
			`6: domains[0].owners[0]: environment variable BATON_TEST_UNSET_OWNER is not set (write ${BATON_TEST_UNSET_OWNER:-} to allow it to be empty)`,
			`7: domains[0].description: unterminated ${ in "${UNTERMINATED"`,
		},
		"router_keywords.yaml": {
			`7: domains[0].match.keywords[1]: keyword "c++" starts or ends with punctuation, which whole-word matching ignores; remove it`,
			`13: domains[1].match.keywords[1]: keyword "!!" has no letters or digits`,
			`14: domains[1].match.keywords[2]: keyword ".net" starts or ends with punctuation, which whole-word matching ignores; remove it`,
		},
		"bad_rule.yaml": {
			`4: domains[0].rule: unknown rule "concent" (did you mean "consent"?); use any, all, majority or consent`,
			`7: domains[1].rule: unknown rule "All" (did you mean "all"?); use any, all, majority or consent`,
			`8: domains[1].consent_after: invalid duration "2 days": unknown unit " days" (write e.g. 72h, 3d, 2w or 1w2d)`,
			`11: domains[2].consent_after: must be more than zero, got "0h"`,
			`14: domains[3].rule: unknown rule "unanimous"; use any, all, majority or consent`,
		},
		"bad_usergroups.yaml": {
			`2: usergroups[0].members[1]: "@lars" is a display name; use the user id (U…)`,
			`2: usergroups[0].members[2]: U03PRIYA6 is listed twice`,
			`3: usergroups[1].id: S03SECCHMP is listed twice (first on line 2)`,
			`4: usergroups[2].id: missing: every usergroup needs its Slack id (S…)`,
			`4: usergroups[2].members: missing: list the usergroup's members (user ids, U…)`,
			`5: usergroups[3].id: "security" is not a Slack usergroup id (S…, e.g. S012AB3CD)`,
			`5: usergroups[3].members: names nobody; list the usergroup's members (user ids, U…)`,
			`7: usergroups[4].members[0]: "priya@northwind.example" is not a Slack user id (U… or W…, e.g. U012AB3CD); members are user ids`,
		},
		"invalid_yaml.yaml": {
			// The line is the YAML library's, which points at the flow's context.
			`2: invalid YAML: did not find expected ',' or ']'`,
		},
		"empty.yaml": {
			`: domains: no domains configured; add at least one under domains:`,
		},
	}
	for file, want := range tests {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("testdata", file)
			c, err := Load(path)
			if err == nil {
				t.Fatalf("loaded %s without error: %s", file, c.Summary())
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *Errors: %v", err, err)
			}
			var plain Errors
			if !errors.As(err, &plain) || len(plain) != len(*errs) {
				t.Errorf("errors.As into Errors = %v", plain)
			}
			for i := range want {
				if !strings.HasPrefix(want[i], ":") {
					want[i] = ":" + want[i]
				}
				want[i] = path + want[i]
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping os.ErrNotExist", err)
	}
}

const minimal = `
domains:
  - name: company
    owners: [U01MAYA01]
`

func TestDefaults(t *testing.T) {
	c, err := Parse("config.yaml", []byte(minimal), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "config.yaml" || c.Slack.Command != "/decide" || c.Server.Listen != ":8080" || c.Store.Path != "baton.db" ||
		c.TimezoneName != "UTC" || c.Timezone != time.UTC || c.Reminders.Schedule != "0 9 * * 1-5" ||
		c.Reminders.EscalateAfter != 2 || c.Digest.Schedule != "0 9 * * 1" || c.DefaultDomain != "" || len(c.Usergroups) != 0 || len(c.Warnings) != 0 {
		t.Errorf("defaults: %+v", c)
	}
	d := c.Domains[0]
	if d.Assign != decisions.AssignAll || !d.Announce || d.RequireAdvice || d.SLA != 0 || d.Rule != decisions.RuleAny || d.ConsentAfter != decisions.DefaultConsentAfter {
		t.Errorf("domain defaults: %+v", d)
	}
	if got, want := c.Summary(), "config.yaml: 1 domain, 1 owner, 0 rules (keywords 0, channels 0, aliases 0), no default domain"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestDescriptorSchedule(t *testing.T) {
	c, err := Parse("c.yaml", []byte("digest: {schedule: \"@weekly\"}\n"+minimal), nil)
	if err != nil || c.Digest.Schedule != "@weekly" {
		t.Errorf("Parse = %v, %v", c, err)
	}
	_, err = Parse("c.yaml", []byte("digest: {schedule: TZ=UTC}\n"+minimal), nil)
	if err == nil || !strings.Contains(err.Error(), "top-level timezone") {
		t.Errorf("TZ= in schedule: %v", err)
	}
}

func TestEnvExpansion(t *testing.T) {
	env := map[string]string{"TOKEN": "xoxb-1", "OWNER": "U01MAYA01", "EMPTY": "", "HOST": "slack.test"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	data := `
slack:
  bot_token: ${TOKEN}
  signing_secret: ${UNSET:-fallback}
  app_token: ${EMPTY}
  api_url: http://${HOST}:${PORT:-9999}/api/
  team_id: ${EMPTY:-T01}
server:
  listen: ${UNSET:-:9090}
domains:
  - name: company
    owners: ["${OWNER}"]
    description: cost is $5, not ${UNSET:-}
`
	c, err := Parse("env.yaml", []byte(data), lookup)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Slack
	for _, tc := range []struct{ got, want string }{
		{s.BotToken, "xoxb-1"},
		{s.SigningSecret, "fallback"},
		{s.AppToken, ""},
		{s.APIURL, "http://slack.test:9999/api/"},
		{s.TeamID, "T01"}, // like the shell, the default also covers set-but-empty
		{c.Server.Listen, ":9090"},
		{c.Domains[0].Owners[0], "U01MAYA01"},
		{c.Domains[0].Description, "cost is $5, not "},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}

	// Expansion happens after parsing, so a value cannot inject YAML and
	// errors keep their lines.
	env["OWNER"] = "U01MAYA01]\n  - name: evil"
	_, err = Parse("env.yaml", []byte(data), lookup)
	if err == nil || !strings.Contains(err.Error(), "env.yaml:12: domains[0].owners[0]: ") {
		t.Errorf("injected value: %v", err)
	}
}

func TestLookups(t *testing.T) {
	c, err := Load(example)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := c.PersonByEmail("Maya@NorthwindLabs.example"); !ok || p.ID != "U01MAYA01" {
		t.Errorf("PersonByEmail = %+v, %v", p, ok)
	}
	if _, ok := c.PersonByEmail("nobody@example.com"); ok {
		t.Error("PersonByEmail found nobody@example.com")
	}
	if got := c.Name("U01MAYA01"); got != "Maya Chen" {
		t.Errorf("Name = %q", got)
	}
	if got := c.Name("U09UNKNOWN"); got != "U09UNKNOWN" {
		t.Errorf("Name(unknown) = %q", got)
	}
	if _, ok := c.Domain("product"); !ok {
		t.Error("Domain(product) not found")
	}
	if _, ok := c.Domain("pricing"); ok {
		t.Error("Domain matches a last segment; it should take full names only")
	}
}

func TestDefaultPath(t *testing.T) {
	t.Chdir(t.TempDir())
	if got := DefaultPath(); got != "config.example.yaml" {
		t.Errorf("without config.yaml: %q", got)
	}
	if err := os.WriteFile("config.yaml", []byte(minimal), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := DefaultPath(); got != "config.yaml" {
		t.Errorf("with config.yaml: %q", got)
	}
}

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"72h", 72 * time.Hour, false},
		{"3d", 3 * day, false},
		{"2w", 14 * day, false},
		{"1w2d", 9 * day, false},
		{"1d12h", 36 * time.Hour, false},
		{"1.5d", 36 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"1h30m15s", time.Hour + 30*time.Minute + 15*time.Second, false},
		{"250ms", 250 * time.Millisecond, false},
		{"0", 0, false},
		{"-2d", -2 * day, false},
		{"", 0, true},
		{"3", 0, true},
		{"d", 0, true},
		{"3 days", 0, true},
		{"3D", 0, true},
		{"1y", 0, true},
		{"..d", 0, true},
		{"99999999999w", 0, true},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	for _, path := range append(seeds, example) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &x [*x]\n"))
	env := func(k string) (string, bool) { return "U01" + k, len(k)%2 == 0 }
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data, env)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned config %v and error %v", c, err)
		}
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) || len(*errs) == 0 {
				t.Fatalf("error %T %v is not a non-empty *Errors", err, err)
			}
		} else {
			_ = c.Summary()
		}
	})
}
