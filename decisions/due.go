package decisions

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DueForms lists the due-date forms Baton understands, for help and error
// messages.
const DueForms = "by 2026-12-01, by Dec 5, by 5 December, by friday, by friday 17:00, by tomorrow, by next week, by end of month, in 3d, in 2w, in 6 months"

// MaxHorizon is how far ahead a due date (or a defer or away date) may be.
// Anything further is almost always a typo ("in 99999d", "by 2062-12-01").
const MaxHorizon = 2 * 365 * 24 * time.Hour

// DateError is a phrase that looks like a date but cannot be used as one.
// Its message is meant for the person who typed it.
type DateError struct {
	Phrase  string // what was typed, e.g. "by 2026-13-45"
	Problem string // e.g. "2026-13-45 is not a calendar date"
	// Unreadable marks a phrase that only looks like a due date ("by the
	// 5th", "by 12/05"): ExtractDue reports it with the text unchanged, so
	// the proposal can go ahead without a due date and say so.
	Unreadable bool
}

// errTooFar is a date beyond MaxHorizon. In proposal text ("Move to a
// 4-day week in 3 years") it is more likely the subject than a due date.
var errTooFar = errors.New("more than 2 years away")

func (e *DateError) Error() string {
	return fmt.Sprintf("%q: %s (dates look like %s)", e.Phrase, e.Problem, DueForms)
}

// Date words shared by ExtractDue and ParseDate. Go's regexp alternation is
// leftmost-first, so longer spellings come before their prefixes.
const (
	reWeekday = `monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun`
	reMonth   = `january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|september|sept|sep|october|oct|november|nov|december|dec`
	reOrd     = `(?:st|nd|rd|th)?`
	reDateWd  = `\d{4}-\d{1,2}-\d{1,2}` +
		`|(?:` + reMonth + `)\.?\s+\d{1,2}` + reOrd + `(?:,?\s+\d{4})?\b` +
		`|\d{1,2}` + reOrd + `\s+(?:of\s+)?(?:` + reMonth + `)\b(?:,?\s+\d{4}\b)?` +
		`|today|tonight|eod|end\s+of\s+(?:the\s+)?day` +
		`|tomorrow|tmrw` +
		`|next\s+week` +
		`|end\s+of\s+(?:the\s+)?month|eom` +
		`|end\s+of\s+(?:` + reMonth + `)\b` +
		`|next\s+(?:` + reWeekday + `)` +
		`|` + reWeekday
	// reTime is a time of day after a date: "17:00", "at 5pm", "9:30 am".
	// A bare number is not a time ("by friday 5 people").
	reTime = `\s+(?:at\s+)?(?P<hour>\d{1,2})(?::(?P<min>\d{2})\s*(?P<ampm>am|pm)?|\s*(?P<ampm2>am|pm))\b`
	reDur  = `(?P<count>\d+)\s*(?P<unit>hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|months|month|mos|mo|years|year|yrs|yr)`
)

var (
	// dueRE finds a due phrase inside free text: "by <date> [time]", "due
	// <date>", "due by <date>", "in <duration>", or "next week" alone.
	dueRE = regexp.MustCompile(`(?i)\b(?:(?:due\s+by|due|by|before)\s+(?P<date>` + reDateWd + `)(?:` + reTime + `)?|in\s+` + reDur + `|(?P<bare>next\s+week))`)
	// dateRE and durRE match a whole argument, as in "defer D-7 until friday".
	dateRE = regexp.MustCompile(`(?i)^(?:by\s+)?(?P<date>` + reDateWd + `)(?:` + reTime + `)?$`)
	durRE  = regexp.MustCompile(`(?i)^(?:in\s+)?` + reDur + `$`)
	isoRE  = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	// monthDayRE reads "dec 5", "december 5th, 2026", "5 dec", "5th of
	// december 2026" once folded to lower case.
	monthDayRE = regexp.MustCompile(`^(?:(?P<m1>[a-z]+)\.?\s+(?P<d1>\d{1,2})` + reOrd + `|(?P<d2>\d{1,2})` + reOrd + `\s+(?:of\s+)?(?P<m2>[a-z]+))(?:,?\s+(?P<y>\d{4}))?$`)
	// unreadRE finds what looks like a due date but is not one Baton reads:
	// "by the 5th", "due 5/12/2026". "by 12/01" alone may be a fraction
	// ("cut costs by 1/3"), so it stays prose.
	unreadRE = regexp.MustCompile(`(?i)\b(?:due\s+by|due|by|before)\s+(?:(?:the\s+)?\d{1,2}(?:st|nd|rd|th)\b(?:\s+of\s+(?:the\s+)?month)?|\d{1,2}/\d{1,2}/\d{2,4}\b|(?:` + reMonth + `)\s+\d{3,}\b)`)
	spaces   = regexp.MustCompile(`\s+`)
	// amountRE is what follows "in <duration>" when the duration is an
	// amount rather than a deadline: "in 5 hrs of training", "in 2 days a
	// week", "in 3 days per sprint".
	amountRE = regexp.MustCompile(`(?i)^[ \t]+(?:of|per|a|an|each|every)\b`)
)

// group returns the submatch of re named name in m (indices into s), or "".
func group(re *regexp.Regexp, s string, m []int, name string) string {
	i := re.SubexpIndex(name)
	if i < 0 || m[2*i] < 0 {
		return ""
	}
	return s[m[2*i]:m[2*i+1]]
}

// phraseTime reads a matched phrase of re: the date or duration, then the
// time of day if one was written.
func phraseTime(re *regexp.Regexp, s string, m []int, now time.Time, loc *time.Location) (time.Time, error) {
	if w := group(re, s, m, "date"); w != "" {
		h := group(re, s, m, "hour")
		ampm := group(re, s, m, "ampm") + group(re, s, m, "ampm2")
		if h != "" && isToday(w, now, loc) {
			// "by friday 17:00" typed on Friday morning is today at 17:00;
			// once 17:00 has passed, it is next Friday.
			if t, err := atTime(now, h, group(re, s, m, "min"), ampm, now, loc); err == nil {
				return t, nil
			}
		}
		due, err := dateWord(w, now, loc)
		if err != nil {
			return due, err
		}
		if h != "" {
			return atTime(due, h, group(re, s, m, "min"), ampm, now, loc)
		}
		return due, nil
	}
	if w := group(re, s, m, "bare"); w != "" {
		return dateWord(w, now, loc)
	}
	return duration(group(re, s, m, "count"), group(re, s, m, "unit"), now, loc)
}

// isToday reports whether w is the weekday it is now in loc ("friday" on
// a Friday), which alone means next week's.
func isToday(w string, now time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = now.Location()
	}
	wd, ok := weekday(fold(w))
	return ok && !strings.ContainsAny(w, " -") && wd == now.In(loc).Weekday()
}

// atTime moves a date (the end of its day) to hour:min that day.
func atTime(day time.Time, hour, min, ampm string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = now.Location()
	}
	h, _ := strconv.Atoi(hour)
	mi := 0
	if min != "" {
		mi, _ = strconv.Atoi(min)
	}
	switch strings.ToLower(ampm) {
	case "am", "pm":
		if h < 1 || h > 12 {
			return time.Time{}, fmt.Errorf("%s%s is not a time", hour, ampm)
		}
		h %= 12
		if strings.EqualFold(ampm, "pm") {
			h += 12
		}
	}
	if h > 23 || mi > 59 {
		return time.Time{}, fmt.Errorf("%s:%s is not a time of day", hour, min)
	}
	y, mo, d := day.In(loc).Date()
	t := time.Date(y, mo, d, h, mi, 0, 0, loc)
	if t.Hour() != h || t.Minute() != mi {
		// A time the clocks skip (02:30 on a spring-forward night) does
		// not exist there: say so rather than move it silently.
		return time.Time{}, fmt.Errorf("%02d:%02d does not exist on %s in %s: the clocks go forward, and it would be %s", h, mi, t.Format("Mon 2 Jan"), loc, t.Format("15:04"))
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s %02d:%02d is in the past", t.Format("Mon 2 Jan"), h, mi)
	}
	return t, nil
}

// ExtractDue finds a due-date phrase in proposal text and returns the text
// without it. Phrases are matched case-insensitively anywhere in the text;
// when there are several, the last one counts (due dates are usually written
// at the end) and the others stay in the text.
//
// Dates mean the end of that day (23:59:59) in loc; "in 36h" means exactly
// now plus 36 hours. Weekdays mean the next such day strictly after today,
// "next week" the next Monday. Only ISO dates are read: 12/01 is December 1st
// in one country and January 12th in another, so it is left in the text.
//
// No phrase: zero time, the text unchanged, nil error. A phrase that looks
// like a due date but is unusable (2026-13-45, a past date, "in 0d",
// "in 99999d") returns a *DateError saying what to write instead.
func ExtractDue(text string, now time.Time, loc *time.Location) (due time.Time, rest string, err error) {
	all := dueRE.FindAllStringSubmatchIndex(text, -1)
	for i := len(all) - 1; i >= 0; i-- {
		m := all[i]
		if !boundaryAfter(text, m[1]) {
			continue // "by tomorrow's standup", "in 3d-printing"
		}
		if group(dueRE, text, m, "count") != "" && amountRE.MatchString(text[m[1]:]) {
			continue // "invest in 5 hrs of training", "in 2 days a week"
		}
		phrase := text[m[0]:m[1]]
		if due, err = phraseTime(dueRE, text, m, now, loc); err != nil {
			// Too far ahead: likelier the subject ("in 3 years") than a
			// due date, so propose without one and say so.
			return time.Time{}, text, &DateError{Phrase: phrase, Problem: err.Error(), Unreadable: errors.Is(err, errTooFar)}
		}
		return due, cut(text, m[0], m[1]), nil
	}
	if m := unreadRE.FindStringIndex(text); m != nil {
		return time.Time{}, text, &DateError{Phrase: text[m[0]:m[1]], Problem: "this is not a date Baton can read", Unreadable: true}
	}
	return time.Time{}, text, nil
}

// ParseDate reads a date argument such as the one in "/decide defer D-7
// until friday" or "/decide away until 2026-12-01". It takes the same words
// as ExtractDue, with or without "by"/"in": 2026-12-01, friday, tomorrow,
// next week, end of month, 3d, 2w, 36h.
func ParseDate(s string, now time.Time, loc *time.Location) (time.Time, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return time.Time{}, &DateError{Phrase: s, Problem: "a date is missing"}
	}
	var (
		due time.Time
		err error
	)
	if m := dateRE.FindStringSubmatchIndex(t); m != nil {
		due, err = phraseTime(dateRE, t, m, now, loc)
	} else if m := durRE.FindStringSubmatchIndex(t); m != nil {
		due, err = phraseTime(durRE, t, m, now, loc)
	} else {
		return time.Time{}, &DateError{Phrase: s, Problem: "this is not a date Baton understands"}
	}
	if err != nil {
		return time.Time{}, &DateError{Phrase: s, Problem: err.Error()}
	}
	return due, nil
}

// dateWord turns one date word (already matched by reDateWd) into the end
// of that day in loc.
func dateWord(w string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = now.Location()
	}
	local := now.In(loc)
	y, mo, d := local.Date()
	word := fold(spaces.ReplaceAllString(w, " "))

	var due time.Time
	switch {
	case isoRE.MatchString(word):
		p := isoRE.FindStringSubmatch(word)
		yy, _ := strconv.Atoi(p[1])
		mm, _ := strconv.Atoi(p[2])
		dd, _ := strconv.Atoi(p[3])
		due = endOfDay(yy, time.Month(mm), dd, loc)
		if mm < 1 || mm > 12 || dd < 1 || due.Day() != dd {
			return time.Time{}, fmt.Errorf("%s is not a calendar date (write YYYY-MM-DD)", w)
		}
		if !due.After(now) {
			return time.Time{}, fmt.Errorf("%s is in the past", w)
		}
	case word == "today" || word == "tonight" || word == "eod" || strings.HasPrefix(word, "end of") && strings.HasSuffix(word, "day"):
		due = endOfDay(y, mo, d, loc)
	case word == "tomorrow" || word == "tmrw":
		due = endOfDay(y, mo, d+1, loc)
	case word == "next week":
		due = endOfDay(y, mo, d+daysUntil(local.Weekday(), time.Monday), loc)
	case word == "eom" || word == "end of month" || word == "end of the month":
		due = endOfDay(y, mo+1, 0, loc)
	case strings.HasPrefix(word, "end of "):
		m, ok := month(strings.TrimPrefix(word, "end of "))
		if !ok { // unreachable while reDateWd and month agree
			return time.Time{}, fmt.Errorf("%s is not a date Baton understands", w)
		}
		yy := y
		if m < mo {
			yy++ // "end of march" in November: next March
		}
		due = endOfDay(yy, m+1, 0, loc)
	case monthDayRE.MatchString(word):
		var err error
		if due, err = monthDay(word, w, local, loc); err != nil {
			return time.Time{}, err
		}
	case strings.HasPrefix(word, "next "):
		// "next friday" is this week's Friday to some and next week's to others.
		return time.Time{}, fmt.Errorf("%q is ambiguous: write the weekday alone (the next one) or the date", w)
	default:
		wd, ok := weekday(word)
		if !ok { // unreachable while reWeekday and weekday agree
			return time.Time{}, fmt.Errorf("%s is not a date Baton understands", w)
		}
		due = endOfDay(y, mo, d+daysUntil(local.Weekday(), wd), loc)
	}
	if !due.After(now) {
		// Only possible in the last second of a day.
		return time.Time{}, fmt.Errorf("%s is in the past", w)
	}
	if tooFar(due, now, loc) {
		return time.Time{}, fmt.Errorf("%s is %w", w, errTooFar)
	}
	return due, nil
}

// duration turns "3" "d" into a due time: hours are exact, days and weeks
// mean the end of that calendar day.
func duration(count, unit string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = now.Location()
	}
	n, err := strconv.Atoi(count)
	if err != nil || n > int(MaxHorizon/time.Hour) {
		return time.Time{}, fmt.Errorf("%s%s is %w", count, unit, errTooFar)
	}
	if n == 0 {
		return time.Time{}, fmt.Errorf("a due date needs at least 1 %s", unitName(unit))
	}
	local := now.In(loc)
	y, mo, d := local.Date()
	var due time.Time
	switch unitName(unit) {
	case "hour":
		due = local.Add(time.Duration(n) * time.Hour)
	case "day":
		due = endOfDay(y, mo, d+n, loc)
	case "month", "year":
		if unitName(unit) == "year" {
			n *= 12
		}
		// The same day n months on, or that month's last day ("in 1 month"
		// from January 31st is February 28th, not March 3rd).
		last := endOfDay(y, mo+time.Month(n)+1, 0, loc).Day()
		due = endOfDay(y, mo+time.Month(n), min(d, last), loc)
	default:
		due = endOfDay(y, mo, d+7*n, loc)
	}
	if tooFar(due, now, loc) {
		return time.Time{}, fmt.Errorf("%s%s is %w", count, unit, errTooFar)
	}
	return due, nil
}

// tooFar reports whether due is beyond MaxHorizon: two calendar years
// from today, to the end of that day, so "in 24 months" and "in 2 years"
// are in reach.
func tooFar(due, now time.Time, loc *time.Location) bool {
	y, m, d := now.In(loc).Date()
	return due.After(endOfDay(y+2, m, d, loc)) && due.Sub(now) > MaxHorizon
}

func unitName(unit string) string {
	switch fold(unit)[0] {
	case 'h':
		return "hour"
	case 'd':
		return "day"
	case 'm':
		return "month"
	case 'y':
		return "year"
	}
	return "week"
}

func endOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 0, loc)
}

// daysUntil counts the days from today to the next wd strictly after it.
func daysUntil(today, wd time.Weekday) int {
	n := (int(wd) - int(today) + 7) % 7
	if n == 0 {
		n = 7
	}
	return n
}

// monthDay reads "dec 5", "5th of december 2026": without a year, the
// next such day (today counts).
func monthDay(word, typed string, local time.Time, loc *time.Location) (time.Time, error) {
	m := monthDayRE.FindStringSubmatch(word)
	name, day := m[monthDayRE.SubexpIndex("m1")], m[monthDayRE.SubexpIndex("d1")]
	if name == "" {
		name, day = m[monthDayRE.SubexpIndex("m2")], m[monthDayRE.SubexpIndex("d2")]
	}
	mo, ok := month(name)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is not a date Baton understands", typed)
	}
	dd, _ := strconv.Atoi(day)
	y, year := local.Year(), m[monthDayRE.SubexpIndex("y")]
	if year != "" {
		y, _ = strconv.Atoi(year)
	}
	due := endOfDay(y, mo, dd, loc)
	if dd < 1 || due.Day() != dd {
		return time.Time{}, fmt.Errorf("%s is not a calendar date", typed)
	}
	if year == "" && due.Before(local) {
		due = endOfDay(y+1, mo, dd, loc) // "by Jan 5" in December: next January
		if due.Day() != dd {
			return time.Time{}, fmt.Errorf("%s is not a calendar date next year", typed)
		}
	}
	if due.Before(local) {
		return time.Time{}, fmt.Errorf("%s is in the past", typed)
	}
	return due, nil
}

// month reads a month name or its abbreviation.
func month(s string) (time.Month, bool) {
	s = strings.TrimSuffix(s, ".")
	if len(s) < 3 {
		return 0, false
	}
	for m := time.January; m <= time.December; m++ {
		full := strings.ToLower(m.String())
		if s == full || s == full[:3] || (s == "sept" && m == time.September) {
			return m, true
		}
	}
	return 0, false
}

func weekday(w string) (time.Weekday, bool) {
	if len(w) < 3 {
		return 0, false
	}
	switch w[:3] {
	case "mon":
		return time.Monday, true
	case "tue":
		return time.Tuesday, true
	case "wed":
		return time.Wednesday, true
	case "thu":
		return time.Thursday, true
	case "fri":
		return time.Friday, true
	case "sat":
		return time.Saturday, true
	case "sun":
		return time.Sunday, true
	}
	return 0, false
}

// boundaryAfter reports whether a phrase ending at i ends a word: the end of
// the text, a space or closing punctuation, but not "'s" or "-ish".
func boundaryAfter(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	switch s[i] {
	case ' ', '\t', '\n', '\r', '.', ',', ';', ':', '!', '?', ')', ']':
		return true
	}
	return false
}

// fold lower-cases s the way the (?i) patterns compare it, so that a
// non-ASCII rune the pattern accepted (the Kelvin sign for k, the long s for
// s) becomes the ASCII letter the switch statements look for.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r <= unicode.MaxASCII {
			return unicode.ToLower(r)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f <= unicode.MaxASCII {
				return unicode.ToLower(f)
			}
		}
		return r
	}, s)
}

// cut removes s[i:j] and tidies the seam: no doubled spaces, no space
// before punctuation, no comma left dangling.
func cut(s string, i, j int) string {
	const blank = " \t\r\n\f"
	left := strings.TrimRight(s[:i], blank)
	right := strings.TrimLeft(s[j:], blank)
	sep := " "
	if strings.ContainsRune(s[len(left):i], '\n') || strings.ContainsRune(s[j:len(s)-len(right)], '\n') {
		sep = "\n"
	}
	if strings.HasSuffix(left, "(") && strings.HasPrefix(right, ")") {
		return cut(s, len(left)-1, len(s)-len(right)+1) // "(by friday)"
	}
	if right == "" || strings.ContainsAny(right[:1], ".,;:!?)]") {
		left = strings.TrimRight(left, ",;:"+blank)
		if strings.HasPrefix(right, ",") || strings.HasPrefix(right, ";") {
			right = strings.TrimLeft(right[1:], blank)
			if left != "" && right != "" {
				return left + sep + right
			}
		}
		return strings.TrimSpace(left + right)
	}
	if left == "" {
		return right
	}
	return left + sep + right
}
