// Package shell is `baton shell`: a console that plays a Slack workspace
// defined in the config, so a newcomer can see Baton work without one.
//
// Every line becomes what Slack itself would send: a signed slash command,
// an Events API callback, a block_actions or view_submission payload. It goes
// through the same HTTP handler `baton serve` mounts, so verification,
// parsing and the handlers run exactly as in production. Baton's replies
// land in an in-process fake of Slack's Web API (slackfake) and are printed
// as plain text: who sees them, where, and which buttons they carry.
//
// Time is a bot.FakeClock: `tick` moves it and runs the scheduled jobs
// (reminders, escalations, the digest) due on the way.
package shell

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// Options are what a Console is built from.
type Options struct {
	Config *config.Config
	Store  store.Backend
	// Out receives everything the console prints; nil discards it.
	Out io.Writer
	// Start is the fake clock's starting time; zero means now.
	Start time.Time
	// Logger receives Baton's logs; nil discards them.
	Logger *slog.Logger
}

// fakeAPIURL is where the Slack client sends Web API calls; the fake's
// in-process transport answers whatever the host.
const fakeAPIURL = "http://slack.fake/api/"

// defaultChannel is where lines are typed when the config names no digest
// channel.
const defaultChannel = "C0GENERAL"

// maxTick is how far one `tick` may move the clock, so a typo such as
// `tick +9999w` cannot keep the console busy for minutes.
const maxTick = 366 * 24 * time.Hour

// Console plays a Slack workspace for one Baton App. It is not safe for
// concurrent use: lines are executed one at a time, as a person types them.
type Console struct {
	cfg     *config.Config
	app     *bot.App
	fake    *slackfake.Server
	clock   *bot.FakeClock
	handler http.Handler
	secret  string
	out     io.Writer
	loc     *time.Location
	people  []person
	teamID  string
	appID   string
	slash   string

	user    string // who is typing
	channel string // where

	seq      int // makes event ids, trigger ids and message timestamps unique
	refusals int // Rejections already reported
	// started is set once Baton has caught up missed jobs, which happens
	// at the first line that acts; until then `start` may set the clock.
	started bool
	logger  *slog.Logger

	// messages are Baton's messages as last posted or updated, oldest
	// first, and homes each user's App Home: where `click` finds buttons.
	messages []slackfake.Post
	homes    map[string]slackfake.Post

	mu      sync.Mutex
	pending []slackfake.Post // posts not yet printed, in order
}

// person is someone the console knows by name.
type person struct {
	ID, Name, Email string
	TZ              string // empty: the config's timezone
}

// New builds the fake workspace, the Slack client pointed at it and the
// App, asks "Slack" who everyone is (Resolve) and catches up jobs, as
// `baton serve` does at start-up.
func New(opts Options) (*Console, error) {
	if opts.Config == nil || opts.Store == nil {
		return nil, errors.New("shell: config and store are required")
	}
	cfg := opts.Config
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now().Truncate(time.Minute)
	}
	loc := cfg.Timezone
	if loc == nil {
		loc = time.UTC
	}
	secret, err := randomSecret()
	if err != nil {
		return nil, err
	}

	c := &Console{
		cfg:    cfg,
		fake:   slackfake.New(),
		clock:  bot.NewFakeClock(start),
		secret: secret,
		out:    out,
		loc:    loc,
		teamID: cfg.Slack.TeamID,
		appID:  cfg.Slack.AppID,
		slash:  cfg.Slack.Command,
	}
	if c.teamID == "" {
		c.teamID = slackfake.TeamID
	}
	if c.appID == "" {
		c.appID = slackfake.AppID
	}
	if c.slash == "" {
		c.slash = "/decide"
	}
	c.populate()
	c.fake.OnPost(func(p slackfake.Post) {
		c.mu.Lock()
		c.pending = append(c.pending, p)
		c.mu.Unlock()
	})

	// The shell never talks to real Slack, whatever slack.api_url and the
	// tokens say: the fake accepts any xoxb- token.
	api := slack.New("xoxb-baton-shell",
		slack.OptionHTTPClient(c.fake.Client()),
		slack.OptionAPIURL(fakeAPIURL))
	app, err := bot.New(bot.Options{
		Config: cfg, Store: opts.Store, Slack: api, Clock: c.clock, Logger: logger,
		Workers: 1, Pace: -1,
	})
	if err != nil {
		return nil, err
	}
	c.app = app
	c.handler = app.Handler(bot.HTTPOptions{SigningSecret: secret})

	c.logger = logger
	ctx := context.Background()
	if err := app.Resolve(ctx); err != nil {
		return nil, fmt.Errorf("shell: resolve the workspace: %w", err)
	}
	c.user = c.defaultUser()
	c.channel = defaultChannel
	if len(cfg.Digest.Channels) > 0 {
		c.channel = cfg.Digest.Channels[0]
	}
	return c, nil
}

// begin catches up the jobs missed since the store was last used, as
// `baton serve` does at start-up, once, before the first line that acts.
// Deferring it lets a script fix its own day with `start` first.
func (c *Console) begin(ctx context.Context) error {
	if c.started {
		return nil
	}
	c.started = true
	if err := c.app.Scheduler().CatchUp(ctx); err != nil {
		c.logger.Warn("catching up missed jobs", "err", err)
	}
	// Whatever catching up queued is delivered now, and not printed: it
	// belongs to an earlier session.
	if err := c.settle(ctx); err != nil {
		return err
	}
	c.take()
	c.refusals = len(c.fake.Rejections())
	return nil
}

// setStart sets the clock before anything has happened: a script's way
// to play on the same day whenever it is run.
func (c *Console) setStart(arg string) {
	if c.started {
		c.errorf("`start` sets the day a script plays on, so it must come before anything happens. Use `tick` to move the clock forward.")
		return
	}
	t, err := ParseStart(arg, c.loc)
	if err != nil {
		c.fail(err)
		return
	}
	// A kept store has a history; moving the clock under it would put
	// new decisions before old ones.
	if next, err := c.app.Store().PeekNextID(); err != nil || next > 1 {
		c.errorf("`start` only works on a fresh store (run with -memory): this one already holds decisions. Use `tick` to move the clock forward.")
		return
	}
	c.clock.Set(t)
	c.printf("⏱ %s\n", c.stamp(t))
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("shell: make a signing secret: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// populate adds to the fake workspace everyone the config names: people,
// the usergroups it defines with their members, and the user ids owners,
// advisors, escalation targets and admins name. An email no person has is
// left out, as Slack would not know it: the console never makes up a
// decider. A usergroup the config does not define is empty.
func (c *Console) populate() {
	seen := map[string]bool{}
	add := func(p person) {
		if p.ID != "" && !seen[p.ID] {
			seen[p.ID] = true
			c.people = append(c.people, p)
		}
	}
	for _, p := range c.cfg.People {
		add(person{ID: p.ID, Name: p.Name, Email: p.Email, TZ: p.TZ})
	}
	groups := map[string]bool{}
	for _, g := range c.cfg.Usergroups {
		groups[g.ID] = true
		c.fake.AddUsergroup(g.ID, g.Members...)
		for _, m := range g.Members {
			add(person{ID: m})
		}
	}
	var ids []string
	ids = append(ids, c.cfg.Admins...)
	for _, d := range c.cfg.Domains {
		ids = append(ids, d.Owners...)
		ids = append(ids, d.Advisors...)
		ids = append(ids, d.EscalateTo...)
	}
	for _, id := range ids {
		switch {
		case strings.Contains(id, "@"):
			// Resolved through people: by users.lookupByEmail, or not at all.
		case strings.HasPrefix(id, "S"):
			if !groups[id] {
				groups[id] = true
				c.fake.AddUsergroup(id)
			}
		default:
			add(person{ID: id})
		}
	}
	for _, p := range c.people {
		c.fake.AddUser(slackfake.User{ID: p.ID, Name: p.Name, Email: p.Email, TZ: cmp.Or(p.TZ, c.cfg.TimezoneName)})
	}
}

// defaultUser is the first person listed, else the first admin.
func (c *Console) defaultUser() string {
	if len(c.cfg.People) > 0 && c.cfg.People[0].ID != "" {
		return c.cfg.People[0].ID
	}
	for _, p := range c.people {
		if !strings.Contains(p.ID, "@") {
			return p.ID
		}
	}
	return "U0SHELL01"
}

// User is the id of who is typing now.
func (c *Console) User() string { return c.user }

// Channel is the id of the channel lines are typed in.
func (c *Console) Channel() string { return c.channel }

// Now is the console's clock.
func (c *Console) Now() time.Time { return c.clock.Now() }

// Prompt is what precedes a typed line: the current user's first name.
func (c *Console) Prompt() string {
	return strings.ToLower(c.firstName(c.user)) + "> "
}

// Banner describes the session in a few lines: the config, who you are,
// where, when, and how to get help.
func (c *Console) Banner() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Baton shell — a pretend Slack workspace from %s (%d people, %d domains).\n",
		c.cfg.Path, len(c.people), len(c.cfg.Domains))
	fmt.Fprintf(&b, "You are %s in %s; it is %s.\n", c.display(c.user), channelName(c.channel), c.stamp(c.clock.Now()))
	fmt.Fprintf(&b, "Type `%s help` for Baton's commands, `help` for the console's, `quit` to leave.\n", c.slash)
	return b.String()
}

// Close waits for background work (modals being opened) to finish. The
// store belongs to the caller and stays open.
func (c *Console) Close() error {
	c.app.Wait()
	c.fake.Close()
	return nil
}

// settle delivers everything due in the outbox and waits for handlers'
// background work, until nothing more happens.
func (c *Console) settle(ctx context.Context) error {
	for range 5 {
		c.app.Wait()
		if err := c.app.Outbox().Flush(ctx); err != nil {
			return err
		}
		c.app.Wait()
		c.mu.Lock()
		n := len(c.pending)
		c.mu.Unlock()
		if err := c.app.Outbox().Flush(ctx); err != nil {
			return err
		}
		c.mu.Lock()
		same := n == len(c.pending)
		c.mu.Unlock()
		if same {
			return nil
		}
	}
	return nil
}

// take returns and forgets the posts not yet printed.
func (c *Console) take() []slackfake.Post {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pending
	c.pending = nil
	return p
}
