package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
)

// respond queues a private answer to user, as Bolt's respond does: through
// the response_url Slack sent with the command, shortcut or click when
// there is one, which reaches the user even where Baton is not a member.
// The outbox falls back to chat.postEphemeral, then to a DM, so the answer
// someone is waiting for is never dropped.
func (a *App) respond(responseURL, channel, user, text string) error {
	if channel == "" {
		channel = user
	}
	m := newMessage(KindEphemeral, blocks.Text(text))
	m.Channel, m.User, m.ResponseURL = channel, user, responseURL
	now := a.clock.Now()
	return a.enqueue("ephemeral", outgoing{Key: fmt.Sprintf("ephemeral/%s/%d/%d", user, now.UnixNano(), a.seq.Add(1)), Msg: m})
}

// responseClient posts to response URLs; they are Slack's (hooks.slack.com),
// not the Web API, so they get a client of their own with a deadline.
var responseClient = &http.Client{Timeout: 10 * time.Second}

// channelUnreachable are chat.postEphemeral errors that mean the channel cannot
// carry the answer (Baton is not in it, it is gone or archived): the DM can.
var channelUnreachable = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "user_not_in_channel": true,
	"is_archived": true, "channel_is_archived": true, "restricted_action": true,
}

// sendEphemeral delivers a private answer: response_url first (valid for
// 30 minutes, 5 uses), then chat.postEphemeral, then a DM when the channel
// cannot be reached. Errors other than those are returned for the outbox
// to retry as usual.
func (o *Outbox) sendEphemeral(ctx context.Context, m Message, opts []slack.MsgOption) error {
	if m.ResponseURL != "" {
		msg := &slack.WebhookMessage{ResponseType: "ephemeral", Text: m.Text}
		if len(m.Blocks) > 0 {
			var bs slack.Blocks
			if err := json.Unmarshal(m.Blocks, &bs); err != nil {
				return fmt.Errorf("decode blocks: %w", err)
			}
			msg.Blocks = &bs
		}
		err := slack.PostWebhookCustomHTTPContext(ctx, m.ResponseURL, responseClient, msg)
		if err == nil {
			return nil
		}
		// Expired, used up, or Slack's hooks unreachable: the Web API
		// may still get through.
		o.log.Warn("response_url refused the answer; trying chat.postEphemeral", "user", m.User, "channel", m.Channel, "err", err)
	}
	_, err := o.api.PostEphemeralContext(ctx, m.Channel, m.User, opts...)
	if err == nil {
		return nil
	}
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || !channelUnreachable[se.Err] {
		return fmt.Errorf("chat.postEphemeral to %s in %s: %w", m.User, m.Channel, err)
	}
	o.log.Info("cannot answer in the channel; sending the answer as a DM", "user", m.User, "channel", m.Channel, "err", se.Err)
	dm, err := o.dmChannel(ctx, m.User)
	if err != nil {
		return err
	}
	if _, _, err := o.api.PostMessageContext(ctx, dm, opts...); err != nil {
		return fmt.Errorf("chat.postMessage to %s: %w", dm, err)
	}
	return nil
}

// noTextToPropose answers a shortcut used on a message with no text (only
// a file, an image or an attachment): nothing went wrong, there is just
// nothing to propose.
func noTextToPropose(slash string) string {
	return fmt.Sprintf("That message has no text I can propose (only a file, image or attachment). Use the shortcut on a message that says what to decide, or type `%s <the decision>`.", slash)
}
