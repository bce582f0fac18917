//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
)

// inUse reports whether another process holds bbolt's lock on path, without
// mapping the file: it works on a damaged file too. A writer holds an
// exclusive flock, so a shared one fails while it runs.
func inUse(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) // closing unlocks too
	return false, nil
}
