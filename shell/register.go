package shell

import (
	"context"
	"encoding/json"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/slackfake"
)

// The decision register's buttons in the console: Not mine, Keep and
// Revisit carry a decision id like the decision buttons; "Propose as
// written" sits on a reply to text that only looked like a command.

// rememberReply keeps an ephemeral reply that has buttons, so `click
// written` can press them.
func (c *Console) rememberReply(bs []slack.Block) {
	raw, err := json.Marshal(bs)
	if err != nil || len(bs) == 0 {
		return
	}
	if _, _, ok := hasAction(raw, blocks.ActionProposeWritten); !ok {
		return
	}
	c.remember(slackfake.Post{Method: "chat.postEphemeral", Channel: c.channel, User: c.user, TS: c.nextTS(), Blocks: raw})
}

// clickWritten presses the newest "Propose as written" button the current
// user can see: on a reply to their slash command, or in a thread.
func (c *Console) clickWritten(ctx context.Context) {
	for i := len(c.messages) - 1; i >= 0; i-- {
		m := c.messages[i]
		if m.Method == "chat.postEphemeral" && m.User != c.user {
			continue
		}
		value, label, ok := hasAction(m.Blocks, blocks.ActionProposeWritten)
		if !ok {
			continue
		}
		payload := map[string]any{
			"type": "block_actions", "token": "", "team": c.teamJSON(), "user": c.userJSON(),
			"api_app_id": c.appID, "trigger_id": "shell." + c.unique(), "is_enterprise_install": false,
			"container": map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": m.Method == "chat.postEphemeral"},
			"channel":   map[string]any{"id": m.Channel, "name": channelName(m.Channel)},
			"actions": []map[string]any{{
				"type": "button", "action_id": blocks.ActionProposeWritten, "block_id": blocks.BlockIDWritten, "value": value,
				"text": map[string]any{"type": "plain_text", "text": label}, "action_ts": c.nextTS(),
			}},
		}
		if _, ok := c.deliverPayload(ctx, payload); ok {
			c.printPosts(c.collect(ctx))
		}
		return
	}
	c.errorf("There is no [Propose as written] button to press: Baton offers one when text only looks like a command (`%s not mine D-2`).", c.slash)
}

// hasAction finds the first button with action in raw blocks.
func hasAction(raw json.RawMessage, action string) (value, label string, ok bool) {
	b, ok := firstButton(raw, action, func(string) bool { return true })
	return b.value, b.label, ok
}
