package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// replyPost turns a slash command's ephemeral reply into the message a
// button is pressed on.
func replyPost(t *testing.T, r reply, channel, ts string) slackfake.Post {
	t.Helper()
	raw, err := json.Marshal(r.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	return slackfake.Post{Method: "response_url", Channel: channel, TS: ts, Text: r.Text, Blocks: raw}
}

// TestNotACommandIsNotProposed: text that looks like a command but is
// not one creates nothing; the reply offers the closest commands and a
// "Propose as written" button only its author may press, once.
func TestNotACommandIsNotProposed(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()

	before := e.counts()
	r := e.command(tom, chProduct, "frobnicate D-1 with the new pricing #pricing")
	contains(t, "reply", r.all(), "`frobnicate` is not one of my commands", "nothing was created", "Propose as written")
	e.unchanged("frobnicate D-1", before)

	on := replyPost(t, r, chProduct, "1764151300.000200")
	mark := e.mark()
	if resp := e.press(sofia, on, blocks.ActionProposeWritten, "t1"); resp.Status != http.StatusOK {
		t.Fatalf("press: %s", resp)
	}
	e.flush()
	if n, _ := e.st.Count(); n != 1 {
		t.Fatalf("someone else's press created a decision: %d decisions", n)
	}
	contains(t, "refusal", strings.Join(texts(e.postsSince(mark)), "\n"), "Only <@"+tom+"> can propose this")

	mark = e.mark()
	if resp := e.press(tom, on, blocks.ActionProposeWritten, "t2"); resp.Status != http.StatusOK {
		t.Fatalf("press: %s", resp)
	}
	e.flush()
	d := e.decision(2)
	if d.Title != "frobnicate D-1 with the new pricing #pricing" || d.Proposer != tom || d.Domain != "product/pricing" {
		t.Errorf("proposed %q by %s in %s", d.Title, d.Proposer, d.Domain)
	}
	contains(t, "ack", strings.Join(texts(where(e.postsSince(mark), method("chat.postEphemeral"))), "\n"), "Proposed", "D-2")

	e.press(tom, on, blocks.ActionProposeWritten, "t3")
	e.flush()
	if n, _ := e.st.Count(); n != 2 {
		t.Errorf("a second press made %d decisions, want 2", n)
	}
}

// TestNotACommandByMention: "@Baton aprove D-1" gets the suggestion and
// the button in its thread, not a decision.
func TestNotACommandByMention(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	const ts = "1764151200.000100"
	e.event(e.mentionBody(mention{EventID: "Ev0NOTCMD", User: tom, Channel: chRandom, TS: ts,
		Text: "<@" + slackfake.BotUserID + "> aprove D-1 looks fine"}), 0)
	e.flush()
	if n, _ := e.st.Count(); n != 1 {
		t.Fatalf("a near miss by mention created a decision: %d decisions", n)
	}
	replies := where(e.fake.Posts(), in(chRandom))
	if len(replies) != 1 || replies[0].ThreadTS != ts {
		t.Fatalf("want one reply in the mention's thread, got %v", texts(e.fake.Posts()))
	}
	contains(t, "reply", visible(replies[0]), "Did you mean `approve`?", "Propose as written")

	e.press(tom, replies[0], blocks.ActionProposeWritten, "t1")
	e.flush()
	d := e.decision(2)
	if d.Title != "aprove D-1 looks fine" || d.Source.ThreadTS != "" || d.Source.MessageTS != ts || d.Source.Channel != chRandom {
		t.Errorf("proposed %q from %+v", d.Title, d.Source)
	}
}

// TestOneGrammarForTags: tags the router once read differently from the
// command parser route the same through the real handler, and the title
// keeps them as typed.
func TestOneGrammarForTags(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	for i, text := range []string{"Raise the team plan price *#pricing*", "Raise the team plan price “#pricing”", "Raise the team plan price #pricing_"} {
		e.command(tom, chGeneral, text)
		if d := e.decision(decisionID(i + 1)); d.Domain != "product/pricing" || d.Title != text {
			t.Errorf("%q: routed to %s as %q", text, d.Domain, d.Title)
		}
	}
}

func decisionID(n int) decisions.ID { return decisions.ID(n) }
