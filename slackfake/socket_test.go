package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/baton-app/baton/slackfake"
)

// runSocketClient runs a real slack-go Socket Mode client against fake. It
// acks slash commands with a response payload, everything else bare, and
// reports slash commands and events on the returned channel.
func runSocketClient(t *testing.T, fake *slackfake.Server) <-chan socketmode.Event {
	t.Helper()
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.Start()), slack.OptionAppLevelToken("xapp-test"))
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = client.RunContext(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })

	seen := make(chan socketmode.Event, 10)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				switch evt.Type {
				case socketmode.EventTypeSlashCommand:
					cmd := evt.Data.(slack.SlashCommand)
					_ = client.Ack(*evt.Request, map[string]any{"text": "got " + cmd.Text})
				case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
					_ = client.Ack(*evt.Request)
				default:
					continue
				}
				seen <- evt
			}
		}
	}()
	return seen
}

func TestSocketModeSlashCommandAndReconnect(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	sk := fake.SocketMode()
	seen := runSocketClient(t, fake)
	ctx := ctxT(t)

	cmd := slack.SlashCommand{
		Command: "/decide", Text: "ship the beta #product", UserID: "U1", ChannelID: "C1",
		TeamID: slackfake.TeamID, TriggerID: "trigger-1", ResponseURL: fake.ResponseURLFor("C1", "U1"),
	}
	if err := sk.Send(ctx, slackfake.SlashEnvelope("env-1", cmd)); err != nil {
		t.Fatal(err)
	}
	ack, err := sk.WaitAck(ctx, "env-1")
	if err != nil {
		t.Fatal(err)
	}
	var payload struct{ Text string }
	if err := json.Unmarshal(ack.Payload, &payload); err != nil || payload.Text != "got ship the beta #product" {
		t.Fatalf("ack payload = %s (%v)", ack.Payload, err)
	}
	evt := <-seen
	if got := evt.Data.(slack.SlashCommand); got != cmd || !evt.Request.AcceptsResponsePayload {
		t.Errorf("client parsed %+v (accepts_response_payload %v), sent %+v", got, evt.Request.AcceptsResponsePayload, cmd)
	}

	sk.Disconnect()
	if err := sk.WaitConnections(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mention := []byte(`{"token":"x","team_id":"T0FAKE","api_app_id":"A0BATON","type":"event_callback",
		"event_id":"Ev1","event_time":1700000000,
		"event":{"type":"app_mention","user":"U1","text":"<@U0BATON> ship it","ts":"1700000001.000100","channel":"C1","event_ts":"1700000001.000100"}}`)
	env := slackfake.EventsEnvelope("env-2", mention)
	env.RetryAttempt, env.RetryReason = 1, "timeout"
	if err := sk.Send(ctx, env); err != nil {
		t.Fatal(err)
	}
	ack, err = sk.WaitAck(ctx, "env-2")
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil {
		t.Errorf("bare ack carried payload %s", ack.Payload)
	}
	evt = <-seen
	ev, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok || evt.Request.RetryAttempt != 1 {
		t.Fatalf("client parsed %T, retry %d", evt.Data, evt.Request.RetryAttempt)
	}
	if m, ok := ev.InnerEvent.Data.(*slackevents.AppMentionEvent); !ok || m.Text != "<@U0BATON> ship it" {
		t.Errorf("inner event = %#v", ev.InnerEvent.Data)
	}

	block := []byte(`{"type":"block_actions","user":{"id":"U1"},"trigger_id":"t2","actions":[{"block_id":"decide","action_id":"approve","value":"D-1","type":"button"}]}`)
	ie := slackfake.InteractiveEnvelope("env-3", block)
	if ie.AcceptsResponsePayload {
		t.Errorf("block_actions envelope accepts a response payload; Slack's does not")
	}
	if err := sk.Send(ctx, ie); err != nil {
		t.Fatal(err)
	}
	if _, err := sk.WaitAck(ctx, "env-3"); err != nil {
		t.Fatal(err)
	}
	evt = <-seen
	if cb, ok := evt.Data.(slack.InteractionCallback); !ok || len(cb.ActionCallback.BlockActions) != 1 || cb.ActionCallback.BlockActions[0].Value != "D-1" {
		t.Errorf("interaction = %#v", evt.Data)
	}
	if n := len(sk.Acks()); n != 3 {
		t.Errorf("%d acks, want 3", n)
	}
	if n := sk.Connections(); n != 2 {
		t.Errorf("Connections = %d, want 2", n)
	}
}

func TestSocketModeNeedsAppToken(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	fake.SocketMode()
	ctx := ctxT(t)
	_, _, err := slack.New("xoxb-test", slack.OptionAPIURL(fake.Start()), slack.OptionAppLevelToken("xoxb-not-an-app-token")).StartSocketModeContext(ctx)
	if slackErrCode(err) != "not_allowed_token_type" {
		t.Errorf("bot token to apps.connections.open: %v", err)
	}
	_, url, err := slack.New("xoxb-test", slack.OptionAPIURL(fake.Start()), slack.OptionAppLevelToken("xapp-1")).StartSocketModeContext(ctx)
	if err != nil || len(url) < 5 || url[:5] != "ws://" {
		t.Errorf("apps.connections.open = %q, %v", url, err)
	}

	short, cancel := context.WithCancel(ctx)
	cancel()
	if err := fake.SocketMode().Send(short, slackfake.EventsEnvelope("e", []byte(`{}`))); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with nobody connected: %v", err)
	}
}

func TestSocketModeHelloPingAndTicket(t *testing.T) {
	fake := slackfake.New(slackfake.WithPingInterval(20 * time.Millisecond))
	t.Cleanup(fake.Close)
	fake.SocketMode()
	ctx := ctxT(t)
	_, wsURL, err := slack.New("", slack.OptionAPIURL(fake.Start()), slack.OptionAppLevelToken("xapp-1")).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var hello socketmode.Request
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.ConnectionInfo.AppID != slackfake.AppID {
		t.Fatalf("first message = %+v, %v", hello, err)
	}
	pinged := make(chan struct{}, 1)
	conn.SetPingHandler(func(string) error {
		select {
		case pinged <- struct{}{}:
		default:
		}
		return nil
	})
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case <-pinged:
	case <-ctx.Done():
		t.Fatal("no WebSocket ping from the fake")
	}
	if _, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reusing a ticket: err %v", err)
	}
}
