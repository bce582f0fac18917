// Package slackfake is an in-process stand-in for Slack's Web API and Socket
// Mode, for Baton's end-to-end tests and for the `baton shell` console.
//
// It speaks the wire format slack-go speaks (form-encoded or JSON bodies,
// Slack-shaped JSON answers with "ok" and "error"), records everything the bot
// posts, and checks what real Slack would refuse: missing tokens, messages
// without text, and Block Kit limits. slack-go's own slacktest lacks
// conversations.open, chat.update and views.*, hence this package.
//
// Point a client at it with
//
//	fake := slackfake.New()
//	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.Start()))
//	defer fake.Close()
//
// or, without a socket, with slack.OptionHTTPClient(fake.Client()) and
// slack.OptionAPIURL("http://slack.fake/api/").
package slackfake

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Identity of the fake workspace and of the bot, as auth.test reports them.
const (
	TeamID    = "T0FAKE"
	TeamName  = "Baton Fake"
	TeamURL   = "https://baton-fake.slack.com/"
	BotUserID = "U0BATON"
	BotID     = "B0BATON"
	BotName   = "baton"
	AppID     = "A0BATON"
)

// inProcessBase is the base URL used before Start: Client() routes every host
// to the fake, so any host works, and this one reads well in logs.
const inProcessBase = "http://slack.fake"

// firstTS is the timestamp of the first message the fake assigns, in
// microseconds; each later message is 100µs later.
const firstTS = 1700000000_000100

// User is a member of the fake workspace.
type User struct {
	ID, Name, Email string
	Deleted, IsBot  bool
	// TZ is an IANA zone name such as "Europe/Paris"; empty leaves tz unset.
	TZ string
}

// Post is one thing the bot made visible in Slack: a message, an ephemeral
// message, an edit, a view, or a response_url reply.
type Post struct {
	// Method is the Web API method ("chat.postMessage", "views.publish", …),
	// or "response_url" for replies to a response URL.
	Method string
	// Channel is where the message landed: for a chat.postMessage to a user
	// id it is that user's DM channel, as Slack answers.
	Channel string
	// User is the recipient of an ephemeral message or of an App Home
	// (views.publish), or the user a response URL was issued for.
	User string
	// TS is the message timestamp ("" for views and ephemeral response_url replies).
	TS       string
	ThreadTS string
	Text     string
	// Blocks is the Block Kit array of the message or of the view.
	Blocks json.RawMessage
	// Metadata is the message metadata sent with chat.postMessage
	// ({"event_type": …, "event_payload": {…}}), nil when none.
	Metadata json.RawMessage
	// View is the view as sent, for views.* posts.
	View json.RawMessage
	// ViewID is the id the fake assigned to the view, for views.* posts.
	ViewID string
	// Raw holds every parameter of the request except the token; form values
	// are strings (so "blocks" is the JSON text), JSON bodies keep their shape.
	Raw map[string]any
}

// Rejection is a call the fake refused with "ok": false, kept so a test can
// assert that the bot never sent Slack something it would refuse.
type Rejection struct {
	Method string
	Error  string
	// Messages explains the error, like Slack's response_metadata.messages
	// ("[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]").
	Messages []string
	Raw      map[string]any
}

// Option configures a Server.
type Option func(*Server)

// WithBotToken makes the fake accept only this bot token; by default any
// token starting with "xoxb-" is accepted.
func WithBotToken(token string) Option { return func(s *Server) { s.botToken = token } }

// WithAppToken makes apps.connections.open accept only this app-level token;
// by default any token starting with "xapp-" is accepted.
func WithAppToken(token string) Option { return func(s *Server) { s.appToken = token } }

// WithPingInterval sets how often the Socket Mode endpoint sends WebSocket
// pings (default 10s). slack-go reconnects when it hears no ping for its own
// interval (30s unless socketmode.OptionPingInterval says otherwise).
func WithPingInterval(d time.Duration) Option { return func(s *Server) { s.pingInterval = d } }

type failure struct {
	status     int
	retryAfter time.Duration
	slackError string // when set, answer 200 {"ok":false,"error":slackError}
}

type message struct {
	channel, ts, threadTS string
	user, botID           string
	text                  string
	blocks                json.RawMessage
	// metadata is the message metadata as posted ({event_type, event_payload}).
	metadata json.RawMessage
}

type view struct {
	id, externalID, hash string
	user                 string // App Home owner
	body                 map[string]any
}

type responseURL struct {
	channel, user string
}

// Server is a fake Slack Web API. It is an http.Handler serving the methods
// under any path ending in /<method> (normally /api/<method>), response URLs
// under /response_url/ and Socket Mode under /link/.
type Server struct {
	botToken, appToken string
	pingInterval       time.Duration

	mu           sync.Mutex
	ts           *httptest.Server
	users        map[string]User
	usergroups   map[string][]string
	messages     []*message
	views        map[string]*view
	nextSeq      int64 // messages stamped so far
	nextView     int
	hashSeq      int
	nextRespURL  int
	dms          map[string]bool
	responseURLs map[string]responseURL
	posts        []Post
	rejections   []Rejection
	calls        map[string]int
	failures     map[string][]failure
	lost         map[string][]failure // answers lost after the call took effect
	// outside are public channels the bot posts in (chat:write.public)
	// without being a member: their history is refused until it joins.
	outside map[string]bool
	down    bool     // every Web API call answers 503
	limit   *limiter // nil: no rate limit enforced
	onPost  []func(Post)
	changed chan struct{} // closed and replaced whenever posts grows
	socket  *Socket

	// deliver hands posts to OnPost callbacks one at a time, in the order
	// they were recorded, without holding mu.
	deliverMu   sync.Mutex
	deliverCond *sync.Cond
	delivered   int
}

// New returns a fake with the bot user (U0BATON) as its only member.
func New(opts ...Option) *Server {
	s := &Server{
		pingInterval: 10 * time.Second,
		users:        map[string]User{},
		usergroups:   map[string][]string{},
		views:        map[string]*view{},
		dms:          map[string]bool{},
		responseURLs: map[string]responseURL{},
		calls:        map[string]int{},
		failures:     map[string][]failure{},
		lost:         map[string][]failure{},
		outside:      map[string]bool{},
		changed:      make(chan struct{}),
	}
	s.deliverCond = sync.NewCond(&s.deliverMu)
	s.users[BotUserID] = User{ID: BotUserID, Name: BotName, IsBot: true}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start serves the fake on a loopback port and returns the Web API base URL,
// ending in "/api/" as slack.OptionAPIURL wants it. Calling it again returns
// the same URL.
func (s *Server) Start() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ts == nil {
		s.ts = httptest.NewServer(s)
	}
	return s.ts.URL + "/api/"
}

// Close closes Socket Mode connections and stops the listener started by
// Start. The fake's records stay readable.
func (s *Server) Close() {
	s.mu.Lock()
	ts, sk := s.ts, s.socket
	s.mu.Unlock()
	if sk != nil {
		sk.closeAll()
	}
	if ts != nil {
		ts.Close()
	}
}

// Client returns an http.Client that hands every request, whatever its host,
// to the fake in-process, with no socket. Use it with
// slack.OptionHTTPClient and slack.OptionAPIURL("http://slack.fake/api/").
// Socket Mode needs a real connection: see SocketMode.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: inProcess{s}}
}

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	in := req.Clone(req.Context())
	in.RequestURI = req.URL.RequestURI()
	in.RemoteAddr = "127.0.0.1:1"
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// baseURL is where URLs the fake hands out (response URLs) point.
func (s *Server) baseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURLLocked()
}

func (s *Server) baseURLLocked() string {
	if s.ts != nil {
		return s.ts.URL
	}
	return inProcessBase
}

// recordPostLocked stamps a post into the log; the caller delivers it to
// OnPost callbacks after unlocking.
func (s *Server) recordPostLocked(rq *request, p Post) {
	p.Raw = rq.rawCopy()
	s.posts = append(s.posts, p)
	rq.posted = append(rq.posted, pending{seq: len(s.posts), post: p, callbacks: slices.Clone(s.onPost)})
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextTSLocked returns a new, increasing message timestamp.
func (s *Server) nextTSLocked() string {
	s.nextSeq++
	us := int64(firstTS) + (s.nextSeq-1)*100
	return fmt.Sprintf("%d.%06d", us/1_000_000, us%1_000_000)
}

func (s *Server) findMessage(channel, ts string) *message {
	for _, m := range s.messages {
		if m.channel == channel && m.ts == ts {
			return m
		}
	}
	return nil
}

type pending struct {
	seq       int // 1-based position in posts
	post      Post
	callbacks []func(Post)
}

// deliver runs OnPost callbacks for posts in the order they were recorded,
// even when requests race.
func (s *Server) deliver(ps []pending) {
	for _, p := range ps {
		s.deliverOne(p)
	}
}

func (s *Server) deliverOne(p pending) {
	s.deliverMu.Lock()
	defer s.deliverMu.Unlock()
	for s.delivered != p.seq-1 {
		s.deliverCond.Wait()
	}
	// Even if a callback panics, later posts must not wait forever.
	defer func() {
		s.delivered = p.seq
		s.deliverCond.Broadcast()
	}()
	for _, f := range p.callbacks {
		f(p.post)
	}
}

// ServeHTTP serves Web API methods, response URLs and the Socket Mode endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.Contains(path, "/response_url/"):
		id, _ := url.PathUnescape(path[strings.Index(path, "/response_url/")+len("/response_url/"):])
		s.serveMethod(w, r, "response_url", id)
	case strings.HasSuffix(path, "/link/") || strings.HasSuffix(path, "/link"):
		s.serveSocket(w, r)
	default:
		s.serveMethod(w, r, path[strings.LastIndex(path, "/")+1:], "")
	}
}

func (s *Server) serveMethod(w http.ResponseWriter, r *http.Request, method, responseID string) {
	rq, perr := parseRequest(r, method)
	rq.responseID = responseID

	s.mu.Lock()
	s.calls[method]++
	var f *failure
	if q := s.failures[method]; len(q) > 0 {
		f = &q[0]
		s.failures[method] = q[1:]
	}
	if f == nil && s.down && method != "response_url" {
		f = &failure{status: http.StatusServiceUnavailable}
	}
	if f == nil && s.limit != nil && method == "chat.postMessage" && perr == nil {
		if ch, err := s.resolveChannel(rq.str("channel")); err == nil {
			if wait := s.limit.take(ch); wait > 0 {
				f = &failure{status: http.StatusTooManyRequests, retryAfter: wait}
			}
		}
	}
	if f != nil {
		s.mu.Unlock()
		writeFailure(w, *f)
		return
	}
	var lost *failure
	if q := s.lost[method]; len(q) > 0 {
		lost = &q[0]
		s.lost[method] = q[1:]
	}
	var resp map[string]any
	var err error
	if perr != nil {
		err = perr
	} else {
		resp, err = s.handleLocked(rq)
	}
	if err != nil {
		ae := asAPIError(err)
		s.rejections = append(s.rejections, Rejection{Method: method, Error: ae.code, Messages: ae.messages, Raw: rq.rawCopy()})
		resp = map[string]any{"ok": false, "error": ae.code}
		if len(ae.messages) > 0 {
			resp["response_metadata"] = map[string]any{"messages": ae.messages}
		}
	} else {
		if resp == nil {
			resp = map[string]any{}
		}
		resp["ok"] = true
	}
	posted := rq.posted
	s.mu.Unlock()

	s.deliver(posted)
	if lost != nil {
		writeFailure(w, *lost)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func writeFailure(w http.ResponseWriter, f failure) {
	if f.slackError != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": f.slackError})
		return
	}
	secs := int(math.Ceil(f.retryAfter.Seconds()))
	if f.status == http.StatusTooManyRequests || secs > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(secs))
	}
	if f.status == http.StatusTooManyRequests {
		writeJSON(w, f.status, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.status)
	fmt.Fprintf(w, "<html><body>slackfake: injected HTTP %d</body></html>\n", f.status)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
