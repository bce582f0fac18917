// Package command turns the text of Baton's slash command into a Command
// value, and describes the command set in one declarative table that also
// generates `/decide help` and the Slack app manifest's usage hint, so the
// three never drift apart.
//
// Parsing is pure: it stores nothing, calls nothing on Slack and is given
// the time. Executing a Command is the caller's job ("parse, then execute").
// Malformed input yields an *Error whose message is meant for the person who
// typed it.
package command

import (
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
)

// Verb names what a command does. The verbs are part of the product
// contract (SPEC §2).
type Verb string

// The verbs, in help order.
const (
	VerbPropose  Verb = "propose"
	VerbApprove  Verb = "approve"
	VerbReject   Verb = "reject"
	VerbDefer    Verb = "defer"
	VerbWithdraw Verb = "withdraw"
	VerbReassign Verb = "reassign"
	VerbAdvise   Verb = "advise"
	VerbEdit     Verb = "edit"
	VerbComment  Verb = "comment"
	VerbDecline  Verb = "decline"
	VerbReview   Verb = "review"
	VerbSearch   Verb = "search"
	VerbShow     Verb = "show"
	VerbList     Verb = "list"
	VerbWho      Verb = "who"
	VerbRights   Verb = "rights"
	VerbAway     Verb = "away"
	VerbHelp     Verb = "help"
)

// List filters. FilterDomain means "decisions in Command.Domain".
const (
	FilterMine    = "mine"
	FilterOpen    = "open"
	FilterOverdue = "overdue"
	FilterAll     = "all"
	FilterDomain  = "#domain"
	// Filters by outcome: the decision register.
	FilterApproved  = "approved"
	FilterRejected  = "rejected"
	FilterDeferred  = "deferred"
	FilterWithdrawn = "withdrawn"
	// DefaultFilter is what `list` with no argument shows: every open
	// decision is the team-wide view people reach for first; `mine` is one
	// word away.
	DefaultFilter = FilterOpen
)

// DefaultSlash is the slash command used when none is configured.
const DefaultSlash = "/decide"

// Command is one parsed slash command. Text is kept as Slack sent it
// (Slack's &amp; &lt; &gt; escapes and <@U…> mentions included): escaping
// for display is the rendering layer's job.
type Command struct {
	Verb Verb
	// ID is the decision acted on, for approve, reject, defer, withdraw,
	// reassign, advise and show.
	ID decisions.ID
	// Text is, by verb: propose, the title with the due phrase removed (tags
	// and mentions kept as typed); approve, reject, defer, withdraw, the
	// rationale; reassign, an optional note after the mentions; advise, the
	// advice; who, the text to route (due phrase removed, as for propose);
	// help, the topic asked about, if any.
	Text string
	// Tags are the #tags found, lowercased, without '#', deduplicated, in
	// order: for propose and who; list and rights carry their #domain here
	// too.
	Tags []string
	// Mentions are user ids from Slack's <@U123|name> and <@U123> forms, in
	// order, deduplicated. For reassign they are the new deciders; for away,
	// the delegate; otherwise every user mentioned in the text.
	Mentions []string
	// Due is the proposal's due date (propose and who), zero when none.
	Due time.Time
	// DueUnread is a phrase in a proposal that looks like a due date but
	// could not be read ("by the 5th"): the proposal has no due date, and
	// the acknowledgement says so.
	DueUnread string
	// Until is when a deferred decision reopens (defer), or when an absence
	// ends (away). For away, zero means "I'm back": clear the absence.
	Until time.Time
	// Delegate is who decides for the user while away (a user id).
	Delegate string
	// Filter is the list filter: FilterMine, FilterOpen, FilterOverdue,
	// FilterAll or FilterDomain; DefaultFilter when none was given.
	Filter string
	// Domain is the domain named by `list #domain` or `rights #domain`,
	// lowercased, without '#'.
	Domain string
	// Review is when the outcome is looked at again: review, or approve
	// and reject with "… review in 6 months" after the rationale.
	Review time.Time
	// Since limits list to decisions proposed at or after it (zero: no
	// limit).
	Since time.Time
	// Suggest is `rights suggest`: rule changes learned from misroutes.
	Suggest bool
	// AsWritten, on a valid command that also reads as a proposal
	// ("Search ads budget for Q3"), is the text to offer to propose as
	// written alongside the command's answer.
	AsWritten string
}

// Spec describes one verb for people: how to type it, what it does, and
// examples. Usage and Examples omit the slash command itself.
type Spec struct {
	Verb     Verb
	Usage    string
	Summary  string
	Examples []string
	// Aliases are other first words accepted for the verb.
	Aliases []string
}

type entry struct {
	Spec
	takesID bool
	parse   func(*parser, string) (Command, error)
}

// table is the one declarative list of commands, in help order. Parsing,
// help and the manifest hint all read it.
var table = []entry{
	{Spec: Spec{
		Verb:    VerbPropose,
		Usage:   "propose <text>",
		Summary: "Propose a decision. `propose` is optional when the text does not start with a command word. Add `#domain` tags, @mentions and a due date (`by friday`, `by 2026-12-01`, `in 3d`).",
		Examples: []string{
			"Move the pricing page to annual-first #pricing by friday",
			"propose Approve the Q3 offsite budget in 2w",
		},
	}, parse: (*parser).parsePropose},
	{Spec: Spec{
		Verb:     VerbApprove,
		Usage:    "approve D-7 [rationale]",
		Summary:  "Approve a decision you decide, with an optional rationale.",
		Examples: []string{"approve D-7 the numbers check out"},
	}, takesID: true, parse: (*parser).parseRationale},
	{Spec: Spec{
		Verb:     VerbReject,
		Usage:    "reject D-7 [rationale]",
		Summary:  "Reject a decision you decide, with an optional rationale.",
		Examples: []string{"reject D-12 too risky before the launch"},
	}, takesID: true, parse: (*parser).parseRationale},
	{Spec: Spec{
		Verb:     VerbDefer,
		Usage:    "defer D-7 until <date> [rationale]",
		Summary:  "Put a decision off; it reopens on the date (`2026-12-01`, `friday`, `tomorrow`, `next week`, `3d`, `2w`).",
		Examples: []string{"defer D-7 until next week waiting on legal"},
	}, takesID: true, parse: (*parser).parseDefer},
	{Spec: Spec{
		Verb:     VerbWithdraw,
		Usage:    "withdraw D-7 [reason]",
		Summary:  "Withdraw a decision you proposed.",
		Examples: []string{"withdraw D-7 superseded by D-9"},
	}, takesID: true, parse: (*parser).parseRationale},
	{Spec: Spec{
		Verb:     VerbReassign,
		Usage:    "reassign D-7 @user [@user…]",
		Summary:  "Hand a decision to other deciders.",
		Examples: []string{"reassign D-7 @dana"},
	}, takesID: true, parse: (*parser).parseReassign},
	{Spec: Spec{
		Verb:     VerbAdvise,
		Usage:    "advise D-7 <advice>",
		Summary:  "Give advice on a decision before it is made.",
		Examples: []string{"advise D-7 check the EU pricing rules first"},
	}, takesID: true, parse: (*parser).parseAdvise},
	{Spec: Spec{
		Verb:     VerbEdit,
		Usage:    "edit D-7 <new text>",
		Summary:  "Rewrite the title (and `by <date>` due date) of an open decision you proposed. A changed `#tag` moves it to that domain's deciders.",
		Examples: []string{"edit D-7 Raise the team plan price by 10% #pricing by friday"},
	}, takesID: true, parse: (*parser).parseEdit},
	{Spec: Spec{
		Verb:     VerbComment,
		Usage:    "comment D-7 <text>",
		Summary:  "Comment on a decision: kept in its history, posted in its thread and sent to the deciders.",
		Examples: []string{"comment D-7 sales asked for a grace period"},
	}, takesID: true, parse: (*parser).parseComment},
	{Spec: Spec{
		Verb:     VerbDecline,
		Usage:    "decline D-7 [#domain|@user] <reason>",
		Summary:  "Not yours to decide: hand it to the domain or person named, else one level up. Baton learns from it (`rights suggest`).",
		Examples: []string{"decline D-7 #finance this is billing, not pricing"},
	}, takesID: true, parse: (*parser).parseDecline},
	{Spec: Spec{
		Verb:     VerbReview,
		Usage:    "review D-7 <date>",
		Summary:  "Set a date to look at an outcome again (`in 6 months`, `2027-06-01`): the deciders and the proposer are asked then to keep it or revisit it.",
		Examples: []string{"review D-7 in 6 months"},
	}, takesID: true, parse: (*parser).parseReview},
	{Spec: Spec{
		Verb:     VerbShow,
		Usage:    "show D-7",
		Summary:  "Show a decision: status, deciders, advice and history.",
		Examples: []string{"show D-7"},
	}, takesID: true, parse: (*parser).parseShow},
	{Spec: Spec{
		Verb:     VerbList,
		Usage:    "list [mine|open|overdue|approved|rejected|deferred|withdrawn|all|#domain] [since <date>]",
		Summary:  "List decisions (`open` when no filter is given); `since 2026-11-01` or `since 30d` keeps those proposed since then.",
		Examples: []string{"list mine", "list #pricing", "list approved since 30d"},
		Aliases:  []string{"ls"},
	}, parse: (*parser).parseList},
	{Spec: Spec{
		Verb:     VerbSearch,
		Usage:    "search <words>",
		Summary:  "Find decisions by words in their titles, details, rationales, advice and comments, best matches first.",
		Examples: []string{"search laptops"},
	}, parse: (*parser).parseSearch},
	{Spec: Spec{
		Verb:     VerbWho,
		Usage:    "who <text>",
		Summary:  "Dry run: who would decide this, and why. Nothing is stored.",
		Examples: []string{"who should we raise prices for the team plan?"},
	}, parse: (*parser).parseWho},
	{Spec: Spec{
		Verb:     VerbRights,
		Usage:    "rights [#domain|suggest]",
		Summary:  "Show the decision-rights map, or one domain of it; `rights suggest` (admins) proposes rule changes learned from declined and retagged decisions.",
		Examples: []string{"rights", "rights #product/pricing", "rights suggest"},
	}, parse: (*parser).parseRights},
	{Spec: Spec{
		Verb:     VerbAway,
		Usage:    "away until <date> [delegate @user]",
		Summary:  "Mark yourself out of office, optionally with a delegate who decides for you; `away off` (or just `back`) ends it.",
		Examples: []string{"away until next week delegate @bob", "away off"},
	}, parse: (*parser).parseAway},
	{Spec: Spec{
		Verb:     VerbHelp,
		Usage:    "help",
		Summary:  "Show this help.",
		Examples: []string{"help"},
		Aliases:  []string{"?"},
	}, parse: (*parser).parseHelp},
}

// Specs returns the command table in help order. The caller may modify the
// result.
func Specs() []Spec {
	out := make([]Spec, len(table))
	for i, e := range table {
		out[i] = e.Spec
		out[i].Examples = append([]string(nil), e.Examples...)
		out[i].Aliases = append([]string(nil), e.Aliases...)
	}
	return out
}

func lookup(word string) (*entry, bool) {
	for i := range table {
		e := &table[i]
		if strings.EqualFold(word, string(e.Verb)) {
			return e, true
		}
		for _, a := range e.Aliases {
			if strings.EqualFold(word, a) {
				return e, true
			}
		}
	}
	return nil, false
}

func specOf(v Verb) *entry {
	for i := range table {
		if table[i].Verb == v {
			return &table[i]
		}
	}
	return &table[len(table)-1] // help: unreachable for the package's own verbs
}

// Help is `/decide help`: every command with its usage and summary, then
// examples, as Slack mrkdwn. slash is the configured slash command ("" means
// DefaultSlash). '&', '<' and '>' are escaped, so "<date>" shows as typed.
func Help(slash string) string {
	if slash == "" {
		slash = DefaultSlash
	}
	var b strings.Builder
	b.WriteString("*Baton routes each decision to the people who hold the rights to it, and tracks it to the end.*\n")
	b.WriteString("Type `" + escape(slash+" <text>") + "` to propose a decision; start with one of these words to do anything else:\n\n")
	for _, e := range table {
		b.WriteString("• `" + escape(slash+" "+e.Usage) + "` — " + escape(e.Summary))
		if len(e.Aliases) > 0 {
			b.WriteString(" (also `" + escape(strings.Join(e.Aliases, "`, `")) + "`)")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n*Examples*\n")
	for _, e := range table {
		for _, ex := range e.Examples {
			b.WriteString("• `" + escape(slash+" "+ex) + "`\n")
		}
	}
	b.WriteString("\nDecision ids look like `D-7`. Commands are not case-sensitive.")
	return b.String()
}

// UsageHint is the short hint Slack shows next to the slash command while
// typing; the app manifest takes it from here. It is plain text.
func UsageHint() string {
	return "<text> #domain by <date> | " + specOf(VerbApprove).Usage + " | list | search <words> | help"
}

// escape makes s literal in Slack mrkdwn.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Error is a command that could not be parsed. Its message is meant for the
// person who typed it; nothing was done.
type Error struct {
	// Msg says what went wrong and what to type instead, as Slack mrkdwn.
	// Fragments of the user's text in it are neutralised: no mention in
	// them pings anyone.
	Msg string
	// Usage is the usage line of the verb concerned, with the slash command,
	// as plain text: "/decide approve D-7 [rationale]".
	Usage string
	// Suggestion is the verb the user probably meant (a near miss such as
	// "aprove D-7"), or "".
	Suggestion Verb
	// Suggestions are the closest verbs, best first, when the text looked
	// like a command but was not one ("frobnicate D-3", "not mine D-2").
	Suggestions []Verb
	// AsWritten is the text to propose if the person says it was a
	// proposal after all (the "Propose as written" button); "" when the
	// error is not about whether the text is a command.
	AsWritten string
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Reply is the full ephemeral reply: the message, then the usage line, as
// Slack mrkdwn.
func (e *Error) Reply() string {
	if e.Usage == "" {
		return e.Msg
	}
	return e.Msg + "\nUsage: `" + escape(e.Usage) + "`"
}
