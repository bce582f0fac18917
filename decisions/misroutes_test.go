package decisions

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSuggest(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	domains := []Domain{
		{Name: "finance", Keywords: []string{"budget", "forecast"}},
		{Name: "finance/billing", Aliases: []string{"invoices"}},
		{Name: "product/pricing", Keywords: []string{"pricing"}},
	}
	declined := func(id ID, title, now, from, reason string) Decision {
		return Decision{ID: id, Title: title, Domain: now, Misroutes: []Misroute{{At: at, From: from, FromReason: reason, To: now, Declined: true}}}
	}
	if s := Suggest(nil, domains); s.Misroutes != 0 || len(s.AddKeywords) != 0 || !strings.Contains(s.YAML(), "No misroutes yet") {
		t.Errorf("no misroutes: %+v\n%s", s, s.YAML())
	}
	ds := []Decision{
		{ID: 1, Title: "Invoice layout budget", Domain: "finance"}, // never misrouted: not counted
		declined(3, "New invoice layout budget", "finance/billing", "finance", `keyword "budget" matched finance`),
		declined(9, "Invoice reminders for the budget", "finance/billing", "finance", `keyword "budget" matched finance; alice is away`),
		declined(12, "Invoice numbering 2027", "finance/billing", "product/pricing", "#pricing tag matched domain product/pricing"),
		{ID: 40, Title: "Pricing of invoices yes", Domain: "finance/billing",
			Misroutes: []Misroute{{At: at, From: "product/pricing", To: "finance/billing"}}}, // a retagging edit
		{ID: 41, Title: "Invoice font", Domain: "finance", // handed to a colleague in the same domain: not a misroute of the rules
			Misroutes: []Misroute{{At: at, From: "finance", FromReason: `keyword "budget" matched finance`, To: "finance", Declined: true}}},
	}
	s := Suggest(ds, domains)
	if s.Misroutes != 4 {
		t.Errorf("misroutes = %d, want 4", s.Misroutes)
	}
	if len(s.AddKeywords) == 0 || (s.AddKeywords[0].Keyword != "invoice" || s.AddKeywords[0].Domain != "finance/billing" ||
		!slices.Equal(s.AddKeywords[0].Decisions, []ID{3, 9, 12, 40}) || s.AddKeywords[0].Count != 4) {
		t.Fatalf("first suggestion = %+v", s.AddKeywords)
	}
	for _, k := range s.AddKeywords {
		if k.Keyword == "budget" || k.Keyword == "pricing" || k.Keyword == "the" || k.Keyword == "2027" || k.Keyword == "for" {
			t.Errorf("suggested %q, which a rule covers or which is not a word", k.Keyword)
		}
	}
	if len(s.BadKeywords) != 1 || s.BadKeywords[0].Keyword != "budget" || s.BadKeywords[0].Domain != "finance" || s.BadKeywords[0].Count != 2 {
		t.Errorf("bad keywords = %+v", s.BadKeywords)
	}
	y := s.YAML()
	for _, want := range []string{
		"# Suggested from 4 misroutes.",
		"- name: finance/billing\n  match:\n    keywords:\n      - invoice   # add keyword `invoice` to finance/billing — 4 misroutes: D-3, D-9, D-12, D-40",
		"#   `budget` sent 2 decisions to finance that finance declined: D-3, D-9",
	} {
		if !strings.Contains(y, want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
}

// Among many misroutes, only words that recur in a real share of a
// domain's misrouted titles are suggested: not dates, versions or
// amounts, not words of deciding, not a word two titles of forty share.
func TestSuggestIgnoresNoise(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	domains := []Domain{{Name: "finance"}, {Name: "legal"}}
	var ds []Decision
	add := func(n int, title string) {
		for range n {
			ds = append(ds, Decision{ID: ID(len(ds) + 1), Title: title, Domain: "legal",
				Misroutes: []Misroute{{At: at, From: "finance", To: "legal", Declined: true}}})
		}
	}
	add(10, "Contract clause review for Q3 2027")
	add(2, "Vendor decision v2 by friday")
	add(28, "Proposal about 10k tomorrow")
	s := Suggest(ds, domains)
	var got []string
	for _, k := range s.AddKeywords {
		got = append(got, k.Keyword)
	}
	// "contract" and "clause" are in 10 of 40 (25%); "vendor" in 2 (5%).
	if want := []string{"clause", "contract"}; !slices.Equal(got, want) {
		t.Errorf("suggested %q, want %q", got, want)
	}
}
