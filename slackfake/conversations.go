package slackfake

// A conversation's history and thread replies, as Baton reads them to find
// an earlier copy of a message (metadata included), and joining a channel.

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) conversationsReplies(rq *request) (map[string]any, error) {
	ch, ts := rq.str("channel"), rq.str("ts")
	if ch == "" {
		return nil, slackErr("channel_not_found")
	}
	if s.outside[ch] {
		return nil, slackErr("not_in_channel")
	}
	m := s.findMessage(ch, ts)
	if m == nil {
		return nil, slackErr("thread_not_found")
	}
	root := ts
	if m.threadTS != "" {
		root = m.threadTS
	}
	var replies []*message
	for _, r := range s.messages {
		if r.channel == ch && r.threadTS == root && r.ts != root {
			replies = append(replies, r)
		}
	}
	slices.SortStableFunc(replies, func(a, b *message) int { return compareTS(a.ts, b.ts) })
	withMeta := rq.bool("include_all_metadata")
	oldest := rq.str("oldest")
	var msgs []map[string]any
	if parent := s.findMessage(ch, root); parent != nil {
		msgs = append(msgs, messageJSONMeta(parent, len(replies), withMeta))
	}
	for _, r := range replies {
		if oldest != "" && compareTS(r.ts, oldest) < 0 {
			continue
		}
		msgs = append(msgs, messageJSONMeta(r, 0, withMeta))
	}
	return map[string]any{"messages": msgs, "has_more": false}, nil
}

// metadataArg reads chat.postMessage's metadata: an object with a string
// event_type and an object event_payload, as Slack requires.
func metadataArg(rq *request) (json.RawMessage, error) {
	raw, ok := rq.json("metadata")
	if !ok {
		return nil, nil
	}
	var md struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if err := json.Unmarshal(raw, &md); err != nil || md.EventType == "" || md.EventPayload == nil {
		return nil, slackErr("invalid_metadata_format")
	}
	return raw, nil
}

// conversationsHistory answers with a channel's top-level messages (not
// thread replies), newest first, in pages of limit (default 100) after
// oldest, with a cursor for the next page.
// conversationsJoin makes the bot a member of a public channel.
func (s *Server) conversationsJoin(rq *request) (map[string]any, error) {
	ch := rq.str("channel")
	if !strings.HasPrefix(ch, "C") {
		return nil, slackErr("method_not_supported_for_channel_type")
	}
	delete(s.outside, ch)
	return map[string]any{"channel": map[string]any{"id": ch, "is_member": true}}, nil
}

func (s *Server) conversationsHistory(rq *request) (map[string]any, error) {
	ch, err := s.resolveChannel(rq.str("channel"))
	if err != nil {
		return nil, err
	}
	if s.outside[ch] {
		return nil, slackErr("not_in_channel")
	}
	oldest, latest := rq.str("oldest"), rq.str("latest")
	var top []*message
	for _, m := range s.messages {
		if m.channel != ch || (m.threadTS != "" && m.threadTS != m.ts) {
			continue
		}
		if oldest != "" && compareTS(m.ts, oldest) < 0 || latest != "" && compareTS(m.ts, latest) > 0 {
			continue
		}
		top = append(top, m)
	}
	slices.SortStableFunc(top, func(a, b *message) int { return compareTS(b.ts, a.ts) })
	limit, _ := strconv.Atoi(rq.str("limit"))
	if limit <= 0 {
		limit = 100
	}
	start, _ := strconv.Atoi(rq.str("cursor"))
	start = min(max(start, 0), len(top))
	end := min(start+limit, len(top))
	withMeta := rq.bool("include_all_metadata")
	msgs := []map[string]any{}
	for _, m := range top[start:end] {
		msgs = append(msgs, messageJSONMeta(m, 0, withMeta))
	}
	resp := map[string]any{"messages": msgs, "has_more": end < len(top)}
	if end < len(top) {
		resp["response_metadata"] = map[string]any{"next_cursor": strconv.Itoa(end)}
	}
	return resp, nil
}

// compareTS orders Slack timestamps ("1700000000.000100") numerically.
func compareTS(a, b string) int {
	split := func(ts string) (int64, int64) {
		sec, frac, _ := strings.Cut(ts, ".")
		s, _ := strconv.ParseInt(sec, 10, 64)
		f, _ := strconv.ParseInt((frac + "000000")[:6], 10, 64)
		return s, f
	}
	as, af := split(a)
	bs, bf := split(b)
	switch {
	case as != bs:
		return compareInt(as, bs)
	case af != bf:
		return compareInt(af, bf)
	}
	return strings.Compare(a, b)
}

func compareInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}
