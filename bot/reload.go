package bot

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
)

// liveConfig is the config the decision rights were last built from.
func (a *App) liveConfig() *config.Config {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.live
}

// Reload swaps in the decision rights of cfg — domains, owners, advisors,
// escalation, admins, default_domain — resolved with Slack, atomically:
// requests being handled keep the rights they started with. cfg must come
// from the loader `baton check` uses, so a file check accepts is a file
// Reload accepts. If Slack cannot be asked (owners given as emails or
// usergroups), nothing changes and the error says so.
//
// It returns a summary of what changed ("+1 domain, 2 owners changed"),
// and the keys that changed but only take effect at a restart (the Slack
// app, listeners, store, logs, time zone and schedules, read once at start).
func (a *App) Reload(ctx context.Context, cfg *config.Config) (summary string, restartNeeded []string, err error) {
	a.resolveMu.Lock()
	defer a.resolveMu.Unlock()
	old := a.liveConfig()
	if err := a.resolve(ctx, cfg); err != nil {
		return "", nil, fmt.Errorf("the new config was not applied (the running one stays): %w", err)
	}
	return Changes(old, cfg), restartKeys(old, cfg), nil
}

// Changes summarises how the decision rights of next differ from prev, in
// the words an operator would use in a log line.
func Changes(prev, next *config.Config) string {
	byName := func(c *config.Config) map[string]decisions.Domain {
		m := map[string]decisions.Domain{}
		for _, d := range c.Domains {
			m[d.Name] = d
		}
		return m
	}
	before, after := byName(prev), byName(next)
	var added, removed, owners, advisors, rules int
	for name, d := range after {
		p, ok := before[name]
		if !ok {
			added++
			continue
		}
		owners += symDiff(p.Owners, d.Owners)
		advisors += symDiff(p.Advisors, d.Advisors)
		p.Owners, d.Owners, p.Advisors, d.Advisors = nil, nil, nil, nil
		if !reflect.DeepEqual(p, d) {
			rules++
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			removed++
		}
	}
	var parts []string
	add := func(n int, format, noun string) {
		if n == 0 {
			return
		}
		w := fmt.Sprintf("%d %s", n, noun)
		if n != 1 {
			w += "s"
		}
		parts = append(parts, fmt.Sprintf(format, w))
	}
	add(added, "+%s", "domain")
	add(removed, "-%s", "domain")
	add(owners, "%s changed", "owner")
	add(advisors, "%s changed", "advisor")
	add(rules, "settings of %s changed", "domain")
	add(symDiff(prev.Admins, next.Admins), "%s changed", "admin")
	if prev.DefaultDomain != next.DefaultDomain {
		parts = append(parts, fmt.Sprintf("default domain %q → %q", prev.DefaultDomain, next.DefaultDomain))
	}
	if added == 0 && removed == 0 && !slices.EqualFunc(prev.Domains, next.Domains, func(a, b decisions.Domain) bool { return a.Name == b.Name }) {
		parts = append(parts, "domain order changed (it breaks routing ties)")
	}
	if len(parts) == 0 {
		return "no change to the decision rights"
	}
	return strings.Join(parts, ", ")
}

// symDiff counts the people in one list and not the other.
func symDiff(a, b []string) int {
	n := 0
	for _, x := range a {
		if !slices.Contains(b, x) {
			n++
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			n++
		}
	}
	return n
}

// restartKeys names the keys that differ but are read once at start.
func restartKeys(prev, next *config.Config) []string {
	var out []string
	check := func(key string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			out = append(out, key)
		}
	}
	check("slack", prev.Slack, next.Slack)
	check("server", prev.Server, next.Server)
	check("store", prev.Store, next.Store)
	check("log", prev.Log, next.Log)
	check("timezone", prev.TimezoneName, next.TimezoneName)
	check("reminders", prev.Reminders, next.Reminders)
	check("digest", prev.Digest, next.Digest)
	return out
}

// resolveEvery is how often owners given as emails and usergroups, and
// deactivations, are asked of Slack again, besides Slack's change events.
const resolveEvery = time.Hour

// KeepResolved calls Resolve every resolveEvery until ctx ends, so someone
// added to an owning usergroup, or deactivated, is noticed without a
// restart even if Slack's event for it was missed.
func (a *App) KeepResolved(ctx context.Context) {
	t := time.NewTicker(resolveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		if err := a.Resolve(rctx); err != nil {
			a.log.Warn("hourly re-resolution of owners failed; keeping the last answer", "err", err)
		}
		cancel()
	}
}
