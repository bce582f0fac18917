package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
	"github.com/baton-app/baton/slackfake"
)

// deliver sends body to path on Baton's HTTP handler, signed with the
// console's secret exactly as Slack signs requests (v0, with the wall-clock
// timestamp the 5-minute replay window checks), through the same
// signed-request client the end-to-end tests use.
func (c *Console) deliver(ctx context.Context, path, contentType string, body []byte) *httptest.ResponseRecorder {
	client := slackfake.Client{Secret: c.secret, Handler: c.handler}
	rec := httptest.NewRecorder()
	r, err := client.Send(ctx, path, contentType, body, nil)
	if err != nil { // only a transport error; in process there is none
		rec.Code = http.StatusBadGateway
		rec.Body.WriteString(err.Error())
		return rec
	}
	for k, vs := range r.Header {
		rec.Header()[k] = vs
	}
	rec.Code = r.Status
	rec.Body.Write(r.Body)
	return rec
}

// refused reports a response that is not a 200, which Slack would show as
// "the app did not respond".
func (c *Console) refused(what string, rec *httptest.ResponseRecorder) bool {
	if rec.Code == http.StatusOK {
		return false
	}
	c.errorf("Baton answered the %s with HTTP %d: %s", what, rec.Code, strings.TrimSpace(rec.Body.String()))
	return true
}

// unique returns a token no earlier session of this store has used:
// event ids are remembered persistently, so a reused one would be dropped
// as a retry.
func (c *Console) unique() string {
	c.seq++
	return fmt.Sprintf("%s%04d", c.secret[:8], c.seq)
}

// nextTS is a message timestamp for something a person posts.
func (c *Console) nextTS() string {
	c.seq++
	return fmt.Sprintf("%d.%06d", c.clock.Now().Unix(), c.seq%1_000_000)
}

func (c *Console) teamJSON() map[string]any {
	return map[string]any{"id": c.teamID, "domain": "baton-shell"}
}

func (c *Console) userJSON() map[string]any {
	name := strings.ToLower(c.firstName(c.user))
	return map[string]any{"id": c.user, "username": name, "name": name, "team_id": c.teamID}
}

// slashCommand posts what Slack sends when someone types the command, and
// prints the ephemeral answer and whatever Baton posted afterwards.
func (c *Console) slashCommand(ctx context.Context, cmd, text string) {
	if !strings.EqualFold(cmd, c.slash) {
		c.errorf("This workspace's slash command is %s (slack.command in the config), not %s.", c.slash, clip(cmd, 40))
		return
	}
	form := url.Values{
		"token":        {""},
		"team_id":      {c.teamID},
		"team_domain":  {"baton-shell"},
		"channel_id":   {c.channel},
		"channel_name": {strings.TrimPrefix(channelName(c.channel), "#")},
		"user_id":      {c.user},
		"user_name":    {strings.ToLower(c.firstName(c.user))},
		"command":      {c.slash},
		"text":         {c.slackText(text, true)},
		"api_app_id":   {c.appID},
		"response_url": {c.fake.ResponseURLFor(c.channel, c.user)},
		"trigger_id":   {"shell." + c.unique()},
	}
	rec := c.deliver(ctx, "/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()))
	if c.refused("slash command", rec) {
		return
	}
	var reply struct {
		Text   string       `json:"text"`
		Blocks slack.Blocks `json:"blocks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &reply); err != nil {
		c.errorf("Baton's answer is not the JSON Slack expects: %v", err)
		return
	}
	if reply.Text != "" || len(reply.Blocks.BlockSet) > 0 {
		c.printMessage(channelName(c.channel)+" (only you)", reply.Text, reply.Blocks.BlockSet)
		c.rememberReply(reply.Blocks.BlockSet)
	}
	c.printPosts(c.collect(ctx))
}

// mention posts an app_mention event for "@baton <text>" in the current
// channel, as a new message (Baton answers in its thread).
func (c *Console) mention(ctx context.Context, text string) {
	ts := c.nextTS()
	full := "<@" + slackfake.BotUserID + ">"
	if text != "" {
		full += " " + c.slackText(text, false)
	}
	// The message exists in the channel, as it would on Slack.
	c.fake.AddMessage(c.channel, ts, c.user, full)
	c.sendEvent(ctx, map[string]any{
		"type": "app_mention", "user": c.user, "text": full, "ts": ts,
		"channel": c.channel, "event_ts": ts, "team": c.teamID,
	})
	c.printPosts(c.collect(ctx))
}

// sendEvent wraps an inner event in an event_callback and delivers it.
func (c *Console) sendEvent(ctx context.Context, inner map[string]any) {
	body, err := json.Marshal(map[string]any{
		"token": "", "team_id": c.teamID, "api_app_id": c.appID,
		"event": inner, "type": "event_callback",
		"event_id":   "Ev" + strings.ToUpper(c.unique()),
		"event_time": c.clock.Now().Unix(),
		"authorizations": []map[string]any{{
			"team_id": c.teamID, "user_id": slackfake.BotUserID, "is_bot": true,
		}},
	})
	if err != nil {
		c.errorf("encode event: %v", err)
		return
	}
	c.refused("event", c.deliver(ctx, "/slack/events", "application/json", body))
}

// deliverPayload posts an interaction payload (payload=<json>).
func (c *Console) deliverPayload(ctx context.Context, payload map[string]any) (*httptest.ResponseRecorder, bool) {
	raw, err := json.Marshal(payload)
	if err != nil {
		c.errorf("encode payload: %v", err)
		return nil, false
	}
	form := url.Values{"payload": {string(raw)}}
	rec := c.deliver(ctx, "/slack/interactions", "application/x-www-form-urlencoded", []byte(form.Encode()))
	return rec, !c.refused("interaction", rec)
}

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

func hasButton(raw json.RawMessage, action, id string) (blockID, label string, ok bool) {
	var bs []rawBlock
	if len(raw) == 0 || json.Unmarshal(raw, &bs) != nil {
		return "", "", false
	}
	for _, b := range bs {
		if b.Type != "actions" {
			continue
		}
		for _, raw := range b.Elements {
			var e rawElement
			if json.Unmarshal(raw, &e) != nil {
				continue
			}
			if e.Type == "button" && e.ActionID == action && e.Value == id {
				label = action
				if e.Text != nil {
					label = e.Text.Text
				}
				return b.BlockID, label, true
			}
		}
	}
	return "", "", false
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

// looksLikeID tells a user id (U01MAYA01, or u01maya01 typed lazily) from
// a name such as "Wendy": ids are upper case or carry a digit.
func looksLikeID(s string) bool {
	s = strings.TrimPrefix(s, "@")
	up := strings.ToUpper(s)
	return slacktext.IsUserID(up) && len(up) <= 21 && (s == up || strings.ContainsAny(s, "0123456789"))
}

// lookupUser finds a person by id (U…/W…), "@name", full name or first
// name, ignoring case.
func (c *Console) lookupUser(s string) (string, error) {
	s = strings.TrimSpace(s)
	if u, rest, ok := slacktext.LeadingMention(s); ok && rest == "" {
		s = u
	}
	s = strings.TrimPrefix(s, "@")
	s = strings.TrimRight(s, ",.;:")
	if s == "" {
		return "", fmt.Errorf("say who: a name or first name from the config, or a user id (U…)")
	}
	if looksLikeID(s) {
		up := strings.ToUpper(s)
		for _, p := range c.people {
			if p.ID == up {
				return up, nil
			}
		}
		// Someone the config does not name: they join the workspace.
		c.people = append(c.people, person{ID: up})
		c.fake.AddUser(slackfake.User{ID: up, TZ: c.cfg.TimezoneName})
		return up, nil
	}
	var matches []person
	for _, p := range c.people {
		if p.Name == "" {
			continue
		}
		if strings.EqualFold(p.Name, s) || strings.EqualFold(strings.ReplaceAll(p.Name, " ", "."), s) {
			return p.ID, nil
		}
		if strings.EqualFold(firstWord(p.Name), s) {
			matches = append(matches, p)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0].ID, nil
	case 0:
		return "", fmt.Errorf("nobody called %q is in this workspace; `people` lists everyone", clip(s, 40))
	}
	var names []string
	for _, p := range matches {
		names = append(names, p.Name+" ("+p.ID+")")
	}
	return "", fmt.Errorf("%q could be %s: use the full name or the id", clip(s, 40), strings.Join(names, " or "))
}

// atRE finds "@name" as a person types it in the console, to be sent as
// Slack's <@U…> mention.
var atRE = regexp.MustCompile(`(^|[\s(\[{,;:])@([A-Za-z0-9][A-Za-z0-9._-]*)`)

// slackText turns typed text into what Slack sends: &, < and > escaped,
// "@name" of a known person turned into a mention (<@U…|name> in slash
// commands, <@U…> in events), and @here, @channel and @everyone into
// Slack's special mentions. Unknown @words stay as typed.
func (c *Console) slackText(text string, command bool) string {
	text = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(text)
	return atRE.ReplaceAllStringFunc(text, func(tok string) string {
		m := atRE.FindStringSubmatch(tok)
		lead, name := m[1], m[2]
		trail := ""
		for len(name) > 0 && strings.ContainsRune("._-", rune(name[len(name)-1])) {
			trail = name[len(name)-1:] + trail
			name = name[:len(name)-1]
		}
		switch strings.ToLower(name) {
		case "here", "channel", "everyone":
			return lead + "<!" + strings.ToLower(name) + ">" + trail
		}
		id, err := c.lookupUserQuiet(name)
		if err != nil {
			return tok
		}
		if command {
			return lead + "<@" + id + "|" + strings.ToLower(c.firstName(id)) + ">" + trail
		}
		return lead + "<@" + id + ">" + trail
	})
}

// lookupUserQuiet is lookupUser without adding unknown ids to the workspace.
func (c *Console) lookupUserQuiet(s string) (string, error) {
	if looksLikeID(s) {
		up := strings.ToUpper(s)
		for _, p := range c.people {
			if p.ID == up {
				return up, nil
			}
		}
		return "", fmt.Errorf("unknown user %s", up)
	}
	return c.lookupUser(s)
}

func firstWord(s string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	return w
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
