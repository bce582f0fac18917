package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const (
	day  = 24 * time.Hour
	week = 7 * day
)

var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond,
	"us": time.Microsecond,
	"µs": time.Microsecond, // U+00B5, as time.ParseDuration accepts
	"μs": time.Microsecond, // U+03BC
	"ms": time.Millisecond,
	"s":  time.Second,
	"m":  time.Minute,
	"h":  time.Hour,
	"d":  day,
	"w":  week,
}

// ParseDuration parses a duration such as "72h", "3d", "2w" or "1w2d":
// time.ParseDuration's units plus d (24h) and w (7d). Days are calendar-free
// 24-hour spans, which is what an SLA means.
func ParseDuration(s string) (time.Duration, error) {
	bad := func(why string) (time.Duration, error) {
		return 0, fmt.Errorf("invalid duration %q: %s (write e.g. 72h, 3d, 2w or 1w2d)", s, why)
	}
	rest := s
	neg := false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return bad("empty")
	}
	var total float64
	for rest != "" {
		i := strings.IndexFunc(rest, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
		if i == 0 {
			return bad("expected a number")
		}
		if i < 0 {
			return bad("missing unit")
		}
		j := strings.IndexFunc(rest[i:], func(r rune) bool { return r == '.' || (r >= '0' && r <= '9') })
		if j < 0 {
			j = len(rest) - i
		}
		num, unit := rest[:i], rest[i:i+j]
		n, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return bad(fmt.Sprintf("bad number %q", num))
		}
		u, ok := durationUnits[unit]
		if !ok {
			return bad(fmt.Sprintf("unknown unit %q", unit))
		}
		total += n * float64(u)
		rest = rest[i+j:]
	}
	if total >= math.MaxInt64 {
		return bad("too long")
	}
	d := time.Duration(math.Round(total))
	if neg {
		d = -d
	}
	return d, nil
}
