package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/store"
)

// routeOut decodes `baton route -json` strictly: exactly the contract's
// fields, lists present and never null.
func routeOut(t *testing.T, out string) routeJSON {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &fields); err != nil {
		t.Fatalf("not one JSON object: %v\n%s", err, out)
	}
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"advisors", "deciders", "domain", "informed", "reason"}; !slices.Equal(keys, want) {
		t.Errorf("fields %q, want exactly %q", keys, want)
	}
	for _, k := range []string{"deciders", "advisors", "informed"} {
		if !bytes.HasPrefix(fields[k], []byte("[")) {
			t.Errorf("%s = %s, want a list ([] when empty)", k, fields[k])
		}
	}
	var r routeJSON
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Errorf("more than one JSON value: %s", out)
	}
	return r
}

// TestRoutePrecedence shows each level of the contract's precedence on the
// example config: #tag > channel > keyword > default_domain.
func TestRoutePrecedence(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		domain   string
		deciders []string
		reason   string
	}{
		{"tag beats channel and keyword", []string{"-channel", "C03INFRA01", "#pricing should the roadmap change"},
			"product/pricing", []string{"U02SOFIA3", "U01RAVI02"}, "#pricing"},
		{"channel beats keyword", []string{"-channel", "C03INFRA01", "should the roadmap change"},
			"engineering/infrastructure", nil, "channel C03INFRA01"},
		{"keyword beats default", []string{"should the roadmap change"},
			"product/roadmap", nil, `keyword "roadmap"`},
		{"default when nothing matches", []string{"lunch", "on", "fridays"},
			"company", []string{"U01MAYA01"}, "default domain company"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cliRun(t, append([]string{"route", "-config", exampleConfig, "-json"}, tt.args...)...)
			r.want(t, exitOK)
			got := routeOut(t, r.stdout)
			if got.Domain != tt.domain || !strings.Contains(got.Reason, tt.reason) || len(got.Deciders) == 0 {
				t.Errorf("routed to %q (%q), deciders %q; want %q with a reason naming %q", got.Domain, got.Reason, got.Deciders, tt.domain, tt.reason)
			}
			if tt.deciders != nil && !slices.Equal(got.Deciders, tt.deciders) {
				t.Errorf("deciders %q, want %q", got.Deciders, tt.deciders)
			}
		})
	}
}

func TestRouteJSONEmptyListsAndNoMatch(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	yaml := "store: {path: " + filepath.Join(dir, "baton.db") + "}\n" +
		"domains:\n  - name: product\n    owners: [U01RAVI02]\n    match: {keywords: [feature]}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cliRun(t, "route", "-config", cfg, "-json", "a new feature")
	r.want(t, exitOK)
	got := routeOut(t, r.stdout)
	if got.Domain != "product" || len(got.Advisors) != 0 || len(got.Informed) != 0 {
		t.Errorf("route = %+v", got)
	}

	// No default domain and nothing matched: the dry run still answers,
	// and says why nobody was picked.
	r = cliRun(t, "route", "-config", cfg, "-json", "lunch on fridays")
	r.want(t, exitOK)
	got = routeOut(t, r.stdout)
	if got.Domain != "" || len(got.Deciders) != 0 || got.Reason == "" {
		t.Errorf("unmatched route = %+v", got)
	}
}

func TestRouteText(t *testing.T) {
	r := cliRun(t, "route", "-config", exampleConfig, "#pricing a discount for charities")
	r.want(t, exitOK)
	for _, want := range []string{
		"domain:   product/pricing\n",
		"deciders: Sofia Lindqvist (U02SOFIA3), Ravi Patel (U01RAVI02)\n",
		"advisors: Ben Carter (U06BEN006), Fatima Zahra (U01FATIM3)\n",
		"reason:   #pricing tag matched",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q in:\n%s", want, r.stdout)
		}
	}
}

// TestRouteReadsAways: the dry run sees who is away in the store, as the
// bot does, so it never names someone who will not get the decision.
func TestRouteReadsAways(t *testing.T) {
	dir := t.TempDir()
	cfg := cliConfig(t, dir, "")
	st, err := store.Open(filepath.Join(dir, "baton.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.SetAway(store.Away{User: "U01RAVI02", Until: time.Now().Add(72 * time.Hour), Delegate: "U02TOM004"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := cliRun(t, "route", "-config", cfg, "-json", "a new feature")
	r.want(t, exitOK)
	got := routeOut(t, r.stdout)
	// Ravi keeps the decision right; the reason says Tom acts for him.
	if got.Domain != "product" || !slices.Equal(got.Deciders, []string{"U01RAVI02"}) || !strings.Contains(got.Reason, "U02TOM004 acts for them") {
		t.Errorf("Ravi is away, delegating to Tom; route = %+v", got)
	}
}

func TestRouteUsage(t *testing.T) {
	for _, args := range [][]string{{"route"}, {"route", "-json"}, {"route", "-config", exampleConfig, "  "}, {"route", "-nope", "x"}} {
		r := cliRun(t, args...)
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "Usage: baton route") {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
}

func TestRouteWhileServing(t *testing.T) {
	dir := t.TempDir()
	cfg := cliConfig(t, dir, "")
	holdStore(t, filepath.Join(dir, "baton.db"), false)
	r := cliRun(t, "route", "-config", cfg, "-json", "a new feature")
	r.want(t, exitOK)
	if got := routeOut(t, r.stdout); got.Domain != "product" {
		t.Errorf("route = %+v", got)
	}
	if !strings.Contains(r.stderr, "a running baton holds the store") {
		t.Errorf("stderr %q", r.stderr)
	}
}
