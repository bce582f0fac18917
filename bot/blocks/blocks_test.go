package blocks

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"a & b", "a &amp; b"},
		{"<!channel>", "&lt;!channel&gt;"},
		// User mentions, as Slack sends them, stay live without their label.
		{"ask <@U01MAYA01|maya> about pricing", "ask <@U01MAYA01> about pricing"},
		{"<@U123|bob>", "<@U123>"},
		{"<@W0ENT>&<@U1>", "<@W0ENT>&amp;<@U1>"},
		{"<@U1|a|b> <@U2|>", "<@U1> <@U2>"},
		// Everything else that looks like markup is text.
		{"<@u1> <@S1> <@U1 > <@U1|x <@U2", "&lt;@u1&gt; &lt;@S1&gt; &lt;@U1 &gt; &lt;@U1|x &lt;@U2"},
		{"<@U1|<!channel>>", "&lt;@U1|&lt;!channel&gt;&gt;"},
		{"<!subteam^S1|x>", "&lt;!subteam^S1|x&gt;"},
		{"<!here> <!everyone> <!date^1392734382^{date}|x>", "&lt;!here&gt; &lt;!everyone&gt; &lt;!date^1392734382^{date}|x&gt;"},
		{"<#C123|general> <https://x.example|y>", "&lt;#C123|general&gt; &lt;https://x.example|y&gt;"},
		{"<@U1|@here> @here", "<@U1> @\u2060here"},
		{"&amp;", "&amp;amp;"},
		{"hi @here and @Channel, @everyone!", "hi @\u2060here and @\u2060Channel, @\u2060everyone!"},
		{"mail bob@example.com", "mail bob@example.com"},
		{"line\r\nbreak\x00\x07", "line\nbreak"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"émoji 🎉 <ok>", "émoji 🎉 &lt;ok&gt;"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"hello world", 8, "hello w…"},
		{"hello world", 7, "hello…"}, // no trailing space before the ellipsis
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -3, ""},
		{"ééééé", 4, "ééé…"},
		{"日本語のテキスト", 5, "日本語の…"},
		{"🎉🎉🎉🎉", 3, "🎉🎉…"},
		{"🎉🎉🎉", 3, "🎉🎉🎉"},
		{"a &amp; b", 5, "a…"},         // never "a &a…"
		{"x &lt;y", 6, "x…"},           // the entity would be cut
		{"hi <@U123> there", 8, "hi…"}, // nor half a mention
		{"hi <@U123> there", 12, "hi <@U123>…"},
		{"ask <@U01MAYA01> now", 14, "ask…"}, // cut before a mention, never inside
		{"<@U01MAYA01>", 5, "…"},
		{"R&D budget", 4, "R&D…"}, // a bare & is not an entity
		{"bad\xffbyte and more", 6, "bad\uFFFDb…"},
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if tt.max > 0 && utf8.RuneCountInString(got) > tt.max {
			t.Errorf("Truncate(%q, %d) has %d runes", tt.in, tt.max, utf8.RuneCountInString(got))
		}
		if !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) is not valid UTF-8", tt.in, tt.max)
		}
	}
}

func TestUserAndChannel(t *testing.T) {
	users := map[string]string{
		"U123ABC":         "<@U123ABC>",
		"W0ENTERPRISE":    "<@W0ENTERPRISE>",
		"S0GROUP":         "S0GROUP", // never ping a usergroup
		"bob@example.com": "bob@example.com",
		"<!channel>":      "&lt;!channel&gt;",
		"<@U1|x>":         "<@U1>",
		"<!here|U1>":      "&lt;!here|U1&gt;",
		"u123":            "u123",
		"":                "",
	}
	for in, want := range users {
		if got := User(in); got != want {
			t.Errorf("User(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Channel("C0PRICING"); got != "<#C0PRICING>" {
		t.Errorf("Channel = %q", got)
	}
	if got := Channel("#general<!here>"); strings.Contains(got, "<") {
		t.Errorf("Channel of junk = %q", got)
	}
	if got := Users([]string{"U1", "U2", "U3"}, 2); got != "<@U1>, <@U2>, and 1 more" {
		t.Errorf("Users = %q", got)
	}
}

func TestSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"reassigned to you by <@U1>", "reassigned to you by <@U1>"},
		{"see <#C1> and <https://example.com|docs>", "see <#C1> and <https://example.com|docs>"},
		{"type `/decide approve D-7 <rationale>`", "type `/decide approve D-7 &lt;rationale&gt;`"},
		{"<!channel> <!here> <!subteam^S1|team>", "&lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S1|team&gt;"},
		{"R&D &amp; ops", "R&amp;D &amp; ops"},
		{"ping @here", "ping @\u2060here"},
		{"<@U1|name>", "<@U1>"}, // as in Escape
		{"ask <@U1|maya> <!channel>", "ask <@U1> &lt;!channel&gt;"},
	}
	for _, tt := range tests {
		got := Safe(tt.in)
		if got != tt.want {
			t.Errorf("Safe(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if again := Safe(got); again != got {
			t.Errorf("Safe is not idempotent: %q then %q", got, again)
		}
	}
}

// safeTokenRE is what Safe lets through, as the regular expression it
// once used; safeToken matches it by hand.
var safeTokenRE = regexp.MustCompile(`&(?:amp|lt|gt);|<@[UW][A-Z0-9]+(?:\|[^<>]*)?>|<#[CG][A-Z0-9]+(?:\|[^<>|]*)?>|<(?:https?://|mailto:)[^<>|\s]+(?:\|[^<>]*)?>|<!date\^-?\d+\^\{date_short_pretty\}(?: \{time\})?\|[^<>]*>`)

// safeByRE is Safe as it was written with safeTokenRE.
func safeByRE(s string) string {
	s = clean(s)
	var b strings.Builder
	last := 0
	for _, m := range safeTokenRE.FindAllStringIndex(s, -1) {
		escapeText(&b, s[last:m[0]])
		b.WriteString(dropLabel(s[m[0]:m[1]]))
		last = m[1]
	}
	escapeText(&b, s[last:])
	return b.String()
}

func FuzzSafeMatchesRegexp(f *testing.F) {
	for _, s := range []string{
		"see <#C1> and <https://example.com|docs>", "<#C1|a|b>", "<#c1>", "<@U>", "<@U1|<@U2>>",
		"<http://>", "<https://x y>", "<mailto:a@b.c|mail me>", "<httpx://a>", "&amp &amp; &lt;&gt;&quot;",
		"<!date^-12^{date_short_pretty} {time}|Mon 1 Dec>", "<!date^1^{date_short_pretty}|x", "<!date^^{date_short_pretty}|x>",
		"<!date^1^{date_short_pretty} {time}>", "<<@U1>>", "<@W2X|label with spaces>", "R&D <rationale> @here",
		"<https://a|b|c>", "<#G1|\xff>", "<@U1\n>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Safe(s), safeByRE(s); got != want {
			t.Fatalf("Safe(%q) = %q, the regexp gives %q", s, got, want)
		}
	})
}

func TestDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0:                              "0m",
		45 * time.Minute:               "45m",
		time.Hour:                      "1h",
		2*time.Hour + 5*time.Minute:    "2h 5m",
		76 * time.Hour:                 "3d 4h",
		72 * time.Hour:                 "3d",
		-(26 * time.Hour):              "1d 2h",
		15*24*time.Hour + time.Minute:  "15d",
		30 * time.Second:               "0m",
		100*time.Hour + 59*time.Minute: "4d 4h",
	}
	for d, want := range tests {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDate(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	endOfDay := time.Date(2026, 12, 1, 23, 59, 59, 0, loc)
	// Each reader sees Slack's rendering in their own zone; the fallback is
	// in loc.
	if got := Date(endOfDay, loc); got != "<!date^1796165999^{date_short_pretty}|Tue 1 Dec 2026>" {
		t.Errorf("end of day: %q", got)
	}
	afternoon := time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)
	if got := Date(afternoon, loc); got != "<!date^1796130000^{date_short_pretty} {time}|Tue 1 Dec 2026 14:00>" {
		t.Errorf("afternoon in loc: %q", got)
	}
	if got := Readable(Text("due "+Date(afternoon, loc)), nil); got != "due Tue 1 Dec 2026 14:00" {
		t.Errorf("Readable shows %q, want the fallback", got)
	}
	if got := Date(time.Time{}, loc); got != "" {
		t.Errorf("zero: %q", got)
	}
}

var liveMentionRE = regexp.MustCompile(`<@[UW][A-Z0-9]+>`)

func FuzzEscapeTruncate(f *testing.F) {
	f.Add("<!channel> @here <!subteam^S1|x>", 10)
	f.Add("日本語のテキスト&amp;", 5)
	f.Add("a & b < c > d", 3)
	f.Add("\xff\xfe<@U1>", 2)
	f.Add("ask <@U01MAYA01|maya> about <@W2> <!here>", 12)
	f.Add("<@U1|<@U2|x>>", 7)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 5000
		out := Truncate(Escape(s), max)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8: %q", out)
		}
		if n := utf8.RuneCountInString(out); max >= 0 && n > max {
			t.Fatalf("%d runes, max %d: %q", n, max, out)
		}
		if max <= 0 && out != "" {
			t.Fatalf("max %d gave %q", max, out)
		}
		// The only markup left is whole user mentions.
		if rest := liveMentionRE.ReplaceAllString(out, ""); strings.ContainsAny(rest, "<>") || strings.Contains(out, "<!") {
			t.Fatalf("markup survived: %q", out)
		}
		if safe := Safe(out); safe != out {
			t.Fatalf("escaped text changed under Safe: %q -> %q", out, safe)
		}
	})
}

// Reasons name people by id; they render as mentions, and nothing typed
// (tags are lowercase) becomes one.
func TestRoutingReasonMentionsPeople(t *testing.T) {
	got := routing("#pricing tag matched domain product/pricing; U02SOFIA3 is away until 2026-12-01; W06BEN006 acts for them; unknown tag #u02sofia3x ignored")
	want := "#pricing tag matched domain product/pricing; <@U02SOFIA3> is away until 2026-12-01; <@W06BEN006> acts for them; unknown tag #u02sofia3x ignored"
	if got != want {
		t.Errorf("routing =\n  %s\nwant\n  %s", got, want)
	}
}

func FuzzOneLine(f *testing.F) {
	for _, s := range []string{"", " ", "a", "a b", "a  b", " a", "a ", "a\tb", "a\nb", "a\u00a0b", "a\u0085", "日本 語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := oneLine(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("oneLine(%q) = %q, want %q", s, got, want)
		}
	})
}
