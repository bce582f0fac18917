package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// seededConfig is a config whose store holds three decisions, one with text
// that must not break CSV or Markdown.
func seededConfig(t *testing.T) (cfg, db string) {
	t.Helper()
	dir := t.TempDir()
	cfg = cliConfig(t, dir, "")
	db = filepath.Join(dir, "baton.db")
	cliSeed(t, db,
		cliDecision("Raise the team plan to $12", "product", decisions.StatusOpen, ""),
		cliDecision("Drop the free tier", "product", decisions.StatusApproved, "costs | support load,\nsee <@U01RAVI02>"),
		cliDecision(`Adopt "quiet Fridays"`, "company", decisions.StatusRejected, "not now"),
	)
	return cfg, db
}

func TestExportJSON(t *testing.T) {
	cfg, _ := seededConfig(t)
	r := cliRun(t, "export", "-config", cfg, "-format", "json")
	r.want(t, exitOK)
	var got []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, r.stdout)
	}
	if len(got) != 3 {
		t.Fatalf("%d decisions, want 3", len(got))
	}
	want := []struct{ id, title, status string }{
		{"D-1", "Raise the team plan to $12", "open"},
		{"D-2", "Drop the free tier", "approved"},
		{"D-3", `Adopt "quiet Fridays"`, "rejected"},
	}
	for i, w := range want {
		if got[i]["id"] != w.id || got[i]["title"] != w.title || got[i]["status"] != w.status {
			t.Errorf("decision %d = %v %v %v, want %+v", i, got[i]["id"], got[i]["title"], got[i]["status"], w)
		}
	}
	if got[1]["rationale"] != "costs | support load,\nsee <@U01RAVI02>" || got[1]["decided_by"] != "U01RAVI02" {
		t.Errorf("D-2 = %v", got[1])
	}
	if _, ok := got[0]["history"].([]any); !ok {
		t.Errorf("D-1 has no history: %v", got[0])
	}
	// Mentions stay readable, not \u003c-escaped.
	if !strings.Contains(r.stdout, "<@U01RAVI02>") {
		t.Errorf("mention escaped in:\n%s", r.stdout)
	}
	// The default format is JSON.
	if d := cliRun(t, "export", "-config", cfg); d.code != exitOK || d.stdout != r.stdout {
		t.Errorf("default export differs from -format json:\n%s", d.stdout)
	}
}

func TestExportJSONEmpty(t *testing.T) {
	dir := t.TempDir()
	cfg := cliConfig(t, dir, "")
	cliSeed(t, filepath.Join(dir, "baton.db"))
	r := cliRun(t, "export", "-config", cfg)
	r.want(t, exitOK)
	if r.stdout != "[]\n" {
		t.Errorf("empty store exports %q, want []", r.stdout)
	}
}

func TestExportCSV(t *testing.T) {
	cfg, _ := seededConfig(t)
	r := cliRun(t, "export", "-config", cfg, "-format", "csv")
	r.want(t, exitOK)
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("not CSV: %v\n%s", err, r.stdout)
	}
	if len(rows) != 4 || rows[0][0] != "id" || rows[0][1] != "title" || rows[0][2] != "status" {
		t.Fatalf("want a header and 3 rows, got %q", rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if rows[2][col["id"]] != "D-2" || rows[2][col["rationale"]] != "costs | support load,\nsee <@U01RAVI02>" ||
		rows[2][col["decided_by"]] != "U01RAVI02" || rows[2][col["decided_at"]] != "2026-11-02T10:00:00Z" {
		t.Errorf("D-2 row = %q", rows[2])
	}
	if rows[3][col["title"]] != `Adopt "quiet Fridays"` || rows[3][col["status"]] != "rejected" {
		t.Errorf("D-3 row = %q", rows[3])
	}
}

func TestExportUsageAndMissingStore(t *testing.T) {
	cfg, _ := seededConfig(t)
	r := cliRun(t, "export", "-config", cfg, "-format", "xml")
	r.want(t, exitUsage)
	if !strings.Contains(r.stderr, `unknown -format "xml" (use json, csv or md)`) || r.stdout != "" {
		t.Errorf("stderr %q stdout %q", r.stderr, r.stdout)
	}

	dir := t.TempDir()
	r = cliRun(t, "export", "-config", cliConfig(t, dir, ""))
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "no store at "+filepath.Join(dir, "baton.db")) || !strings.Contains(r.stderr, "store.path") {
		t.Errorf("missing store: %q", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "baton.db")); err == nil {
		t.Error("export created an empty store")
	}
}

// TestExportWhileServing: serve holds the store's lock, so export reads the
// copy the running baton streams over its admin socket.
func TestExportWhileServing(t *testing.T) {
	cfg, db := seededConfig(t)
	holdStore(t, db, true)
	r := cliRun(t, "export", "-config", cfg, "-format", "csv")
	r.want(t, exitOK)
	if !strings.Contains(r.stdout, "D-3,") {
		t.Errorf("export while serving:\n%s", r.stdout)
	}
}

// holdStore opens the store read-write, as serve does, until the test ends;
// with admin it also answers on the admin socket, as serve does.
func holdStore(t *testing.T, db string, admin bool) *store.Store {
	t.Helper()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if admin {
		ctx, cancel := context.WithCancel(context.Background())
		stop, err := serveAdmin(ctx, st, adminSocket(db), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stop(); cancel() })
	}
	return st
}
