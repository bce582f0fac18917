package command

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
	"github.com/baton-app/baton/internal/textdist"
)

// now is Thursday 2026-11-26 10:00 in Paris.
var (
	paris = mustLoad("Europe/Paris")
	now   = time.Date(2026, 11, 26, 10, 0, 0, 0, paris)
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone(name, 3600)
	}
	return loc
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 23, 59, 59, 0, paris) }

// fakeParseDate understands a few fixed words, like the real ParseDate.
func fakeParseDate(s string, now time.Time, loc *time.Location) (time.Time, error) {
	switch strings.ToLower(s) {
	case "2026-12-01":
		return day(2026, 12, 1), nil
	case "2020-01-01":
		return day(2020, 1, 1), nil // past: the parser must refuse it
	case "friday":
		return day(2026, 11, 27), nil
	case "tomorrow":
		return day(2026, 11, 27), nil
	case "next week":
		return day(2026, 11, 30), nil
	case "end of the month":
		return day(2026, 11, 30), nil
	case "3d":
		return day(2026, 11, 29), nil
	case "2w":
		return day(2026, 12, 10), nil
	case "in 6 months", "6 months":
		return day(2027, 5, 26), nil
	}
	return time.Time{}, fmt.Errorf("%q: this is not a date Baton understands", s)
}

var dueRE = regexp.MustCompile(`(?i)\s*\b(?:by|in)\s+(next week|\S+)$`)

// fakeExtractDue takes a trailing "by <date>" or "in <duration>"; a
// trailing ISO-looking date that does not parse is an error.
func fakeExtractDue(text string, now time.Time, loc *time.Location) (time.Time, string, error) {
	m := dueRE.FindStringSubmatchIndex(text)
	if m == nil {
		return time.Time{}, text, nil
	}
	phrase := text[m[2]:m[3]]
	t, err := fakeParseDate(phrase, now, loc)
	if err != nil {
		if regexp.MustCompile(`^\d{4}-`).MatchString(phrase) {
			return time.Time{}, text, fmt.Errorf("%q is not a calendar date", phrase)
		}
		return time.Time{}, text, nil
	}
	return t, text[:m[0]], nil
}

var testParser = Parser{Location: paris, ExtractDue: fakeExtractDue, ParseDate: fakeParseDate}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Command
	}{
		// propose, implicit and explicit
		{"Move the launch to Q3", Command{Verb: VerbPropose, Text: "Move the launch to Q3"}},
		{"  propose   Move the launch to Q3  ", Command{Verb: VerbPropose, Text: "Move the launch to Q3"}},
		{"PROPOSE Move the launch", Command{Verb: VerbPropose, Text: "Move the launch"}},
		{"Raise prices #Pricing #product/pricing, #pricing by friday",
			Command{Verb: VerbPropose, Text: "Raise prices #Pricing #product/pricing, #pricing", Tags: []string{"pricing", "product/pricing"}, Due: day(2026, 11, 27)}},
		{"Ship it by next week", Command{Verb: VerbPropose, Text: "Ship it", Due: day(2026, 11, 30)}},
		{"Ship it in 3d", Command{Verb: VerbPropose, Text: "Ship it", Due: day(2026, 11, 29)}},
		{"Decide by committee", Command{Verb: VerbPropose, Text: "Decide by committee"}},
		{"Hire <@U123|alice> and <@W456> and <@U123>, not <#C1|general> or <!here>",
			Command{Verb: VerbPropose, Text: "Hire <@U123|alice> and <@W456> and <@U123>, not <#C1|general> or <!here>", Mentions: []string{"U123", "W456"}}},
		{"We're #1 &amp; #café-ops (#infra)", Command{Verb: VerbPropose, Text: "We're #1 &amp; #café-ops (#infra)", Tags: []string{"café-ops", "infra"}}},
		{"Title\nwith details\ton two lines", Command{Verb: VerbPropose, Text: "Title\nwith details\ton two lines"}},
		{"Bell\x07 and \x00nul\r\n", Command{Verb: VerbPropose, Text: "Bell and nul"}},
		{"bad \xff utf8", Command{Verb: VerbPropose, Text: "bad \uFFFD utf8"}},
		{"back the new vendor", Command{Verb: VerbPropose, Text: "back the new vendor"}},
		// near-miss words without an id are prose
		// prose whose first word is close to a verb, but not close enough
		{"Ship the new laptops", Command{Verb: VerbPropose, Text: "Ship the new laptops"}},
		{"Light the office on Fridays", Command{Verb: VerbPropose, Text: "Light the office on Fridays"}},
		{"Rejig the on-call rota", Command{Verb: VerbPropose, Text: "Rejig the on-call rota"}},
		{"Not my call, but D-3 shows we need a plan", Command{Verb: VerbPropose, Text: "Not my call, but D-3 shows we need a plan"}},

		// approve / reject / withdraw
		{"approve D-7", Command{Verb: VerbApprove, ID: 7}},
		{"Approve d-7 looks good, thanks <@U9>", Command{Verb: VerbApprove, ID: 7, Text: "looks good, thanks <@U9>", Mentions: []string{"U9"}}},
		{"APPROVE D-7: ok", Command{Verb: VerbApprove, ID: 7, Text: "ok"}},
		{"reject D-12 too risky\nsee thread", Command{Verb: VerbReject, ID: 12, Text: "too risky\nsee thread"}},
		{"withdraw D-3", Command{Verb: VerbWithdraw, ID: 3}},
		{"withdraw D-3 superseded by D-9", Command{Verb: VerbWithdraw, ID: 3, Text: "superseded by D-9"}},

		// defer
		{"defer D-7 until friday", Command{Verb: VerbDefer, ID: 7, Until: day(2026, 11, 27)}},
		{"defer D-7 until next week waiting on legal", Command{Verb: VerbDefer, ID: 7, Until: day(2026, 11, 30), Text: "waiting on legal"}},
		{"Defer D-7 UNTIL Next Week", Command{Verb: VerbDefer, ID: 7, Until: day(2026, 11, 30)}},
		{"defer D-7 until end of the month", Command{Verb: VerbDefer, ID: 7, Until: day(2026, 11, 30)}},
		{"defer D-7 until friday, legal is out", Command{Verb: VerbDefer, ID: 7, Until: day(2026, 11, 27), Text: "legal is out"}},
		{"defer D-7 2w", Command{Verb: VerbDefer, ID: 7, Until: day(2026, 12, 10)}},
		{"defer D-7 to 2026-12-01 budget", Command{Verb: VerbDefer, ID: 7, Until: day(2026, 12, 1), Text: "budget"}},

		// reassign
		{"reassign D-7 <@U1|dana>", Command{Verb: VerbReassign, ID: 7, Mentions: []string{"U1"}}},
		{"reassign D-7 to <@U1|dana> and <@U2>,<@U3> <@U1> she owns pricing <@U4>",
			Command{Verb: VerbReassign, ID: 7, Mentions: []string{"U1", "U2", "U3"}, Text: "she owns pricing <@U4>"}},

		// advise
		{"advise D-7 check the EU rules <@U5>", Command{Verb: VerbAdvise, ID: 7, Text: "check the EU rules <@U5>", Mentions: []string{"U5"}}},

		// show
		{"show D-7", Command{Verb: VerbShow, ID: 7}},
		{"SHOW d-42 please", Command{Verb: VerbShow, ID: 42}},

		// list
		{"list", Command{Verb: VerbList, Filter: FilterOpen}},
		{"ls", Command{Verb: VerbList, Filter: FilterOpen}},
		{"list mine", Command{Verb: VerbList, Filter: FilterMine}},
		{"List OPEN", Command{Verb: VerbList, Filter: FilterOpen}},
		{"list overdue", Command{Verb: VerbList, Filter: FilterOverdue}},
		{"list all", Command{Verb: VerbList, Filter: FilterAll}},
		{"list #Product/Pricing", Command{Verb: VerbList, Filter: FilterDomain, Domain: "product/pricing", Tags: []string{"product/pricing"}}},

		// who
		{"who should raise prices #pricing by friday <@U7>",
			Command{Verb: VerbWho, Text: "should raise prices #pricing by friday <@U7>", Tags: []string{"pricing"}, Mentions: []string{"U7"}}},
		{"who raise prices #pricing by friday", Command{Verb: VerbWho, Text: "raise prices #pricing", Tags: []string{"pricing"}, Due: day(2026, 11, 27)}},
		{"who #pricing", Command{Verb: VerbWho, Text: "#pricing", Tags: []string{"pricing"}}},

		// rights
		{"rights", Command{Verb: VerbRights}},
		{"rights #product/pricing", Command{Verb: VerbRights, Domain: "product/pricing", Tags: []string{"product/pricing"}}},
		{"Rights Pricing", Command{Verb: VerbRights, Domain: "pricing", Tags: []string{"pricing"}}},

		// away
		{"away until 2026-12-01", Command{Verb: VerbAway, Until: day(2026, 12, 1)}},
		{"away until next week delegate <@U2|bob>", Command{Verb: VerbAway, Until: day(2026, 11, 30), Delegate: "U2", Mentions: []string{"U2"}}},
		{"AWAY friday <@U2>", Command{Verb: VerbAway, Until: day(2026, 11, 27), Delegate: "U2", Mentions: []string{"U2"}}},
		{"away until friday delegate to <@U2>", Command{Verb: VerbAway, Until: day(2026, 11, 27), Delegate: "U2", Mentions: []string{"U2"}}},
		{"away off", Command{Verb: VerbAway}},
		{"away back", Command{Verb: VerbAway}},
		{"back", Command{Verb: VerbAway}},
		{"Back", Command{Verb: VerbAway}},

		// help
		{"help", Command{Verb: VerbHelp}},
		{"HELP defer", Command{Verb: VerbHelp, Text: "defer"}},
		{"?", Command{Verb: VerbHelp}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := testParser.Parse(tt.in, now)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in         string
		verb       Verb   // whose usage line the error carries
		msg        string // substring of the message
		suggestion Verb
	}{
		{"", VerbPropose, "Tell me what to decide", ""},
		{"  \n\t ", VerbPropose, "`/decide help`", ""},
		{"\x00\x01", VerbPropose, "Tell me what to decide", ""},
		{"propose", VerbPropose, "What should be decided?", ""},
		{"propose #pricing <@U1>", VerbPropose, "only tags and mentions", ""},
		{"#pricing <@U1|a> <!here> ,.", VerbPropose, "only tags and mentions", ""},
		{"by friday", VerbPropose, "only a due date", ""},
		{"Launch by 2026-13-45", VerbPropose, `"2026-13-45" is not a calendar date`, ""},

		// near misses with an id create nothing
		{"aprove D-7 ok", VerbApprove, "Did you mean `approve`? Nothing was created. Try `/decide approve D-7 ok`", VerbApprove},
		{"rejct d-12", VerbReject, "Did you mean `reject`?", VerbReject},
		{"Aprove D-7", VerbApprove, "Did you mean `approve`?", VerbApprove},
		{"withdrew D-7", VerbWithdraw, "Did you mean `withdraw`?", VerbWithdraw},
		{"defr D-7 until friday", VerbDefer, "Did you mean `defer`?", VerbDefer},
		{"reasign D-7 <@U1>", VerbReassign, "`/decide propose reasign D-7 &lt;@U1&gt;`", VerbReassign},
		{"advice D-7 go", VerbAdvise, "Did you mean `advise`?", VerbAdvise},
		{"shwo D-7", VerbShow, "Did you mean `show`?", VerbShow},
		// a near miss of any verb, even without an id
		{"aprove the budget for Q3", VerbApprove, "Did you mean `approve`? Nothing was created. Try `/decide approve the budget for Q3`", VerbApprove},
		{"aprove 3 options", VerbApprove, "Did you mean `approve`?", VerbApprove},
		{"lsit mine", VerbList, "Did you mean `list`? Nothing was created. Try `/decide list mine`", VerbList},
		// a word that is not a verb before an id: the closest verbs
		{"lsit D-7 things", VerbEdit, "`lsit` is not one of my commands, so nothing was created. Did you mean `/decide edit D-7 things`", VerbEdit},
		{"shw D-7", VerbShow, "Did you mean `/decide show D-7`", VerbShow},
		{"frobnicate D-3 now", VerbReject, "`frobnicate` is not one of my commands", VerbReject},
		{"ok D-3 ship it", VerbApprove, "Did you mean `/decide approve D-3 ship it`", VerbApprove},
		{"postpone D-3 until friday", VerbDefer, "`/decide defer D-3 until friday`", VerbDefer},
		// id first
		{"D-7 approve looks good", VerbApprove, "Did you mean `/decide approve D-7 looks good`?", VerbApprove},
		{"D-7", VerbShow, "Did you mean `/decide show D-7`?", VerbShow},

		// ids
		{"approve", VerbApprove, "`/decide approve` needs a decision id, like `/decide approve D-7 the numbers check out`", ""},
		{"approve the budget", VerbApprove, "use `/decide propose approve …`", ""},
		{"approve 7 ok", VerbApprove, "Decision ids look like `D-7`, not `7`. Try `/decide approve D-7 ok`", ""},
		{"reject D-0", VerbReject, "`D-0` is not a decision id", ""},
		{"reject D-99999999999999999999999", VerbReject, "is not a decision id", ""},
		{"show D-x", VerbShow, "`D-x` is not a decision id", ""},
		{"withdraw", VerbWithdraw, "needs a decision id", ""},
		{"show", VerbShow, "needs a decision id", ""},

		// dates
		{"defer D-7", VerbDefer, "When should I reopen D-7?", ""},
		{"defer D-7 until", VerbDefer, "When should I reopen D-7?", ""},
		{"defer D-7 because legal", VerbDefer, "Put the date after `until`", ""},
		{"defer D-7 until frday, legal", VerbDefer, `"frday": this is not a date Baton understands`, ""},
		{"defer D-7 until next weak", VerbDefer, `"next weak": this is not a date`, ""},
		{"defer D-7 until 2020-01-01", VerbDefer, "2020-01-01 is in the past", ""},
		{"defer D-7 until <@U1>", VerbDefer, `"&lt;@U1&gt;"`, ""},
		{"away", VerbAway, "When should I expect you back?", ""},
		{"away until someday", VerbAway, `"someday"`, ""},
		{"away until friday delegate bob", VerbAway, "To name a delegate", ""},
		{"away until friday delegate @bob", VerbAway, "@ autocomplete", ""},
		{"away until friday delegate <@U1> <@U2>", VerbAway, "name one delegate", ""},
		{"away until friday on holiday", VerbAway, "I didn't understand `on holiday`", ""},

		// reassign, advise, who, list, rights
		{"reassign D-7", VerbReassign, "Who should decide D-7 instead?", ""},
		{"reassign D-7 @dana", VerbReassign, "@ autocomplete", ""},
		{"reassign D-7 dana", VerbReassign, "Mention them", ""},
		{"advise D-7", VerbAdvise, "What is your advice on D-7?", ""},
		{"advise D-7 <@U1>", VerbAdvise, "What is your advice on D-7?", ""},
		{"who", VerbWho, "Who would decide what?", ""},
		{"list soon", VerbList, "I can't list `soon`", ""},
		{"list pricing", VerbList, "`/decide list #pricing`", ""},
		{"list mine overdue", VerbList, "takes one filter", ""},
		{"list #", VerbList, "I can't list `#`", ""},
		{"rights #a #b", VerbRights, "at most one domain", ""},
		{"rights !!", VerbRights, "at most one domain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := testParser.Parse(tt.in, now)
			if err == nil {
				t.Fatalf("Parse(%q) = %#v, want an error", tt.in, got)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) error %T, want *Error", tt.in, err)
			}
			if !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("Parse(%q) message\n%s\nwant it to contain\n%s", tt.in, e.Msg, tt.msg)
			}
			if e.Error() != e.Msg {
				t.Errorf("Error() = %q, want Msg", e.Error())
			}
			if want := "/decide " + specOf(tt.verb).Usage; e.Usage != want {
				t.Errorf("Usage = %q, want %q", e.Usage, want)
			}
			if e.Suggestion != tt.suggestion {
				t.Errorf("Suggestion = %q, want %q", e.Suggestion, tt.suggestion)
			}
			if !reflect.DeepEqual(got, Command{}) {
				t.Errorf("Parse(%q) returned %#v with its error, want the zero Command", tt.in, got)
			}
			if len(slacktext.Mentions(e.Msg)) > 0 {
				t.Errorf("message %q holds a live mention", e.Msg)
			}
		})
	}
}

func TestParseConfiguredSlash(t *testing.T) {
	p := testParser
	p.Slash = "/baton"
	_, err := p.Parse("aprove D-7 ok", now)
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "`/baton approve D-7 ok`") || e.Usage != "/baton approve D-7 [rationale]" {
		t.Fatalf("got %v (usage %q), want /baton in message and usage", err, e.Usage)
	}
	if !strings.Contains(e.Reply(), "Usage: `/baton approve D-7 [rationale]`") {
		t.Errorf("Reply() = %q, want the usage line", e.Reply())
	}
}

// The zero Parser works: no due extraction, ISO dates only, now's zone.
func TestZeroParser(t *testing.T) {
	var p Parser
	utcNow := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	got, err := p.Parse("Ship it by friday", utcNow)
	if err != nil || got.Text != "Ship it by friday" || !got.Due.IsZero() {
		t.Errorf("propose = %#v, %v; want the whole text and no due date", got, err)
	}
	got, err = p.Parse("defer D-7 until 2026-12-01 later", utcNow)
	if err != nil || !got.Until.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) || got.Text != "later" {
		t.Errorf("defer = %#v, %v", got, err)
	}
	if _, err := p.Parse("defer D-7 until friday", utcNow); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
		t.Errorf("defer until friday: err = %v, want a YYYY-MM-DD hint", err)
	}
	if _, err := p.Parse("away until 2026-11-25", utcNow); err == nil || !strings.Contains(err.Error(), "in the past") {
		t.Errorf("away in the past: err = %v", err)
	}
	if _, err := p.Parse("away until 2026-11-26", utcNow); err != nil {
		t.Errorf("away until today: %v", err)
	}
}

// The parser passes the configured location and now to the date functions.
func TestParserPassesLocation(t *testing.T) {
	var gotLoc *time.Location
	var gotNow time.Time
	p := Parser{Location: paris, ParseDate: func(s string, n time.Time, loc *time.Location) (time.Time, error) {
		gotLoc, gotNow = loc, n
		return n.Add(time.Hour), nil
	}}
	if _, err := p.Parse("defer D-1 until x", now); err != nil {
		t.Fatal(err)
	}
	if gotLoc != paris || !gotNow.Equal(now) {
		t.Errorf("ParseDate got loc %v now %v", gotLoc, gotNow)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"approve", "approve", 0}, {"aprove", "approve", 1}, {"apporve", "approve", 1},
		{"rejct", "reject", 1}, {"", "abc", 3}, {"abc", "", 3}, {"ca", "abc", 3},
	} {
		if got := textdist.Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// ids are the ones decisions.ParseID reads.
func TestIDMatchesParseID(t *testing.T) {
	for _, s := range []string{"D-1", "d-7", "D-0042"} {
		want, err := decisions.ParseID(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := testParser.Parse("show "+s, now)
		if err != nil || got.ID != want {
			t.Errorf("show %s = %v, %v; want %v", s, got.ID, err, want)
		}
	}
}

// Text that looks like a command but is not one carries what to propose if
// the person says it was a proposal after all, and the verbs to offer.
func TestNotACommandOffersToProposeAsWritten(t *testing.T) {
	tests := []struct {
		in    string
		verbs []Verb
	}{
		{"aprove D-7 ok", []Verb{VerbApprove}},
		{"D-7 approve", []Verb{VerbApprove}},
		{"ok D-3 ship it", []Verb{VerbApprove, VerbShow, VerbEdit}},
		{"lsit mine", []Verb{VerbList}},
	}
	for _, tt := range tests {
		_, err := testParser.Parse("  "+tt.in+"\x00 ", now)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%q) = %v, want *Error", tt.in, err)
		}
		if e.AsWritten != tt.in {
			t.Errorf("Parse(%q).AsWritten = %q, want the text as typed", tt.in, e.AsWritten)
		}
		if !reflect.DeepEqual(e.Suggestions, tt.verbs) {
			t.Errorf("Parse(%q).Suggestions = %q, want %q", tt.in, e.Suggestions, tt.verbs)
		}
	}
	// Other mistakes are not about whether the text is a command.
	_, err := testParser.Parse("approve", now)
	if e := (*Error)(nil); errors.As(err, &e) && e.AsWritten != "" {
		t.Errorf("approve without id: AsWritten = %q, want none", e.AsWritten)
	}
}

// The command parser and the router read #tags one way (internal/slacktext):
// these texts were read differently by each before.
func TestTagsAgreeWithTheRouter(t *testing.T) {
	for _, text := range []string{
		"Raise prices *#pricing*", "Raise prices “#pricing”", "Enforce #2fa-enforcement now",
		"Page less #ops_", "Fix C# docs #docs", "See <#C0123ABCD|pricing> #Ops/Oncall.",
	} {
		c, err := testParser.Parse("propose "+text, now)
		if err != nil {
			t.Fatalf("Parse(%q): %v", text, err)
		}
		if want := decisions.ParseTags(text); !reflect.DeepEqual(c.Tags, want) {
			t.Errorf("Parse(%q).Tags = %q, the router reads %q", text, c.Tags, want)
		}
		if len(c.Tags) == 0 {
			t.Errorf("Parse(%q) found no tag", text)
		}
	}
	c, err := testParser.Parse("list #ops_", now)
	if err != nil || c.Domain != "ops" {
		t.Errorf("list #ops_ = %q, %v; want domain ops, as in text", c.Domain, err)
	}
}
