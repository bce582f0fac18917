package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/baton-app/baton/bot/blocks"
)

// MaxBody caps what Baton reads of a request from Slack. Slack's own
// payloads are far smaller.
const MaxBody = 1 << 20

// HTTPOptions configure the HTTP surface.
type HTTPOptions struct {
	SigningSecret string
}

// Handler returns the public HTTP surface: /slack/commands, /slack/events,
// /slack/interactions (all verified) and /healthz. Readiness, metrics and
// profiling are on AdminHandler, which is not for the internet.
func (a *App) Handler(opts HTTPOptions) http.Handler {
	mux := http.NewServeMux()
	verified := func(name string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
		return a.verify(name, opts.SigningSecret, a.countOK(name, h))
	}
	// Events are de-duplicated by event_id; commands and interactions carry
	// no such id, so their signatures are remembered instead.
	once := func(name string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
		return a.verify(name, opts.SigningSecret, a.refuseReplays(name, a.countOK(name, h)))
	}
	mux.Handle("POST /slack/commands", once("commands", a.serveCommand))
	mux.Handle("POST /slack/events", verified("events", a.serveEvent))
	mux.Handle("POST /slack/interactions", once("interactions", a.serveInteraction))
	mux.HandleFunc("GET /healthz", serveHealth)
	return mux
}

// verify reads the body once (capped), checks Slack's v0 signature and
// 5-minute window, and only then lets the handler parse the bytes.
func (a *App) verify(name, secret string, next func(http.ResponseWriter, *http.Request, []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer a.metrics.observe(name, time.Now())
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				a.metrics.requests.WithLabelValues(name, "too_large").Inc()
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			a.metrics.requests.WithLabelValues(name, "bad_body").Inc()
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			a.metrics.requests.WithLabelValues(name, "unauthorized").Inc()
			a.log.Warn("rejected unsigned or badly signed request", "endpoint", name, "err", err)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		next(w, r, body)
	})
}

// countOK counts a request as result="ok" once it is verified and, for
// commands and interactions, not a replay: each request is counted under
// exactly one result.
func (a *App) countOK(name string, next func(http.ResponseWriter, *http.Request, []byte)) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		a.metrics.requests.WithLabelValues(name, "ok").Inc()
		next(w, r, body)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// commandResponse is the ephemeral body a slash command is answered with.
// Its blocks are encoded by blocks.MarshalBlocks, which writes them
// without encoding/json's reflection.
type commandResponse struct {
	ResponseType string          `json:"response_type"`
	Text         string          `json:"text"`
	Blocks       json.RawMessage `json:"blocks,omitempty"`
}

// CommandResponse is the JSON body answering a slash command with r.
func CommandResponse(r Reply) any {
	resp := commandResponse{ResponseType: "ephemeral", Text: r.Text}
	if len(r.Blocks) > 0 {
		resp.Blocks, _ = blocks.MarshalBlocks(r.Blocks) // our own blocks; marshalling cannot fail
	}
	return resp
}

func (a *App) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form body", http.StatusBadRequest)
		return
	}
	sc := slack.SlashCommand{
		TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"), EnterpriseID: form.Get("enterprise_id"),
		ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"), UserID: form.Get("user_id"),
		UserName: form.Get("user_name"), Command: form.Get("command"), Text: form.Get("text"),
		ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
	}
	if sc.UserID == "" {
		http.Error(w, "missing user_id", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2500*time.Millisecond)
	defer cancel()
	writeJSON(w, CommandResponse(a.HandleCommand(ctx, sc)))
}

func (a *App) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// A well-formed callback of an event type Baton does not know (one
		// subscribed by hand, or new) is acknowledged, or Slack would retry
		// it for hours; only bodies that are not Slack events get a 400.
		var outer struct {
			Type    string `json:"type"`
			EventID string `json:"event_id"`
		}
		if json.Unmarshal(body, &outer) == nil && outer.Type == slackevents.CallbackEvent {
			if took, rerr := a.ResolveOnUnparsed(body); took {
				if rerr != nil {
					a.log.Error("queue re-resolution", "event_id", outer.EventID, "err", rerr)
					http.Error(w, "internal error", http.StatusInternalServerError)
					return
				}
				w.WriteHeader(http.StatusOK)
				return
			}
			a.log.Info("ignoring an event type Baton does not handle", "event_id", outer.EventID, "err", err)
			w.WriteHeader(http.StatusOK)
			return
		}
		a.log.Warn("unparsable event", "err", err)
		http.Error(w, "cannot parse event", http.StatusBadRequest)
		return
	}
	if ev.Type == slackevents.URLVerification {
		var uv slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &uv); err != nil {
			http.Error(w, "bad challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, uv.Challenge)
		return
	}
	if err := a.HandleEvent(r.Context(), ev); err != nil {
		// A 500 makes Slack retry, which is what we want when the store
		// could not record the event; de-duplication keeps retries safe.
		a.log.Error("handle event", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (a *App) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form body", http.StatusBadRequest)
		return
	}
	var ic slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &ic); err != nil {
		a.log.Warn("unparsable interaction payload", "err", err)
		http.Error(w, "cannot parse payload", http.StatusBadRequest)
		return
	}
	resp, err := a.HandleInteraction(r.Context(), ic)
	if err != nil {
		a.log.Error("handle interaction", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if resp != nil {
		writeJSON(w, resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}
