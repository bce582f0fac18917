package command

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "Move the launch #product by friday", "approve D-7 ok", "aprove D-7 ok",
		"defer D-7 until next week why", "reassign D-7 <@U1|a>,<@U2>", "away until friday delegate <@U1>",
		"away off", "back", "list #pricing", "rights", "who x", "help", "D-7 approve", "approve 7",
		"#a <@U1>", "\xff\x00", "withdraw d-99999999999999999999", "show D-7", "advise D-7 x",
		"edit D-7 new title #x by friday", "comment D-7 hi", "decline D-7 #finance not ours", "decline D-7 <@U1> yours",
		"review D-7 in 6 months", "search laptops", "list approved since 30d", "rights suggest", "not mine D-2",
		"revisit D-1 in 6 months", "frobnicate D-3", "approve D-7 ok, review 2026-12-01", "Review the plan",
	} {
		f.Add(s)
	}
	known := map[Verb]bool{}
	for _, s := range Specs() {
		known[s.Verb] = true
	}
	f.Fuzz(func(t *testing.T, in string) {
		cmd, err := testParser.Parse(in, now)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" || e.Usage == "" {
				t.Fatalf("Parse(%q): error %#v, want an *Error with a message and usage", in, err)
			}
			if e.AsWritten != "" && len(e.Suggestions) == 0 {
				t.Fatalf("Parse(%q): offers to propose %q but suggests no command", in, e.AsWritten)
			}
			return
		}
		if !known[cmd.Verb] {
			t.Fatalf("Parse(%q): unknown verb %q", in, cmd.Verb)
		}
		if cmd.Verb == VerbPropose && cmd.Text == "" {
			t.Fatalf("Parse(%q): proposal with empty text", in)
		}
		if !utf8.ValidString(cmd.Text) {
			t.Fatalf("Parse(%q): text %q is not UTF-8", in, cmd.Text)
		}
		for _, r := range cmd.Text {
			if r < 0x20 && r != '\n' && r != '\t' {
				t.Fatalf("Parse(%q): text %q holds control character %U", in, cmd.Text, r)
			}
		}
		if specOf(cmd.Verb).takesID && cmd.ID == 0 {
			t.Fatalf("Parse(%q): %s without an id", in, cmd.Verb)
		}
		if cmd.Verb == VerbReassign && len(cmd.Mentions) == 0 {
			t.Fatalf("Parse(%q): reassign to nobody", in)
		}
	})
}
