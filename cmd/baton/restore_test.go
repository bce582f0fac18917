package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
)

// TestDamagedStoreStopsServeAndRestoreMendsIt: serve on a truncated or
// empty store exits 1 with what to do, without a panic and without
// starting over on an empty store; check -store says the same; restore
// puts the backup back, keeps the damaged file, and serve's check passes.
func TestDamagedStoreStopsServeAndRestoreMendsIt(t *testing.T) {
	for _, damage := range []string{"truncated", "empty"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "baton.db")
			cfg := cliConfig(t, dir, "slack: {bot_token: xoxb-test, signing_secret: s3cret, api_url: 'http://127.0.0.1:1/'}\n")
			var many []decisions.Decision
			for range 200 {
				many = append(many, cliDecision("Ship the beta "+strings.Repeat("with details ", 60), "product", decisions.StatusOpen, ""))
			}
			cliSeed(t, db, many...)
			backup := filepath.Join(dir, "nightly.db")
			cliRun(t, "backup", "-config", cfg, backup).want(t, exitOK)

			fi, err := os.Stat(db)
			if err != nil {
				t.Fatal(err)
			}
			size := fi.Size() / 2
			if damage == "empty" {
				size = 0
			}
			if err := os.Truncate(db, size); err != nil {
				t.Fatal(err)
			}

			r := cliRun(t, "serve", "-config", cfg)
			r.want(t, exitFail)
			want := "baton serve: the store at " + db + " is damaged ("
			if !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "): restore the latest backup with `baton restore FILE`") {
				t.Errorf("serve on a %s store said:\n%s\nwant %q… and how to restore", damage, r.stderr, want)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
				t.Errorf("serve panicked:\n%s", r.stderr)
			}
			if fi, _ := os.Stat(db); fi.Size() != size {
				t.Errorf("serve changed the damaged file: %d bytes, was %d", fi.Size(), size)
			}

			r = cliRun(t, "check", "-store", "-config", cfg)
			r.want(t, exitFail)
			if !strings.Contains(r.stderr, "is damaged (") {
				t.Errorf("check -store: %s", r.stderr)
			}

			cliRun(t, "restore", "-config", cfg).want(t, exitUsage)
			r = cliRun(t, "restore", "-config", cfg, backup)
			r.want(t, exitOK)
			if !strings.Contains(r.stdout, "restored "+db+" from "+backup+" (200 decisions)") || !strings.Contains(r.stdout, "kept as "+db+".damaged-") {
				t.Errorf("restore said %q", r.stdout)
			}
			kept, _ := filepath.Glob(db + ".damaged-*")
			if len(kept) != 1 {
				t.Fatalf("kept files %v, want the damaged one", kept)
			}
			if fi, _ := os.Stat(kept[0]); fi.Size() != size {
				t.Errorf("the kept file is %d bytes, the damaged one was %d", fi.Size(), size)
			}
			r = cliRun(t, "check", "-store", "-config", cfg)
			r.want(t, exitOK)
			if !strings.Contains(r.stdout, "ok: store "+db+": 200 decisions, every page and index checked") {
				t.Errorf("check -store after restore: %q", r.stdout)
			}
			// A healthy store is not replaced without -force.
			r = cliRun(t, "restore", "-config", cfg, backup)
			r.want(t, exitFail)
			if !strings.Contains(r.stderr, "in good order") || !strings.Contains(r.stderr, "-force") {
				t.Errorf("restore over a healthy store: %q", r.stderr)
			}
		})
	}
}

// TestDamagedStoreNamesTheLatestScheduledBackup: when scheduled backups
// exist beside the store, the advice names the newest.
func TestDamagedStoreNamesTheLatestScheduledBackup(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "baton.db")
	cfg := cliConfig(t, dir, "slack: {bot_token: xoxb-test, signing_secret: s3cret, api_url: 'http://127.0.0.1:1/'}\n")
	cliSeed(t, db, cliDecision("Ship it", "product", decisions.StatusOpen, ""))
	for _, stamp := range []string{"20261128T020000Z", "20261129T020000Z"} {
		cliRun(t, "backup", "-config", cfg, db+".backup-"+stamp).want(t, exitOK)
	}
	if err := os.WriteFile(db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := cliRun(t, "serve", "-config", cfg)
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "`baton restore "+db+".backup-20261129T020000Z`") {
		t.Errorf("serve did not name the newest backup:\n%s", r.stderr)
	}
}

// TestServeRefusesTheExampleByDefault: with no config.yaml, serve does not
// fall back to the example company; named with -config, the example is
// served as asked (it gets as far as wanting Slack credentials).
func TestServeRefusesTheExampleByDefault(t *testing.T) {
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.example.yaml"), example, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	r := cliRun(t, "serve")
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "will not run the example company") || !strings.Contains(r.stderr, "-config config.example.yaml") {
		t.Errorf("serve with only the example here: %q", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "baton.db")); err == nil {
		t.Error("serve created a store for the example company")
	}
	r = cliRun(t, "serve", "-config", "config.example.yaml")
	r.want(t, exitFail)
	if strings.Contains(r.stderr, "example company") || !strings.Contains(r.stderr, "serve needs Slack credentials") {
		t.Errorf("serve -config config.example.yaml: %q", r.stderr)
	}
}
