package decisions

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// DueForms lists the due-date forms Baton understands, for help and error
// messages.
const DueForms = "by 2026-12-01, by friday, by tomorrow, by today, by next week, by end of month, in 36h, in 3d, in 2w, in 6 months"

// MaxHorizon is how far ahead a due date (or a defer or away date) may be.
// Anything further is almost always a typo ("in 99999d", "by 2062-12-01").
const MaxHorizon = 2 * 365 * 24 * time.Hour

// DateError is a phrase that looks like a date but cannot be used as one.
// Its message is meant for the person who typed it.
type DateError struct {
	Phrase  string // what was typed, e.g. "by 2026-13-45"
	Problem string // e.g. "2026-13-45 is not a calendar date"
}

func (e *DateError) Error() string {
	return fmt.Sprintf("%q: %s (dates look like %s)", e.Phrase, e.Problem, DueForms)
}

// Date words shared by ExtractDue and ParseDate. Go's regexp alternation is
// leftmost-first, so longer spellings come before their prefixes.
const (
	reWeekday = `monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun`
	reDateWd  = `\d{4}-\d{1,2}-\d{1,2}` +
		`|today|tonight|eod|end\s+of\s+(?:the\s+)?day` +
		`|tomorrow|tmrw` +
		`|next\s+week` +
		`|end\s+of\s+(?:the\s+)?month|eom` +
		`|next\s+(?:` + reWeekday + `)` +
		`|` + reWeekday
	reDur = `(\d+)\s*(hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|months|month|mos|mo|years|year|yrs|yr)`
)

var (
	// dueRE finds a due phrase inside free text: "by <date>", "due <date>",
	// "due by <date>" or "in <duration>". Submatches: 1 date, 2 count, 3 unit.
	dueRE = regexp.MustCompile(`(?i)\b(?:(?:due\s+by|due|by)\s+(` + reDateWd + `)|in\s+` + reDur + `)`)
	// dateRE and durRE match a whole argument, as in "defer D-7 until friday".
	dateRE = regexp.MustCompile(`(?i)^(?:by\s+)?(` + reDateWd + `)$`)
	durRE  = regexp.MustCompile(`(?i)^(?:in\s+)?` + reDur + `$`)
	isoRE  = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	spaces = regexp.MustCompile(`\s+`)
)

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
		phrase := text[m[0]:m[1]]
		if m[2] >= 0 {
			due, err = dateWord(text[m[2]:m[3]], now, loc)
		} else {
			due, err = duration(text[m[4]:m[5]], text[m[6]:m[7]], now, loc)
		}
		if err != nil {
			return time.Time{}, text, &DateError{Phrase: phrase, Problem: err.Error()}
		}
		return due, cut(text, m[0], m[1]), nil
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
	if m := dateRE.FindStringSubmatch(t); m != nil {
		due, err = dateWord(m[1], now, loc)
	} else if m := durRE.FindStringSubmatch(t); m != nil {
		due, err = duration(m[1], m[2], now, loc)
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
	case word == "eom" || strings.HasPrefix(word, "end of"):
		due = endOfDay(y, mo+1, 0, loc)
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
	if due.Sub(now) > MaxHorizon {
		return time.Time{}, fmt.Errorf("%s is more than 2 years away", w)
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
		return time.Time{}, fmt.Errorf("%s%s is more than 2 years away", count, unit)
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
	if due.Sub(now) > MaxHorizon {
		return time.Time{}, fmt.Errorf("%s%s is more than 2 years away", count, unit)
	}
	return due, nil
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
