package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
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
	cfg, st, db := backupStore(t, ", backup_keep: 2", true)
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

// TestScheduledBackupOfDamagedStoreIsNotKept: the store goes bad under a
// running baton (pages overwritten after Open). The backup copies the bad
// pages; its check fails, and it is deleted. It used to keep the normal
// backup name, so it counted as the newest backup: the restore advice named
// it and pruning deleted a good one in its place.
func TestScheduledBackupOfDamagedStoreIsNotKept(t *testing.T) {
	cfg, st, db := backupStore(t, ", backup_keep: 1", true)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	day := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	if err := backupNow(cfg, st, day, log); err != nil {
		t.Fatal(err)
	}
	good := store.ScheduledBackupName(db, day)

	f, err := os.OpenFile(db, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := []byte(strings.Repeat("\xa5\x5a\xff\x00\x13\x37\xbe\xef", int(fi.Size()/8)))
	if _, err := f.WriteAt(junk[:fi.Size()-8192], 8192); err != nil { // keep the two meta pages
		t.Fatal(err)
	}
	f.Close()

	err = backupNow(cfg, st, day.AddDate(0, 0, 1), log)
	if !errors.Is(err, store.ErrDamaged) {
		t.Fatalf("backup of a damaged store: %v, want damaged", err)
	}
	kept, _ := store.ScheduledBackups(db)
	if len(kept) != 1 || kept[0] != good {
		t.Errorf("backups %v, want only the good one %s", kept, good)
	}
	left, _ := filepath.Glob(db + ".backup-*")
	if len(left) != 1 {
		t.Errorf("files left beside the store: %v, want only %s", left, good)
	}
}

// TestBackupJobCountsFromItsFirstStart: with backups just turned on and
// none taken yet, baton_job_last_success_timestamp_seconds{job="backup"}
// is the start, not 0 (which BatonJobNotRun read as "never, page now").
func TestBackupJobCountsFromItsFirstStart(t *testing.T) {
	cfg, st, _ := backupStore(t, "", false)
	before := time.Now().Add(-time.Second)
	stop, err := startBackups(context.Background(), cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if last, err := st.LastRun(bot.JobBackup); err != nil || last.Before(before) {
		t.Errorf("backup job's last run %v (%v), want its first start", last, err)
	}
}

// backupStore opens a store in a temporary directory (with one decision
// when seeded) and a config backing it up at 02:00 with the extra store
// keys given, closed when t ends.
func backupStore(t *testing.T, extra string, seeded bool) (*config.Config, *store.Store, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "baton.db")
	if seeded {
		cliSeed(t, db, cliDecision("Ship it", "product", decisions.StatusOpen, ""))
	}
	cfg, err := config.Parse("c.yaml", []byte("store: {path: "+db+", backup_schedule: '0 2 * * *'"+extra+"}\ndomains: [{name: product, owners: [U01RAVI02]}]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return cfg, st, db
}
