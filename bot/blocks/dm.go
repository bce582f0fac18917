package blocks

// The direct messages that ask someone to act: the decider's DM, its
// reminders, the DM of a decider added by escalation, and the advisor's.

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/decisions"
)

// DeciderDM is the direct message asking a decider to decide: the decision,
// why it came to them, advice so far and the decision buttons. why is
// Baton's own mrkdwn (it may hold mentions); the routing reason is shown
// too when it says something else.
func DeciderDM(d decisions.Decision, why string, now time.Time, loc *time.Location) Message {
	var bs []slack.Block
	bs = add(bs,
		headerFor("", d),
		body(d, inHeader("", d), detailsDM),
		detailFields(d, now, loc, d.Status != decisions.StatusOpen),
		whyContext(d, why),
		ruleContext(d),
		adviceSection(d, loc, adviceDM),
		buttons(d, BlockIDDecision),
	)
	return Fit(Message{
		Text:   fallback(d.ID.String(), " needs your decision: ", title(d, titleFallback)),
		Blocks: bs,
	})
}

func whyContext(d decisions.Decision, why string) *slack.ContextBlock {
	why, reason := strings.TrimSpace(why), strings.TrimSpace(d.Reason)
	var parts []string
	if why != "" && why == reason {
		// The routing reason is plain text, not Baton markup.
		return contextBlock("*Why you:* " + routing(reason))
	}
	if why != "" {
		parts = append(parts, "*Why you:* "+Truncate(Safe(why), reasonMax))
	}
	if reason != "" {
		parts = append(parts, "*Routing:* "+routing(reason))
	}
	return contextBlock(parts...)
}

// ruleContext shows the decision rule and the vote so far, if any.
func ruleContext(d decisions.Decision) *slack.ContextBlock {
	if l := ruleLine(d); l != "" {
		return contextBlock(l)
	}
	return nil
}

// reminderLead is a reminder's first line: ":bell: Reminder: D-7 title
// <what> (reason)", reason being Baton's own text.
func reminderLead(d decisions.Decision, what, reason string) string {
	lead := ":bell: *Reminder:* " + idTitle(d, titleInline) + " " + what
	if r := strings.TrimSpace(reason); r != "" {
		lead += " (" + Truncate(Safe(r), reasonMax) + ")"
	}
	return lead
}

// Reminder nudges a decider about an open decision, with the same buttons.
// reason is Baton's own text ("it is due tomorrow").
func Reminder(d decisions.Decision, reason string, loc *time.Location) Message {
	lead := reminderLead(d, "is waiting for your decision", reason)
	var bs []slack.Block
	bs = add(bs,
		section(lead+"."),
		body(d, titleInline, detailsShort),
		detailFields(d, time.Time{}, loc, false),
		ruleContext(d),
		adviceSection(d, loc, adviceDM),
		buttons(d, BlockIDDecision),
	)
	return Fit(Message{
		Text:   fallback("Reminder: ", d.ID.String(), " is waiting for your decision: ", title(d, titleFallback)),
		Blocks: bs,
	})
}

// Escalated asks the deciders escalation added to decide: why they were
// added, that the owners closest to the work can still decide, the
// history so far, and the buttons.
func Escalated(d decisions.Decision, from []string, reason string, loc *time.Location) Message {
	why, level := SplitEscalation(reason)
	lead := ":arrow_up: You were added as a decider on " + idTitle(d, titleInline) + ": it climbed one level"
	if level != "" {
		lead += ", to " + Truncate(Safe(level), reasonMax)
	}
	if why != "" {
		lead += " (" + Truncate(Safe(why), reasonMax) + ")"
	}
	lead += "."
	if len(from) > 0 {
		lead += "\nIts owners (" + Users(from, 10) + ") can still decide too; whoever decides first settles it."
	}
	var bs []slack.Block
	bs = add(bs,
		headerFor("Escalated: ", d),
		section(lead),
		body(d, titleInline, detailsShort),
		detailFields(d, time.Time{}, loc, false),
		adviceSection(d, loc, adviceShort),
	)
	if lines := historyLines(d, loc); len(lines) > 0 {
		head := "*History*\n"
		room := min(MaxSectionText, MaxMessageText-textSum(bs)-200) - len(head)
		bs = add(bs, section(head+clipLines(lines, room, true, func(n int) string {
			return "_…" + strconv.Itoa(n) + " earlier events_"
		})))
	}
	bs = add(bs, buttons(d, BlockIDDecision))
	return Fit(Message{
		Text:   fallback(d.ID.String(), " was escalated to you: ", title(d, titleFallback)),
		Blocks: bs,
	})
}

// SplitEscalation splits an escalation's note ("2 reminders without a
// decision; now with the owners of engineering too") into why it climbed
// and the level it reached.
func SplitEscalation(note string) (why, level string) {
	why, level, _ = strings.Cut(strings.TrimSpace(note), "; now with ")
	return why, strings.TrimSuffix(level, " too")
}

// EscalationNotice tells the proposer and the owners who added to an
// escalated decision; the owners keep their right to decide.
func EscalationNotice(d decisions.Decision, to []string, reason string) Message {
	s := ":arrow_up: " + idTitle(d, titleInline) + " climbed one level: " + Users(to, 10) + " can now decide it too, alongside " + Users(withoutAll(d.Deciders, to), 10) + "."
	if why, _ := SplitEscalation(reason); why != "" {
		s += "\n*Why:* " + Truncate(Safe(why), reasonMax)
	}
	return Fit(Message{
		Text:   fallback(d.ID.String(), " was escalated to ", Users(to, 10), ": ", title(d, titleFallback)),
		Blocks: add(nil, section(s)),
	})
}

func withoutAll(list, drop []string) []string {
	var out []string
	for _, u := range list {
		if !slices.Contains(drop, u) {
			out = append(out, u)
		}
	}
	return out
}

// AdvisorNotice asks an advisor for advice, naming the command to reply
// with. It names DefaultCommand; AdvisorNoticeFor takes the configured one.
func AdvisorNotice(d decisions.Decision) Message { return AdvisorNoticeFor(d, DefaultCommand) }

// AdvisorNoticeFor is AdvisorNotice for a slash command other than /decide.
func AdvisorNoticeFor(d decisions.Decision, slash string) Message {
	if slash = strings.TrimSpace(slash); slash == "" {
		slash = DefaultCommand
	}
	lead := ":speech_balloon: Your advice is sought on " + idTitle(d, titleInline) + "."
	who := "Proposed by " + actor(d.Proposer) + " · decided by " + Users(d.Deciders, 10) + " in " + domain(d.Domain)
	if !d.Due.IsZero() {
		who += " · due " + Date(d.Due, nil)
	}
	var bs []slack.Block
	bs = add(bs,
		section(lead+"\n"+who),
		body(d, titleInline, detailsShort),
		adviceSection(d, nil, adviceShort),
		contextBlock("Reply with `"+Escape(slash)+" advise "+d.ID.String()+" &lt;your advice&gt;`"),
	)
	return Fit(Message{
		Text:   fallback("Your advice is sought on ", d.ID.String(), ": ", title(d, titleFallback)),
		Blocks: bs,
	})
}
