package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// damagedFixture writes a store with enough decisions to span many pages,
// closes it, and returns its path and size.
func damagedFixture(t *testing.T) (string, int64) {
	t.Helper()
	h := newTestDB(t)
	long := strings.Repeat("details that fill pages ", 40)
	for i := range 400 {
		d := proposal(fmt.Sprintf("decision %d %s", i, long), "U1", "product", "U2")
		h.create(d)
	}
	h.close()
	fi, err := os.Stat(h.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 512<<10 {
		t.Fatalf("fixture is only %d bytes; the damage below needs a bigger file", fi.Size())
	}
	return h.path, fi.Size()
}

// TestOpenExplainsDamagedFiles: every kind of damage stops Open with a
// *DamagedError naming the file, never a panic, never a fresh empty store,
// and the damaged file is left as it was, for a post-mortem.
func TestOpenExplainsDamagedFiles(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, size int64)
		reason string
	}{
		{"zero length", func(t *testing.T, path string, _ int64) {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
		}, "empty"},
		{"truncated to half", func(t *testing.T, path string, size int64) {
			if err := os.Truncate(path, size/2); err != nil {
				t.Fatal(err)
			}
		}, "truncated"},
		{"64 KiB of garbage in the middle", func(t *testing.T, path string, size int64) {
			overwrite(t, path, size/2, garbage(64<<10))
		}, ""},
		{"a few tree pages overwritten", func(t *testing.T, path string, _ int64) {
			overwrite(t, path, 8*4096, garbage(4*4096))
		}, "says it is page"},
		{"garbage over both headers", func(t *testing.T, path string, _ int64) {
			overwrite(t, path, 0, garbage(32<<10))
		}, "no valid bbolt header"},
		{"not a database at all", func(t *testing.T, path string, _ int64) {
			if err := os.WriteFile(path, []byte("domains:\n  - name: product\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "no valid bbolt header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, size := damagedFixture(t)
			c.damage(t, path, size)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				s, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					_ = s.Close()
					t.Fatalf("read-only %v: a damaged store opened", ro)
				}
				var de *DamagedError
				if !errors.As(err, &de) || !errors.Is(err, ErrDamaged) {
					t.Fatalf("read-only %v: got %v, want a *DamagedError", ro, err)
				}
				if de.Path != path || !strings.Contains(err.Error(), "the store at "+path+" is damaged (") || !strings.Contains(de.Reason, c.reason) {
					t.Errorf("read-only %v: %q, want the path and %q", ro, err, c.reason)
				}
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Errorf("opening changed the damaged file (%d bytes, now %d)", len(before), len(after))
			}
		})
	}
}

// TestOpenCreatesMissingFile: a missing file is a new store, not damage.
func TestOpenCreatesMissingFile(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "new.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); err != nil {
		t.Error(err)
	}
	_ = s.Close()
}

func garbage(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func overwrite(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// treePage returns the root page of bucket in the closed store at path
// (a branch page) and the first leaf page below it.
func treePage(t *testing.T, path, bucket string) (root, leaf uint64, pageSize int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pageSize = db.Info().PageSize
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = db.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket([]byte(bucket)).Root())
		for id := root; ; {
			info, err := tx.Page(int(id))
			if err != nil {
				return err
			}
			switch info.Type {
			case "leaf":
				if id == root {
					return fmt.Errorf("bucket %s is a single leaf page; the test needs a branch", bucket)
				}
				leaf = id
				return nil
			case "branch": // follow the first element's child
				var pgid [8]byte
				if _, err := f.ReadAt(pgid[:], int64(id)*int64(pageSize)+pageHeaderSize+8); err != nil {
					return err
				}
				id = binary.NativeEndian.Uint64(pgid[:])
			default:
				return fmt.Errorf("page %d is a %s page", id, info.Type)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return root, leaf, pageSize
}

// poke writes v at byte off of page id.
func poke(t *testing.T, path string, pageSize int, id uint64, off int, v any) {
	t.Helper()
	b, err := binary.Append(nil, binary.NativeEndian, v)
	if err != nil {
		t.Fatal(err)
	}
	overwrite(t, path, int64(id)*int64(pageSize)+int64(off), b)
}

// TestCheckExplainsPagesWithBadOffsets damages one number inside a tree
// page, the kind of damage bbolt's page-type checks do not see: a key or
// value said to lie far outside its page, a child past the end, a page
// that is not a tree page. bbolt's own Check reads such a page in a
// goroutine where a memory fault cannot be recovered, and used to take the
// process down; Verify (baton check -store, and every backup) and Restore
// now report the file as damaged and carry on, and Open (serve) refuses
// it before anything reads it.
func TestCheckExplainsPagesWithBadOffsets(t *testing.T) {
	const elem = pageHeaderSize // the first element
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
		reason string
	}{
		{"a branch key 1 GiB past its page", func(t *testing.T, path string) {
			root, _, ps := treePage(t, path, bucketDecisions)
			poke(t, path, ps, root, elem, uint32(1<<30))
		}, "outside the page"},
		{"a leaf value 1 GiB long", func(t *testing.T, path string) {
			_, leaf, ps := treePage(t, path, bucketDecisions)
			poke(t, path, ps, leaf, elem+12, uint32(1<<30))
		}, "outside the page"},
		{"a child page past the end of the file", func(t *testing.T, path string) {
			root, _, ps := treePage(t, path, bucketDecisions)
			poke(t, path, ps, root, elem+8, uint64(1<<40))
		}, "outside the"},
		{"a leaf marked as a freelist page", func(t *testing.T, path string) {
			_, leaf, ps := treePage(t, path, bucketDecisions)
			poke(t, path, ps, leaf, 8, uint16(freelistPageFlag))
		}, "neither a branch nor a leaf"},
	}
	backup, _ := damagedFixture(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "baton.db")
			if err := copyFile(backup, path); err != nil {
				t.Fatal(err)
			}
			c.damage(t, path)

			// serve opens the file: it must refuse it there, not start and
			// then fault in the outbox.
			if s, err := Open(path, Options{}); !errors.Is(err, ErrDamaged) {
				if err == nil {
					_ = s.Close()
				}
				t.Fatalf("open: %v, want the store damaged", err)
			}
			_, err := Verify(path)
			if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("verify: %v, want the store damaged (%s)", err, c.reason)
			}
			res, err := Restore(backup, path, time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), false)
			if err != nil {
				t.Fatalf("restore over the damaged store: %v", err)
			}
			if !strings.Contains(res.KeptAs, ".damaged-") || res.Decisions != 400 {
				t.Errorf("restore: %+v, want 400 decisions and the file kept as .damaged-", res)
			}
			if _, err := Verify(path); err != nil {
				t.Errorf("the restored store: %v", err)
			}
		})
	}
}

// TestOpenOnADirectory: a directory at store.path is a mistake in the
// config, not a damaged store to restore over.
func TestOpenOnADirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, Options{})
	if err == nil || errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("open on a directory: %v, want \"is a directory\", not damage", err)
	}
}

// TestOpenReleasesTheLockWhenBboltPanics: bbolt takes the file lock before
// it reads the file; a panic after that used to leave the lock held until
// the process ended, so the next try (or baton restore) saw "is another
// baton running on this file?".
func TestOpenReleasesTheLockWhenBboltPanics(t *testing.T) {
	h := newTestDB(t)
	h.close()
	t.Cleanup(func() { openBolt = bolt.Open })
	openBolt = func(path string, mode os.FileMode, o *bolt.Options) (*bolt.DB, error) {
		open := os.OpenFile
		if o.OpenFile != nil {
			open = o.OpenFile
		}
		f, err := open(path, os.O_RDWR, mode)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			return nil, err
		}
		panic("a page bbolt cannot read")
	}
	if _, err := Open(h.path, Options{}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("open: %v, want damaged", err)
	}
	openBolt = bolt.Open
	if busy, err := inUse(h.path); err != nil || busy {
		t.Errorf("after the panic the file is still locked (%v, %v)", busy, err)
	}
	h.open() // the cleanup checks it
}

// The quick walk Open runs on a large store reads the directory and the
// branch pages but not every leaf: leaf damage is left to the full walk
// (check -store, CheckPages), which finds it.
func TestQuickWalkLeavesLeavesToTheFullWalk(t *testing.T) {
	path, size := damagedFixture(t)
	s, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Damage the file under the open store: the walks read the file.
	overwrite(t, path, size/2, garbage(4*4096))
	var quick, full error
	_ = s.db.View(func(tx *bolt.Tx) error {
		quick, full = quickWalk(path, tx), walkPages(path, tx)
		return nil
	})
	if !errors.Is(full, ErrDamaged) {
		t.Fatalf("full walk: %v, want the damaged leaves found", full)
	}
	if quick != nil {
		t.Logf("the quick walk also found it (the damage hit a page it reads): %v", quick)
	}
	// Damage to the structure — the root of a bucket's tree — is found by
	// the quick walk too.
	var root, ps int64
	_ = s.db.View(func(tx *bolt.Tx) error {
		root, ps = int64(tx.Bucket([]byte(bucketDecisions)).Root()), int64(tx.DB().Info().PageSize)
		return nil
	})
	overwrite(t, path, root*ps, garbage(int(ps)))
	var quick2 error
	_ = s.db.View(func(tx *bolt.Tx) error { quick2 = quickWalk(path, tx); return nil })
	if !errors.Is(quick2, ErrDamaged) {
		t.Errorf("quick walk on damaged directory pages: %v, want damage", quick2)
	}
}
