package main

import (
	"context"
	"testing"
	"time"
)

// served is a `baton serve` running inside a test.
type served struct {
	stderr cliBuffer
	exit   chan int
	cancel context.CancelFunc
	// base and admin are the Slack and admin listeners as http://host:port
	// (admin is "" when the config has none).
	base, admin string
}

// startServe runs `baton serve -config cfg` and waits until it listens,
// failing the test if it exits or takes longer than wait. The serve stops
// with the test at the latest.
func startServe(t *testing.T, cfg string, wait time.Duration) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &served{exit: make(chan int, 1), cancel: cancel}
	t.Cleanup(cancel)
	var stdout cliBuffer
	e := cliEnv(&stdout, &s.stderr, nil)
	addr, admin := make(chan string, 1), make(chan string, 1)
	e.listening = func(a string) { addr <- a }
	e.adminListening = func(a string) { admin <- a }
	go func() { s.exit <- dispatch(ctx, e, []string{"serve", "-config", cfg}) }()
	select {
	case a := <-addr:
		s.base = "http://" + a
	case code := <-s.exit:
		t.Fatalf("serve exited %d before listening:\n%s", code, s.stderr.String())
	case <-time.After(wait):
		t.Fatalf("serve did not start:\n%s", s.stderr.String())
	}
	select { // the admin listener, when configured, binds before the Slack one
	case a := <-admin:
		s.admin = "http://" + a
	default:
	}
	return s
}

// waitExit waits for serve to exit by itself, failing the test unless it
// exits with want within wait.
func (s *served) waitExit(t *testing.T, want int, wait time.Duration) {
	t.Helper()
	select {
	case code := <-s.exit:
		if code != want {
			t.Fatalf("serve exited %d, want %d:\n%s", code, want, s.stderr.String())
		}
	case <-time.After(wait):
		t.Fatalf("serve did not exit within %s:\n%s", wait, s.stderr.String())
	}
}

// stop cancels serve (as SIGTERM does) and waits for a clean exit.
func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	s.waitExit(t, exitOK, 20*time.Second)
}
