package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// taskRunner executes a Task.
type taskRunner func(ctx context.Context, key string, t Task) error

// Outbox delivers stored messages to Slack. The store holds what is to be
// sent; the order, pacing and backoff live in memory (see pacer), so waiting
// costs no write. Each channel, DM, App Home and updated message is a lane:
// one message in flight per lane, strictly in enqueue order. A
// workspace-wide token bucket and Slack's per-channel allowance (one a
// second, bursts of three) pace the lanes; a 429 pauses that Web API method
// for every lane until Retry-After has passed. Posts carry their key in
// Slack message metadata and are recorded as attempted before the call, so
// after a crash Slack's history says whether one already landed: each is
// posted exactly once.
type Outbox struct {
	store   store.Backend
	api     *slack.Client
	clock   Clock
	log     *slog.Logger
	metrics *metrics
	workers int
	runTask taskRunner
	// contain runs a delivery so a store read that panics stops serve
	// instead of the process (damage.go); nil runs it bare.
	contain func(what string, f func()) bool

	kick chan struct{}

	// loadMu makes loads one at a time: two interleaved reads of the same
	// range could queue again a message delivered in between.
	loadMu sync.Mutex
	mu     sync.Mutex
	sched  *pacer
	dms    map[string]string // user → DM channel id
	// settle, when set, holds back a message another process attempted
	// less than settle ago (see SettleForeignAttempts).
	settle time.Duration
}

// SettleForeignAttempts makes the outbox wait, before looking in Slack for
// an earlier copy of a message found attempted but not delivered, until
// that attempt must have finished: d after it was made. With replicas, a
// leader that lost its lock may still be finishing deliveries (up to
// deliveryTimeout) while a new one starts; looking too early would miss a
// post still in flight and send it again. A single process on bbolt needs
// none: the file lock means no other process can be delivering.
func (o *Outbox) SettleForeignAttempts(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.settle = d
}

// DeliveryTimeout bounds one delivery: how long an attempt may be in flight.
const DeliveryTimeout = deliveryTimeout

// deliveryTimeout bounds one delivery (it may take three Slack calls).
const deliveryTimeout = 30 * time.Second

func newOutbox(st store.Backend, api *slack.Client, clock Clock, log *slog.Logger, m *metrics, workers int, interval time.Duration) *Outbox {
	if workers < 1 {
		// Each worker waits on Slack and on two group commits per post, so
		// a slow disk or Slack needs several to keep up with the allowance.
		workers = 16
	}
	rate, burst := DefaultWorkspaceRate, DefaultWorkspaceBurst
	switch {
	case interval == 0:
		interval = channelInterval
	case interval < 0:
		rate = 0 // pacing off (the shell, tests): no workspace limit either
	}
	return &Outbox{
		store: st, api: api, clock: clock, log: log.With("component", "outbox"), metrics: m, workers: workers,
		kick: make(chan struct{}, 1), sched: newPacer(interval, rate, burst), dms: map[string]string{},
	}
}

// SetWorkspaceLimit sets the workspace-wide allowance: perSecond calls a
// second on average, up to burst at once; perSecond <= 0 removes the limit.
// Call it before Run.
func (o *Outbox) SetWorkspaceLimit(perSecond float64, burst int) {
	o.mu.Lock()
	o.sched.global = newBucket(perSecond, burst)
	o.mu.Unlock()
}

// Kick wakes the delivery loop after something was enqueued.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// load reads the items enqueued since the last load into the lanes.
func (o *Outbox) load() error {
	o.loadMu.Lock()
	defer o.loadMu.Unlock()
	o.mu.Lock()
	after := o.sched.lastSeq
	o.mu.Unlock()
	items, err := o.store.OutboxAfter(after, 0)
	if err != nil {
		return fmt.Errorf("read outbox: %w", err)
	}
	o.mu.Lock()
	settle, now := o.settle, o.clock.Now()
	o.mu.Unlock()
	for _, it := range items {
		if settle > 0 && !it.Attempted.IsZero() && it.Attempted.Add(settle).After(it.NotBefore) {
			it.NotBefore = it.Attempted.Add(settle)
			if it.NotBefore.After(now) {
				o.log.Info("a message attempted elsewhere moments ago waits for that attempt to end", "key", it.Key, "until", it.NotBefore)
			}
		}
		q := &queued{it: it, uncertain: !it.Attempted.IsZero()}
		if err := json.Unmarshal(it.Body, &q.msg); err != nil {
			q.bad = err
		}
		q.method = methodOf(q.msg)
		// A reply whose parent may already be delivered needs the
		// parent's saved channel: read it before locking, so a slow store
		// does not hold up every worker.
		var parentChannel string
		if q.msg.Kind == KindPost && q.msg.Channel == "" && q.msg.ThreadRef != "" {
			parentChannel = o.refChannel(q.msg.ThreadRef)
		}
		o.mu.Lock()
		q.lane = o.sched.laneOf(it.Key, q.msg, parentChannel)
		o.sched.add(q)
		o.mu.Unlock()
	}
	return nil
}

// refChannel is the channel a delivered message was saved in, or "".
func (o *Outbox) refChannel(key string) string {
	ref, ok, err := o.store.Ref(key)
	if err != nil || !ok {
		return ""
	}
	return ref.Channel
}

func (o *Outbox) next() (*queued, time.Time, bool) {
	now := o.clock.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sched.probeDue(now) {
		return nil, time.Time{}, true
	}
	q, wake := o.sched.next(now)
	return q, wake, false
}

func (o *Outbox) apply(r result) {
	now := o.clock.Now()
	o.mu.Lock()
	o.sched.done(r, now)
	o.mu.Unlock()
}

// probe asks Slack, cheaply, whether it answers again after an outage.
func (o *Outbox) probe(ctx context.Context) {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err := o.api.AuthTestContext(pctx)
	cancel()
	ok := err == nil || !unreachable(err)
	if ok {
		o.log.Info("Slack answers again; resuming delivery")
	}
	now := o.clock.Now()
	o.mu.Lock()
	o.sched.probed(ok, now)
	o.mu.Unlock()
}

// Flush delivers, one at a time, every message due at the clock's current
// time, until none is. Tests and the shell use it; serve uses Run.
func (o *Outbox) Flush(ctx context.Context) error {
	if err := o.load(); err != nil {
		return err
	}
	for range 100000 {
		if err := ctx.Err(); err != nil {
			return err
		}
		q, _, probe := o.next()
		if probe {
			o.probe(ctx)
			continue
		}
		if q == nil {
			// What was sent may have queued more (a task's proposal).
			before := o.loaded()
			if err := o.load(); err != nil {
				return err
			}
			if o.loaded() == before {
				return nil
			}
			continue
		}
		o.apply(o.deliver(ctx, q))
	}
	return nil
}

func (o *Outbox) loaded() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sched.lastSeq
}

// reloadEvery bounds how long an enqueue that did not Kick waits.
const reloadEvery = 5 * time.Second

// Run delivers messages until ctx is done, with a bounded pool of workers.
// On return every worker has finished its current message.
func (o *Outbox) Run(ctx context.Context) {
	jobs := make(chan *queued)
	results := make(chan result, o.workers)
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range jobs {
				// A message being sent is finished even during shutdown, so
				// it is not left uncertain, but a stalled Slack call cannot
				// hold shutdown forever.
				dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliveryTimeout)
				r := result{q: q, out: outError}
				deliver := func() { r = o.deliver(dctx, q) }
				if o.contain == nil {
					deliver()
				} else {
					o.contain("outbox", deliver)
				}
				results <- r
				cancel()
			}
		}()
	}
	probed := make(chan struct{}, 1)
	inflight, probing := 0, false
	defer func() {
		close(jobs)
		for ; inflight > 0; inflight-- {
			o.apply(<-results)
		}
		wg.Wait()
		if probing {
			<-probed
		}
		o.log.Info("outbox stopped")
	}()
	if err := o.load(); err != nil {
		o.log.Error("read outbox", "err", err)
	}
	for {
		var wake time.Time
		for inflight < o.workers {
			q, w, probe := o.next()
			if probe {
				probing = true
				go func() { o.probe(ctx); probed <- struct{}{} }()
				continue
			}
			if q == nil {
				wake = w
				break
			}
			inflight++
			jobs <- q
		}
		wait := reloadEvery
		if !wake.IsZero() {
			wait = min(wait, max(wake.Sub(o.clock.Now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case r := <-results:
			inflight--
			o.apply(r)
		case <-probed:
			probing = false
		case <-o.kick:
			if err := o.load(); err != nil {
				o.log.Error("read outbox", "err", err)
			}
		case <-t.C:
			if err := o.load(); err != nil {
				o.log.Error("read outbox", "err", err)
			}
		}
		t.Stop()
	}
}

// deliver tries one message and records a delivery (or a drop) in the
// store. What to do next is in the result.
func (o *Outbox) deliver(ctx context.Context, q *queued) result {
	key := q.it.Key
	if q.bad != nil {
		o.log.Error("drop undecodable outbox message", "key", key, "err", q.bad)
		o.finish(key, nil)
		return result{q: q, out: outDone}
	}
	m := q.msg
	now := o.clock.Now()
	if isReminder(key) && now.Sub(q.it.Enqueued) > reminderTTL {
		o.log.Warn("dropping a reminder older than a day", "key", key, "enqueued", q.it.Enqueued, "user", m.User)
		o.metrics.outboxFailed.WithLabelValues("stale_reminder").Inc()
		o.finish(key, nil)
		return result{q: q, out: outDone}
	}
	refs, wait, err := o.send(ctx, q)
	switch {
	case wait:
		return result{q: q, out: outWait}
	case err == nil:
		o.metrics.outboxSent.WithLabelValues(m.Kind).Inc()
		o.finish(key, refs)
		return result{q: q, out: outDone}
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		o.metrics.outboxRetries.WithLabelValues("rate_limited").Inc()
		o.log.Warn("rate limited by Slack; pausing the method", "key", key, "method", q.method, "retry_after", rl.RetryAfter)
		return result{q: q, out: outRateLimited, retryAfter: rl.RetryAfter}
	}
	if permanent(err) {
		o.metrics.outboxFailed.WithLabelValues(m.Kind).Inc()
		o.log.Error("Slack refused message; dropping it", "key", key, "kind", m.Kind, "channel", m.Channel, "user", m.User, "err", err)
		o.finish(key, nil)
		return result{q: q, out: outDone}
	}
	o.metrics.outboxRetries.WithLabelValues("error").Inc()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) && unreachable(err) {
		// No answer from Slack: a post may have landed all the same.
		q.uncertain = q.uncertain || q.method == "chat.postMessage"
		o.log.Warn("Slack unreachable; will retry", "key", key, "attempt", q.failures+1, "err", err)
		return result{q: q, out: outUnreachable}
	}
	if mayHaveLanded[se.Err] {
		// Slack says part of the call may have happened: check its
		// history before posting again, as after no answer at all.
		q.uncertain = q.uncertain || q.method == "chat.postMessage"
	}
	level := slog.LevelWarn
	if installationErrors[se.Err] {
		level = slog.LevelError // an admin must fix the token or scopes
	}
	o.log.Log(ctx, level, "Slack delivery failed; will retry", "key", key, "attempt", q.failures+1, "err", err)
	return result{q: q, out: outError}
}

// unreachable reports whether err means Slack did not answer: a 5xx, a
// network error or a timeout.
func unreachable(err error) bool {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

func (o *Outbox) finish(key string, refs map[string]decisions.MessageRef) {
	if err := o.store.OutboxDone(key, o.clock.Now(), refs); err != nil {
		o.log.Error("mark outbox message delivered", "key", key, "err", err)
	}
}

// installationErrors are Slack errors about the app's token or
// installation, not the message: every message would fail alike until an
// admin fixes it, so they are retried (with backoff), never dropped.
var installationErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "token_revoked": true, "token_expired": true,
	"account_inactive": true, "missing_scope": true, "no_permission": true, "org_login_required": true,
	"team_access_not_granted": true, "ekm_access_denied": true, "access_denied": true,
	"not_allowed_token_type": true, "invalid_token": true, "team_added_to_org": true,
}

// mayHaveLanded are Slack errors after which, by Slack's own account,
// some of the operation may have completed.
var mayHaveLanded = map[string]bool{"internal_error": true, "fatal_error": true, "request_timeout": true}

// transientErrors are Slack's own passing troubles: retried, and not an
// admin's problem.
var transientErrors = map[string]bool{
	"ratelimited": true, "internal_error": true, "fatal_error": true,
	"service_unavailable": true, "request_timeout": true,
}

// permanent reports whether Slack refused this one message for a reason
// a retry cannot fix (channel_not_found, invalid_blocks, user_not_found…).
// Problems with the token or installation are not permanent: the outbox
// keeps the messages until they are fixed.
func permanent(err error) bool {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return !installationErrors[se.Err] && !transientErrors[se.Err]
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 400 && sc.Code < 500 && sc.Code != 401 && sc.Code != 403 && sc.Code != 408 && sc.Code != 429
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return false
	}
	return strings.Contains(err.Error(), "invalid_blocks")
}
