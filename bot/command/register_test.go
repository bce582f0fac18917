package command

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseRegister(t *testing.T) {
	ago := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, paris) }
	tests := []struct {
		in   string
		want Command
	}{
		{"edit D-1 Raise the price #pricing by friday", Command{Verb: VerbEdit, ID: 1, Text: "Raise the price #pricing", Tags: []string{"pricing"}, Due: day(2026, 11, 27)}},
		{"edit D-1 by friday", Command{Verb: VerbEdit, ID: 1, Due: day(2026, 11, 27)}},
		{"edit D-1 #finance", Command{Verb: VerbEdit, ID: 1, Text: "#finance", Tags: []string{"finance"}}},
		{"comment D-2 ask <@U1|ben> first", Command{Verb: VerbComment, ID: 2, Text: "ask <@U1|ben> first", Mentions: []string{"U1"}}},
		{"decline D-3 #finance billing, not pricing", Command{Verb: VerbDecline, ID: 3, Domain: "finance", Tags: []string{"finance"}, Text: "billing, not pricing"}},
		{"decline D-3 to <@U1|fatima> she owns it", Command{Verb: VerbDecline, ID: 3, Mentions: []string{"U1"}, Text: "she owns it"}},
		{"decline D-3 not my area", Command{Verb: VerbDecline, ID: 3, Text: "not my area"}},
		{"review D-4 in 6 months", Command{Verb: VerbReview, ID: 4, Review: day(2027, 5, 26)}},
		{"review D-4 on 2026-12-01", Command{Verb: VerbReview, ID: 4, Review: day(2026, 12, 1)}},
		{"approve D-5 cheaper, review in 6 months", Command{Verb: VerbApprove, ID: 5, Text: "cheaper", Review: day(2027, 5, 26)}},
		{"reject D-5 we review budgets in March", Command{Verb: VerbReject, ID: 5, Text: "we review budgets in March"}},
		{"withdraw D-5 review in 6 months", Command{Verb: VerbWithdraw, ID: 5, Text: "review in 6 months"}},
		{"search laptops", Command{Verb: VerbSearch, Text: "laptops"}},
		{"search new office chairs", Command{Verb: VerbSearch, Text: "new office chairs"}},
		{"list approved", Command{Verb: VerbList, Filter: FilterApproved}},
		{"list withdrawn since 2026-11-01", Command{Verb: VerbList, Filter: FilterWithdrawn, Since: ago(2026, 11, 1)}},
		{"list since 30d", Command{Verb: VerbList, Filter: FilterAll, Since: ago(2026, 10, 27)}},
		{"list #pricing since 2 weeks", Command{Verb: VerbList, Filter: FilterDomain, Domain: "pricing", Tags: []string{"pricing"}, Since: ago(2026, 11, 12)}},
	}
	for _, tt := range tests {
		got, err := testParser.Parse(tt.in, now)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

// The texts the issue quotes each got a new decision for the CEO; now each
// is a command, or a suggestion that creates nothing.
func TestIssueTextsAreNotProposals(t *testing.T) {
	for _, tt := range []struct {
		in      string
		verb    Verb // parsed as this verb, or suggested
		suggest bool
		msg     string
	}{
		{in: "edit D-1 title", verb: VerbEdit},
		{in: "search laptops", verb: VerbSearch},
		{in: "comment D-1 we should ask sales", verb: VerbComment},
		{in: "not mine D-2", verb: VerbDecline, suggest: true, msg: "`/decide decline D-2`"},
		{in: "revisit D-1 in 6 months", verb: VerbReview, suggest: true, msg: "`/decide review D-1 in 6 months`"},
	} {
		got, err := testParser.Parse(tt.in, now)
		if !tt.suggest {
			if err != nil || got.Verb != tt.verb {
				t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, got.Verb, err, tt.verb)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Suggestion != tt.verb || e.AsWritten != tt.in || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %#v, %v; want a suggestion of %q", tt.in, got, err, tt.verb)
		}
	}
}

func TestParseRegisterErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"edit D-1", "What should D-1 say instead?"},
		{"edit D-1 by 2020-01-01", "past"},
		{"comment D-1", "What is your comment on D-1?"},
		{"comment D-1 <@U1>", "What is your comment on D-1?"},
		{"decline D-1", "Say why D-1 is not yours"},
		{"decline D-1 #finance", "Say why D-1 is not yours"},
		{"review D-1", "When should I review D-1?"},
		{"review D-1 someday", "Put the date after"},
		{"review D-1 in 6 months please", "after the date"},
		{"search", "What should I look for?"},
		{"search #pricing", "What should I look for?"},
		{"list approved since yesterday-ish", "couldn't read"},
		{"list since 2027-01-01", "in the future"},
		{"list approved rejected", "takes one filter"},
	}
	for _, tt := range tests {
		_, err := testParser.Parse(tt.in, now)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.msg)
		}
	}
	// A verb taking an id, then prose: a proposal that starts with the verb.
	_, err := testParser.Parse("Review the hiring process", now)
	var e *Error
	if !errors.As(err, &e) || e.AsWritten != "Review the hiring process" {
		t.Errorf("Review the hiring process: %v, want a Propose as written offer", err)
	}
}
