package bot_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// metaKey is the outbox key a post carries in its Slack metadata.
func metaKey(t *testing.T, p slackfake.Post) string {
	t.Helper()
	var md slack.SlackMetadata
	if err := json.Unmarshal(p.Metadata, &md); err != nil || md.EventType != bot.MetadataEventType {
		t.Fatalf("post %q carries no baton metadata: %s", p.Text, p.Metadata)
	}
	key, _ := md.EventPayload["key"].(string)
	return key
}

// TestEveryPostCarriesItsKey: announcements and DMs carry their outbox key
// in Slack message metadata, so they can be found again after a crash.
func TestEveryPostCarriesItsKey(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	posts := where(e.fake.Posts(), func(p slackfake.Post) bool { return p.Method == "chat.postMessage" })
	if len(posts) != 2 {
		t.Fatalf("%d posts, want the DM and the announcement", len(posts))
	}
	want := map[string]bool{"D-1/dm/" + ravi: true, "D-1/announce": true}
	for _, p := range posts {
		if k := metaKey(t, p); !want[k] {
			t.Errorf("post %q carries key %q", p.Text, k)
		}
	}
}

// crashedPost sets up what a process killed between chat.postMessage and
// recording the delivery leaves: the item, marked attempted, still in the
// outbox; and, if landed, the message in Slack with its key.
func crashedPost(t *testing.T, e *e2e, key string, m bot.Message, landed bool) {
	t.Helper()
	body, _ := json.Marshal(m)
	now := e.clock.Now()
	if err := e.st.Enqueue(store.OutboxItem{Key: key, Body: body, NotBefore: now, Enqueued: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.OutboxAttempt(key, now); err != nil {
		t.Fatal(err)
	}
	if !landed {
		return
	}
	ch := m.Channel
	if m.Kind == bot.KindDM {
		ch = m.User
	}
	_, _, err := e.api.PostMessageContext(e.ctx(), ch, slack.MsgOptionText(m.Text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: bot.MetadataEventType, EventPayload: map[string]any{"key": key}}))
	if err != nil {
		t.Fatal(err)
	}
}

// TestCrashBetweenPostAndCompletion: after a crash between the post and
// the record of its delivery, the next start finds the message in Slack's
// history by its key and does not post it again; its reference is saved,
// so the outcome still lands in its thread.
func TestCrashBetweenPostAndCompletion(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	// Noise in the channel, newer and older, by Baton and by people.
	e.fake.AddMessage(chProduct, "1699999999.000100", tom, "hello")
	crashedPost(t, e, "D-7/announce", bot.Message{Kind: bot.KindPost, Channel: chProduct, Text: "D-7 proposed", SaveRef: "D-7/announce"}, true)
	crashedPost(t, e, "D-7/dm/"+ravi, bot.Message{Kind: bot.KindDM, User: ravi, Text: "please decide D-7"}, true)
	crashedPost(t, e, "D-8/announce", bot.Message{Kind: bot.KindPost, Channel: chProduct, Text: "D-8 proposed"}, false)
	reply, _ := json.Marshal(bot.Message{Kind: bot.KindPost, ThreadRef: "D-7/announce", Text: "D-7 approved"})
	if err := e.st.Enqueue(store.OutboxItem{Key: "D-7/outcome", Body: reply}); err != nil {
		t.Fatal(err)
	}
	before := len(e.fake.Posts())
	e.restart()
	e.flush()
	e.restart()
	e.flush()
	after := e.fake.Posts()[before:]
	if got := texts(after); len(got) != 2 {
		t.Fatalf("after the restart Baton posted %v, want only D-8's announcement (never sent) and D-7's outcome", got)
	}
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 1 {
		t.Errorf("%d DMs to ravi, want exactly 1", n)
	}
	ann := where(e.fake.Posts(), in(chProduct))[0]
	ref, ok, err := e.st.Ref("D-7/announce")
	if err != nil || !ok || ref.TS != ann.TS {
		t.Errorf("ref of the announcement found in history = %+v, %v, %v; want ts %s", ref, ok, err, ann.TS)
	}
	outcome := where(after, func(p slackfake.Post) bool { return p.Text == "D-7 approved" })
	if len(outcome) != 1 || outcome[0].ThreadTS != ann.TS {
		t.Errorf("outcome %+v, want one reply in the announcement's thread %s", outcome, ann.TS)
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
}

// TestAnswerLostIsNotPostedTwice: Slack posts the message but the answer
// is lost (a 502): the retry looks in the history first and finds it.
func TestAnswerLostIsNotPostedTwice(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.LoseNextAnswer("chat.postMessage", http.StatusBadGateway, 2)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	for range 20 {
		e.flush()
		e.clock.Advance(time.Second)
	}
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 1 {
		t.Errorf("%d DMs to ravi, want 1", n)
	}
	if n := countIn(e, chProduct); n != 1 {
		t.Errorf("%d announcements, want 1", n)
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages still waiting", n)
	}
	if _, ok, _ := e.st.Ref("D-1/announce"); !ok {
		t.Error("the announcement's ref was not saved from the history")
	}
}

// TestInternalErrorAfterPostingIsNotPostedTwice: Slack says internal_error
// although the message was posted (by its own account, part of a call may
// complete); the outbox checks the history before posting again.
func TestInternalErrorAfterPostingIsNotPostedTwice(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.LoseNextAnswerError("chat.postMessage", "internal_error", 2)
	e.command(tom, chProduct, "Launch the public beta in March #product")
	for range 20 {
		e.flush()
		e.clock.Advance(time.Second)
	}
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 1 {
		t.Errorf("%d DMs to ravi, want 1", n)
	}
	if n := countIn(e, chProduct); n != 1 {
		t.Errorf("%d announcements, want 1", n)
	}
}

// TestCrashInAChannelNotJoined: Baton posts to informed channels it was
// never invited to (chat:write.public), whose history it cannot read until
// it joins; after a crash it joins and finds the earlier copy instead of
// posting a second one.
func TestCrashInAChannelNotJoined(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.NotAMember(chSales)
	crashedPost(t, e, "D-7/outcome/"+chSales, bot.Message{Kind: bot.KindPost, Channel: chSales, Text: "D-7 approved"}, true)
	e.restart()
	e.flush()
	if n := countIn(e, chSales); n != 1 {
		t.Errorf("%d posts in a channel Baton had not joined, want 1", n)
	}
	if n := e.fake.Calls("conversations.join"); n != 1 {
		t.Errorf("conversations.join called %d times, want once", n)
	}
}

// TestHistoryRefusedStillPosts: when Slack refuses to show the history (the
// app lacks a history scope), an uncertain message is posted rather than
// holding its channel forever, and the risk is logged.
func TestHistoryRefusedStillPosts(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	crashedPost(t, e, "D-8/announce", bot.Message{Kind: bot.KindPost, Channel: chProduct, Text: "D-8 proposed"}, false)
	e.fake.FailNextError("conversations.history", "missing_scope", 1)
	e.restart()
	e.flush()
	if n := countIn(e, chProduct); n != 1 {
		t.Errorf("%d posts, want the message posted once", n)
	}
	if !e.log.has("cannot check Slack for an earlier copy") {
		t.Error("the unchecked post was not logged")
	}
}
