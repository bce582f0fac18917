// Package bot is Baton's Slack surface: request verification, slash
// commands, events, interactions, Socket Mode, the outbox that delivers
// messages, and the scheduled jobs. Transports (HTTP, Socket Mode, the local
// shell) all call the same App methods.
package bot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// Options are what an App is built from.
type Options struct {
	Config     *config.Config
	Store      *store.Store
	Slack      *slack.Client
	Clock      Clock                 // default: the wall clock
	Logger     *slog.Logger          // default: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not exported
	Workers    int                   // outbox workers; default 4
	// Pace is the minimum gap between posts to one channel: 0 means
	// Slack's ~1 per second, negative turns pacing off (the shell).
	Pace time.Duration
}

// App handles everything Slack sends and owns the outbox and the jobs.
type App struct {
	cfg     *config.Config
	store   *store.Store
	api     *slack.Client
	clock   Clock
	log     *slog.Logger
	metrics *metrics
	outbox  *Outbox
	parser  command.Parser
	loc     *time.Location

	mu          sync.RWMutex
	router      *decisions.Router
	admins      map[string]bool
	deactivated map[string]bool
	teamID      string
	appID       string
	botUserID   string

	// views opens modals right after the ack, bounded so a burst of clicks
	// cannot start unbounded goroutines.
	views chan struct{}
	wg    sync.WaitGroup
	// seq makes keys of one-off messages unique within a process.
	seq   atomic.Uint64
	ready readiness
	// zones caches each person's time zone (zones.go).
	zones zoneCache
}

// New builds an App. It does not call Slack; call Resolve for that.
func New(opts Options) (*App, error) {
	if opts.Config == nil || opts.Store == nil || opts.Slack == nil {
		return nil, fmt.Errorf("bot: config, store and slack client are required")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	loc := opts.Config.Timezone
	if loc == nil {
		loc = time.UTC
	}
	// Until Resolve has asked Slack, only user ids can receive a DM: owners
	// given as emails or usergroups are left out, so their domains fall
	// back to the parent's owners instead of DMs that Slack would refuse.
	router, err := decisions.NewRouter(userIDsOnly(opts.Config.Domains), opts.Config.DefaultDomain)
	if err != nil {
		return nil, fmt.Errorf("build router: %w", err)
	}
	m := newMetrics(opts.Registerer)
	a := &App{
		cfg:         opts.Config,
		store:       opts.Store,
		api:         opts.Slack,
		clock:       opts.Clock,
		log:         opts.Logger,
		metrics:     m,
		loc:         loc,
		router:      router,
		admins:      map[string]bool{},
		deactivated: map[string]bool{},
		teamID:      opts.Config.Slack.TeamID,
		appID:       opts.Config.Slack.AppID,
		views:       make(chan struct{}, 16),
		parser: command.Parser{
			Slash:      opts.Config.Slack.Command,
			Location:   loc,
			ExtractDue: decisions.ExtractDue,
			ParseDate:  decisions.ParseDate,
		},
	}
	for _, id := range opts.Config.Admins {
		a.admins[id] = true
	}
	a.outbox = newOutbox(opts.Store, opts.Slack, opts.Clock, opts.Logger, m, opts.Workers, opts.Pace)
	a.outbox.runTask = a.runTask
	return a, nil
}

// userIDsOnly copies domains keeping only user ids among the people.
func userIDsOnly(domains []decisions.Domain) []decisions.Domain {
	keep := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			if isUserID(id) {
				out = append(out, id)
			}
		}
		return out
	}
	out := slices.Clone(domains)
	for i := range out {
		out[i].Owners = keep(out[i].Owners)
		out[i].Advisors = keep(out[i].Advisors)
		out[i].EscalateTo = keep(out[i].EscalateTo)
	}
	return out
}

func isUserID(id string) bool {
	return len(id) > 1 && (id[0] == 'U' || id[0] == 'W') && !strings.Contains(id, "@")
}

// Outbox returns the App's outbox, to Run in serve or Flush in tests.
func (a *App) Outbox() *Outbox { return a.outbox }

// Clock returns the App's clock.
func (a *App) Clock() Clock { return a.clock }

// Store returns the App's store.
func (a *App) Store() *store.Store { return a.store }

// Router returns the current routing engine.
func (a *App) Router() *decisions.Router {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.router
}

// Wait blocks until background work started by handlers (modals) is done.
func (a *App) Wait() { a.wg.Wait() }

// Resolve asks Slack who we are and turns owner emails and usergroups into
// user ids, noting deactivated users. Problems are logged, not fatal: a
// domain whose owners cannot be resolved escalates to its parent.
func (a *App) Resolve(ctx context.Context) error {
	auth, err := a.api.AuthTestContext(ctx)
	if err != nil {
		return fmt.Errorf("auth.test: %w", err)
	}
	a.mu.Lock()
	if a.teamID == "" {
		a.teamID = auth.TeamID
	}
	a.botUserID = auth.UserID
	a.mu.Unlock()

	cache := map[string][]string{}
	deactivated := map[string]bool{}
	resolve := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			users, ok := cache[id]
			if !ok {
				users = a.resolveOne(ctx, id, deactivated)
				cache[id] = users
			}
			for _, u := range users {
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
		return out
	}
	domains := slices.Clone(a.cfg.Domains)
	for i := range domains {
		d := &domains[i]
		d.Owners = resolve(d.Owners)
		d.Advisors = resolve(d.Advisors)
		d.EscalateTo = resolve(d.EscalateTo)
	}
	admins := map[string]bool{}
	for _, u := range resolve(a.cfg.Admins) {
		admins[u] = true
	}
	router, err := decisions.NewRouter(domains, a.cfg.DefaultDomain)
	if err != nil {
		return fmt.Errorf("build router: %w", err)
	}
	a.mu.Lock()
	a.router, a.admins, a.deactivated = router, admins, deactivated
	a.mu.Unlock()
	return nil
}

func (a *App) resolveOne(ctx context.Context, id string, deactivated map[string]bool) []string {
	switch {
	case strings.Contains(id, "@"):
		u, err := a.api.GetUserByEmailContext(ctx, id)
		if err != nil {
			a.log.Warn("cannot resolve email to a Slack user; skipping", "email", id, "err", err)
			return nil
		}
		if u.Deleted {
			deactivated[u.ID] = true
		}
		return []string{u.ID}
	case strings.HasPrefix(id, "S"):
		members, err := a.api.GetUserGroupMembersContext(ctx, id)
		if err != nil {
			a.log.Warn("cannot list usergroup members; skipping", "usergroup", id, "err", err)
			return nil
		}
		return members
	default:
		u, err := a.api.GetUserInfoContext(ctx, id)
		if err == nil && u.Deleted {
			deactivated[id] = true
		}
		return []string{id}
	}
}

// ours reports whether a request belongs to this installation. Unknown
// team or app ids (when we know ours) are ignored.
func (a *App) ours(teamID, appID string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.teamID != "" && teamID != "" && teamID != a.teamID {
		return false
	}
	if a.appID != "" && appID != "" && appID != a.appID {
		return false
	}
	return true
}

func (a *App) isAdmin(user string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.admins[user]
}

// presence combines who is away (from the store) with who is deactivated.
func (a *App) presence() (map[string]decisions.Presence, error) {
	aways, err := a.store.Aways()
	if err != nil {
		return nil, fmt.Errorf("read who is away: %w", err)
	}
	p := map[string]decisions.Presence{}
	a.mu.RLock()
	for u := range a.deactivated {
		p[u] = decisions.Presence{Deactivated: true}
	}
	a.mu.RUnlock()
	for _, w := range aways {
		e := p[w.User]
		e.AwayUntil, e.Delegate = w.Until, w.Delegate
		p[w.User] = e
	}
	return p, nil
}

// actor is who is acting, with the delegations they currently hold.
func (a *App) actor(user string, now time.Time) decisions.Actor {
	act := decisions.Actor{User: user, Admin: a.isAdmin(user)}
	aways, err := a.store.Aways()
	if err != nil {
		a.log.Warn("read who is away", "err", err)
		return act
	}
	for _, w := range aways {
		if w.Delegate == user && now.Before(w.Until) {
			act.OnBehalfOf = append(act.OnBehalfOf, w.User)
		}
	}
	return act
}

// route runs the routing engine with the live presence and load.
func (a *App) route(text string, tags []string, channel, proposer string, now time.Time) (decisions.Route, error) {
	presence, err := a.presence()
	if err != nil {
		return decisions.Route{}, err
	}
	load, err := a.store.OpenLoad()
	if err != nil {
		return decisions.Route{}, fmt.Errorf("read open load: %w", err)
	}
	next, err := a.store.PeekNextID()
	if err != nil {
		return decisions.Route{}, fmt.Errorf("read next id: %w", err)
	}
	return a.Router().Route(decisions.Request{
		Text: text, Tags: tags, Channel: channel, Proposer: proposer, Now: now,
		Seq: uint64(next), Presence: presence, Load: load,
	}), nil
}
