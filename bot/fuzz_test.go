package bot_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/slackfake"
)

// FuzzHandleCommand: whatever people type after /decide, Baton answers
// with something to read and never panics.
func FuzzHandleCommand(f *testing.F) {
	for _, s := range []string{
		"", " ", "help", "?", "Launch the beta #product by friday", "propose", "propose #product",
		"approve D-1 ok", "aprove D-1 ok", "D-1 approve", "approve D-0", "approve D-18446744073709551616",
		"reject D-1", "defer D-1 until next week", "defer D-1 until 2026-02-30", "withdraw D-1",
		"reassign D-1 <@U02GRACE5|grace>", "reassign D-1 @grace", "advise D-1 go", "show D-1", "show d-1",
		"list", "list mine", "list #product", "list #", "list all extra", "who change the price #pricing",
		"rights", "rights #", "rights #nosuch", "away until friday delegate <@U02GRACE5>", "away off", "back",
		"<!channel> by tomorrow", "in 3d", "by 9999-12-31 x", "#a #b #c", "\x00\xff\ufffd", strings.Repeat("x ", 5000),
		"edit D-1 new title #pricing", "comment D-1 hi", "decline D-1 #finance not ours", "decline D-1 nope",
		"review D-1 in 6 months", "search beta", "list approved since 30d", "rights suggest", "not mine D-1",
		"approve D-1 fine, review in 2w", "Pick it by the 5th",
	} {
		f.Add(s)
	}
	e := newE2E(f, e2eOptions{})
	h := e.app
	f.Fuzz(func(t *testing.T, text string) {
		r := h.HandleCommand(e.ctx(), slack.SlashCommand{
			TeamID: slackfake.TeamID, APIAppID: slackfake.AppID, ChannelID: chProduct, UserID: ravi, Text: text,
		})
		if strings.TrimSpace(r.Text) == "" {
			t.Fatalf("empty reply to %q", text)
		}
	})
}

// FuzzEventsBody: any bytes, correctly signed, sent to /slack/events get
// an answer below 500 (the store never fails here) and never a panic.
func FuzzEventsBody(f *testing.F) {
	seed := func(b []byte) { f.Add(b) }
	uv, err := os.ReadFile(filepath.Join("testdata", "url_verification.json"))
	if err != nil {
		f.Fatal(err)
	}
	seed(uv)
	e := newE2E(f, e2eOptions{})
	seed(e.mentionBody(mention{EventID: "EvF1", User: tom, Channel: chRandom, TS: "1764151200.000100",
		Text: "<@" + slackfake.BotUserID + "> Launch the beta #product"}))
	seed(e.mentionBody(mention{EventID: "EvF2", User: tom, Channel: chRandom, TS: "1764151200.000200", ThreadTS: "1764151200.000100",
		Text: "<@" + slackfake.BotUserID + ">"}))
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"type":"event_callback"}`, `{"type":"event_callback","event":null}`,
		`{"type":"event_callback","event":{}}`, `{"type":"event_callback","event":{"type":"app_mention"}}`,
		`{"type":"event_callback","event_id":"EvF3","event":{"type":"app_mention","user":"U1","text":"<@U0BATON>","thread_ts":"1.2","ts":"1.3"}}`,
		`{"type":"event_callback","event":{"type":"app_home_opened","user":"U01RAVI02","tab":"home"}}`,
		`{"type":"event_callback","event":{"type":"no_such_event"}}`, `{"type":"url_verification"}`,
		`{"type":"url_verification","challenge":7}`, `{"type":"app_rate_limited","minute_rate_limited":1}`,
		`{"type":"event_callback","event":{"type":"message","channel":"C1","user":"U1","text":"hi"}}`,
	} {
		seed([]byte(s))
	}
	handler := e.app.Handler(bot.HTTPOptions{SigningSecret: e.secret})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/slack/events", bytes.NewReader(body))
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sign(e.secret, ts, body))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d %s for %q", rec.Code, rec.Body, body)
		}
	})
}
