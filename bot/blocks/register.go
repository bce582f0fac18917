package blocks

import (
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/decisions"
)

// Action and block ids of the decision register's buttons.
const (
	// ActionProposeWritten proposes text that looked like a command but
	// was not one. Its value is opaque to Slack (WrittenValue).
	ActionProposeWritten = "propose_as_written"
	BlockIDWritten       = "propose_as_written"
)

// NotACommand answers text that looked like a command but was not one
// ("frobnicate D-3", "not mine D-2"): msg names the closest commands, and
// the button proposes the text as written. value is the button's value; an
// empty or oversized value leaves the button out, and msg already says how
// to propose it by typing.
func NotACommand(msg, value string) Message {
	bs := add(nil, section(msg))
	if value != "" && len(value) <= MaxButtonValue {
		bs = add(bs, slack.NewActionBlock(BlockIDWritten,
			slack.NewButtonBlockElement(ActionProposeWritten, value, plainText("Propose as written"))))
	}
	return Fit(Message{Text: Truncate(msg, MaxTextFallback), Blocks: bs})
}

// CommentMessage is a comment on d, for its thread and its deciders.
func CommentMessage(d decisions.Decision, by, text string) Message {
	line := ":speech_balloon: " + User(by) + " commented on " + idTitle(d, titleInline) + ":\n" + clip(text, MaxSectionText-400)
	return Fit(Message{
		Text:   fallback(User(by), " commented on ", d.ID.String(), ": ", clipLine(text, 200)),
		Blocks: add(nil, section(line)),
	})
}
