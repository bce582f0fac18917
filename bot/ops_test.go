package bot_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// admin sends GET path to the App's admin surface.
func (e *e2e) admin(path string) response {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.app.AdminHandler(bot.AdminOptions{Gatherer: e.reg}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return response{Status: rec.Code, Header: rec.Header(), Body: body}
}

// TestPublicListenerServesOnlySlackAndHealth: readiness, metrics and pprof
// are not on the listener Slack (and everyone else) can reach.
func TestPublicListenerServesOnlySlackAndHealth(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	if r := e.get("/healthz"); r.Status != http.StatusOK || string(r.Body) != "ok\n" {
		t.Errorf("/healthz: %s", r)
	}
	for _, path := range []string{"/readyz", "/metrics", "/debug/pprof/", "/debug/pprof/cmdline"} {
		if r := e.get(path); r.Status != http.StatusNotFound {
			t.Errorf("public %s: %s, want 404", path, r)
		}
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/debug/pprof/"} {
		if r := e.admin(path); r.Status != http.StatusOK {
			t.Errorf("admin %s: %d", path, r.Status)
		}
	}
}

// TestReadinessIgnoresSlackBlips: Slack's Web API failing does not make
// Baton unready (the outbox waits it out); only the store and, in Socket
// Mode, the connection do.
func TestReadinessIgnoresSlackBlips(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	if r := e.admin("/readyz"); r.Status != http.StatusOK || string(r.Body) != "ready\n" {
		t.Errorf("/readyz: %s", r)
	}
	e.fake.FailNext("auth.test", http.StatusServiceUnavailable, 0, 5)
	e.fake.Close()
	e.clock.Advance(time.Minute)
	if r := e.admin("/readyz"); r.Status != http.StatusOK {
		t.Errorf("/readyz with Slack unreachable: %s, want ready", r)
	}
}

// TestReadinessFailsWhileTheStoreCannotWrite: a store that cannot take
// writes makes /readyz 503 with a plain reason, no internal error text, and
// baton_store_writable 0.
func TestReadinessFailsWhileTheStoreCannotWrite(t *testing.T) {
	if onPostgres() {
		t.Skip("stands an unwritable store in with a read-only bbolt file")
	}
	e := newE2E(t, e2eOptions{})
	e.close()
	// A store opened read-only refuses every write, as a full disk or a
	// read-only remount does.
	st, err := store.Open(e.dbPath, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	app, err := bot.New(bot.Options{Config: e.cfg, Store: st, Slack: slack.New("xoxb-x", slack.OptionAPIURL("http://127.0.0.1:1/")), Clock: e.clock, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h := app.AdminHandler(bot.AdminOptions{Gatherer: reg})
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusServiceUnavailable || body != "not ready: the store cannot take writes (see the log)\n" {
		t.Errorf("/readyz on an unwritable store: %d %q", rec.Code, body)
	}
	if strings.Contains(body, filepath.Base(e.dbPath)) || strings.Contains(body, "read-only") {
		t.Errorf("/readyz leaked internals: %q", body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "baton_store_writable 0") {
		t.Errorf("/metrics lacks baton_store_writable 0")
	}
}

// TestMetricsExistAtStart: before any traffic, the series dashboards and
// alerts use exist, at zero; after traffic they count it.
func TestMetricsExistAtStart(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	body := string(e.admin("/metrics").Body)
	for _, want := range []string{
		`baton_slack_requests_total{endpoint="commands",result="ok"} 0`,
		`baton_slack_requests_total{endpoint="interactions",result="replay"} 0`,
		`baton_request_duration_seconds_bucket{endpoint="commands",le="3"} 0`,
		`baton_commands_total{verb="approve"} 0`,
		`baton_proposals_total{domain="product/pricing"} 0`,
		`baton_outbox_delivered_total{kind="dm"} 0`,
		`baton_jobs_total{job="digest"} 0`,
		`baton_outbox_pending 0`,
		`baton_outbox_oldest_due_age_seconds 0`,
		`baton_decisions_open{domain="product"} 0`,
		`baton_decisions_overdue{domain="product"} 0`,
		`baton_socket_mode_connected 0`,
		`baton_socket_mode_reconnects_total 0`,
		`baton_job_last_success_timestamp_seconds{job="reminders"}`,
		`baton_store_writable 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics at start lacks %s", want)
		}
	}
}

func TestMetrics(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(ravi, chProduct, "approve D-1")
	e.command(tom, chProduct, "Open an office in Lisbon #product")
	e.flush()
	e.send("/slack/commands", "application/x-www-form-urlencoded", []byte("text=x"), http.Header{"X-No-Signature": {"1"}})

	r := e.admin("/metrics")
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %s", r)
	}
	body := string(r.Body)
	for _, want := range []string{
		`baton_slack_requests_total{endpoint="commands",result="ok"} 3`,
		`baton_slack_requests_total{endpoint="commands",result="unauthorized"} 1`,
		`baton_request_duration_seconds_count{endpoint="commands"} 4`,
		`baton_commands_total{verb="propose"} 2`,
		`baton_proposals_total{domain="product"} 2`,
		`baton_transitions_total{verb="approve"} 1`,
		`baton_outbox_delivered_total{kind="dm"}`,
		`baton_outbox_delivered_total{kind="post"}`,
		`baton_decisions_open{domain="product"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestEverySeriesBatonWritesExistsAtStart: the label sets written outside
// the request paths (a dropped stale reminder, a bad Socket Mode frame,
// the jobs' transitions) exist at 0 from the start too, so rate() and
// absent() work on them before the first one happens.
func TestEverySeriesBatonWritesExistsAtStart(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	body := string(e.admin("/metrics").Body)
	for _, want := range []string{
		`baton_outbox_dropped_total{kind="stale_reminder"} 0`,
		`baton_slack_requests_total{endpoint="socket",result="bad_payload"} 0`,
		`baton_transitions_total{verb="escalate"} 0`,
		`baton_transitions_total{verb="remind"} 0`,
		`baton_transitions_total{verb="consent"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics at start lacks %s", want)
		}
	}
}

// TestReplayIsCountedOnce: a replayed command is counted under
// result="replay" only; it used to be counted as "ok" as well.
func TestReplayIsCountedOnce(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	body := []byte("team_id=" + slackfake.TeamID + "&api_app_id=" + slackfake.AppID + "&channel_id=" + chProduct + "&user_id=" + tom + "&command=%2Fdecide&text=help")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", sign(e.secret, ts, body))
	for range 2 {
		if r := e.send("/slack/commands", "application/x-www-form-urlencoded", body, h); r.Status != http.StatusOK {
			t.Fatalf("command: %s", r)
		}
	}
	got := string(e.admin("/metrics").Body)
	for _, want := range []string{
		`baton_slack_requests_total{endpoint="commands",result="ok"} 1`,
		`baton_slack_requests_total{endpoint="commands",result="replay"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
