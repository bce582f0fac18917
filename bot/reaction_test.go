package bot_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

type reaction struct {
	TeamID, AppID, EventID, User, Reaction, ItemUser, Channel, TS, EventTS string
	EventTime                                                              int64
}

func (e *e2e) reactionBody(r reaction) []byte {
	r.TeamID, r.AppID = slackfake.TeamID, slackfake.AppID
	if r.EventTime == 0 {
		r.EventTime = e.clock.Now().Unix()
	}
	if r.EventTS == "" {
		r.EventTS = r.TS
	}
	return render(e.t, "reaction_added.json.tmpl", r)
}

// TestReactionProposesMessage: reacting with :ballot_box_with_check: to a
// message proposes it; Baton answers in that message's thread; a second
// reaction on the same message proposes nothing new; other emoji do nothing.
func TestReactionProposesMessage(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const msgTS = "1764150000.000300"
	e.fake.AddMessage(chRandom, msgTS, grace, "Move the design review to Tuesdays #design")

	resp := e.event(e.reactionBody(reaction{EventID: "EvR1", User: tom, Reaction: "thumbsup", ItemUser: grace, Channel: chRandom, TS: msgTS}), 0)
	if resp.Status != http.StatusOK {
		t.Fatalf("event: %s", resp)
	}
	e.flush()
	if n, _ := e.st.Count(); n != 0 {
		t.Fatalf("a :thumbsup: created %d decisions", n)
	}

	e.event(e.reactionBody(reaction{EventID: "EvR2", User: tom, Reaction: "ballot_box_with_check", ItemUser: grace, Channel: chRandom, TS: msgTS}), 0)
	e.flush()
	d := e.decision(1)
	if !strings.Contains(d.Title, "design review to Tuesdays") || d.Domain != "product/design" || d.Proposer != tom || d.Source.Kind != decisions.SourceReaction {
		t.Fatalf("proposed %q in %s by %s from %s", d.Title, d.Domain, d.Proposer, d.Source.Kind)
	}
	replies := where(e.fake.Posts(), in(chRandom))
	if len(replies) != 1 || replies[0].ThreadTS != msgTS {
		t.Fatalf("want one reply in the message's thread, got %v", texts(e.fake.Posts()))
	}

	// Someone else adds the same emoji: still one decision.
	e.event(e.reactionBody(reaction{EventID: "EvR3", User: grace, Reaction: "ballot_box_with_check", ItemUser: grace, Channel: chRandom, TS: msgTS}), 0)
	e.flush()
	if n, _ := e.st.Count(); n != 1 {
		t.Errorf("a second reaction made %d decisions, want 1", n)
	}
}

// TestUnknownEventTypeAcknowledged: a callback for an event type slack-go
// cannot parse is acknowledged (200), so Slack does not retry it, and
// changes nothing.
func TestUnknownEventTypeAcknowledged(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	before := e.counts()
	body := []byte(`{"token":"x","team_id":"` + slackfake.TeamID + `","api_app_id":"` + slackfake.AppID + `","type":"event_callback","event_id":"EvNEW1","event_time":1764151200,"event":{"type":"brand_new_event_type_2027","user":"U0X","event_ts":"1764151200.000100"}}`)
	if resp := e.event(body, 0); resp.Status != http.StatusOK {
		t.Fatalf("unknown event type: %s, want 200", resp)
	}
	e.unchanged("unknown event type", before)
	if resp := e.event([]byte(`{"type":"not_an_event"`), 0); resp.Status != http.StatusBadRequest {
		t.Fatalf("garbage: %s, want 400", resp)
	}
}

// TestThreadParentUnreadable: when Slack refuses to let Baton read a
// conversation (a group DM without the scope), the person is told at once
// instead of the task retrying forever.
func TestThreadParentUnreadable(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const parent = "1764150000.000400"
	e.fake.AddMessage(chRandom, parent, grace, "Move the design review to Tuesdays #design")
	e.fake.FailNextError("conversations.replies", "missing_scope", 1)
	e.event(e.reactionBody(reaction{EventID: "EvR9", User: tom, Reaction: "ballot_box_with_check", ItemUser: grace, Channel: chRandom, TS: parent}), 0)
	e.flush()
	if n, _ := e.st.Count(); n != 0 {
		t.Errorf("%d decisions, want none", n)
	}
	replies := where(e.fake.Posts(), in(chRandom))
	if len(replies) != 1 || !strings.Contains(replies[0].Text, "couldn't read") {
		t.Fatalf("want one explanation in the thread, got %v", texts(e.fake.Posts()))
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d items still retrying", n)
	}
}
