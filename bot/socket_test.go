package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// Socket Mode tests drive RunSocketMode through slack-go's real client,
// connected to slackfake's apps.connections.open and WebSocket.

const (
	sockProposer = "U0ALICE01"
	sockDecider  = "U0BOBDEC1"
	sockChannel  = "C0GENERAL"
)

const sockConfig = `
slack:
  bot_token: xoxb-test
  app_token: xapp-test
  command: /decide
timezone: UTC
default_domain: product
domains:
  - name: product
    description: What we build
    owners: [U0BOBDEC1]
    sla: 3d
`

// sockReply is the JSON of a slash command's answer.
type sockReply struct {
	ResponseType string            `json:"response_type"`
	Text         string            `json:"text"`
	Blocks       []json.RawMessage `json:"blocks"`
}

type sockHarness struct {
	fake  *slackfake.Server
	sk    *slackfake.Socket
	app   *App
	store *store.Store
	logs  *sockLogs
	// closeStore is cleared by a test that closes the store itself.
	closeStore bool
	probes     int
}

// sockSetup builds an App on a real store and slackfake, but does not
// start Socket Mode.
func sockSetup(t *testing.T, fakeOpts ...slackfake.Option) *sockHarness {
	t.Helper()
	h := &sockHarness{closeStore: true}
	cfg, err := config.Parse("socket_test.yaml", []byte(sockConfig), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "baton.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.store = st
	t.Cleanup(func() {
		if !h.closeStore {
			return
		}
		if err := st.Check(); err != nil {
			t.Errorf("store check: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	h.fake = slackfake.New(fakeOpts...)
	t.Cleanup(h.fake.Close)
	h.fake.AddUser(slackfake.User{ID: sockProposer, Name: "alice"})
	h.fake.AddUser(slackfake.User{ID: sockDecider, Name: "bob"})
	h.sk = h.fake.SocketMode()
	h.logs = newSockLogs()
	api := slack.New("xoxb-test", slack.OptionAPIURL(h.fake.Start()), slack.OptionAppLevelToken("xapp-test"))
	h.app, err = New(Options{
		Config: cfg, Store: st, Slack: api, Logger: slog.New(h.logs),
		Clock: NewFakeClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)), Pace: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.app.Resolve(sockCtx(t)); err != nil {
		t.Fatal(err)
	}
	return h
}

// sockStart runs RunSocketMode with api until the returned stop is called;
// stop returns what RunSocketMode returned. Cleanup stops it too.
func (h *sockHarness) start(t *testing.T, api *slack.Client) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunSocketMode(ctx, h.app, api, nil) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = fmt.Errorf("RunSocketMode did not return within 10s of cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

func (h *sockHarness) api() *slack.Client {
	return slack.New("xoxb-test", slack.OptionAPIURL(h.fake.Start()), slack.OptionAppLevelToken("xapp-test"))
}

func sockCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// send sends an envelope and waits for its ack.
func (h *sockHarness) send(t *testing.T, ctx context.Context, env slackfake.Envelope) slackfake.Ack {
	t.Helper()
	if err := h.sk.Send(ctx, env); err != nil {
		t.Fatal(err)
	}
	ack, err := h.sk.WaitAck(ctx, env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	return ack
}

func sockSlash(id, user, text string) slackfake.Envelope {
	return slackfake.SlashEnvelope(id, slack.SlashCommand{
		Command: "/decide", Text: text, UserID: user, ChannelID: sockChannel, ChannelName: "general",
		TeamID: slackfake.TeamID, APIAppID: slackfake.AppID, TriggerID: "trigger-" + id,
	})
}

func sockMention(eventID, text, ts string) []byte {
	return fmt.Appendf(nil, `{"token":"x","team_id":%[1]q,"api_app_id":%[2]q,"type":"event_callback",
		"event_id":%[3]q,"event_time":1772445600,"authorizations":[{"team_id":%[1]q,"user_id":"U0BATON","is_bot":true}],
		"event":{"type":"app_mention","user":%[4]q,"text":%[5]q,"ts":%[6]q,"channel":%[7]q,"event_ts":%[6]q}}`,
		slackfake.TeamID, slackfake.AppID, eventID, sockProposer, text, ts, sockChannel)
}

func sockButton(user, action, id, trigger string) []byte {
	return fmt.Appendf(nil, `{"type":"block_actions","team":{"id":%[1]q,"domain":"baton-fake"},"api_app_id":%[2]q,
		"user":{"id":%[3]q,"username":"bob","team_id":%[1]q},"trigger_id":%[4]q,
		"channel":{"id":"D%[3]s","name":"directmessage"},"container":{"type":"message","channel_id":"D%[3]s","message_ts":"1700000000.000100"},
		"actions":[{"type":"button","block_id":"decide","action_id":%[5]q,"value":%[6]q,"action_ts":"1772445601.000200"}]}`,
		slackfake.TeamID, slackfake.AppID, user, trigger, action, id)
}

// sockSubmission submits the modal Baton opened (view as sent to
// views.open) with rationale typed into it.
func sockSubmission(t *testing.T, user string, view json.RawMessage, rationale string) []byte {
	t.Helper()
	var v struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(view, &v); err != nil {
		t.Fatalf("opened view: %v", err)
	}
	return fmt.Appendf(nil, `{"type":"view_submission","team":{"id":%[1]q,"domain":"baton-fake"},"api_app_id":%[2]q,
		"user":{"id":%[3]q,"username":"bob","team_id":%[1]q},"trigger_id":"trigger-submit",
		"view":{"id":"V0MODAL","type":"modal","callback_id":%[4]q,"private_metadata":%[5]q,
		"state":{"values":{"rationale":{"rationale_input":{"type":"plain_text_input","value":%[6]q}}}}}}`,
		slackfake.TeamID, slackfake.AppID, user, v.CallbackID, v.PrivateMetadata, rationale)
}

// lastOpenedView is the view of the newest views.open call.
func (h *sockHarness) lastOpenedView(t *testing.T) json.RawMessage {
	t.Helper()
	posts := h.fake.Posts()
	for i := len(posts) - 1; i >= 0; i-- {
		if posts[i].Method == "views.open" {
			return posts[i].View
		}
	}
	t.Fatal("no views.open call")
	return nil
}

func (h *sockHarness) decision(t *testing.T, n uint64) decisions.Decision {
	t.Helper()
	d, err := h.store.Decision(decisions.ID(n))
	if err != nil {
		t.Fatalf("D-%d: %v", n, err)
	}
	return d
}

func (h *sockHarness) count(t *testing.T) int {
	t.Helper()
	n, err := h.store.Count()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSocketModeEndToEnd(t *testing.T) {
	h := sockSetup(t)
	ctx := sockCtx(t)
	stop := h.start(t, h.api())

	// A slash command proposes; the ack carries the HTTP body.
	ack := h.send(t, ctx, sockSlash("env-slash-1", sockProposer, "switch the team plan to annual billing"))
	var reply sockReply
	if err := json.Unmarshal(ack.Payload, &reply); err != nil {
		t.Fatalf("ack payload %s: %v", ack.Payload, err)
	}
	if reply.ResponseType != "ephemeral" || !strings.Contains(reply.Text, "D-1") || len(reply.Blocks) == 0 {
		t.Errorf("slash ack = %s, want the ephemeral reply naming D-1", ack.Payload)
	}
	d := h.decision(t, 1)
	if d.Proposer != sockProposer || d.Status != decisions.StatusOpen || len(d.Deciders) != 1 || d.Deciders[0] != sockDecider {
		t.Errorf("D-1 = proposer %s, status %s, deciders %v", d.Proposer, d.Status, d.Deciders)
	}
	if err := h.app.Outbox().Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if !sockPosted(h.fake.Posts(), "chat.postMessage", "D"+sockDecider, "D-1") {
		t.Errorf("no DM to the decider about D-1 in %+v", h.fake.Posts())
	}

	// A mention proposes; Slack's redelivery, as the same envelope or a
	// new one with the same event_id, changes nothing.
	mention := sockMention("Ev0MENTION1", "<@U0BATON> hire a second designer", "1772445600.000100")
	if ack := h.send(t, ctx, slackfake.EventsEnvelope("env-event-1", mention)); ack.Payload != nil {
		t.Errorf("event ack carried %s", ack.Payload)
	}
	if n := h.count(t); n != 2 {
		t.Fatalf("%d decisions after the mention, want 2", n)
	}
	for _, tc := range []struct {
		id   string
		acks int // of this envelope id so far
	}{{"env-event-1", 2}, {"env-event-2", 1}} {
		retry := slackfake.EventsEnvelope(tc.id, mention)
		retry.RetryAttempt, retry.RetryReason = 1, "timeout"
		if acks := h.resend(t, ctx, retry); len(acks) != tc.acks {
			t.Errorf("redelivered %s: %d acks, want %d", tc.id, len(acks), tc.acks)
		}
	}
	if n := h.count(t); n != 2 {
		t.Errorf("%d decisions after redelivered mentions, want still 2", n)
	}
	if d := h.decision(t, 2); d.Source.Kind != decisions.SourceMention || d.Proposer != sockProposer {
		t.Errorf("D-2 = %+v", d)
	}

	// The decider clicks Reject: the modal opens after the ack.
	if ack := h.send(t, ctx, slackfake.InteractiveEnvelope("env-click-1", sockButton(sockDecider, "reject", "D-1", "trigger-reject"))); ack.Payload != nil {
		t.Errorf("block_actions ack carried %s", ack.Payload)
	}
	h.app.Wait()
	rejectView := h.lastOpenedView(t)
	// Rejecting without a rationale is refused in the modal.
	ack = h.send(t, ctx, slackfake.InteractiveEnvelope("env-submit-1", sockSubmission(t, sockDecider, rejectView, "  ")))
	var errs struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(ack.Payload, &errs); err != nil || errs.ResponseAction != "errors" || errs.Errors[blockRationale] == "" {
		t.Errorf("reject without rationale acked %s (%v), want response_action errors on %q", ack.Payload, err, blockRationale)
	}
	if d := h.decision(t, 1); d.Status != decisions.StatusOpen {
		t.Errorf("D-1 is %s after a refused reject", d.Status)
	}

	// Approve with a rationale.
	h.send(t, ctx, slackfake.InteractiveEnvelope("env-click-2", sockButton(sockDecider, "approve", "D-1", "trigger-approve")))
	h.app.Wait()
	approveView := h.lastOpenedView(t)
	if ack := h.send(t, ctx, slackfake.InteractiveEnvelope("env-submit-2", sockSubmission(t, sockDecider, approveView, "cheaper over the year"))); ack.Payload != nil {
		t.Errorf("approve acked with %s, want a bare ack that closes the modal", ack.Payload)
	}
	if d := h.decision(t, 1); d.Status != decisions.StatusApproved || d.Rationale != "cheaper over the year" {
		t.Errorf("D-1 = %s, rationale %q; want approved with the rationale", d.Status, d.Rationale)
	}

	// Slack refreshes the connection: the client reconnects and carries on.
	h.sk.Disconnect()
	if err := h.sk.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	ack = h.send(t, ctx, sockSlash("env-slash-2", sockProposer, "show D-1"))
	if !strings.Contains(string(ack.Payload), "pproved") {
		t.Errorf("show D-1 after reconnect acked %s", ack.Payload)
	}
	if !h.logs.has("socket mode disconnected; reconnecting") || !h.logs.has("socket mode connected") {
		t.Errorf("connects and disconnects not logged: %v", h.logs.messages())
	}

	start := time.Now()
	if err := stop(); err != nil {
		t.Errorf("RunSocketMode after cancel = %v, want nil", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("RunSocketMode took %v to return after cancel", took)
	}
	if rej := h.fake.Rejections(); len(rej) > 0 {
		t.Errorf("Slack refused calls: %+v", rej)
	}
}

// A command Slack delivers twice (it missed the ack) runs once and gets
// the same answer twice.
func TestSocketModeRedeliveredCommandRunsOnce(t *testing.T) {
	h := sockSetup(t)
	ctx := sockCtx(t)
	h.start(t, h.api())

	env := sockSlash("env-dup", sockProposer, "move the standup to 10:00")
	first := h.send(t, ctx, env)
	env.RetryAttempt, env.RetryReason = 1, "timeout"
	acks := h.resend(t, ctx, env)
	if len(acks) != 2 || string(acks[1].Payload) != string(first.Payload) {
		t.Errorf("redelivery acks %+v, first ack %s", acks, first.Payload)
	}
	if n := h.count(t); n != 1 {
		t.Errorf("%d decisions, want 1", n)
	}
}

// An event that cannot be recorded is left unacked so Slack redelivers
// it; commands are still answered.
func TestSocketModeEventNotAckedWhenStoreFails(t *testing.T) {
	h := sockSetup(t)
	ctx := sockCtx(t)
	stop := h.start(t, h.api())
	if err := h.sk.WaitConnections(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h.closeStore = false
	if err := h.store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.sk.Send(ctx, slackfake.EventsEnvelope("env-lost", sockMention("Ev0LOST", "<@U0BATON> buy a boat", "1772445600.000300"))); err != nil {
		t.Fatal(err)
	}
	if err := h.logs.wait(ctx, 1, "handle event; not acking so that Slack redelivers it", "envelope_id", "env-lost"); err != nil {
		t.Fatal(err)
	}
	ack := h.send(t, ctx, sockSlash("env-after", sockProposer, "buy a boat"))
	if !strings.Contains(string(ack.Payload), "nothing was changed") {
		t.Errorf("command with a broken store acked %s, want the apology", ack.Payload)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, a := range h.sk.Acks() {
		if a.EnvelopeID == "env-lost" {
			t.Errorf("event acked although it was not recorded")
		}
	}
}

// A token Slack refuses stops RunSocketMode with an error naming the
// config key, instead of retrying forever.
func TestSocketModeRefusedToken(t *testing.T) {
	for _, tc := range []struct{ name, token string }{
		{"bot token", "xoxb-not-an-app-token"},
		{"wrong app token", "xapp-wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := sockSetup(t, slackfake.WithAppToken("xapp-right"))
			api := slack.New("xoxb-test", slack.OptionAPIURL(h.fake.Start()), slack.OptionAppLevelToken(tc.token))
			ctx, cancel := context.WithCancel(sockCtx(t))
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- RunSocketMode(ctx, h.app, api, nil) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "slack.app_token") {
					t.Errorf("RunSocketMode = %v, want an error naming slack.app_token", err)
				}
			case <-sockCtx(t).Done():
				t.Fatal("RunSocketMode kept retrying a refused token")
			}
		})
	}
}

// Cancelling before any connection is made returns nil at once.
func TestSocketModeCancelWhileConnecting(t *testing.T) {
	h := sockSetup(t)
	h.fake.FailNext("apps.connections.open", 500, 0, 1000)
	stop := h.start(t, h.api())
	if err := stop(); err != nil {
		t.Errorf("RunSocketMode = %v, want nil", err)
	}
}

func TestSocketModeCommandPayloadFits(t *testing.T) {
	s := &socketRunner{log: slog.New(slog.DiscardHandler)}
	var bs []slack.Block
	for i := range 50 {
		// Go's JSON escapes & < > as \u00XX: a worst case for the byte size.
		text := fmt.Sprintf("*%d* %s", i, strings.Repeat("&lt;", 700))
		bs = append(bs, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil))
	}
	small := Reply{Text: "Proposed D-1", Blocks: bs[:1]}
	raw := s.commandPayload("env-small", small)
	want, _ := json.Marshal(CommandResponse(small))
	if string(raw) != string(want) {
		t.Errorf("a small reply changed:\n%s\nwant\n%s", raw, want)
	}

	for _, r := range []Reply{
		{Text: "Decisions", Blocks: bs},
		{Text: strings.Repeat("<&>", 4000)},
	} {
		raw := s.commandPayload("1d5bcb7c-bb62-4ab8-8bd1-7bd1f1d1c8a0", r)
		whole, _ := json.Marshal(socketmode.Response{EnvelopeID: "1d5bcb7c-bb62-4ab8-8bd1-7bd1f1d1c8a0", Payload: raw})
		if len(whole) >= 20*1024 {
			t.Errorf("ack is %d bytes, Slack drops 20 KB", len(whole))
		}
		var got sockReply
		if err := json.Unmarshal(raw, &got); err != nil || got.ResponseType != "ephemeral" || got.Text == "" {
			t.Errorf("cut reply = %.200s (%v)", raw, err)
		}
		if len(r.Blocks) > 0 && (len(got.Blocks) < 2 || !strings.Contains(string(raw), "more not shown")) {
			t.Errorf("cut reply kept %d blocks and no note: %.300s", len(got.Blocks), raw)
		}
	}
}

func sockPosted(posts []slackfake.Post, method, channel, substr string) bool {
	for _, p := range posts {
		if p.Method == method && p.Channel == channel && (strings.Contains(p.Text, substr) || strings.Contains(string(p.Blocks), substr)) {
			return true
		}
	}
	return false
}

// sockLogs is a slog.Handler that keeps records so tests can wait for
// one instead of sleeping.
type sockLogs struct {
	root  *sockLogRoot
	attrs []slog.Attr
}

type sockLogRoot struct {
	mu      sync.Mutex
	entries []sockLogEntry
	changed chan struct{}
}

type sockLogEntry struct {
	msg   string
	attrs map[string]string
}

func newSockLogs() *sockLogs {
	return &sockLogs{root: &sockLogRoot{changed: make(chan struct{})}}
}

func (l *sockLogs) Enabled(context.Context, slog.Level) bool { return true }

func (l *sockLogs) Handle(_ context.Context, r slog.Record) error {
	e := sockLogEntry{msg: r.Message, attrs: map[string]string{}}
	for _, a := range l.attrs {
		e.attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		e.attrs[a.Key] = a.Value.String()
		return true
	})
	l.root.mu.Lock()
	defer l.root.mu.Unlock()
	l.root.entries = append(l.root.entries, e)
	close(l.root.changed)
	l.root.changed = make(chan struct{})
	return nil
}

func (l *sockLogs) WithAttrs(as []slog.Attr) slog.Handler {
	return &sockLogs{root: l.root, attrs: append(l.attrs[:len(l.attrs):len(l.attrs)], as...)}
}

func (l *sockLogs) WithGroup(string) slog.Handler { return l }

// count counts records with message msg and, when key is set, attribute
// key equal to value; changed is closed on the next record.
func (l *sockLogs) count(msg, key, value string) (n int, changed <-chan struct{}) {
	l.root.mu.Lock()
	defer l.root.mu.Unlock()
	for _, e := range l.root.entries {
		if e.msg == msg && (key == "" || e.attrs[key] == value) {
			n++
		}
	}
	return n, l.root.changed
}

func (l *sockLogs) has(msg string) bool {
	n, _ := l.count(msg, "", "")
	return n > 0
}

func (l *sockLogs) messages() []string {
	l.root.mu.Lock()
	defer l.root.mu.Unlock()
	var out []string
	for _, e := range l.root.entries {
		out = append(out, e.msg)
	}
	return out
}

// wait blocks until n records match (see count).
func (l *sockLogs) wait(ctx context.Context, n int, msg, key, value string) error {
	for {
		have, changed := l.count(msg, key, value)
		if have >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d logs %q %s=%s: %w; have %q", n, msg, key, value, ctx.Err(), l.messages())
		}
	}
}

// resend sends env, whose envelope id has been acked before, and returns
// every ack of that id once the new one has reached the fake: after the
// handler logs the ack, a probe command's ack, queued behind it on the one
// WebSocket, proves it arrived.
func (h *sockHarness) resend(t *testing.T, ctx context.Context, env slackfake.Envelope) []slackfake.Ack {
	t.Helper()
	// Every earlier ack of this id is on the wire (send and resend wait for
	// that), while its log record may still be on its way: count the wire.
	before := len(sockAcksOf(h.sk, env.EnvelopeID))
	if err := h.sk.Send(ctx, env); err != nil {
		t.Fatal(err)
	}
	if err := h.logs.wait(ctx, before+1, "envelope acked", "envelope_id", env.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	h.probes++
	h.send(t, ctx, sockSlash(fmt.Sprintf("env-probe-%d", h.probes), sockProposer, "help"))
	return sockAcksOf(h.sk, env.EnvelopeID)
}

func sockAcksOf(sk *slackfake.Socket, envelopeID string) []slackfake.Ack {
	var acks []slackfake.Ack
	for _, a := range sk.Acks() {
		if a.EnvelopeID == envelopeID {
			acks = append(acks, a)
		}
	}
	return acks
}
