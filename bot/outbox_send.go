package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// MetadataEventType is the Slack message metadata event type on every
// message Baton posts; its payload's "key" is the outbox key, so a message
// can be found again in the conversation's history.
const MetadataEventType = "baton_message"

// lookBack is how far before the recorded attempt the history is read, for
// clock skew between Baton and Slack.
const lookBack = 2 * time.Minute

// maxHistoryPages bounds how much history one reconciliation reads.
const maxHistoryPages = 10

// send performs one message. wait=true means it depends on a message still
// in the outbox.
func (o *Outbox) send(ctx context.Context, q *queued) (refs map[string]decisions.MessageRef, wait bool, err error) {
	key, m := q.it.Key, q.msg
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
		if q.uncertain {
			ts, found, err := o.lookFor(ctx, key, channel, thread, q.it.Attempted)
			var se slack.SlackErrorResponse
			switch {
			case errors.As(err, &se):
				// Slack answered but will not show the history (a missing
				// *:history scope, say): waiting would hold the channel's
				// messages forever, so post, at the risk of a second copy.
				o.log.Warn("cannot check Slack for an earlier copy of this message; posting it", "key", key, "channel", channel, "err", err)
			case err != nil:
				return nil, false, err
			}
			if found {
				o.log.Info("message was already posted before; not posting again", "key", key, "channel", channel, "ts", ts)
				return save(channel, ts), false, nil
			}
			q.uncertain = false
		}
		if q.it.Attempted.IsZero() {
			// Recorded before the call: if Baton dies before recording the
			// delivery, the next start looks for the message first.
			at := o.clock.Now()
			err := o.store.OutboxAttempt(key, at)
			if errors.Is(err, store.ErrAttemptedElsewhere) {
				// Another sender (a replica that led until moments ago)
				// is at it: wait for its attempt to end, then look in
				// Slack before sending.
				o.log.Warn("message attempted by another sender; checking Slack before sending it", "key", key)
				q.uncertain = true
				q.it.Attempted = at
				o.mu.Lock()
				q.it.NotBefore = at.Add(max(o.settle, deliveryTimeout))
				o.mu.Unlock()
				return nil, true, nil
			}
			if err != nil {
				return nil, false, err
			}
			q.it.Attempted = at
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType: MetadataEventType, EventPayload: map[string]any{"key": key},
		}))
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

// lookFor reads the conversation (or the thread) since shortly before
// attempted for a message Baton posted under key, and returns its ts.
func (o *Outbox) lookFor(ctx context.Context, key, channel, thread string, attempted time.Time) (string, bool, error) {
	ts, found, err := o.readFor(ctx, key, channel, thread, attempted)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err == "not_in_channel" && strings.HasPrefix(channel, "C") {
		// Baton posts to public channels it has not joined
		// (chat:write.public), whose history it may not read: join, then
		// look. Joining is quiet, and it is what lets a repost be avoided.
		if _, _, _, jerr := o.api.JoinConversationContext(ctx, channel); jerr != nil {
			return "", false, fmt.Errorf("conversations.join %s to check for an earlier copy: %w", channel, jerr)
		}
		return o.readFor(ctx, key, channel, thread, attempted)
	}
	return ts, found, err
}

// readFor is one look through a conversation for the message with key.
func (o *Outbox) readFor(ctx context.Context, key, channel, thread string, attempted time.Time) (string, bool, error) {
	oldest := ""
	if !attempted.IsZero() {
		oldest = slackTS(attempted.Add(-lookBack))
	}
	cursor := ""
	for range maxHistoryPages {
		var msgs []slack.Message
		var more bool
		if thread != "" {
			var err error
			msgs, more, cursor, err = o.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
			})
			if err != nil {
				return "", false, fmt.Errorf("conversations.replies in %s: %w", channel, err)
			}
		} else {
			resp, err := o.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
			})
			if err != nil {
				return "", false, fmt.Errorf("conversations.history in %s: %w", channel, err)
			}
			msgs, more, cursor = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
		}
		for _, msg := range msgs {
			if msg.Metadata.EventType == MetadataEventType && msg.Metadata.EventPayload["key"] == key {
				return msg.Timestamp, true, nil
			}
		}
		if !more || cursor == "" {
			return "", false, nil
		}
		// History comes newest first: a page reaching back before the
		// attempt holds everything that could be the message. (No oldest=
		// parameter: Slack's clock, not Baton's, stamps messages.)
		if thread == "" && len(msgs) > 0 && tsBefore(msgs[len(msgs)-1].Timestamp, oldest) {
			return "", false, nil
		}
	}
	return "", false, nil
}

// tsBefore reports whether Slack timestamp a is before b ("" is never).
func tsBefore(a, b string) bool {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	return errA == nil && errB == nil && x < y
}

// slackTS formats t as a Slack timestamp ("1700000000.000100").
func slackTS(t time.Time) string {
	us := t.UnixMicro()
	return strconv.FormatInt(us/1_000_000, 10) + "." + fmt.Sprintf("%06d", us%1_000_000)
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
