package main

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-app/baton/slackfake"
)

// logLines is a log writer a test can wait on.
type logLines struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
}

func newLogLines() *logLines { return &logLines{changed: make(chan struct{})} }

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	close(l.changed)
	l.changed = make(chan struct{})
	return len(p), nil
}

// waitFor blocks until the log holds s, and returns the log.
func (l *logLines) waitFor(t *testing.T, ctx context.Context, s string) string {
	t.Helper()
	for {
		l.mu.Lock()
		text, changed := l.b.String(), l.changed
		l.mu.Unlock()
		if strings.Contains(text, s) {
			return text
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("waiting for %q in the log:\n%s", s, text)
		}
	}
}

// TestServeReloadsOnSIGHUP: SIGHUP swaps in a changed config and logs what
// changed; a file with a problem is refused, its problem logged, and the
// running config stays.
func TestServeReloadsOnSIGHUP(t *testing.T) {
	fake := slackfake.New()
	api := fake.Start()
	defer fake.Close()
	dir := t.TempDir()
	head := "slack:\n  bot_token: xoxb-test\n  signing_secret: s3cret\n  api_url: " + api + "\n" +
		"server:\n  listen: 127.0.0.1:0\n  admin_listen: 127.0.0.1:0\n"
	cfg := cliConfig(t, dir, head)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var stdout cliBuffer
	logs := newLogLines()
	e := cliEnv(&stdout, nil, nil)
	e.stderr = logs
	hup := make(chan os.Signal, 1)
	e.hangup = hup
	exit := make(chan int, 1)
	go func() { exit <- dispatch(ctx, e, []string{"serve", "-config", cfg}) }()
	logs.waitFor(t, ctx, `msg="baton serving"`)

	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	grown := string(data) + "  - name: facilities\n    owners: [U01MAYA01, U01RAVI02]\n"
	if err := os.WriteFile(cfg, []byte(grown), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- nil
	logs.waitFor(t, ctx, `msg="config reloaded" config=`+cfg+` changes="+1 domain"`)

	if err := os.WriteFile(cfg, []byte(grown+"    sla: soon\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- nil
	text := logs.waitFor(t, ctx, "config reload refused; the running config stays")
	if !strings.Contains(text, `domains[2].sla: invalid duration \"soon\"`) {
		t.Errorf("the refused file's problem is not logged:\n%s", text)
	}
	cancel()
	if code := <-exit; code != exitOK {
		t.Fatalf("serve exited %d:\n%s", code, logs.b.String())
	}
}
