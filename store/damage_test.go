package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
		}, "reading it failed"},
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
