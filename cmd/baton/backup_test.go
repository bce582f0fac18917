package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// wantBackupOf checks that the copy at path opens and holds what was seeded.
func wantBackupOf(t *testing.T, path string) {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	defer st.Close()
	if n, err := st.Count(); err != nil || n != 3 {
		t.Errorf("backup holds %d decisions (%v), want 3", n, err)
	}
	d, err := st.Decision(2)
	if err != nil || d.Title != "Drop the free tier" || d.Status != decisions.StatusApproved {
		t.Errorf("backup D-2 = %+v, %v", d, err)
	}
	if err := st.Check(); err != nil {
		t.Errorf("backup is inconsistent: %v", err)
	}
	if _, err := os.Stat(path + ".tmp"); err == nil {
		t.Error("a .tmp file was left behind")
	}
}

func TestBackup(t *testing.T) {
	cfg, _ := seededConfig(t)
	dest := filepath.Join(t.TempDir(), "copy.db")
	r := cliRun(t, "backup", "-config", cfg, dest)
	r.want(t, exitOK)
	if !strings.HasPrefix(r.stdout, "backed up ") || !strings.Contains(r.stdout, dest) {
		t.Errorf("stdout %q", r.stdout)
	}
	wantBackupOf(t, dest)
}

func TestBackupWhileServing(t *testing.T) {
	cfg, db := seededConfig(t)
	live := holdStore(t, db, true)
	dest := filepath.Join(t.TempDir(), "copy.db")
	r := cliRun(t, "backup", "-config", cfg, dest)
	r.want(t, exitOK)
	if !strings.Contains(r.stdout, "from the running baton") {
		t.Errorf("stdout %q", r.stdout)
	}
	wantBackupOf(t, dest)
	// The running store is untouched and still writable.
	if _, err := live.CreateDecision(cliDecision("after the backup", "company", decisions.StatusOpen, ""), nil); err != nil {
		t.Errorf("store after backup: %v", err)
	}
}

func TestBackupLockedWithoutAdminSocket(t *testing.T) {
	cfg, db := seededConfig(t)
	holdStore(t, db, false)
	dest := filepath.Join(t.TempDir(), "copy.db")
	r := cliRun(t, "backup", "-config", cfg, dest)
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "is another baton running on this file?") || !strings.Contains(r.stderr, adminSocket(db)) {
		t.Errorf("stderr %q", r.stderr)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Error("a failed backup left a file")
	}
}

func TestBackupUsage(t *testing.T) {
	cfg, db := seededConfig(t)
	for _, args := range [][]string{{"backup", "-config", cfg}, {"backup", "-config", cfg, "a.db", "b.db"}} {
		r := cliRun(t, args...)
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "give the one file to write") || !strings.Contains(r.stderr, "Usage: baton backup") {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
	// Backing up onto the store itself would replace it.
	r := cliRun(t, "backup", "-config", cfg, db)
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "is the store itself") {
		t.Errorf("stderr %q", r.stderr)
	}
	wantBackupOf(t, db)
}
