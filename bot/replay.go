package bot

import (
	"net/http"
	"strconv"
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
		first, err := a.store.MarkRequest(r.Header.Get("X-Slack-Signature"), time.Unix(secs, 0))
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

// storeTrouble answers a command when Baton cannot record anything.
const storeTrouble = "Sorry, I cannot record anything right now, so nothing was changed. Please try again in a moment."
