package slackfake

import (
	"math"
	"time"
)

// RateLimit makes the fake enforce Slack's allowance for chat.postMessage
// in real time: PerChannel messages a second in one channel with bursts of
// ChannelBurst, and Workspace a second across all channels with bursts of
// WorkspaceBurst. A post over either answers HTTP 429 with Retry-After (in
// whole seconds, as Slack sends it) and is not posted. Zero rates are not
// enforced.
type RateLimit struct {
	PerChannel     float64
	ChannelBurst   int
	Workspace      float64
	WorkspaceBurst int
}

// WithRateLimit enforces l on chat.postMessage.
func WithRateLimit(l RateLimit) Option {
	return func(s *Server) {
		s.limit = &limiter{l: l, channels: map[string]*tokens{}, now: time.Now}
	}
}

// RateLimited reports how many calls the rate limit refused with a 429.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limit == nil {
		return 0
	}
	return s.limit.refused
}

type tokens struct {
	have float64
	at   time.Time
}

// wait is how long until one token is there (0: now), after refilling.
func (t *tokens) wait(now time.Time, rate float64, burst int) time.Duration {
	if t.at.IsZero() {
		t.have, t.at = float64(burst), now
	}
	t.have = math.Min(float64(burst), t.have+now.Sub(t.at).Seconds()*rate)
	t.at = now
	if t.have >= 1 {
		return 0
	}
	return time.Duration((1 - t.have) / rate * float64(time.Second))
}

type limiter struct {
	l         RateLimit
	workspace tokens
	channels  map[string]*tokens
	refused   int
	now       func() time.Time
}

// take spends a token for a post to channel, or says how long to wait.
func (lm *limiter) take(channel string) time.Duration {
	now := lm.now()
	var wait time.Duration
	if lm.l.Workspace > 0 {
		wait = lm.workspace.wait(now, lm.l.Workspace, max(lm.l.WorkspaceBurst, 1))
	}
	ch := lm.channels[channel]
	if ch == nil {
		ch = &tokens{}
		lm.channels[channel] = ch
	}
	if lm.l.PerChannel > 0 {
		wait = max(wait, ch.wait(now, lm.l.PerChannel, max(lm.l.ChannelBurst, 1)))
	}
	if wait > 0 {
		lm.refused++
		return wait
	}
	if lm.l.Workspace > 0 {
		lm.workspace.have--
	}
	if lm.l.PerChannel > 0 {
		ch.have--
	}
	return 0
}
