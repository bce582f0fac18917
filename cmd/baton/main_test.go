package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// exampleConfig is the shipped example, which every command must accept.
const exampleConfig = "../../config.example.yaml"

// cliBuffer is a bytes.Buffer safe for a serve goroutine's logger to write
// while the test reads.
type cliBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *cliBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *cliBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// cliResult is what one run of the binary left behind.
type cliResult struct {
	code           int
	stdout, stderr string
}

// cliEnv is an env with an empty environment plus vars, so the developer's
// shell (SLACK_BOT_TOKEN, BATON_DB…) never changes a result.
func cliEnv(stdout, stderr *cliBuffer, vars map[string]string) *env {
	return &env{
		stdin:  strings.NewReader(""),
		stdout: stdout,
		stderr: stderr,
		getenv: func(k string) string { return vars[k] },
		lookupEnv: func(k string) (string, bool) {
			v, ok := vars[k]
			return v, ok
		},
	}
}

// cliRun runs `baton args…` in-process.
func cliRun(t *testing.T, args ...string) cliResult {
	t.Helper()
	return cliRunCtx(t, t.Context(), nil, args...)
}

func cliRunCtx(t *testing.T, ctx context.Context, vars map[string]string, args ...string) cliResult {
	t.Helper()
	var stdout, stderr cliBuffer
	code := dispatch(ctx, cliEnv(&stdout, &stderr, vars), args)
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func (r cliResult) want(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// cliConfig writes a small valid config whose store lives in dir, plus
// extra top-level YAML, and returns its path.
func cliConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	yaml := "store:\n  path: " + filepath.Join(dir, "baton.db") + "\n" +
		"timezone: UTC\n" +
		extra +
		"default_domain: company\n" +
		"domains:\n" +
		"  - name: company\n" +
		"    owners: [U01MAYA01]\n" +
		"  - name: product\n" +
		"    owners: [U01RAVI02]\n" +
		"    match:\n" +
		"      keywords: [feature]\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cliSeed stores decisions in the store at path, the way the bot does, and
// closes it.
func cliSeed(t *testing.T, path string, ds ...decisions.Decision) {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, d := range ds {
		if _, err := st.CreateDecision(d, nil); err != nil {
			t.Fatalf("seed %q: %v", d.Title, err)
		}
	}
}

var cliT0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func cliDecision(title, domain string, st decisions.Status, rationale string) decisions.Decision {
	d := decisions.Decision{
		Title:     title,
		Proposer:  "U02SOFIA3",
		Domain:    domain,
		Deciders:  []string{"U01RAVI02"},
		Reason:    "test",
		Status:    st,
		Rationale: rationale,
		CreatedAt: cliT0,
		UpdatedAt: cliT0,
		History:   []decisions.Event{{At: cliT0, Actor: "U02SOFIA3", Kind: decisions.EventProposed}},
	}
	if st != decisions.StatusOpen {
		d.DecidedAt, d.DecidedBy = cliT0.Add(time.Hour), "U01RAVI02"
	}
	return d
}

func TestUsage(t *testing.T) {
	r := cliRun(t)
	r.want(t, exitUsage)
	if r.stdout != "" || !strings.Contains(r.stderr, "Usage: baton <command>") {
		t.Errorf("no args: usage belongs on stderr\nstdout: %q\nstderr: %q", r.stdout, r.stderr)
	}
	for _, sc := range subcommands() {
		if !strings.Contains(r.stderr, "  "+sc.name+" ") {
			t.Errorf("usage does not list %s:\n%s", sc.name, r.stderr)
		}
	}

	for _, h := range []string{"-h", "--help", "help"} {
		r := cliRun(t, h)
		r.want(t, exitOK)
		if !strings.Contains(r.stdout, "Usage: baton <command>") || !strings.Contains(r.stdout, "backup") {
			t.Errorf("%s: asked-for help goes to stdout, got stdout %q stderr %q", h, r.stdout, r.stderr)
		}
	}

	r = cliRun(t, "help", "nope")
	r.want(t, exitUsage)

	r = cliRun(t, "help", "route")
	r.want(t, exitOK)
	if !strings.Contains(r.stderr, "Usage: baton route") || !strings.Contains(r.stderr, "-channel") {
		t.Errorf("help route: %q", r.stderr)
	}

	r = cliRun(t, "serve", "-h")
	r.want(t, exitOK)
	if !strings.Contains(r.stderr, "-log-level") || !strings.Contains(r.stderr, "-config") {
		t.Errorf("serve -h: %q", r.stderr)
	}
}

func TestUnknownCommand(t *testing.T) {
	r := cliRun(t, "serv")
	r.want(t, exitUsage)
	if !strings.Contains(r.stderr, `unknown command "serv"`) || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = cliRun(t, "-config", "x.yaml", "check")
	r.want(t, exitUsage)
	if !strings.Contains(r.stderr, "baton check -config") {
		t.Errorf("a flag before the command should say where it goes: %q", r.stderr)
	}
}

func TestVersion(t *testing.T) {
	r := cliRun(t, "version")
	r.want(t, exitOK)
	if r.stdout != "baton "+version+"\n" {
		t.Errorf("version printed %q", r.stdout)
	}
	cliRun(t, "version", "-bogus").want(t, exitUsage)
}
