package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/bot/blocks"
)

// TestTypedMarkupNeverLive: only mentions Slack itself sent stay live;
// markup someone typed by hand (Slack sends it as &lt;…&gt;) reads the
// same but cannot ping.
func TestTypedMarkupNeverLive(t *testing.T) {
	in := "ask <@U02RAVI01|ravi> — typed: &lt;@U01MAYA01&gt; &lt;!channel&gt; &lt;#C01GENERAL&gt; R&amp;D a &lt; b"
	out := blocks.Escape(unslack(in))
	if !strings.Contains(out, "<@U02RAVI01>") {
		t.Errorf("the mention Slack sent is not live: %q", out)
	}
	for _, live := range []string{"<@U01MAYA01>", "<!channel>", "<#C01GENERAL>"} {
		if strings.Contains(out, live) {
			t.Errorf("typed %s became live: %q", live, out)
		}
	}
	if !strings.Contains(unslack(in), "R&D") || !strings.Contains(unslack(in), "a < b") {
		t.Errorf("plain entities not restored: %q", unslack(in))
	}
}

func TestDeferUntil(t *testing.T) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, loc) // Monday 10:00
	endOf := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 23, 59, 59, 0, loc) }
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"a later date comes back at 09:00", endOf(2026, 12, 4), time.Date(2026, 12, 4, 9, 0, 0, 0, loc)},
		{"today after 09:00 keeps the end of the day", endOf(2026, 11, 30), endOf(2026, 11, 30)},
		{"an exact time is kept", now.Add(3 * time.Hour), now.Add(3 * time.Hour)},
		{"across the DST change", endOf(2027, 3, 15), time.Date(2027, 3, 15, 9, 0, 0, 0, loc)},
		{"zero stays zero", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		if got := deferUntil(tt.in, now, loc); !got.Equal(tt.want) {
			t.Errorf("%s: deferUntil(%v) = %v, want %v", tt.name, tt.in, got, tt.want)
		}
	}
}
