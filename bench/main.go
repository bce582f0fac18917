// Command bench measures Baton against the goals of its issues, each
// section printing the figure, the goal and the ratio, in one run:
//
//   - ingest: signed /decide proposals through the real HTTP handler into a
//     real store, from 1, 10 and 200 concurrent senders, against raw serial
//     bbolt commits of a proposal's size (rate and p50/p99 acknowledgement);
//
//   - delivery: a backlog drained into a fake Slack that enforces one message
//     a second per channel (bursts of three) and a workspace limit with 429s:
//     share of the allowed rate, messages lost, duplicated, out of order;
//
//   - crash: `baton serve` as a subprocess under load, SIGKILLed at random
//     moments (-trials N): acknowledged proposals lost, decisions stored
//     twice, messages posted twice or lost;
//
//   - scan: the weekly digest, the reminders due-scan and `/decide search`
//     through the word index, on a store of -n decisions spread over five
//     years plus a busy last week, then with a tenth of the history, to
//     show that they follow the week's activity;
//
//   - footprint: `baton serve` on that store: start-up to /healthz, and RSS
//     idle and after every job has run once.
//
//     go run ./bench                      # everything, 1,000,000 decisions
//     go run ./bench -quick               # under a minute (100,000 decisions)
//     go run ./bench -json                # one JSON object on stdout
//     go run ./bench -only crash -trials 50
//     go run ./bench -only scan,footprint -dir /tmp/b          # keep the seeded store
//     go run ./bench -only scan -dir /tmp/b -reuse             # measure it again
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// Budgets from the issue.
const (
	digestBudget = 500 * time.Millisecond
	scanBudget   = 50 * time.Millisecond
	// searchBudget is for the slowest of searchQueries: a reply to
	// `/decide search` must leave most of Slack's 3 s.
	searchBudget = 100 * time.Millisecond
)

// now is the digest's tick: Monday 30 November 2026, 09:00.
var now = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

const benchConfig = `
timezone: UTC
reminders:
  schedule: "0 9 * * 1-5"
  escalate_after: 2
digest:
  schedule: "0 9 * * 1"
  channels: [CDIGEST1]
default_domain: company
domains:
  - {name: company, owners: [UCEO0], sla: 1w}
  - {name: product, owners: [UPROD0], sla: 3d}
  - {name: product/pricing, owners: [UPRICE0, UPRICE1], sla: 72h, escalate_to: [UCFO0]}
  - {name: product/roadmap, owners: [UROAD0, UROAD1], assign: round_robin, sla: 5d}
  - {name: product/design, owners: [UDES0], sla: 3d}
  - {name: engineering, owners: [UCTO0], sla: 3d}
  - {name: engineering/infrastructure, owners: [UOPS0, UOPS1, UOPS2], sla: 48h}
  - {name: engineering/security, owners: [USEC0], sla: 1d, escalate_to: [UCTO0, UCEO0]}
  - {name: people, owners: [UHR0], sla: 1w}
  - {name: people/hiring, owners: [UHIRE0, UHIRE1], sla: 2d}
  - {name: finance, owners: [UCFO0], sla: 1w}
  - {name: finance/spend, owners: [USPEND0], sla: 3d}
  - {name: legal, owners: [ULAW0], sla: 5d}
  - {name: misc, owners: [UMISC0]}
`

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

type result struct {
	history, week         int
	open, deferred        int
	seed                  time.Duration
	digest, scan, fullOld time.Duration
	search                time.Duration // the slowest of searchQueries
	outcomes, candidates  int
	blocks                int
}

// bench is the scan section: it seeds the stores (or reuses them), times
// the digest and the reminder scan and prints its table to stdout.
func bench(ctx context.Context, o options, dir string, stdout, stderr io.Writer) ([]result, error) {
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig), nil)
	if err != nil {
		return nil, err
	}
	sizes := []int{o.n - o.week}
	if o.compare && (o.n-o.week)/10 > 0 {
		sizes = append(sizes, (o.n-o.week)/10)
	}
	subjects := make([]*subject, len(sizes))
	for i, history := range sizes {
		sub, err := openSubject(cfg, filepath.Join(dir, fmt.Sprintf("bench-%d.db", history)), history, o, stderr)
		if err != nil {
			return nil, err
		}
		defer sub.st.Close()
		subjects[i] = sub
	}
	// Interleaved rounds, so a busy moment on the machine hits every size
	// alike; the first round warms up and is not counted.
	for round := range o.runs + 1 {
		for _, sub := range subjects {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := sub.round(round > 0); err != nil {
				return nil, err
			}
		}
	}
	results := make([]result, len(subjects))
	for i, sub := range subjects {
		results[i] = sub.result()
	}
	report(stdout, results, o)
	return results, nil
}

// subject is one seeded store and what was measured on it.
type subject struct {
	r                     result
	st                    *store.Store
	app                   *bot.App
	digests, scans, fulls []time.Duration
	searches              []time.Duration
}

// openSubject opens (and, unless reusing, seeds) the store at path.
func openSubject(cfg *config.Config, path string, history int, o options, stderr io.Writer) (sub *subject, err error) {
	st, err := store.Open(path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = st.Close() // the first error is the one worth reporting
		}
	}()
	sub = &subject{st: st, r: result{history: history, week: o.week}}
	n, err := st.Count()
	if err != nil {
		return nil, err
	}
	switch {
	case n == 0:
		fmt.Fprintf(stderr, "seeding %d decisions of history and %d recent ones…\n", history, o.week)
		start := time.Now()
		if err := seed(st, cfg, history, o); err != nil {
			return nil, err
		}
		sub.r.seed = time.Since(start)
	case !o.reuse || n != history+o.week:
		return nil, fmt.Errorf("%s already holds %d decisions: remove it, or pass -reuse with the -n and -week that seeded it", path, n)
	}
	pending, err := st.PendingCounts(now)
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		sub.r.open += p.Open
		sub.r.deferred += p.Deferred
	}
	sub.app, err = bot.New(bot.Options{
		Config: cfg, Store: st, Clock: bot.NewFakeClock(now),
		Slack:  slack.New("xoxb-bench", slack.OptionAPIURL("http://127.0.0.1:9/api/")), // never called
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}

// round times each read once; keep=false is the warm-up.
func (s *subject) round(keep bool) error {
	start := time.Now()
	dg, err := s.app.Scheduler().DigestFor(now)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	msg := blocks.Digest(dg, "/decide", time.UTC)
	digest := time.Since(start)
	s.r.outcomes, s.r.blocks = dg.Totals.Decided+dg.Totals.Withdrawn, len(msg.Blocks)

	start = time.Now()
	plan, err := s.app.Scheduler().PlanReminders(context.Background(), now)
	if err != nil {
		return fmt.Errorf("reminder scan: %w", err)
	}
	scan := time.Since(start)
	s.r.candidates = len(plan)

	// For comparison: what reading every open and deferred decision costs,
	// as the scheduler did before it had indexes of its own.
	start = time.Now()
	_, err1 := s.st.ByStatus(decisions.StatusOpen, 0)
	_, err2 := s.st.ByStatus(decisions.StatusDeferred, 0)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	full := time.Since(start)

	// Search through the word index: a topic word (about 1 title in
	// len(searchTopics)), two of them, and a word in every title.
	var search time.Duration
	for _, q := range searchQueries {
		start = time.Now()
		ds, err := s.st.Search(q, 20)
		if err != nil {
			return fmt.Errorf("search %q: %w", q, err)
		}
		search = max(search, time.Since(start))
		if len(ds) == 0 {
			return fmt.Errorf("search %q found nothing", q)
		}
	}
	if keep {
		s.digests, s.scans, s.fulls = append(s.digests, digest), append(s.scans, scan), append(s.fulls, full)
		s.searches = append(s.searches, search)
	}
	return nil
}

// MarshalJSON shows a scan result in -json output.
func (r result) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"history": r.history, "week": r.week, "open": r.open, "deferred": r.deferred,
		"digest_ms": float64(r.digest) / float64(time.Millisecond), "reminder_scan_ms": float64(r.scan) / float64(time.Millisecond),
		"read_all_open_ms": float64(r.fullOld) / float64(time.Millisecond), "outcomes": r.outcomes, "candidates": r.candidates,
	})
}

func (s *subject) result() result {
	r := s.r
	r.digest, r.scan, r.fullOld = median(s.digests), median(s.scans), median(s.fulls)
	r.search = median(s.searches)
	return r
}

func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// seed writes history decisions over five years, then the week's. History
// is what a working Baton leaves: nearly everything closed, a few deferred
// to some later date, and a few open ones in a domain without an SLA that
// nothing will ever chase (their NextCheck is far away). The week is busy:
// most decided, the rest open with due dates, reminders and escalations
// in progress, not yet looked at by the scheduler.
func seed(st *store.Store, cfg *config.Config, history int, o options) error {
	rng := rand.New(rand.NewPCG(uint64(history), 7))
	doms := cfg.Domains
	weekStart := now.AddDate(0, 0, -7)
	histStart := weekStart.AddDate(-5, 0, 0)
	span := weekStart.Add(-10 * 24 * time.Hour).Sub(histStart)
	users := make([]string, 200)
	for i := range users {
		users[i] = fmt.Sprintf("U%05d", i)
	}
	pick := func(dom decisions.Domain) []string {
		if len(dom.Owners) == 0 {
			return []string{users[rng.IntN(len(users))]}
		}
		return []string{dom.Owners[rng.IntN(len(dom.Owners))]}
	}
	base := func(created time.Time) decisions.Decision {
		dom := doms[rng.IntN(len(doms))]
		proposer := users[rng.IntN(len(users))]
		n := rng.IntN(1_000_000)
		return decisions.Decision{
			// A topic word per title gives search something to find: each
			// of searchTopics is in about 1 title in len(searchTopics).
			Title:     fmt.Sprintf("Proposal %d from %s about %s", n, proposer, searchTopics[n%len(searchTopics)]),
			Proposer:  proposer,
			Source:    decisions.Source{Kind: decisions.SourceCommand, Channel: "CWORK1"},
			Domain:    dom.Name,
			Deciders:  pick(dom),
			Reason:    "keyword matched " + dom.Name,
			Status:    decisions.StatusOpen,
			CreatedAt: created,
			UpdatedAt: created,
			History:   []decisions.Event{{At: created, Actor: proposer, Kind: decisions.EventProposed}},
		}
	}
	closeAt := func(d *decisions.Decision, at time.Time) {
		d.Status = []decisions.Status{decisions.StatusApproved, decisions.StatusApproved, decisions.StatusApproved,
			decisions.StatusRejected, decisions.StatusWithdrawn}[rng.IntN(5)]
		d.DecidedAt, d.UpdatedAt, d.DecidedBy = at, at, d.Deciders[0]
		d.Rationale = "Because the numbers work out."
		kind := map[decisions.Status]decisions.EventKind{
			decisions.StatusApproved: decisions.EventApproved, decisions.StatusRejected: decisions.EventRejected,
			decisions.StatusWithdrawn: decisions.EventWithdrawn,
		}[d.Status]
		d.History = append(d.History, decisions.Event{At: at, Actor: d.DecidedBy, Kind: kind, Note: d.Rationale})
	}

	batch := make([]decisions.Decision, 0, o.batch)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := st.PutBulk(batch)
		batch = batch[:0]
		return err
	}
	for i := range history {
		created := histStart.Add(time.Duration(float64(span) * float64(i) / float64(history)))
		d := base(created)
		switch {
		case i%500 == 0: // deferred to a later date
			d.Status = decisions.StatusDeferred
			d.DeferredUntil = now.AddDate(0, 0, 30+rng.IntN(365))
			d.History = append(d.History, decisions.Event{At: created.Add(time.Hour), Actor: d.Deciders[0], Kind: decisions.EventDeferred})
		case i%333 == 0: // open, with nothing to chase it
			d.Domain, d.Deciders = "misc", []string{"UMISC0"}
			d.NextCheck = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
		default:
			closeAt(&d, created.Add(time.Duration(1+rng.IntN(240))*time.Hour))
		}
		batch = append(batch, d)
		if len(batch) == o.batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	// The same week whatever the history, so the two runs compare.
	rng = rand.New(rand.NewPCG(2026, 48))
	for i := range o.week {
		created := weekStart.Add(-2 * 24 * time.Hour).Add(time.Duration(float64(9*24*time.Hour) * float64(i) / float64(o.week)))
		d := base(created)
		if rng.IntN(10) < 7 && created.Before(now.Add(-2*time.Hour)) {
			closeAt(&d, created.Add(time.Duration(1+rng.Int64N(int64(now.Sub(created)-time.Hour)))))
			if !d.DecidedAt.After(weekStart) { // decided before the week: the digest does not show it
				d.DecidedAt = weekStart.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
				d.History[len(d.History)-1].At, d.UpdatedAt = d.DecidedAt, d.DecidedAt
			}
		} else {
			if rng.IntN(2) == 0 {
				d.Due = created.Add(time.Duration(24+rng.IntN(24*8)) * time.Hour)
			}
			if rng.IntN(4) == 0 {
				d.Reminders, d.LastRemindedAt = 1, created.Add(24*time.Hour)
			}
			if rng.IntN(8) == 0 {
				at := created.Add(48 * time.Hour)
				d.History = append(d.History, decisions.Event{At: at, Actor: decisions.SystemActor, Kind: decisions.EventEscalated, Users: []string{"UCEO0"}})
				d.Deciders, d.Escalations, d.Reminders, d.LastRemindedAt = []string{"UCEO0"}, 1, 0, time.Time{}
			}
		}
		batch = append(batch, d)
	}
	return flush()
}

// searchTopics are the words titles are about; searchQueries are timed.
var (
	searchTopics  = strings.Fields(topicWords)
	searchQueries = []string{"laptops", "laptops invoice", "proposal"}
)

const topicWords = `laptops invoice pricing roadmap hiring offsite security vendor budget onboarding
	design kubernetes contract discount trial refactor holiday salary forecast trademark
	database outage headcount logo churn renewal support billing travel equipment`

func report(w io.Writer, rs []result, o options) {
	fmt.Fprintf(w, "\nBaton scheduler benchmark — digest of the week ending %s, reminder due-scan at that time (median of %d runs)\n\n",
		now.Format("Mon 2 Jan 2006 15:04 MST"), o.runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "history\trecent\topen\tdeferred\tseeded in\tweekly digest\toutcomes\tblocks\treminder scan\tcandidates\tread all open (old)\tsearch\t")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t\n",
			count(r.history), count(r.week), count(r.open), count(r.deferred), seeded(r.seed),
			ms(r.digest), count(r.outcomes), r.blocks, ms(r.scan), count(r.candidates), ms(r.fullOld), ms(r.search))
	}
	tw.Flush()
	fmt.Fprintln(w)
	big := rs[0]
	verdict := func(name string, got, budget time.Duration) {
		mark := "ok"
		if got > budget {
			mark = "OVER BUDGET"
		}
		fmt.Fprintf(w, "%-14s %9s  (budget %s)  %s\n", name, ms(got), budget, mark)
	}
	verdict("weekly digest", big.digest, digestBudget)
	verdict("reminder scan", big.scan, scanBudget)
	verdict("search", big.search, searchBudget)
	if len(rs) > 1 {
		small := rs[1]
		fmt.Fprintf(w, "\nWith %.0f× the history: digest %.2f×, reminder scan %.2f× (same week; 1.00× means no growth), search %.2f×\n",
			float64(big.history)/float64(small.history),
			float64(big.digest)/float64(small.digest), float64(big.scan)/float64(small.scan), float64(big.search)/float64(small.search))
	}
}

func seeded(d time.Duration) string {
	if d == 0 {
		return "reused"
	}
	return d.Round(100 * time.Millisecond).String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func count(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
