package shell

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baton-app/baton/config"
)

// Layouts `tick` and -start accept for an absolute time, read in the
// config's time zone unless they carry an offset.
var layouts = []string{
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// ParseStart reads a start time: RFC 3339, or 2006-01-02T15:04 (or a bare
// date, meaning 09:00) in loc.
func ParseStart(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			if l == "2006-01-02" {
				t = t.Add(9 * time.Hour)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: write 2026-12-01T09:00 (in the config's time zone) or RFC 3339 (2026-12-01T09:00:00Z)", clip(s, 40))
}

// parseTime reads the argument of `tick`: +3d, +2h, +1w, +1w2d, +90m
// relative to now, or an absolute time.
func (c *Console) parseTime(arg string, now time.Time) (time.Time, error) {
	arg = strings.TrimSpace(arg)
	if arg == "" {
		return time.Time{}, errors.New("tick to when? `tick +1d`, `tick +2h` or `tick 2026-12-01T09:00`")
	}
	if rel, ok := strings.CutPrefix(arg, "+"); ok {
		d, err := config.ParseDuration(strings.TrimSpace(rel))
		if err != nil || d <= 0 {
			return time.Time{}, fmt.Errorf("%q is not a step forward: write +30m, +2h, +3d or +1w", clip(arg, 40))
		}
		return now.Add(d), nil
	}
	t, err := ParseStart(arg, c.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time: write +3d, +2h, +1w or 2026-12-01T09:00 (%s)", clip(arg, 40), c.loc)
	}
	return t, nil
}
