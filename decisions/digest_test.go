package decisions

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

func dgAt(day, hour int) time.Time { return time.Date(2026, 11, day, hour, 0, 0, 0, time.UTC) }

type dgOpt func(*Decision)

func dgDecision(id ID, domain string, status Status, created time.Time, opts ...dgOpt) Decision {
	d := Decision{ID: id, Domain: domain, Status: status, CreatedAt: created, Deciders: []string{"UALICE"},
		History: []Event{{At: created, Kind: EventProposed, Actor: "UCAROL"}}}
	for _, o := range opts {
		o(&d)
	}
	return d
}

func dgDecided(at time.Time) dgOpt { return func(d *Decision) { d.DecidedAt = at } }
func dgEsc(n int) dgOpt            { return func(d *Decision) { d.Escalations = n } }
func dgDue(at time.Time) dgOpt     { return func(d *Decision) { d.Due = at } }
func dgDeciders(u ...string) dgOpt { return func(d *Decision) { d.Deciders = u } }
func dgEscalatedAt(at time.Time) dgOpt {
	return func(d *Decision) {
		d.History = append(d.History, Event{At: at, Kind: EventEscalated, Actor: SystemActor})
		d.Escalations++
	}
}

func dgIDs(ds []Decision) []ID {
	var ids []ID
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

// TestBuildDigestWeek is one week, W48, with every figure computed by hand
// in the comments.
func TestBuildDigestWeek(t *testing.T) {
	const h = time.Hour
	in := DigestInput{
		From: dgAt(23, 0), To: dgAt(30, 0), Now: dgAt(30, 0),
		Domains: []Domain{
			{Name: "product/pricing", SLA: 72 * h},
			{Name: "product", SLA: 48 * h},
			{Name: "eng/infra"},
			{Name: "people"},
			{Name: "sales"}, // no activity: not shown
		},
		Unreachable: []string{"eng/infra"},
		Decided: []Decision{
			// product/pricing: 72h, 48h (escalated), 6h; one withdrawal.
			dgDecision(4, "product/pricing", StatusApproved, dgAt(24, 0), dgDecided(dgAt(24, 6))),
			dgDecision(2, "product/pricing", StatusRejected, dgAt(22, 12), dgDecided(dgAt(24, 12)), dgEsc(1)),
			dgDecision(1, "product/pricing", StatusApproved, dgAt(20, 9), dgDecided(dgAt(23, 9))),
			dgDecision(3, "product/pricing", StatusWithdrawn, dgAt(23, 10), dgDecided(dgAt(23, 11))),
			// eng/infra: 2h, 58h (escalated twice).
			dgDecision(5, "eng/infra", StatusApproved, dgAt(25, 8), dgDecided(dgAt(25, 10))),
			dgDecision(6, "eng/infra", StatusRejected, dgAt(24, 8), dgDecided(dgAt(26, 18)), dgEsc(2)),
			// Domains no longer configured: after the configured ones, by name.
			dgDecision(7, "legal", StatusApproved, dgAt(26, 0), dgDecided(dgAt(27, 0))),
			dgDecision(8, "finance", StatusWithdrawn, dgAt(27, 0), dgDecided(dgAt(28, 0))),
			// Not closed: ignored.
			dgDecision(15, "sales", StatusOpen, dgAt(27, 0)),
		},
		Open: []Decision{
			// Overdue since Saturday 17:00.
			dgDecision(9, "product/pricing", StatusOpen, dgAt(25, 9), dgDue(dgAt(28, 17)), dgDeciders("UALICE", "UBOB")),
			// Climbed to product on Tuesday; product's 48h SLA ran out Thursday: stuck.
			dgDecision(10, "product", StatusOpen, dgAt(20, 9), dgEscalatedAt(dgAt(24, 9)), dgDeciders("UCPO")),
			// Deferred: open, but waiting on nobody.
			dgDecision(11, "product", StatusDeferred, dgAt(18, 9), dgDeciders("UCPO"), func(d *Decision) { d.DeferredUntil = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC) }),
			// Escalated twice and overdue: stuck.
			dgDecision(12, "eng/infra", StatusOpen, dgAt(29, 10), dgDue(dgAt(29, 12)), dgEsc(2), dgDeciders("UCTO", "UBOB", "UCTO")),
			dgDecision(13, "people", StatusOpen, dgAt(28, 0)),
			// Closed: ignored.
			dgDecision(14, "product/pricing", StatusApproved, dgAt(21, 0), dgDecided(dgAt(22, 0))),
		},
	}
	got := BuildDigest(in)

	if got.Week != "2026-W48" {
		t.Errorf("Week = %q", got.Week)
	}
	if !got.From.Equal(in.From) || !got.To.Equal(in.To) {
		t.Errorf("From, To = %v, %v", got.From, got.To)
	}
	var names []string
	for _, d := range got.Domains {
		names = append(names, d.Domain)
	}
	if want := []string{"product/pricing", "product", "eng/infra", "people", "finance", "legal"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("domains = %v, want %v", names, want)
	}

	wantStats := map[string]DomainStats{
		// [72h 48h 6h] -> 48h; 2 of 3 without escalation.
		"product/pricing": {Decided: 3, Approved: 2, Rejected: 1, Withdrawn: 1, Open: 1, Overdue: 1, MedianTimeToDecide: 48 * h, WithoutEscalation: 2.0 / 3},
		"product":         {Open: 2},
		// [2h 58h] -> 30h; 1 of 2.
		"eng/infra": {Decided: 2, Approved: 1, Rejected: 1, Open: 1, Overdue: 1, MedianTimeToDecide: 30 * h, WithoutEscalation: 0.5},
		"people":    {Open: 1},
		"finance":   {Withdrawn: 1},
		"legal":     {Decided: 1, Approved: 1, MedianTimeToDecide: 24 * h, WithoutEscalation: 1},
	}
	for _, d := range got.Domains {
		if d.Stats != wantStats[d.Domain] {
			t.Errorf("%s stats =\n  %+v\nwant\n  %+v", d.Domain, d.Stats, wantStats[d.Domain])
		}
	}
	// [2 6 24 48 58 72] -> (24+48)/2 = 36h; D1, D4, D5, D7 never climbed: 4/6.
	wantTotals := DomainStats{Decided: 6, Approved: 4, Rejected: 2, Withdrawn: 2, Open: 5, Overdue: 2, MedianTimeToDecide: 36 * h, WithoutEscalation: 4.0 / 6}
	if got.Totals != wantTotals {
		t.Errorf("totals =\n  %+v\nwant\n  %+v", got.Totals, wantTotals)
	}

	if ids := dgIDs(got.Domains[0].Outcomes); !reflect.DeepEqual(ids, []ID{1, 3, 4, 2}) {
		t.Errorf("pricing outcomes in order %v, want by DecidedAt [1 3 4 2]", ids)
	}
	if ids := dgIDs(got.Open); !reflect.DeepEqual(ids, []ID{11, 10, 9, 13, 12}) {
		t.Errorf("Open = %v, want oldest first [11 10 9 13 12]", ids)
	}
	if ids := dgIDs(got.Overdue); !reflect.DeepEqual(ids, []ID{9, 12}) {
		t.Errorf("Overdue = %v, want [9 12]", ids)
	}
	if ids := dgIDs(got.Stuck); !reflect.DeepEqual(ids, []ID{10, 12}) {
		t.Errorf("Stuck = %v, want [10 12]", ids)
	}
	wantB := []Bottleneck{{"UALICE", 2}, {"UBOB", 2}, {"UCPO", 1}, {"UCTO", 1}}
	if !reflect.DeepEqual(got.Bottlenecks, wantB) {
		t.Errorf("Bottlenecks = %v, want %v", got.Bottlenecks, wantB)
	}
	if !reflect.DeepEqual(got.Unreachable, []string{"eng/infra"}) {
		t.Errorf("Unreachable = %v", got.Unreachable)
	}
	if got.Quiet() {
		t.Error("a busy week is Quiet")
	}
	// The caller's slices are not reordered.
	if in.Decided[0].ID != 4 || in.Open[0].ID != 9 {
		t.Error("BuildDigest reordered its input")
	}
}

func TestBuildDigestEmpty(t *testing.T) {
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	got := BuildDigest(DigestInput{From: from, To: from.AddDate(0, 0, 7), Now: from.AddDate(0, 0, 7), Domains: []Domain{{Name: "product"}}})
	if got.Week != "2026-W53" {
		t.Errorf("Week = %q", got.Week)
	}
	if !got.Quiet() || len(got.Domains) != 0 || got.Totals != (DomainStats{}) {
		t.Errorf("empty week: %+v", got)
	}
	if math.IsNaN(got.Totals.WithoutEscalation) {
		t.Error("NaN")
	}
	// An unreachable domain is worth posting about even in a quiet week.
	if BuildDigest(DigestInput{Unreachable: []string{"people"}}).Quiet() {
		t.Error("a digest with an unreachable domain is Quiet")
	}
}

// Only withdrawals: nothing was decided, so no median and no share.
func TestBuildDigestOnlyWithdrawals(t *testing.T) {
	got := BuildDigest(DigestInput{Decided: []Decision{
		dgDecision(1, "product", StatusWithdrawn, dgAt(23, 0), dgDecided(dgAt(25, 0))),
	}})
	want := DomainStats{Withdrawn: 1}
	if got.Totals != want || got.Domains[0].Stats != want {
		t.Errorf("stats = %+v / %+v, want %+v", got.Totals, got.Domains[0].Stats, want)
	}
}

func TestBuildDigestBottlenecksTop5(t *testing.T) {
	var open []Decision
	load := map[string]int{"UA": 1, "UB": 3, "UC": 2, "UD": 2, "UE": 1, "UF": 4, "UG": 1}
	id := ID(1)
	for u, n := range load {
		for range n {
			open = append(open, dgDecision(id, "product", StatusOpen, dgAt(23, 0), dgDeciders(u)))
			id++
		}
	}
	got := BuildDigest(DigestInput{Open: open, Now: dgAt(30, 0)}).Bottlenecks
	want := []Bottleneck{{"UF", 4}, {"UB", 3}, {"UC", 2}, {"UD", 2}, {"UA", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Bottlenecks = %v, want %v", got, want)
	}
}

func TestMedian(t *testing.T) {
	const h = time.Hour
	tests := []struct {
		in   []time.Duration
		want time.Duration
	}{
		{nil, 0},
		{[]time.Duration{5 * h}, 5 * h},
		{[]time.Duration{9 * h, h}, 5 * h},
		{[]time.Duration{3 * h, h, 2 * h}, 2 * h},
		{[]time.Duration{4 * h, h, 3 * h, 100 * h}, 3*h + 30*time.Minute},
		{[]time.Duration{math.MaxInt64, math.MaxInt64 - 2}, math.MaxInt64 - 1},
	}
	for _, tt := range tests {
		if got := median(tt.in); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// A decision that records being decided before it was created (a clock
// skew between hosts) counts as instant, not negative.
func TestBuildDigestNegativeCycleTime(t *testing.T) {
	got := BuildDigest(DigestInput{Decided: []Decision{
		dgDecision(1, "product", StatusApproved, dgAt(25, 0), dgDecided(dgAt(24, 0))),
	}})
	if got.Totals.MedianTimeToDecide != 0 {
		t.Errorf("median = %v", got.Totals.MedianTimeToDecide)
	}
}

func TestISOWeek(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), "2026-W48"},
		{time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC), "2026-W48"},
		{time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), "2026-W49"},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2026-W53"},
		{time.Date(2024, 12, 30, 0, 0, 0, 0, time.UTC), "2025-W01"},
		{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), "2026-W02"},
		// The week is the one in the time's own zone.
		{time.Date(2026, 11, 30, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-W49"},
	}
	for _, tt := range tests {
		if got := ISOWeek(tt.t); got != tt.want {
			t.Errorf("ISOWeek(%v) = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestApplyCounts(t *testing.T) {
	config := []Domain{{Name: "company"}, {Name: "product"}, {Name: "product/pricing"}}
	dg := Digest{
		Domains:     []DomainDigest{{Domain: "product/pricing", Stats: DomainStats{Decided: 2, Open: 1}}, {Domain: "gone"}},
		Bottlenecks: []Bottleneck{{User: "USAMPLE", Waiting: 9}},
	}
	load := map[string]int{"UA": 3, "UB": 1, "UC": 3, "UD": 2, "UE": 1, "UF": 1, "UG": 5}
	dg.ApplyCounts(map[string]Pending{
		"product/pricing": {Open: 4, Deferred: 1, Overdue: 2},
		"company":         {Open: 1},
	}, load, config)
	var order []string
	for _, dd := range dg.Domains {
		order = append(order, fmt.Sprintf("%s:%d/%d", dd.Domain, dd.Stats.Open, dd.Stats.Overdue))
	}
	// Config order, a domain with only open decisions added, one no longer
	// configured last; exact counts replace the sample's.
	if want := []string{"company:1/0", "product/pricing:5/2", "gone:0/0"}; !slices.Equal(order, want) {
		t.Errorf("domains %v, want %v", order, want)
	}
	if dg.Totals.Open != 6 || dg.Totals.Overdue != 2 {
		t.Errorf("totals %+v", dg.Totals)
	}
	wantB := []Bottleneck{{"UG", 5}, {"UA", 3}, {"UC", 3}, {"UD", 2}, {"UB", 1}}
	if !slices.Equal(dg.Bottlenecks, wantB) {
		t.Errorf("bottlenecks %v, want %v (most first, ties by id, at most %d)", dg.Bottlenecks, wantB, MaxBottlenecks)
	}
}
