package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
)

func TestRightsSuggest(t *testing.T) {
	dir := t.TempDir()
	cfg := cliConfig(t, dir, "")
	db := filepath.Join(dir, "baton.db")

	// An empty store has nothing to suggest, and says so.
	cliSeed(t, db)
	r := cliRun(t, "rights", "suggest", "-config", cfg)
	r.want(t, exitOK)
	if !strings.Contains(r.stdout, "No misroutes yet") {
		t.Errorf("empty store:\n%s", r.stdout)
	}

	misrouted := func(title string) decisions.Decision {
		d := cliDecision(title, "company", decisions.StatusOpen, "")
		d.Misroutes = []decisions.Misroute{{At: cliT0.Add(2 * time.Hour), By: "U01RAVI02", From: "product",
			FromReason: `keyword "feature" matched product`, To: "company", Why: "strategy", Declined: true}}
		return d
	}
	cliSeed(t, db, misrouted("Rename the company feature flags"), cliDecision("Ship the feature", "product", decisions.StatusOpen, ""), misrouted("Company flags cleanup"))
	r = cliRun(t, "rights", "suggest", "-config", cfg)
	r.want(t, exitOK)
	for _, want := range []string{
		"# Suggested from 2 misroutes.",
		"- name: company\n  match:\n    keywords:\n      - flag   # add keyword `flag` to company — 2 misroutes: D-1, D-3",
		"#   `feature` sent 2 decisions to product that product declined: D-1, D-3",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = cliRun(t, "rights", "suggest", "-json", "-config", cfg)
	r.want(t, exitOK)
	var got decisions.Suggestions
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if got.Misroutes != 2 || len(got.AddKeywords) == 0 || got.AddKeywords[0].Keyword != "flag" || len(got.BadKeywords) != 1 {
		t.Errorf("json = %+v", got)
	}

	for _, args := range [][]string{{"rights"}, {"rights", "list"}, {"rights", "suggest", "extra"}} {
		cliRun(t, append(args, "-config", cfg)...).want(t, exitUsage)
	}
}
