package blocks

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-app/baton/decisions"
	"github.com/slack-go/slack"
)

// Budgets, in runes, for user text inside one message. They keep a message
// readable (and well inside the limits) whatever people type; Show and the
// DM are where the full detail goes.
const (
	titleInline   = 200 // a title inside a sentence
	titleList     = 120 // a title in a list line
	titleFallback = 300 // a title in the notification text
	titleBody     = 500 // a title too long for the header, repeated in the body
	detailsDM     = 1500
	detailsShort  = 800
	reasonMax     = 500  // a routing reason or why-you line
	adviceDM      = 2000 // the advice section of a DM
	adviceShort   = 1200
	adviceEntry   = 400
	historyEntry  = 300
	listMax       = 40 // decisions listed one per line before "…and N more"
)

// title renders a decision's title for use inside mrkdwn: one line,
// escaped, at most n runes.
func title(d decisions.Decision, n int) string {
	if strings.TrimSpace(d.Title) == "" {
		return "(untitled)"
	}
	return clipLine(d.Title, n)
}

// idTitle is "*D-7* title".
func idTitle(d decisions.Decision, n int) string {
	return "*" + d.ID.String() + "* " + title(d, n)
}

func headerFor(lead string, d decisions.Decision) *slack.HeaderBlock {
	t, _ := prefix(d.Title, 2*MaxHeaderText)
	if strings.TrimSpace(t) == "" {
		t = "(untitled)"
	}
	return header(lead + d.ID.String() + ": " + t)
}

// body is the title again when what was already shown of it (the header,
// or a sentence holding titleInline runes) had to cut it, then the details.
func body(d decisions.Decision, shown int, details int) *slack.SectionBlock {
	var parts []string
	t, _ := prefix(d.Title, 2*shown+64)
	if utf8.RuneCountInString(oneLine(t)) > shown {
		parts = append(parts, "*"+clipLine(d.Title, titleBody)+"*")
	}
	if det := strings.TrimSpace(d.Details); det != "" {
		parts = append(parts, clip(det, details))
	}
	if len(parts) == 0 {
		return nil
	}
	return section(strings.Join(parts, "\n\n"))
}

// inHeader is how much of the title a header starting with lead shows.
func inHeader(lead string, d decisions.Decision) int {
	return MaxHeaderText - utf8.RuneCountInString(lead+d.ID.String()+": ")
}

func domain(name string) string {
	if name == "" {
		return "_no domain_"
	}
	return "`" + Escape(name) + "`"
}

// actor names who did something: a mention, or "Baton" for Baton itself.
func actor(id string) string {
	if id == decisions.SystemActor || id == "" {
		return "Baton"
	}
	return User(id)
}

// due renders the due date, with how far off it is when now is known.
func due(d decisions.Decision, now time.Time, loc *time.Location) string {
	if d.Due.IsZero() {
		return ""
	}
	s := Date(d.Due, loc)
	if now.IsZero() || d.Status != decisions.StatusOpen {
		return s
	}
	if d.Overdue(now) {
		return s + " (:warning: *overdue* by " + Duration(now.Sub(d.Due)) + ")"
	}
	return s + " (in " + Duration(d.Due.Sub(now)) + ")"
}

var statusEmoji = map[decisions.Status]string{
	decisions.StatusOpen:      ":hourglass_flowing_sand:",
	decisions.StatusDeferred:  ":double_vertical_bar:",
	decisions.StatusApproved:  ":white_check_mark:",
	decisions.StatusRejected:  ":x:",
	decisions.StatusWithdrawn: ":leftwards_arrow_with_hook:",
}

func status(d decisions.Decision, loc *time.Location) string {
	s := statusEmoji[d.Status] + " " + Escape(string(d.Status))
	if d.Status == decisions.StatusDeferred && !d.DeferredUntil.IsZero() {
		s += " until " + Date(d.DeferredUntil, loc)
	}
	return strings.TrimSpace(s)
}

func detailFields(d decisions.Decision, now time.Time, loc *time.Location, withStatus bool) *slack.SectionBlock {
	fs := []field{}
	if withStatus {
		fs = append(fs, field{"Status", status(d, loc)})
	}
	fs = append(fs,
		field{"Proposed by", actor(d.Proposer)},
		field{"Domain", domain(d.Domain)},
		field{"Deciders", Users(d.Deciders, 10)},
		field{"Due", due(d, now, loc)},
	)
	if len(d.Advisors) > 0 {
		fs = append(fs, field{"Advisors", Users(d.Advisors, 10)})
	}
	return fieldsSection(fs...)
}

// adviceSection lists the advice given so far, oldest first, in one section.
func adviceSection(d decisions.Decision, loc *time.Location, max int) *slack.SectionBlock {
	if len(d.Advice) == 0 {
		return nil
	}
	lines := make([]string, 0, len(d.Advice))
	for _, a := range d.Advice {
		lines = append(lines, "• "+actor(a.By)+" ("+Date(a.At, loc)+"): "+clipLine(a.Text, adviceEntry))
	}
	head := "*Advice so far* (" + strconv.Itoa(len(d.Advice)) + ")\n"
	return section(head + clipLines(lines, min(max, MaxSectionText)-utf8.RuneCountInString(head), false, func(n int) string {
		return "_…and " + strconv.Itoa(n) + " more_"
	}))
}

// historyLines renders each event on one line, oldest first.
func historyLines(d decisions.Decision, loc *time.Location) []string {
	lines := make([]string, 0, len(d.History))
	for _, e := range d.History {
		lines = append(lines, Truncate(historyStamp(e.At, loc)+" "+eventText(e), historyEntry))
	}
	return lines
}

func eventText(e decisions.Event) string {
	who := actor(e.Actor)
	users := Users(e.Users, 5)
	note := ""
	if strings.TrimSpace(e.Note) != "" {
		note = ": " + clipLine(e.Note, historyEntry)
	}
	if e.For != "" {
		who += " for " + User(e.For)
	}
	switch e.Kind {
	case decisions.EventProposed:
		return who + " proposed it, for " + users
	case decisions.EventApproved:
		return who + " approved it" + note
	case decisions.EventRejected:
		return who + " rejected it" + note
	case decisions.EventVoted:
		return who + " voted to " + Escape(e.Vote) + note
	case decisions.EventObjected:
		return who + " objected" + note
	case decisions.EventStuck:
		return who + " found nobody above to take it" + note
	case decisions.EventDeferred:
		return who + " deferred it" + note
	case decisions.EventWithdrawn:
		return who + " withdrew it" + note
	case decisions.EventReopened:
		return who + " reopened it"
	case decisions.EventReassigned:
		return who + " reassigned it to " + users + note
	case decisions.EventAdvised:
		return who + " gave advice" + note
	case decisions.EventAdviceRequested:
		if len(e.Users) == 0 {
			return who + " asked for advice" + note
		}
		return who + " asked " + users + " for advice" + note
	case decisions.EventReminded:
		return who + " reminded " + users
	case decisions.EventEscalated:
		return who + " added " + users + " by escalation" + note
	case decisions.EventDeclined:
		return who + " declined it (not theirs), handing it to " + users + note
	case decisions.EventReviewSet:
		return who + " set a review date" + note
	case decisions.EventReviewAsked:
		return who + " asked " + users + " to review it"
	case decisions.EventReviewed:
		return who + " reviewed it" + note
	}
	return who + " " + Escape(string(e.Kind)) + note
}

// buttons are the decider's actions, or nil once there is nothing to decide.
func buttons(d decisions.Decision, blockID string) *slack.ActionBlock {
	if d.Status.Closed() {
		return nil
	}
	id := d.ID.String()
	els := []slack.BlockElement{
		slack.NewButtonBlockElement(ActionApprove, id, plainText("Approve")).WithStyle(slack.StylePrimary),
		slack.NewButtonBlockElement(ActionReject, id, plainText("Reject")).WithStyle(slack.StyleDanger),
	}
	if d.Status != decisions.StatusDeferred {
		els = append(els, slack.NewButtonBlockElement(ActionDefer, id, plainText("Defer")))
	}
	els = append(els,
		slack.NewButtonBlockElement(ActionAdvice, id, plainText("Ask for advice")),
		slack.NewButtonBlockElement(ActionReassign, id, plainText("Reassign")),
		slack.NewButtonBlockElement(ActionNotMine, id, plainText("Not mine")),
	)
	return slack.NewActionBlock(blockID, els...)
}

// outcome is the one-line result: ":white_check_mark: *Approved* by @a on …".
func outcome(d decisions.Decision, loc *time.Location) string {
	by := func(verb string) string {
		s := statusEmoji[d.Status] + " *" + verb + "* by " + decidedBy(d)
		if !d.DecidedAt.IsZero() {
			s += " on " + Date(d.DecidedAt, loc)
		}
		return s
	}
	switch d.Status {
	case decisions.StatusApproved:
		return by("Approved")
	case decisions.StatusRejected:
		return by("Rejected")
	case decisions.StatusWithdrawn:
		return by("Withdrawn")
	case decisions.StatusDeferred:
		s := statusEmoji[d.Status] + " *Deferred*"
		if e, ok := lastEvent(d, decisions.EventDeferred); ok {
			s += " by " + actor(e.Actor)
		}
		if !d.DeferredUntil.IsZero() {
			s += " until " + Date(d.DeferredUntil, loc)
		}
		return s
	}
	if e, ok := lastEvent(d, decisions.EventReassigned, decisions.EventEscalated); ok {
		if e.Kind == decisions.EventEscalated {
			return ":arrow_up: *Escalated*: " + Users(e.Users, 10) + " added in " + domain(d.Domain) + "; waiting on " + Users(d.Deciders, 10)
		}
		return ":arrow_right: *Reassigned* to " + Users(e.Users, 10) + " by " + actor(e.Actor)
	}
	return statusEmoji[d.Status] + " *Open*, waiting on " + Users(d.Deciders, 10)
}

// decidedBy names who closed d, and for whom: "@Ben for @Sofia (away)".
func decidedBy(d decisions.Decision) string {
	if d.DecidedBy == decisions.SystemActor && d.Status == decisions.StatusApproved {
		return "consent"
	}
	who := actor(d.DecidedBy)
	if e, ok := lastEvent(d, decisions.EventApproved, decisions.EventRejected, decisions.EventWithdrawn); ok && e.For != "" && e.Actor == d.DecidedBy {
		who += " for " + User(e.For) + " (away)"
	}
	return who
}

func lastEvent(d decisions.Decision, kinds ...decisions.EventKind) (decisions.Event, bool) {
	for i := len(d.History) - 1; i >= 0; i-- {
		for _, k := range kinds {
			if d.History[i].Kind == k {
				return d.History[i], true
			}
		}
	}
	return decisions.Event{}, false
}

func rationale(d decisions.Decision, n int) string {
	r := strings.TrimSpace(d.Rationale)
	if r == "" {
		return ""
	}
	return clip(r, n)
}

// fallback builds the notification text; it is never empty.
func fallback(parts ...string) string {
	s := strings.Join(parts, "")
	if strings.TrimSpace(s) == "" {
		s = "Baton"
	}
	return s
}

// Announcement is the channel post for a new proposal; outcomes are
// threaded under it. Rendered again after resolution, it shows the outcome.
func Announcement(d decisions.Decision, loc *time.Location) Message {
	lead := ":ballot_box_with_ballot: *" + d.ID.String() + "* proposed by " + actor(d.Proposer) + ": *" + title(d, titleInline) + "*"
	if det := strings.TrimSpace(d.Details); det != "" {
		lead += "\n" + clip(det, detailsShort)
	}
	meta := []string{"Decided by " + Users(d.Deciders, 10) + " in " + domain(d.Domain)}
	if !d.Due.IsZero() {
		meta = append(meta, "due "+Date(d.Due, loc))
	}
	if r := strings.TrimSpace(d.Reason); r != "" {
		meta = append(meta, routing(r))
	}
	var out *slack.SectionBlock
	if d.Status != decisions.StatusOpen {
		out = section(outcome(d, loc) + rationaleSuffix(d))
	}
	var bs []slack.Block
	bs = add(bs, section(lead), contextBlock(strings.Join(meta, " · ")), out)
	return Fit(Message{
		Text:   fallback(d.ID.String(), " proposed by ", actor(d.Proposer), ": ", title(d, titleFallback), " — decided by ", Users(d.Deciders, 10)),
		Blocks: bs,
	})
}

func rationaleSuffix(d decisions.Decision) string {
	if r := rationale(d, detailsDM); r != "" {
		return "\n*Rationale:* " + r
	}
	return ""
}

// pastVerb is how an outcome reads in a sentence: "D-7 approved by …".
func pastVerb(s decisions.Status) string {
	switch s {
	case decisions.StatusOpen:
		return "reopened"
	}
	return string(s)
}

// Outcome is posted in the announcement's thread and the informed channels:
// "D-7 approved by @a: title", then the rationale.
func Outcome(d decisions.Decision) Message {
	who := decidedBy(d)
	if d.Status == decisions.StatusDeferred {
		if e, ok := lastEvent(d, decisions.EventDeferred); ok {
			who = actor(e.Actor)
		}
	}
	s := statusEmoji[d.Status] + " *" + d.ID.String() + "* " + pastVerb(d.Status) + " by " + who
	if d.Status == decisions.StatusDeferred && !d.DeferredUntil.IsZero() {
		s += " until " + Date(d.DeferredUntil, nil)
	}
	s += ": *" + title(d, titleInline) + "*" + rationaleSuffix(d) + levelNote(d)
	if (d.Rule == decisions.RuleAll || d.Rule == decisions.RuleMajority) && len(d.Votes) > 0 {
		s += "\n_" + VoteLine(d) + "_"
	}
	text := d.ID.String() + " " + pastVerb(d.Status) + " by " + who + ": " + title(d, titleFallback)
	if r := rationale(d, 500); r != "" {
		text += " — " + oneLine(r)
	}
	return Fit(Message{Text: fallback(text), Blocks: add(nil, section(strings.TrimSpace(s)))})
}

// Resolved replaces a decider's DM (chat.update) once they have nothing left
// to do: the decision with its outcome and no buttons. It also covers a
// decision taken out of their hands (reassigned or escalated).
func Resolved(d decisions.Decision, loc *time.Location) Message {
	var bs []slack.Block
	bs = add(bs,
		headerFor("", d),
		body(d, inHeader("", d), detailsShort),
		section(outcome(d, loc)+rationaleSuffix(d)),
		contextBlock("Proposed by "+actor(d.Proposer)+" · "+domain(d.Domain)),
	)
	return Fit(Message{
		Text:   fallback(d.ID.String(), ": ", title(d, titleFallback), " — ", Escape(string(d.Status))),
		Blocks: bs,
	})
}

// Ack is the proposer's ephemeral receipt: the id, who decides and why, and
// when it is due.
func Ack(d decisions.Decision, loc *time.Location) Message {
	lines := []string{
		":white_check_mark: Proposed " + idTitle(d, titleInline),
		"*Decided by* " + Users(d.Deciders, 10) + " in " + domain(d.Domain),
	}
	if r := strings.TrimSpace(d.Reason); r != "" {
		lines = append(lines, "*Why:* "+routing(r))
	}
	if len(d.Advisors) > 0 {
		lines = append(lines, "*Advice from* "+Users(d.Advisors, 10))
	}
	if !d.Due.IsZero() {
		lines = append(lines, "*Due* "+Date(d.Due, loc))
	}
	return Fit(Message{
		Text:   fallback("Proposed ", d.ID.String(), ": ", title(d, titleFallback), " — decided by ", Users(d.Deciders, 10)),
		Blocks: add(nil, section(strings.Join(lines, "\n"))),
	})
}

// Show is everything about one decision: status, people, dates, rationale,
// advice and history (newest last; the earliest events are summarised when
// they do not fit).
func Show(d decisions.Decision, loc *time.Location) Message {
	fs := []field{
		{"Status", status(d, loc)},
		{"Domain", domain(d.Domain)},
		{"Proposed by", actor(d.Proposer)},
		{"Deciders", Users(d.Deciders, 10)},
		{"Advisors", ""},
		{"Due", Date(d.Due, loc)},
		{"Proposed", Date(d.CreatedAt, loc)},
	}
	if len(d.Advisors) > 0 {
		fs[4].value = Users(d.Advisors, 10)
	}
	if d.Status.Closed() {
		fs = append(fs, field{"Decided", decidedBy(d) + ", " + Date(d.DecidedAt, loc)})
	}
	if l := ruleLine(d); l != "" {
		fs = append(fs, field{"Rule", strings.TrimPrefix(l, "*Rule:* ")})
	}
	if !d.ReviewOn.IsZero() {
		fs = append(fs, field{"Review on", Date(d.ReviewOn, loc)})
	}
	if d.Revisits != 0 {
		fs = append(fs, field{"Revisits", d.Revisits.String()})
	}
	var rat *slack.SectionBlock
	if r := rationale(d, adviceShort); r != "" {
		rat = section("*Rationale*\n" + r)
	}
	var bs []slack.Block
	bs = add(bs,
		headerFor("", d),
		body(d, inHeader("", d), adviceShort),
		fieldsSection(fs...),
		rat,
		adviceSection(d, loc, adviceShort),
	)
	if lines := historyLines(d, loc); len(lines) > 0 {
		bs = add(bs, contextBlock("*History* · "+strconv.Itoa(len(lines))+" events"))
		room := MaxMessageText - textSum(bs) - 100
		bs = add(bs, pack(lines, 4, room, true, func(n int) string { return "…" + strconv.Itoa(n) + " earlier events not shown" })...)
	}
	return Fit(Message{
		Text:   fallback(d.ID.String(), ": ", title(d, titleFallback), " (", Escape(string(d.Status)), ")"),
		Blocks: bs,
	})
}

// textSum is the text the blocks carry so far, for budgeting what follows.
func textSum(bs []slack.Block) int {
	n := 0
	for _, b := range bs {
		n += textLen(b)
	}
	return n
}
