package shell

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

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
