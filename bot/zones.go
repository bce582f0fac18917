package bot

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/baton-app/baton/bot/command"
)

// Each person's time zone, from users.info: a date someone types ("by
// friday", "until Dec 5") is read in their zone, not the workspace's. Zones
// are cached and looked up again after zoneTTL, since people travel.
const (
	zoneTTL = 24 * time.Hour
	// zoneRetry is how long a failed lookup falls back to the workspace
	// zone before Baton asks Slack again.
	zoneRetry = time.Hour
	// zoneLookupTimeout bounds the users.info call made while a command
	// waits: the acknowledgement must leave within 3 seconds.
	zoneLookupTimeout = time.Second
)

// zoneCache maps user ids to their zone and when it was read.
type zoneCache struct {
	mu sync.Mutex
	m  map[string]zoneEntry
}

type zoneEntry struct {
	loc     *time.Location
	expires time.Time
}

// userLoc is user's time zone at now: cached, else from users.info, else
// the workspace's.
func (a *App) userLoc(ctx context.Context, user string, now time.Time) *time.Location {
	if user == "" {
		return a.loc
	}
	a.zones.mu.Lock()
	e, ok := a.zones.m[user]
	a.zones.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.loc
	}
	ctx, cancel := context.WithTimeout(ctx, zoneLookupTimeout)
	defer cancel()
	loc, ttl := a.loc, zoneRetry
	if u, err := a.api.GetUserInfoContext(ctx, user); err != nil {
		a.log.Warn("users.info for the time zone; using the workspace's", "user", user, "err", err)
	} else if u.TZ != "" {
		if l, err := time.LoadLocation(u.TZ); err == nil {
			loc, ttl = l, zoneTTL
		} else {
			a.log.Warn("unknown time zone from users.info; using the workspace's", "user", user, "tz", u.TZ)
		}
	} else {
		ttl = zoneTTL // no zone set: the workspace's, as Slack itself does
	}
	a.zones.mu.Lock()
	if a.zones.m == nil {
		a.zones.m = map[string]zoneEntry{}
	}
	a.zones.m[user] = zoneEntry{loc: loc, expires: now.Add(ttl)}
	a.zones.mu.Unlock()
	return loc
}

// parseFor parses text typed by user. A command holding a date, or one
// that failed (perhaps on a date: "by friday 9:00" already past in the
// workspace's zone), is read again in the user's own zone when it differs
// from the workspace's; only those need the zone, so nothing else waits on
// users.info.
func (a *App) parseFor(ctx context.Context, user, text string, now time.Time) (command.Command, error) {
	c, err := a.parser.Parse(text, now)
	if err == nil && c.Due.IsZero() && c.Until.IsZero() && c.Review.IsZero() && c.Since.IsZero() {
		return c, nil
	}
	if err != nil && !errors.As(err, new(*command.Error)) {
		return c, err
	}
	loc := a.userLoc(ctx, user, now)
	if loc == a.loc || loc.String() == a.loc.String() {
		return c, err
	}
	p := a.parser
	p.Location = loc
	return p.Parse(text, now)
}
