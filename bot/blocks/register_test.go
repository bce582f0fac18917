package blocks

import (
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
)

// History times are date tokens too, so each reader sees their own local
// time; a terminal shows the stamp as before.
func TestHistoryStampsAreDateTokens(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	d := decisions.Decision{ID: 7, Title: "t", Status: decisions.StatusOpen,
		History: []decisions.Event{{At: at, Actor: "U1", Kind: decisions.EventProposed, Users: []string{"U2"}}}}
	lines := historyLines(d, loc)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "<!date^1795683600^{date_short_pretty} {time}|`Thu 26 Nov 10:00`> ") {
		t.Fatalf("history line %q", lines)
	}
	if got := Readable(Text(lines[0]), nil); !strings.HasPrefix(got, "`Thu 26 Nov 10:00` @U1 proposed it") {
		t.Errorf("Readable = %q", got)
	}
}

// The review DM shows the outcome, its rationale and Keep / Revisit.
func TestReviewDue(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	d := decisions.Decision{ID: 7, Title: "Raise <!channel> prices", Proposer: "U1", Domain: "product", Deciders: []string{"U2"},
		Status: decisions.StatusApproved, DecidedBy: "U2", DecidedAt: at, Rationale: "margins", ReviewOn: at.AddDate(0, 6, 0)}
	m := ReviewDue(d, time.UTC)
	checkMessage(t, "ReviewDue", m)
	js := encode(t, m.Blocks)
	for _, frag := range []string{"Review due: D-7", "margins", `"action_id":"review_keep"`, `"action_id":"review_revisit"`, `"value":"D-7"`} {
		if !strings.Contains(js, frag) {
			t.Errorf("ReviewDue lacks %q: %s", frag, js)
		}
	}
	checkMessage(t, "ReviewDone", ReviewDone(d, "U2", "kept"))
	checkMessage(t, "CommentMessage", CommentMessage(d, "U3", "what about <!here> @channel?"))
	checkMessage(t, "NotACommand", NotACommand("`frobnicate` is not one of my commands", "eyJ1IjoiVTEifQ"))
	if m := NotACommand("x", strings.Repeat("v", MaxButtonValue+1)); len(m.Blocks) != 1 {
		t.Errorf("an oversized value still got a button")
	}
}
