//go:build linux

package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// trim drops the pages of the store's memory map from this process's
// resident set. The kernel maps a whole neighbourhood of the file around
// every page a scan touches (fault-around), so one pass over a few thousand
// scattered decisions leaves hundreds of MB of the file counted in RSS. The
// pages stay in the page cache; a later read maps them again. tx keeps the
// mapping from moving while it is advised.
func trim(tx *bolt.Tx) {
	info := tx.DB().Info()
	if info == nil || info.Data == 0 || tx.Size() <= 0 {
		return
	}
	// Errors are ignored: it only makes RSS smaller, never changes data.
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}
