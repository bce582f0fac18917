package decisions

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// MaxBottlenecks is how many people the digest names as bottlenecks.
const MaxBottlenecks = 5

// DigestInput is what the weekly digest is computed from. The caller loads
// it from the store; BuildDigest only counts.
type DigestInput struct {
	From, To time.Time
	// Decided holds the decisions closed in [From, To). Entries that are not
	// closed are ignored.
	Decided []Decision
	// Open holds the decisions open or deferred now. Closed entries are
	// ignored.
	Open []Decision
	Now  time.Time
	// Domains is the configuration, in config order; it orders the digest
	// and supplies SLAs.
	Domains []Domain
	// Unreachable lists domains with no reachable owner.
	Unreachable []string
	// Reviews are decisions whose review date has come or comes within
	// the week ahead.
	Reviews []Decision
}

// Digest is the weekly digest's content: figures only, no formatting.
type Digest struct {
	From, To time.Time
	Week     string // ISO week of From, e.g. "2026-W48"
	// Domains with activity (a decision closed this week, or one open now),
	// in config order, then domains no longer configured alphabetically.
	Domains []DomainDigest
	// Open lists open and deferred decisions, oldest first (by CreatedAt).
	Open []Decision
	// Overdue lists open decisions past their due date, longest overdue
	// first (by Due).
	Overdue []Decision
	// Stuck lists open decisions that could climb no higher (the
	// scheduler recorded them stuck and stopped reminding), and those that
	// have climbed at least once and are still late (past their due date,
	// or past their domain's SLA since they were last handed over):
	// escalation has not helped. Oldest first.
	Stuck []Decision
	// Bottlenecks names the deciders with the most open (not deferred)
	// decisions waiting on them, most first, ties by user id, at most
	// MaxBottlenecks.
	Bottlenecks []Bottleneck
	Unreachable []string
	// Reviews lists decisions whose outcome is due to be looked at again
	// by the end of the coming week, soonest first.
	Reviews []Decision
	Totals  DomainStats
}

// Quiet reports whether there is nothing to say: nothing decided, nothing
// open, nothing unreachable.
func (d Digest) Quiet() bool {
	return len(d.Domains) == 0 && len(d.Unreachable) == 0 && len(d.Reviews) == 0
}

// DomainDigest is one domain's week.
type DomainDigest struct {
	Domain string
	// Outcomes are the decisions closed this week (withdrawals included),
	// in the order they were closed.
	Outcomes []Decision
	Stats    DomainStats
}

// DomainStats are cycle-time figures.
//
// Decided counts approvals and rejections only: a withdrawal is the
// proposer giving up, not a decision, so it is counted in Withdrawn and left
// out of the median and of WithoutEscalation.
type DomainStats struct {
	Decided, Approved, Rejected, Withdrawn int
	Open, Overdue                          int // now; Open includes deferred
	// MedianTimeToDecide is the median of DecidedAt - CreatedAt over
	// Decided; 0 when nothing was decided.
	MedianTimeToDecide time.Duration
	// WithoutEscalation is the share (0..1) of Decided that never climbed;
	// 0 when nothing was decided.
	WithoutEscalation float64
}

// Bottleneck is someone many decisions are waiting on.
type Bottleneck struct {
	User    string
	Waiting int
}

// BuildDigest computes the digest. It is pure: Now stands for the present.
func BuildDigest(in DigestInput) Digest {
	out := Digest{
		From:        in.From,
		To:          in.To,
		Week:        ISOWeek(in.From),
		Unreachable: slices.Clone(in.Unreachable),
		Reviews:     reviewsSoonestFirst(in.Reviews),
	}
	order := map[string]int{}
	sla := map[string]time.Duration{}
	for i, d := range in.Domains {
		if _, dup := order[d.Name]; !dup {
			order[d.Name] = i
			sla[d.Name] = d.SLA
		}
	}

	type acc struct {
		outcomes []Decision
		open     []Decision
	}
	byDomain := map[string]*acc{}
	get := func(name string) *acc {
		a := byDomain[name]
		if a == nil {
			a = &acc{}
			byDomain[name] = a
		}
		return a
	}
	var decided, open []Decision
	for _, d := range in.Decided {
		if d.Status.Closed() {
			decided = append(decided, d)
			get(d.Domain).outcomes = append(get(d.Domain).outcomes, d)
		}
	}
	for _, d := range in.Open {
		if !d.Status.Closed() {
			open = append(open, d)
			get(d.Domain).open = append(get(d.Domain).open, d)
		}
	}

	names := make([]string, 0, len(byDomain))
	for name := range byDomain {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		ia, knownA := order[a]
		ib, knownB := order[b]
		switch {
		case knownA && knownB:
			return cmp.Compare(ia, ib)
		case knownA:
			return -1
		case knownB:
			return 1
		}
		return cmp.Compare(a, b)
	})
	for _, name := range names {
		a := byDomain[name]
		slices.SortStableFunc(a.outcomes, byDecidedAt)
		out.Domains = append(out.Domains, DomainDigest{
			Domain:   name,
			Outcomes: a.outcomes,
			Stats:    stats(a.outcomes, a.open, in.Now),
		})
	}
	out.Totals = stats(decided, open, in.Now)

	waiting := map[string]int{}
	for _, d := range open {
		if d.Overdue(in.Now) {
			out.Overdue = append(out.Overdue, d)
		}
		if _, stuck := Stuck(d); d.Status == StatusOpen && (stuck || d.Escalations > 0 && late(d, sla[d.Domain], in.Now)) {
			out.Stuck = append(out.Stuck, d)
		}
		if d.Status == StatusOpen {
			seen := map[string]bool{}
			for _, u := range d.Deciders {
				if !seen[u] {
					seen[u] = true
					waiting[u]++
				}
			}
		}
	}
	out.Open = open
	slices.SortStableFunc(out.Open, byCreatedAt)
	slices.SortStableFunc(out.Overdue, func(a, b Decision) int {
		return cmp.Or(a.Due.Compare(b.Due), byCreatedAt(a, b))
	})
	slices.SortStableFunc(out.Stuck, byCreatedAt)

	for u, n := range waiting {
		out.Bottlenecks = append(out.Bottlenecks, Bottleneck{User: u, Waiting: n})
	}
	slices.SortFunc(out.Bottlenecks, func(a, b Bottleneck) int {
		return cmp.Or(cmp.Compare(b.Waiting, a.Waiting), cmp.Compare(a.User, b.User))
	})
	if len(out.Bottlenecks) > MaxBottlenecks {
		out.Bottlenecks = out.Bottlenecks[:MaxBottlenecks]
	}
	return out
}

// ISOWeek names t's ISO 8601 week, as in "2026-W48". The year is the ISO
// year, which differs from the calendar year around New Year.
func ISOWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func stats(closed, open []Decision, now time.Time) DomainStats {
	var s DomainStats
	var times []time.Duration
	direct := 0
	for _, d := range closed {
		switch d.Status {
		case StatusApproved:
			s.Approved++
		case StatusRejected:
			s.Rejected++
		case StatusWithdrawn:
			s.Withdrawn++
			continue
		default:
			continue
		}
		s.Decided++
		times = append(times, max(d.DecidedAt.Sub(d.CreatedAt), 0))
		if d.Escalations == 0 {
			direct++
		}
	}
	for _, d := range open {
		s.Open++
		if d.Overdue(now) {
			s.Overdue++
		}
	}
	s.MedianTimeToDecide = median(times)
	if s.Decided > 0 {
		s.WithoutEscalation = float64(direct) / float64(s.Decided)
	}
	return s
}

// median of ds (reordered in place); the mean of the middle two for an even
// count; 0 for none.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	m := len(ds) / 2
	if len(ds)%2 == 1 {
		return ds[m]
	}
	return ds[m-1] + (ds[m]-ds[m-1])/2 // no overflow, unlike (a+b)/2
}

// late reports whether an open decision is past its due date, or past its
// SLA since it was last handed over.
func late(d Decision, sla time.Duration, now time.Time) bool {
	return d.Overdue(now) || sla > 0 && !now.Before(HandedOverAt(d).Add(sla))
}

func byCreatedAt(a, b Decision) int {
	return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
}

func byDecidedAt(a, b Decision) int {
	return cmp.Or(a.DecidedAt.Compare(b.DecidedAt), cmp.Compare(a.ID, b.ID))
}

// Pending is what a domain has waiting now, counted from the store's
// indexes rather than from decisions loaded.
type Pending struct {
	Open, Deferred int
	// Overdue counts the open ones due before the time asked about.
	Overdue int
}

// ApplyCounts replaces the open, overdue and bottleneck figures
// BuildDigest computed from a sample of open decisions with exact ones
// (pending per domain, load per decider), adds the domains whose only
// activity is open decisions the sample did not include, and orders the
// domains as configured.
func (dg *Digest) ApplyCounts(pending map[string]Pending, load map[string]int, config []Domain) {
	have := map[string]bool{}
	for _, dd := range dg.Domains {
		have[dd.Domain] = true
	}
	for name := range pending {
		if !have[name] {
			dg.Domains = append(dg.Domains, DomainDigest{Domain: name})
		}
	}
	dg.Totals.Open, dg.Totals.Overdue = 0, 0
	for i := range dg.Domains {
		p := pending[dg.Domains[i].Domain]
		st := &dg.Domains[i].Stats
		st.Open, st.Overdue = p.Open+p.Deferred, p.Overdue
		dg.Totals.Open += st.Open
		dg.Totals.Overdue += st.Overdue
	}
	order := map[string]int{}
	for i, d := range config {
		if _, dup := order[d.Name]; !dup {
			order[d.Name] = i
		}
	}
	slices.SortStableFunc(dg.Domains, func(x, y DomainDigest) int {
		ix, okx := order[x.Domain]
		iy, oky := order[y.Domain]
		switch {
		case okx && oky:
			return cmp.Compare(ix, iy)
		case okx:
			return -1
		case oky:
			return 1
		}
		return cmp.Compare(x.Domain, y.Domain)
	})
	dg.Bottlenecks = dg.Bottlenecks[:0]
	for u, n := range load {
		dg.Bottlenecks = append(dg.Bottlenecks, Bottleneck{User: u, Waiting: n})
	}
	slices.SortFunc(dg.Bottlenecks, func(x, y Bottleneck) int {
		return cmp.Or(cmp.Compare(y.Waiting, x.Waiting), cmp.Compare(x.User, y.User))
	})
	if len(dg.Bottlenecks) > MaxBottlenecks {
		dg.Bottlenecks = dg.Bottlenecks[:MaxBottlenecks]
	}
}

func reviewsSoonestFirst(ds []Decision) []Decision {
	out := slices.Clone(ds)
	slices.SortStableFunc(out, func(a, b Decision) int { return cmp.Or(a.ReviewOn.Compare(b.ReviewOn), cmp.Compare(a.ID, b.ID)) })
	return out
}
