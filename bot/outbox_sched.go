package bot

import (
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/baton-app/baton/store"
)

// This file is the outbox's pacing, in memory: which message may go next,
// and when. Nothing here calls Slack or writes the store; the time is passed
// in, so tests drive it with a fake clock.

// Pacing and retry limits.
const (
	// channelInterval and channelBurst are Slack's allowance for
	// chat.postMessage in one channel: about one a second, with short bursts.
	channelInterval = time.Second
	channelBurst    = 3
	// DefaultWorkspaceRate and DefaultWorkspaceBurst bound every Web API call
	// the outbox makes, workspace-wide: Slack documents "several hundred
	// messages a minute" for a workspace, and refuses more with 429s.
	DefaultWorkspaceRate  = 5.0
	DefaultWorkspaceBurst = 20
	minBackoff            = time.Second
	maxBackoff            = 5 * time.Minute
	// probeInterval is how often, while Slack is unreachable, one cheap
	// call (auth.test, Tier 2: 20 a minute) checks whether it answers again.
	probeInterval = 3 * time.Second
	// waitForRef is how long a message whose parent is not in this
	// process's outbox waits before looking again.
	waitForRef = 10 * time.Second
	// margin keeps the outbox this share under Slack's allowance: a request
	// takes a little longer some times than others, Slack counts when it
	// arrives, and one 429 pauses the method for a whole second.
	margin = 0.97
	// reminderTTL is the age after which a reminder is not worth sending.
	reminderTTL = 24 * time.Hour
)

// bucket is a token bucket: rate tokens a second, holding at most burst.
// A rate <= 0 means unlimited.
type bucket struct {
	rate, burst float64
	tokens      float64
	at          time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate * margin, burst: float64(max(burst, 1)), tokens: float64(max(burst, 1))}
}

func (b *bucket) refill(now time.Time) {
	if b.at.IsZero() {
		b.at = now
		return
	}
	if now.After(b.at) {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.at).Seconds()*b.rate)
		b.at = now
	}
}

// ready reports whether a token is available at now, and if not, when one
// will be.
func (b *bucket) ready(now time.Time) (bool, time.Time) {
	if b == nil || b.rate <= 0 {
		return true, now
	}
	b.refill(now)
	if b.tokens >= 1 {
		return true, now
	}
	wait := time.Duration(math.Ceil((1 - b.tokens) / b.rate * float64(time.Second)))
	return false, now.Add(wait)
}

func (b *bucket) take(now time.Time) {
	if b == nil || b.rate <= 0 {
		return
	}
	b.refill(now)
	b.tokens--
}

// queued is one outbox item waiting in memory.
type queued struct {
	it     store.OutboxItem
	msg    Message
	bad    error // the body could not be decoded
	lane   string
	method string // the Web API method sending it calls
	// failures counts failed tries in this process, for the backoff.
	failures int
	// uncertain means a call may have reached Slack without Baton hearing
	// the answer (a crash, a timeout, a 5xx): look before posting again.
	uncertain bool
}

// paced reports whether q counts against the channel's message allowance.
func (q *queued) paced() bool { return q.method == "chat.postMessage" }

// dependsOn is the key of the message q needs sent first, if any.
func (q *queued) dependsOn() string {
	if q.msg.ThreadRef != "" {
		return q.msg.ThreadRef
	}
	return q.msg.UpdateRef
}

// lane is one channel (or DM, or App Home, or updated message): its
// messages go one at a time, in enqueue order.
type lane struct {
	q    []*queued
	busy bool
	// wake is when the head may be tried again after an error or a wait.
	wake time.Time
	// failed marks a lane backing off from an outage, woken by the probe.
	failed bool
	pace   *bucket
}

// pacer decides what the outbox sends next. It is not safe for concurrent
// use; the Outbox holds its lock around every call.
type pacer struct {
	lanes map[string]*lane
	// paces are the conversations' token buckets. They outlive their
	// lanes — a channel whose queue keeps emptying is still paced — and
	// are forgotten once refilled to the burst, when they hold nothing.
	paces  map[string]*bucket
	known  map[string]*queued // pending or in flight, by key
	global *bucket
	// pause holds, per Web API method, when a 429 stops holding it back.
	pause map[string]time.Time
	// down is set while Slack cannot be reached; only the probe calls it.
	down     bool
	probeAt  time.Time
	probing  bool
	interval time.Duration // per-channel pacing; <= 0 turns pacing off
	lastSeq  uint64        // the highest Seq loaded
	rand     func() float64
}

func newPacer(interval time.Duration, rate float64, burst int) *pacer {
	return &pacer{
		lanes: map[string]*lane{}, paces: map[string]*bucket{}, known: map[string]*queued{}, pause: map[string]time.Time{},
		global: newBucket(rate, burst), interval: interval, rand: rand.Float64,
	}
}

// laneOf names the lane a message travels in: the conversation it lands in
// where that is known, so one channel's messages keep their order.
func (s *pacer) laneOf(key string, m Message, parentChannel string) string {
	switch m.Kind {
	case KindPost:
		if m.Channel != "" {
			return "c:" + m.Channel
		}
		if m.ThreadRef != "" {
			if p := s.known[m.ThreadRef]; p != nil {
				return p.lane // behind its parent, in the parent's channel
			}
			if parentChannel != "" {
				return "c:" + parentChannel
			}
			return "r:" + m.ThreadRef
		}
		return "k:" + key
	case KindDM:
		return "dm:" + m.User
	case KindEphemeral:
		return "e:" + m.User
	case KindUpdate:
		return "u:" + m.UpdateRef
	case KindHome:
		return "h:" + m.User
	}
	return "k:" + key
}

func methodOf(m Message) string {
	switch m.Kind {
	case KindPost, KindDM:
		return "chat.postMessage"
	case KindEphemeral:
		return "chat.postEphemeral"
	case KindUpdate:
		return "chat.update"
	case KindHome:
		return "views.publish"
	}
	return ""
}

// add queues q behind the messages of its lane. A key already known is
// ignored.
func (s *pacer) add(q *queued) {
	s.lastSeq = max(s.lastSeq, q.it.Seq)
	if s.known[q.it.Key] != nil {
		return
	}
	s.known[q.it.Key] = q
	l := s.lanes[q.lane]
	if l == nil {
		l = &lane{}
		if s.interval > 0 {
			if l.pace = s.paces[q.lane]; l.pace == nil {
				l.pace = newBucket(float64(time.Second)/float64(s.interval), channelBurst)
				s.paces[q.lane] = l.pace
			}
		}
		s.lanes[q.lane] = l
	}
	// Items normally arrive in Seq order; an older one found later (after a
	// restart) still goes before newer ones.
	i := len(l.q)
	for i > 0 && l.q[i-1].it.Seq > q.it.Seq && !(l.busy && i-1 == 0) {
		i--
	}
	l.q = append(l.q, nil)
	copy(l.q[i+1:], l.q[i:])
	l.q[i] = q
}

// next picks the message to send at now: among lanes whose head is free to
// go, the one enqueued first. When none can go it returns nil and the
// earliest time one might (zero: nothing is waiting on time).
func (s *pacer) next(now time.Time) (*queued, time.Time) {
	if s.down {
		if s.probing {
			return nil, time.Time{} // the probe's answer wakes the loop
		}
		return nil, s.probeAt
	}
	var best *queued
	var bestLane *lane
	var wake time.Time
	later := func(t time.Time) {
		if wake.IsZero() || t.Before(wake) {
			wake = t
		}
	}
	for _, l := range s.lanes {
		if l.busy || len(l.q) == 0 {
			continue
		}
		h := l.q[0]
		if dep := h.dependsOn(); dep != "" && s.known[dep] != nil && s.known[dep] != h {
			continue // woken when dep is done
		}
		t := l.wake
		if h.it.NotBefore.After(t) {
			t = h.it.NotBefore
		}
		if p := s.pause[h.method]; p.After(t) {
			t = p
		}
		if h.paced() {
			if ok, at := l.pace.ready(now); !ok && at.After(t) {
				t = at
			}
		}
		if t.After(now) {
			later(t)
			continue
		}
		if best == nil || h.it.Seq < best.it.Seq {
			best, bestLane = h, l
		}
	}
	if best == nil {
		return nil, wake
	}
	if best.method != "" {
		if ok, at := s.global.ready(now); !ok {
			later(at)
			return nil, wake
		}
		s.global.take(now)
	}
	if best.paced() {
		bestLane.pace.take(now)
	}
	bestLane.busy = true
	return best, time.Time{}
}

// outcome is what became of one try.
type outcome int

const (
	outDone        outcome = iota // delivered, or dropped for good
	outRateLimited                // 429: the method pauses
	outError                      // Slack answered with an error worth retrying
	outUnreachable                // 5xx or network: Slack may be down
	outWait                       // the message it depends on is not there yet
)

// forgetIdlePaces drops the buckets of conversations with nothing queued
// that have refilled to their burst: keeping them would change nothing.
func (s *pacer) forgetIdlePaces(now time.Time) {
	for name, b := range s.paces {
		if s.lanes[name] != nil {
			continue
		}
		if b.refill(now); b.tokens >= b.burst {
			delete(s.paces, name)
		}
	}
}

// result is a finished try, applied with done.
type result struct {
	q          *queued
	out        outcome
	retryAfter time.Duration
}

// done applies a finished try to the lanes.
func (s *pacer) done(r result, now time.Time) {
	q := r.q
	l := s.lanes[q.lane]
	l.busy = false
	switch r.out {
	case outDone:
		delete(s.known, q.it.Key)
		l.q = l.q[1:]
		l.wake, l.failed = time.Time{}, false
		if len(l.q) == 0 {
			delete(s.lanes, q.lane)
			s.forgetIdlePaces(now)
		}
	case outRateLimited:
		until := now.Add(max(r.retryAfter, time.Second))
		if until.After(s.pause[q.method]) {
			s.pause[q.method] = until
		}
	case outError, outUnreachable:
		q.failures++
		l.wake = now.Add(s.backoff(q.failures))
		if r.out == outUnreachable {
			l.failed = true
			if !s.down {
				s.down = true
				s.probeAt = now.Add(probeInterval/2 + s.jitter(probeInterval/2))
			}
		}
	case outWait:
		l.wake = now.Add(waitForRef)
	}
}

// backoff is the wait after n failures: exponential, capped, with jitter so
// many lanes failing together do not retry together.
func (s *pacer) backoff(n int) time.Duration {
	d := min(minBackoff<<min(n-1, 16), maxBackoff)
	return s.jitter(d)
}

// jitter spreads d over [d/2, d).
func (s *pacer) jitter(d time.Duration) time.Duration {
	return d/2 + time.Duration(s.rand()*float64(d/2))
}

// probeDue reports whether the outage probe should run now; if so it is
// marked running until probed is called.
func (s *pacer) probeDue(now time.Time) bool {
	if !s.down || s.probing || now.Before(s.probeAt) {
		return false
	}
	s.probing = true
	return true
}

// probed records the probe's answer. When Slack answers, every lane that
// was backing off from the outage may go at once.
func (s *pacer) probed(ok bool, now time.Time) {
	s.probing = false
	if !ok {
		s.probeAt = now.Add(probeInterval + s.jitter(probeInterval))
		return
	}
	s.down = false
	for _, l := range s.lanes {
		if l.failed {
			l.wake, l.failed = time.Time{}, false
		}
	}
}

// isReminder reports whether key is a reminder ("D-7/remind/…"): the only
// kind of message that is stale after a day.
func isReminder(key string) bool {
	_, rest, ok := strings.Cut(key, "/")
	return ok && strings.HasPrefix(rest, "remind/")
}
