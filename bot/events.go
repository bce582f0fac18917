package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
	"github.com/baton-app/baton/store"
)

// HandleEvent handles one Events API callback. It is idempotent by
// event_id, persistently, so Slack's retries change nothing. Anything that
// needs the Web API is queued in the outbox before it returns.
func (a *App) HandleEvent(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	if ev.Type != slackevents.CallbackEvent {
		return nil
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return fmt.Errorf("callback event has unexpected data %T", ev.Data)
	}
	if !a.ours(ev.TeamID, ev.APIAppID) {
		a.log.Warn("ignoring event for another workspace or app", "team", ev.TeamID, "app", ev.APIAppID)
		return nil
	}
	if cb.EventID != "" {
		seen, err := a.store.EventSeen(cb.EventID)
		if err != nil {
			return fmt.Errorf("check event %s: %w", cb.EventID, err)
		}
		if seen {
			a.log.Info("duplicate event ignored", "event_id", cb.EventID)
			return nil
		}
	}
	// A proposal marks its event in its own transaction; everything else an
	// event queues is keyed by the event id, so marking it once handled
	// (below) only saves work on Slack's retries.
	err := a.onEvent(ctx, cb.EventID, ev.InnerEvent.Data)
	if errors.Is(err, store.ErrDuplicateEvent) {
		a.log.Info("duplicate event ignored", "event_id", cb.EventID)
		return nil
	}
	if err != nil {
		return err // not marked: Slack's retry gets another go
	}
	if cb.EventID != "" {
		if _, err := a.store.MarkEvent(cb.EventID, a.clock.Now()); err != nil {
			a.log.Warn("record handled event", "event_id", cb.EventID, "err", err)
		}
	}
	return nil
}

func (a *App) onEvent(ctx context.Context, eventID string, data any) error {
	switch e := data.(type) {
	case *slackevents.AppMentionEvent:
		return a.onMention(ctx, eventID, e)
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab != "" && e.Tab != "home" {
			return nil
		}
		return a.publishHome(e.User, "home/"+eventID)
	case *slackevents.ReactionAddedEvent:
		return a.onReaction(eventID, e)
	case *slackevents.UserChangeEvent:
		// A new zone or name applies at once, not after the cache's day.
		a.dir.users.note(&slack.User{
			ID: e.User.ID, Name: e.User.Name, RealName: e.User.RealName, TZ: e.User.TZ, Deleted: e.User.Deleted,
			Profile: slack.UserProfile{DisplayName: e.User.Profile.DisplayName},
		}, a.clock.Now())
		if !a.userChangeMatters(e.User.ID, e.User.Deleted) {
			return nil
		}
		return a.resolveSoon()
	case *slackevents.SubteamMembersChangedEvent:
		return a.resolveSoon()
	}
	return nil
}

// ResolveOnUnparsed handles a callback slack-go could not parse when it is
// a user or usergroup change: Slack's own payloads send counts as strings
// ("added_users_count": "3") where slack-go wants numbers, and all Baton
// needs is the fact of the change. It reports whether it took the event.
func (a *App) ResolveOnUnparsed(callback []byte) (bool, error) {
	var cb struct {
		TeamID   string `json:"team_id"`
		APIAppID string `json:"api_app_id"`
		Event    struct {
			Type string `json:"type"`
			User struct {
				ID      string `json:"id"`
				Deleted bool   `json:"deleted"`
			} `json:"user"`
		} `json:"event"`
	}
	if json.Unmarshal(callback, &cb) != nil {
		return false, nil
	}
	switch slackevents.EventsAPIType(cb.Event.Type) {
	case slackevents.UserChange, slackevents.SubteamMembersChanged:
	default:
		return false, nil
	}
	if !a.ours(cb.TeamID, cb.APIAppID) {
		return true, nil
	}
	if cb.Event.Type == string(slackevents.UserChange) && !a.userChangeMatters(cb.Event.User.ID, cb.Event.User.Deleted) {
		return true, nil
	}
	return true, a.resolveSoon()
}

// userChangeMatters reports whether a user_change can change the decision
// rights: the user is someone the config names (as an owner, advisor,
// escalation target or admin, resolved), or was deactivated or
// reactivated. Slack sends user_change for every profile edit in the
// workspace; the rest cost nothing. A changed email is not in the event:
// the hourly re-resolution picks it up.
func (a *App) userChangeMatters(id string, deleted bool) bool {
	a.mu.RLock()
	named := a.named[id]
	a.mu.RUnlock()
	return named || deleted != a.dir.isDeactivated(id)
}

// resolveCoalesce is the window whose user and usergroup changes are
// answered by one re-resolution: a busy workspace sends user_change for
// every profile edit, and each Resolve asks Slack about every owner.
// Five minutes: a deactivation is rarely urgent to the minute, and the
// hourly pass is the backstop anyway.
const resolveCoalesce = 5 * time.Minute

// resolveSoon queues a durable task to re-resolve owners at the end of the
// current window; every change event in the window lands on the same key,
// so they cost one round of Slack calls, and none is missed (the task runs
// after the last of them).
func (a *App) resolveSoon() error {
	now := a.clock.Now()
	at := now.Truncate(resolveCoalesce).Add(resolveCoalesce)
	body, err := json.Marshal(Message{Kind: KindTask, Task: &Task{Resolve: true}})
	if err != nil {
		return fmt.Errorf("encode re-resolution: %w", err)
	}
	key := "resolve/" + at.UTC().Format(time.RFC3339)
	if err := a.store.Enqueue(store.OutboxItem{Key: key, Body: body, NotBefore: at, Enqueued: now}); err != nil {
		return fmt.Errorf("queue re-resolution: %w", err)
	}
	a.outbox.Kick()
	return nil
}

// ProposeReaction is the emoji that proposes the message it is added to:
// :baton: (a custom emoji a workspace adds) or :ballot_box_with_check:.
var proposeReactions = map[string]bool{"baton": true, "ballot_box_with_check": true}

// onReaction proposes the message someone reacted to with a proposing
// emoji. Reading that message needs the Web API, so it is a durable task,
// keyed by channel and message so a second reaction proposes nothing new.
func (a *App) onReaction(eventID string, e *slackevents.ReactionAddedEvent) error {
	if !proposeReactions[e.Reaction] || e.Item.Type != "message" || e.User == "" || e.Item.Channel == "" || e.Item.Timestamp == "" {
		return nil
	}
	task := Message{Kind: KindTask, Task: &Task{ProposeParent: &ParentProposal{
		Channel: e.Item.Channel, ThreadTS: e.Item.Timestamp, User: e.User, EventTS: e.EventTimestamp, Kind: decisions.SourceReaction,
	}}}
	return a.enqueue("reaction proposal", outgoing{Key: "reaction/" + e.Item.Channel + "/" + e.Item.Timestamp, Msg: task})
}

func (a *App) onMention(ctx context.Context, eventID string, e *slackevents.AppMentionEvent) error {
	a.mu.RLock()
	self := a.botUserID
	a.mu.RUnlock()
	if e.BotID != "" || e.User == "" || e.User == self {
		return nil // never react to bots, including ourselves
	}
	// Drop the leading mention of Baton; other mentions stay in the text.
	_, text, _ := slacktext.LeadingMention(e.Text)
	src := decisions.Source{Kind: decisions.SourceMention, Channel: e.Channel, ThreadTS: e.ThreadTimeStamp, MessageTS: e.TimeStamp}
	thread := e.ThreadTimeStamp
	if thread == "" {
		thread = e.TimeStamp
	}
	now := a.clock.Now()
	if text == "" {
		if e.ThreadTimeStamp == "" || e.ThreadTimeStamp == e.TimeStamp {
			return a.say(e.Channel, thread, "mention/"+eventID+"/usage", blocks.Text(fmt.Sprintf(
				"Mention me with a proposal, e.g. `@Baton switch the team plan to annual billing #pricing`, or mention me alone in a thread to propose its first message. `%s help` has more.", a.slash())))
		}
		// Proposing the thread's parent needs conversations.replies, so it
		// is queued as a durable task rather than done before the ack.
		task := Message{Kind: KindTask, Task: &Task{ProposeParent: &ParentProposal{
			Channel: e.Channel, ThreadTS: e.ThreadTimeStamp, User: e.User, EventTS: e.TimeStamp,
		}}}
		return a.enqueue("thread proposal", outgoing{Key: "mention/" + eventID + "/parent", Msg: task})
	}
	// text is as Slack sent it, with &, < and > already escaped, and the
	// parser's messages neutralise what they quote: escaping either again
	// would show "R&amp;D". blocks.Text still defuses any live markup.
	c, err := a.parseFor(ctx, e.User, text, now)
	if err == nil && c.Verb != command.VerbPropose {
		// "@Baton approve D-7" etc. is not a proposal: point to the command.
		return a.say(e.Channel, thread, "mention/"+eventID+"/verb", blocks.Text(fmt.Sprintf(
			"To %s a decision, use `%s %s`. Mentioning me proposes a new decision.", c.Verb, a.slash(), strings.ReplaceAll(text, "`", "'"))))
	}
	var pe *command.Error
	if errors.As(err, &pe) && pe.AsWritten != "" {
		w := written{User: e.User, Text: pe.AsWritten, Kind: decisions.SourceMention, Channel: e.Channel, Thread: e.ThreadTimeStamp, TS: e.TimeStamp}
		return a.say(e.Channel, thread, "mention/"+eventID+"/error", a.notACommand(pe, w))
	}
	if err != nil {
		return a.say(e.Channel, thread, "mention/"+eventID+"/error", blocks.Text(err.Error()))
	}
	d, err := a.propose(ctx, proposal{Text: c.Text, Tags: c.Tags, Due: c.Due, Proposer: e.User, Source: src, Once: eventID})
	if errors.Is(err, store.ErrDuplicateEvent) {
		return err
	}
	if err != nil {
		r := a.proposeError(err)
		return a.say(e.Channel, thread, "mention/"+eventID+"/error", blocks.Message{Text: r.Text, Blocks: r.Blocks})
	}
	if c.DueUnread != "" {
		return a.say(e.Channel, thread, "mention/"+eventID+"/due", blocks.Text(a.dueNote(d, c.DueUnread)))
	}
	return nil
}

// say queues a threaded reply.
func (a *App) say(channel, thread, key string, msg blocks.Message) error {
	m := newMessage(KindPost, msg)
	m.Channel, m.ThreadTS = channel, thread
	return a.enqueue("reply", outgoing{Key: key, Msg: m})
}

// runTask performs durable tasks for the outbox.
func (a *App) runTask(ctx context.Context, key string, t Task) error {
	if t.Resolve {
		if err := a.Resolve(ctx); err != nil {
			return fmt.Errorf("re-resolve owners: %w", err)
		}
		a.log.Info("re-resolved owners after a user or usergroup change in Slack")
		return nil
	}
	p := t.ProposeParent
	if p == nil {
		return nil
	}
	msgs, _, _, err := a.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: p.Channel, Timestamp: p.ThreadTS, Limit: 1, Inclusive: true,
	})
	if err != nil && !permanent(err) && !conversationRefused(err) {
		return fmt.Errorf("conversations.replies %s/%s: %w", p.Channel, p.ThreadTS, err)
	}
	if err != nil || len(msgs) == 0 || strings.TrimSpace(msgs[0].Text) == "" {
		// Retrying cannot help (a deleted message, a conversation Baton may
		// not read): say so rather than drop the mention without a word.
		if err != nil {
			a.log.Warn("cannot read the thread's first message", "channel", p.Channel, "thread", p.ThreadTS, "err", err)
		}
		return a.say(p.Channel, p.ThreadTS, key+"/empty", blocks.Text(fmt.Sprintf(
			"I couldn't read the first message of this thread, so nothing was proposed. Mention me with the proposal instead, e.g. `@Baton <what to decide>`, or use `%s <what to decide>`.", a.slash())))
	}
	text := msgs[0].Text
	// The proposer's dates are read in the proposer's zone, as typed ones are.
	c, perr := a.parseFor(ctx, p.User, "propose "+text, a.clock.Now())
	kind := p.Kind
	if kind == "" {
		kind = decisions.SourceMention
	}
	prop := proposal{Text: text, Proposer: p.User, Source: decisions.Source{
		Kind: kind, Channel: p.Channel, ThreadTS: p.ThreadTS, MessageTS: p.EventTS,
	}}
	if perr == nil && c.Verb == command.VerbPropose {
		prop.Text, prop.Tags, prop.Due = c.Text, c.Tags, c.Due
	}
	// The task's key makes the proposal happen once even if Baton stops
	// between creating it and marking the task delivered.
	prop.Once = "task/" + key
	if _, err := a.propose(ctx, prop); errors.Is(err, store.ErrDuplicateEvent) {
		return nil
	} else if err != nil {
		r := a.proposeError(err)
		return a.say(p.Channel, p.ThreadTS, key+"/error", blocks.Message{Text: r.Text, Blocks: r.Blocks})
	}
	return nil
}

// conversationRefused reports an error about reading this one
// conversation (a group DM Baton has no scope for, a channel it is not in):
// unlike the same error for the whole app, waiting will not fix it, so
// the person is told instead of the task retrying forever.
func conversationRefused(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "missing_scope", "no_permission", "not_in_channel", "channel_not_found", "access_denied":
		return true
	}
	return false
}

// publishHome queues a refresh of user's App Home tab.
func (a *App) publishHome(user, key string) error {
	now := a.clock.Now()
	h, err := a.homeFor(user, now)
	if err != nil {
		return err
	}
	view := blocks.HomeFor(h, now, a.loc)
	raw, err := jsonMarshal(view)
	if err != nil {
		return err
	}
	return a.enqueue("home view", outgoing{Key: key, Msg: Message{Kind: KindHome, User: user, View: raw}})
}
