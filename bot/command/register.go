package command

// The decision register's verbs: edit, comment, decline, review, search,
// and list by outcome and since a date.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/baton-app/baton/internal/slacktext"
)

func (c *parser) parseList(rest string) (Command, error) {
	cmd := Command{Verb: VerbList, Filter: DefaultFilter}
	if low := strings.ToLower(rest); strings.HasPrefix(low, "since ") || strings.Contains(low, " since ") {
		i := strings.LastIndex(" "+low, " since ")
		t, err := c.since(rest[i+len("since"):])
		if err != nil {
			return Command{}, err
		}
		cmd.Since, rest = t, strings.TrimSpace(rest[:max(i-1, 0)])
		if rest == "" {
			cmd.Filter = FilterAll // "since" alone: everything proposed since then
		}
	}
	if rest == "" {
		return cmd, nil
	}
	tok, after := cut(rest)
	const filters = "`mine`, `open`, `overdue`, `approved`, `rejected`, `deferred`, `withdrawn`, `all` or a `#domain`"
	if after != "" {
		return Command{}, c.fail("`%s list` takes one filter: %s, then optionally `since <date>`.", c.slash, filters)
	}
	switch strings.ToLower(tok) {
	case "mine", "me", "my":
		cmd.Filter = FilterMine
	case "open":
		cmd.Filter = FilterOpen
	case "overdue", "late":
		cmd.Filter = FilterOverdue
	case "all":
		cmd.Filter = FilterAll
	case "approved":
		cmd.Filter = FilterApproved
	case "rejected":
		cmd.Filter = FilterRejected
	case "deferred":
		cmd.Filter = FilterDeferred
	case "withdrawn":
		cmd.Filter = FilterWithdrawn
	default:
		if d, ok := domainToken(tok, true); ok {
			cmd.Filter, cmd.Domain, cmd.Tags = FilterDomain, d, []string{d}
			return cmd, nil
		}
		hint := ""
		if d, ok := domainToken(tok, false); ok {
			hint = fmt.Sprintf(" For a domain, write `%s list #%s`.", c.slash, d)
		}
		return Command{}, c.fail("I can't list `%s`: try %s.%s", code(tok), filters, hint)
	}
	return cmd, nil
}

func (c *parser) parseEdit(rest string) (Command, error) {
	id, text, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	due := time.Time{}
	if c.ExtractDue != nil && text != "" {
		d, r, err := c.ExtractDue(text, c.now, c.loc)
		if err != nil {
			return Command{}, c.fail("I couldn't use the due date: %s. Nothing was changed.", message(err))
		}
		text, due = strings.TrimSpace(r), d
		if err := c.notPast(due); err != nil {
			return Command{}, err
		}
	}
	if !hasContent(text) && due.IsZero() && len(tags(text)) == 0 {
		return Command{}, c.fail("What should %s say instead? Try `%s`.", id, code(c.example()))
	}
	return Command{Verb: VerbEdit, ID: id, Text: text, Tags: tags(text), Mentions: mentions(text), Due: due}, nil
}

func (c *parser) parseComment(rest string) (Command, error) {
	id, text, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	if !hasContent(text) {
		return Command{}, c.fail("What is your comment on %s? Try `%s`.", id, code(c.example()))
	}
	return Command{Verb: VerbComment, ID: id, Text: text, Mentions: mentions(text)}, nil
}

// parseDecline reads "D-7 [#domain|@user…] <reason>".
func (c *parser) parseDecline(rest string) (Command, error) {
	id, rest, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	cmd := Command{Verb: VerbDecline, ID: id}
	for {
		w, after := cut(rest)
		if strings.EqualFold(w, "to") {
			w, after = cut(after)
		}
		if d, ok := domainToken(w, true); ok && cmd.Domain == "" && len(cmd.Mentions) == 0 {
			cmd.Domain, cmd.Tags = d, []string{d}
		} else if slacktext.OnlyMentions(w) && cmd.Domain == "" {
			cmd.Mentions = dedupe(append(cmd.Mentions, mentions(w)...))
		} else {
			break
		}
		rest = after
	}
	if !hasContent(rest) {
		return Command{}, c.fail("Say why %s is not yours, so the next people know: `%s`.", id, code(c.example()))
	}
	cmd.Text = rest
	return cmd, nil
}

// parseReview reads "D-7 [on|in] <date>".
func (c *parser) parseReview(rest string) (Command, error) {
	id, rest, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	if w, after := cut(rest); strings.EqualFold(w, "on") {
		rest = after
	}
	on, text, err := c.date(rest, "review "+id.String())
	if err != nil {
		return Command{}, err
	}
	if text != "" {
		return Command{}, c.fail("I didn't understand `%s` after the date. Try `%s`.", code(text), code(c.example()))
	}
	return Command{Verb: VerbReview, ID: id, Review: on}, nil
}

// reviewTail splits "looks good, review in 6 months" into the rationale
// and the review date; text without a readable review date is returned
// whole.
func (c *parser) reviewTail(text string) (string, time.Time) {
	low := strings.ToLower(text)
	for i := strings.LastIndex(low, "review"); i >= 0; i = strings.LastIndex(low[:i], "review") {
		if i > 0 && !unicode.IsSpace(rune(low[i-1])) && !strings.ContainsRune(",;.(-—", rune(low[i-1])) {
			continue
		}
		phrase := strings.TrimSpace(text[i+len("review"):])
		if w, after := cut(phrase); strings.EqualFold(w, "on") {
			phrase = after
		}
		if phrase == "" {
			continue
		}
		t, err := c.parseDate(strings.TrimRight(phrase, ".;"))
		if err != nil || c.notPast(t) != nil {
			continue
		}
		return strings.TrimRight(strings.TrimSpace(text[:i]), ",;(-—"), t
	}
	return text, time.Time{}
}

func (c *parser) parseSearch(rest string) (Command, error) {
	if !hasContent(rest) {
		return Command{}, c.fail("What should I look for? Try `%s`.", code(c.example()))
	}
	cmd := Command{Verb: VerbSearch, Text: rest}
	// "Search ads budget for Q3" reads as a proposal too: searches are a
	// word or two, so a longer one also offers to propose it.
	if len(strings.Fields(rest)) >= searchProseWords {
		cmd.AsWritten = c.all
	}
	return cmd, nil
}

// searchProseWords is how many words make a search read as a proposal too.
const searchProseWords = 4

// since reads the date after `list … since`: a date (2026-11-01) or how
// long ago (30d, 2w, 3 months), as the start of that day.
func (c *parser) since(s string) (time.Time, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if t, err := time.ParseInLocation("2006-01-02", s, c.loc); err == nil {
		if t.After(c.now) {
			return time.Time{}, c.fail("%s is in the future: `since` looks back. Try `%s`.", s, code(c.slash+" list approved since 30d"))
		}
		return t, nil
	}
	if m := agoRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil && n > 0 && n < 10000 {
			y, mo, d := c.now.In(c.loc).Date()
			switch m[2][0] {
			case 'd':
				d -= n
			case 'w':
				d -= 7 * n
			case 'm':
				mo -= time.Month(n)
			case 'y':
				y -= n
			}
			return time.Date(y, mo, d, 0, 0, 0, 0, c.loc), nil
		}
	}
	return time.Time{}, c.fail("I couldn't read `%s` as a date to list from: write `since 2026-11-01` or `since 30d`.", code(s))
}

var agoRE = regexp.MustCompile(`^(\d+)\s*(days|day|d|weeks|week|wks|wk|w|months|month|mos|mo|years|year|y)(?:\s+ago)?$`)
