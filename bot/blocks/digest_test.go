package blocks

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
)

func TestDigest(t *testing.T) {
	from := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	approved := basic()
	approved.Status, approved.DecidedBy, approved.DecidedAt, approved.Rationale = decisions.StatusApproved, "UALICE", now, "Margins <!channel> matter, ask <@U01MAYA01|maya>"
	overdue := basic()
	dg := decisions.Digest{
		From: from, To: from.AddDate(0, 0, 7), Week: "2026-W48",
		Domains: []decisions.DomainDigest{{
			Domain:   "product/pricing",
			Outcomes: []decisions.Decision{approved},
			Stats:    decisions.DomainStats{Decided: 1, Approved: 1, Open: 1, Overdue: 1, MedianTimeToDecide: 76 * time.Hour, WithoutEscalation: 1},
		}},
		Open:        []decisions.Decision{overdue},
		Overdue:     []decisions.Decision{overdue},
		Bottlenecks: []decisions.Bottleneck{{User: "UALICE", Waiting: 4}},
		Unreachable: []string{"legal"},
		Totals:      decisions.DomainStats{Decided: 1, Approved: 1, Open: 1, Overdue: 1, MedianTimeToDecide: 76 * time.Hour, WithoutEscalation: 2.0 / 3},
	}
	m := Digest(dg, "/dec", loc)
	checkMessage(t, "Digest", m)
	js := encode(t, m.Blocks)
	for _, frag := range []string{
		"Decisions — week 2026-W48", "Mon 23 Nov 2026 – Sun 29 Nov 2026",
		"*1 decided* (1 approved, 0 rejected)", "median time to decide 3d 4h", "67% without escalation", "1 overdue",
		"`product/pricing`", "approved by <@UALICE>: Margins &lt;!channel&gt; matter, ask <@U01MAYA01>",
		"Overdue* (1)", "Open* (1)", "<@UALICE> (4)", "`legal`", "`/dec list all`",
	} {
		if !strings.Contains(js, frag) {
			t.Errorf("Digest lacks %q", frag)
		}
	}
	if !strings.Contains(m.Text, "2026-W48") {
		t.Errorf("Digest text %q", m.Text)
	}

	quiet := Digest(decisions.Digest{From: from, To: from.AddDate(0, 0, 7), Week: "2026-W48"}, "", loc)
	checkMessage(t, "Digest/quiet", quiet)
	if !strings.Contains(encode(t, quiet.Blocks), "quiet week") {
		t.Errorf("quiet digest says nothing")
	}

	// A huge week still fits, and says where the rest is.
	big := dg
	big.Domains = nil
	var many []decisions.Decision
	for i := range 300 {
		d := huge()
		d.ID = decisions.ID(i + 1)
		d.Status, d.DecidedBy = decisions.StatusRejected, "UBOB"
		many = append(many, d)
	}
	for i := range 80 {
		big.Domains = append(big.Domains, decisions.DomainDigest{Domain: fmt.Sprintf("area%02d/%s", i, strings.Repeat("y", 50)), Outcomes: many[:50], Stats: dg.Totals})
	}
	big.Open, big.Overdue, big.Stuck = many, many, many
	for i := range 200 {
		big.Unreachable = append(big.Unreachable, fmt.Sprintf("dom%03d", i))
		big.Bottlenecks = append(big.Bottlenecks, decisions.Bottleneck{User: fmt.Sprintf("UB%03d", i), Waiting: 300 - i})
	}
	m = Digest(big, "/decide", loc)
	checkMessage(t, "Digest/huge", m)
	js = encode(t, m.Blocks)
	if !strings.Contains(js, "more domains not shown") || !strings.Contains(js, "`/decide list all`") {
		t.Errorf("huge digest does not point to the rest")
	}
	if !strings.Contains(js, "Overdue* (300)") || !regexp.MustCompile(`…and 29\d more`).MatchString(js) {
		t.Errorf("huge digest does not summarise overdue decisions")
	}
}

// Reviews coming due are listed with their date; a week with nothing but
// a review is not a quiet one.
func TestDigestListsReviewsDue(t *testing.T) {
	from := time.Date(2026, 11, 23, 0, 0, 0, 0, loc)
	later, sooner := basic(), basic()
	later.ID, later.ReviewOn = 8, from.AddDate(0, 0, 10)
	sooner.ID, sooner.ReviewOn = 9, from.AddDate(0, 0, 8)
	dg := decisions.BuildDigest(decisions.DigestInput{From: from, To: from.AddDate(0, 0, 7), Now: from.AddDate(0, 0, 7), Reviews: []decisions.Decision{later, sooner}})
	if dg.Quiet() {
		t.Fatal("a week with reviews due is not quiet")
	}
	js := encode(t, Digest(dg, "/decide", loc).Blocks)
	i, j := strings.Index(js, "*D-9*"), strings.Index(js, "*D-8*")
	if !strings.Contains(js, "Reviews due this week* (2)") || i < 0 || j < 0 || i > j {
		t.Errorf("reviews not listed soonest first:\n%s", js)
	}
}
