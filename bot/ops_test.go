package bot_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHealthAndReadiness(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	if r := e.get("/healthz"); r.Status != http.StatusOK {
		t.Errorf("/healthz: %s", r)
	}
	if r := e.get("/readyz"); r.Status != http.StatusOK {
		t.Errorf("/readyz with Slack up: %s", r)
	}

	// Slack fails: once the cached check expires, not ready.
	e.fake.FailNext("auth.test", http.StatusServiceUnavailable, 0, 1)
	if r := e.get("/readyz"); r.Status != http.StatusOK {
		t.Errorf("/readyz re-checked Slack within its cache window: %s", r)
	}
	e.clock.Advance(31 * time.Second)
	if r := e.get("/readyz"); r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "slack") {
		t.Errorf("/readyz with Slack down: %s, want 503 naming slack", r)
	}
	if r := e.get("/healthz"); r.Status != http.StatusOK {
		t.Errorf("/healthz must not depend on Slack: %s", r)
	}

	// Slack recovers.
	e.clock.Advance(31 * time.Second)
	if r := e.get("/readyz"); r.Status != http.StatusOK {
		t.Errorf("/readyz after Slack recovered: %s", r)
	}

	// Slack unreachable: connection refused.
	e.fake.Close()
	e.clock.Advance(31 * time.Second)
	if r := e.get("/readyz"); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Slack unreachable: %s", r)
	}
}

func TestMetrics(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(ravi, chProduct, "approve D-1")
	e.flush()
	e.send("/slack/commands", "application/x-www-form-urlencoded", []byte("text=x"), http.Header{"X-No-Signature": {"1"}})

	r := e.get("/metrics")
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %s", r)
	}
	body := string(r.Body)
	for _, want := range []string{
		`baton_slack_requests_total{endpoint="commands",result="ok"} 2`,
		`baton_slack_requests_total{endpoint="commands",result="unauthorized"} 1`,
		`baton_commands_total{verb="propose"} 1`,
		`baton_proposals_total{domain="product"} 1`,
		`baton_transitions_total{verb="approve"} 1`,
		`baton_outbox_delivered_total{kind="dm"}`,
		`baton_outbox_delivered_total{kind="post"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
