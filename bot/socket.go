package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// Socket Mode limits.
const (
	// socketWorkers bounds how many envelopes are handled at once. The
	// handlers only touch the store, so a few are plenty; more envelopes
	// wait in slack-go's buffer (backpressure), not in goroutines.
	socketWorkers = 8
	// socketHandlerTimeout leaves room inside Slack's 3 s ack deadline.
	socketHandlerTimeout = 2500 * time.Millisecond
	// socketAckDeadline is Slack's: an envelope not acked in time is
	// redelivered (events) or shown to the user as failed (commands).
	socketAckDeadline = 3 * time.Second
	// socketAckTimeout bounds the wait to queue an ack while slack-go is
	// between connections; the queued ack goes out on the next one.
	socketAckTimeout = 2 * time.Second
	// maxAckBytes is the largest ack (the whole {"envelope_id","payload"}
	// JSON) Slack takes: it silently drops 20 KB and more, and slack-go
	// refuses to send such an ack at all.
	maxAckBytes = 20*1024 - 1
	// recentEnvelopes is how many envelope ids are remembered to answer a
	// redelivered command or interaction without running it twice.
	recentEnvelopes = 256
	// socketStopWait bounds how long shutdown waits for slack-go to let go
	// of the connection; it normally takes milliseconds.
	socketStopWait = 5 * time.Second
)

// fatalConnectErrors are apps.connections.open answers that retrying
// cannot fix: the app-level token is wrong. slack-go gives up on some of
// them itself but keeps retrying others (a bot token in slack.app_token
// answers not_allowed_token_type), so Baton stops on all of them.
var fatalConnectErrors = []string{
	"invalid_auth", "not_authed", "account_inactive", "token_revoked",
	"token_expired", "not_allowed_token_type", "missing_scope",
}

// RunSocketMode drives the App from Slack's Socket Mode until ctx is done.
//
// Slash commands, events and interactions arrive as envelopes on a
// WebSocket and go to the same App methods as over HTTP, at most
// socketWorkers at a time, each with a 2.5 s context. Every envelope is
// acknowledged, with the same JSON body HTTP would answer (cut to fit
// Socket Mode's 20 KB), even when handling failed, so Slack does not
// redeliver it again and again; the exception is an event HandleEvent
// could not record (the store failed), left unacked so that Slack
// redelivers it, as HTTP's 500 does. slack-go reconnects when Slack asks
// or the connection drops; connects and disconnects are logged.
//
// Once ctx is done no new envelope is started (unacked, Slack redelivers
// it to the next connection); RunSocketMode waits for the envelopes being
// handled, so what they commit is committed, and returns nil. It returns
// an error only when Slack will not open a connection for a reason no
// retry can fix: a refused app-level token, or a wrong API URL.
func RunSocketMode(ctx context.Context, a *App, api *slack.Client, log *slog.Logger) error {
	if log == nil {
		log = a.log
	}
	log = log.With("component", "socketmode")
	// slack-go writes to its logger only in debug mode; keep it in slog.
	client := socketmode.New(api, socketmode.OptionLog(slog.NewLogLogger(log.Handler(), slog.LevelDebug)))
	s := &socketRunner{
		app:    a,
		client: client,
		log:    log,
		sem:    make(chan struct{}, socketWorkers),
		recent: newRecentAcks(recentEnvelopes),
	}

	// From here /readyz also needs the connection open.
	a.ready.socketMode.Store(true)
	defer a.setSocketUp(false)
	runCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	runDone := make(chan error, 1)
	go func() { runDone <- client.RunContext(runCtx) }()
	log.Info("socket mode starting")

	var runErr error
	stopping := ctx.Done()
	var giveUp <-chan time.Time
loop:
	for {
		select {
		case evt := <-client.Events:
			if fatal := s.dispatch(runCtx, evt); fatal != nil {
				stop(fatal)
			}
		case runErr = <-runDone:
			break loop
		case <-stopping:
			// Keep draining Events so slack-go never blocks on a send
			// while it winds down; it returns once it sees ctx is done.
			stopping = nil
			t := time.NewTimer(socketStopWait)
			defer t.Stop()
			giveUp = t.C
		case <-giveUp:
			log.Warn("socket mode client did not stop in time; leaving it behind")
			break loop
		}
	}
	s.wg.Wait() // in-flight handlers commit before the store closes
	if ctx.Err() != nil {
		log.Info("socket mode stopped")
		return nil
	}
	if cause := context.Cause(runCtx); cause != nil && runCtx.Err() != nil {
		return cause
	}
	if runErr == nil {
		runErr = errors.New("slack-go stopped without saying why")
	}
	var status slack.StatusCodeError
	if errors.As(runErr, &status) {
		return fmt.Errorf("apps.connections.open: %w; check slack.api_url", runErr)
	}
	return tokenError(runErr)
}

// tokenError explains a refused app-level token in terms of the config.
func tokenError(err error) error {
	return fmt.Errorf("slack refused the app-level token (slack.app_token): %w; it must be an app-level token (xapp-…) with the connections:write scope, from the app's Basic Information page", err)
}

// socketRunner handles the envelopes of one RunSocketMode.
type socketRunner struct {
	app    *App
	client *socketmode.Client
	log    *slog.Logger
	sem    chan struct{}
	wg     sync.WaitGroup
	recent *recentAcks
}

// dispatch logs connection life-cycle events and starts a handler for each
// envelope. It returns an error when the connection can never succeed.
func (s *socketRunner) dispatch(ctx context.Context, evt socketmode.Event) error {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		if e, ok := evt.Data.(*slack.ConnectingEvent); ok {
			switch {
			case e.Attempt > 1:
				s.log.Debug("socket mode reconnect attempt", "attempt", e.Attempt)
			case e.ConnectionCount > 0:
				s.app.setSocketUp(false)
				s.log.Warn("socket mode disconnected; reconnecting", "connection", e.ConnectionCount+1)
			default:
				s.log.Info("socket mode connecting")
			}
		}
	case socketmode.EventTypeConnected:
		n := 0
		if e, ok := evt.Data.(*socketmode.ConnectedEvent); ok {
			n = e.ConnectionCount
		}
		s.app.setSocketUp(true)
		if n > 0 {
			s.app.metrics.reconnects.Inc()
		}
		s.log.Info("socket mode connected", "connection", n+1)
	case socketmode.EventTypeConnectionError:
		e, ok := evt.Data.(*slack.ConnectionErrorEvent)
		if !ok {
			break
		}
		var se slack.SlackErrorResponse
		if errors.As(e.ErrorObj, &se) && slices.Contains(fatalConnectErrors, se.Err) {
			s.log.Error("socket mode: slack refused the app-level token", "err", e.ErrorObj)
			return tokenError(e.ErrorObj)
		}
		s.app.setSocketUp(false)
		if ctx.Err() == nil {
			s.log.Warn("socket mode connection failed; retrying", "attempt", e.Attempt, "backoff", e.Backoff, "err", e.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		s.log.Error("socket mode: slack refused the app-level token")
	case socketmode.EventTypeHello:
		if r := evt.Request; r != nil {
			s.log.Debug("socket mode hello", "connections", r.NumConnections, "host", r.DebugInfo.Host)
		}
	case socketmode.EventTypeIncomingError:
		// Every dropped connection ends with a read error; the reconnect
		// is what matters and is logged above.
		if e, ok := evt.Data.(*slack.IncomingEventError); ok {
			s.log.Debug("socket mode read failed", "err", e.ErrorObj)
		}
	case socketmode.EventTypeErrorWriteFailed:
		if e, ok := evt.Data.(*socketmode.ErrorWriteFailed); ok {
			id := ""
			if e.Response != nil {
				id = e.Response.EnvelopeID
			}
			s.log.Error("socket mode ack not delivered; Slack will redeliver", "envelope_id", id, "err", e.Cause)
		}
	case socketmode.EventTypeErrorBadMessage:
		s.badMessage(ctx, evt)
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive:
		s.start(ctx, evt)
	default:
		s.log.Debug("socket mode event ignored", "type", evt.Type)
	}
	return nil
}

// badMessage acks an envelope slack-go could not parse: it will not parse
// any better when Slack redelivers it.
func (s *socketRunner) badMessage(ctx context.Context, evt socketmode.Event) {
	e, ok := evt.Data.(*socketmode.ErrorBadMessage)
	if !ok {
		return
	}
	var head struct {
		EnvelopeID string          `json:"envelope_id"`
		Type       string          `json:"type"`
		Payload    json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(e.Message, &head)
	if took, err := s.app.ResolveOnUnparsed(head.Payload); took {
		if err == nil && head.EnvelopeID != "" && ctx.Err() == nil {
			s.ack(ctx, head.EnvelopeID, nil)
		}
		return // unacked on a store error: Slack redelivers it
	}
	s.log.Warn("unreadable socket mode envelope", "type", head.Type, "envelope_id", head.EnvelopeID, "err", e.Cause)
	s.app.metrics.requests.WithLabelValues("socket", "bad_payload").Inc()
	if head.EnvelopeID != "" && ctx.Err() == nil {
		s.ack(ctx, head.EnvelopeID, nil)
	}
}

// start hands an envelope to a handler once one of the socketWorkers
// slots is free. Once ctx is done nothing new starts: unacked, the
// envelope is redelivered to the next connection.
func (s *socketRunner) start(ctx context.Context, evt socketmode.Event) {
	req := evt.Request
	if req == nil || req.EnvelopeID == "" {
		s.log.Warn("socket mode envelope without an envelope id ignored", "type", evt.Type)
		return
	}
	received := time.Now()
	if req.RetryAttempt > 0 {
		s.log.Info("slack redelivered an envelope", "type", evt.Type, "envelope_id", req.EnvelopeID,
			"retry_attempt", req.RetryAttempt, "retry_reason", req.RetryReason)
	}
	// Events are de-duplicated by event_id in HandleEvent, persistently;
	// commands and interactions have no such id, so a redelivered envelope
	// is answered from memory instead of being run twice.
	remember := evt.Type != socketmode.EventTypeEventsAPI
	if remember {
		prev, seen := s.recent.begin(req.EnvelopeID)
		if seen {
			s.app.metrics.requests.WithLabelValues(endpointOf(evt.Type), "duplicate").Inc()
			if !prev.done {
				s.log.Info("envelope already being handled; its ack will answer", "envelope_id", req.EnvelopeID)
				return
			}
			s.log.Info("envelope already handled; acking again", "envelope_id", req.EnvelopeID)
			var payload any
			if prev.payload != nil {
				payload = prev.payload
			}
			s.ack(ctx, req.EnvelopeID, payload)
			return
		}
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		if remember {
			s.recent.forget(req.EnvelopeID)
		}
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() { <-s.sem }()
		s.handle(ctx, evt, received, remember)
	}()
}

func endpointOf(t socketmode.EventType) string {
	switch t {
	case socketmode.EventTypeSlashCommand:
		return "socket_commands"
	case socketmode.EventTypeEventsAPI:
		return "socket_events"
	case socketmode.EventTypeInteractive:
		return "socket_interactions"
	}
	return "socket"
}

// handle runs one envelope through the App and acks it.
func (s *socketRunner) handle(ctx context.Context, evt socketmode.Event, received time.Time, remember bool) {
	req := evt.Request
	log := s.log.With("type", string(evt.Type), "envelope_id", req.EnvelopeID)
	endpoint := endpointOf(evt.Type)
	// Handlers finish what they started even when shutdown begins: a
	// proposal half-handled is worse than a shutdown 2.5 s later.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), socketHandlerTimeout)
	defer cancel()

	var raw json.RawMessage
	ack := true
	result := "ok"
	func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error("socket mode handler panicked", "panic", p, "stack", string(debug.Stack()))
				result = "panic"
				raw = nil
				if evt.Type == socketmode.EventTypeSlashCommand {
					raw = s.payload(req.EnvelopeID, CommandResponse(replyText("Sorry, something went wrong on my side, so I may not have done what you asked. `%s list mine` shows where things stand.", s.app.slash())))
				}
			}
		}()
		switch evt.Type {
		case socketmode.EventTypeSlashCommand:
			cmd, ok := evt.Data.(slack.SlashCommand)
			if !ok || cmd.UserID == "" {
				log.Warn("slash command without a user ignored")
				result = "bad_payload"
				return
			}
			raw = s.commandPayload(req.EnvelopeID, s.app.HandleCommand(hctx, cmd))
		case socketmode.EventTypeEventsAPI:
			ev, ok := evt.Data.(slackevents.EventsAPIEvent)
			if !ok {
				result = "bad_payload"
				return
			}
			if err := s.app.HandleEvent(hctx, ev); err != nil {
				// As HTTP answers 500: the event was not recorded, so let
				// Slack redeliver it (it gives up after a few retries);
				// de-duplication by event_id keeps that safe.
				log.Error("handle event; not acking so that Slack redelivers it", "err", err, "retry_attempt", req.RetryAttempt)
				result, ack = "error", false
			}
		case socketmode.EventTypeInteractive:
			ic, ok := evt.Data.(slack.InteractionCallback)
			if !ok {
				result = "bad_payload"
				return
			}
			resp, err := s.app.HandleInteraction(hctx, ic)
			if err != nil {
				// Acked anyway: a redelivery would fail the same way, and
				// Slack tells the user the action failed if nothing changes.
				log.Error("handle interaction", "err", err, "interaction", string(ic.Type))
				result = "error"
				return
			}
			if resp != nil {
				raw = s.payload(req.EnvelopeID, resp)
			}
		}
	}()
	s.app.metrics.requests.WithLabelValues(endpoint, result).Inc()

	if raw != nil && !req.AcceptsResponsePayload {
		log.Warn("envelope does not take a response payload; acking without it")
		raw = nil
	}
	if remember {
		s.recent.finish(req.EnvelopeID, raw)
	}
	if !ack {
		return
	}
	var payload any
	if raw != nil {
		payload = raw
	}
	s.ack(ctx, req.EnvelopeID, payload)
	if late := time.Since(received); late > socketAckDeadline {
		log.Warn("envelope acked after Slack's 3 s deadline", "elapsed", late)
	}
}
