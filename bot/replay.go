package bot

import (
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// refuseReplays answers a verified request whose exact signed bytes were
// already handled without acting again. Slack never retries slash commands
// and interactions, so a second copy within the 5-minute window is someone
// replaying a captured request; the store remembers signatures across a
// restart.
func (a *App) refuseReplays(name string, next func(http.ResponseWriter, *http.Request, []byte)) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		// verify has checked both headers; the timestamp parses.
		secs, _ := strconv.ParseInt(r.Header.Get("X-Slack-Request-Timestamp"), 10, 64)
		first, err := a.store.MarkRequest(replayKey(r.Header.Get("X-Slack-Signature")), time.Unix(secs, 0))
		if err != nil {
			a.log.Error("remember request signature", "endpoint", name, "err", err)
			if name == "commands" {
				writeJSON(w, CommandResponse(Reply{Text: storeTrouble}))
				return
			}
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !first {
			a.metrics.requests.WithLabelValues(name, "replay").Inc()
			a.log.Warn("ignored a replayed request: these exact signed bytes were already handled", "endpoint", name)
			if name == "commands" {
				writeJSON(w, CommandResponse(Reply{Text: "This exact request was already handled, so I did nothing again."}))
				return
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		next(w, r, body)
	}
}

// replayKey is the signature as the verifier compared it: the decoded
// HMAC bytes. The header's hex is accepted in either letter case, so keying
// on the raw header would let "v0=ABC…" replay "v0=abc…".
func replayKey(header string) string {
	sig, err := hex.DecodeString(strings.TrimPrefix(header, "v0="))
	if err != nil {
		return header // verify has already refused anything that does not decode
	}
	return string(sig)
}

// storeTrouble answers a command when Baton cannot record anything.
const storeTrouble = "Sorry, I cannot record anything right now, so nothing was changed. Please try again in a moment."
