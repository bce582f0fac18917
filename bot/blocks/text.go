package blocks

// Text for mrkdwn: escaping user input, clipping, dates and mentions.

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/baton-app/baton/internal/slacktext"
)

// Escape makes user text safe to embed in mrkdwn: &, < and > become
// entities, so "<!channel>", "<!subteam^S1>" or "<#C1>" typed by a user show
// as text and ping nobody, and a word joiner after "@" in "@here",
// "@channel" and "@everyone" stops Slack from auto-parsing them. Invalid
// UTF-8 and control characters (other than newline and tab) are dropped.
//
// User mentions are the exception: Slack sends "@maya" in typed text as
// "<@U1|maya>", so escaping it would show that markup in every title that
// names someone. They stay live, as "<@U1>" (Slack shows the current name),
// and notify only the person the author chose to mention.
func Escape(s string) string {
	s = clean(s)
	if !strings.ContainsAny(s, "&<>@") { // most text: nothing to escape, nothing to copy
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	last := 0
	if strings.Contains(s, "<@") {
		// A handful stay live; past that a text is pinging in bulk, and the
		// rest show as written.
		for _, m := range userMentionRE.FindAllStringIndex(s, MaxLiveMentions) {
			escapeText(&b, s[last:m[0]])
			b.WriteString(dropLabel(s[m[0]:m[1]]))
			last = m[1]
		}
	}
	escapeText(&b, s[last:])
	return b.String()
}

// MaxLiveMentions is how many user mentions in one user text stay live.
const MaxLiveMentions = 5

// userMentionRE matches a user mention as Slack writes it in message text:
// "<@U1>" or "<@U1|label>".
var userMentionRE = slacktext.UserMentionPattern()

// dropLabel turns "<@U1|label>" into "<@U1>" and returns other tokens as
// they are.
func dropLabel(tok string) string {
	if i := strings.IndexByte(tok, '|'); i >= 0 && strings.HasPrefix(tok, "<@") {
		return tok[:i] + ">"
	}
	return tok
}

// escapeText writes s with &, < and > as entities and "@here"-style words
// defused; s must be clean.
func escapeText(b *strings.Builder, s string) {
	// The four are ASCII, so the runs between them are copied whole rather
	// than rune by rune.
	for {
		i := strings.IndexAny(s, "&<>@")
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		switch s[i] {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteByte('@')
			if broadcast(s[i+1:]) {
				b.WriteRune('\u2060')
			}
		}
		s = s[i+1:]
	}
}

// broadcast reports whether rest starts with a word Slack would turn into a
// channel-wide mention after "@".
func broadcast(rest string) bool {
	for _, w := range []string{"here", "channel", "everyone"} {
		if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) {
			return true
		}
	}
	return false
}

// clean returns valid UTF-8 without control characters other than newline
// and tab, with CRLF turned into LF.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	ok := true
	for _, r := range s {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// User renders a user id as a mention ("<@U123>"). Anything else (an email,
// a usergroup id "S…" that was never resolved) is shown as escaped text:
// Baton never pings a group.
func User(id string) string {
	if slacktext.IsUserID(id) {
		return "<@" + id + ">"
	}
	return Escape(id)
}

// Channel renders a channel id as a link ("<#C123>"), anything else as text.
func Channel(id string) string {
	if slacktext.IsConversationID(id) {
		return "<#" + id + ">"
	}
	return Escape(id)
}

// Truncate shortens s to at most max runes, ending with "…" when it had to
// cut. It never splits a rune, an entity such as "&amp;" or a "<…>" token
// such as a mention (it cuts before the token instead), and returns valid
// UTF-8.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == max-1 {
			cut = i
			break
		}
		n++
	}
	kept := s[:cut]
	for {
		before := len(kept)
		if i := strings.LastIndexByte(kept, '<'); i >= 0 && !strings.Contains(kept[i:], ">") {
			kept = kept[:i]
		}
		if i := strings.LastIndexByte(kept, '&'); i >= 0 && !strings.Contains(kept[i:], ";") && isEntity(s[i:]) {
			kept = kept[:i]
		}
		if len(kept) == before {
			break
		}
	}
	return strings.TrimRightFunc(kept, unicode.IsSpace) + "…"
}

func isEntity(s string) bool {
	return strings.HasPrefix(s, "&amp;") || strings.HasPrefix(s, "&lt;") || strings.HasPrefix(s, "&gt;")
}

// Safe escapes Baton-made mrkdwn that may hold both plain text and Baton's
// own markup: user and channel mentions (a user mention's label dropped, as
// in Escape), links and entities stay, every other "&", "<" and ">" is
// escaped, so "<!channel>", "<!subteam^…>" or "<rationale>" show as text.
// It is idempotent; Fit applies it to every mrkdwn text it returns.
func Safe(s string) string {
	s = clean(s)
	if !strings.ContainsAny(s, "&<>@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	last := 0
	for i := 0; i < len(s); {
		j := strings.IndexAny(s[i:], "&<")
		if j < 0 {
			break
		}
		i += j
		n := safeToken(s[i:])
		if n == 0 {
			i++
			continue
		}
		escapeText(&b, s[last:i])
		b.WriteString(dropLabel(s[i : i+n]))
		i += n
		last = i
	}
	escapeText(&b, s[last:])
	return b.String()
}

// safeToken is the length of the markup Safe lets through at the start of
// s, or 0: an entity, a user or channel mention, a web or mail link, or
// Baton's own date token (Date). It matches exactly what the regular
// expression
//
//	&(?:amp|lt|gt);|<@[UW][A-Z0-9]+(?:\|[^<>]*)?>|<#[CG][A-Z0-9]+(?:\|[^<>|]*)?>|
//	<(?:https?://|mailto:)[^<>|\s]+(?:\|[^<>]*)?>|
//	<!date\^-?\d+\^\{date_short_pretty\}(?: \{time\})?\|[^<>]*>
//
// would, without a regexp: Safe runs on every mrkdwn text Baton sends, and
// matching these few shapes by hand costs a fraction of the backtracker.
func safeToken(s string) int {
	if isEntity(s) {
		return strings.IndexByte(s, ';') + 1
	}
	if len(s) < 2 || s[0] != '<' {
		return 0
	}
	switch {
	case s[1] == '@':
		return idToken(s, 2, 'U', 'W', "<>")
	case s[1] == '#':
		return idToken(s, 2, 'C', 'G', "<>|")
	case strings.HasPrefix(s, "<http://"), strings.HasPrefix(s, "<https://"), strings.HasPrefix(s, "<mailto:"):
		i := strings.IndexByte(s, ':') + 1
		if s[1] == 'h' {
			i += len("//")
		}
		// The address runs to the first of "<>|" or white space (\s).
		j := i
		for j < len(s) && strings.IndexByte("<>|\t\n\f\r ", s[j]) < 0 {
			j++
		}
		if j == i {
			return 0
		}
		return labelEnd(s, j, "<>")
	case strings.HasPrefix(s, "<!date^"):
		i := len("<!date^")
		if i < len(s) && s[i] == '-' {
			i++
		}
		j := i
		for j < len(s) && '0' <= s[j] && s[j] <= '9' {
			j++
		}
		if j == i || !strings.HasPrefix(s[j:], "^{date_short_pretty}") {
			return 0
		}
		j += len("^{date_short_pretty}")
		if strings.HasPrefix(s[j:], " {time}") {
			j += len(" {time}")
		}
		if j >= len(s) || s[j] != '|' {
			return 0
		}
		return labelEnd(s, j, "<>")
	}
	return 0
}

// idToken matches "<@U1>" or "<@U1|label>" (and channels alike) from s[i],
// the id's first letter: a or b, then capitals and digits, then an optional
// "|label" without any of stop, then ">".
func idToken(s string, i int, a, b byte, stop string) int {
	if i >= len(s) || (s[i] != a && s[i] != b) {
		return 0
	}
	i++
	j := i
	for j < len(s) && ('A' <= s[j] && s[j] <= 'Z' || '0' <= s[j] && s[j] <= '9') {
		j++
	}
	if j == i {
		return 0
	}
	return labelEnd(s, j, stop)
}

// labelEnd ends a token at s[i]: either ">" there, or "|", a label without
// any of stop, and ">". It is the token's length, or 0.
func labelEnd(s string, i int, stop string) int {
	if i < len(s) && s[i] == '|' {
		j := i + 1 + strings.IndexAny(s[i+1:], stop)
		if j <= i || s[j] != '>' {
			return 0
		}
		return j + 1
	}
	if i < len(s) && s[i] == '>' {
		return i + 1
	}
	return 0
}

// plain makes text for plain_text objects (headers, buttons, titles): Slack
// parses no markup there, but "<" and ">" become look-alikes so nothing that
// resembles a mention survives into the payload, and whitespace runs
// collapse to one space. A user mention, which plain text cannot show, reads
// "@label" (or "@U1" without a label) rather than as markup.
func plain(s string) string {
	s = oneLine(clean(s))
	if strings.Contains(s, "<@") { // most plain text has no mention to look for
		s = userMentionRE.ReplaceAllStringFunc(s, func(tok string) string {
			id, label, _ := strings.Cut(tok[2:len(tok)-1], "|")
			if label = strings.TrimSpace(label); label != "" {
				return "@" + label
			}
			return "@" + id
		})
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch r {
		case '<':
			b.WriteRune('‹')
		case '>':
			b.WriteRune('›')
		case '@':
			b.WriteByte('@')
			if broadcast(s[i+1:]) {
				b.WriteRune('\u2060')
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clip escapes user text and cuts it to n runes. It reads only as much of s
// as could show, so a 100 KB title costs no more than a short one.
func clip(s string, n int) string { return clipText(s, n, false) }

// clipLine is clip for text shown inline: whitespace, newlines included,
// collapses to single spaces.
func clipLine(s string, n int) string { return clipText(s, n, true) }

func clipText(s string, n int, line bool) string {
	if n <= 0 {
		return ""
	}
	p, cut := prefix(s, 2*n+64)
	if line {
		p = oneLine(p)
	}
	t := Escape(p)
	if cut {
		t = strings.TrimRightFunc(t, unicode.IsSpace) + "…"
	}
	return Truncate(t, n)
}

// prefix returns s cut after n runes, and whether it cut.
func prefix(s string, n int) (string, bool) {
	i := 0
	for j := range s {
		if i == n {
			return s[:j], true
		}
		i++
	}
	return s, false
}

// oneLine collapses all whitespace (newlines included) to single spaces, for
// text shown inline in a list line.
func oneLine(s string) string {
	if isOneLine(s) { // titles usually are: no need to split and join them
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// isOneLine reports whether oneLine would return s as it is: words
// separated by single spaces, none at either end.
func isOneLine(s string) bool {
	space := true // as if one came before the start, so a leading one fails
	for _, r := range s {
		if !unicode.IsSpace(r) {
			space = false
			continue
		}
		if r != ' ' || space {
			return false
		}
		space = true
	}
	return !space || s == ""
}

// Duration humanises a duration: "3d 4h", "2h 5m", "45m". Negative
// durations are shown by magnitude.
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	day := 24 * time.Hour
	switch {
	case d >= day:
		days, hours := int(d/day), int(d%day/time.Hour)
		if hours == 0 {
			return strconv.Itoa(days) + "d"
		}
		return strconv.Itoa(days) + "d " + strconv.Itoa(hours) + "h"
	case d >= time.Hour:
		hours, mins := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if mins == 0 {
			return strconv.Itoa(hours) + "h"
		}
		return strconv.Itoa(hours) + "h " + strconv.Itoa(mins) + "m"
	default:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
}

// Date formats a date the one way Baton shows dates: Slack's date token,
// which each reader sees in their own time zone, with "Mon 1 Dec 2026" in
// loc (nil: the time's own location) as the fallback Slack shows where it
// cannot format (notifications, old clients) and Readable shows in a
// terminal. The time of day is added ("Mon 1 Dec 2026 14:00") unless the
// time is midnight or the end of the day, which is what a date-only due
// means.
func Date(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc != nil {
		t = t.In(loc)
	}
	h, m, _ := t.Clock()
	if (h == 0 && m == 0) || (h == 23 && m == 59) {
		return dateToken(t, "{date_short_pretty}", t.Format("Mon 2 Jan 2006"))
	}
	return dateToken(t, "{date_short_pretty} {time}", t.Format("Mon 2 Jan 2006 15:04"))
}

// dateToken is Slack's <!date^unix^format|fallback>.
func dateToken(t time.Time, format, fallback string) string {
	return "<!date^" + strconv.FormatInt(t.Unix(), 10) + "^" + format + "|" + fallback + ">"
}

// historyStamp is when a history event happened: a date token each reader
// sees in their own zone, with the stamp in code as its fallback.
func historyStamp(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return dateToken(t, "{date_short_pretty} {time}", "`"+stamp(t, loc)+"`")
}

// stamp formats a moment for history lines, always with the time.
func stamp(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("Mon 2 Jan 15:04")
}

// Users renders user ids as mentions, joined with ", ". Past max it names the
// first max and says how many more.
func Users(ids []string, max int) string {
	if len(ids) == 0 {
		return "nobody"
	}
	return joinCapped(ids, max, User)
}

func channels(ids []string, max int) string { return joinCapped(ids, max, Channel) }

// joinCapped renders up to max ids (0: all) and counts the rest.
func joinCapped(ids []string, max int, render func(string) string) string {
	n := len(ids)
	if max > 0 && n > max {
		n = max
	}
	parts := make([]string, 0, n+1)
	for _, id := range ids[:n] {
		parts = append(parts, render(id))
	}
	if n < len(ids) {
		parts = append(parts, "and "+strconv.Itoa(len(ids)-n)+" more")
	}
	return strings.Join(parts, ", ")
}
