package bot_test

import (
	"net/http"
	"strings"
	"testing"

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
