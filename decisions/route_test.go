package decisions

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var routeTestNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// routeTestDomains is a small company's decision rights, in config order.
func routeTestDomains() []Domain {
	return []Domain{
		{Name: "company", Owners: []string{"U0CEO0001"}, Keywords: []string{"strategy"}},
		{Name: "product", Owners: []string{"U0PM00001"}, Keywords: []string{"roadmap"}, Channels: []string{"C0PRODUCT1", "C0PRICING1"}},
		{
			Name:     "product/pricing",
			Owners:   []string{"U0ALICE01", "U0BOB0001"},
			Advisors: []string{"U0FIN0001", "U0BOB0001"},
			Informed: []string{"C0FINANCE1"},
			Aliases:  []string{"PP", "#prices"},
			Keywords: []string{"price change", "discount"},
			Channels: []string{"C0PRICING1", "C0SHARED01"},
			Assign:   AssignAll,
		},
		{Name: "sales/pricing", Owners: []string{"U0SALES01"}, Keywords: []string{"discount", "quote"}, Channels: []string{"C0SHARED01"}},
		{Name: "engineering", Owners: []string{"U0ENG0001"}, Keywords: []string{"ops", "e-commerce", "Release Train", "R&D"}, Channels: []string{"C0ENGINE01"}},
		{Name: "engineering/infra", Owners: []string{"U0INF0001", "U0INF0002"}, Keywords: []string{"outage", "ops"}, Assign: AssignRoundRobin},
		{Name: "engineering/infra/db", Keywords: []string{"schema migration"}},
		{Name: "people/hiring", Owners: []string{"U0HR00001", "U0HR00002", "U0HR00003"}, Keywords: []string{"hiring plan"}, Assign: AssignLeastLoaded},
		{Name: "facilities", Owners: []string{"U0FAC0001"}, Keywords: []string{"café", "Straße"}},
	}
}

func routeTestRouter(t testing.TB, def string) *Router {
	t.Helper()
	r, err := NewRouter(routeTestDomains(), def)
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	return r
}

func TestRoutePrecedence(t *testing.T) {
	r := routeTestRouter(t, "company")
	tests := []struct {
		name     string
		req      Request
		domain   string
		level    MatchLevel
		deciders []string
		reason   []string // substrings the reason must hold
	}{
		{
			name:   "tag beats channel and keyword",
			req:    Request{Text: "#hiring plan to raise every price change", Channel: "C0PRICING1"},
			domain: "people/hiring", level: MatchTag,
			reason: []string{"#hiring tag matched domain people/hiring"},
		},
		{
			name:   "channel beats keyword",
			req:    Request{Text: "outage review", Channel: "C0PRICING1"},
			domain: "product/pricing", level: MatchChannel,
			reason: []string{"channel C0PRICING1 is routed to product/pricing"},
		},
		{
			name:   "keyword beats default",
			req:    Request{Text: "a new schema migration", Channel: "C0UNKNOWN1"},
			domain: "engineering/infra/db", level: MatchKeyword,
			reason: []string{`keyword "schema migration" matched engineering/infra/db`},
		},
		{
			name:   "default when nothing matches",
			req:    Request{Text: "what's for lunch?", Channel: "C0UNKNOWN1"},
			domain: "company", level: MatchDefault, deciders: []string{"U0CEO0001"},
			reason: []string{"no rule matched; default domain company"},
		},
		{
			name:   "empty request goes to the default",
			req:    Request{},
			domain: "company", level: MatchDefault,
		},
		{
			name:   "full-name tag",
			req:    Request{Text: "Raise prices #product/pricing"},
			domain: "product/pricing", level: MatchTag,
			reason: []string{"#product/pricing tag matched domain product/pricing"},
		},
		{
			name:   "alias, any case",
			req:    Request{Text: "#PP: raise prices"},
			domain: "product/pricing", level: MatchTag,
			reason: []string{"#pp tag matched domain product/pricing"},
		},
		{
			name:   "alias configured with a leading #",
			req:    Request{Text: "#prices up"},
			domain: "product/pricing", level: MatchTag,
		},
		{
			name:   "child tag beats parent tag",
			req:    Request{Text: "#product #pricing"},
			domain: "product/pricing", level: MatchTag,
		},
		{
			name:   "ambiguous last segment goes to the first in config, and says so",
			req:    Request{Text: "#pricing discount for ACME"},
			domain: "product/pricing", level: MatchTag,
			reason: []string{"#pricing tag matched domain product/pricing", "sales/pricing also ends in /pricing"},
		},
		{
			name:   "equal depth tags: config order",
			req:    Request{Text: "#sales/pricing #product/pricing"},
			domain: "product/pricing", level: MatchTag,
		},
		{
			name:   "tags from the request",
			req:    Request{Text: "raise the discount", Tags: []string{" #People/Hiring "}},
			domain: "people/hiring", level: MatchTag,
		},
		{
			name:   "unknown tag is ignored and mentioned",
			req:    Request{Text: "#nope bigger discount"},
			domain: "product/pricing", level: MatchKeyword,
			reason: []string{`keyword "discount" matched product/pricing`, "unknown tag #nope ignored"},
		},
		{
			name:   "unknown tags are summarized",
			req:    Request{Text: "#a1 #b2 #c3 #d4 #e5 #infra"},
			domain: "engineering/infra", level: MatchTag,
			reason: []string{"unknown tags #a1, #b2, #c3 and 2 more ignored"},
		},
		{
			name:   "deeper channel rule wins",
			req:    Request{Channel: "C0PRICING1"},
			domain: "product/pricing", level: MatchChannel,
		},
		{
			name:   "shared channel at equal depth: config order",
			req:    Request{Channel: "C0SHARED01"},
			domain: "product/pricing", level: MatchChannel,
		},
		{
			name:   "parent channel",
			req:    Request{Channel: "C0PRODUCT1", Text: "discount"},
			domain: "product", level: MatchChannel,
		},
		{
			name:   "single keyword",
			req:    Request{Text: "Our long-term strategy"},
			domain: "company", level: MatchKeyword,
			reason: []string{`keyword "strategy" matched company`},
		},
		{
			name:   "deeper keyword wins",
			req:    Request{Text: "roadmap for ops"},
			domain: "engineering/infra", level: MatchKeyword,
		},
		{
			name:   "keyword at equal depth: config order",
			req:    Request{Text: "quote with a discount"},
			domain: "product/pricing", level: MatchKeyword,
		},
		{
			name:   "whole words only",
			req:    Request{Text: "shops and opsec and discounts"},
			domain: "company", level: MatchDefault,
		},
		{
			name:   "phrase across a run of whitespace, any case",
			req:    Request{Text: "Big PRICE \n\t Change!"},
			domain: "product/pricing", level: MatchKeyword,
			reason: []string{`keyword "price change" matched product/pricing`},
		},
		{
			name:   "phrase does not span punctuation",
			req:    Request{Text: "the price, change it"},
			domain: "company", level: MatchDefault,
		},
		{
			name:   "phrase needs all its words",
			req:    Request{Text: "the price"},
			domain: "company", level: MatchDefault,
		},
		{
			name:   "configured phrase case does not matter",
			req:    Request{Text: "next release train"},
			domain: "engineering", level: MatchKeyword,
		},
		{
			name:   "punctuation inside a keyword must be there",
			req:    Request{Text: "e-commerce relaunch"},
			domain: "engineering", level: MatchKeyword,
		},
		{
			name:   "punctuation inside a keyword: words alone do not match",
			req:    Request{Text: "e commerce relaunch"},
			domain: "company", level: MatchDefault,
		},
		{
			name:   "keyword with punctuation, as Slack escapes it",
			req:    Request{Text: "more r&amp;d budget"},
			domain: "engineering", level: MatchKeyword,
			reason: []string{`keyword "R&D" matched engineering`},
		},
		{
			name:   "keyword with punctuation, unescaped",
			req:    Request{Text: "more R&D budget"},
			domain: "engineering", level: MatchKeyword,
		},
		{
			name:   "unicode keyword, case-insensitive",
			req:    Request{Text: "Open a CAFÉ on floor 2"},
			domain: "facilities", level: MatchKeyword,
		},
		{
			name:   "unicode keyword is a whole word",
			req:    Request{Text: "caféteria"},
			domain: "company", level: MatchDefault,
		},
		{
			name:   "keyword in a tag-like word still counts once the tag is unknown",
			req:    Request{Text: "#outage"},
			domain: "engineering/infra", level: MatchKeyword,
			reason: []string{"unknown tag #outage ignored"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Now = routeTestNow
			got := r.Route(tt.req)
			if got.Domain != tt.domain || got.Level != tt.level {
				t.Fatalf("Route(%q, channel %q) = %s at level %s (%q), want %s at level %s",
					tt.req.Text, tt.req.Channel, got.Domain, got.Level, got.Reason, tt.domain, tt.level)
			}
			if tt.deciders != nil && !slices.Equal(got.Deciders, tt.deciders) {
				t.Errorf("deciders = %v, want %v", got.Deciders, tt.deciders)
			}
			for _, want := range tt.reason {
				if !strings.Contains(got.Reason, want) {
					t.Errorf("reason %q does not mention %q", got.Reason, want)
				}
			}
			if got.Candidates != nil {
				t.Errorf("a matched route lists candidates %v", got.Candidates)
			}
		})
	}
}

func TestRouteNoMatchAsksToPick(t *testing.T) {
	r := routeTestRouter(t, "")
	got := r.Route(Request{Text: "#nope what's for lunch", Now: routeTestNow})
	if got.Matched() || got.Level != MatchNone {
		t.Fatalf("Route = %+v, want no match", got)
	}
	var want []string
	for _, d := range routeTestDomains() {
		want = append(want, d.Name)
	}
	if !slices.Equal(got.Candidates, want) {
		t.Errorf("candidates = %v, want %v", got.Candidates, want)
	}
	for _, s := range []string{"no rule matched", "pick a domain with a #tag", "#nope"} {
		if !strings.Contains(got.Reason, s) {
			t.Errorf("reason %q does not mention %q", got.Reason, s)
		}
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"deciders":[]`) || !strings.Contains(string(b), `"advisors":[]`) || !strings.Contains(string(b), `"informed":[]`) {
		t.Errorf("JSON %s should show empty lists, not null", b)
	}
	got.Candidates[0] = "changed"
	if again := r.Route(Request{Text: "lunch"}); again.Candidates[0] != "company" {
		t.Errorf("changing returned candidates changed the router: %v", again.Candidates)
	}
}

func TestRouteAdvisorsAndInformed(t *testing.T) {
	r := routeTestRouter(t, "company")
	got := r.Route(Request{Text: "#pricing", Proposer: "U0FIN0001", Now: routeTestNow})
	if !slices.Equal(got.Advisors, []string{"U0BOB0001"}) {
		t.Errorf("advisors = %v, want the proposer left out", got.Advisors)
	}
	if !slices.Equal(got.Informed, []string{"C0FINANCE1"}) {
		t.Errorf("informed = %v", got.Informed)
	}
	// The proposer, if an owner, still decides alongside the others.
	got = r.Route(Request{Text: "#pricing", Proposer: "U0ALICE01", Now: routeTestNow})
	if !slices.Equal(got.Deciders, []string{"U0ALICE01", "U0BOB0001"}) {
		t.Errorf("deciders = %v, want both owners", got.Deciders)
	}
	got = r.Route(Request{Text: "strategy", Now: routeTestNow})
	b, _ := json.Marshal(got)
	if !strings.Contains(string(b), `"advisors":[]`) || !strings.Contains(string(b), `"informed":[]`) {
		t.Errorf("JSON %s should show empty lists, not null", b)
	}
}

func TestRoutePresence(t *testing.T) {
	r := routeTestRouter(t, "company")
	until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	away := func(delegate string) Presence { return Presence{AwayUntil: until, Delegate: delegate} }
	tests := []struct {
		name        string
		text        string
		presence    map[string]Presence
		proposer    string
		domain      string
		deciders    []string
		owners      []string // nil: the deciders
		escalations int
		reason      []string
	}{
		{
			name:     "everyone in",
			text:     "#pricing",
			deciders: []string{"U0ALICE01", "U0BOB0001"},
		},
		// Delegation is resolved when someone acts: the away owner stays
		// a decider and keeps the right; the reason says who acts for her.
		{
			name:     "away with a delegate: the owner stays, the delegate acts for her",
			text:     "#product/pricing",
			presence: map[string]Presence{"U0ALICE01": away("U0CAROL01")},
			deciders: []string{"U0ALICE01", "U0BOB0001"},
			reason:   []string{"#product/pricing tag matched domain product/pricing; U0ALICE01 is away until 2026-12-01; U0CAROL01 acts for them"},
		},
		{
			name:     "delegate who is already an owner",
			text:     "#pricing",
			presence: map[string]Presence{"U0ALICE01": away("U0BOB0001")},
			deciders: []string{"U0ALICE01", "U0BOB0001"},
			reason:   []string{"U0ALICE01 is away until 2026-12-01; U0BOB0001 acts for them"},
		},
		{
			name:     "a chain of delegates",
			text:     "#pricing",
			presence: map[string]Presence{"U0ALICE01": away("U0CAROL01"), "U0CAROL01": away("U0DAVE001")},
			deciders: []string{"U0ALICE01", "U0BOB0001"},
			reason:   []string{"U0ALICE01 is away until 2026-12-01; U0DAVE001 acts for them"},
		},
		{
			name:     "a loop of delegates acts for nobody",
			text:     "#pricing",
			presence: map[string]Presence{"U0ALICE01": away("U0CAROL01"), "U0CAROL01": away("U0ALICE01")},
			deciders: []string{"U0ALICE01", "U0BOB0001"},
			reason:   []string{"their delegate U0CAROL01 cannot act for them"},
		},
		{
			name:     "away without a delegate: still an owner, for when she is back",
			text:     "#pricing",
			presence: map[string]Presence{"U0ALICE01": away("")},
			deciders: []string{"U0ALICE01", "U0BOB0001"},
			reason:   []string{"U0ALICE01 is away until 2026-12-01 with no delegate"},
		},
		{
			name:     "back already",
			text:     "#pricing",
			presence: map[string]Presence{"U0ALICE01": {AwayUntil: routeTestNow.Add(-time.Hour), Delegate: "U0CAROL01"}},
			deciders: []string{"U0ALICE01", "U0BOB0001"},
		},
		{
			name:     "deactivated",
			text:     "#pricing",
			presence: map[string]Presence{"U0BOB0001": {Deactivated: true}},
			deciders: []string{"U0ALICE01"},
			reason:   []string{"U0BOB0001 is deactivated"},
		},
		{
			name:     "delegate unavailable too",
			text:     "#pricing",
			presence: map[string]Presence{"U0ALICE01": away("U0CAROL01"), "U0CAROL01": {Deactivated: true}},
			deciders: []string{"U0ALICE01", "U0BOB0001"},
			reason:   []string{"their delegate U0CAROL01 cannot act for them"},
		},
		{
			name:        "all owners away: it climbs one level, the owners keep their right",
			text:        "#pricing",
			presence:    map[string]Presence{"U0ALICE01": away(""), "U0BOB0001": {Deactivated: true}},
			domain:      "product/pricing",
			deciders:    []string{"U0ALICE01", "U0PM00001"},
			owners:      []string{"U0ALICE01"},
			escalations: 1,
			reason:      []string{"no owner of product/pricing can act now, so it goes one level up to the owners of product"},
		},
		{
			name:     "a delegate who is the proposer does not act on his own proposal",
			text:     "#pricing",
			proposer: "U0CAROL01",
			presence: map[string]Presence{"U0ALICE01": away("U0CAROL01"), "U0BOB0001": away("U0CAROL01")},
			domain:   "product/pricing",
			deciders: []string{"U0ALICE01", "U0BOB0001", "U0PM00001"}, owners: []string{"U0ALICE01", "U0BOB0001"}, escalations: 1,
			reason: []string{"goes one level up to the owners of product"},
		},
		{
			name:     "nobody at any level: refused, naming who to ask",
			text:     "#pricing",
			presence: map[string]Presence{"U0ALICE01": away(""), "U0BOB0001": away(""), "U0PM00001": {Deactivated: true}},
			domain:   "product/pricing",
			deciders: []string{},
			reason:   []string{"nobody can decide", "ask U0ALICE01 (back 2026-12-01), U0BOB0001 (back 2026-12-01)"},
		},
		{
			name:     "no ancestor at all",
			text:     "#company",
			presence: map[string]Presence{"U0CEO0001": away("")},
			deciders: []string{},
			reason:   []string{"nobody can decide: no owner of company can act now and nobody above it can either; ask U0CEO0001 (back 2026-12-01)"},
		},
		{
			name:     "a domain without owners is held by its parent's, under the parent's policy",
			text:     "#db",
			domain:   "engineering/infra/db",
			deciders: []string{"U0INF0001"}, // round robin in engineering/infra, Seq 0
			reason:   []string{"engineering/infra/db has no owners, so the owners of engineering/infra hold it; round robin picked U0INF0001"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Route(Request{Text: tt.text, Now: routeTestNow, Presence: tt.presence, Proposer: tt.proposer})
			if tt.domain != "" && got.Domain != tt.domain {
				t.Errorf("domain = %s, want %s", got.Domain, tt.domain)
			}
			wantOwners := tt.owners
			if wantOwners == nil {
				wantOwners = tt.deciders
			}
			if !slices.Equal(got.Owners, wantOwners) || got.Escalations != tt.escalations {
				t.Errorf("owners = %v (escalations %d), want %v (%d)", got.Owners, got.Escalations, wantOwners, tt.escalations)
			}
			if got.Deciders == nil || !slices.Equal(got.Deciders, tt.deciders) {
				t.Errorf("deciders = %#v, want %v (reason %q)", got.Deciders, tt.deciders, got.Reason)
			}
			for _, want := range tt.reason {
				if !strings.Contains(got.Reason, want) {
					t.Errorf("reason %q does not mention %q", got.Reason, want)
				}
			}
		})
	}
}

func TestRouteAssignPolicies(t *testing.T) {
	r := routeTestRouter(t, "company")
	for seq, want := range map[uint64]string{0: "U0INF0001", 1: "U0INF0002", 2: "U0INF0001", 7: "U0INF0002"} {
		got := r.Route(Request{Text: "#infra", Seq: seq, Now: routeTestNow})
		if !slices.Equal(got.Deciders, []string{want}) || !strings.Contains(got.Reason, "round robin picked "+want) {
			t.Errorf("round robin, seq %d: deciders %v (%q), want %s", seq, got.Deciders, got.Reason, want)
		}
	}
	// Round robin picks among those available.
	got := r.Route(Request{Text: "#infra", Seq: 0, Now: routeTestNow,
		Presence: map[string]Presence{"U0INF0001": {Deactivated: true}}})
	if !slices.Equal(got.Deciders, []string{"U0INF0002"}) {
		t.Errorf("round robin with one owner out: %v", got.Deciders)
	}

	loads := []struct {
		load map[string]int
		want string
	}{
		{nil, "U0HR00001"},
		{map[string]int{"U0HR00001": 3, "U0HR00002": 1, "U0HR00003": 1}, "U0HR00002"},
		{map[string]int{"U0HR00001": 3, "U0HR00002": 2, "U0HR00003": 0}, "U0HR00003"},
	}
	for _, tt := range loads {
		got := r.Route(Request{Text: "#hiring", Load: tt.load, Now: routeTestNow})
		if !slices.Equal(got.Deciders, []string{tt.want}) || !strings.Contains(got.Reason, tt.want+" has the fewest open decisions") {
			t.Errorf("least loaded with %v: deciders %v (%q), want %s", tt.load, got.Deciders, got.Reason, tt.want)
		}
	}
}

func TestAssigneesForEscalation(t *testing.T) {
	r := routeTestRouter(t, "company")
	parent, ok := r.Parent("product/pricing")
	if !ok {
		t.Fatal("product/pricing has no parent")
	}
	deciders, notes := r.Assignees(parent, Request{Now: routeTestNow})
	if !slices.Equal(deciders, []string{"U0PM00001"}) || len(notes) != 0 {
		t.Errorf("Assignees(product) = %v, %v", deciders, notes)
	}
	deciders, _ = r.Assignees(Domain{Name: "x"}, Request{})
	if deciders == nil || len(deciders) != 0 {
		t.Errorf("Assignees of an ownerless domain = %#v, want empty", deciders)
	}
}

func TestRouterLookup(t *testing.T) {
	r := routeTestRouter(t, "company")
	for tag, want := range map[string]string{
		"product/pricing":  "product/pricing",
		"#Product/Pricing": "product/pricing",
		"pricing":          "product/pricing",
		"pp":               "product/pricing",
		"prices":           "product/pricing",
		"infra":            "engineering/infra",
		"db":               "engineering/infra/db",
		"company":          "company",
		"hiring":           "people/hiring",
		"nope":             "",
		"":                 "",
		"#":                "",
		"people":           "", // a path prefix that is not configured is no domain
	} {
		d, ok := r.Lookup(tag)
		if ok != (want != "") || d.Name != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", tag, d.Name, ok, want)
		}
	}
}

func TestRouterLookupAliasBeatsSegment(t *testing.T) {
	r, err := NewRouter([]Domain{
		{Name: "product/pricing"},
		{Name: "finance", Aliases: []string{"pricing"}},
		{Name: "hiring"},
		{Name: "people/hiring"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := r.Lookup("pricing"); d.Name != "finance" {
		t.Errorf("Lookup(pricing) = %q, want the alias's domain", d.Name)
	}
	if d, _ := r.Lookup("hiring"); d.Name != "hiring" {
		t.Errorf("Lookup(hiring) = %q, want the domain with that exact name", d.Name)
	}
}

func TestRouterParentDomainAndDomains(t *testing.T) {
	r := routeTestRouter(t, "company")
	for name, want := range map[string]string{
		"product/pricing":      "product",
		"Product/Pricing/EU/x": "product/pricing",
		"engineering/infra/db": "engineering/infra",
		"sales/pricing":        "",
		"company":              "",
		"":                     "",
	} {
		d, ok := r.Parent(name)
		if ok != (want != "") || d.Name != want {
			t.Errorf("Parent(%q) = %q, %v; want %q", name, d.Name, ok, want)
		}
	}
	if d, ok := r.Domain("PEOPLE/hiring"); !ok || d.Name != "people/hiring" || d.Assign != AssignLeastLoaded {
		t.Errorf("Domain(PEOPLE/hiring) = %+v, %v", d, ok)
	}
	if _, ok := r.Domain("hiring"); ok {
		t.Error("Domain takes full names only")
	}
	var names []string
	for _, d := range r.Domains() {
		names = append(names, d.Name)
	}
	var want []string
	for _, d := range routeTestDomains() {
		want = append(want, d.Name)
	}
	if !slices.Equal(names, want) {
		t.Errorf("Domains() = %v, want config order %v", names, want)
	}

	// Neither the caller's config nor returned domains can change the router.
	in := routeTestDomains()
	r, _ = NewRouter(in, "company")
	in[2].Owners[0] = "U0MALLORY"
	d, _ := r.Domain("product/pricing")
	d.Owners[1] = "U0MALLORY"
	r.Domains()[2].Owners[0] = "U0MALLORY"
	if got := r.Route(Request{Text: "#pricing"}); !slices.Equal(got.Deciders, []string{"U0ALICE01", "U0BOB0001"}) {
		t.Errorf("router changed through shared slices: %v", got.Deciders)
	}
}

func TestNewRouterErrors(t *testing.T) {
	tests := []struct {
		name    string
		domains []Domain
		def     string
		field   string
		msg     string
	}{
		{"duplicate name", []Domain{{Name: "product"}, {Name: "Product"}}, "", "domains[1].name", "already defined"},
		{"empty name", []Domain{{Name: ""}}, "", "domains[0].name", "empty"},
		{"empty segment", []Domain{{Name: "product//pricing"}}, "", "domains[0].name", "empty part"},
		{"trailing slash", []Domain{{Name: "product/"}}, "", "domains[0].name", "empty part"},
		{"space in name", []Domain{{Name: "product pricing"}}, "", "domains[0].name", "whitespace"},
		{"alias is another name", []Domain{{Name: "product"}, {Name: "finance", Aliases: []string{"x", "Product"}}}, "", "domains[1].aliases[1]", "is the name of domain"},
		{"alias used twice", []Domain{{Name: "a", Aliases: []string{"x"}}, {Name: "b", Aliases: []string{"#X"}}}, "", "domains[1].aliases[0]", "already an alias"},
		{"empty alias", []Domain{{Name: "a", Aliases: []string{" "}}}, "", "domains[0].aliases[0]", "empty"},
		{"keyword without words", []Domain{{Name: "a", Keywords: []string{"ok", "!!!"}}}, "", "domains[0].keywords[1]", "no letters or digits"},
		{"keyword ending in punctuation", []Domain{{Name: "a", Keywords: []string{"c++"}}}, "", "domains[0].keywords[0]", "punctuation"},
		{"empty channel", []Domain{{Name: "a", Channels: []string{""}}}, "", "domains[0].channels[0]", "empty"},
		{"unknown default", []Domain{{Name: "a"}}, "b", "default_domain", `"b" is not one of the configured domains`},
		{"default by alias is not enough", []Domain{{Name: "a", Aliases: []string{"b"}}}, "b", "default_domain", "not one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRouter(tt.domains, tt.def)
			var ce *RouteConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("NewRouter error = %v, want a RouteConfigError", err)
			}
			if ce.Field != tt.field || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %q (field %s), want field %s mentioning %q", err, ce.Field, tt.field, tt.msg)
			}
		})
	}
	// Allowed: an alias spelling the domain's own name, the same alias
	// twice on one domain, a shared last segment, a shared channel.
	if _, err := NewRouter([]Domain{
		{Name: "product/pricing", Aliases: []string{"Product/Pricing", "pp", "pp"}, Channels: []string{"C1", "C1"}},
		{Name: "sales/pricing", Channels: []string{"C1"}},
	}, "#sales/pricing"); err != nil {
		t.Errorf("NewRouter: %v", err)
	}
	if r, err := NewRouter(nil, ""); err != nil || r.Route(Request{Text: "x"}).Level != MatchNone {
		t.Errorf("empty router: %v", err)
	}
}

func TestParseTags(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"#product/pricing and #pricing", []string{"product/pricing", "pricing"}},
		{"#Pricing then #pricing again", []string{"pricing"}},
		{"#b #a #b", []string{"b", "a"}},
		{"#", nil},
		{"# heading", nil},
		{"## heading", nil},
		{"C# code", nil},
		{"a#b", nil},
		{"see <#C0123ABCD|pricing> and <#C0123ABCD>", nil},
		{"<#C0123ABCD|general> #ops", []string{"ops"}},
		{"http://x/#a", nil},
		{"https://example.com/page#section", nil},
		{"https://example.com/(#frag) #ok", []string{"ok"}},
		{"<https://example.com/#a|docs #b> #c", []string{"c"}},
		{"<mailto:a@b.c|#x>", nil},
		{"<@U0ALICE01> #pricing", []string{"pricing"}},
		{"(#pricing), [#ops]", []string{"pricing", "ops"}},
		{"end with #pricing.", []string{"pricing"}},
		{"#product/pricing/ and #ops-", []string{"product/pricing", "ops"}},
		{"*#pricing* _#ops_ ~#hr~", []string{"pricing", "ops", "hr"}},
		{"fixes #42 and #123, see #q3-plan", []string{"q3-plan"}},
		{"#v1.2 release", []string{"v1.2"}},
		{"#Café #ÉQUIPE", []string{"café", "équipe"}},
		{"#-x #/y #.z #_w", nil},
		{"&#39;quoted&#39;", nil},
		{"\"#quoted\" '#single'", []string{"quoted", "single"}},
		{"line\n#pricing\t#ops", []string{"pricing", "ops"}},
		{"#pricing's owners", []string{"pricing"}},
		{"#a<#b", []string{"a"}},
		{"<#unterminated #ok", []string{"ok"}},
	}
	for _, tt := range tests {
		if got := ParseTags(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("ParseTags(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestRouteNeverPanicsOnHostileInput(t *testing.T) {
	r := routeTestRouter(t, "")
	many := make([]string, 500)
	for i := range many {
		many[i] = fmt.Sprintf("#tag%d", i)
	}
	big := strings.Repeat("price change #ops shops ", 1<<20/24)
	for name, req := range map[string]Request{
		"empty":         {},
		"1 MB":          {Text: big},
		"1 MB of #":     {Text: strings.Repeat("#", 1<<20)},
		"1 MB tag":      {Text: "#" + strings.Repeat("a", 1<<20)},
		"1 MB of <#":    {Text: strings.Repeat("<#(#", 1<<18)},
		"control chars": {Text: "\x00\x01#ops\x7f\x1b[31m price\x00change", Channel: "\x00"},
		"invalid utf-8": {Text: "\xff\xfe#\xc3 price \xe2\x82 change #caf\xc3", Tags: []string{"\xff"}},
		"500 tags":      {Text: strings.Join(many, " "), Tags: many},
	} {
		t.Run(name, func(t *testing.T) {
			got := r.Route(req)
			if got.Reason == "" {
				t.Error("empty reason")
			}
			if len(got.Reason) > 2000 {
				t.Errorf("reason is %d bytes long", len(got.Reason))
			}
		})
	}
}

// TestRouteAgreesWithLinear checks the index against the naive reference
// the benchmark compares it with, on random configs and texts.
func TestRouteAgreesWithLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"}
	for round := range 200 {
		var domains []Domain
		for i := range 1 + rng.IntN(12) {
			name := fmt.Sprintf("d%d", rng.IntN(3))
			for range rng.IntN(3) {
				name += fmt.Sprintf("/d%d", rng.IntN(3))
			}
			name += fmt.Sprintf("-%d", i)
			d := Domain{Name: name, Owners: []string{"U1"}}
			for range rng.IntN(4) {
				kw := words[rng.IntN(len(words))]
				if rng.IntN(2) == 0 {
					kw += " " + words[rng.IntN(len(words))]
				}
				if rng.IntN(3) == 0 {
					kw = strings.ToUpper(kw)
				}
				d.Keywords = append(d.Keywords, kw)
			}
			domains = append(domains, d)
		}
		r, err := NewRouter(domains, "")
		if err != nil {
			t.Fatal(err)
		}
		lin := newRouteLinear(domains)
		for range 20 {
			var b strings.Builder
			for range rng.IntN(10) {
				b.WriteString(words[rng.IntN(len(words))])
				b.WriteString([]string{" ", "  ", "\n", ", ", ". ", "x "}[rng.IntN(6)])
			}
			text := b.String()
			got := r.Route(Request{Text: text}).Domain
			if want := lin.route(text); got != want {
				t.Fatalf("round %d: Route(%q) = %q, linear says %q; domains %+v", round, text, got, want, domains)
			}
		}
	}
}

// A proposal skips reading the load unless some domain assigns by it.
func TestRouterUsesLoad(t *testing.T) {
	plain, err := NewRouter([]Domain{{Name: "ops", Owners: []string{"U1", "U2"}, Assign: AssignRoundRobin}}, "")
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := NewRouter([]Domain{{Name: "ops", Owners: []string{"U1"}}, {Name: "ops/infra", Owners: []string{"U1", "U2"}, Assign: AssignLeastLoaded}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if plain.UsesLoad() || !loaded.UsesLoad() {
		t.Errorf("UsesLoad: round robin only %v, with least_loaded %v", plain.UsesLoad(), loaded.UsesLoad())
	}
}
