package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store/pgstore"
)

// needPostgres returns BATON_TEST_POSTGRES. Without it the test is
// skipped — except under CI=true, where a missing database is a failure,
// not a silent skip.
func needPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("BATON_TEST_POSTGRES")
	switch {
	case base != "":
	case os.Getenv("CI") == "true":
		t.Fatal("CI=true but BATON_TEST_POSTGRES is not set: .ci/run starts PostgreSQL and sets it")
	default:
		t.Skip("BATON_TEST_POSTGRES is not set")
	}
	return base
}

// pgTestDSN is a DSN for a fresh schema of BATON_TEST_POSTGRES's database,
// dropped when t ends; the test is skipped without the variable (see
// store/pgstore's tests for the one line saying how to run them).
func pgTestDSN(t *testing.T) string {
	t.Helper()
	base := needPostgres(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema) // pgx passes unknown parameters to the server
	u.RawQuery = q.Encode()
	return u.String()
}

// pgConfig writes a config for store.driver postgres against the fake Slack.
func pgConfig(t *testing.T, dir, dsn, api string) string {
	t.Helper()
	yaml := "slack:\n  bot_token: xoxb-test\n  signing_secret: s3cret\n  api_url: " + api + "\n" +
		"server:\n  listen: 127.0.0.1:0\n  admin_listen: 127.0.0.1:0\n" +
		"store:\n  driver: postgres\n  dsn: '" + dsn + "'\n" +
		"timezone: UTC\ndefault_domain: company\n" +
		"domains:\n  - name: company\n    owners: [U01MAYA01]\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var ackID = regexp.MustCompile(`D-[0-9]+`)

// signedPropose sends /decide text as Slack would, signed, and returns the
// decision id in the acknowledgement.
func signedPropose(base, user, text string, n int) (string, error) {
	body := []byte(url.Values{
		"team_id": {slackfake.TeamID}, "channel_id": {"CPG0001"}, "user_id": {user},
		"command": {"/decide"}, "text": {text}, "api_app_id": {slackfake.AppID},
		"trigger_id": {"1337." + strconv.Itoa(n)},
	}.Encode())
	req, err := http.NewRequest(http.MethodPost, base+"/slack/commands", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("s3cret"))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	id := ackID.Find(b)
	if id == nil {
		return "", fmt.Errorf("no decision id in the acknowledgement %s", b)
	}
	return string(id), nil
}

// TestServePostgres: serve with store.driver postgres takes a proposal
// through the real handler, announces it through the outbox, and check
// -store reports the schema version and the decision.
func TestServePostgres(t *testing.T) {
	dsn := pgTestDSN(t)
	fake := slackfake.New()
	fake.AddUser(slackfake.User{ID: "U01MAYA01", Name: "maya"})
	fake.AddUser(slackfake.User{ID: "U01ANNA03", Name: "anna"})
	api := fake.Start()
	defer fake.Close()
	dir := t.TempDir()

	// A wrong DSN fails fast, without the password in the message.
	cfg := pgConfig(t, dir, "postgres://baton:hunter2@127.0.0.1:1/none?connect_timeout=2", api)
	r := cliRun(t, "check", "-store", "-config", cfg)
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "open the PostgreSQL store") || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("check -store on a wrong DSN: %q", r.stderr)
	}
	cfg = pgConfig(t, dir, dsn, api)

	srv := startServe(t, cfg, 20*time.Second)
	base, stderr := srv.base, &srv.stderr
	if !strings.Contains(stderr.String(), "store=postgres") {
		t.Errorf("start-up log does not say postgres:\n%s", stderr.String())
	}
	id, err := signedPropose(base, "U01ANNA03", "Adopt the four-day week", 1)
	if err != nil {
		t.Fatal(err)
	}
	if id != "D-1" {
		t.Errorf("first decision is %s, want D-1", id)
	}
	wctx, wcancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer wcancel()
	posts, err := fake.Wait(wctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(posts), "four-day week") {
		t.Errorf("posts do not announce the proposal: %+v", posts)
	}
	if r := cliRun(t, "check", "-store", "-config", cfg); r.code != exitOK || !strings.Contains(r.stdout, "ok: store postgres, schema version 2: 1 decision, every index checked") {
		t.Errorf("check -store: %d %q %q", r.code, r.stdout, r.stderr)
	}
	srv.stop(t)
	if strings.Contains(stderr.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", stderr.String())
	}
}

// TestCommandsOnPostgres: the commands that read the store read
// PostgreSQL when it is the driver; the bbolt file tools say what to use
// instead rather than touching a file nobody uses.
func TestCommandsOnPostgres(t *testing.T) {
	dsn := pgTestDSN(t)
	dir := t.TempDir()
	cfg := pgConfig(t, dir, dsn, "http://127.0.0.1:1/api/")
	st, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := cliDecision("Adopt the four-day week", "company", decisions.StatusOpen, "")
	d.Deciders = []string{"U01MAYA01"}
	if _, err := st.CreateDecision(d, nil); err != nil {
		t.Fatal(err)
	}
	st.Close()

	r := cliRun(t, "export", "-config", cfg, "-format", "csv")
	r.want(t, exitOK)
	if !strings.Contains(r.stdout, "D-1") || !strings.Contains(r.stdout, "four-day week") {
		t.Errorf("export: %q", r.stdout)
	}
	cliRun(t, "rights", "suggest", "-config", cfg).want(t, exitOK)
	cliRun(t, "route", "-config", cfg, "Adopt a new logo").want(t, exitOK)
	for _, args := range [][]string{
		{"backup", "-config", cfg, filepath.Join(dir, "b.db")},
		{"restore", "-config", cfg, filepath.Join(dir, "b.db")},
	} {
		r := cliRun(t, args...)
		r.want(t, exitFail)
		if !strings.Contains(r.stderr, "pg_dump") {
			t.Errorf("baton %s on postgres: %q", args[0], r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "baton.db")); err == nil {
		t.Error("a command created a bbolt file beside a postgres config")
	}
}
