package pgstore_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
	"github.com/baton-app/baton/store/storetest"
)

func openFast(t *testing.T, schema string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{Schema: schema, Now: now, CampaignEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestOneLeaderAndFailover: of two replicas one leads; when its connection
// is killed (as when its process dies) it stops leading with ErrLostLead
// and the other takes over.
func TestOneLeaderAndFailover(t *testing.T) {
	if dsn == "" {
		t.SkipNow()
	}
	schema := newSchema(t)
	a, b := openFast(t, schema), openFast(t, schema)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var leading atomic.Int32
	var who atomic.Value
	var killed atomic.Bool
	lead := func(name string) func(ctx context.Context) {
		return func(ctx context.Context) {
			// Once a's connection is killed, a lives on until its next
			// check: that overlap is the one PostgreSQL allows.
			if n := leading.Add(1); n != 1 && !killed.Load() {
				t.Errorf("%d leaders at once", n)
			}
			who.Store(name)
			<-ctx.Done()
			leading.Add(-1)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() { errA <- a.Lead(ctx, log, lead("a")) }()
	waitFor(t, func() bool { return who.Load() == "a" })
	go func() { errB <- b.Lead(ctx, log, lead("b")) }()
	time.Sleep(200 * time.Millisecond) // b campaigns a few times, and loses
	if who.Load() != "a" {
		t.Fatalf("leader %v, want a still", who.Load())
	}
	// Kill a's lock connection, as PostgreSQL sees a SIGKILLed process.
	killed.Store(true)
	if _, err := a.Pool().Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2
		  AND objid::text::bigint = hashtext($2)::bigint & 4294967295`, 0x62740002, schema); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errA:
		if !errors.Is(err, pgstore.ErrLostLead) {
			t.Errorf("a's Lead = %v, want ErrLostLead", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a kept leading without its lock")
	}
	waitFor(t, func() bool { return who.Load() == "b" })
	cancel()
	if err := <-errB; err != nil {
		t.Errorf("b's Lead after cancel = %v", err)
	}
}

// TestListenWakesOnEnqueue: an enqueue on one replica wakes another's
// listener.
func TestListenWakesOnEnqueue(t *testing.T) {
	if dsn == "" {
		t.SkipNow()
	}
	schema := newSchema(t)
	a, b := openFast(t, schema), openFast(t, schema)
	woke := make(chan struct{}, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.Listen(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), func() { woke <- struct{}{} })
	<-woke // the first wake comes when it starts listening
	if err := a.Enqueue(store.OutboxItem{Key: "k", NotBefore: storetest.T0}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("no wake after an enqueue on another replica")
	}
}

// waitFor polls cond: leadership moves on the database's time, not a
// clock the test can move.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
