package blocks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/decisions"
)

// ruleLine says how d is decided and, under a rule that counts votes,
// where the vote stands: "All owners approve · 1 of 2 approved — waiting
// on @Ravi". It is "" under the default rule.
func ruleLine(d decisions.Decision) string {
	if d.Rule == "" || d.Rule == decisions.RuleAny {
		return ""
	}
	s := "*Rule:* " + decisions.DomainRules{Rule: d.Rule}.Describe()
	if d.Rule == decisions.RuleConsent {
		s = "*Rule:* consent: approved automatically unless a decider or advisor objects"
	}
	if (d.Rule == decisions.RuleAll || d.Rule == decisions.RuleMajority) && len(d.Seats()) > 1 {
		s += " · " + VoteLine(d)
	}
	return s
}

// VoteLine is where the owners' vote stands: "1 of 2 approved — waiting
// on @Ravi".
func VoteLine(d decisions.Decision) string {
	t := decisions.Tally(d)
	s := fmt.Sprintf("%d of %d approved", t.Approve, t.Seats)
	if t.Reject > 0 {
		s += fmt.Sprintf(", %d rejected", t.Reject)
	}
	if len(t.Waiting) > 0 && d.Status == decisions.StatusOpen {
		s += " — waiting on " + Users(t.Waiting, 10)
	}
	return s
}

// levelNote says where an outcome was decided, and whether without the
// advice that was asked: " · decided after 1 escalation", " · decided
// without advice (asked of @Ben)".
func levelNote(d decisions.Decision) string {
	var parts []string
	if n := decisions.DecidedLevel(d); n > 0 {
		parts = append(parts, fmt.Sprintf("decided after %d escalation%s, above the owners", n, plural(n)))
	}
	if len(d.NoAdviceFrom) > 0 {
		parts = append(parts, "decided without advice (asked of "+Users(d.NoAdviceFrom, 10)+")")
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n_" + strings.Join(parts, " · ") + "_"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// VoteNotice tells the deciders and the proposer that a vote was cast and
// the rule is not met yet.
func VoteNotice(d decisions.Decision, e decisions.Event) Message {
	verb := "approved"
	if e.Vote == string(decisions.VerbReject) {
		verb = "rejected"
	}
	s := ":ballot_box_with_ballot: " + actor(e.Actor) + forNote(e) + " " + verb + " " + idTitle(d, titleInline) + ": " + VoteLine(d) + "."
	if n := strings.TrimSpace(e.Note); n != "" {
		s += "\n*Why:* " + clip(n, reasonMax)
	}
	return Fit(Message{
		Text:   fallback(d.ID.String(), ": ", VoteLine(d)),
		Blocks: add(nil, section(s)),
	})
}

// ObjectionNotice tells the deciders and the proposer that a consent
// proposal met an objection: it no longer approves itself.
func ObjectionNotice(d decisions.Decision, e decisions.Event) Message {
	s := ":raised_hand: " + actor(e.Actor) + " objected to " + idTitle(d, titleInline) + ": " + clip(e.Note, reasonMax) +
		"\nIt will not be approved automatically; the deciders (" + Users(d.Deciders, 10) + ") decide."
	return Fit(Message{
		Text:   fallback(d.ID.String(), ": objection from ", actor(e.Actor)),
		Blocks: add(nil, section(s)),
	})
}

// StuckNotice tells the proposer, once, that nobody above can take a
// decision: reminders stop and the digest lists it until someone acts.
func StuckNotice(d decisions.Decision, reason, slash string) Message {
	s := ":warning: " + idTitle(d, titleInline) + " is stuck: " + Truncate(Safe(reason), reasonMax) + "." +
		"\nIts deciders (" + Users(d.Deciders, 10) + ") can still decide; I'll stop reminding them and list it in the weekly digest. " +
		"You can `" + Escape(slash) + " withdraw " + d.ID.String() + "` or ask an admin to reassign it."
	return Fit(Message{
		Text:   fallback(d.ID.String(), " is stuck: ", title(d, titleFallback)),
		Blocks: add(nil, section(s)),
	})
}

// AdviceReminder nudges an advisor whose advice a decision still needs.
func AdviceReminder(d decisions.Decision, reason, slash string) Message {
	lead := reminderLead(d, "cannot be decided until someone advises on it", reason)
	var bs []slack.Block
	bs = add(bs,
		section(lead+"."),
		body(d, titleInline, detailsShort),
		contextBlock("Reply with `"+Escape(slash)+" advise "+d.ID.String()+" &lt;your advice&gt;`"),
	)
	return Fit(Message{
		Text:   fallback("Reminder: your advice is needed on ", d.ID.String(), ": ", title(d, titleFallback)),
		Blocks: bs,
	})
}

// forNote is " for @Sofia" when the actor stood in for an away decider.
func forNote(e decisions.Event) string {
	if e.For == "" {
		return ""
	}
	return " (for " + User(e.For) + ", who is away)"
}

// routeUserID is a user id as the router writes it in a reason.
var routeUserID = regexp.MustCompile(`\b[UW][A-Z0-9]{6,}\b`)

// routing renders a routing reason: the router writes plain user ids
// ("U02SOFIA3 is away until 2026-12-01; U06BEN006 acts for them"), which
// Slack should show as the people they are. Reasons are Baton's own text
// (tags in them are lowercase), so nothing a user typed becomes a mention.
func routing(reason string) string {
	r := clip(reason, reasonMax)
	if !strings.ContainsAny(r, "UW") { // most reasons name nobody: skip the regexp
		return r
	}
	return routeUserID.ReplaceAllString(r, "<@$0>")
}
