package decisions

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// cet is a fixed zone so the tests do not depend on the machine's tz data.
var dueCET = time.FixedZone("CET", 3600)

// dueNow is Wednesday 2026-11-25 10:00 CET.
var dueNow = time.Date(2026, 11, 25, 10, 0, 0, 0, dueCET)

func dueEOD(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 23, 59, 59, 0, dueCET) }

func TestExtractDue(t *testing.T) {
	tests := []struct {
		text string
		due  time.Time
		rest string
	}{
		{"Pick a vendor by 2026-12-01", dueEOD(2026, 12, 1), "Pick a vendor"},
		{"Pick a vendor by 2026-12-1", dueEOD(2026, 12, 1), "Pick a vendor"},
		{"Pick a vendor BY Friday", dueEOD(2026, 11, 27), "Pick a vendor"},
		{"Pick a vendor by fri.", dueEOD(2026, 11, 27), "Pick a vendor."},
		{"Pick a vendor by wed", dueEOD(2026, 12, 2), "Pick a vendor"}, // today is Wednesday: next week's
		{"Pick a vendor by tue", dueEOD(2026, 12, 1), "Pick a vendor"},
		{"Pick a vendor by thurs", dueEOD(2026, 11, 26), "Pick a vendor"},
		{"Pick a vendor by sunday", dueEOD(2026, 11, 29), "Pick a vendor"},
		{"Pick a vendor by tomorrow", dueEOD(2026, 11, 26), "Pick a vendor"},
		{"Pick a vendor by today", dueEOD(2026, 11, 25), "Pick a vendor"},
		{"Pick a vendor by end of day", dueEOD(2026, 11, 25), "Pick a vendor"},
		{"Pick a vendor by next week", dueEOD(2026, 11, 30), "Pick a vendor"},
		{"Pick a vendor by end of the month", dueEOD(2026, 11, 30), "Pick a vendor"},
		{"Pick a vendor by EOM", dueEOD(2026, 11, 30), "Pick a vendor"},
		{"Pick a vendor due friday", dueEOD(2026, 11, 27), "Pick a vendor"},
		{"Pick a vendor, due by friday", dueEOD(2026, 11, 27), "Pick a vendor"},
		{"Pick a vendor in 3d", dueEOD(2026, 11, 28), "Pick a vendor"},
		{"Pick a vendor in 3 days", dueEOD(2026, 11, 28), "Pick a vendor"},
		{"Pick a vendor in 1 day", dueEOD(2026, 11, 26), "Pick a vendor"},
		{"Pick a vendor in 2w", dueEOD(2026, 12, 9), "Pick a vendor"},
		{"Review the vendor in 6 months", dueEOD(2027, 5, 25), "Review the vendor"},
		{"Pick a vendor in 2 weeks", dueEOD(2026, 12, 9), "Pick a vendor"},
		{"Pick a vendor in 36h", dueNow.Add(36 * time.Hour), "Pick a vendor"},
		{"Pick a vendor in 36 hours", dueNow.Add(36 * time.Hour), "Pick a vendor"},
		// Anywhere in the text, and the seam is tidied.
		{"By friday, pick a vendor", dueEOD(2026, 11, 27), "pick a vendor"},
		{"Pick a vendor by friday for the Q1 launch", dueEOD(2026, 11, 27), "Pick a vendor for the Q1 launch"},
		{"Pick a vendor, by friday, for Q1", dueEOD(2026, 11, 27), "Pick a vendor for Q1"},
		{"Pick a vendor (by friday)", dueEOD(2026, 11, 27), "Pick a vendor"},
		{"Pick a vendor by friday?", dueEOD(2026, 11, 27), "Pick a vendor?"},
		{"Pick a vendor\nby friday\nsee thread", dueEOD(2026, 11, 27), "Pick a vendor\nsee thread"},
		// The last phrase counts; earlier ones stay.
		{"Move the demo by tomorrow to friday by 2026-12-04", dueEOD(2026, 12, 4), "Move the demo by tomorrow to friday"},
		// No phrase: nothing changes.
		{"Pick a vendor", time.Time{}, "Pick a vendor"},
		{"", time.Time{}, ""},
		// dates people write
		{"Pick a vendor next week", dueEOD(2026, 11, 30), "Pick a vendor"},
		{"Pick a vendor by Dec 5", dueEOD(2026, 12, 5), "Pick a vendor"},
		{"Pick a vendor by dec. 5th", dueEOD(2026, 12, 5), "Pick a vendor"},
		{"Pick a vendor by 5 December", dueEOD(2026, 12, 5), "Pick a vendor"},
		{"Pick a vendor by the", time.Time{}, "Pick a vendor by the"},
		{"Pick a vendor by 5th of January", dueEOD(2027, 1, 5), "Pick a vendor"}, // next January
		{"Pick a vendor by December 5th, 2027", dueEOD(2027, 12, 5), "Pick a vendor"},
		{"Pick a vendor by Nov 25", dueEOD(2026, 11, 25), "Pick a vendor"}, // today counts
		{"Pick a vendor by friday 17:00", time.Date(2026, 11, 27, 17, 0, 0, 0, dueCET), "Pick a vendor"},
		{"Pick a vendor by friday at 5pm.", time.Date(2026, 11, 27, 17, 0, 0, 0, dueCET), "Pick a vendor."},
		{"Pick a vendor by Dec 5 9:30 am", time.Date(2026, 12, 5, 9, 30, 0, 0, dueCET), "Pick a vendor"},
		{"Pick a vendor by friday 5 people", dueEOD(2026, 11, 27), "Pick a vendor 5 people"},
		{"Pick a vendor by end of month", dueEOD(2026, 11, 30), "Pick a vendor"},
		{"Pick a vendor by end of March", dueEOD(2027, 3, 31), "Pick a vendor"},
		{"Pick a vendor in 6 months", dueEOD(2027, 5, 25), "Pick a vendor"},
		{"Plan the may offsite", time.Time{}, "Plan the may offsite"},
		{"Raise prices by 10%", time.Time{}, "Raise prices by 10%"},
		{"Cut costs by 1/3", time.Time{}, "Cut costs by 1/3"},
		{"Ship by 12/01", time.Time{}, "Ship by 12/01"}, // US or EU? not guessed
		{"Approve the budget proposed by Finance", time.Time{}, "Approve the budget proposed by Finance"},
		{"Move the standby 2026-12-01 window", time.Time{}, "Move the standby 2026-12-01 window"},
		{"Cancel by tomorrow's standup", time.Time{}, "Cancel by tomorrow's standup"},
		{"Buy a printer in 3d-printing week", time.Time{}, "Buy a printer in 3d-printing week"},
		// "in N units of/per/a ..." is an amount, not a deadline
		{"Invest in 5 hrs of training", time.Time{}, "Invest in 5 hrs of training"},
		{"Invest in 3 days of training per person", time.Time{}, "Invest in 3 days of training per person"},
		{"Move the office in 2 days a week", time.Time{}, "Move the office in 2 days a week"},
		{"Invest in 2 days per sprint on tests", time.Time{}, "Invest in 2 days per sprint on tests"},
		{"Invest in 5 hrs of training in 2w", dueEOD(2026, 12, 9), "Invest in 5 hrs of training"},
		{"Pick a vendor in 3d, of course", dueEOD(2026, 11, 28), "Pick a vendor of course"},
		{"Review the monthly plan by monthly vote", time.Time{}, "Review the monthly plan by monthly vote"},
		{"Plan the next weekend offsite by next weekend", time.Time{}, "Plan the next weekend offsite by next weekend"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			due, rest, err := ExtractDue(tt.text, dueNow, dueCET)
			if err != nil {
				t.Fatalf("ExtractDue: %v", err)
			}
			if !due.Equal(tt.due) {
				t.Errorf("due = %v, want %v", due, tt.due)
			}
			if rest != tt.rest {
				t.Errorf("rest = %q, want %q", rest, tt.rest)
			}
			if !due.IsZero() && due.Location() != dueCET {
				t.Errorf("due is in %v, want the workspace zone", due.Location())
			}
		})
	}
}

func TestExtractDueErrors(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"Pick a vendor by 2026-13-45", "not a calendar date"},
		{"Pick a vendor by 2026-02-30", "not a calendar date"},
		{"Pick a vendor by 2020-01-01", "in the past"},
		{"Pick a vendor by 2026-11-24", "in the past"},
		{"Pick a vendor by 2062-12-01", "more than 2 years away"},
		{"Pick a vendor in 0d", "at least 1 day"},
		{"Pick a vendor in 0 hours", "at least 1 hour"},
		{"Pick a vendor in 99999d", "more than 2 years away"},
		{"Pick a vendor in 999999999999999999999999w", "more than 2 years away"},
		{"Pick a vendor in 200w", "more than 2 years away"},
		{"Pick a vendor by next friday", "ambiguous"},
		{"Pick a vendor by Feb 30", "not a calendar date"},
		{"Pick a vendor by friday 25:00", "not a time of day"},
		{"Pick a vendor by friday 13pm", "not a time"},
		{"Pick a vendor by today 09:00", "in the past"},
		{"Pick a vendor by Dec 5, 2020", "in the past"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			due, rest, err := ExtractDue(tt.text, dueNow, dueCET)
			if err == nil {
				t.Fatalf("ExtractDue = %v, %q, nil; want an error", due, rest)
			}
			var de *DateError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DateError", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not say %q", msg, tt.want)
			}
			// The person who typed it learns what to type instead.
			if !strings.Contains(msg, "by 2026-12-01") || !strings.Contains(msg, "in 3d") {
				t.Errorf("error %q does not name the accepted forms", msg)
			}
			if !due.IsZero() || rest != tt.text {
				t.Errorf("on error got due %v rest %q; want zero and the text unchanged", due, rest)
			}
		})
	}
}

// The day is the workspace's day, not UTC's: at 23:30 UTC on Wednesday it is
// already Thursday in CET, so "tomorrow" is Friday.
func TestExtractDueUsesLocation(t *testing.T) {
	now := time.Date(2026, 11, 25, 23, 30, 0, 0, time.UTC)
	due, _, err := ExtractDue("x by tomorrow", now, dueCET)
	if err != nil {
		t.Fatal(err)
	}
	if want := dueEOD(2026, 11, 27); !due.Equal(want) {
		t.Errorf("due = %v, want %v", due, want)
	}
	// A nil location means now's own.
	due, _, err = ExtractDue("x by tomorrow", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 26, 23, 59, 59, 0, time.UTC); !due.Equal(want) {
		t.Errorf("nil loc: due = %v, want %v", due, want)
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-12-01", dueEOD(2026, 12, 1)},
		{" friday ", dueEOD(2026, 11, 27)},
		{"Fri", dueEOD(2026, 11, 27)},
		{"tomorrow", dueEOD(2026, 11, 26)},
		{"next week", dueEOD(2026, 11, 30)},
		{"next  Week", dueEOD(2026, 11, 30)},
		{"end of month", dueEOD(2026, 11, 30)},
		{"3d", dueEOD(2026, 11, 28)},
		{"in 3d", dueEOD(2026, 11, 28)},
		{"2w", dueEOD(2026, 12, 9)},
		{"2 weeks", dueEOD(2026, 12, 9)},
		{"36h", dueNow.Add(36 * time.Hour)},
		{"by friday", dueEOD(2026, 11, 27)},
		{"in 6 months", dueEOD(2027, 5, 25)},
		{"3 months", dueEOD(2027, 2, 25)},
		{"1 year", dueEOD(2027, 11, 25)},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in, dueNow, dueCET)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDateErrors(t *testing.T) {
	for _, in := range []string{"", "  ", "soon", "12/01", "2026-13-45", "2020-01-01", "0d", "99999d", "friday please", "next friday", "2026-12-01T10:00"} {
		got, err := ParseDate(in, dueNow, dueCET)
		if err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", in, got)
			continue
		}
		if !strings.Contains(err.Error(), "next week") {
			t.Errorf("ParseDate(%q) error %q does not name the accepted forms", in, err)
		}
	}
}

// Runes that (?i) folds onto ASCII letters must not confuse the weekday and
// unit lookups that follow the match.
func TestExtractDueUnicodeFolding(t *testing.T) {
	due, rest, err := ExtractDue("x by \u017Funday", dueNow, dueCET) // long s
	if err != nil {
		t.Fatal(err)
	}
	if !due.Equal(dueEOD(2026, 11, 29)) || rest != "x" {
		t.Errorf("got %v %q", due, rest)
	}
}

// A month on from the 31st is the last day of the next month, not a day
// in the month after.
func TestMonthsClampToTheMonthsLastDay(t *testing.T) {
	jan31 := time.Date(2027, 1, 31, 10, 0, 0, 0, dueCET)
	got, err := ParseDate("in 1 month", jan31, dueCET)
	if err != nil || !got.Equal(dueEOD(2027, 2, 28)) {
		t.Errorf("in 1 month from Jan 31 = %v, %v; want Feb 28", got, err)
	}
	if _, err := ParseDate("in 30 months", dueNow, dueCET); err == nil {
		t.Error("in 30 months: want more than 2 years away")
	}
}

// A phrase that only looks like a due date is reported, the text kept, so
// the proposal goes ahead without one and says so.
func TestExtractDueUnreadable(t *testing.T) {
	for _, text := range []string{"Pick a vendor by the 5th", "Pick a vendor by 5th", "Pick a vendor due 5/12/2026", "Pick a vendor by the 5th of the month"} {
		due, rest, err := ExtractDue(text, dueNow, dueCET)
		var de *DateError
		if !errors.As(err, &de) || !de.Unreadable || !due.IsZero() || rest != text || !strings.HasPrefix(strings.ToLower(de.Phrase), "by") && !strings.HasPrefix(de.Phrase, "due") {
			t.Errorf("ExtractDue(%q) = %v, %q, %v; want an unreadable phrase and the text kept", text, due, rest, err)
		}
	}
}

func TestParseDatePeopleWrite(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Dec 5", dueEOD(2026, 12, 5)},
		{"5 dec 2026", dueEOD(2026, 12, 5)},
		{"friday 17:00", time.Date(2026, 11, 27, 17, 0, 0, 0, dueCET)},
		{"end of march", dueEOD(2027, 3, 31)},
		{"by 5 December", dueEOD(2026, 12, 5)},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in, dueNow, dueCET)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}
