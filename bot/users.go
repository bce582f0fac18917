package bot

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// What users.info says about a person — that they exist, their name, their
// time zone — is asked once and kept for userTTL (people rename, travel and
// leave), so checking a reassignment, naming people in a dialog and
// reading a date in someone's zone cost one call between them. A lookup
// that failed is remembered for userRetry: in a Slack outage each person
// costs one timeout an hour, not one per message.
const (
	userTTL   = 24 * time.Hour
	userRetry = time.Hour
)

// userInfo is what Baton knows about one Slack user.
type userInfo struct {
	// answered: Slack answered (found or not); false after a failed
	// lookup, when the rest is unknown.
	answered bool
	missing  bool // Slack has no such user
	deleted  bool // deactivated
	name     string
	loc      *time.Location // nil: the workspace's (none set, or one Go does not know)
	expires  time.Time
}

// userCache is the users.info cache, one entry per person.
type userCache struct {
	api *slack.Client
	log *slog.Logger

	mu sync.Mutex
	m  map[string]userInfo
}

func newUserCache(api *slack.Client, log *slog.Logger) *userCache {
	return &userCache{api: api, log: log, m: map[string]userInfo{}}
}

// info is what Slack says about id at now: cached, else asked within
// timeout.
func (c *userCache) info(ctx context.Context, id string, now time.Time, timeout time.Duration) userInfo {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u, err := c.api.GetUserInfoContext(cctx, id)
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && (se.Err == "user_not_found" || se.Err == "users_not_found"):
		e = userInfo{answered: true, missing: true, expires: now.Add(userTTL)}
	case err != nil:
		c.log.Warn("users.info failed; going without it for a while", "user", id, "err", err)
		e = userInfo{expires: now.Add(userRetry)}
		if ctx.Err() != nil {
			return e // the caller gave up: not Slack's failure, nothing to remember
		}
	default:
		e = c.infoOf(u, now)
	}
	c.mu.Lock()
	c.m[id] = e
	c.mu.Unlock()
	return e
}

// cached is what the cache holds about id at now, without asking Slack.
func (c *userCache) cached(id string, now time.Time) (userInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	return e, ok && now.Before(e.expires)
}

// note records a user object Slack sent unasked (a user_change event, a
// re-resolution's users.info): a new zone or name applies at once.
func (c *userCache) note(u *slack.User, now time.Time) {
	if u == nil || u.ID == "" {
		return
	}
	e := c.infoOf(u, now)
	c.mu.Lock()
	c.m[u.ID] = e
	c.mu.Unlock()
}

func (c *userCache) infoOf(u *slack.User, now time.Time) userInfo {
	e := userInfo{
		answered: true, deleted: u.Deleted,
		name:    cmp.Or(u.Profile.DisplayName, u.RealName, u.Name),
		expires: now.Add(userTTL),
	}
	if u.TZ != "" {
		// "Local" would be this server's zone, not the person's: refused
		// like any name Go does not know (config's people[].tz is too).
		loc, err := time.LoadLocation(u.TZ)
		if err != nil || strings.EqualFold(u.TZ, "local") {
			c.log.Warn("unknown time zone from Slack; using the workspace's", "user", u.ID, "tz", u.TZ)
			loc = nil
		}
		e.loc = loc
	}
	return e
}
