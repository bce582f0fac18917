package main

import (
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

	srv := startServe(t, cfg, 10*time.Second)
	admin, stderr := srv.admin, &srv.stderr

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
	if resp, err := http.Get(admin + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("/readyz on a damaged store: %s, want 503", resp.Status)
		}
	}
	srv.waitExit(t, exitFail, 20*time.Second) // not serving a damaged store on
	log := stderr.String()
	if !strings.Contains(log, "baton serve: the store at "+db+" is damaged (") || !strings.Contains(log, "baton restore") {
		t.Errorf("serve's last words lack the damage and the restore advice:\n%s", log)
	}
}
