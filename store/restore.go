package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// ErrHealthy is returned, wrapped, by Restore when the store it would
// replace is in good order: restoring would lose everything since the backup.
var ErrHealthy = errors.New("the store is in good order")

// Verify opens the file at path read-only and runs the full Check, then
// reports how many decisions it holds. It is how a backup is judged before
// it replaces anything.
func Verify(path string) (int, error) {
	s, err := Open(path, Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if err := s.Check(); err != nil {
		return 0, err
	}
	return s.Count()
}

// RestoreResult says what Restore did.
type RestoreResult struct {
	Decisions int    // in the restored store
	KeptAs    string // where the replaced file now is; empty when there was none
}

// Restore replaces the store at path with a verified copy of backup. The
// file it replaces is never deleted: it is renamed to path.damaged-STAMP
// (or path.replaced-STAMP when force replaced a healthy store) first, and
// the copy is written beside path and renamed into place, so at every
// moment path is either the old file or the whole backup.
//
// It refuses when backup does not pass the full check, when a running
// baton holds path, and, unless force, when path is a healthy store.
func Restore(backup, path string, now time.Time, force bool) (RestoreResult, error) {
	var res RestoreResult
	if sameFile(backup, path) {
		return res, fmt.Errorf("%s is the store itself: give the backup file to restore from", backup)
	}
	n, err := Verify(backup)
	if err != nil {
		return res, fmt.Errorf("the backup %s is not usable, nothing was changed: %w", backup, err)
	}
	res.Decisions = n

	suffix := ".damaged-"
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return res, fmt.Errorf("%s is a directory, not a store: point store.path at a file; nothing was changed", path)
	} else if err == nil {
		if busy, err := inUse(path); err != nil {
			return res, fmt.Errorf("restore to %s: %w", path, err)
		} else if busy {
			return res, fmt.Errorf("%s is in use: stop the running baton first; nothing was changed", path)
		}
		// A store that opens and checks clean is not replaced by mistake.
		cur, err := Open(path, Options{ReadOnly: true, Timeout: time.Second})
		switch {
		case errors.Is(err, ErrLocked):
			return res, fmt.Errorf("%s is in use: stop the running baton first; nothing was changed", path)
		case err == nil:
			checkErr := cur.Check()
			_ = cur.Close() // read-only; nothing to lose
			if checkErr == nil && !force {
				return res, fmt.Errorf("%s: %w; restoring %s would lose what changed since the backup (pass -force to replace it anyway; it would be kept)", path, ErrHealthy, backup)
			}
			if checkErr == nil {
				suffix = ".replaced-"
			}
		}
		res.KeptAs = asideName(path, suffix, now)
		if err := os.Rename(path, res.KeptAs); err != nil {
			return res, fmt.Errorf("keep %s aside: %w; nothing was changed", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return res, fmt.Errorf("restore to %s: %w", path, err)
	}
	if err := copyFile(backup, path); err != nil {
		if res.KeptAs != "" {
			// Put the old file back, so a failed restore changes nothing.
			if rerr := os.Rename(res.KeptAs, path); rerr == nil {
				res.KeptAs = ""
			}
		}
		return res, fmt.Errorf("restore %s to %s: %w", backup, path, err)
	}
	return res, nil
}

// asideName is path.SUFFIXstamp, numbered if that name is taken, so one
// kept file never replaces another.
func asideName(path, suffix string, now time.Time) string {
	base := path + suffix + now.UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// copyFile copies src to dst through dst.tmp, synced, then renamed.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = out.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = io.Copy(out, in); err != nil {
		return err
	}
	if err = out.Sync(); err != nil {
		return err
	}
	if err = out.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, dst); err != nil {
		return err
	}
	// The rename is durable once the directory is synced.
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

func sameFile(a, b string) bool {
	ia, err1 := os.Stat(a)
	ib, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(ia, ib)
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

// backupStamp names scheduled backups; it sorts by time.
const backupStamp = "20060102T150405Z"

// ScheduledBackupName is where a scheduled backup taken at t is written:
// beside the store, path.backup-STAMP.
func ScheduledBackupName(path string, t time.Time) string {
	return path + ".backup-" + t.UTC().Format(backupStamp)
}

// ScheduledBackups lists the scheduled backups of the store at path,
// newest first.
func ScheduledBackups(path string) ([]string, error) {
	matches, err := filepath.Glob(globEscape(path) + ".backup-*")
	if err != nil {
		return nil, fmt.Errorf("list backups of %s: %w", path, err)
	}
	var out []string
	for _, m := range matches {
		stamp := strings.TrimPrefix(m, path+".backup-")
		if _, err := time.Parse(backupStamp, stamp); err == nil {
			out = append(out, m)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out, nil
}

// PruneBackups deletes all but the newest keep scheduled backups of the
// store at path, returning the names deleted.
func PruneBackups(path string, keep int) ([]string, error) {
	all, err := ScheduledBackups(path)
	if err != nil || len(all) <= keep {
		return nil, err
	}
	var gone []string
	for _, old := range all[max(keep, 0):] {
		if err := os.Remove(old); err != nil {
			return gone, fmt.Errorf("prune backup: %w", err)
		}
		gone = append(gone, old)
	}
	return gone, nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}
