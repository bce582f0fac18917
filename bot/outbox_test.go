package bot_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// countIn counts chat.postMessage posts in channel.
func countIn(e *e2e, channel string) int { return len(where(e.fake.Posts(), in(channel))) }

// TestRateLimitedThenDelivered: a 429 with Retry-After holds the message
// exactly that long, then it is delivered once.
func TestRateLimitedThenDelivered(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNext("chat.postMessage", http.StatusTooManyRequests, 30*time.Second, 1)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	// The first post (Ravi's DM) was refused; the announcement went out.
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 0 {
		t.Fatalf("DM delivered despite the 429")
	}
	if n := countIn(e, chProduct); n != 1 {
		t.Fatalf("a 429 on one message held up another: %d announcements", n)
	}
	e.clock.Advance(29 * time.Second)
	e.flush()
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 0 {
		t.Fatalf("DM sent before Retry-After elapsed")
	}
	e.clock.Advance(2 * time.Second)
	e.flush()
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 1 {
		t.Fatalf("after Retry-After: %d DMs, want exactly 1", n)
	}
	e.clock.Advance(time.Hour)
	e.flush()
	if n := len(e.fake.Posts()); n != 2 {
		t.Errorf("%d posts, want 2: %v", n, texts(e.fake.Posts()))
	}
	if n := e.fake.Calls("chat.postMessage"); n != 3 {
		t.Errorf("%d chat.postMessage calls, want 3 (one refused)", n)
	}
}

// TestSlackDownThenRecovers: 5xx and Slack's own transient errors delay
// messages with backoff; nothing is lost or sent twice.
func TestSlackDownThenRecovers(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNext("chat.postMessage", http.StatusServiceUnavailable, 0, 5)
	e.fake.FailNextError("chat.postMessage", "internal_error", 2)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(tom, chProduct, "Sunset the legacy importer #product")
	for i := 0; i < 30 && e.fake.Calls("chat.postMessage") < 7; i++ {
		e.flush()
		e.clock.Advance(time.Minute)
	}
	if n := e.fake.Calls("chat.postMessage"); n < 7 {
		t.Fatalf("only %d attempts while Slack was down", n)
	}
	e.clock.Advance(time.Hour)
	e.flush()
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 2 {
		t.Errorf("%d DMs to the decider, want 2", n)
	}
	if n := countIn(e, chProduct); n != 2 {
		t.Errorf("%d announcements, want 2", n)
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
}

// TestPermanentRefusalDoesNotBlock: a message Slack refuses for good
// (channel_not_found) is dropped and logged; the rest still go out.
func TestPermanentRefusalDoesNotBlock(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNextError("chat.postMessage", "channel_not_found", 1)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	if n := countIn(e, chProduct); n != 1 {
		t.Errorf("%d announcements, want 1", n)
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages stuck behind a refused one", n)
	}
	if !e.log.has("Slack refused message") {
		t.Error("the dropped message was not logged")
	}
}

// TestRevokedTokenKeepsMessages: errors about the token or the app's
// scopes affect every message, so they are retried, not dropped: once an
// admin fixes the installation, everything queued goes out.
func TestRevokedTokenKeepsMessages(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNextError("chat.postMessage", "token_revoked", 2)
	e.fake.FailNextError("conversations.open", "missing_scope", 1)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	if n, _ := e.st.OutboxLen(); n == 0 {
		t.Fatal("messages were dropped on an installation error")
	}
	for range 10 {
		e.clock.Advance(time.Minute)
		e.flush()
	}
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 1 {
		t.Errorf("%d DMs to the decider after recovery, want 1", n)
	}
	if n := countIn(e, chProduct); n != 1 {
		t.Errorf("%d announcements after recovery, want 1", n)
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
}

// TestRestartDeliversPending: messages committed but not yet sent when
// Baton stops are sent, once, after it starts again.
func TestRestartDeliversPending(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNext("chat.postMessage", http.StatusTooManyRequests, 10*time.Second, 1)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush() // the DM is rate limited, the announcement goes out
	e.command(tom, chProduct, "Sunset the legacy importer #product")
	pending, _ := e.st.OutboxLen()
	if pending != 3 {
		t.Fatalf("%d pending before the restart, want 3", pending)
	}

	e.restart()
	e.clock.Advance(time.Minute)
	e.flush()
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 2 {
		t.Errorf("%d DMs after the restart, want 2", n)
	}
	if n := countIn(e, chProduct); n != 2 {
		t.Errorf("%d announcements after the restart, want 2", n)
	}
	// And the decision still works end to end: outcome in the thread of
	// the announcement sent before the restart.
	ann := where(e.fake.Posts(), in(chProduct))[0]
	e.restart()
	e.command(ravi, chRandom, "approve D-1")
	e.flush()
	thread := where(e.fake.Posts(), func(p slackfake.Post) bool { return in(chProduct)(p) && p.ThreadTS == ann.TS })
	if len(thread) != 1 {
		t.Errorf("outcome in the announcement's thread after restarts: %d posts", len(thread))
	}
}

// TestPacing: with the default pace (about one post a second per
// channel), two announcements to one channel are not sent together, and
// another channel is not held up.
func TestPacing(t *testing.T) {
	e := newE2E(t, e2eOptions{paced: true, pace: 0})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(tom, chProduct, "Sunset the legacy importer #product")
	e.command(tom, chPricing, "Raise the team plan price #pricing")
	e.flush()
	if n := countIn(e, chProduct); n != 1 {
		t.Fatalf("%d posts to one channel at the same instant, want 1", n)
	}
	if n := countIn(e, chPricing); n != 1 {
		t.Errorf("another channel was held up: %d posts", n)
	}
	e.clock.Advance(500 * time.Millisecond)
	e.flush()
	if n := countIn(e, chProduct); n != 1 {
		t.Fatalf("second post after half a second")
	}
	e.clock.Advance(600 * time.Millisecond)
	e.flush()
	if n := countIn(e, chProduct); n != 2 {
		t.Errorf("%d posts after a second, want 2", n)
	}
	e.clock.Advance(time.Minute)
	e.flush()
	// Ravi decides both product decisions and co-owns pricing.
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 3 {
		t.Errorf("%d DMs to the decider, want 3", n)
	}
}

// TestRunDelivers runs the outbox as serve does, with workers.
func TestRunDelivers(t *testing.T) {
	e := newE2E(t, e2eOptions{workers: 3})
	ctx, cancel := context.WithCancel(e.ctx())
	done := make(chan struct{})
	go func() { defer close(done); e.app.Outbox().Run(ctx) }()
	defer func() { cancel(); <-done }()

	e.command(tom, chPricing, "Raise the team plan price #pricing")       // 2 deciders, 2 advisors, 1 announcement
	e.command(tom, chProduct, "Launch the public beta in March #product") // 1 decider, 1 announcement
	if _, err := e.fake.Wait(e.ctx(), 7); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if n := len(e.fake.Posts()); n != 7 {
		t.Errorf("%d posts, want 7: %v", n, texts(e.fake.Posts()))
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages left", n)
	}
}

// TestRunNeverSendsTwice: a message finishing while the delivery loop
// still holds an older read of the outbox must not be sent again.
func TestRunNeverSendsTwice(t *testing.T) {
	e := newE2E(t, e2eOptions{workers: 2})
	now := e.clock.Now()
	enqueue := func(key, channel string, at time.Time) {
		t.Helper()
		body, err := json.Marshal(bot.Message{Kind: bot.KindPost, Channel: channel, Text: key})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.Enqueue(store.OutboxItem{Key: key, Body: body, NotBefore: at, Enqueued: at}); err != nil {
			t.Fatal(err)
		}
		e.app.Outbox().Kick()
	}
	releaseX := make(chan struct{})
	sentinel := make(chan struct{})
	e.fake.OnPost(func(p slackfake.Post) {
		switch p.Text {
		case "X":
			<-releaseX // hold X's worker inside chat.postMessage
		case "Z":
			close(sentinel)
		}
	})

	ctx, cancel := context.WithCancel(e.ctx())
	done := make(chan struct{})
	go func() { defer close(done); e.app.Outbox().Run(ctx) }()
	defer func() { cancel(); <-done }()

	enqueue("X", "C0RACEX", now)
	if _, err := e.fake.Wait(e.ctx(), 1); err != nil {
		t.Fatal(err)
	}
	// A, B and C sort before X, so the loop reads them together with X
	// (still in flight) and blocks handing them out.
	enqueue("A", "C0RACEA", now.Add(-time.Second))
	enqueue("B", "C0RACEB", now.Add(-time.Second))
	enqueue("C", "C0RACEC", now.Add(-time.Second))
	if _, err := e.fake.Wait(e.ctx(), 2); err != nil { // A is in flight: that read included X
		t.Fatal(err)
	}
	close(releaseX)
	// Z is read only after the loop is done with that older read.
	enqueue("Z", "C0RACEZ", now)
	select {
	case <-sentinel:
	case <-e.ctx().Done():
		t.Fatal("Z was never sent")
	}
	cancel()
	<-done
	if n := len(where(e.fake.Posts(), in("C0RACEX"))); n != 1 {
		t.Errorf("X was sent %d times, want once", n)
	}
	if n := len(e.fake.Posts()); n != 5 {
		t.Errorf("%d posts, want 5: %v", n, texts(e.fake.Posts()))
	}
}
