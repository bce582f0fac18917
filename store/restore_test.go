package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRestoreKeepsTheDamagedFileAside: a truncated store is replaced by a
// verified backup, and the damaged file is kept, never deleted.
func TestRestoreKeepsTheDamagedFileAside(t *testing.T) {
	h := newTestDB(t)
	h.create(proposal("Keep the beta", "U1", "product", "U2"))
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := h.BackupFile(backup); err != nil {
		t.Fatal(err)
	}
	h.create(proposal("Lost with the damage", "U1", "product", "U2"))
	h.close()
	fi, _ := os.Stat(h.path)
	if err := os.Truncate(h.path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	damagedBytes, _ := os.ReadFile(h.path)

	at := time.Date(2026, 11, 30, 15, 4, 5, 0, time.UTC)
	res, err := Restore(backup, h.path, at, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := h.path + ".damaged-20261130T150405Z"; res.KeptAs != want || res.Decisions != 1 {
		t.Errorf("got %+v, want 1 decision and the damaged file kept as %s", res, want)
	}
	kept, err := os.ReadFile(res.KeptAs)
	if err != nil || string(kept) != string(damagedBytes) {
		t.Errorf("the damaged file was not kept as it was (err %v)", err)
	}
	h.open()
	if n, _ := h.Count(); n != 1 {
		t.Errorf("restored store holds %d decisions, want the backup's 1", n)
	}
	h.close()

	// A second restore at the same second never overwrites the first kept file.
	if err := os.Truncate(h.path, 0); err != nil {
		t.Fatal(err)
	}
	res2, err := Restore(backup, h.path, at, false)
	if err != nil {
		t.Fatal(err)
	}
	if res2.KeptAs == res.KeptAs {
		t.Errorf("the second restore reused %s", res.KeptAs)
	}
	if _, err := os.Stat(res.KeptAs); err != nil {
		t.Errorf("the first kept file is gone: %v", err)
	}
	h.open()
}

// TestRestoreRefuses: a damaged backup, a store in use, and a healthy store
// (without force) are refused, and nothing changes.
func TestRestoreRefuses(t *testing.T) {
	h := newTestDB(t)
	h.create(proposal("Keep the beta", "U1", "product", "U2"))
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	if _, err := h.BackupFile(good); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC)

	// The store is open (as serve holds it).
	if _, err := Restore(good, h.path, at, true); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("restore over a running store: %v, want \"in use\"", err)
	}
	h.close()
	if _, err := Restore(bad, h.path, at, true); err == nil || !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "not usable, nothing was changed") {
		t.Errorf("restore from an empty backup: %v", err)
	}
	if _, err := Restore(good, h.path, at, false); !errors.Is(err, ErrHealthy) {
		t.Errorf("restore over a healthy store without force: %v, want ErrHealthy", err)
	}
	if _, err := Restore(h.path, h.path, at, true); err == nil {
		t.Error("restoring the store onto itself was accepted")
	}
	if m, _ := filepath.Glob(h.path + ".*"); len(m) != 0 {
		t.Errorf("refused restores left files: %v", m)
	}
	res, err := Restore(good, h.path, at, true)
	if err != nil || !strings.Contains(res.KeptAs, ".replaced-") {
		t.Errorf("forced restore: %+v, %v; want the healthy file kept as .replaced-…", res, err)
	}
	h.open()
}

// TestScheduledBackupsPrunedOldestFirst keeps the newest backups.
func TestScheduledBackupsPrunedOldestFirst(t *testing.T) {
	h := newTestDB(t)
	for d := range 4 {
		if _, err := h.BackupFile(ScheduledBackupName(h.path, t0.AddDate(0, 0, d))); err != nil {
			t.Fatal(err)
		}
	}
	gone, err := PruneBackups(h.path, 2)
	if err != nil || len(gone) != 2 {
		t.Fatalf("pruned %v, %v; want the 2 oldest", gone, err)
	}
	left, _ := ScheduledBackups(h.path)
	if len(left) != 2 || left[0] != ScheduledBackupName(h.path, t0.AddDate(0, 0, 3)) {
		t.Errorf("left %v, want the 2 newest, newest first", left)
	}
}

// TestRestoreRefusesADirectory: a directory at the store's path is a
// config mistake; it is not moved aside as if it were a damaged store.
func TestRestoreRefusesADirectory(t *testing.T) {
	h := newTestDB(t)
	h.create(proposal("Keep the beta", "U1", "product", "U2"))
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := h.BackupFile(backup); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err := Restore(backup, dir, time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), false)
	if err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("restore over a directory: %v, want refused", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Errorf("the directory was moved: %v", err)
	}
}
