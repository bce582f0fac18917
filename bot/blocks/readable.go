package blocks

import (
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/internal/slacktext"
)

// Names maps a user id to a display name; it may return "" for unknown
// users. A nil Names shows ids.
type Names func(userID string) string

var (
	mentionRE = slacktext.UserMentionPattern()
	chanRE    = slacktext.ChannelLinkPattern()
	linkRE    = regexp.MustCompile(`<((?:https?://|mailto:)[^<>|\s]+)(?:\|([^<>]*))?>`)
	// dateRE is Slack's date token; a terminal shows its fallback.
	dateRE = regexp.MustCompile(`<!date\^-?\d+\^[^<>|]*\|([^<>]*)>`)
)

// Readable renders blocks as plain lines for a terminal (baton shell) or a
// log: mentions become "@name", entities are decoded and buttons show as
// "[Approve]". It is for people reading, not for sending to Slack.
func Readable(m Message, names Names) string {
	var lines []string
	for _, b := range m.Blocks {
		lines = append(lines, readableBlock(b)...)
	}
	if len(lines) == 0 {
		lines = []string{m.Text}
	}
	s := strings.Join(lines, "\n")
	s = mentionRE.ReplaceAllStringFunc(s, func(tok string) string {
		id := mentionRE.FindStringSubmatch(tok)[1]
		if names != nil {
			if n := names(id); n != "" {
				return "@" + n
			}
		}
		return "@" + id
	})
	s = chanRE.ReplaceAllStringFunc(s, func(tok string) string {
		m := chanRE.FindStringSubmatch(tok)
		if m[2] != "" {
			return "#" + m[2]
		}
		return "#" + m[1]
	})
	s = linkRE.ReplaceAllStringFunc(s, func(tok string) string {
		m := linkRE.FindStringSubmatch(tok)
		if m[2] != "" {
			return m[2] + " (" + m[1] + ")"
		}
		return m[1]
	})
	s = dateRE.ReplaceAllString(s, "$1")
	s = strings.ReplaceAll(s, "\u2060", "")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

func readableBlock(b slack.Block) []string {
	text := func(t *slack.TextBlockObject) string {
		if t == nil {
			return ""
		}
		return t.Text
	}
	switch v := b.(type) {
	case *slack.HeaderBlock:
		return []string{"== " + text(v.Text) + " =="}
	case *slack.SectionBlock:
		var out []string
		if v.Text != nil {
			out = append(out, text(v.Text))
		}
		for _, f := range v.Fields {
			out = append(out, strings.ReplaceAll(text(f), "\n", " "))
		}
		return out
	case *slack.ContextBlock:
		var parts []string
		for _, e := range v.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				parts = append(parts, t.Text)
			}
		}
		return []string{strings.Join(parts, " · ")}
	case *slack.ActionBlock:
		var parts []string
		if v.Elements != nil {
			for _, e := range v.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					parts = append(parts, "["+text(btn.Text)+"]")
				}
			}
		}
		return []string{strings.Join(parts, " ")}
	case *slack.DividerBlock:
		return []string{"----"}
	}
	return nil
}
