package shell

// `click`: finding a button in what Baton posted, pressing it, and
// submitting the modal it opens, as Slack would.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// Buttons a `click` can press, by the word typed.
var clickActions = map[string]string{
	"approve":    blocks.ActionApprove,
	"reject":     blocks.ActionReject,
	"defer":      blocks.ActionDefer,
	"advice":     blocks.ActionAdvice,
	"ask":        blocks.ActionAdvice,
	"ask_advice": blocks.ActionAdvice,
	"reassign":   blocks.ActionReassign,
	"notmine":    blocks.ActionNotMine,
	"not_mine":   blocks.ActionNotMine,
	"keep":       blocks.ActionKeep,
	"revisit":    blocks.ActionRevisit,
}

// clickInput is what the person would fill in the dialog.
type clickInput struct {
	rationale string
	date      string // YYYY-MM-DD
	users     []string
}

// click presses a decision button and, if Baton opens its dialog, fills it
// in from the rest of the line and submits it.
func (c *Console) click(ctx context.Context, arg string) {
	switch strings.ToLower(strings.Join(strings.Fields(arg), " ")) {
	case "written", "propose", "propose as written":
		c.clickWritten(ctx)
		return
	}
	fields := strings.Fields(arg)
	if len(fields) < 2 {
		c.errorf("Usage: click D-7 approve|reject|defer|advice|reassign [details], e.g. `click D-7 approve looks good` or `click D-7 defer friday`.")
		return
	}
	id, err := decisions.ParseID(fields[0])
	if err != nil {
		c.errorf("%s. Usage: click D-7 approve [rationale].", upperFirst(err.Error()))
		return
	}
	word := strings.ToLower(fields[1])
	action, ok := clickActions[word]
	if !ok {
		c.errorf("A decision has the buttons approve, reject, defer, advice, reassign and notmine (and keep and revisit when its review is due); %q is not one of them.", clip(fields[1], 30))
		return
	}
	in, err := c.clickInput(action, fields[2:])
	if err != nil {
		c.fail(err)
		return
	}

	target, found := c.findButton(id.String(), action)
	if !found {
		c.printf("(no %s button for %s in %s's DMs or App Home; clicking as if it were in %s)\n",
			word, id, c.firstName(c.user), channelName(c.channel))
	}
	trigger := "shell." + c.unique()
	payload := map[string]any{
		"type": "block_actions", "token": "", "team": c.teamJSON(), "user": c.userJSON(),
		"api_app_id": c.appID, "trigger_id": trigger, "is_enterprise_install": false,
		"actions": []map[string]any{{
			"type": "button", "action_id": action, "block_id": target.blockID, "value": id.String(),
			"text":      map[string]any{"type": "plain_text", "text": target.label},
			"action_ts": c.nextTS(),
		}},
	}
	for k, v := range target.context {
		payload[k] = v
	}
	if _, ok := c.deliverPayload(ctx, payload); !ok {
		return
	}
	posts := c.collect(ctx)
	c.printPosts(posts)

	var modal *slackfake.Post
	for i := range posts {
		if posts[i].Method == "views.open" && fmt.Sprint(posts[i].Raw["trigger_id"]) == trigger {
			modal = &posts[i]
		}
	}
	if modal == nil {
		return
	}
	c.submit(ctx, *modal, in)
}

// clickInput reads the rest of a click line: a date for defer, people for
// reassign and advice, and the rationale.
func (c *Console) clickInput(action string, args []string) (clickInput, error) {
	var in clickInput
	switch action {
	case blocks.ActionDefer:
		if len(args) == 0 {
			break // the dialog will say a date is needed
		}
		now := c.clock.Now()
		var firstErr error
		for n := min(len(args), 4); n >= 1; n-- {
			t, err := decisions.ParseDate(strings.Join(args[:n], " "), now, c.loc)
			if err == nil {
				in.date = t.In(c.loc).Format("2006-01-02")
				args = args[n:]
				break
			}
			if n == 1 {
				firstErr = err
			}
		}
		if in.date == "" {
			return in, fmt.Errorf("%w; put the date first: `click D-7 defer friday waiting for Q1 numbers` (2026-12-01, friday, 3d, next week…)", firstErr)
		}
	case blocks.ActionReassign, blocks.ActionAdvice:
		// Leading people are who to hand it to or ask; the rest is the note.
		for len(args) > 0 {
			tok := args[0]
			if strings.HasPrefix(tok, "@") || looksLikeID(tok) {
				id, err := c.lookupUser(tok)
				if err != nil {
					return in, err
				}
				in.users = append(in.users, id)
			} else if id, err := c.lookupUserQuiet(tok); err == nil {
				in.users = append(in.users, id)
			} else {
				break
			}
			args = args[1:]
		}
	}
	in.rationale = strings.Join(args, " ")
	return in, nil
}

// button is where a decision button was found, and what a click on it
// carries: the container, channel and message, or the App Home view.
type button struct {
	blockID string
	label   string
	context map[string]any
}

// findButton looks for the button in what the current user can see: their
// DMs from Baton (newest first), then their App Home. Failing that it
// presses one as if it were in the current channel, so that clicks by the
// wrong person, or on a decision already closed, can be tried.
func (c *Console) findButton(id, action string) (button, bool) {
	dm := "D" + c.user
	for i := len(c.messages) - 1; i >= 0; i-- {
		m := c.messages[i]
		if m.Channel != dm {
			continue
		}
		blockID, label, ok := hasButton(m.Blocks, action, id)
		if !ok {
			continue
		}
		return button{blockID: blockID, label: label, context: map[string]any{
			"container": map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": false},
			"channel":   map[string]any{"id": m.Channel, "name": "directmessage"},
			"message": map[string]any{
				"type": "message", "ts": m.TS, "text": m.Text, "user": slackfake.BotUserID,
				"bot_id": slackfake.BotID, "blocks": json.RawMessage(m.Blocks),
			},
		}}, true
	}
	if h, ok := c.homes[c.user]; ok {
		if blockID, label, ok := hasButton(h.Blocks, action, id); ok {
			view := map[string]any{}
			_ = json.Unmarshal(h.View, &view)
			view["id"] = h.ViewID
			return button{blockID: blockID, label: label, context: map[string]any{
				"container": map[string]any{"type": "view", "view_id": h.ViewID},
				"view":      view,
			}}, true
		}
	}
	return button{blockID: blocks.BlockIDDecision, label: action, context: map[string]any{
		"container": map[string]any{"type": "message", "message_ts": c.nextTS(), "channel_id": c.channel},
		"channel":   map[string]any{"id": c.channel, "name": strings.TrimPrefix(channelName(c.channel), "#")},
	}}, false
}

// rawBlock is the part of a Block Kit block the console reads.
type rawBlock struct {
	Type     string      `json:"type"`
	BlockID  string      `json:"block_id"`
	Label    *rawText    `json:"label"`
	Optional bool        `json:"optional"`
	Element  *rawElement `json:"element"`
	// Elements differ by block type (a context block's are text objects),
	// so they are decoded only for actions blocks.
	Elements []json.RawMessage `json:"elements"`
}

type rawText struct {
	Text string `json:"text"`
}

type rawElement struct {
	Type         string   `json:"type"`
	ActionID     string   `json:"action_id"`
	Value        string   `json:"value"`
	Text         *rawText `json:"text"`
	InitialDate  string   `json:"initial_date"`
	InitialValue string   `json:"initial_value"`
	InitialUsers []string `json:"initial_users"`
}

// hasButton finds the button with action for decision id in raw blocks.
func hasButton(raw json.RawMessage, action, id string) (blockID, label string, ok bool) {
	b, ok := firstButton(raw, action, func(value string) bool { return value == id })
	return b.blockID, b.label, ok
}

// foundButton is a button found in raw blocks.
type foundButton struct{ blockID, value, label string }

// firstButton finds the first button with action, and a value match
// accepts, in raw blocks.
func firstButton(raw json.RawMessage, action string, match func(value string) bool) (foundButton, bool) {
	var bs []rawBlock
	if len(raw) == 0 || json.Unmarshal(raw, &bs) != nil {
		return foundButton{}, false
	}
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, el := range b.Elements {
			var e rawElement
			if json.Unmarshal(el, &e) == nil && e.Type == "button" && e.ActionID == action && match(e.Value) {
				label := action
				if e.Text != nil {
					label = e.Text.Text
				}
				return foundButton{b.BlockID, e.Value, label}, true
			}
		}
	}
	return foundButton{}, false
}

// submit fills in the dialog Baton opened and submits it, printing field
// errors if Baton refuses it.
func (c *Console) submit(ctx context.Context, modal slackfake.Post, in clickInput) {
	var view map[string]any
	if err := json.Unmarshal(modal.View, &view); err != nil {
		c.errorf("The dialog Baton opened is not valid JSON: %v", err)
		return
	}
	var bs []rawBlock
	if raw, err := json.Marshal(view["blocks"]); err == nil {
		_ = json.Unmarshal(raw, &bs)
	}
	values := map[string]any{}
	var filled []string
	rationaleUsed := false
	for _, b := range bs {
		if b.Type != "input" || b.Element == nil {
			continue
		}
		e := b.Element
		label := ""
		if b.Label != nil {
			label = b.Label.Text
		}
		v := map[string]any{"type": e.Type}
		switch e.Type {
		case "plain_text_input":
			text := e.InitialValue
			if !rationaleUsed && in.rationale != "" {
				text, rationaleUsed = in.rationale, true
			}
			if text == "" {
				v["value"] = nil
			} else {
				v["value"] = text
				filled = append(filled, fmt.Sprintf("%s: %q", label, clip(text, 60)))
			}
		case "datepicker":
			d := e.InitialDate
			if in.date != "" {
				d = in.date
			}
			if d == "" {
				v["selected_date"] = nil
			} else {
				v["selected_date"] = d
				filled = append(filled, label+": "+d)
			}
		case "multi_users_select":
			us := e.InitialUsers
			if len(in.users) > 0 {
				us = in.users
			}
			if us == nil {
				us = []string{}
			}
			v["selected_users"] = us
			if len(us) > 0 {
				filled = append(filled, label+": "+c.names(us))
			}
		}
		values[b.BlockID] = map[string]any{e.ActionID: v}
	}
	view["id"] = modal.ViewID
	view["team_id"] = slackfake.TeamID
	view["app_id"] = slackfake.AppID
	view["bot_id"] = slackfake.BotID
	view["root_view_id"] = modal.ViewID
	view["state"] = map[string]any{"values": values}
	submitLabel := "Submit"
	if s, ok := view["submit"].(map[string]any); ok {
		if t, ok := s["text"].(string); ok && t != "" {
			submitLabel = t
		}
	}
	what := "nothing filled in"
	if len(filled) > 0 {
		what = strings.Join(filled, "; ")
	}
	c.printf("  ↳ %s fills in the dialog (%s) and presses [%s]\n", c.firstName(c.user), what, submitLabel)

	rec, ok := c.deliverPayload(ctx, map[string]any{
		"type": "view_submission", "token": "", "team": c.teamJSON(), "user": c.userJSON(),
		"api_app_id": c.appID, "trigger_id": "shell." + c.unique(), "view": view,
		"response_urls": []any{}, "is_enterprise_install": false,
	})
	if !ok {
		return
	}
	if body := bytes.TrimSpace(rec.Body.Bytes()); len(body) > 0 {
		var resp struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(body, &resp); err == nil && resp.ResponseAction == "errors" {
			labels := map[string]string{}
			for _, b := range bs {
				if b.Label != nil {
					labels[b.BlockID] = b.Label.Text
				}
			}
			for block, msg := range resp.Errors {
				name := labels[block]
				if name == "" {
					name = block
				}
				c.errorf("The dialog refuses it — %s: %s", name, msg)
			}
			c.printf("  (the dialog stays open and nothing changed; click again with what it asks for)\n")
		}
	}
	c.printPosts(c.collect(ctx))
}
