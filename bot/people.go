package bot

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// directory is Baton's view of the people in the workspace: admins,
// deactivated users, who is away and who acts for them, and which user
// ids Slack knows. Intake, interactions and jobs all ask it; Resolve
// refreshes what comes from Slack.
type directory struct {
	store store.Backend
	api   *slack.Client
	log   *slog.Logger

	clock Clock
	// users is what users.info says about each person (users.go).
	users *userCache

	mu          sync.RWMutex
	admins      map[string]bool
	deactivated map[string]bool
}

func newDirectory(st store.Backend, api *slack.Client, clock Clock, log *slog.Logger) *directory {
	return &directory{store: st, api: api, clock: clock, log: log, users: newUserCache(api, log), admins: map[string]bool{}, deactivated: map[string]bool{}}
}

// set replaces the admins and deactivated users (nil keeps the current
// deactivated set).
func (d *directory) set(admins, deactivated map[string]bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.admins = maps.Clone(admins)
	if deactivated != nil {
		d.deactivated = maps.Clone(deactivated)
	}
}

// isDeactivated reports whether Baton believes user is deactivated.
func (d *directory) isDeactivated(user string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.deactivated[user]
}

func (d *directory) isAdmin(user string) bool {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.admins[user]
}

// presence combines who is away (from the store) with who is deactivated.
func (d *directory) presence() (map[string]decisions.Presence, error) {
	aways, err := d.store.Aways()
	if err != nil {
		return nil, fmt.Errorf("read who is away: %w", err)
	}
	p := map[string]decisions.Presence{}
	d.mu.RLock()
	for u := range d.deactivated {
		p[u] = decisions.Presence{Deactivated: true}
	}
	d.mu.RUnlock()
	for _, w := range aways {
		e := p[w.User]
		e.AwayUntil, e.Delegate = w.Until, w.Delegate
		p[w.User] = e
	}
	return p, nil
}

// people is who is around at now, for resolving delegation.
func (d *directory) people(now time.Time) (decisions.People, error) {
	p, err := d.presence()
	return decisions.People{Presence: p, Now: now}, err
}

// actor is who is acting, with the delegations they hold now (following
// chains: if alice delegated to bob and bob to carol while both are away,
// carol acts for both).
func (d *directory) actor(user string, now time.Time) decisions.Actor {
	act := decisions.Actor{User: user, Admin: d.isAdmin(user)}
	people, err := d.people(now)
	if err != nil {
		d.log.Warn("read who is away", "err", err)
		return act
	}
	act.OnBehalfOf = people.StandsInFor(user)
	return act
}

// unknownUsers lists which of ids cannot be given a decision: not a user
// id at all (a channel, a usergroup, markup), a user Slack does not know,
// or a deactivated one. A Slack error other than "no such user" is not
// held against anyone: a blip must not block a reassignment (the id is
// accepted as typed).
func (d *directory) unknownUsers(ctx context.Context, ids []string) []string {
	var bad []string
	for _, id := range ids {
		if !decisions.IsUserID(id) {
			bad = append(bad, id)
			continue
		}
		if d.isDeactivated(id) {
			bad = append(bad, id)
			continue
		}
		if u := d.users.info(ctx, id, d.clock.Now(), 2*time.Second); u.missing || u.deleted {
			bad = append(bad, id)
		}
	}
	return bad
}

// waitingOn lists the open decisions user may decide now, up to limit
// each: their own, and those of the away deciders they act for.
func (a *App) waitingOn(user string, now time.Time, limit int) ([]decisions.Decision, error) {
	ds, err := a.store.ByDecider(user, decisions.StatusOpen, limit)
	if err != nil {
		return nil, err
	}
	theirs, err := a.delegatedTo(user, now, limit)
	return append(ds, theirs...), err
}

// delegatedTo lists the open decisions user decides as a delegate, up to
// limit per away decider (following delegation chains): never their own
// proposals, nor those they decide in their own right.
func (a *App) delegatedTo(user string, now time.Time, limit int) ([]decisions.Decision, error) {
	people, err := a.dir.people(now)
	if err != nil {
		return nil, fmt.Errorf("who is away: %w", err)
	}
	var out []decisions.Decision
	for _, away := range people.StandsInFor(user) {
		ds, err := a.store.ByDecider(away, decisions.StatusOpen, limit)
		if err != nil {
			return nil, fmt.Errorf("decisions of %s: %w", away, err)
		}
		for _, d := range ds {
			if !d.IsDecider(user) && d.Proposer != user && !slices.ContainsFunc(out, func(x decisions.Decision) bool { return x.ID == d.ID }) {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// userMentionRE matches the user mentions Baton writes into its own text.
var userMentionRE = regexp.MustCompile(`<@([UW][A-Z0-9]+)>`)

// plain rewrites user mentions as "@Name", for places Slack shows as
// plain text (a dialog's field errors): names come from users.info
// (users.go); an unknown one stays "@U…".
func (d *directory) plain(ctx context.Context, text string) string {
	return userMentionRE.ReplaceAllStringFunc(text, func(m string) string {
		id := userMentionRE.FindStringSubmatch(m)[1]
		name := d.users.info(ctx, id, d.clock.Now(), time.Second).name
		return "@" + cmp.Or(name, id)
	})
}
