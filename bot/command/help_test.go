package command

import (
	"strings"
	"testing"
)

var allVerbs = []Verb{
	VerbPropose, VerbApprove, VerbReject, VerbDefer, VerbWithdraw, VerbReassign,
	VerbAdvise, VerbEdit, VerbComment, VerbDecline, VerbReview, VerbShow, VerbList, VerbSearch,
	VerbWho, VerbRights, VerbAway, VerbHelp,
}

func TestEveryVerbHasOneSpec(t *testing.T) {
	specs := Specs()
	count := map[Verb]int{}
	for _, s := range specs {
		count[s.Verb]++
		if s.Usage == "" || s.Summary == "" || len(s.Examples) == 0 {
			t.Errorf("spec %q lacks usage, summary or examples", s.Verb)
		}
		if !strings.HasPrefix(s.Usage, string(s.Verb)) {
			t.Errorf("usage %q does not start with its verb", s.Usage)
		}
	}
	for _, v := range allVerbs {
		if count[v] != 1 {
			t.Errorf("verb %q has %d specs, want 1", v, count[v])
		}
	}
	if len(specs) != len(allVerbs) {
		t.Errorf("%d specs for %d verbs", len(specs), len(allVerbs))
	}
}

// Every documented example parses, to its own verb: help never lies.
func TestExamplesParse(t *testing.T) {
	p := testParser
	for _, s := range Specs() {
		for _, ex := range s.Examples {
			ex = strings.NewReplacer("@dana", "<@U1|dana>", "@bob", "<@U2|bob>").Replace(ex)
			got, err := p.Parse(ex, now)
			if err != nil {
				t.Errorf("example %q: %v", ex, err)
				continue
			}
			if got.Verb != s.Verb {
				t.Errorf("example %q parsed as %q, want %q", ex, got.Verb, s.Verb)
			}
		}
		for _, a := range s.Aliases {
			if got, err := p.Parse(a, now); err != nil || got.Verb != s.Verb {
				t.Errorf("alias %q = %q, %v; want %q", a, got.Verb, err, s.Verb)
			}
		}
	}
}

func TestHelp(t *testing.T) {
	for _, slash := range []string{"/decide", "/baton"} {
		h := Help(slash)
		for _, s := range Specs() {
			if want := escape(slash + " " + s.Usage); !strings.Contains(h, want) {
				t.Errorf("Help(%q) lacks usage %q", slash, want)
			}
			if !strings.Contains(h, escape(s.Summary)) {
				t.Errorf("Help(%q) lacks summary of %q", slash, s.Verb)
			}
			for _, ex := range s.Examples {
				if want := escape(slash + " " + ex); !strings.Contains(h, want) {
					t.Errorf("Help(%q) lacks example %q", slash, want)
				}
			}
		}
		if strings.ContainsAny(strings.ReplaceAll(h, "&lt;", ""), "<>") {
			t.Errorf("Help(%q) has unescaped angle brackets:\n%s", slash, h)
		}
	}
	if Help("") != Help(DefaultSlash) {
		t.Error(`Help("") differs from Help(DefaultSlash)`)
	}
}

func TestUsageHint(t *testing.T) {
	h := UsageHint()
	for _, want := range []string{"<text>", "approve D-7", "list", "help"} {
		if !strings.Contains(h, want) {
			t.Errorf("UsageHint() = %q, lacks %q", h, want)
		}
	}
	if len(h) > 140 {
		t.Errorf("UsageHint() is %d bytes; keep it short", len(h))
	}
}

func TestSpecsIsACopy(t *testing.T) {
	s := Specs()
	s[0].Examples[0] = "changed"
	s[0].Usage = "changed"
	if Specs()[0].Examples[0] == "changed" || Specs()[0].Usage == "changed" {
		t.Error("Specs() shares memory with the table")
	}
}
