package bot_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/store"
)

// damagedWhileServing returns an App on a store whose tree pages are
// overwritten after it opened, as a failing disk does under a running
// baton: every read now panics or faults inside bbolt.
func damagedWhileServing(t *testing.T) (*e2e, *bot.App, *store.Store) {
	t.Helper()
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the beta in March #product")
	e.command(tom, chProduct, "Open an office in Lisbon #product")
	e.close()
	st, err := store.Open(e.dbPath, store.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	app, err := bot.New(bot.Options{Config: e.cfg, Store: st, Slack: slack.New("xoxb-x", slack.OptionAPIURL("http://127.0.0.1:1/")),
		Clock: e.clock, Registerer: prometheus.NewRegistry(), Pace: -1,
		Logger: slog.New(slog.NewTextHandler(e.log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(e.dbPath, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	// Keep the two meta pages: bbolt still finds its root, then garbage.
	junk := []byte(strings.Repeat("\xa5\x5a\xff\x00\x13\x37\xbe\xef", int(fi.Size()/8)))
	if _, err := f.WriteAt(junk[:fi.Size()-8192], 8192); err != nil {
		t.Fatal(err)
	}
	return e, app, st
}

// TestStoreDamagedWhileServingStopsServe: the outbox and the jobs read a
// store that went bad after Open. bbolt panics (or faults) on such pages;
// that used to take the process down in the outbox goroutine, and a
// restart policy made it a crash loop. Now the App says the store is
// damaged, /readyz fails, the jobs stop with an error, and Damaged tells
// serve to stop with exit 1.
func TestStoreDamagedWhileServingStopsServe(t *testing.T) {
	e, app, st := damagedWhileServing(t)
	done := make(chan struct{})
	go func() { defer close(done); app.RunOutbox(e.ctx()) }()
	var err error
	select {
	case err = <-app.Damaged():
	case <-e.ctx().Done():
		t.Fatal("the outbox read a damaged store and nothing was reported")
	}
	<-done // the outbox stopped, it does not go on panicking
	if !errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), e.dbPath) {
		t.Errorf("damage reported as %v, want a *store.DamagedError naming the file", err)
	}
	if r := adminGet(app, "/readyz"); r.Status != http.StatusServiceUnavailable || strings.Contains(string(r.Body), e.dbPath) {
		t.Errorf("/readyz on a damaged store: %s, want 503 without internals", r)
	}
	if _, err := app.Scheduler().Tick(e.ctx(), e.clock, e.clock.Now().Add(8*24*time.Hour)); err == nil {
		t.Error("the jobs ran on a damaged store without an error")
	}
	// A write on the damaged file panics inside bbolt, whose rollback then
	// keeps its write lock: the write and every later one fail at once, and
	// serve is told, instead of hanging every handler.
	for range 2 {
		if err := st.Probe(e.clock.Now()); !errors.Is(err, store.ErrDamaged) {
			t.Errorf("a write on the damaged store: %v, want damaged", err)
		}
	}
	select {
	case <-st.Broken():
	default:
		t.Error("a write found damage and the store did not say so")
	}
	if err := st.Close(); !errors.Is(err, store.ErrDamaged) {
		t.Errorf("close: %v, want the damage, without waiting on bbolt's lock", err)
	}
}

// TestPanicOnACleanStoreIsNotCalledDamage: a panic while the store checks
// clean is a bug; serve still stops rather than loop, but does not send the
// operator to restore a backup (which would lose recent decisions).
func TestPanicOnACleanStoreIsNotCalledDamage(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	if e.app.Contain("outbox", func() { panic("a bug") }) {
		t.Fatal("contain reported a panic as a normal return")
	}
	select {
	case err := <-e.app.Damaged():
		if errors.Is(err, store.ErrDamaged) || !strings.Contains(err.Error(), "bug") {
			t.Errorf("got %v, want a bug report, not store damage", err)
		}
	default:
		t.Fatal("nothing reported")
	}
	if r := e.admin("/readyz"); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz after the outbox failed: %s, want 503", r)
	}
}

func adminGet(app *bot.App, path string) response {
	rec := httptest.NewRecorder()
	app.AdminHandler(bot.AdminOptions{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}
