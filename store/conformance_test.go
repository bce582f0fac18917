package store_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/storetest"
)

// TestConformance runs the shared store suite against bbolt. It cannot use
// newTestDB (an import cycle: storetest imports store), so it repeats its
// few lines: a real file, checked (pages and every index) when closed.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Backend {
		s, err := store.Open(filepath.Join(t.TempDir(), "baton.db"), store.Options{Timeout: 100 * time.Millisecond, Now: now})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Check(); err != nil {
				t.Errorf("consistency check: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return s
	})
}
