package pgstore_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/baton-app/baton/store"
)

// A key must never be both delivered and pending: that is a second post.
// Deterministic: OutboxDone's transaction is open (outbox row deleted,
// delivered row inserted, not committed) when another replica Enqueues the
// same key (Slack retry of an event whose reply key is "reply/<event>").
func TestEnqueueRacingOutboxDone(t *testing.T) {
	s := Open(t, nil)
	now := time.Now()
	const key = "reply/Ev1"
	if err := s.Enqueue(store.OutboxItem{Key: key, Body: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// exactly OutboxDone's first two statements
	if _, err := tx.Exec(ctx, "DELETE FROM outbox WHERE key = $1", []byte(key)); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO delivered (key, at) VALUES ($1, $2)", []byte(key), now.UnixNano()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- s.Enqueue(store.OutboxItem{Key: key, Body: []byte(`{}`)}) }()
	// Wait, by asking the server rather than the clock, until Enqueue is
	// blocked on the row the open transaction deleted.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting bool
		if err := s.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Enqueue never waited on the row being delivered")
		}
		runtime.Gosched()
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pending, _ := s.OutboxPending(key)
	delivered, _ := s.Delivered(key)
	if pending && delivered {
		t.Fatalf("key %s was delivered AND is pending again: it will be sent a second time", key)
	}
}

// The same with the real calls racing, no hand-made transaction.
func TestEnqueueRacingOutboxDoneConcurrently(t *testing.T) {
	s := Open(t, nil)
	dups := 0
	for i := 0; i < 300; i++ {
		key := "reply/Ev" + time.Now().Format("150405.000000000")
		if err := s.Enqueue(store.OutboxItem{Key: key, Body: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _ = s.OutboxDone(key, time.Now(), nil) }()
		go func() { defer wg.Done(); _ = s.Enqueue(store.OutboxItem{Key: key, Body: []byte(`{}`)}) }()
		wg.Wait()
		p, _ := s.OutboxPending(key)
		d, _ := s.Delivered(key)
		if p && d {
			dups++
		}
	}
	if dups > 0 {
		t.Fatalf("%d of 300 keys delivered and pending again (would be sent twice)", dups)
	}
}
