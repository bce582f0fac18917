package blocks

import (
	"strings"
	"time"

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

// Action ids of the review DM and of the decider's "Not mine" button; the
// value is the decision id, as for the decision buttons.
const (
	ActionKeep    = "review_keep"
	ActionRevisit = "review_revisit"
	ActionNotMine = "not_mine"
	BlockIDReview = "review_actions"
)

// ReviewDue asks the deciders and the proposer, on d's review date,
// whether its outcome still holds: the outcome, its rationale, and Keep or
// Revisit.
func ReviewDue(d decisions.Decision, loc *time.Location) Message {
	id := d.ID.String()
	bs := add(nil,
		headerFor("Review due: ", d),
		section(":compass: It's time to look at *"+id+"* again. "+outcome(d, loc)+rationaleSuffix(d)),
		contextBlock("Proposed by "+actor(d.Proposer)+" · "+domain(d.Domain)+" · decided "+Date(d.DecidedAt, loc)),
		slack.NewActionBlock(BlockIDReview,
			slack.NewButtonBlockElement(ActionKeep, id, plainText("Keep")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(ActionRevisit, id, plainText("Revisit")),
		),
	)
	return Fit(Message{
		Text:   fallback("Review due: ", id, ": ", title(d, titleFallback), " — keep it, or revisit it?"),
		Blocks: bs,
	})
}

// ReviewDone replaces a review DM once someone has answered it.
func ReviewDone(d decisions.Decision, by, what string) Message {
	s := ":white_check_mark: " + actor(by) + " " + Escape(what) + " *" + d.ID.String() + "* " + title(d, titleInline)
	return Fit(Message{Text: fallback(actor(by), " ", what, " ", d.ID.String()), Blocks: add(nil, section(s))})
}

// Suggestions shows `rights suggest`: the YAML snippet in a code block.
func Suggestions(yaml string) Message {
	body := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "```", "'''").Replace(strings.TrimRight(yaml, "\n"))
	return Fit(Message{
		Text:   "Rule changes suggested by misroutes",
		Blocks: add(nil, header("Rule changes suggested by misroutes"), section("```\n"+Truncate(body, MaxSectionText-20)+"\n```"), contextBlock("Paste into the config's `domains`, then `baton check`. The same from the shell: `baton rights suggest`.")),
	})
}
