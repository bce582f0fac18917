package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// TestScheduledBackups: each run writes a verified copy beside the store,
// records the run (for baton_job_last_success_timestamp_seconds) and keeps
// only the newest store.backup_keep.
func TestScheduledBackups(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "baton.db")
	cliSeed(t, db, cliDecision("Ship it", "product", decisions.StatusOpen, ""))
	cfg, err := config.Parse("c.yaml", []byte("store: {path: "+db+", backup_schedule: '0 2 * * *', backup_keep: 2}\ndomains: [{name: product, owners: [U01RAVI02]}]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	day := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := backupNow(cfg, st, day.AddDate(0, 0, i), log); err != nil {
			t.Fatal(err)
		}
	}
	kept, err := store.ScheduledBackups(db)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{db + ".backup-20261128T020000Z", db + ".backup-20261127T020000Z"}
	if len(kept) != 2 || kept[0] != want[0] || kept[1] != want[1] {
		t.Errorf("kept %v, want %v", kept, want)
	}
	if n, err := store.Verify(kept[0]); err != nil || n != 1 {
		t.Errorf("newest backup: %d decisions, %v", n, err)
	}
	if last, err := st.LastRun(bot.JobBackup); err != nil || !last.Equal(day.AddDate(0, 0, 2)) {
		t.Errorf("last backup run %v (%v), want %v", last, err, day.AddDate(0, 0, 2))
	}
}

// TestServeLoggerFollowsConfig: log.format json gives JSON lines, and a
// -log-level flag wins over log.level.
func TestServeLoggerFollowsConfig(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte("log: {format: json, level: warn}\ndomains: [{name: product, owners: [U01RAVI02]}]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out cliBuffer
	e := cliEnv(nil, &out, nil)
	log := newServeLogger(e, cfg, nil)
	log.Info("hidden")
	log.Warn("shown", "n", 1)
	if got := out.String(); strings.Contains(got, "hidden") || !strings.HasPrefix(got, `{"time":`) || !strings.Contains(got, `"level":"WARN","msg":"shown","n":1}`) {
		t.Errorf("json at warn: %q", got)
	}
	debug := slog.LevelDebug
	newServeLogger(e, cfg, &debug).Debug("now shown")
	if !strings.Contains(out.String(), `"msg":"now shown"`) {
		t.Errorf("-log-level debug did not win over log.level: %q", out.String())
	}
}
