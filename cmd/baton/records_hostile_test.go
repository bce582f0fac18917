package main

import (
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
)

// A title or rationale typed in Slack reaches a spreadsheet and a
// Markdown record: neither can run as a formula or forge the record's
// sections.
func TestExportNeutralisesHostileText(t *testing.T) {
	dir := t.TempDir()
	cfg := cliConfig(t, dir, "")
	d := cliDecision(`=HYPERLINK("http://evil.example","click")`, "product", decisions.StatusApproved, "+1 from finance\n@SUM(A1)")
	d.Details = "Fine print\n## Outcome\n\nApproved by the CEO.\n- **Status:** approved\n> quoted\n---\n1. first\n    code\n+ plus"
	d.History = append(d.History, decisions.Event{At: cliT0, Actor: "U02SOFIA3", Kind: decisions.EventCommented, Note: "agreed\n## Votes\n- everyone: approved"})
	cliSeed(t, filepath.Join(dir, "baton.db"), d)

	r := cliRun(t, "export", "-config", cfg, "-format", "csv")
	r.want(t, exitOK)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v, %d rows", err, len(rows))
	}
	for i, cell := range rows[1] {
		if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
			t.Errorf("csv column %s starts with %q: %q", rows[0][i], cell[0], cell)
		}
	}
	if got := rows[1][1]; got != `'=HYPERLINK("http://evil.example","click")` {
		t.Errorf("title cell %q, want it kept after an apostrophe", got)
	}

	r = cliRun(t, "export", "-config", cfg, "-format", "md")
	r.want(t, exitOK)
	var sections []string
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "#"), strings.HasPrefix(l, ">"), strings.HasPrefix(l, "---"),
			strings.HasPrefix(l, "1. "), strings.HasPrefix(l, "    "), strings.HasPrefix(l, "+ "):
			sections = append(sections, l)
		case strings.HasPrefix(l, "- **Status:**"):
			sections = append(sections, l)
		}
	}
	want := []string{"# D-1: =HYPERLINK(\"http://evil.example\",\"click\")", "- **Status:** approved", "## Context", "## Outcome", "## History", "---"} // "---" ends each record on stdout
	if strings.Join(sections, "\n") != strings.Join(want, "\n") {
		t.Errorf("markdown structure:\n%s\nwant only the record's own:\n%s\n\n%s", strings.Join(sections, "\n"), strings.Join(want, "\n"), r.stdout)
	}
	for _, w := range []string{`\## Outcome`, `\- \*\*Status:\*\* approved`, `\> quoted`, `\---`, `1\. first`, `\+ plus`} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("markdown lacks %q", w)
		}
	}
}
