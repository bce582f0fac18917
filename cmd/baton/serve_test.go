package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/slackfake"
)

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "ok\n")
	}))
	defer ok.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer broken.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := ln.Addr().String()
	ln.Close()

	r := cliRun(t, "healthcheck", "-url", ok.URL+"/healthz")
	r.want(t, exitOK)
	if r.stdout != "ok\n" {
		t.Errorf("stdout %q", r.stdout)
	}

	r = cliRun(t, "healthcheck", "-url", broken.URL+"/healthz")
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "500 Internal Server Error") {
		t.Errorf("stderr %q", r.stderr)
	}

	r = cliRun(t, "healthcheck", "-url", "http://"+nobody+"/healthz")
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "health check") {
		t.Errorf("stderr %q", r.stderr)
	}

	// Without -url it asks server.listen from the config, on loopback.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ok.URL, "http://"))
	cfg := cliConfig(t, t.TempDir(), "server: {listen: \":"+port+"\"}\n")
	cliRun(t, "healthcheck", "-config", cfg).want(t, exitOK)

	cliRun(t, "healthcheck", "extra").want(t, exitUsage)
}

func TestServeNeedsCredentials(t *testing.T) {
	dir := t.TempDir()
	r := cliRun(t, "serve", "-config", cliConfig(t, dir, ""))
	r.want(t, exitFail)
	for _, want := range []string{"slack.bot_token", "SLACK_BOT_TOKEN", "slack.signing_secret", "baton shell"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q: %q", want, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "baton.db")); err == nil {
		t.Error("serve created the store before checking credentials")
	}
	cliRun(t, "serve", "-config", cliConfig(t, dir, ""), "-log-level", "loud").want(t, exitUsage)
}

// TestServe runs serve against the fake Slack: it answers /healthz, a
// second serve on the same store is refused, backup works through the
// admin socket meanwhile, and cancelling shuts down in reverse order.
func TestServe(t *testing.T) {
	fake := slackfake.New()
	api := fake.Start()
	defer fake.Close()
	dir := t.TempDir()
	cfg := cliConfig(t, dir, "slack:\n"+
		"  bot_token: xoxb-test\n"+
		"  signing_secret: s3cret\n"+
		"  api_url: "+api+"\n"+
		"server:\n  listen: 127.0.0.1:0\n  admin_listen: 127.0.0.1:0\n")

	srv := startServe(t, cfg, 10*time.Second)
	base, stderr := srv.base, &srv.stderr
	if !strings.Contains(stderr.String(), "msg=\"baton serving\"") || !strings.Contains(stderr.String(), "listen="+strings.TrimPrefix(base, "http://")) {
		t.Errorf("start-up log does not name the bound address:\n%s", stderr.String())
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Errorf("/healthz = %s %q", resp.Status, body)
	}
	cliRun(t, "healthcheck", "-url", base+"/healthz").want(t, exitOK)
	if !strings.Contains(stderr.String(), "config="+cfg) {
		t.Errorf("start-up log does not name the config file:\n%s", stderr.String())
	}

	// The operator's endpoints are on the admin listener only.
	admin := srv.admin
	for path, want := range map[string]string{
		"/readyz":              "ready\n",
		"/metrics":             `baton_build_info{goversion="`,
		"/healthz":             "ok\n",
		"/debug/pprof/cmdline": "",
	} {
		resp, err := http.Get(admin + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			t.Errorf("admin %s = %s %.200q", path, resp.Status, body)
		}
		if path == "/healthz" {
			continue
		}
		resp, err = http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("public %s = %s, want 404", path, resp.Status)
		}
	}

	// A signed-less Slack request is refused: the real handlers are mounted.
	resp, err = http.Post(base+"/slack/commands", "application/x-www-form-urlencoded", strings.NewReader("text=help"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned /slack/commands = %s, want 401", resp.Status)
	}

	second := cliRun(t, "serve", "-config", cfg)
	second.want(t, exitFail)
	if !strings.Contains(second.stderr, "is another baton running on this file?") || !strings.Contains(second.stderr, "store.path") {
		t.Errorf("second serve: %q", second.stderr)
	}

	dest := filepath.Join(t.TempDir(), "copy.db")
	cliRun(t, "backup", "-config", cfg, dest).want(t, exitOK)
	// The full store check works while serve holds the file, on a copy.
	if r := cliRun(t, "check", "-store", "-config", cfg); r.code != exitOK || !strings.Contains(r.stdout, "(a consistent copy from the running baton): 0 decisions, every page and index checked") {
		t.Errorf("check -store while serving: %d %q %q", r.code, r.stdout, r.stderr)
	}

	srv.stop(t)
	log := stderr.String()
	last := -1
	for _, step := range []string{"msg=\"shutting down: stopping intake\"", "msg=\"http server stopped\"", "msg=\"scheduler stopped\"", "msg=\"outbox stopped\"", "msg=\"store closed\""} {
		i := strings.Index(log, step)
		if i < 0 {
			t.Errorf("no %s in the log:\n%s", step, log)
			continue
		}
		if i < last {
			t.Errorf("%s logged out of order:\n%s", step, log)
		}
		last = i
	}
	if strings.Contains(log, "level=ERROR") {
		t.Errorf("errors logged:\n%s", log)
	}
	if _, err := os.Stat(adminSocket(filepath.Join(dir, "baton.db"))); err == nil {
		t.Error("admin socket left behind")
	}
	// The store was closed: it opens again.
	cliSeed(t, filepath.Join(dir, "baton.db"))
}
