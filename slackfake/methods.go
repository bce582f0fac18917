package slackfake

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

type handler func(s *Server, rq *request) (map[string]any, error)

// botMethods are the Web API methods that take a bot token.
var botMethods = map[string]handler{
	"auth.test":             (*Server).authTest,
	"users.info":            (*Server).usersInfo,
	"users.lookupByEmail":   (*Server).usersLookupByEmail,
	"usergroups.users.list": (*Server).usergroupsUsersList,
	"conversations.open":    (*Server).conversationsOpen,
	"conversations.replies": (*Server).conversationsReplies,
	"conversations.history": (*Server).conversationsHistory,
	"conversations.join":    (*Server).conversationsJoin,
	"chat.postMessage":      (*Server).chatPostMessage,
	"chat.postEphemeral":    (*Server).chatPostEphemeral,
	"chat.update":           (*Server).chatUpdate,
	"chat.getPermalink":     (*Server).chatGetPermalink,
	"views.open":            (*Server).viewsOpen,
	"views.push":            (*Server).viewsOpen,
	"views.update":          (*Server).viewsUpdate,
	"views.publish":         (*Server).viewsPublish,
	"reactions.add":         (*Server).reactionsAdd,
}

// handleLocked answers one call; s.mu is held.
func (s *Server) handleLocked(rq *request) (map[string]any, error) {
	switch rq.method {
	case "response_url":
		return s.responseURLPost(rq)
	case "apps.connections.open":
		if err := s.requireAppToken(rq); err != nil {
			return nil, err
		}
		return s.connectionsOpen()
	}
	h, ok := botMethods[rq.method]
	if !ok {
		return nil, slackErr("unknown_method")
	}
	if err := s.requireBotToken(rq); err != nil {
		return nil, err
	}
	return h(s, rq)
}

func (s *Server) authTest(*request) (map[string]any, error) {
	return map[string]any{
		"url": TeamURL, "team": TeamName, "user": BotName,
		"team_id": TeamID, "user_id": BotUserID, "bot_id": BotID,
	}, nil
}

func userJSON(u User) map[string]any {
	profile := map[string]any{
		"real_name": u.Name, "real_name_normalized": u.Name,
		"display_name": u.Name, "display_name_normalized": u.Name,
		"team": TeamID,
	}
	if u.Email != "" {
		profile["email"] = u.Email
	}
	if u.IsBot && u.ID == BotUserID {
		profile["bot_id"] = BotID
	}
	m := map[string]any{
		"id": u.ID, "team_id": TeamID, "name": u.Name, "real_name": u.Name,
		"deleted": u.Deleted, "is_bot": u.IsBot, "profile": profile,
	}
	if u.TZ != "" {
		m["tz"] = u.TZ
		m["tz_label"] = u.TZ
		if loc, err := time.LoadLocation(u.TZ); err == nil {
			name, offset := time.Now().In(loc).Zone()
			m["tz_label"] = name
			m["tz_offset"] = offset
		}
	}
	return m
}

func (s *Server) usersInfo(rq *request) (map[string]any, error) {
	if ids := rq.str("users"); ids != "" {
		var out []map[string]any
		for id := range strings.SplitSeq(ids, ",") {
			u, ok := s.users[strings.TrimSpace(id)]
			if !ok {
				return nil, slackErr("user_not_found")
			}
			out = append(out, userJSON(u))
		}
		return map[string]any{"users": out}, nil
	}
	u, ok := s.users[rq.str("user")]
	if !ok {
		return nil, slackErr("user_not_found")
	}
	return map[string]any{"user": userJSON(u)}, nil
}

// usersLookupByEmail finds a member by email, case-insensitively. A
// deactivated member is found too, with "deleted": true.
func (s *Server) usersLookupByEmail(rq *request) (map[string]any, error) {
	email := strings.TrimSpace(rq.str("email"))
	if email == "" {
		return nil, slackErr("users_not_found")
	}
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if u := s.users[id]; strings.EqualFold(u.Email, email) {
			return map[string]any{"user": userJSON(u)}, nil
		}
	}
	return nil, slackErr("users_not_found")
}

func (s *Server) usergroupsUsersList(rq *request) (map[string]any, error) {
	members, ok := s.usergroups[rq.str("usergroup")]
	if !ok {
		return nil, slackErr("no_such_subteam")
	}
	return map[string]any{"users": append([]string{}, members...)}, nil
}

// dmUser checks that a DM can be opened with a member.
func (s *Server) dmUser(id string) (User, error) {
	u, ok := s.users[id]
	switch {
	case !ok:
		return u, slackErr("user_not_found")
	case u.Deleted:
		return u, slackErr("user_disabled")
	case u.IsBot:
		return u, slackErr("cannot_dm_bot")
	}
	return u, nil
}

func (s *Server) conversationsOpen(rq *request) (map[string]any, error) {
	if ch := rq.str("channel"); ch != "" {
		return map[string]any{"channel": map[string]any{"id": ch}, "no_op": true, "already_open": true}, nil
	}
	var users []string
	for u := range strings.SplitSeq(rq.str("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return nil, slackErr("users_list_not_supplied")
	}
	for _, u := range users {
		if _, err := s.dmUser(u); err != nil {
			return nil, err
		}
	}
	var ch map[string]any
	if len(users) == 1 {
		ch = map[string]any{"id": "D" + users[0], "is_im": true, "user": users[0]}
	} else {
		ch = map[string]any{"id": "G" + strings.Join(users, ""), "is_mpim": true}
	}
	id := ch["id"].(string)
	already := s.dms[id]
	s.dms[id] = true
	ch["created"] = firstTS / 1_000_000
	ch["is_open"] = true
	return map[string]any{"channel": ch, "no_op": already, "already_open": already}, nil
}

// resolveChannel turns a user id into its DM channel, as Slack does for
// chat.postMessage to "U…".
func (s *Server) resolveChannel(ch string) (string, error) {
	if ch == "" {
		return "", slackErr("channel_not_found")
	}
	if strings.HasPrefix(ch, "U") || strings.HasPrefix(ch, "W") {
		if _, err := s.dmUser(ch); err != nil {
			return "", slackErr("channel_not_found")
		}
		return "D" + ch, nil
	}
	return ch, nil
}

// content reads and checks a message's text and blocks; blocks is nil when
// the call sent none (or an empty array).
func content(rq *request, allowEmpty bool) (text string, blocks json.RawMessage, err error) {
	text = rq.str("text")
	if utf8.RuneCountInString(text) > maxMessageText {
		return "", nil, slackErr("msg_too_long")
	}
	if raw, ok := rq.json("blocks"); ok {
		if problems := validateBlocks(raw, maxMessageBlocks, "/blocks"); len(problems) > 0 {
			return "", nil, slackErr("invalid_blocks", problems...)
		}
		var arr []json.RawMessage
		_ = json.Unmarshal(raw, &arr)
		if len(arr) > 0 {
			blocks = raw
		}
	}
	_, hasAttachments := rq.json("attachments")
	if !allowEmpty && text == "" && blocks == nil && !hasAttachments {
		return "", nil, slackErr("no_text")
	}
	return text, blocks, nil
}

// messageJSONMeta is messageJSON with the message's metadata when asked for
// (include_all_metadata), as Slack answers.
func messageJSONMeta(m *message, replyCount int, withMeta bool) map[string]any {
	j := messageJSON(m, replyCount)
	if withMeta && m.metadata != nil {
		j["metadata"] = m.metadata
	}
	return j
}

func messageJSON(m *message, replyCount int) map[string]any {
	j := map[string]any{"type": "message", "ts": m.ts, "text": m.text, "team": TeamID}
	if m.user != "" {
		j["user"] = m.user
	}
	if m.botID != "" {
		j["bot_id"] = m.botID
		j["app_id"] = AppID
	}
	if m.threadTS != "" {
		j["thread_ts"] = m.threadTS
	}
	if replyCount > 0 {
		j["thread_ts"] = m.ts
		j["reply_count"] = replyCount
	}
	if m.blocks != nil {
		j["blocks"] = m.blocks
	}
	return j
}

func (s *Server) chatPostMessage(rq *request) (map[string]any, error) {
	ch, err := s.resolveChannel(rq.str("channel"))
	if err != nil {
		return nil, err
	}
	text, blocks, err := content(rq, false)
	if err != nil {
		return nil, err
	}
	meta, err := metadataArg(rq)
	if err != nil {
		return nil, err
	}
	m := &message{channel: ch, ts: s.nextTSLocked(), threadTS: rq.str("thread_ts"),
		user: BotUserID, botID: BotID, text: text, blocks: blocks, metadata: meta}
	s.messages = append(s.messages, m)
	s.recordPostLocked(rq, Post{Method: rq.method, Channel: ch, TS: m.ts, ThreadTS: m.threadTS, Text: text, Blocks: blocks, Metadata: meta})
	return map[string]any{"channel": ch, "ts": m.ts, "message": messageJSON(m, 0)}, nil
}

func (s *Server) chatPostEphemeral(rq *request) (map[string]any, error) {
	ch, err := s.resolveChannel(rq.str("channel"))
	if err != nil {
		return nil, err
	}
	user := rq.str("user")
	if u, ok := s.users[user]; !ok || u.Deleted {
		return nil, slackErr("user_not_found")
	}
	text, blocks, err := content(rq, false)
	if err != nil {
		return nil, err
	}
	ts := s.nextTSLocked()
	s.recordPostLocked(rq, Post{Method: rq.method, Channel: ch, User: user, TS: ts, ThreadTS: rq.str("thread_ts"), Text: text, Blocks: blocks})
	return map[string]any{"message_ts": ts}, nil
}

// chatUpdate replaces a message the bot posted. Blocks not sent are kept,
// an empty array clears them, as on Slack.
func (s *Server) chatUpdate(rq *request) (map[string]any, error) {
	ch, err := s.resolveChannel(rq.str("channel"))
	if err != nil {
		return nil, err
	}
	ts := rq.str("ts")
	m := s.findMessage(ch, ts)
	if m == nil {
		return nil, slackErr("message_not_found")
	}
	if m.botID != BotID {
		return nil, slackErr("cant_update_message")
	}
	text, blocks, err := content(rq, true)
	if err != nil {
		return nil, err
	}
	if _, sent := rq.json("blocks"); !sent {
		blocks = m.blocks
	}
	if text == "" && blocks == nil {
		return nil, slackErr("no_text")
	}
	m.text, m.blocks = text, blocks
	s.recordPostLocked(rq, Post{Method: rq.method, Channel: ch, TS: ts, ThreadTS: m.threadTS, Text: text, Blocks: blocks})
	return map[string]any{"channel": ch, "ts": ts, "text": text, "message": messageJSON(m, 0)}, nil
}

// chatGetPermalink answers for any channel and ts: the fake does not know
// the messages people wrote unless AddMessage seeded them.
func (s *Server) chatGetPermalink(rq *request) (map[string]any, error) {
	ch, ts := rq.str("channel"), rq.str("message_ts")
	if ch == "" {
		return nil, slackErr("channel_not_found")
	}
	if ts == "" {
		return nil, slackErr("message_not_found")
	}
	link := TeamURL + "archives/" + ch + "/p" + strings.Replace(ts, ".", "", 1)
	if m := s.findMessage(ch, ts); m != nil && m.threadTS != "" && m.threadTS != m.ts {
		link += "?thread_ts=" + m.threadTS + "&cid=" + ch
	}
	return map[string]any{"channel": ch, "permalink": link}, nil
}

func (s *Server) reactionsAdd(rq *request) (map[string]any, error) {
	if rq.str("name") == "" {
		return nil, slackErr("invalid_name")
	}
	if rq.str("channel") == "" || rq.str("timestamp") == "" {
		return nil, slackErr("no_item_specified")
	}
	return nil, nil
}

// viewArg decodes the "view" parameter (an object in JSON bodies, JSON text
// in forms).
func viewArg(rq *request) (json.RawMessage, map[string]any, error) {
	raw, ok := rq.json("view")
	if !ok {
		return nil, nil, slackErr("invalid_arguments", "[ERROR] missing required field: view [json-pointer:/view]")
	}
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil || v == nil {
		return nil, nil, slackErr("invalid_arguments", "[ERROR] must be an object [json-pointer:/view]")
	}
	return raw, v, nil
}
