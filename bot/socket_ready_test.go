package bot

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// value reads a gauge or counter through a registry of its own.
func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gather: %v %v", mfs, err)
	}
	m := mfs[0].GetMetric()[0]
	return m.GetGauge().GetValue() + m.GetCounter().GetValue()
}

// TestSocketModeReadiness: in Socket Mode, /readyz and
// baton_socket_mode_connected follow the connection, and a reconnect is
// counted.
func TestSocketModeReadiness(t *testing.T) {
	h := sockSetup(t)
	ctx := sockCtx(t)
	ready := func() int {
		rec := httptest.NewRecorder()
		h.app.AdminHandler(AdminOptions{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code
	}
	waitConnected := func(n int) {
		t.Helper()
		for {
			got, changed := h.logs.count("socket mode connected", "", "")
			if got >= n {
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				t.Fatalf("waiting for connection %d: %v", n, ctx.Err())
			}
		}
	}
	stop := h.start(t, h.api())
	waitConnected(1)
	if code := ready(); code != http.StatusOK {
		t.Errorf("/readyz while connected: %d", code)
	}
	if v := value(t, h.app.metrics.socketUp); v != 1 {
		t.Errorf("baton_socket_mode_connected = %v while connected", v)
	}
	h.sk.Disconnect()
	waitConnected(2)
	if v := value(t, h.app.metrics.reconnects); v != 1 {
		t.Errorf("baton_socket_mode_reconnects_total = %v after one reconnect", v)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if code := ready(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Socket Mode stopped: %d, want 503", code)
	}
	if v := value(t, h.app.metrics.socketUp); v != 0 {
		t.Errorf("baton_socket_mode_connected = %v after stopping", v)
	}
}
