package store

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Every write goes through the single writer (Store.update), so requests
// share commits; a direct db.Update would pay a commit of its own on the
// ack path. Only the writer itself, and opening, may call it (directly
// or through guardedUpdate).
func TestWritesGoThroughTheWriter(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "writer.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if strings.Contains(line, ".db.Update(") || strings.Contains(line, ".guardedUpdate(") {
				t.Errorf("%s:%d writes outside the writer: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// A write that panics fails alone; the writer, and the writes grouped
// with it, carry on.
func TestPanickingWriteFailsAlone(t *testing.T) {
	s := newTestDB(t)
	err := s.Store.update(func(tx *bolt.Tx) error { panic("a bug in a callback") })
	if err == nil || !strings.Contains(err.Error(), "a bug in a callback") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
	if err := s.Probe(time.Now()); err != nil {
		t.Fatalf("the writer died with the panicking write: %v", err)
	}
}
