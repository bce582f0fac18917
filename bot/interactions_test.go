package bot_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// proposeProduct proposes D-n in #product (Ravi decides; #product is
// informed) and delivers its messages; it returns Ravi's DM.
func proposeProduct(t *testing.T, e *e2e, title string) slackfake.Post {
	t.Helper()
	mark := e.mark()
	e.command(tom, chProduct, title+" #product")
	e.flush()
	dms := where(e.postsSince(mark), dmTo(ravi))
	if len(dms) != 1 {
		t.Fatalf("the decider got %d DMs, want 1", len(dms))
	}
	return dms[0]
}

// openModal presses a button and returns the modal Baton opened.
func openModal(t *testing.T, e *e2e, user string, dm slackfake.Post, action, trigger string) slackfake.Post {
	t.Helper()
	mark := e.mark()
	if resp := e.press(user, dm, action, trigger); resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("press %s: %s, want an empty 200", action, resp)
	}
	e.app.Wait()
	opened := where(e.postsSince(mark), method("views.open"))
	if len(opened) != 1 {
		t.Fatalf("pressing %s opened %d modals, want 1: %v", action, len(opened), texts(e.postsSince(mark)))
	}
	return opened[0]
}

// TestApproveThroughModal: the decider presses Approve in the DM, types a
// rationale in the modal, and everyone concerned hears the outcome.
func TestApproveThroughModal(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	dm := proposeProduct(t, e, "Launch the public beta in March")
	ann := where(e.fake.Posts(), in(chProduct))
	if len(ann) != 1 {
		t.Fatalf("%d announcements", len(ann))
	}

	modal := openModal(t, e, ravi, dm, "approve", "trigger-approve-1")
	if got := modal.Raw["trigger_id"]; got != "trigger-approve-1" {
		t.Errorf("views.open used trigger_id %v, want the click's", got)
	}
	var view struct {
		Type            string `json:"type"`
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(modal.View, &view); err != nil {
		t.Fatal(err)
	}
	if view.Type != "modal" || view.CallbackID != "decide" || view.PrivateMetadata != "D-1|approve" {
		t.Errorf("modal: %+v", view)
	}
	contains(t, "modal", visible(modal), "D-1", "Launch the public beta in March", "Rationale")
	if d := e.decision(1); d.Status != decisions.StatusOpen {
		t.Fatalf("pressing the button alone made D-1 %s", d.Status)
	}

	mark := e.mark()
	resp := e.submit(ravi, modal, rationale("the waitlist is ready"))
	if resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("submit: %s, want an empty 200 that closes the modal", resp)
	}
	d := e.decision(1)
	if d.Status != decisions.StatusApproved || d.Rationale != "the waitlist is ready" || d.DecidedBy != ravi {
		t.Fatalf("after submit: %s %q by %s", d.Status, d.Rationale, d.DecidedBy)
	}
	e.flush()
	posts := e.postsSince(mark)

	updates := where(posts, method("chat.update"))
	if len(updates) != 1 || updates[0].Channel != dm.Channel || updates[0].TS != dm.TS {
		t.Fatalf("want the decider's DM updated in place, got %v", texts(updates))
	}
	contains(t, "updated DM", visible(updates[0]), "approved", "the waitlist is ready")
	if _, _, ok := findButton(updates[0].Blocks, "approve"); ok {
		t.Error("the updated DM still has an Approve button")
	}

	thread := where(posts, func(p slackfake.Post) bool { return in(chProduct)(p) && p.ThreadTS == ann[0].TS })
	if len(thread) != 1 {
		t.Errorf("%d outcome posts in the announcement's thread, want 1: %v", len(thread), texts(posts))
	} else {
		contains(t, "thread outcome", visible(thread[0]), "D-1", "approved", "<@"+ravi+">", "the waitlist is ready")
	}
	// The informed channel is the one it was proposed in: the thread reply
	// is the outcome there, not a second top-level post.
	informed := where(posts, func(p slackfake.Post) bool { return in(chProduct)(p) && p.ThreadTS == "" })
	if len(informed) != 0 {
		t.Errorf("%d top-level outcome posts in the proposal's channel, want 0 (it is in the thread)", len(informed))
	}
	told := where(posts, dmTo(tom))
	if len(told) != 1 {
		t.Errorf("the proposer got %d DMs, want 1", len(told))
	} else {
		contains(t, "proposer", visible(told[0]), "D-1", "approved")
	}
	if len(posts) != 3 {
		t.Errorf("%d posts after approving, want 3: %v", len(posts), texts(posts))
	}

	// Pressing a button on the now stale DM says so and opens nothing.
	mark = e.mark()
	if resp := e.press(ravi, dm, "reject", "trigger-late"); resp.Status != http.StatusOK {
		t.Fatalf("late press: %s", resp)
	}
	e.flush()
	late := e.postsSince(mark)
	if len(late) != 1 || late[0].Method != "chat.postEphemeral" || late[0].User != ravi {
		t.Fatalf("late press: want one ephemeral to the presser, got %v", texts(late))
	}
	contains(t, "late press", late[0].Text, "already approved")
}

// TestRejectNeedsRationale: the modal refuses an empty rationale with a
// field error, and nothing changes.
func TestRejectNeedsRationale(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	dm := proposeProduct(t, e, "Drop the free plan")
	modal := openModal(t, e, ravi, dm, "reject", "trigger-reject-1")

	before := e.counts()
	resp := e.submit(ravi, modal, rationale("   "))
	if resp.Status != http.StatusOK {
		t.Fatalf("submit: %s", resp)
	}
	var ack struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &ack); err != nil {
		t.Fatalf("submit answered %s: %v", resp.Body, err)
	}
	if ack.ResponseAction != "errors" || ack.Errors["rationale"] == "" {
		t.Fatalf("want a field error on the rationale, got %s", resp.Body)
	}
	e.unchanged("a reject without rationale", before)
	if d := e.decision(1); d.Status != decisions.StatusOpen {
		t.Errorf("status %s", d.Status)
	}

	resp = e.submit(ravi, modal, rationale("we promised it to students"))
	if resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("submit with rationale: %s", resp)
	}
	if d := e.decision(1); d.Status != decisions.StatusRejected || d.Rationale != "we promised it to students" {
		t.Errorf("after reject: %s %q", d.Status, d.Rationale)
	}
}

// TestNonDeciderPressesApprove: the refusal is polite, private, names who
// can decide, and changes nothing.
func TestNonDeciderPressesApprove(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	dm := proposeProduct(t, e, "Move the launch to April")
	before := e.counts()
	mark := e.mark()
	if resp := e.press(stranger, dm, "approve", "trigger-stranger"); resp.Status != http.StatusOK {
		t.Fatalf("press: %s", resp)
	}
	e.flush()
	posts := e.postsSince(mark)
	if len(posts) != 1 || posts[0].Method != "chat.postEphemeral" || posts[0].User != stranger {
		t.Fatalf("want one ephemeral to the presser, got %v", texts(posts))
	}
	contains(t, "refusal", visible(posts[0]), "Sorry", "<@"+ravi+">", "advise D-1")
	if d := e.decision(1); d.Status != decisions.StatusOpen {
		t.Errorf("status %s", d.Status)
	}
	if n := e.fake.Calls("views.open"); n != 0 {
		t.Errorf("a non-decider's press opened %d modals", n)
	}
	if after, _ := e.st.Count(); after != before.decisions {
		t.Errorf("decisions %d → %d", before.decisions, after)
	}

	// Even a forged submission (a modal a non-decider never got) changes
	// nothing: the modal answers with an error.
	modal := openModal(t, e, ravi, dm, "approve", "trigger-ravi")
	resp := e.submit(stranger, modal, rationale("sure"))
	contains(t, "forged submission", string(resp.Body), "response_action", "errors")
	if d := e.decision(1); d.Status != decisions.StatusOpen {
		t.Errorf("a stranger's submission made D-1 %s", d.Status)
	}
}

// TestDeferAndAskAdviceModals covers the modals with more than a rationale.
func TestDeferAndAskAdviceModals(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	mark := e.mark()
	e.command(tom, chPricing, "Raise the team plan price by 10% #pricing")
	e.flush()
	dm := where(e.postsSince(mark), dmTo(sofia))[0]

	// Pricing requires advice: approving first is refused in the modal.
	modal := openModal(t, e, sofia, dm, "approve", "t-approve")
	resp := e.submit(sofia, modal, nil)
	contains(t, "approve before advice", string(resp.Body), "errors", "advice")
	if d := e.decision(1); d.Status != decisions.StatusOpen {
		t.Fatalf("approved without advice: %s", d.Status)
	}

	// Ask for advice with the picker left empty: the domain's advisors.
	modal = openModal(t, e, sofia, dm, "ask_advice", "t-advice")
	mark = e.mark()
	resp = e.submit(sofia, modal, nil)
	if resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("ask for advice with no one picked: %s", resp)
	}
	e.flush()
	for _, u := range []string{ben, fatima} {
		if n := len(where(e.postsSince(mark), dmTo(u))); n != 1 {
			t.Errorf("advisor %s asked %d times, want 1", u, n)
		}
	}

	// Defer needs a date in the future.
	modal = openModal(t, e, sofia, dm, "defer", "t-defer")
	resp = e.submit(sofia, modal, map[string]map[string]map[string]any{
		"until": {"until_input": {"type": "datepicker", "selected_date": "2026-01-01"}},
	})
	contains(t, "defer into the past", string(resp.Body), "errors", "until")
	resp = e.submit(sofia, modal, map[string]map[string]map[string]any{
		"until":     {"until_input": {"type": "datepicker", "selected_date": "2026-12-07"}},
		"rationale": {"rationale_input": {"type": "plain_text_input", "value": "after the board meeting"}},
	})
	if resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("defer: %s", resp)
	}
	d := e.decision(1)
	if d.Status != decisions.StatusDeferred || d.DeferredUntil.Format("2006-01-02") != "2026-12-07" {
		t.Errorf("after defer: %s until %v", d.Status, d.DeferredUntil)
	}
}

// shortcut is a message_action payload: the "Propose as decision" message
// shortcut used on someone's message.
type shortcut struct {
	TeamID, User, UserName, Channel, CallbackID, MessageTS, Text, Author string
	ResponseURL                                                          string
}

// TestShortcutOnMessageStartingWithAVerb: a message whose first word is
// also a command verb ("Who…", "Show…") is still proposed whole, with its
// due date read.
func TestShortcutOnMessageStartingWithAVerb(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	payload := render(t, "message_action.json.tmpl", shortcut{TeamID: slackfake.TeamID, User: tom, UserName: "tom", Channel: chRandom,
		CallbackID: "propose_message", MessageTS: "1764150000.000200", Author: grace, Text: "Who should own the design review rota? #design by 2026-12-18"})
	if resp := e.interact(payload); resp.Status != http.StatusOK {
		t.Fatalf("shortcut: %s", resp)
	}
	d := e.decision(1)
	if !strings.HasPrefix(d.Title, "Who should own the design review rota") || strings.Contains(d.Title, "by 2026") {
		t.Errorf("title %q: want the whole message without its due phrase", d.Title)
	}
	if d.Due.IsZero() || d.Due.In(e.cfg.Timezone).Format("2006-01-02") != "2026-12-18" {
		t.Errorf("due %v, want 2026-12-18", d.Due)
	}
}

// TestMessageShortcutProposes: the shortcut proposes the message, threads
// the announcement and the outcome under it, and acks the user privately.
func TestMessageShortcutProposes(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const msgTS = "1764150000.000100"
	payload := render(t, "message_action.json.tmpl", shortcut{TeamID: slackfake.TeamID, User: tom, UserName: "tom", Channel: chRandom,
		CallbackID: "propose_message", MessageTS: msgTS, Author: grace, Text: "Should we move the design review to Tuesdays? #design"})
	if resp := e.interact(payload); resp.Status != http.StatusOK {
		t.Fatalf("shortcut: %s", resp)
	}
	d := e.decision(1)
	if d.Domain != "product/design" || d.Proposer != tom {
		t.Errorf("proposed in %s by %s", d.Domain, d.Proposer)
	}
	e.flush()
	posts := e.fake.Posts()
	acks := where(posts, method("chat.postEphemeral"))
	if len(acks) != 1 || acks[0].User != tom {
		t.Fatalf("want a private ack to the user, got %v", texts(posts))
	}
	contains(t, "ack", acks[0].Text, "D-1")
	ann := where(posts, in(chRandom))
	if len(ann) != 1 || ann[0].ThreadTS != msgTS {
		t.Fatalf("want the announcement in the message's thread, got %v", texts(posts))
	}
	mark := e.mark()
	e.command(grace, chRandom, "approve D-1")
	e.flush()
	outcome := where(e.postsSince(mark), in(chRandom))
	if len(outcome) != 1 || outcome[0].ThreadTS != msgTS {
		t.Errorf("want the outcome in the message's thread, got %v (thread %q)", texts(outcome), func() string {
			if len(outcome) > 0 {
				return outcome[0].ThreadTS
			}
			return ""
		}())
	}

	// Another app's shortcut is none of Baton's business.
	before := e.counts()
	e.interact(render(t, "message_action.json.tmpl", shortcut{TeamID: slackfake.TeamID, User: tom, UserName: "tom", Channel: chRandom,
		CallbackID: "something_else", MessageTS: msgTS, Author: grace, Text: "hello"}))
	e.unchanged("an unknown shortcut", before)
}

// A date in a message proposed by the shortcut is read in the proposer's
// zone, as one they type is: "by friday" for Tom in New York is the end
// of Friday there.
func TestShortcutReadsDatesInTheProposersZone(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: tom, Name: "Tom Okafor", TZ: "America/New_York"})
	payload := render(t, "message_action.json.tmpl", shortcut{TeamID: slackfake.TeamID, User: tom, UserName: "tom", Channel: chRandom,
		CallbackID: "propose_message", MessageTS: "1764150000.000200", Author: grace, Text: "Move the design review to Tuesdays by friday #design"})
	if resp := e.interact(payload); resp.Status != http.StatusOK {
		t.Fatalf("shortcut: %s", resp)
	}
	ny, _ := time.LoadLocation("America/New_York")
	if d := e.decision(1); !d.Due.Equal(time.Date(2026, 11, 27, 23, 59, 59, 0, ny)) {
		t.Errorf("due %v, want the end of Friday in New York", d.Due.In(ny))
	}
}
