package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
)

// registerConfig has people, so exports can name them, and a store with a
// decision revisited by another, advice, a vote, a comment and a title
// holding markup typed by hand.
func registerConfig(t *testing.T) (cfg, dir string) {
	t.Helper()
	dir = t.TempDir()
	cfg = cliConfig(t, dir, "people:\n  - {id: U01RAVI02, name: Ravi Patel}\n  - {id: U02SOFIA3, name: Sofia Lindqvist}\n")
	first := cliDecision("Raise the team plan price #pricing", "product", decisions.StatusApproved, "the numbers work")
	first.Details = "Competitors charge <more> & we *undercharge*"
	first.Reason = "#pricing tag matched domain product"
	first.Advice = []decisions.Advice{{By: "U01RAVI02", Text: "check churn", At: cliT0.Add(10 * time.Minute)}}
	first.ReviewOn = cliT0.AddDate(0, 6, 0)
	first.History = append(first.History,
		decisions.Event{At: cliT0.Add(20 * time.Minute), Actor: "U02SOFIA3", Kind: decisions.EventCommented, Note: "see D-3"},
		decisions.Event{At: cliT0.Add(time.Hour), Actor: "U01RAVI02", Kind: decisions.EventApproved, Note: "the numbers work"})
	second := cliDecision("Revisit D-1: Raise the team plan price", "product", decisions.StatusOpen, "")
	second.Revisits = 1
	second.CreatedAt = cliT0.AddDate(0, 6, 0)
	third := cliDecision("Adopt <\u2060!channel> etiquette", "company", decisions.StatusOpen, "")
	third.NextCheck, third.Reminders = cliT0.Add(time.Hour), 2
	cliSeed(t, filepath.Join(dir, "baton.db"), first, second, third)
	return cfg, dir
}

func TestExportDecisionRecords(t *testing.T) {
	cfg, dir := registerConfig(t)
	out := filepath.Join(dir, "records")
	r := cliRun(t, "export", "-config", cfg, "-format", "md", "-out", out)
	r.want(t, exitOK)
	if !strings.Contains(r.stdout, "wrote 3 decision records to "+out) {
		t.Errorf("stdout %q", r.stdout)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.md"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	want := []string{"0001-raise-the-team-plan-price.md", "0002-revisit-d-1-raise-the-team-plan-price.md", "0003-adopt-etiquette.md"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("files %q, want %q", names, want)
	}
	rec, err := os.ReadFile(filepath.Join(out, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{
		"# D-1: Raise the team plan price #pricing\n",
		"- **Status:** approved",
		"- **Proposed:** 2026-11-02 09:00 UTC by Sofia Lindqvist",
		"- **Decided:** 2026-11-02 10:00 UTC by Ravi Patel",
		"- **Why it was routed there:** #pricing tag matched domain product",
		"- **Deciders:** Ravi Patel",
		"- **Review on:** 2027-05-02 09:00 UTC",
		"## Context\n\nCompetitors charge \\<more\\> & we \\*undercharge\\*",
		"## Advice\n\n- Ravi Patel, 2026-11-02 09:10 UTC: check churn",
		"## Votes\n\n- Ravi Patel: approved, 2026-11-02 10:00 UTC — the numbers work",
		"**Rationale:** the numbers work",
		"- 2026-11-02 09:20 UTC Sofia Lindqvist commented: see D-3",
		"## Related decisions\n\n- Revisited by [D-2](0002-revisit-d-1-raise-the-team-plan-price.md)\n- Mentions [D-3](0003-adopt-etiquette.md)",
	} {
		if !strings.Contains(string(rec), w) {
			t.Errorf("record lacks %q:\n%s", w, rec)
		}
	}
	rec3, _ := os.ReadFile(filepath.Join(out, want[2]))
	if !strings.Contains(string(rec3), "# D-3: Adopt \\<!channel\\> etiquette") || strings.Contains(string(rec3), "\u2060") || strings.Contains(string(rec3), "&lt;") {
		t.Errorf("title not as typed:\n%s", rec3)
	}

	// Without -out, the records go to stdout; -domain and -since filter.
	r = cliRun(t, "export", "-config", cfg, "-format", "md", "-domain", "product", "-since", "2027-01-01")
	r.want(t, exitOK)
	if !strings.Contains(r.stdout, "# D-2: Revisit D-1") || strings.Contains(r.stdout, "# D-1:") || strings.Contains(r.stdout, "# D-3:") {
		t.Errorf("filtered stdout:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "- Revisits D-1\n") {
		t.Errorf("a link to a record not exported should be the bare id:\n%s", r.stdout)
	}
	cliRun(t, "export", "-config", cfg, "-since", "last tuesday").want(t, exitUsage)
}

func TestExportCSVAndJSONForPeople(t *testing.T) {
	cfg, dir := registerConfig(t)
	r := cliRun(t, "export", "-config", cfg, "-format", "csv")
	r.want(t, exitOK)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[1][col["proposer"]] != "Sofia Lindqvist" || rows[1][col["decided_by"]] != "Ravi Patel" || rows[1][col["deciders"]] != "Ravi Patel" {
		t.Errorf("names: %q", rows[1])
	}
	if h := rows[1][col["history"]]; !strings.Contains(h, "2026-11-02T10:00:00Z Ravi Patel approved: the numbers work") || strings.Count(h, "\n") != 2 {
		t.Errorf("history column %q", h)
	}
	if rows[3][col["title"]] != "Adopt <!channel> etiquette" {
		t.Errorf("CSV title %q, want it as typed", rows[3][col["title"]])
	}

	r = cliRun(t, "export", "-config", cfg, "-format", "json", "-out", dir)
	r.want(t, exitOK)
	raw, err := os.ReadFile(filepath.Join(dir, "decisions.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, internal := range []string{"next_check", "reminders", "last_reminded_at", "announcement", "escalations"} {
		if _, ok := got[2][internal]; ok {
			t.Errorf("JSON keeps the internal field %q", internal)
		}
	}
	if got[1]["revisits"] != "D-1" || got[2]["title"] != "Adopt <!channel> etiquette" {
		t.Errorf("JSON = %v", got)
	}
}
