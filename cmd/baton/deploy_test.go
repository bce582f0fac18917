package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
)

var metricName = regexp.MustCompile(`\bbaton_[a-z0-9_]+`)

// TestDeployFilesUseRealMetrics: every baton_* series the shipped Grafana
// dashboard and Prometheus rules query is one serve exports from the
// start, so neither silently shows nothing after a rename.
func TestDeployFilesUseRealMetrics(t *testing.T) {
	exported := servedMetricNames(t)

	var rules struct {
		Groups []struct {
			Name  string
			Rules []struct {
				Alert, Expr string
			}
		}
	}
	alerts := readDeploy(t, "alerts.yaml")
	if err := yaml.Unmarshal(alerts, &rules); err != nil {
		t.Fatalf("alerts.yaml: %v", err)
	}
	var names []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("alerts.yaml: a rule in %s lacks alert or expr", g.Name)
			}
			names = append(names, r.Alert)
		}
	}
	for _, want := range []string{"BatonOutboxStuck", "BatonJobNotRun", "BatonAcksSlow", "BatonStoreNotReady"} {
		if !slices.Contains(names, want) {
			t.Errorf("alerts.yaml has no %s rule", want)
		}
	}

	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	dashboard := readDeploy(t, "grafana-dashboard.json")
	if err := json.Unmarshal(dashboard, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	if len(dash.Panels) == 0 {
		t.Error("the dashboard has no panels")
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
	}

	for file, text := range map[string][]byte{"alerts.yaml": alerts, "grafana-dashboard.json": dashboard} {
		used := metricName.FindAllString(string(text), -1)
		if len(used) == 0 {
			t.Errorf("%s uses no baton_* metric", file)
		}
		for _, m := range used {
			if !exported[m] {
				t.Errorf("%s uses %s, which serve does not export", file, m)
			}
		}
	}
}

func readDeploy(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// servedMetricNames builds the registry exactly as serve does, before any
// traffic, and lists every series name it exposes (histograms as their
// _bucket, _sum and _count).
func servedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	example, err := os.ReadFile(filepath.Join("..", "..", "config.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("config.example.yaml", example, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "baton.db"), store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := newRegistry()
	if _, err := bot.New(bot.Options{Config: cfg, Store: st, Slack: slackClient(cfg, reg), Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		out[mf.GetName()] = true
		if mf.GetType().String() == "HISTOGRAM" {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[mf.GetName()+s] = true
			}
		}
	}
	return out
}
