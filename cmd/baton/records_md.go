package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
)

// records writes one Markdown decision record per kept decision (ADR
// style) through emit, named like 0007-raise-the-team-plan-price.md. Links
// between records (revisits, revisited by, ids mentioned) use those names.
func (x exporter) records(emit func(name string, record []byte) error) error {
	// First pass: every record's file name and who revisits whom.
	names := map[decisions.ID]string{}
	revisitedBy := map[decisions.ID][]decisions.ID{}
	err := x.each(func(d decisions.Decision) error {
		names[d.ID] = recordName(d)
		if d.Revisits != 0 {
			revisitedBy[d.Revisits] = append(revisitedBy[d.Revisits], d.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return x.each(func(d decisions.Decision) error {
		return emit(names[d.ID], x.record(d, names, revisitedBy[d.ID]))
	})
}

// recordName is 0007-raise-the-team-plan-price.md: the id, then the title
// as a slug without tags and mentions.
func recordName(d decisions.Decision) string {
	title := slacktext.StripTags(slacktext.StripControls(typed(d.Title)))
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if b.Len() >= 60 {
			break
		}
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "decision"
	}
	return fmt.Sprintf("%04d-%s.md", uint64(d.ID), slug)
}

func (x exporter) record(d decisions.Decision, names map[decisions.ID]string, revisitedBy []decisions.ID) []byte {
	var b bytes.Buffer
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		if x.loc != nil {
			t = t.In(x.loc)
		}
		return t.Format("2006-01-02 15:04 MST")
	}
	link := func(id decisions.ID) string {
		if n, ok := names[id]; ok {
			return "[" + id.String() + "](" + n + ")"
		}
		return id.String()
	}
	line := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			fmt.Fprintf(&b, "- **%s:** %s\n", label, value)
		}
	}
	fmt.Fprintf(&b, "# %s: %s\n\n", d.ID, md(oneLine(typed(d.Title))))
	line("Status", string(d.Status))
	line("Proposed", stamp(d.CreatedAt)+" by "+md(x.name(d.Proposer)))
	if d.Status.Closed() {
		line("Decided", stamp(d.DecidedAt)+" by "+md(x.name(d.DecidedBy)))
	}
	line("Due", stamp(d.Due))
	line("Deferred until", stamp(d.DeferredUntil))
	line("Domain", md(d.Domain))
	line("Why it was routed there", md(typed(d.Reason)))
	line("Deciders", md(x.nameList(d.Deciders)))
	line("Advisors", md(x.nameList(d.Advisors)))
	line("Review on", stamp(d.ReviewOn))
	b.WriteString("\n## Context\n\n")
	if det := strings.TrimSpace(typed(d.Details)); det != "" {
		b.WriteString(mdBlock(det) + "\n")
	} else {
		b.WriteString("_No details were given._\n")
	}
	if len(d.Advice) > 0 {
		b.WriteString("\n## Advice\n\n")
		for _, a := range d.Advice {
			fmt.Fprintf(&b, "- %s, %s: %s\n", md(x.name(a.By)), stamp(a.At), md(oneLine(typed(a.Text))))
		}
	}
	var votes []string
	for _, e := range d.History {
		switch e.Kind {
		case decisions.EventApproved, decisions.EventRejected:
			v := "- " + md(x.name(e.Actor)) + ": " + string(e.Kind) + ", " + stamp(e.At)
			if n := strings.TrimSpace(typed(e.Note)); n != "" {
				v += " — " + md(oneLine(n))
			}
			votes = append(votes, v)
		}
	}
	if len(votes) > 0 {
		b.WriteString("\n## Votes\n\n" + strings.Join(votes, "\n") + "\n")
	}
	b.WriteString("\n## Outcome\n\n")
	switch {
	case d.Status.Closed():
		fmt.Fprintf(&b, "%s by %s on %s.", upper(string(d.Status)), md(x.name(d.DecidedBy)), stamp(d.DecidedAt))
		if r := strings.TrimSpace(typed(d.Rationale)); r != "" {
			b.WriteString("\n\n**Rationale:** " + mdBlock(r))
		}
		b.WriteString("\n")
	case d.Status == decisions.StatusDeferred:
		fmt.Fprintf(&b, "Deferred until %s.\n", stamp(d.DeferredUntil))
	default:
		b.WriteString("_Not decided yet._\n")
	}
	b.WriteString("\n## History\n\n")
	for _, e := range d.History {
		b.WriteString("- " + md(oneLine(x.eventLine(e, stamp))) + "\n") // one line: a comment cannot start a section
	}
	var related []string
	if d.Revisits != 0 {
		related = append(related, "- Revisits "+link(d.Revisits))
	}
	for _, id := range revisitedBy {
		related = append(related, "- Revisited by "+link(id))
	}
	for _, id := range mentionedIDs(d) {
		if id != d.ID && id != d.Revisits && !slices.Contains(revisitedBy, id) {
			related = append(related, "- Mentions "+link(id))
		}
	}
	if len(related) > 0 {
		b.WriteString("\n## Related decisions\n\n" + strings.Join(related, "\n") + "\n")
	}
	return b.Bytes()
}

// mentionedIDs are the decision ids written in d's title, details,
// rationale and comments, in order, once each.
func mentionedIDs(d decisions.Decision) []decisions.ID {
	texts := []string{d.Title, d.Details, d.Rationale}
	for _, e := range d.History {
		if e.Kind == decisions.EventCommented {
			texts = append(texts, e.Note)
		}
	}
	var out []decisions.ID
	for _, t := range texts {
		for _, f := range strings.Fields(t) {
			core, ok := slacktext.DecisionID(strings.TrimLeft(f, "(["))
			if !ok {
				continue
			}
			if id, err := decisions.ParseID(core); err == nil && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// md makes text literal in Markdown without changing how it reads: "<"
// stays "<" on screen (never HTML), "*" never starts emphasis.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "<", `\<`, ">", `\>`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "|", `\|`)

func md(s string) string { return mdEscaper.Replace(s) }

// mdBlock is md for text of several lines: no line can start a heading,
// quote, list, rule or code block of its own, so details cannot forge the
// record's sections ("## Outcome", "- **Status:** approved").
func mdBlock(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		// md escapes '>', '*', '|' and the rest; leading spaces would
		// make a code block.
		l = md(strings.TrimLeft(l, " \t"))
		switch {
		case l == "":
		case strings.ContainsRune("#-+=", rune(l[0])):
			l = `\` + l
		default:
			if n := len(l) - len(strings.TrimLeft(l, "0123456789")); n > 0 && n < len(l) && (l[n] == '.' || l[n] == ')') {
				l = l[:n] + `\` + l[n:] // "1. " is a list item, "1\. " is text
			}
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func upper(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
