// Package bot is Baton's Slack surface: request verification, slash
// commands, events, interactions, Socket Mode, the outbox that delivers
// messages, and the scheduled jobs. Transports (HTTP, Socket Mode, the local
// shell) all call the same App methods.
//
// It is split by concern: App takes in what Slack sends (intake); the
// Scheduler (App.Scheduler) runs the jobs through narrow interfaces; the
// directory knows who is who and who acts for whom; the Outbox delivers.
// What a decision is and how it may change lives in package decisions.
package bot

import (
	"context"
	"errors"
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
	Store      store.Backend
	Slack      *slack.Client
	Clock      Clock                 // default: the wall clock
	Logger     *slog.Logger          // default: slog.Default()
	Registerer prometheus.Registerer // nil: metrics are not exported
	Workers    int                   // outbox workers; default 16
	// Pace is the minimum gap between posts to one channel: 0 means
	// Slack's ~1 per second, negative turns pacing off (the shell).
	Pace time.Duration
}

// App handles everything Slack sends and owns the outbox and the jobs.
type App struct {
	cfg     *config.Config
	store   store.Backend
	api     *slack.Client
	clock   Clock
	log     *slog.Logger
	metrics *metrics
	outbox  *Outbox
	parser  command.Parser
	loc     *time.Location

	// dir is who is who: admins, deactivated users, who is away and who
	// acts for them, and which user ids Slack knows.
	dir *directory
	// sched runs the scheduled jobs.
	sched *Scheduler
	// leastLoaded (one slot) makes proposals to least_loaded domains take
	// turns from routing to commit, so each sees the load the last left.
	leastLoaded chan struct{}

	// resolveMu serialises Resolve and Reload: each reads the live config
	// and swaps in rights built from it, so one finishing after the other
	// would otherwise put back what the other replaced.
	resolveMu sync.Mutex
	// answers is what Slack last said about each email, usergroup and
	// user id the config names (under resolveMu): a blip keeps it.
	answers   map[string]answer
	mu        sync.RWMutex
	live      *config.Config // decision rights come from it; Reload swaps it
	router    *decisions.Router
	teamID    string
	appID     string
	botUserID string
	// named is every user the live rights name, resolved: user_change
	// for anyone else does not re-resolve.
	named map[string]bool

	// views opens modals right after the ack, bounded so a burst of clicks
	// cannot start unbounded goroutines.
	views chan struct{}
	wg    sync.WaitGroup
	// seq makes keys of one-off messages unique within a process.
	seq   atomic.Uint64
	ready readiness
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
	router, err := opts.Config.Router(userIDsOnly)
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
		live:        opts.Config,
		router:      router,
		dir:         newDirectory(opts.Store, opts.Slack, opts.Clock, opts.Logger),
		teamID:      opts.Config.Slack.TeamID,
		appID:       opts.Config.Slack.AppID,
		views:       make(chan struct{}, 16),
		leastLoaded: make(chan struct{}, 1),
		parser: command.Parser{
			Slash:      opts.Config.Slack.Command,
			Location:   loc,
			ExtractDue: decisions.ExtractDue,
			ParseDate:  decisions.ParseDate,
		},
	}
	admins := map[string]bool{}
	for _, id := range opts.Config.Admins {
		admins[id] = true
	}
	a.dir.set(admins, nil)
	a.outbox = newOutbox(opts.Store, opts.Slack, opts.Clock, opts.Logger, m, opts.Workers, opts.Pace)
	a.outbox.runTask = a.runTask
	a.outbox.contain = a.contain
	a.sched = a.newJobs()
	a.initMetrics(opts.Registerer)
	return a, nil
}

// userIDsOnly keeps only the user ids among the people.
func userIDsOnly(ids []string) []string {
	var out []string
	for _, id := range ids {
		if isUserID(id) {
			out = append(out, id)
		}
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
func (a *App) Store() store.Backend { return a.store }

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
// domain whose owners cannot be resolved escalates to its parent. It runs
// at start, hourly, after Slack reports a user or usergroup change, and on
// Reload.
func (a *App) Resolve(ctx context.Context) error {
	a.resolveMu.Lock()
	defer a.resolveMu.Unlock()
	return a.resolve(ctx, a.liveConfig())
}

// resolve builds the decision rights of cfg with Slack's current answers
// and swaps them in, with cfg, in one step: a request sees the old rights
// or the new ones, never a mix. The caller holds resolveMu.
func (a *App) resolve(ctx context.Context, cfg *config.Config) error {
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

	if a.answers == nil {
		a.answers = map[string]answer{}
	}
	cache := map[string][]string{}
	deactivated, named := map[string]bool{}, map[string]bool{}
	resolve := func(ids []string) []string {
		var out []string
		for _, id := range ids {
			users, ok := cache[id]
			if !ok {
				ans := a.resolveKeeping(ctx, id)
				users = ans.users
				for _, u := range ans.deactivated {
					deactivated[u] = true
				}
				cache[id] = users
			}
			for _, u := range users {
				named[u] = true
				if !slices.Contains(out, u) {
					out = append(out, u)
				}
			}
		}
		return out
	}
	router, err := cfg.Router(resolve)
	if err != nil {
		return fmt.Errorf("build router: %w", err)
	}
	admins := map[string]bool{}
	for _, u := range resolve(cfg.Admins) {
		admins[u] = true
	}
	a.mu.Lock()
	a.live, a.router, a.named = cfg, router, named
	a.mu.Unlock()
	a.dir.set(admins, deactivated)
	return nil
}

// answer is what Slack says one config entry (email, usergroup, user id)
// stands for.
type answer struct {
	users       []string
	deactivated []string
}

// resolveKeeping asks Slack about id. On a transient failure (5xx, 429, a
// timeout, any error that is not Slack saying "no such user/usergroup") it
// keeps the last answer: one blip must not take owners away until the next
// re-resolution. Only a definite answer drops someone. The caller holds
// resolveMu.
func (a *App) resolveKeeping(ctx context.Context, id string) answer {
	ans, err := a.resolveOne(ctx, id)
	if err == nil {
		a.answers[id] = ans
		return ans
	}
	prev, ok := a.answers[id]
	if ok {
		a.log.Warn("cannot ask Slack about an owner right now; keeping the last answer", "who", id, "err", err)
		return prev
	}
	a.log.Warn("cannot ask Slack about an owner right now; skipping until it answers", "who", id, "err", err)
	return ans
}

// notFound reports whether err is Slack saying the user or usergroup does
// not exist: an answer, not a failure.
func notFound(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "users_not_found", "user_not_found", "no_such_subteam", "subteam_not_found":
		return true
	}
	return false
}

// resolveOne asks Slack what id stands for. A definite "not found" is an
// answer (nobody, or the user id as typed); any other error is returned,
// with what to use when there is no earlier answer.
func (a *App) resolveOne(ctx context.Context, id string) (answer, error) {
	switch {
	case strings.Contains(id, "@"):
		u, err := a.api.GetUserByEmailContext(ctx, id)
		if notFound(err) {
			a.log.Warn("no Slack user has this email; skipping", "email", id)
			return answer{}, nil
		}
		if err != nil {
			return answer{}, fmt.Errorf("users.lookupByEmail: %w", err)
		}
		ans := answer{users: []string{u.ID}}
		if u.Deleted {
			ans.deactivated = ans.users
		}
		return ans, nil
	case strings.HasPrefix(id, "S"):
		members, err := a.api.GetUserGroupMembersContext(ctx, id)
		if notFound(err) {
			a.log.Warn("no such Slack usergroup; skipping", "usergroup", id)
			return answer{}, nil
		}
		if err != nil {
			return answer{}, fmt.Errorf("usergroups.users.list: %w", err)
		}
		return answer{users: members}, nil
	default:
		ans := answer{users: []string{id}}
		u, err := a.api.GetUserInfoContext(ctx, id)
		switch {
		case notFound(err):
			return ans, nil
		case err != nil:
			return ans, fmt.Errorf("users.info: %w", err)
		case u.Deleted:
			ans.deactivated = ans.users
		}
		return ans, nil
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

// rulesOf reads the rules of a decision's domain from the current config.
func (a *App) rulesOf(domain string) decisions.DomainRules {
	dom, _ := a.Router().Domain(domain)
	return decisions.RulesOf(dom)
}

// route runs the routing engine with the live presence and load, as a
// dry run (who would decide).
func (a *App) route(text string, tags []string, channel, proposer string, now time.Time) (decisions.Route, error) {
	people, err := a.dir.people(now)
	if err != nil {
		return decisions.Route{}, err
	}
	return a.routeAs(0, text, tags, channel, proposer, people)
}

// routeAs routes as the decision with id would be (0: the next one, for a
// dry run), with who is around already read.
func (a *App) routeAs(id decisions.ID, text string, tags []string, channel, proposer string, people decisions.People) (decisions.Route, error) {
	rt := a.Router()
	var load map[string]int
	if rt.UsesLoad() {
		var err error
		if load, err = a.store.OpenLoad(); err != nil {
			return decisions.Route{}, fmt.Errorf("read open load: %w", err)
		}
	}
	next := id
	if next == 0 {
		var err error
		if next, err = a.store.PeekNextID(); err != nil {
			return decisions.Route{}, fmt.Errorf("read next id: %w", err)
		}
	}
	return rt.Route(decisions.Request{
		Text: text, Tags: tags, Channel: channel, Proposer: proposer, Now: people.Now,
		Seq: uint64(next), Presence: people.Presence, Load: load,
	}), nil
}
