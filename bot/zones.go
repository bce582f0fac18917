package bot

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/baton-app/baton/bot/command"
)

// Each person's time zone, from users.info (users.go): a date someone
// types ("by friday", "until Dec 5") is read in their zone, not the
// workspace's, and reminders reach them at their own hour.

// zoneLookupTimeout bounds the users.info call made while a command
// waits: the acknowledgement must leave within 3 seconds.
const zoneLookupTimeout = time.Second

// userLoc is user's time zone at now: Slack's, else the workspace's (no
// zone set, as Slack itself does; an unknown zone; Slack unreachable).
func (a *App) userLoc(ctx context.Context, user string, now time.Time) *time.Location {
	loc, _ := a.zoneOf(ctx, user, now, true)
	return loc
}

// zoneOf is user's time zone at now, as userLoc; without ask, only from
// the cache (ok false when it holds nothing about user).
func (a *App) zoneOf(ctx context.Context, user string, now time.Time, ask bool) (*time.Location, bool) {
	if user == "" {
		return a.loc, true
	}
	var u userInfo
	if ask {
		u = a.dir.users.info(ctx, user, now, zoneLookupTimeout)
	} else if c, ok := a.dir.users.cached(user, now); ok {
		u = c
	} else {
		return a.loc, false
	}
	if !u.answered {
		return a.loc, false // Slack failed: the workspace's, for now
	}
	return cmp.Or(u.loc, a.loc), true
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
