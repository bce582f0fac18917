package blocks

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-app/baton/decisions"
	"github.com/slack-go/slack"
)

// Digest budgets: lines per list and characters per section, so that one
// busy domain cannot crowd out the rest.
const (
	digestLines   = 10
	digestSection = 1500
)

// Digest is the weekly digest posted to a channel: the week's figures, what
// needs attention (unreachable domains, overdue and stuck decisions,
// bottlenecks), each domain's outcomes with their rationale, and what is
// still open. What does not fit is counted and the reader is pointed to
// "<slash> list all".
func Digest(dg decisions.Digest, slash string, loc *time.Location) Message {
	if slash = strings.TrimSpace(slash); slash == "" {
		slash = DefaultCommand
	}
	title := "Decisions — week " + dg.Week
	// The digest is computed at the end of its week.
	now := dg.To

	head := []slack.Block{header(title)}
	if !dg.From.IsZero() && !dg.To.IsZero() {
		head = add(head, contextBlock(day(dg.From, loc)+" – "+day(dg.To.Add(-time.Nanosecond), loc)))
	}
	if dg.Quiet() {
		head = add(head, section("A quiet week: nothing was decided and nothing is open."))
		return Fit(Message{Text: title + ": a quiet week", Blocks: head})
	}
	head = add(head, section("*This week:* "+stats(dg.Totals)))
	if len(dg.Unreachable) > 0 {
		names := make([]string, len(dg.Unreachable))
		for i, n := range dg.Unreachable {
			names[i] = domain(n)
		}
		head = add(head, section(Truncate(":rotating_light: *Nobody can decide for* "+strings.Join(names, ", ")+
			": every owner is deactivated or away without a delegate. Update the owners or set a delegate.", digestSection)))
	}

	var tail []slack.Block
	if len(dg.Bottlenecks) > 0 {
		parts := make([]string, 0, len(dg.Bottlenecks))
		for _, b := range dg.Bottlenecks {
			parts = append(parts, User(b.User)+" ("+strconv.Itoa(b.Waiting)+")")
		}
		tail = add(tail, section(Truncate("*Most decisions waiting on:* "+strings.Join(parts, ", "), digestSection)))
	}

	// Optional parts, most urgent first; they go in while there is room.
	type part struct {
		block  slack.Block
		domain bool
	}
	var parts []part
	// total is how many there are, which may exceed len(ds): the caller
	// may pass only the first ones of a long list.
	listSection := func(label string, ds []decisions.Decision, total int, extra ...func(decisions.Decision) string) {
		total = max(total, len(ds))
		if total == 0 {
			return
		}
		lines := make([]string, 0, digestLines)
		for i, d := range ds {
			if i == digestLines {
				break
			}
			line := listLine(d, now, loc)
			for _, e := range extra {
				line += e(d)
			}
			lines = append(lines, line)
		}
		rest := total - len(lines)
		more := func(n int) string { return "_…and " + strconv.Itoa(n+rest) + " more_" }
		h := "*" + label + "* (" + strconv.Itoa(total) + ")\n"
		body := strings.Join(lines, "\n")
		if rest > 0 {
			body += "\n" + more(0)
		}
		if utf8.RuneCountInString(h+body) > digestSection {
			body = clipLines(lines, digestSection-utf8.RuneCountInString(h), false, more)
		}
		parts = append(parts, part{block: section(h + body)})
	}
	listSection(":warning: Overdue", dg.Overdue, dg.Totals.Overdue)
	listSection(":no_entry: Stuck: nobody above can take these, and reminders have stopped", dg.Stuck, len(dg.Stuck), func(d decisions.Decision) string {
		return " · open " + Duration(now.Sub(d.CreatedAt).Round(time.Hour))
	})
	for _, dd := range dg.Domains {
		parts = append(parts, part{block: domainDigest(dd), domain: true})
	}
	listSection("Open", dg.Open, dg.Totals.Open)
	listSection(":mag: Reviews due this week", dg.Reviews, len(dg.Reviews), func(d decisions.Decision) string {
		return " · review " + Date(d.ReviewOn, loc)
	})

	footer := "Every decision, one line each: `" + Escape(slash) + " list all`"
	blocks := MaxBlocks - len(head) - len(tail) - 1
	text := MaxMessageText - textSum(head) - textSum(tail) - 200
	var body []slack.Block
	skipped, skippedDomains := 0, 0
	for _, p := range parts {
		if isNil(p.block) {
			continue
		}
		n := textLen(p.block)
		if blocks == 0 || n > text {
			skipped++
			if p.domain {
				skippedDomains++
			}
			continue
		}
		body = append(body, p.block)
		blocks--
		text -= n
	}
	if skippedDomains > 0 {
		footer = "…" + strconv.Itoa(skippedDomains) + " more domains not shown. " + footer
	} else if skipped > 0 {
		footer = "…" + strconv.Itoa(skipped) + " more sections not shown. " + footer
	}

	var bs []slack.Block
	bs = append(bs, head...)
	bs = append(bs, body...)
	bs = append(bs, tail...)
	bs = add(bs, contextBlock(footer))

	fb := title + ": " + strconv.Itoa(dg.Totals.Decided) + " decided, " + strconv.Itoa(dg.Totals.Open) + " open"
	if dg.Totals.Overdue > 0 {
		fb += ", " + strconv.Itoa(dg.Totals.Overdue) + " overdue"
	}
	return Fit(Message{Text: fb, Blocks: bs})
}

func day(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("Mon 2 Jan 2006")
}

// stats is one line of figures: "3 decided (2 approved, 1 rejected) ·
// median time to decide 1d 4h · 67% without escalation · 5 open".
func stats(s decisions.DomainStats) string {
	var parts []string
	if s.Decided > 0 {
		parts = append(parts,
			"*"+strconv.Itoa(s.Decided)+" decided* ("+strconv.Itoa(s.Approved)+" approved, "+strconv.Itoa(s.Rejected)+" rejected)",
			"median time to decide "+Duration(s.MedianTimeToDecide),
			strconv.Itoa(int(math.Round(s.WithoutEscalation*100)))+"% without escalation",
		)
	} else {
		parts = append(parts, "nothing decided")
	}
	if s.Withdrawn > 0 {
		parts = append(parts, strconv.Itoa(s.Withdrawn)+" withdrawn")
	}
	parts = append(parts, strconv.Itoa(s.Open)+" open")
	if s.Overdue > 0 {
		parts = append(parts, ":warning: "+strconv.Itoa(s.Overdue)+" overdue")
	}
	return strings.Join(parts, " · ")
}

// domainDigest is one domain's week: its figures and its outcomes with
// their rationale.
func domainDigest(dd decisions.DomainDigest) *slack.SectionBlock {
	h := "*" + domain(dd.Domain) + "* · " + stats(dd.Stats)
	lines := make([]string, 0, len(dd.Outcomes))
	for _, d := range dd.Outcomes {
		s := "• " + statusEmoji[d.Status] + " " + idTitle(d, titleList) + " — " + pastVerb(d.Status) + " by " + decidedBy(d)
		if n := decisions.DecidedLevel(d); n > 0 {
			s += " (after " + strconv.Itoa(n) + " escalation" + plural(n) + ")"
		}
		if r := rationale(d, 200); r != "" {
			s += ": " + oneLine(r)
		}
		lines = append(lines, s)
	}
	if len(lines) == 0 {
		return section(Truncate(h, digestSection))
	}
	return section(Truncate(h, 400) + "\n" + clipLines(lines, digestSection-400, false, func(n int) string {
		return "_…and " + strconv.Itoa(n) + " more outcomes_"
	}))
}
