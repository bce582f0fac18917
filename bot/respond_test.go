package bot_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/slackfake"
)

// TestShortcutRepliesArrive: a shortcut's answer goes through its
// response_url, which reaches the user even where Baton is not a member;
// when that is gone and chat.postEphemeral cannot reach the channel, the
// answer arrives as a DM instead of being dropped.
func TestShortcutRepliesArrive(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	shortcutOn := func(ts, text, responseURL string) {
		t.Helper()
		payload := render(t, "message_action.json.tmpl", shortcut{TeamID: slackfake.TeamID, User: tom, UserName: "tom", Channel: chRandom,
			CallbackID: "propose_message", MessageTS: ts, Author: grace, Text: text, ResponseURL: responseURL})
		if resp := e.interact(payload); resp.Status != http.StatusOK {
			t.Fatalf("shortcut: %s", resp)
		}
		e.flush()
	}

	mark := e.mark()
	shortcutOn("1764150000.000100", "Should we move the design review to Tuesdays? #design", e.fake.ResponseURLFor(chRandom, tom))
	got := where(e.postsSince(mark), func(p slackfake.Post) bool { return p.User == tom && p.Method != "chat.postMessage" })
	if len(got) != 1 || got[0].Method != "response_url" || !strings.Contains(got[0].Text, "D-1") {
		t.Fatalf("want the ack through response_url, got %v", texts(e.postsSince(mark)))
	}

	// No response_url (or an expired one), and Baton is not in the channel.
	e.fake.FailNextError("chat.postEphemeral", "not_in_channel", 1)
	mark = e.mark()
	shortcutOn("1764150000.000200", "Should we hire a second designer? #design", "")
	dms := where(e.postsSince(mark), dmTo(tom))
	if len(dms) != 1 || !strings.Contains(dms[0].Text, "D-2") {
		t.Fatalf("want the ack as a DM when the channel cannot be reached, got %v", texts(e.postsSince(mark)))
	}
}

// TestShortcutOnMessageWithoutText says what is wrong instead of "something
// went wrong on my side", and proposes nothing.
func TestShortcutOnMessageWithoutText(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	before := e.counts()
	payload := render(t, "message_action.json.tmpl", shortcut{TeamID: slackfake.TeamID, User: tom, UserName: "tom", Channel: chRandom,
		CallbackID: "propose_message", MessageTS: "1764150000.000300", Author: grace, Text: "", ResponseURL: e.fake.ResponseURLFor(chRandom, tom)})
	if resp := e.interact(payload); resp.Status != http.StatusOK {
		t.Fatalf("shortcut: %s", resp)
	}
	e.flush()
	if n, _ := e.st.Count(); n != before.decisions {
		t.Errorf("a message with no text was proposed")
	}
	replies := where(e.postsSince(before.posts), method("response_url"))
	if len(replies) != 1 {
		t.Fatalf("want one answer, got %v", texts(e.postsSince(before.posts)))
	}
	contains(t, "answer", replies[0].Text, "no text I can propose", "/decide")
	lacks(t, "answer", replies[0].Text, "went wrong")
}

// TestLostResponseURLAnswerIsNotSentAnotherWay: the response_url POST
// reaches Slack but its answer is lost (a 502). The reply used to be sent
// again through chat.postEphemeral, so the user saw it twice. Now a 5xx is
// retried through the response_url only; chat.postEphemeral is the fallback
// only when Slack clearly refuses the URL (4xx: expired, used up).
func TestLostResponseURLAnswerIsNotSentAnotherWay(t *testing.T) {
	cases := []struct {
		name          string
		fail          func(e *e2e)
		viaURL, other int // answers through the response_url, and any other way
	}{
		// The answer landed; the retry may land again in the same place
		// (Slack gives response_url no idempotency key), never elsewhere.
		{"answer lost after it landed", func(e *e2e) { e.fake.LoseNextAnswer("response_url", http.StatusBadGateway, 1) }, 2, 0},
		{"503 before it landed", func(e *e2e) { e.fake.FailNext("response_url", http.StatusServiceUnavailable, 0, 1) }, 1, 0},
		{"expired (404)", func(e *e2e) { e.fake.FailNext("response_url", http.StatusNotFound, 0, 1) }, 0, 1},
		{"used up", func(e *e2e) { e.fake.FailNextError("response_url", "used_url", 1) }, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t, e2eOptions{})
			c.fail(e)
			mark := e.mark()
			payload := render(t, "message_action.json.tmpl", shortcut{TeamID: slackfake.TeamID, User: tom, UserName: "tom", Channel: chProduct,
				CallbackID: "propose_message", MessageTS: "1764150000.000100", Author: grace, Text: "Should we move the design review to Tuesdays? #design",
				ResponseURL: e.fake.ResponseURLFor(chProduct, tom)})
			if resp := e.interact(payload); resp.Status != http.StatusOK {
				t.Fatalf("shortcut: %s", resp)
			}
			e.flush()
			e.clock.Advance(10 * time.Minute) // past any retry backoff
			e.flush()
			toTom := dmTo(tom)
			answers := where(e.postsSince(mark), func(p slackfake.Post) bool {
				return p.User == tom && p.Method != "chat.postMessage" || toTom(p)
			})
			viaURL := len(where(answers, method("response_url")))
			if viaURL != c.viaURL || len(answers)-viaURL != c.other {
				t.Errorf("answers: %d through the response_url and %d otherwise, want %d and %d: %v", viaURL, len(answers)-viaURL, c.viaURL, c.other, texts(answers))
			}
		})
	}
}
