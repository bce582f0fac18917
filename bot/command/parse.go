package command

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
)

// Parser parses slash command text. The zero value works: it uses
// DefaultSlash, the location of now, no due-date extraction, and reads only
// YYYY-MM-DD dates. Production injects decisions.ExtractDue and
// decisions.ParseDate.
type Parser struct {
	// Slash is the configured slash command, used in messages ("" means
	// DefaultSlash).
	Slash string
	// Location is the workspace time zone dates are read in (nil means the
	// location of now).
	Location *time.Location
	// ExtractDue finds a due phrase ("by friday", "in 3d") in proposal text
	// and returns the text without it. Nil means proposals have no due date.
	ExtractDue func(text string, now time.Time, loc *time.Location) (due time.Time, rest string, err error)
	// ParseDate reads a date argument ("2026-12-01", "friday", "next week",
	// "3d"). Nil means only YYYY-MM-DD is understood.
	ParseDate func(s string, now time.Time, loc *time.Location) (time.Time, error)
}

// parser is one Parse call.
type parser struct {
	Parser
	now   time.Time
	loc   *time.Location
	slash string
	e     *entry // the verb being parsed
	all   string // the whole text, cleaned
}

// maxDateWords is the longest date phrase tried after "until": "end of the
// month" has four words.
const maxDateWords = 4

// Parse parses the text of a slash command (what Slack sends as "text")
// at now. Errors are always *Error. It never panics.
func (p Parser) Parse(text string, now time.Time) (Command, error) {
	c := &parser{Parser: p, now: now, loc: p.Location, slash: p.Slash}
	if c.loc == nil {
		c.loc = now.Location()
	}
	if c.slash == "" {
		c.slash = DefaultSlash
	}
	s := clean(text)
	if s == "" {
		c.e = specOf(VerbPropose)
		return Command{}, c.fail("Tell me what to decide, like `%s Move the launch to Q3 #product by friday`. `%s help` lists everything else.", c.slash, c.slash)
	}
	c.all = s
	word, rest := cut(s)
	if e, ok := lookup(word); ok {
		c.e = e
		cmd, err := e.parse(c, rest)
		return cmd, c.offerAsWritten(err, rest)
	}
	if strings.EqualFold(word, "back") && rest == "" {
		return Command{Verb: VerbAway}, nil
	}
	if err := c.misplaced(word, rest, s); err != nil {
		return Command{}, err
	}
	c.e = specOf(VerbPropose)
	return c.propose(s)
}

// offerAsWritten gives a verb's syntax error the Propose-as-written offer
// when words follow the verb: "List prices go up 5% in April" is likelier
// a proposal than a broken list. A bare verb ("approve") is a command.
func (c *parser) offerAsWritten(err error, rest string) error {
	var e *Error
	if !errors.As(err, &e) || e.AsWritten != "" || rest == "" || c.e.Verb == VerbPropose {
		return err
	}
	e.AsWritten = c.all
	if len(e.Suggestions) == 0 {
		e.Suggestions = []Verb{c.e.Verb}
	}
	return e
}

func (c *parser) usage() string { return c.slash + " " + c.e.Usage }

func (c *parser) example() string { return c.slash + " " + c.e.Examples[0] }

func (c *parser) fail(format string, args ...any) *Error {
	return &Error{Msg: fmt.Sprintf(format, args...), Usage: c.usage()}
}

func (c *parser) propose(s string) (Command, error) {
	if s == "" {
		return Command{}, c.fail("What should be decided? Try `%s`.", code(c.example()))
	}
	text, due, unread := s, time.Time{}, ""
	if c.ExtractDue != nil {
		d, rest, err := c.ExtractDue(s, c.now, c.loc)
		var de *decisions.DateError
		switch {
		case errors.As(err, &de) && de.Unreadable:
			// Propose anyway, without a due date, and say so.
			rest, unread = s, de.Phrase
		case err != nil:
			return Command{}, c.fail("I couldn't use the due date: %s. Nothing was created.", message(err))
		}
		text, due = strings.TrimSpace(rest), d
		if err := c.notPast(due); err != nil {
			return Command{}, err
		}
	}
	if !hasContent(text) {
		what := "only tags and mentions"
		if !due.IsZero() {
			what = "only a due date"
		}
		return Command{}, c.fail("That proposal has %s. Say what should be decided, like `%s`.", what, code(c.example()))
	}
	return Command{Verb: VerbPropose, Text: text, Tags: tags(text), Mentions: mentions(text), Due: due, DueUnread: unread}, nil
}

func (c *parser) parsePropose(rest string) (Command, error) { return c.propose(rest) }

// id reads the decision id that starts rest.
func (c *parser) id(rest string) (decisions.ID, string, error) {
	tok, after := cut(rest)
	if core, ok := idToken(tok); ok {
		id, err := decisions.ParseID(core)
		if err != nil {
			return 0, "", c.fail("`%s` is not a decision id: ids look like `D-7`. Try `%s`.", code(tok), code(c.example()))
		}
		return id, after, nil
	}
	if tok != "" && strings.Trim(tok, "0123456789") == "" {
		return 0, "", c.fail("Decision ids look like `%s`, not `%s`. Try `%s`.", code("D-"+tok), code(tok), code(c.slash+" "+string(c.e.Verb)+" D-"+tok+" "+after))
	}
	if len(tok) >= 2 && (tok[0] == 'd' || tok[0] == 'D') && tok[1] == '-' {
		return 0, "", c.fail("`%s` is not a decision id: ids look like `D-7`. Try `%s`.", code(tok), code(c.example()))
	}
	err := c.fail("`%s %s` needs a decision id, like `%s`. To propose a decision that starts with “%s”, use `%s propose %s …`.",
		c.slash, c.e.Verb, code(c.example()), c.e.Verb, c.slash, c.e.Verb)
	if tok != "" {
		// "Review the hiring process" is likelier a proposal than a
		// command missing its id: offer to propose it as written.
		err.AsWritten, err.Suggestions = c.all, []Verb{c.e.Verb}
	}
	return 0, "", err
}

// parseRationale handles approve, reject and withdraw: an id, then free
// text. Approve and reject take "… review in 6 months" at the end.
func (c *parser) parseRationale(rest string) (Command, error) {
	id, text, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	var review time.Time
	if c.e.Verb == VerbApprove || c.e.Verb == VerbReject {
		text, review = c.reviewTail(text)
	}
	return Command{Verb: c.e.Verb, ID: id, Text: text, Mentions: mentions(text), Review: review}, nil
}

func (c *parser) parseShow(rest string) (Command, error) {
	id, _, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbShow, ID: id}, nil
}

func (c *parser) parseAdvise(rest string) (Command, error) {
	id, text, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	if !hasContent(text) {
		return Command{}, c.fail("What is your advice on %s? Try `%s`.", id, code(c.example()))
	}
	return Command{Verb: VerbAdvise, ID: id, Text: text, Mentions: mentions(text)}, nil
}

func (c *parser) parseDefer(rest string) (Command, error) {
	id, rest, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	until, text, err := c.date(rest, "reopen "+id.String())
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbDefer, ID: id, Until: until, Text: text, Mentions: mentions(text)}, nil
}

// date reads "[until] <date>" at the start of rest, the date being the
// longest phrase of up to maxDateWords words that parses.
func (c *parser) date(rest, purpose string) (time.Time, string, error) {
	kw, after := cut(rest)
	keyword := false
	switch strings.ToLower(kw) {
	case "until", "till", "til", "to":
		rest, keyword = after, true
	}
	if rest == "" {
		return time.Time{}, "", c.fail("When should I %s? Try `%s`.", purpose, code(c.example()))
	}
	words := make([]string, 0, maxDateWords)
	tail := make([]string, 0, maxDateWords)
	for r := rest; len(words) < maxDateWords; {
		w, after := cut(r)
		if w == "" {
			break
		}
		words, tail, r = append(words, w), append(tail, after), after
	}
	errs := make([]error, len(words))
	for n := len(words); n > 0; n-- {
		phrase := strings.TrimRight(strings.Join(words[:n], " "), ",;:.")
		if phrase == "" {
			continue
		}
		t, err := c.parseDate(phrase)
		if err == nil {
			if err := c.notPast(t); err != nil {
				return time.Time{}, "", err
			}
			return t, tail[n-1], nil
		}
		errs[n-1] = err
	}
	if !keyword {
		return time.Time{}, "", c.fail("When should I %s? Put the date after `until`, like `%s`.", purpose, code(c.example()))
	}
	// Report the attempt the user most likely meant: the first word alone,
	// unless it only makes sense with the next one ("next week").
	i := 0
	switch strings.ToLower(words[0]) {
	case "next", "this", "end", "in", "by", "due":
		if len(words) > 1 {
			i = 1
		}
	}
	msg := "that is not a date"
	if errs[i] != nil {
		msg = message(errs[i])
	}
	return time.Time{}, "", c.fail("I couldn't read the date: %s. Try `%s`.", msg, code(c.example()))
}

func (c *parser) parseDate(s string) (time.Time, error) {
	if c.ParseDate != nil {
		return c.ParseDate(s, c.now, c.loc)
	}
	t, err := time.ParseInLocation("2006-01-02", s, c.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (write YYYY-MM-DD)", s)
	}
	return t, nil
}

// notPast rejects a date on a day before today. The injected date functions
// already refuse past dates; this keeps the fallback and any future
// implementation honest.
func (c *parser) notPast(t time.Time) *Error {
	if t.IsZero() {
		return nil
	}
	ty, tm, td := t.In(c.loc).Date()
	ny, nm, nd := c.now.In(c.loc).Date()
	if time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC).Before(time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC)) {
		return c.fail("%s is in the past. Nothing was changed.", t.In(c.loc).Format("2006-01-02"))
	}
	return nil
}

func (c *parser) parseReassign(rest string) (Command, error) {
	id, rest, err := c.id(rest)
	if err != nil {
		return Command{}, err
	}
	var users []string
	for {
		w, after := cut(rest)
		if w == "" {
			break
		}
		if slacktext.OnlyMentions(w) {
			m := mentions(w)
			users = append(users, m...)
		} else if !isSeparator(w) && !strings.EqualFold(w, "to") && !strings.EqualFold(w, "and") {
			break
		}
		rest = after
	}
	if len(users) == 0 {
		hint := ""
		if strings.Contains(rest, "@") {
			hint = " Pick each person from Slack's @ autocomplete so their id comes through."
		}
		return Command{}, c.fail("Who should decide %s instead? Mention them: `%s`.%s", id, code(c.slash+" reassign "+id.String()+" @dana"), hint)
	}
	return Command{Verb: VerbReassign, ID: id, Mentions: dedupe(users), Text: rest}, nil
}

func (c *parser) parseWho(rest string) (Command, error) {
	if rest == "" {
		return Command{}, c.fail("Who would decide what? Try `%s`.", code(c.example()))
	}
	text, due := rest, time.Time{}
	if c.ExtractDue != nil {
		// A dry run routes exactly what a proposal would, but a bad due
		// date is not worth an error here: nothing is stored.
		if d, r, err := c.ExtractDue(rest, c.now, c.loc); err == nil && strings.TrimSpace(r) != "" {
			text, due = strings.TrimSpace(r), d
		}
	}
	return Command{Verb: VerbWho, Text: text, Tags: tags(text), Mentions: mentions(text), Due: due}, nil
}

func (c *parser) parseRights(rest string) (Command, error) {
	if rest == "" {
		return Command{Verb: VerbRights}, nil
	}
	tok, after := cut(rest)
	if strings.EqualFold(tok, "suggest") && after == "" {
		return Command{Verb: VerbRights, Suggest: true}, nil
	}
	d, ok := domainToken(tok, false)
	if !ok || after != "" {
		return Command{}, c.fail("`%s rights` takes at most one domain, like `%s rights #product/pricing`, or `suggest`.", c.slash, c.slash)
	}
	return Command{Verb: VerbRights, Domain: d, Tags: []string{d}}, nil
}

func (c *parser) parseAway(rest string) (Command, error) {
	if w, after := cut(rest); after == "" {
		switch strings.ToLower(w) {
		case "off", "back", "clear", "none", "cancel":
			return Command{Verb: VerbAway}, nil
		}
	}
	until, rest, err := c.date(rest, "expect you back")
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Msg += fmt.Sprintf(" `%s away off` ends an absence.", c.slash)
		}
		return Command{}, err
	}
	cmd := Command{Verb: VerbAway, Until: until}
	w, after := cut(rest)
	if w == "" {
		return cmd, nil
	}
	switch strings.ToLower(strings.TrimRight(w, ":")) {
	case "delegate", "delegating", "with":
		w, after = cut(after)
		if strings.EqualFold(w, "to") {
			w, after = cut(after)
		}
	}
	m := mentions(w)
	if len(m) != 1 || !slacktext.OnlyMentions(w) {
		hint := ""
		if strings.Contains(rest, "@") {
			hint = " Pick the person from Slack's @ autocomplete so their id comes through."
		}
		return Command{}, c.fail("I didn't understand `%s`. To name a delegate, write `%s`.%s", code(rest), code(c.example()), hint)
	}
	if after != "" {
		return Command{}, c.fail("I didn't understand `%s`: name one delegate, like `%s`.", code(after), code(c.example()))
	}
	cmd.Delegate, cmd.Mentions = m[0], m
	return cmd, nil
}

// helpTopics are the words `help` takes after it. (Not read from the
// table, which refers to parseHelp.)
var helpTopics = []Verb{VerbPropose, VerbApprove, VerbReject, VerbDefer, VerbWithdraw, VerbReassign, VerbAdvise,
	VerbEdit, VerbComment, VerbDecline, VerbReview, VerbSearch, VerbShow, VerbList, VerbWho, VerbRights, VerbAway, VerbHelp}

// parseHelp reads `help`, or `help <verb>`; other words after it are
// likelier a proposal ("Help desk hours on weekends").
func (c *parser) parseHelp(rest string) (Command, error) {
	if w, after := cut(rest); rest != "" {
		if !slices.Contains(helpTopics, Verb(strings.ToLower(w))) || after != "" {
			return Command{}, c.fail("`%s help` takes no words after it, so nothing was created. To propose this, use `%s`.", c.slash, code(c.slash+" propose "+c.all))
		}
	}
	return Command{Verb: VerbHelp, Text: rest}, nil
}

// message is an error's text as the end of a sentence, with any user text
// in it unable to ping anyone.
func message(err error) string {
	s := strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(err.Error())
	return strings.TrimRight(strings.TrimSpace(s), ".")
}

// isSeparator reports whether s is only punctuation joining mentions.
func isSeparator(s string) bool {
	s = strings.ReplaceAll(s, "&amp;", "")
	return strings.TrimFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '+' || unicode.IsSpace(r) }) == ""
}
