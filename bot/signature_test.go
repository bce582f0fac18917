package bot_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestSlackSigningExample checks our v0 signing against the worked example
// in Slack's "Verifying requests from Slack" guide, then that the handler
// refuses that very request as a replay (it is years old) and accepts the
// same body signed now.
func TestSlackSigningExample(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "signing_example.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(body) != 362 {
		t.Fatalf("example body is %d bytes, want 362 (no trailing newline)", len(body))
	}
	const (
		ts   = "1531420618"
		want = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	if got := sign(exampleSecret, ts, body); got != want {
		t.Fatalf("signature of Slack's example:\n got %s\nwant %s", got, want)
	}

	e := newE2E(t, e2eOptions{})
	before := e.counts()
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", want)
	if resp := e.send("/slack/commands", "application/x-www-form-urlencoded", body, h); resp.Status != http.StatusUnauthorized {
		t.Errorf("the example, correctly signed but from 2018: got %s, want 401", resp)
	}
	e.unchanged("a stale request", before)

	fresh := strconv.FormatInt(time.Now().Unix(), 10)
	h.Set("X-Slack-Request-Timestamp", fresh)
	h.Set("X-Slack-Signature", sign(exampleSecret, fresh, body))
	if resp := e.send("/slack/commands", "application/x-www-form-urlencoded", body, h); resp.Status != http.StatusOK {
		t.Errorf("the example re-signed now: got %s, want 200", resp)
	}
}

// TestBadSignaturesChangeNothing sends a real proposal with every kind of
// bad signature to every endpoint: each gets 401 and nothing is stored,
// queued or posted.
func TestBadSignaturesChangeNothing(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	cmd := render(t, "slash_command.tmpl", slashCommand{
		TeamID: "T0FAKE", AppID: "A0BATON", Channel: chProduct, User: tom,
		Command: "/decide", Text: "Launch the beta in March #product",
	})
	ev := e.mentionBody(mention{EventID: "Ev0SIG", User: tom, Channel: chProduct, TS: "1764151200.000100",
		Text: "<@U0BATON> Launch the beta in March #product"})
	press := url.Values{"payload": {string(render(t, "block_actions.json.tmpl", click{
		TeamID: "T0FAKE", AppID: "A0BATON", User: ravi, UserName: "ravi", Channel: "DU01RAVI02", MessageTS: "1700000000.000100",
		MessageText: "D-1 needs your decision", MessageBlocks: "[]", TriggerID: "trigger-sig", ActionID: "approve", ButtonText: "Approve", Value: "D-1",
	}))}}
	endpoints := []struct {
		path, contentType string
		body              []byte
	}{
		{"/slack/commands", "application/x-www-form-urlencoded", cmd},
		{"/slack/events", "application/json", ev},
		{"/slack/interactions", "application/x-www-form-urlencoded", []byte(press.Encode())},
	}
	now := time.Now()
	stamp := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	cases := []struct {
		name string
		head func(body []byte) http.Header
	}{
		{"no headers", func([]byte) http.Header { return http.Header{"X-No-Signature": {"1"}} }},
		{"no timestamp", func(b []byte) http.Header {
			return http.Header{"X-Slack-Signature": {sign(exampleSecret, stamp(now), b)}}
		}},
		{"wrong secret", func(b []byte) http.Header {
			return http.Header{"X-Slack-Request-Timestamp": {stamp(now)}, "X-Slack-Signature": {sign("not-the-secret", stamp(now), b)}}
		}},
		{"signed for another timestamp", func(b []byte) http.Header {
			return http.Header{"X-Slack-Request-Timestamp": {stamp(now)}, "X-Slack-Signature": {sign(exampleSecret, stamp(now.Add(-time.Second)), b)}}
		}},
		{"tampered body", func(b []byte) http.Header {
			return http.Header{"X-Slack-Request-Timestamp": {stamp(now)}, "X-Slack-Signature": {sign(exampleSecret, stamp(now), append(b, '&'))}}
		}},
		{"six minutes old", func(b []byte) http.Header {
			old := stamp(now.Add(-6 * time.Minute))
			return http.Header{"X-Slack-Request-Timestamp": {old}, "X-Slack-Signature": {sign(exampleSecret, old, b)}}
		}},
		{"six minutes ahead", func(b []byte) http.Header {
			ahead := stamp(now.Add(6 * time.Minute))
			return http.Header{"X-Slack-Request-Timestamp": {ahead}, "X-Slack-Signature": {sign(exampleSecret, ahead, b)}}
		}},
		{"v1 scheme", func(b []byte) http.Header {
			s := sign(exampleSecret, stamp(now), b)
			return http.Header{"X-Slack-Request-Timestamp": {stamp(now)}, "X-Slack-Signature": {"v1=" + s[3:]}}
		}},
		{"not hex", func([]byte) http.Header {
			return http.Header{"X-Slack-Request-Timestamp": {stamp(now)}, "X-Slack-Signature": {"v0=zz"}}
		}},
	}
	for _, ep := range endpoints {
		for _, c := range cases {
			t.Run(ep.path+"/"+c.name, func(t *testing.T) {
				before := e.counts()
				if resp := e.send(ep.path, ep.contentType, ep.body, c.head(ep.body)); resp.Status != http.StatusUnauthorized {
					t.Errorf("got %s, want 401", resp)
				}
				e.unchanged(c.name, before)
			})
		}
	}
	// The same requests, properly signed, do what they say: the refusals
	// above were about the signature alone.
	before := e.counts()
	if resp := e.send("/slack/commands", "application/x-www-form-urlencoded", cmd, nil); resp.Status != http.StatusOK {
		t.Fatalf("signed command: %s", resp)
	}
	if n, _ := e.st.Count(); n != before.decisions+1 {
		t.Errorf("a correctly signed proposal stored %d decisions, want %d", n, before.decisions+1)
	}
}
