package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/slackfake"
)

// TestServeStopsWhenTheStoreGoesBad: the file is overwritten under a
// running serve, as a failing disk does. bbolt panics on the pages, which
// used to crash serve (and, under a restart policy, loop). Now serve stops
// on its own with exit 1 and the restore advice, and never panics.
func TestServeStopsWhenTheStoreGoesBad(t *testing.T) {
	fake := slackfake.New()
	api := fake.Start()
	defer fake.Close()
	dir := t.TempDir()
	db := filepath.Join(dir, "baton.db")
	cliSeed(t, db, cliDecision("Ship it", "product", "open", ""))
	cfg := cliConfig(t, dir, "slack:\n"+
		"  bot_token: xoxb-test\n"+
		"  signing_secret: s3cret\n"+
		"  api_url: "+api+"\n"+
		"server:\n  listen: 127.0.0.1:0\n  admin_listen: 127.0.0.1:0\n")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr cliBuffer
	e := cliEnv(&stdout, &stderr, nil)
	adminAddr := make(chan string, 1)
	e.adminListening = func(a string) { adminAddr <- a }
	listening := make(chan string, 1)
	e.listening = func(a string) { listening <- a }
	exit := make(chan int, 1)
	go func() { exit <- dispatch(ctx, e, []string{"serve", "-config", cfg}) }()
	admin := ""
	select {
	case admin = <-adminAddr:
	case code := <-exit:
		t.Fatalf("serve exited %d before listening:\n%s", code, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not start:\n%s", stderr.String())
	}
	<-listening

	f, err := os.OpenFile(db, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := f.Stat()
	junk := []byte(strings.Repeat("\xa5\x5a\xff\x00\x13\x37\xbe\xef", int(fi.Size()/8)))
	if _, err := f.WriteAt(junk[:fi.Size()-8192], 8192); err != nil { // keep the two meta pages
		t.Fatal(err)
	}
	f.Close()

	// The readiness probe writes to the store; the outbox reads it on its
	// own within seconds. Either finds the damage.
	if resp, err := http.Get("http://" + admin + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz on a damaged store: %s, want 503", resp.Status)
		}
	}
	select {
	case code := <-exit:
		if code != exitFail {
			t.Errorf("serve exited %d, want %d", code, exitFail)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve went on serving a damaged store:\n%s", stderr.String())
	}
	log := stderr.String()
	if !strings.Contains(log, "baton serve: the store at "+db+" is damaged (") || !strings.Contains(log, "baton restore") {
		t.Errorf("serve's last words lack the damage and the restore advice:\n%s", log)
	}
}
