package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/baton-app/baton/slackfake"
)

// This file runs `baton serve` as a subprocess, for the crash loop and the
// footprint: a real binary, a real store file and a fake Slack over HTTP.

// buildBaton compiles cmd/baton into dir.
func buildBaton(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "baton")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/baton-app/baton/cmd/baton")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w: %s", err, out)
	}
	return bin, nil
}

// benchUsers are the people benchConfig names, added to a fake Slack so
// they resolve and can get DMs.
var benchUsers = regexp.MustCompile(`\bU[A-Z]+[0-9]+\b`)

func fakeSlack(opts ...slackfake.Option) (*slackfake.Server, string) {
	fake := slackfake.New(opts...)
	for _, u := range benchUsers.FindAllString(benchConfig, -1) {
		fake.AddUser(slackfake.User{ID: u, Name: strings.ToLower(u)})
	}
	return fake, fake.Start()
}

// serveConfig writes a config for serve on a free port and returns its
// path and base URL.
func serveConfig(dir, api, storePath string) (string, string, error) {
	port, err := freePort()
	if err != nil {
		return "", "", err
	}
	cfg := fmt.Sprintf("slack:\n  bot_token: xoxb-bench\n  signing_secret: %s\n  api_url: %s\n"+
		"server:\n  listen: 127.0.0.1:%d\n"+
		"store:\n  path: %s\n", signingSecret, api, port, storePath)
	path := filepath.Join(dir, "serve.yaml")
	if err := os.WriteFile(path, []byte(cfg+benchConfig), 0o600); err != nil {
		return "", "", err
	}
	return path, "http://127.0.0.1:" + strconv.Itoa(port), nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// server is one running `baton serve`.
type server struct {
	cmd    *exec.Cmd
	base   string
	exited chan struct{} // closed once the process has been waited for
}

// startServe starts serve and waits for /healthz; it returns how long
// that took.
func startServe(ctx context.Context, bin, cfg, base, logPath string) (*server, time.Duration, error) {
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(bin, "serve", "-config", cfg)
	cmd.Stdout, cmd.Stderr = lf, lf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, 0, err
	}
	exited := make(chan struct{})
	s := &server{cmd: cmd, base: base, exited: exited}
	go func() { _ = cmd.Wait(); lf.Close(); close(exited) }()
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-exited:
			return nil, 0, fmt.Errorf("serve exited before answering /healthz (see %s)", logPath)
		case <-ctx.Done():
			s.kill()
			return nil, 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, time.Since(start), nil
			}
		}
		if time.Since(start) > 2*time.Minute {
			s.kill()
			return nil, 0, fmt.Errorf("serve did not answer /healthz within 2 minutes")
		}
	}
}

// kill sends SIGKILL: no shutdown, as a crash or kill -9 does.
func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	<-s.exited
}

// rss is the resident set size of the process, in MB, from /proc; anon
// is the part that is not pages of mapped files (the store's mmap).
func (s *server) rss() (total, anon float64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	found := 0
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "RssAnon") {
			continue
		}
		kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
		if err != nil {
			return 0, 0, err
		}
		if name == "VmRSS" {
			total = float64(kb) / 1024
		} else {
			anon = float64(kb) / 1024
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("no VmRSS or RssAnon in /proc/%d/status", s.cmd.Process.Pid)
	}
	return total, anon, nil
}
