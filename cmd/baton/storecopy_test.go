package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
)

var sumLine = regexp.MustCompile(`^ok: copied (\S+(?: \S+)?) to (\S+(?: \S+)?) and verified: 3 decisions, 2 outbox items, 1 message refs, 1 away records, 2 job runs; sha256 ([0-9a-f]{64})\n$`)

// TestStoreCopy moves a register from bbolt to PostgreSQL and back: ids,
// history, outbox, refs, away records and job runs arrive, the checksum
// matches at every hop, and a copy into a store that holds data is refused.
func TestStoreCopy(t *testing.T) {
	dsn := pgTestDSN(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "baton.db")
	cliSeed(t, src,
		cliDecision("Open offices on Fridays", "company", decisions.StatusOpen, ""),
		cliDecision("Ship the beta", "product", decisions.StatusApproved, "customers asked"),
		cliDecision("Drop IE support", "product", decisions.StatusRejected, "too soon"))
	st, err := store.Open(src, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		st.Enqueue(store.OutboxItem{Key: "D-1/dm/U01RAVI02", Body: []byte(`{"kind":"dm"}`)}, store.OutboxItem{Key: "D-2/outcome", Attempts: 2, LastError: "ratelimited"}),
		st.SetRef("D-1/announce", decisions.MessageRef{Channel: "C1", TS: "1.1"}),
		st.SetAway(store.Away{User: "U01RAVI02", Until: cliT0.Add(72 * time.Hour), Delegate: "U01MAYA01"}),
		st.CompleteRun("digest", cliT0),
		st.CompleteRun("reminders", cliT0.Add(time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	r := cliRun(t, "store", "copy", "-from", "bbolt:"+src, "-to", "postgres:"+dsn)
	r.want(t, exitOK)
	m := sumLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("copy to postgres printed %q", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, "search_path") {
		t.Errorf("the DSN was printed: %q", r.stdout)
	}
	toPG := m[3]

	// Into a store that is not empty: refused, nothing doubled.
	r = cliRun(t, "store", "copy", "-from", "bbolt:"+src, "-to", "postgres:"+dsn)
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "copy only into an empty store") {
		t.Errorf("second copy: %q", r.stderr)
	}

	back := filepath.Join(dir, "back.db")
	r = cliRun(t, "store", "copy", "-from", "postgres:"+dsn, "-to", "bbolt:"+back)
	r.want(t, exitOK)
	m = sumLine.FindStringSubmatch(r.stdout)
	if m == nil || m[3] != toPG {
		t.Fatalf("copy back printed %q, want checksum %s", r.stdout, toPG)
	}
	st, err = store.Open(back, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Errorf("the copy back fails its check: %v", err)
	}
	d, err := st.Decision(2)
	if err != nil || d.Title != "Ship the beta" || d.Rationale != "customers asked" {
		t.Errorf("D-2 after the round trip = %+v, %v", d, err)
	}
	// New decisions continue after the copied ids.
	if next, _ := st.PeekNextID(); next != 4 {
		t.Errorf("next id = %s, want D-4", next)
	}

	for _, args := range [][]string{
		{"store", "copy", "-from", "bbolt:" + src},
		{"store", "copy", "-from", "sqlite:x.db", "-to", "bbolt:" + filepath.Join(dir, "y.db")},
		{"store", "move"},
	} {
		if r := cliRun(t, args...); r.code == exitOK {
			t.Errorf("baton %v succeeded", args)
		}
	}
}

// A copy from a database a replica is serving is refused: the copy and its
// checksum would race the replicas' writes.
func TestStoreCopyRefusesAServedDatabase(t *testing.T) {
	dsn := pgTestDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pg, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	leading := make(chan struct{})
	go pg.Lead(ctx, slog.New(slog.DiscardHandler), func(lctx context.Context) { close(leading); <-lctx.Done() })
	<-leading
	r := cliRun(t, "store", "copy", "-from", "postgres:"+dsn, "-to", "bbolt:"+filepath.Join(t.TempDir(), "b.db"))
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "stop every replica before copying") || strings.Contains(r.stderr, "search_path") {
		t.Errorf("copy from a served database: %q", r.stderr)
	}
}
