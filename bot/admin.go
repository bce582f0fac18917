package bot

import (
	"errors"
	"io"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/baton-app/baton/store"
)

// AdminOptions configure the operator's HTTP surface.
type AdminOptions struct {
	Gatherer prometheus.Gatherer // for /metrics; nil disables it
}

// AdminHandler returns the operator's surface, for server.admin_listen:
// /healthz, /readyz, /metrics and net/http/pprof under /debug/pprof/. It
// answers anyone who can reach it, so it belongs on loopback or a private
// network, never beside /slack/*.
func (a *App) AdminHandler(opts AdminOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", serveHealth)
	mux.HandleFunc("GET /readyz", a.serveReady)
	if opts.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	// pprof's handlers, mounted on this mux rather than DefaultServeMux so
	// they never leak onto another listener.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// probeTTL is how long a store write probe is trusted, so frequent
// readiness checks and scrapes cost one small write every few seconds.
const probeTTL = 5 * time.Second

// readiness is what /readyz reports: whether the store takes writes (probed,
// cached by the App's clock) and, in Socket Mode, whether the connection is
// open. Slack's Web API is not part of it: a passing API blip delays
// messages in the outbox, and restarting Baton would not help.
type readiness struct {
	mu      sync.Mutex
	checked time.Time
	err     error

	socketMode atomic.Bool // set by RunSocketMode
	socketUp   atomic.Bool

	damage damage // set once the store failed while serving (damage.go)
}

// storeWritable probes the store at most once per probeTTL.
func (a *App) storeWritable() error {
	a.ready.mu.Lock()
	defer a.ready.mu.Unlock()
	now := a.clock.Now()
	if a.ready.checked.IsZero() || now.Sub(a.ready.checked) >= probeTTL || now.Before(a.ready.checked) {
		err := a.store.Probe(now)
		if de := (*store.DamagedError)(nil); errors.As(err, &de) {
			a.ready.damage.set(de) // serve stops on it (damage.go)
		}
		if err != nil && a.ready.err == nil {
			a.log.Error("the store cannot take writes: not ready", "err", err)
		} else if err == nil && a.ready.err != nil {
			a.log.Info("the store takes writes again: ready")
		}
		a.ready.err, a.ready.checked = err, now
	}
	return a.ready.err
}

// setSocketUp records the Socket Mode connection state for /readyz and
// baton_socket_mode_connected.
func (a *App) setSocketUp(up bool) {
	a.ready.socketUp.Store(up)
	if up {
		a.metrics.socketUp.Set(1)
	} else {
		a.metrics.socketUp.Set(0)
	}
}

// serveReady answers 200 "ready", or 503 with a reason meant for an
// operator; details go to the log, never to the caller.
func (a *App) serveReady(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.ready.damage.get() != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: reading the store failed, baton is stopping (see the log)\n")
		return
	}
	if err := a.storeWritable(); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: the store cannot take writes (see the log)\n")
		return
	}
	if a.ready.socketMode.Load() && !a.ready.socketUp.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: Socket Mode is not connected\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}
