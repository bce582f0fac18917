package decisions

import (
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzExtractDue(f *testing.F) {
	for _, s := range []string{
		"Pick a vendor by friday",
		"Pick a vendor by 2026-12-01",
		"by 2026-13-45",
		"in 3d",
		"in 99999999999999999999d",
		"Move (by tomorrow), then in 2 weeks; due by eom.",
		"by \u017Funday",
		"in 3\u212A",
		"Ship by 12/01",
		"",
		"by",
		"in 0h",
		"\xff by fri \xfe",
		"by Dec 5 9:30 am", "by 5th of January 2027", "by friday 25:00", "by the 5th", "next week", "by end of march",
	} {
		f.Add(s, int64(1795597200)) // 2026-11-25 10:00 CET
	}
	f.Fuzz(func(t *testing.T, text string, unix int64) {
		// Keep now in a range where adding two years cannot overflow.
		now := time.Unix(unix%(1<<40), 0).In(dueCET)
		due, rest, err := ExtractDue(text, now, dueCET)
		if err != nil {
			if !due.IsZero() || rest != text {
				t.Fatalf("error %v with due %v rest %q", err, due, rest)
			}
			return
		}
		if due.IsZero() {
			if rest != text {
				t.Fatalf("no due date but text changed: %q -> %q", text, rest)
			}
			return
		}
		if len(rest) >= len(text) {
			t.Fatalf("due %v found but rest %q is not shorter than %q", due, rest, text)
		}
		if !due.After(now) || due.Sub(now) > MaxHorizon {
			t.Fatalf("due %v outside (now, now+MaxHorizon] for now %v", due, now)
		}
		if utf8.ValidString(text) && !utf8.ValidString(rest) {
			t.Fatalf("cut split a rune: %q -> %q", text, rest)
		}
	})
}
