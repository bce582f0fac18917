package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// countIn counts chat.postMessage posts in channel.
func countIn(e *e2e, channel string) int { return len(where(e.fake.Posts(), in(channel))) }

// TestRateLimitPausesTheMethod: a 429 with Retry-After pauses every
// chat.postMessage, for every channel and DM, until it has passed; then
// everything goes once, in order.
func TestRateLimitPausesTheMethod(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNext("chat.postMessage", http.StatusTooManyRequests, 30*time.Second, 1)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(tom, chPricing, "Raise the team plan price #pricing")
	e.flush()
	// The storm: the clock moves a second at a time through Retry-After,
	// flushing each time, as a busy outbox would.
	for range 29 {
		e.clock.Advance(time.Second)
		e.flush()
	}
	if n := e.fake.Calls("chat.postMessage"); n != 1 {
		t.Fatalf("%d chat.postMessage calls during Retry-After, want only the refused one", n)
	}
	if n := len(e.fake.Posts()); n != 0 {
		t.Fatalf("%d posts during Retry-After: %v", n, texts(e.fake.Posts()))
	}
	e.clock.Advance(2 * time.Second)
	e.flush()
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 2 {
		t.Errorf("after Retry-After: %d DMs to the decider, want 2", n)
	}
	if n := countIn(e, chProduct); n != 1 {
		t.Errorf("after Retry-After: %d announcements in #product, want 1", n)
	}
	posts := e.fake.Posts()
	if n := e.fake.Calls("chat.postMessage"); n != len(posts)+1 {
		t.Errorf("%d chat.postMessage calls for %d posts, want one refused call more", n, len(posts))
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
}

// TestOutageThenRecovery: while Slack answers nothing but 503s, the outbox
// stops calling it except for a cheap probe every few seconds; once Slack
// answers again, everything is delivered within seconds, once.
func TestOutageThenRecovery(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.SetDown(true)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(tom, chPricing, "Raise the team plan price #pricing")
	e.command(tom, chProduct, "Sunset the legacy importer #product")
	for range 150 { // a 150 s outage
		e.flush()
		e.clock.Advance(time.Second)
	}
	if n := e.fake.Calls("chat.postMessage"); n > 2 {
		t.Errorf("%d chat.postMessage calls during the outage, want at most 2", n)
	}
	if n := e.fake.Calls("auth.test"); n < 10 || n > 150/2 {
		t.Errorf("%d probes in a 150 s outage, want one every few seconds", n)
	}
	e.fake.SetDown(false)
	back := e.clock.Now()
	for range 10 {
		e.flush()
		if n, _ := e.st.OutboxLen(); n == 0 {
			break
		}
		e.clock.Advance(time.Second)
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Fatalf("%d messages still waiting %s after Slack came back", n, e.clock.Now().Sub(back))
	}
	if d := e.clock.Now().Sub(back); d > 6*time.Second {
		t.Errorf("delivery resumed %s after Slack came back, want seconds", d)
	}
	if n := countIn(e, chProduct); n != 2 {
		t.Errorf("%d announcements in #product, want 2", n)
	}
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 3 {
		t.Errorf("%d DMs to ravi, want 3", n)
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
	e.flush() // the DM is rate limited, and so everything else
	e.command(tom, chProduct, "Sunset the legacy importer #product")
	pending, _ := e.st.OutboxLen()
	// The 429 paused chat.postMessage for every channel: both decisions'
	// DM and announcement wait.
	if pending != 4 {
		t.Fatalf("%d pending before the restart, want 4", pending)
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

// TestPacing: Slack allows about one post a second per channel, in
// bursts of three. A fourth post to one channel at the same instant waits a
// second; another channel is not held up.
func TestPacing(t *testing.T) {
	e := newE2E(t, e2eOptions{paced: true, pace: 0})
	for i := range 4 {
		e.enqueuePost(fmt.Sprintf("p%d", i), chProduct, e.clock.Now())
	}
	e.enqueuePost("other", chPricing, e.clock.Now())
	e.flush()
	if n := countIn(e, chProduct); n != 3 {
		t.Fatalf("%d posts to one channel at the same instant, want a burst of 3", n)
	}
	if n := countIn(e, chPricing); n != 1 {
		t.Errorf("another channel was held up: %d posts", n)
	}
	e.clock.Advance(500 * time.Millisecond)
	e.flush()
	if n := countIn(e, chProduct); n != 3 {
		t.Fatalf("fourth post after half a second")
	}
	e.clock.Advance(600 * time.Millisecond)
	e.flush()
	if got := texts(where(e.fake.Posts(), in(chProduct))); len(got) != 4 || !strings.HasSuffix(got[3], "p3") {
		t.Errorf("after a second: %v, want p0…p3 in order", got)
	}
}

// enqueuePost queues a plain post with key and text key, as a proposal
// would, and wakes the outbox.
func (e *e2e) enqueuePost(key, channel string, at time.Time) {
	e.t.Helper()
	body, err := json.Marshal(bot.Message{Kind: bot.KindPost, Channel: channel, Text: key})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.Enqueue(store.OutboxItem{Key: key, Body: body, NotBefore: at, Enqueued: at}); err != nil {
		e.t.Fatal(err)
	}
	e.app.Outbox().Kick()
}

// checkOrder fails unless every channel got its messages exactly once and
// in the order of want (channel → texts in enqueue order).
func checkOrder(t *testing.T, posts []slackfake.Post, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, p := range posts {
		got[p.Channel] = append(got[p.Channel], p.Text)
	}
	inversions, bad := 0, 0
	for ch, w := range want {
		if !slices.Equal(got[ch], w) {
			bad++
			for i := 1; i < len(got[ch]); i++ {
				if got[ch][i] < got[ch][i-1] {
					inversions++
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d channels got their messages out of order, lost or twice (%d inversions)", bad, len(want), inversions)
	}
}

// TestOrderManyChannelsPaced: 1,000 messages to 70 channels under Slack's
// pacing and a workspace limit arrive in enqueue order in every channel,
// each once, at the workspace rate.
func TestOrderManyChannelsPaced(t *testing.T) {
	e := newE2E(t, e2eOptions{paced: true, pace: 0})
	e.app.Outbox().SetWorkspaceLimit(50, 50)
	want := map[string][]string{}
	for i := range 1000 {
		ch := fmt.Sprintf("C%03d", (i*7+i/13)%70)
		key := fmt.Sprintf("m%04d", i)
		e.enqueuePost(key, ch, e.clock.Now())
		want[ch] = append(want[ch], key)
	}
	start := e.clock.Now()
	for range 600 {
		e.flush()
		if len(e.fake.Posts()) == 1000 {
			break
		}
		e.clock.Advance(100 * time.Millisecond)
	}
	checkOrder(t, e.fake.Posts(), want)
	// 50 a second after a burst of 50: about 19 s.
	if d := e.clock.Now().Sub(start); d > 21*time.Second {
		t.Errorf("1,000 messages took %s at 50/s", d)
	}
	if n := e.fake.Calls("chat.postMessage"); n != 1000 {
		t.Errorf("%d calls for 1,000 messages", n)
	}
}

// TestOrderManyChannelsConcurrent: with eight workers racing, each
// channel still gets one message at a time, in enqueue order.
func TestOrderManyChannelsConcurrent(t *testing.T) {
	e := newE2E(t, e2eOptions{workers: 8})
	ctx, cancel := context.WithCancel(e.ctx())
	done := make(chan struct{})
	go func() { defer close(done); e.app.Outbox().Run(ctx) }()
	defer func() { cancel(); <-done }()
	want := map[string][]string{}
	for i := range 600 {
		ch := fmt.Sprintf("C%03d", i%20)
		key := fmt.Sprintf("m%04d", i)
		e.enqueuePost(key, ch, e.clock.Now())
		want[ch] = append(want[ch], key)
	}
	if _, err := e.fake.Wait(e.ctx(), 600); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	checkOrder(t, e.fake.Posts(), want)
}

// TestStaleReminderDropped: a reminder that waited more than a day is
// dropped with a log line; a decider's DM that old is still delivered.
func TestStaleReminderDropped(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	old := e.clock.Now().Add(-25 * time.Hour)
	for _, it := range []struct{ key, text string }{{"D-9/remind/4/" + ravi, "reminder"}, {"D-9/dm/" + ravi, "please decide"}} {
		body, _ := json.Marshal(bot.Message{Kind: bot.KindDM, User: ravi, Text: it.text})
		if err := e.st.Enqueue(store.OutboxItem{Key: it.key, Body: body, NotBefore: old, Enqueued: old}); err != nil {
			t.Fatal(err)
		}
	}
	e.flush()
	got := texts(where(e.fake.Posts(), dmTo(ravi)))
	if len(got) != 1 || !strings.HasSuffix(got[0], "please decide") {
		t.Errorf("DMs = %v, want only the decider's DM", got)
	}
	if !e.log.has("dropping a reminder older than a day") {
		t.Error("the dropped reminder was not logged")
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages still waiting", n)
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
