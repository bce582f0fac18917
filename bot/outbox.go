package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// Message kinds the outbox knows how to deliver.
const (
	KindPost      = "post"      // chat.postMessage to Channel (in ThreadTS/ThreadRef if set)
	KindDM        = "dm"        // conversations.open with User, then chat.postMessage
	KindEphemeral = "ephemeral" // chat.postEphemeral to User in Channel
	KindUpdate    = "update"    // chat.update of the message saved under UpdateRef
	KindHome      = "home"      // views.publish of User's App Home
	KindTask      = "task"      // work that needs the Web API before it can propose (see Task)
)

// Message is one thing Baton will say in Slack. It is stored in the outbox
// as JSON until delivered, so it survives restarts.
type Message struct {
	Kind     string `json:"kind"`
	Channel  string `json:"channel,omitempty"`
	User     string `json:"user,omitempty"`
	ThreadTS string `json:"thread_ts,omitempty"`
	// ThreadRef names a saved message (e.g. "D-7/announce") to reply under.
	// If it is still waiting in the outbox this message waits for it; if it
	// was never sent (announce: false) this message goes to the channel.
	ThreadRef string `json:"thread_ref,omitempty"`
	// ThreadRoot, when ThreadRef is itself a reply in a thread, is that
	// thread's parent: Slack wants replies under the parent's ts.
	ThreadRoot string `json:"thread_root,omitempty"`
	// UpdateRef names a saved message to replace (KindUpdate).
	UpdateRef string `json:"update_ref,omitempty"`
	// SaveRef saves where this message landed under that name.
	SaveRef string `json:"save_ref,omitempty"`
	// ResponseURL, for KindEphemeral, is where Slack takes the answer first.
	ResponseURL string          `json:"response_url,omitempty"`
	Text        string          `json:"text"`
	Blocks      json.RawMessage `json:"blocks,omitempty"`
	View        json.RawMessage `json:"view,omitempty"`
	Task        *Task           `json:"task,omitempty"`
}

// Task is durable work that must call Slack before it can propose: an
// "@Baton" alone in a thread proposes the thread's parent message.
type Task struct {
	ProposeParent *ParentProposal `json:"propose_parent,omitempty"`
	// Resolve asks Slack again who owners given as emails and usergroups
	// are, after a user or usergroup change.
	Resolve bool `json:"resolve,omitempty"`
}

// ParentProposal asks to propose a thread's parent message.
type ParentProposal struct {
	Channel  string `json:"channel"`
	ThreadTS string `json:"thread_ts"`
	User     string `json:"user"`
	EventTS  string `json:"event_ts"`
	// Kind is how it was asked for: a mention (default) or a reaction.
	Kind decisions.SourceKind `json:"kind,omitempty"`
}

// outgoing pairs a message with its idempotency key.
type outgoing struct {
	Key string
	Msg Message
}

func newMessage(kind string, m blocks.Message) Message {
	raw, _ := json.Marshal(m.Blocks) // blocks are our own values; marshalling cannot fail
	if len(m.Blocks) == 0 {
		raw = nil
	}
	return Message{Kind: kind, Text: m.Text, Blocks: raw}
}

func encodeItems(now time.Time, out []outgoing) ([]store.OutboxItem, error) {
	items := make([]store.OutboxItem, 0, len(out))
	for _, o := range out {
		body, err := json.Marshal(o.Msg)
		if err != nil {
			return nil, fmt.Errorf("encode outbox message %s: %w", o.Key, err)
		}
		items = append(items, store.OutboxItem{Key: o.Key, Body: body, NotBefore: now, Enqueued: now})
	}
	return items, nil
}

// enqueue stores messages for delivery on their own (outside a decision's
// transaction) and wakes the outbox. what names them in the error.
func (a *App) enqueue(what string, out ...outgoing) error {
	items, err := encodeItems(a.clock.Now(), out)
	if err != nil {
		return err
	}
	if err := a.store.Enqueue(items...); err != nil {
		return fmt.Errorf("queue %s: %w", what, err)
	}
	a.outbox.Kick()
	return nil
}

// taskRunner executes a Task and returns what to deliver next.
type taskRunner func(ctx context.Context, key string, t Task) error

// Outbox delivers stored messages to Slack: at least once from the store's
// point of view, exactly once from Slack's (keys are remembered after
// delivery), with backoff on errors, Retry-After on 429, and ~1 message per
// second per channel.
type Outbox struct {
	store   *store.Store
	api     *slack.Client
	clock   Clock
	log     *slog.Logger
	metrics *metrics
	workers int
	// interval paces posts per channel; Slack allows about one a second.
	interval time.Duration
	runTask  taskRunner

	kick chan struct{}

	mu       sync.Mutex
	inflight map[string]bool
	// finished are keys Run's workers are done with; they leave inflight
	// at the top of Run's next pass (see Run).
	finished []string
	pace     map[string]time.Time // channel → earliest next post
	dms      map[string]string    // user → DM channel id
}

// Pacing and retry limits.
const (
	channelInterval = time.Second
	maxBackoff      = 10 * time.Minute
	// waitForRef is how often a reply re-checks for the message it
	// threads under; that message normally goes first, so waits are rare.
	waitForRef = 10 * time.Second
	// deliveryTimeout bounds one delivery (it may take two Slack calls).
	deliveryTimeout = 30 * time.Second
)

func newOutbox(st *store.Store, api *slack.Client, clock Clock, log *slog.Logger, m *metrics, workers int, interval time.Duration) *Outbox {
	if workers < 1 {
		workers = 4
	}
	if interval == 0 {
		interval = channelInterval
	}
	return &Outbox{
		store: st, api: api, clock: clock, log: log.With("component", "outbox"), metrics: m, workers: workers, interval: interval,
		kick: make(chan struct{}, 1), inflight: map[string]bool{}, pace: map[string]time.Time{}, dms: map[string]string{},
	}
}

// Kick wakes the delivery loop after something was enqueued.
func (o *Outbox) Kick() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// Flush delivers, one at a time, every message due at the clock's current
// time, until none is due. Tests and the shell use it; serve uses Run.
func (o *Outbox) Flush(ctx context.Context) error {
	for range 10000 {
		items, err := o.store.OutboxDue(o.clock.Now(), 100)
		if err != nil {
			return fmt.Errorf("read outbox: %w", err)
		}
		if len(items) == 0 {
			return nil
		}
		progressed := false
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				return err
			}
			o.deliver(ctx, it)
			progressed = true
		}
		if !progressed {
			return nil
		}
	}
	return nil
}

// Run delivers messages until ctx is done, with a bounded pool of workers.
// On return every worker has finished its current message.
func (o *Outbox) Run(ctx context.Context) {
	jobs := make(chan store.OutboxItem)
	var wg sync.WaitGroup
	for range o.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range jobs {
				// A message being sent is finished even during shutdown, so
				// it is not sent twice after a restart, but a stalled Slack
				// call cannot hold shutdown forever.
				dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deliveryTimeout)
				o.deliver(dctx, it)
				cancel()
				o.mu.Lock()
				o.finished = append(o.finished, it.Key)
				o.mu.Unlock()
				o.Kick()
			}
		}()
	}
	defer func() {
		close(jobs)
		wg.Wait()
		o.log.Info("outbox stopped")
	}()
	for {
		// A key leaves inflight only here, before the outbox is read again.
		// The read being handed out may predate a delivery that has since
		// finished and still list that message: clearing it as soon as the
		// worker finished would let that stale copy be sent a second time.
		o.mu.Lock()
		for _, k := range o.finished {
			delete(o.inflight, k)
		}
		o.finished = o.finished[:0]
		o.mu.Unlock()
		now := o.clock.Now()
		items, err := o.store.OutboxDue(now, 200)
		if err != nil {
			o.log.Error("read outbox", "err", err)
		}
		for _, it := range items {
			o.mu.Lock()
			busy := o.inflight[it.Key]
			if !busy {
				o.inflight[it.Key] = true
			}
			o.mu.Unlock()
			if busy {
				continue
			}
			select {
			case jobs <- it:
			case <-ctx.Done():
				return
			}
		}
		wait := 5 * time.Second
		if next, ok, err := o.store.OutboxNext(); err == nil && ok {
			if d := next.Sub(o.clock.Now()); d < wait {
				wait = max(d, 50*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-o.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// deliver sends one item and records the result in the store.
func (o *Outbox) deliver(ctx context.Context, it store.OutboxItem) {
	var m Message
	if err := json.Unmarshal(it.Body, &m); err != nil {
		o.log.Error("drop undecodable outbox message", "key", it.Key, "err", err)
		o.finish(it.Key, nil)
		return
	}
	now := o.clock.Now()
	if ch := m.paceChannel(); ch != "" && o.interval > 0 {
		o.mu.Lock()
		next := o.pace[ch]
		if now.Before(next) {
			o.mu.Unlock()
			o.retry(it, next, "paced", false)
			return
		}
		o.pace[ch] = now.Add(o.interval)
		o.mu.Unlock()
	}
	refs, wait, err := o.send(ctx, it.Key, m)
	switch {
	case wait:
		o.retry(it, now.Add(waitForRef), "waiting for the message it replies to", false)
	case err == nil:
		o.metrics.outboxSent.WithLabelValues(m.Kind).Inc()
		o.finish(it.Key, refs)
	default:
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			o.metrics.outboxRetries.WithLabelValues("rate_limited").Inc()
			o.log.Warn("rate limited by Slack", "key", it.Key, "retry_after", rl.RetryAfter)
			o.retry(it, now.Add(max(rl.RetryAfter, time.Second)), err.Error(), true)
			return
		}
		if permanent(err) {
			o.metrics.outboxFailed.WithLabelValues(m.Kind).Inc()
			o.log.Error("Slack refused message; dropping it", "key", it.Key, "kind", m.Kind, "channel", m.Channel, "user", m.User, "err", err)
			o.finish(it.Key, nil)
			return
		}
		o.metrics.outboxRetries.WithLabelValues("error").Inc()
		backoff := min(time.Second<<min(it.Attempts, 10), maxBackoff)
		level := slog.LevelWarn
		var se slack.SlackErrorResponse
		if errors.As(err, &se) && installationErrors[se.Err] {
			level = slog.LevelError // an admin must fix the token or scopes
		}
		o.log.Log(ctx, level, "Slack delivery failed; will retry", "key", it.Key, "attempt", it.Attempts+1, "in", backoff, "err", err)
		o.retry(it, now.Add(backoff), err.Error(), true)
	}
}

func (m Message) paceChannel() string {
	switch m.Kind {
	case KindPost:
		return m.Channel
	case KindDM:
		return "dm:" + m.User
	}
	return ""
}

func (o *Outbox) finish(key string, refs map[string]decisions.MessageRef) {
	if err := o.store.OutboxDone(key, o.clock.Now(), refs); err != nil {
		o.log.Error("mark outbox message delivered", "key", key, "err", err)
	}
}

// retry reschedules it for at; attempted says whether Slack was tried (and
// so counts toward the backoff) or the message only had to wait.
func (o *Outbox) retry(it store.OutboxItem, at time.Time, why string, attempted bool) {
	reschedule := o.store.OutboxPostpone
	if attempted {
		reschedule = o.store.OutboxRetry
	}
	if err := reschedule(it.Key, at, why); err != nil {
		o.log.Error("reschedule outbox message", "key", it.Key, "err", err)
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

// send performs one message. wait=true means it depends on a message still
// in the outbox.
func (o *Outbox) send(ctx context.Context, key string, m Message) (refs map[string]decisions.MessageRef, wait bool, err error) {
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false)}
	if len(m.Blocks) > 0 {
		var bs slack.Blocks
		if err := json.Unmarshal(m.Blocks, &bs); err != nil {
			return nil, false, fmt.Errorf("decode blocks: %w", err)
		}
		opts = append(opts, slack.MsgOptionBlocks(bs.BlockSet...))
	}
	save := func(channel, ts string) map[string]decisions.MessageRef {
		if m.SaveRef == "" {
			return nil
		}
		return map[string]decisions.MessageRef{m.SaveRef: {Channel: channel, TS: ts}}
	}
	switch m.Kind {
	case KindPost, KindDM:
		channel := m.Channel
		if m.Kind == KindDM {
			if channel, err = o.dmChannel(ctx, m.User); err != nil {
				return nil, false, err
			}
		}
		thread := m.ThreadTS
		if thread == "" && m.ThreadRef != "" {
			ref, ok, err := o.store.Ref(m.ThreadRef)
			if err != nil {
				return nil, false, err
			}
			if ok {
				thread = ref.TS
				if m.ThreadRoot != "" {
					thread = m.ThreadRoot
				}
				if m.Channel == "" || m.Channel == ref.Channel {
					channel = ref.Channel
				}
			} else if pending, err := o.store.OutboxPending(m.ThreadRef); err != nil {
				return nil, false, err
			} else if pending {
				return nil, true, nil
			}
		}
		if channel == "" {
			return nil, false, nil // nowhere to post (e.g. thread reply with no announcement and no channel)
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		ch, ts, err := o.api.PostMessageContext(ctx, channel, opts...)
		if err != nil {
			return nil, false, fmt.Errorf("chat.postMessage to %s: %w", channel, err)
		}
		return save(ch, ts), false, nil
	case KindEphemeral:
		return nil, false, o.sendEphemeral(ctx, m, opts)
	case KindUpdate:
		ref, ok, err := o.store.Ref(m.UpdateRef)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			pending, err := o.store.OutboxPending(m.UpdateRef)
			if err != nil {
				return nil, false, err
			}
			return nil, pending, nil // nothing to update if it was never sent
		}
		if _, _, _, err := o.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, opts...); err != nil {
			return nil, false, fmt.Errorf("chat.update %s/%s: %w", ref.Channel, ref.TS, err)
		}
		return nil, false, nil
	case KindHome:
		var view slack.HomeTabViewRequest
		if err := json.Unmarshal(m.View, &view); err != nil {
			return nil, false, fmt.Errorf("decode home view: %w", err)
		}
		if _, err := o.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: m.User, View: view}); err != nil {
			return nil, false, fmt.Errorf("views.publish for %s: %w", m.User, err)
		}
		return nil, false, nil
	case KindTask:
		if m.Task == nil || o.runTask == nil {
			return nil, false, nil
		}
		return nil, false, o.runTask(ctx, key, *m.Task)
	}
	return nil, false, fmt.Errorf("unknown message kind %q", m.Kind)
}

func (o *Outbox) dmChannel(ctx context.Context, user string) (string, error) {
	o.mu.Lock()
	ch, ok := o.dms[user]
	o.mu.Unlock()
	if ok {
		return ch, nil
	}
	c, _, _, err := o.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
	if err != nil {
		return "", fmt.Errorf("conversations.open with %s: %w", user, err)
	}
	o.mu.Lock()
	o.dms[user] = c.ID
	o.mu.Unlock()
	return c.ID, nil
}

// storeItem is the store's outbox row.
type storeItem = store.OutboxItem
