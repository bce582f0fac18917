package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
)

// ErrDamaged is returned, wrapped in a *DamagedError, when the file is not
// a store bbolt can safely read: empty, truncated, or with pages that are
// not what the tree says they are. Check it with errors.Is.
var ErrDamaged = errors.New("the store is damaged")

// DamagedError says which file is damaged and how.
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the store at %s is damaged (%s)", e.Path, e.Reason)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

func damaged(path, format string, args ...any) error {
	return &DamagedError{Path: path, Reason: fmt.Sprintf(format, args...)}
}

// bbolt's on-disk header, read here without mapping the file: bbolt maps
// whatever the header claims, and touching a page past the end of a
// truncated file is a fault the runtime cannot always turn into a panic.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	metaSumOffset  = 56 // the checksum covers the meta up to itself
	metaSize       = metaSumOffset + 8
)

type diskMeta struct {
	pageSize uint32
	freelist uint64
	pgid     uint64 // high water mark: pages below it are in use
	txid     uint64
}

const (
	freelistPageFlag = 0x10
	noFreelist       = ^uint64(0)
)

// readMeta decodes and verifies a meta page held in b.
func readMeta(b []byte) (diskMeta, bool) {
	if len(b) < pageHeaderSize+metaSize {
		return diskMeta{}, false
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	le := binary.NativeEndian // bbolt writes its header in the host's byte order
	if le.Uint32(m[0:]) != boltMagic || le.Uint32(m[4:]) != boltVersion {
		return diskMeta{}, false
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:metaSumOffset])
	if h.Sum64() != le.Uint64(m[metaSumOffset:]) {
		return diskMeta{}, false
	}
	return diskMeta{pageSize: le.Uint32(m[8:]), freelist: le.Uint64(m[32:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
}

// preflight refuses, before bbolt maps it, a file that exists but cannot
// be a whole store: empty (bbolt would quietly start a new, empty store on
// it), no valid header, or shorter than the pages its header says are in
// use. A missing file is fine: Open creates it.
func preflight(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("open store %s: it is a directory: point store.path at a file, such as %s", path, filepath.Join(path, "baton.db"))
	}
	size := fi.Size()
	if size == 0 {
		return damaged(path, "the file is empty")
	}
	var best diskMeta
	found := false
	// Meta 0 starts the file; meta 1 is one page further, at the page size
	// meta 0 names, or at a common page size if meta 0 is unreadable.
	offsets := []int64{0, 4096, int64(os.Getpagesize()), 16384, 65536}
	buf := make([]byte, pageHeaderSize+metaSize)
	for i, off := range offsets {
		if n, err := f.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && n == len(buf)) {
			continue
		}
		m, ok := readMeta(buf)
		if !ok || (i > 0 && int64(m.pageSize) != off) {
			continue
		}
		if !found || m.txid > best.txid {
			best, found = m, true
		}
	}
	if !found {
		return damaged(path, "no valid bbolt header: it is not a baton store, or its first pages were overwritten")
	}
	if need := int64(best.pgid) * int64(best.pageSize); size < need {
		return damaged(path, "the file is truncated: %d bytes, its header needs at least %d", size, need)
	}
	if reason := checkFreelist(f, best); reason != "" {
		return damaged(path, "%s", reason)
	}
	return nil
}

// checkFreelist reads the free-page list bbolt loads while opening: a
// panic there would leave bbolt's file lock held until the process ends,
// so it is checked before bbolt sees it.
func checkFreelist(f *os.File, m diskMeta) string {
	if m.freelist == noFreelist {
		return ""
	}
	ps := int64(m.pageSize)
	if m.freelist < 2 || m.freelist >= m.pgid {
		return fmt.Sprintf("the free-page list is at page %d, outside the file", m.freelist)
	}
	var hdr [pageHeaderSize]byte
	if _, err := f.ReadAt(hdr[:], int64(m.freelist)*ps); err != nil {
		return fmt.Sprintf("cannot read the free-page list: %v", err)
	}
	le := binary.NativeEndian
	id, flags, count, overflow := le.Uint64(hdr[0:]), le.Uint16(hdr[8:]), uint64(le.Uint16(hdr[10:])), uint64(le.Uint32(hdr[12:]))
	if id != m.freelist || flags&freelistPageFlag == 0 || m.freelist+overflow >= m.pgid {
		return fmt.Sprintf("page %d should hold the free-page list and does not", m.freelist)
	}
	body := make([]byte, (overflow+1)*uint64(ps)-pageHeaderSize)
	if _, err := f.ReadAt(body, int64(m.freelist)*ps+pageHeaderSize); err != nil {
		return fmt.Sprintf("cannot read the free-page list: %v", err)
	}
	ids := body
	if count == 0xFFFF { // the real count is the first element
		count, ids = le.Uint64(body), body[8:]
	}
	if count > uint64(len(ids)/8) {
		return fmt.Sprintf("the free-page list claims %d pages, more than it can hold", count)
	}
	for i := range count {
		if p := le.Uint64(ids[i*8:]); p < 2 || p >= m.pgid {
			return fmt.Sprintf("the free-page list names page %d, outside the file", p)
		}
	}
	return ""
}

// guard runs f, turning a panic or a memory fault inside bbolt (a page that
// is not what the tree points at) into a *DamagedError. bbolt trusts the
// file; this is where Baton stops trusting it.
func guard(path string, f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = damaged(path, "reading it failed: %v", r)
		}
	}()
	return f()
}
