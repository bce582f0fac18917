package bot_test

// The end-to-end harness: a real bbolt store, the example config, slackfake
// on loopback standing in for Slack's Web API, and the App's HTTP handler
// behind httptest, reached with requests signed exactly as Slack signs them.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// exampleSecret is the signing secret of Slack's published example.
const exampleSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// A few people of config.example.yaml, by role.
const (
	maya   = "U01MAYA01" // CEO, admin, owns company
	ravi   = "U01RAVI02" // owns product, co-owns product/pricing
	sofia  = "U02SOFIA3" // owns product/pricing
	tom    = "U02TOM004" // product manager, proposes
	grace  = "U02GRACE5" // owns product/design
	jonas  = "U01JONAS5" // CTO, admin
	fatima = "U01FATIM3" // CFO, advises on pricing
	ben    = "U06BEN006" // head of sales, advises on pricing
	diego  = "U04DIEGO2"
	amara  = "U01AMARA9"
	kenji  = "U03KENJI8"
	// stranger is a workspace member with no decision rights anywhere.
	stranger = "U09STRANG"
)

// Channels of config.example.yaml.
const (
	chGeneral = "C01GENERAL"
	chProduct = "C02PRODUCT"
	chPricing = "C02PRICING"
	chSales   = "C06SALES01"
	chRandom  = "C09RANDOM1" // matches no domain
)

// e2eStart is the fake clock's start: a Thursday morning in London.
var e2eStart = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

type e2eOptions struct {
	// configYAML replaces ../config.example.yaml when set.
	configYAML string
	// env is the environment ${VAR}s in the config expand from.
	env map[string]string
	// pace is Options.Pace; the harness turns pacing off unless paced.
	pace  time.Duration
	paced bool
	// workers is Options.Workers.
	workers int
}

// e2e is one Baton wired to a fake Slack, driven over HTTP.
type e2e struct {
	t      testing.TB
	opts   e2eOptions
	fake   *slackfake.Server
	api    *slack.Client
	clock  *bot.FakeClock
	cfg    *config.Config
	dbPath string
	st     checkedStore // bbolt, or PostgreSQL under BATON_TEST_STORE=postgres (pgharness_test.go)
	schema string       // the PostgreSQL schema standing for dbPath
	app    *bot.App
	reg    *prometheus.Registry
	srv    *httptest.Server
	secret string
	log    *testLog
	seq    int
	bg     context.Context
}

func newE2E(t testing.TB, opts e2eOptions) *e2e {
	t.Helper()
	e := &e2e{t: t, opts: opts, secret: exampleSecret, clock: bot.NewFakeClock(e2eStart)}
	e.log = &testLog{t: t}
	t.Cleanup(e.log.stop)
	if _, fuzz := t.(*testing.F); fuzz {
		e.log.stop() // a fuzz target may not log through f
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e.bg = ctx

	data := []byte(opts.configYAML)
	path := "inline.yaml"
	if opts.configYAML == "" {
		path = filepath.Join("..", "config.example.yaml")
		var err error
		if data, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Parse(path, data, func(k string) (string, bool) {
		v, ok := opts.env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e.cfg = cfg

	e.fake = slackfake.New()
	apiURL := e.fake.Start()
	t.Cleanup(e.fake.Close)
	for _, p := range cfg.People {
		e.fake.AddUser(slackfake.User{ID: p.ID, Name: p.Name, Email: p.Email})
	}
	e.fake.AddUser(slackfake.User{ID: stranger, Name: "Stan Ranger"})
	e.fake.AddUsergroup("S03SECCHMP", diego)
	e.api = slack.New("xoxb-baton-test", slack.OptionAPIURL(apiURL))

	e.dbPath = filepath.Join(t.TempDir(), "baton.db")
	e.open()
	t.Cleanup(e.close)
	return e
}

// open opens the store and builds the App and its HTTP server.
func (e *e2e) open() {
	t := e.t
	t.Helper()
	st, err := e.openStore()
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	pace := time.Duration(-1)
	if e.opts.paced {
		pace = e.opts.pace
	}
	e.reg = prometheus.NewRegistry()
	app, err := bot.New(bot.Options{
		Config: e.cfg, Store: st, Slack: e.api, Clock: e.clock,
		Logger:     slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: e.reg, Workers: e.opts.workers, Pace: pace,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Resolve(e.ctx()); err != nil {
		t.Fatal(err)
	}
	e.app = app
	e.srv = httptest.NewServer(app.Handler(bot.HTTPOptions{SigningSecret: e.secret}))
}

// close stops the server, checks the store's consistency and closes it.
func (e *e2e) close() {
	if e.st == nil {
		return
	}
	e.srv.Close()
	e.app.Wait()
	if err := e.st.Check(); err != nil {
		e.t.Errorf("store check: %v", err)
	}
	if err := e.st.Close(); err != nil {
		e.t.Errorf("close store: %v", err)
	}
	e.st = nil
}

// restart closes everything but the fake Slack and starts again on the
// same database file, as a redeploy does.
func (e *e2e) restart() {
	e.t.Helper()
	e.close()
	e.open()
}

// ctx bounds everything a test waits for, so a hang fails instead of
// stalling the run.
func (e *e2e) ctx() context.Context { return e.bg }

// flush waits for modals being opened and delivers every message that is due.
func (e *e2e) flush() {
	e.t.Helper()
	e.app.Wait()
	if err := e.app.Outbox().Flush(e.ctx()); err != nil {
		e.t.Fatalf("flush: %v", err)
	}
	e.app.Wait()
}

// sign returns Slack's v0 signature of body at ts.
func sign(secret, ts string, body []byte) string { return slackfake.Signature(secret, ts, body) }

// response is what the handler answered.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// send posts body to path, signed now with the harness secret unless
// header already carries a signature (or slackfake.NoSignature), through
// the same signed-request client baton shell uses.
func (e *e2e) send(path, contentType string, body []byte, header http.Header) response {
	e.t.Helper()
	c := slackfake.Client{Secret: e.secret, BaseURL: e.srv.URL}
	r, err := c.Send(e.ctx(), path, contentType, body, header)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Status: r.Status, Header: r.Header, Body: r.Body}
}

func (e *e2e) get(path string) response {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

var testdata = template.Must(template.New("").Funcs(template.FuncMap{
	"q": url.QueryEscape,
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}).ParseGlob(filepath.Join("testdata", "*.tmpl")))

func render(t testing.TB, name string, data any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := testdata.ExecuteTemplate(&b, name, data); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b.Bytes())
}

// slashCommand is the form Slack posts for a slash command.
type slashCommand struct {
	TeamID, AppID, Channel, ChannelName, User, UserName string
	Command, Text, ResponseURL, TriggerID               string
}

// reply is a slash command's JSON answer.
type reply struct {
	ResponseType string            `json:"response_type"`
	Text         string            `json:"text"`
	Blocks       []json.RawMessage `json:"blocks"`
}

// all is everything the person sees: the text and the blocks' text.
func (r reply) all() string {
	var parts []string
	parts = append(parts, r.Text)
	for _, b := range r.Blocks {
		parts = append(parts, strings.Join(jsonStrings(b), "\n"))
	}
	return strings.Join(parts, "\n")
}

// command runs /decide text as user in channel and returns the ephemeral reply.
func (e *e2e) command(user, channel, text string) reply {
	e.t.Helper()
	resp := e.commandAs(slashCommand{User: user, Channel: channel, Text: text})
	if resp.Status != http.StatusOK {
		e.t.Fatalf("/decide %s: %s", text, resp)
	}
	var r reply
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		e.t.Fatalf("/decide %s: answer is not JSON: %v: %s", text, err, resp.Body)
	}
	if r.ResponseType != "ephemeral" {
		e.t.Errorf("/decide %s: response_type %q, want ephemeral", text, r.ResponseType)
	}
	if strings.TrimSpace(r.Text) == "" {
		e.t.Errorf("/decide %s: empty reply text", text)
	}
	return r
}

func (e *e2e) commandAs(sc slashCommand) response {
	e.t.Helper()
	if sc.TeamID == "" {
		sc.TeamID = slackfake.TeamID
	}
	if sc.AppID == "" {
		sc.AppID = slackfake.AppID
	}
	if sc.Command == "" {
		sc.Command = "/decide"
	}
	if sc.ChannelName == "" {
		sc.ChannelName = strings.ToLower(sc.Channel)
	}
	if sc.UserName == "" {
		sc.UserName = strings.ToLower(sc.User)
	}
	e.seq++
	if sc.ResponseURL == "" {
		sc.ResponseURL = e.fake.ResponseURLFor(sc.Channel, sc.User)
	}
	if sc.TriggerID == "" {
		sc.TriggerID = fmt.Sprintf("1337.42.trigger%04d", e.seq)
	}
	return e.send("/slack/commands", "application/x-www-form-urlencoded", render(e.t, "slash_command.tmpl", sc), nil)
}

// mention is an app_mention event callback.
type mention struct {
	TeamID, AppID, EventID, User, Text, Channel, TS, ThreadTS, BotID string
	EventTime                                                        int64
}

func (e *e2e) mentionBody(m mention) []byte {
	if m.TeamID == "" {
		m.TeamID = slackfake.TeamID
	}
	if m.AppID == "" {
		m.AppID = slackfake.AppID
	}
	if m.EventTime == 0 {
		m.EventTime = e.clock.Now().Unix()
	}
	return render(e.t, "app_mention.json.tmpl", m)
}

// event posts an Events API body; retry > 0 marks it as Slack's retry.
func (e *e2e) event(body []byte, retry int) response {
	e.t.Helper()
	h := http.Header{}
	if retry > 0 {
		h.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		h.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	return e.send("/slack/events", "application/json", body, h)
}

// click is a block_actions payload: user pressed a button on a message.
type click struct {
	TeamID, AppID, User, UserName, Channel, MessageTS, MessageText string
	MessageBlocks                                                  string
	TriggerID, ActionID, ButtonText, Value                         string
	ResponseURL                                                    string
}

func (e *e2e) interact(payload []byte) response {
	e.t.Helper()
	form := url.Values{"payload": {string(payload)}}
	return e.send("/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()), nil)
}

// press presses the button with actionID on a message Baton posted.
func (e *e2e) press(user string, on slackfake.Post, actionID, triggerID string) response {
	e.t.Helper()
	value, text, ok := findButton(on.Blocks, actionID)
	if !ok {
		e.t.Fatalf("no %q button on %s post %q", actionID, on.Method, on.Text)
	}
	c := click{
		TeamID: slackfake.TeamID, AppID: slackfake.AppID, User: user, UserName: strings.ToLower(user),
		Channel: on.Channel, MessageTS: on.TS, MessageText: on.Text, MessageBlocks: string(on.Blocks),
		TriggerID: triggerID, ActionID: actionID, ButtonText: text, Value: value,
	}
	if c.MessageBlocks == "" {
		c.MessageBlocks = "[]"
	}
	return e.interact(render(e.t, "block_actions.json.tmpl", c))
}

// submission is a view_submission payload.
type submission struct {
	TeamID, AppID, User, UserName, ViewID, PrivateMetadata, CallbackID string
	Values                                                             map[string]map[string]map[string]any
}

// submit submits the modal opened by views.open post with values.
func (e *e2e) submit(user string, modal slackfake.Post, values map[string]map[string]map[string]any) response {
	e.t.Helper()
	var v struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	if err := json.Unmarshal(modal.View, &v); err != nil {
		e.t.Fatalf("modal view: %v", err)
	}
	if values == nil {
		values = map[string]map[string]map[string]any{}
	}
	s := submission{
		TeamID: slackfake.TeamID, AppID: slackfake.AppID, User: user, UserName: strings.ToLower(user),
		ViewID: modal.ViewID, PrivateMetadata: v.PrivateMetadata, CallbackID: v.CallbackID, Values: values,
	}
	return e.interact(render(e.t, "view_submission.json.tmpl", s))
}

// rationale is the modal's state with the rationale typed in.
func rationale(text string) map[string]map[string]map[string]any {
	return map[string]map[string]map[string]any{
		"rationale": {"rationale_input": {"type": "plain_text_input", "value": text}},
	}
}

// findButton finds a button by action id in a blocks array.
func findButton(blocks json.RawMessage, actionID string) (value, text string, ok bool) {
	var bs []map[string]any
	if json.Unmarshal(blocks, &bs) != nil {
		return "", "", false
	}
	for _, b := range bs {
		els, _ := b["elements"].([]any)
		for _, el := range els {
			m, _ := el.(map[string]any)
			if m["type"] != "button" || m["action_id"] != actionID {
				continue
			}
			value, _ = m["value"].(string)
			if t, ok := m["text"].(map[string]any); ok {
				text, _ = t["text"].(string)
			}
			return value, text, true
		}
	}
	return "", "", false
}

// jsonStrings returns every string value in a JSON document, so tests can
// look at what people read however it is nested.
func jsonStrings(raw []byte) []string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return out
}

// visible is everything a post shows: its text and every string in its
// blocks and view.
func visible(p slackfake.Post) string {
	parts := []string{p.Text}
	parts = append(parts, jsonStrings(p.Blocks)...)
	parts = append(parts, jsonStrings(p.View)...)
	return strings.Join(parts, "\n")
}

// posts returns the posts made since the first n.
func (e *e2e) postsSince(n int) []slackfake.Post {
	return e.fake.Posts()[n:]
}

func (e *e2e) mark() int { return len(e.fake.Posts()) }

// where filters posts.
func where(ps []slackfake.Post, keep func(slackfake.Post) bool) []slackfake.Post {
	var out []slackfake.Post
	for _, p := range ps {
		if keep(p) {
			out = append(out, p)
		}
	}
	return out
}

func method(m string) func(slackfake.Post) bool {
	return func(p slackfake.Post) bool { return p.Method == m }
}

// in keeps chat.postMessage posts in channel.
func in(channel string) func(slackfake.Post) bool {
	return func(p slackfake.Post) bool { return p.Method == "chat.postMessage" && p.Channel == channel }
}

// dmTo keeps messages posted in user's DM with Baton.
func dmTo(user string) func(slackfake.Post) bool { return in("D" + user) }

// decision reads a decision from the store.
func (e *e2e) decision(id decisions.ID) decisions.Decision {
	e.t.Helper()
	d, err := e.st.Decision(id)
	if err != nil {
		e.t.Fatalf("read %s: %v", id, err)
	}
	return d
}

// counts is what a refused request must not change.
type counts struct{ decisions, outbox, posts int }

// counts flushes the outbox, then counts.
func (e *e2e) counts() counts {
	e.t.Helper()
	e.flush()
	n, err := e.st.Count()
	if err != nil {
		e.t.Fatal(err)
	}
	ob, err := e.st.OutboxLen()
	if err != nil {
		e.t.Fatal(err)
	}
	return counts{n, ob, len(e.fake.Posts())}
}

// unchanged flushes the outbox and checks nothing changed since before.
func (e *e2e) unchanged(what string, before counts) {
	e.t.Helper()
	e.flush()
	if after := e.counts(); after != before {
		e.t.Errorf("%s changed things: before %+v, after %+v; new posts: %v", what, before, after, texts(e.postsSince(before.posts)))
	}
}

func texts(ps []slackfake.Post) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Method + " " + p.Channel + p.User + ": " + p.Text
	}
	return out
}

func contains(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s: want %q in:\n%s", what, w, got)
		}
	}
}

func lacks(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(got, w) {
			t.Errorf("%s: did not want %q in:\n%s", what, w, got)
		}
	}
}

// testLog sends the App's logs to the test log until the test ends.
type testLog struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
	lines   []string
}

func (l *testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := strings.TrimRight(string(p), "\n")
	if len(l.lines) < 10000 {
		l.lines = append(l.lines, line)
	}
	if !l.stopped {
		l.t.Log(line)
	}
	return len(p), nil
}

func (l *testLog) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
}

// has reports whether a log line contains s.
func (l *testLog) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.ContainsFunc(l.lines, func(line string) bool { return strings.Contains(line, s) })
}
