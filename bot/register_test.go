package bot_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/bot"
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

// TestEditVerb: only the proposer edits; the deciders' DMs follow the new
// text; a new #tag moves the decision, with the reason shown; the history
// keeps old and new.
func TestEditVerb(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()

	before := e.counts()
	contains(t, "a decider edits", e.command(ravi, chProduct, "edit D-1 Launch it in April").all(), "only the proposer (<@"+tom+">) or an admin may edit")
	contains(t, "unknown tag", e.command(tom, chProduct, "edit D-1 Launch it in April #nowhere").all(), "There is no domain `#nowhere`")
	contains(t, "closed-free no-op", e.command(tom, chProduct, "edit D-1 Launch the public beta in March #product").all(), "nothing to change")
	e.unchanged("refused edits", before)

	mark := e.mark()
	r := e.command(tom, chProduct, "edit D-1 Launch the public beta in April by 2026-12-04")
	contains(t, "edit reply", r.all(), "D-1 now reads: Launch the public beta in April.", "Due")
	e.flush()
	d := e.decision(1)
	if d.Title != "Launch the public beta in April" || d.Domain != "product" || d.Due.IsZero() {
		t.Errorf("after edit: %q in %s due %v", d.Title, d.Domain, d.Due)
	}
	updates := where(e.postsSince(mark), method("chat.update"))
	contains(t, "updated DM and announcement", strings.Join(texts(updates), "\n"), "April")
	if len(where(e.postsSince(mark), method("chat.postMessage"))) != 0 {
		t.Errorf("an edit in place posted new messages: %v", texts(e.postsSince(mark)))
	}

	mark = e.mark()
	r = e.command(tom, chProduct, "edit D-1 Launch the public beta in April #pricing")
	contains(t, "moved", r.all(), "moved to *product/pricing*", "#pricing tag")
	e.flush()
	d = e.decision(1)
	if d.Domain != "product/pricing" || !d.IsDecider(sofia) {
		t.Errorf("after retagging: %s, deciders %v", d.Domain, d.Deciders)
	}
	if len(where(e.postsSince(mark), dmTo(sofia))) != 1 {
		t.Errorf("the new decider got no DM: %v", texts(e.postsSince(mark)))
	}
	show := e.command(tom, chProduct, "show D-1").all()
	contains(t, "history", show, "March", "April", "moved from product to product/pricing")
}

// TestCommentVerb: a comment is in the history, in show, in the thread and
// with the deciders; an empty one is refused.
func TestCommentVerb(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	before := e.counts()
	contains(t, "empty", e.command(ben, chProduct, "comment D-1 <@"+ravi+">").all(), "What is your comment on D-1?")
	contains(t, "missing", e.command(ben, chProduct, "comment D-99 hello").all(), "I can't find D-99")
	e.unchanged("refused comments", before)

	mark := e.mark()
	contains(t, "reply", e.command(ben, chProduct, "comment D-1 sales wants <!channel> a grace period").all(), "in its history")
	e.flush()
	posts := e.postsSince(mark)
	if dm := where(posts, dmTo(ravi)); len(dm) != 1 || !strings.Contains(visible(dm[0]), "grace period") {
		t.Errorf("decider's DM: %v", texts(posts))
	}
	thread := where(posts, in(chProduct))
	if len(thread) != 1 || thread[0].ThreadTS == "" {
		t.Errorf("thread post: %v", texts(posts))
	}
	for _, p := range posts {
		checkNoPings(t, "comment", visible(p))
	}
	contains(t, "show", e.command(tom, chProduct, "show D-1").all(), "commented", "grace period")
}

// TestSearchVerb: full text, best first, with status and domain; nothing
// found says so.
func TestSearchVerb(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chGeneral, "Buy new laptops for the design team #design")
	e.command(tom, chGeneral, "Hardware refresh for support\nmostly laptop screens")
	e.command(tom, chGeneral, "Move standup to 10:00 #engineering")
	e.command(maya, chGeneral, "approve D-2 laptops are due")
	e.flush()
	r := e.command(stranger, chGeneral, "search Laptops")
	all := r.all()
	contains(t, "results", all, "Search: Laptops (2)", "D-1", "D-2", "approved", "product/design")
	lacks(t, "results", all, "D-3")
	if strings.Index(all, "D-1") > strings.Index(all, "D-2") {
		t.Errorf("the title match should come first:\n%s", all)
	}
	contains(t, "nothing", e.command(stranger, chGeneral, "search espresso").all(), "Nothing matches “espresso”")
	contains(t, "list approved", e.command(stranger, chGeneral, "list approved").all(), "D-2")
	lacks(t, "list approved", e.command(stranger, chGeneral, "list approved").all(), "D-1 ")
	contains(t, "list since", e.command(stranger, chGeneral, "list since 1d").all(), "D-1", "D-3")
}

// TestDeclineVerb: a decider hands a decision on with a reason; it is
// routed again, the proposer and the new deciders hear why, and the old
// DM loses its buttons.
func TestDeclineVerb(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chGeneral, "Change the invoice layout for the team plan #pricing")
	e.flush()
	before := e.counts()
	contains(t, "not a decider", e.command(tom, chGeneral, "decline D-1 #finance billing").all(), "only the deciders")
	contains(t, "no reason", e.command(sofia, chGeneral, "decline D-1 #finance").all(), "Say why D-1 is not yours")
	contains(t, "unknown domain", e.command(sofia, chGeneral, "decline D-1 #nowhere billing").all(), "There is no domain `#nowhere`")
	e.unchanged("refused declines", before)

	mark := e.mark()
	r := e.command(sofia, chGeneral, "decline D-1 #finance this is billing, not pricing")
	contains(t, "reply", r.all(), "D-1 now goes to <@"+fatima+"> in *finance*", "rights suggest")
	e.flush()
	d := e.decision(1)
	if d.Domain != "finance" || !d.IsDecider(fatima) || !strings.Contains(d.Reason, "declined by <@"+sofia+"> in product/pricing: this is billing, not pricing") {
		t.Errorf("after decline: %s %v %q", d.Domain, d.Deciders, d.Reason)
	}
	posts := e.postsSince(mark)
	if dm := where(posts, dmTo(fatima)); len(dm) != 1 || !strings.Contains(visible(dm[0]), "declined by") {
		t.Errorf("new decider's DM: %v", texts(posts))
	}
	contains(t, "proposer", strings.Join(texts(where(posts, dmTo(tom))), "\n"), "declined", "billing, not pricing")
	if len(where(posts, method("chat.update"))) == 0 {
		t.Errorf("the old deciders' DMs were not updated: %v", texts(posts))
	}

	// One level up, without a named place: finance → the default domain.
	r = e.command(fatima, chGeneral, "decline D-1 not a finance call")
	contains(t, "up", r.all(), "in *company*")
	if d := e.decision(1); d.Domain != "company" || !d.IsDecider(maya) {
		t.Errorf("after the second decline: %s %v", d.Domain, d.Deciders)
	}
	contains(t, "top", e.command(maya, chGeneral, "decline D-1 not mine either").all(), "already at the top")

	// The declines teach the rights map; only admins see it.
	contains(t, "not an admin", e.command(tom, chGeneral, "rights suggest").all(), "Only admins")
	contains(t, "one misroute is not a pattern", e.command(maya, chGeneral, "rights suggest").all(), "Suggested from 2 misroutes", "No word recurs yet")
	e.command(tom, chGeneral, "A darker invoice layout for the team plan #pricing")
	e.command(sofia, chGeneral, "decline D-2 #company brand call")
	contains(t, "rights suggest", e.command(maya, chGeneral, "rights suggest").all(),
		"Suggested from 3 misroutes", "- name: company", "add keyword `layout` to company — 2 misroutes: D-1, D-2")
	lacks(t, "rights suggest", e.command(maya, chGeneral, "rights suggest").all(), "`invoice`") // finance has that keyword

	// Slack reads the last 180 days of misroutes: older ones no longer
	// shape the suggestions (nor cost a read).
	e.clock.Set(e.clock.Now().AddDate(0, 0, 181))
	contains(t, "half a year later", e.command(maya, chGeneral, "rights suggest").all(), "No misroutes yet")
}

// TestReviewVerb: a review date by command or after a rationale; only the
// deciders and the proposer set one.
func TestReviewVerb(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(tom, chProduct, "Launch the mobile beta in May #product")
	e.flush()
	before := e.counts()
	contains(t, "bystander", e.command(stranger, chProduct, "review D-1 in 6 months").all(), "only the deciders or the proposer")
	e.unchanged("refused review", before)

	r := e.command(ravi, chProduct, "approve D-1 the numbers work, review in 6 months")
	contains(t, "approve with review", r.all(), "D-1 is now *approved*", "Review on")
	d := e.decision(1)
	if d.Rationale != "the numbers work" || d.ReviewOn.IsZero() || d.ReviewOn.Month() != time.May {
		t.Errorf("approve with review: %q, review %v", d.Rationale, d.ReviewOn)
	}
	r = e.command(tom, chProduct, "review D-2 2026-12-15")
	contains(t, "review", r.all(), "I'll ask", "keep D-2")
	if d := e.decision(2); d.ReviewOn.Day() != 15 || d.ReviewOn.Hour() != 9 {
		t.Errorf("review D-2: %v, want 09:00 on the 15th", d.ReviewOn)
	}
}

// TestProseAfterAVerbOffersToPropose: "Search ads budget for Q3" is
// answered as a search, with a Propose-as-written button; "List prices go
// up 5% in April" gets the list syntax and the button. Neither creates a
// decision until the button is pressed.
func TestProseAfterAVerbOffersToPropose(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	before := e.counts()
	r := e.command(tom, chProduct, "Search ads budget for Q3")
	contains(t, "search", r.all(), "Nothing matches", "is a new decision", "Propose as written")
	r = e.command(tom, chProduct, "List prices go up 5% in April")
	contains(t, "list", r.all(), "takes one filter", "Propose as written")
	e.unchanged("prose after a verb", before)

	on := replyPost(t, r, chProduct, "1764151300.000300")
	e.press(tom, on, blocks.ActionProposeWritten, "t1")
	e.flush()
	if d := e.decision(1); d.Title != "List prices go up 5% in April" || d.Proposer != tom {
		t.Errorf("proposed %q by %s", d.Title, d.Proposer)
	}
}

// TestListOverdueSinceFindsRecentOnes: with more overdue decisions than a
// list shows, `list overdue since` still finds the recent ones, not only
// the longest overdue.
func TestListOverdueSinceFindsRecentOnes(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	for i := range bot.ListLimit + 1 {
		e.command(tom, chGeneral, fmt.Sprintf("Old question %d by tomorrow", i+1))
	}
	e.clock.Advance(10 * 24 * time.Hour)
	recent := fmt.Sprintf("D-%d", bot.ListLimit+2)
	e.command(tom, chGeneral, "Recent question by tomorrow")
	e.clock.Advance(2 * 24 * time.Hour)
	e.flush()
	all := e.command(stranger, chGeneral, "list overdue since 3d").all()
	contains(t, "list overdue since 3d", all, recent, "Recent question")
	lacks(t, "list overdue since 3d", all, "Old question")
	contains(t, "list overdue", e.command(stranger, chGeneral, "list overdue").all(), "Old question 1")
}
