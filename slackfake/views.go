package slackfake

import (
	"encoding/json"
	"fmt"
)

func (s *Server) newViewLocked(body map[string]any, user string) *view {
	s.nextView++
	v := &view{id: fmt.Sprintf("V%08d", s.nextView), user: user}
	v.externalID, _ = body["external_id"].(string)
	s.views[v.id] = v
	return v
}

// setBody stores a view's new content and gives it a new hash, so an update
// carrying the old hash conflicts, as on Slack.
func (s *Server) setBodyLocked(v *view, body map[string]any) {
	v.body = body
	s.hashSeq++
	v.hash = fmt.Sprintf("%d.fakehash%06d", firstTS/1_000_000, s.hashSeq)
}

func viewJSON(v *view) map[string]any {
	j := make(map[string]any, len(v.body)+8)
	for k, val := range v.body {
		j[k] = val
	}
	j["id"] = v.id
	j["team_id"] = TeamID
	j["hash"] = v.hash
	j["app_id"] = AppID
	j["bot_id"] = BotID
	j["root_view_id"] = v.id
	j["app_installed_team_id"] = TeamID
	if _, ok := j["state"]; !ok {
		j["state"] = map[string]any{"values": map[string]any{}}
	}
	if _, ok := j["blocks"]; !ok || j["blocks"] == nil {
		j["blocks"] = []any{}
	}
	return j
}

func (s *Server) findExternalLocked(id string) *view {
	if id == "" {
		return nil
	}
	for _, v := range s.views {
		if v.externalID == id {
			return v
		}
	}
	return nil
}

func (s *Server) recordViewLocked(rq *request, v *view, raw json.RawMessage) {
	p := Post{Method: rq.method, User: v.user, View: raw, ViewID: v.id}
	if b, ok := v.body["blocks"]; ok && b != nil {
		p.Blocks, _ = json.Marshal(b)
	}
	s.recordPostLocked(rq, p)
}

// viewsOpen serves views.open and views.push: any non-empty trigger_id is
// accepted.
func (s *Server) viewsOpen(rq *request) (map[string]any, error) {
	if rq.str("trigger_id") == "" {
		return nil, slackErr("invalid_trigger_id")
	}
	raw, body, err := viewArg(rq)
	if err != nil {
		return nil, err
	}
	if problems := validateView(body, "modal"); len(problems) > 0 {
		return nil, slackErr("invalid_arguments", problems...)
	}
	if ext, _ := body["external_id"].(string); s.findExternalLocked(ext) != nil {
		return nil, slackErr("duplicate_external_id")
	}
	v := s.newViewLocked(body, "")
	s.setBodyLocked(v, body)
	s.recordViewLocked(rq, v, raw)
	return map[string]any{"view": viewJSON(v)}, nil
}

func (s *Server) viewsUpdate(rq *request) (map[string]any, error) {
	var v *view
	if id := rq.str("view_id"); id != "" {
		v = s.views[id]
	} else {
		v = s.findExternalLocked(rq.str("external_id"))
	}
	if v == nil {
		return nil, slackErr("not_found")
	}
	if h := rq.str("hash"); h != "" && h != v.hash {
		return nil, slackErr("hash_conflict")
	}
	raw, body, err := viewArg(rq)
	if err != nil {
		return nil, err
	}
	want, _ := v.body["type"].(string)
	if problems := validateView(body, want); len(problems) > 0 {
		return nil, slackErr("invalid_arguments", problems...)
	}
	s.setBodyLocked(v, body)
	s.recordViewLocked(rq, v, raw)
	return map[string]any{"view": viewJSON(v)}, nil
}

// viewsPublish sets a member's App Home; each member keeps one view id.
func (s *Server) viewsPublish(rq *request) (map[string]any, error) {
	user := rq.str("user_id")
	if u, ok := s.users[user]; !ok || u.Deleted {
		return nil, slackErr("user_not_found")
	}
	raw, body, err := viewArg(rq)
	if err != nil {
		return nil, err
	}
	if problems := validateView(body, "home"); len(problems) > 0 {
		return nil, slackErr("invalid_arguments", problems...)
	}
	var v *view
	for _, cand := range s.views {
		if cand.user == user {
			v = cand
		}
	}
	if v != nil {
		if h := rq.str("hash"); h != "" && h != v.hash {
			return nil, slackErr("hash_conflict")
		}
	} else {
		v = s.newViewLocked(body, user)
	}
	s.setBodyLocked(v, body)
	s.recordViewLocked(rq, v, raw)
	return map[string]any{"view": viewJSON(v)}, nil
}

// responseURLPost records a reply to a response URL. It needs no token, as
// on Slack. An in_channel reply becomes a message with a ts.
func (s *Server) responseURLPost(rq *request) (map[string]any, error) {
	ru := s.responseURLs[rq.responseID]
	text, blocks, err := content(rq, rq.bool("delete_original"))
	if err != nil {
		return nil, err
	}
	p := Post{Method: "response_url", Channel: ru.channel, User: ru.user, ThreadTS: rq.str("thread_ts"), Text: text, Blocks: blocks}
	if rq.str("response_type") == "in_channel" && !rq.bool("replace_original") && !rq.bool("delete_original") {
		m := &message{channel: ru.channel, ts: s.nextTSLocked(), threadTS: p.ThreadTS, user: BotUserID, botID: BotID, text: text, blocks: blocks}
		if ru.channel != "" {
			s.messages = append(s.messages, m)
		}
		p.TS = m.ts
	}
	s.recordPostLocked(rq, p)
	return nil, nil
}
