package bot_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

func TestURLVerification(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	body, err := os.ReadFile(filepath.Join("testdata", "url_verification.json"))
	if err != nil {
		t.Fatal(err)
	}
	before := e.counts()
	resp := e.event(body, 0)
	if resp.Status != http.StatusOK || string(resp.Body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("url_verification answered %s, want the challenge", resp)
	}
	e.unchanged("url_verification", before)
}

// TestMentionProposesInThread: "@Baton <text>" in a channel proposes, and
// every reply, the outcome included, stays in that message's thread.
func TestMentionProposesInThread(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const ts = "1764151200.000100"
	resp := e.event(e.mentionBody(mention{EventID: "Ev01MENTION", User: tom, Channel: chRandom, TS: ts,
		Text: "<@" + slackfake.BotUserID + "> Launch the public beta in March #product"}), 0)
	if resp.Status != http.StatusOK {
		t.Fatalf("event: %s", resp)
	}
	d := e.decision(1)
	if d.Title != "Launch the public beta in March #product" || d.Proposer != tom || d.Domain != "product" {
		t.Errorf("proposed %q by %s in %s", d.Title, d.Proposer, d.Domain)
	}
	e.flush()
	replies := where(e.fake.Posts(), in(chRandom))
	if len(replies) != 1 || replies[0].ThreadTS != ts {
		t.Fatalf("want one reply in the mention's thread, got %v", texts(e.fake.Posts()))
	}
	contains(t, "reply", visible(replies[0]), "D-1", "<@"+ravi+">")
	if n := len(where(e.fake.Posts(), dmTo(ravi))); n != 1 {
		t.Errorf("the decider got %d DMs", n)
	}

	mark := e.mark()
	e.command(ravi, chRandom, "approve D-1 go")
	e.flush()
	outcome := where(e.postsSince(mark), in(chRandom))
	if len(outcome) != 1 {
		t.Fatalf("outcome posts in the mention's channel: %v", texts(e.postsSince(mark)))
	}
	if outcome[0].ThreadTS != ts {
		t.Errorf("the outcome went to thread %q, want the mention's thread %q (Slack asks for the parent's ts, not a reply's)", outcome[0].ThreadTS, ts)
	}
}

// TestMentionAloneInThreadProposesParent: "@Baton" with nothing else, in a
// thread, proposes the thread's first message.
func TestMentionAloneInThreadProposesParent(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const parent, reply = "1764150000.000100", "1764151200.000200"
	e.fake.AddMessage(chRandom, parent, grace, "Should we move the design review to Tuesdays? #design")
	resp := e.event(e.mentionBody(mention{EventID: "Ev02PARENT", User: tom, Channel: chRandom, TS: reply, ThreadTS: parent,
		Text: "<@" + slackfake.BotUserID + ">"}), 0)
	if resp.Status != http.StatusOK {
		t.Fatalf("event: %s", resp)
	}
	e.flush()
	d := e.decision(1)
	if !strings.Contains(d.Title, "design review to Tuesdays") || d.Domain != "product/design" || d.Proposer != tom {
		t.Errorf("proposed %q in %s by %s", d.Title, d.Domain, d.Proposer)
	}
	replies := where(e.fake.Posts(), in(chRandom))
	if len(replies) != 1 || replies[0].ThreadTS != parent {
		t.Fatalf("want one reply in the thread, got %v", texts(e.fake.Posts()))
	}
	contains(t, "reply", visible(replies[0]), "D-1", "<@"+grace+">")

	// The same, outside a thread, explains how to use it and stores nothing.
	before := e.counts()
	e.event(e.mentionBody(mention{EventID: "Ev03ALONE", User: tom, Channel: chRandom, TS: "1764151300.000100",
		Text: "<@" + slackfake.BotUserID + ">"}), 0)
	e.flush()
	if n, _ := e.st.Count(); n != before.decisions {
		t.Errorf("a bare mention created a decision")
	}
	help := e.postsSince(before.posts)
	if len(help) != 1 || help[0].ThreadTS != "1764151300.000100" {
		t.Fatalf("bare mention: %v", texts(help))
	}
	contains(t, "bare mention", help[0].Text, "Mention me with a proposal")
}

// TestBotMentionsIgnored: messages from bots (Baton included) never
// propose, so two bots cannot loop.
func TestBotMentionsIgnored(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	before := e.counts()
	e.event(e.mentionBody(mention{EventID: "Ev04BOT", User: "U0OTHERBOT", BotID: "B0OTHER", Channel: chRandom, TS: "1764151200.000100",
		Text: "<@" + slackfake.BotUserID + "> Launch the public beta #product"}), 0)
	e.event(e.mentionBody(mention{EventID: "Ev05SELF", User: slackfake.BotUserID, Channel: chRandom, TS: "1764151200.000200",
		Text: "<@" + slackfake.BotUserID + "> Launch the public beta #product"}), 0)
	e.unchanged("bot mentions", before)
}

// TestEventRetriesAreIgnored: Slack delivers the same event again (with
// X-Slack-Retry-Num) when our ack was slow; one decision, one set of
// messages.
func TestEventRetriesAreIgnored(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	body := e.mentionBody(mention{EventID: "Ev06RETRY", User: tom, Channel: chRandom, TS: "1764151200.000100",
		Text: "<@" + slackfake.BotUserID + "> Launch the public beta #product"})
	if resp := e.event(body, 0); resp.Status != http.StatusOK {
		t.Fatalf("first delivery: %s", resp)
	}
	e.flush()
	first := e.counts()
	for retry := 1; retry <= 3; retry++ {
		if resp := e.event(body, retry); resp.Status != http.StatusOK {
			t.Fatalf("retry %d: %s", retry, resp)
		}
	}
	e.unchanged("retries", first)

	// Even after a restart: de-duplication is persistent.
	e.restart()
	if resp := e.event(body, 1); resp.Status != http.StatusOK {
		t.Fatalf("retry after restart: %s", resp)
	}
	e.unchanged("a retry after a restart", first)
	if first.decisions != 1 {
		t.Errorf("%d decisions, want 1", first.decisions)
	}
}

// TestAppHomeOpened publishes the home tab with what waits on the user.
func TestAppHomeOpened(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	ev := map[string]any{
		"token": "ZZZZZZWSxiZZZ2yIvs3peJ", "team_id": slackfake.TeamID, "api_app_id": slackfake.AppID,
		"type": "event_callback", "event_id": "Ev07HOME", "event_time": 1764151200,
		"event": map[string]any{"type": "app_home_opened", "user": ravi, "channel": "DU01RAVI02", "tab": "home", "event_ts": "1764151200.000100"},
	}
	body, _ := json.Marshal(ev)
	mark := e.mark()
	if resp := e.event(body, 0); resp.Status != http.StatusOK {
		t.Fatalf("app_home_opened: %s", resp)
	}
	e.flush()
	home := where(e.postsSince(mark), method("views.publish"))
	if len(home) != 1 || home[0].User != ravi {
		t.Fatalf("want the home tab published for the decider, got %v", texts(e.postsSince(mark)))
	}
	contains(t, "home", visible(home[0]), "D-1", "Launch the public beta")
	if _, _, ok := findButton(home[0].Blocks, "approve"); !ok {
		t.Error("the home tab has no Approve button for a decision waiting on the user")
	}
	_ = decisions.StatusOpen
}

// TestMentionMistakes: a command typed as a mention, or a near miss, is
// answered in the thread, reads as typed, and creates nothing.
func TestMentionMistakes(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	cases := []struct {
		text string
		want []string
	}{
		// Slack sends & < > typed by people as &amp; &lt; &gt;.
		{"approve D-1 R&amp;D agrees", []string{"/decide approve D-1 R&amp;D agrees"}},
		{"aprove D-1 R&amp;D agrees", []string{"Did you mean `approve`?", "R&amp;D"}},
		{"#product by 2020-01-01", []string{"past"}},
		{"approve D-1 <!channel> <!subteam^S1|@x> @here", []string{"/decide approve D-1"}},
		{"aprove D-1 <!channel> @here", []string{"Did you mean"}},
	}
	for i, c := range cases {
		before := e.counts()
		ts := "1764151200.00010" + strconv.Itoa(i)
		e.event(e.mentionBody(mention{EventID: "Ev0MISTAKE" + strconv.Itoa(i), User: tom, Channel: chRandom, TS: ts,
			Text: "<@" + slackfake.BotUserID + "> " + c.text}), 0)
		e.flush()
		got := e.postsSince(before.posts)
		if len(got) != 1 || got[0].ThreadTS != ts {
			t.Fatalf("%q: want one reply in thread, got %v", c.text, texts(got))
		}
		contains(t, c.text, visible(got[0]), c.want...)
		lacks(t, c.text, visible(got[0]), "&amp;amp;", "&amp;lt;", "&amp;gt;")
		checkNoPings(t, c.text, visible(got[0]))
		if n, _ := e.st.Count(); n != 0 {
			t.Fatalf("%q created a decision", c.text)
		}
	}
}

// TestMentionInUnreadableThread: when Slack will not give Baton the
// thread's first message (deleted, or a conversation Baton may not read),
// the person who mentioned it is told, in the thread, and nothing is
// proposed. A passing Slack outage is retried instead.
func TestMentionInUnreadableThread(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const parent, reply = "1764150000.000100", "1764151200.000200"
	e.event(e.mentionBody(mention{EventID: "Ev0GONE", User: tom, Channel: chRandom, TS: reply, ThreadTS: parent,
		Text: "<@" + slackfake.BotUserID + ">"}), 0)
	e.flush()
	got := e.fake.Posts()
	if len(got) != 1 || got[0].ThreadTS != parent {
		t.Fatalf("want one reply in the thread, got %v", texts(got))
	}
	contains(t, "reply", got[0].Text, "couldn't read", "nothing was proposed")
	if n, _ := e.st.Count(); n != 0 {
		t.Errorf("%d decisions", n)
	}

	// Slack down for a moment: the parent is proposed once it is back.
	e.fake.AddMessage(chRandom, parent, grace, "Move the design review to Tuesdays #design")
	e.fake.FailNext("conversations.replies", http.StatusServiceUnavailable, 0, 2)
	e.event(e.mentionBody(mention{EventID: "Ev0LATER", User: tom, Channel: chRandom, TS: "1764151300.000300", ThreadTS: parent,
		Text: "<@" + slackfake.BotUserID + ">"}), 0)
	for range 5 {
		e.flush()
		e.clock.Advance(time.Minute)
	}
	if n, _ := e.st.Count(); n != 1 {
		t.Errorf("%d decisions after Slack recovered, want 1", n)
	}
}
