package decisions

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Dates that were read wrongly: a weekday with a time on that weekday, a
// far "in 3 years" that failed the whole proposal, a time the clocks skip.
func TestExtractDueEdges(t *testing.T) {
	ber, _ := time.LoadLocation("Europe/Berlin")
	la, _ := time.LoadLocation("America/Los_Angeles")
	fri10 := time.Date(2026, 3, 27, 10, 0, 0, 0, ber) // Friday; DST starts Sunday 29 March
	for _, tt := range []struct {
		name, text string
		now        time.Time
		loc        *time.Location
		want       time.Time // zero: no due date
		rest       string
		unreadable bool   // proposed without a due date, with a note
		refused    string // a *DateError that refuses, containing this
	}{
		{name: "friday 17:00 on Friday morning is today", text: "Ship it by friday 17:00", now: fri10, loc: ber,
			want: time.Date(2026, 3, 27, 17, 0, 0, 0, ber), rest: "Ship it"},
		{name: "friday 17:00 on Friday evening is next week", text: "Ship it by friday 17:00", now: fri10.Add(8 * time.Hour), loc: ber,
			want: time.Date(2026, 4, 3, 17, 0, 0, 0, ber), rest: "Ship it"},
		{name: "friday 5pm in the proposer's zone", text: "Ship it by friday 5pm", now: time.Date(2026, 3, 27, 10, 0, 0, 0, la), loc: la,
			want: time.Date(2026, 3, 27, 17, 0, 0, 0, la), rest: "Ship it"},
		{name: "friday alone on a Friday is next week", text: "Ship it by friday", now: fri10, loc: ber,
			want: time.Date(2026, 4, 3, 23, 59, 59, 0, ber), rest: "Ship it"},
		{name: "in 24 months is in reach", text: "Grow ARR 3x in 24 months", now: fri10, loc: ber,
			want: time.Date(2028, 3, 27, 23, 59, 59, 0, ber), rest: "Grow ARR 3x"},
		{name: "in 3 years is the subject, not a due date", text: "Move to a 4-day week in 3 years", now: fri10, loc: ber,
			rest: "Move to a 4-day week in 3 years", unreadable: true},
		{name: "the spring-forward gap is refused, saying what it would be", text: "Ship it by sunday 02:30", now: fri10, loc: ber,
			rest: "Ship it by sunday 02:30", refused: "02:30 does not exist on Sun 29 Mar in Europe/Berlin: the clocks go forward, and it would be 03:30"},
		{name: "the hour after the gap is fine", text: "Ship it by sunday 03:30", now: fri10, loc: ber,
			want: time.Date(2026, 3, 29, 3, 30, 0, 0, ber), rest: "Ship it"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			due, rest, err := ExtractDue(tt.text, tt.now, tt.loc)
			var de *DateError
			switch {
			case tt.unreadable:
				if !errors.As(err, &de) || !de.Unreadable {
					t.Fatalf("err = %v, want an unreadable-phrase note", err)
				}
			case tt.refused != "":
				if !errors.As(err, &de) || de.Unreadable || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("err = %v, want a refusal saying %q", err, tt.refused)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			if !due.Equal(tt.want) || rest != tt.rest {
				t.Errorf("= %v %q, want %v %q", due, rest, tt.want, tt.rest)
			}
		})
	}
	// As an argument ("defer D-7 until in 3 years") too far stays an error.
	if _, err := ParseDate("in 3 years", fri10, ber); err == nil {
		t.Error("ParseDate(in 3 years) accepted a date beyond the horizon")
	}
	if got, err := ParseDate("friday 17:00", fri10, ber); err != nil || !got.Equal(time.Date(2026, 3, 27, 17, 0, 0, 0, ber)) {
		t.Errorf("ParseDate(friday 17:00) on Friday morning = %v, %v; want today", got, err)
	}
}
