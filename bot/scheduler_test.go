package bot

// Scheduler tests: reminders, escalation, deferrals, the weekly digest and
// exactly-once runs, driven by a fake clock (nothing sleeps) against a real
// bbolt file and slackfake in-process.

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// People of schedConfig.
const (
	uCEO    = "UCEO1"
	uProd   = "UPROD1"
	uPrice1 = "UPRICE1"
	uPrice2 = "UPRICE2"
	uCFO    = "UCFO1"
	uCTO    = "UCTO1"
	uLawyer = "ULAW1" // deactivated: legal has nobody who can decide
	uTom    = "UTOM1" // proposes
	uDev    = "UDEV1" // proposes
)

const (
	chDigest1 = "CDIGEST1"
	chDigest2 = "CDIGEST2"
	chPropose = "CPROPOSE1"
)

// schedConfig is a small company. Reminders run every day at 09:00 so a
// decision climbs a level every other day; one reminder before climbing.
const schedConfig = `
timezone: {{TZ}}
reminders:
  schedule: "0 9 * * *"
  escalate_after: 1
digest:
  schedule: "0 9 * * 1"
  channels: [CDIGEST1, CDIGEST2]
default_domain: company
domains:
  - name: company
    owners: [UCEO1]
    sla: 1d
  - name: product
    owners: [UPROD1]
    sla: 1d
  - name: product/pricing
    owners: [UPRICE1, UPRICE2]
    sla: 1d
    escalate_to: [UCFO1]
  - name: product/design
    description: No owners of its own; product's owners decide.
    sla: 1d
  - name: engineering
    owners: [UCTO1]
    sla: 3d
  - name: legal
    owners: [ULAW1]
    sla: 2d
`

// mon2 is Monday 2 November 2026, 00:00 UTC.
var mon2 = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

type schedHarness struct {
	t     *testing.T
	ctx   context.Context
	fake  *slackfake.Server
	api   *slack.Client
	clock *FakeClock
	cfg   *config.Config
	path  string
	st    *store.Store
	app   *App
	seen  int
}

func newSched(t *testing.T, tz string, start time.Time, edit ...func(string) string) *schedHarness {
	t.Helper()
	yaml := strings.ReplaceAll(schedConfig, "{{TZ}}", tz)
	for _, e := range edit {
		yaml = e(yaml)
	}
	cfg, err := config.Parse("sched.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	fake := slackfake.New()
	for _, u := range []string{uCEO, uProd, uPrice1, uPrice2, uCFO, uCTO, uTom, uDev} {
		fake.AddUser(slackfake.User{ID: u, Name: strings.ToLower(u)})
	}
	fake.AddUser(slackfake.User{ID: uLawyer, Name: "lawyer", Deleted: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	h := &schedHarness{
		t: t, ctx: ctx, fake: fake, cfg: cfg, clock: NewFakeClock(start),
		api:  slack.New("xoxb-test", slack.OptionHTTPClient(fake.Client()), slack.OptionAPIURL("http://slack.fake/api/")),
		path: filepath.Join(t.TempDir(), "baton.db"),
	}
	h.open()
	t.Cleanup(h.close)
	return h
}

func (h *schedHarness) open() {
	h.t.Helper()
	st, err := store.Open(h.path, store.Options{Now: h.clock.Now})
	if err != nil {
		h.t.Fatal(err)
	}
	app, err := New(Options{
		Config: h.cfg, Store: st, Slack: h.api, Clock: h.clock, Pace: -1, Workers: 1,
		Logger: slog.New(slog.NewTextHandler(h.t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := app.Resolve(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	h.st, h.app = st, app
}

// close checks the file's consistency and closes it, as a shutdown (or a
// crash after the last commit) leaves it.
func (h *schedHarness) close() {
	if h.st == nil {
		return
	}
	if err := h.st.Check(); err != nil {
		h.t.Errorf("store check: %v", err)
	}
	if err := h.st.Close(); err != nil {
		h.t.Errorf("close store: %v", err)
	}
	h.st = nil
}

// restart is a new process on the same file: nothing in memory survives.
func (h *schedHarness) restart() {
	h.t.Helper()
	h.close()
	h.open()
}

func (h *schedHarness) flush() {
	h.t.Helper()
	if err := h.app.Outbox().Flush(h.ctx); err != nil {
		h.t.Fatalf("flush: %v", err)
	}
}

// tick runs every job due up to `to` and delivers what they queued.
func (h *schedHarness) tick(to time.Time) {
	h.t.Helper()
	if _, err := h.app.Scheduler().Tick(h.ctx, h.clock, to); err != nil {
		h.t.Fatalf("tick to %s: %v", to, err)
	}
}

func (h *schedHarness) propose(proposer, domain, title string, due time.Time) decisions.Decision {
	h.t.Helper()
	d, err := h.app.propose(h.ctx, proposal{
		Text: title, Tags: []string{domain}, Proposer: proposer, Due: due,
		Source: decisions.Source{Kind: decisions.SourceCommand, Channel: chPropose},
	})
	if err != nil {
		h.t.Fatalf("propose %q: %v", title, err)
	}
	if d.Domain != domain {
		h.t.Fatalf("%q routed to %s, want %s", title, d.Domain, domain)
	}
	h.flush()
	return d
}

func (h *schedHarness) act(id decisions.ID, user string, verb decisions.Verb, note string, edit ...func(*decisions.Action)) {
	h.t.Helper()
	act := decisions.Action{Verb: verb, Actor: h.app.dir.actor(user, h.clock.Now()), Rationale: note}
	for _, e := range edit {
		e(&act)
	}
	if _, err := h.app.transition(id, act); err != nil {
		h.t.Fatalf("%s %s %s: %v", user, verb, id, err)
	}
	h.flush()
}

func (h *schedHarness) decision(id decisions.ID) decisions.Decision {
	h.t.Helper()
	d, err := h.st.Decision(id)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// events lists, sorted, what the posts since the last call told whom, in
// the scheduler's terms: "remind D-1 UPRICE2", "escalated D-1 UCFO1"
// (the DM handing it over), "notice D-1 UTOM1" (proposer or previous
// decider told), "stuck D-2 UDEV1" (the proposer told, once, that nobody
// above can take it), "advice D-1 UFIN1" (an advisor reminded), "reopened
// D-3 UPROD1", "digest CDIGEST1". Proposal DMs, announcements and outcome
// messages are left out: people's own actions cause them.
func (h *schedHarness) events() []string {
	h.t.Helper()
	posts := h.fake.Posts()
	var out []string
	for _, p := range posts[h.seen:] {
		if p.Method != "chat.postMessage" {
			continue
		}
		all := schedVisible(p)
		id := ""
		if f := strings.Fields(strings.TrimPrefix(p.Text, "Reminder: ")); len(f) > 0 {
			id = f[0]
		}
		to := strings.TrimPrefix(p.Channel, "D")
		switch {
		case p.Channel == chDigest1 || p.Channel == chDigest2:
			out = append(out, "digest "+p.Channel)
		case strings.HasPrefix(p.Text, "Reminder: ") && strings.Contains(all, "deferred until today"):
			out = append(out, "reopened "+id+" "+to)
		case strings.Contains(p.Text, " is stuck: "):
			out = append(out, "stuck "+strings.Fields(p.Text)[0]+" "+to)
		case strings.HasPrefix(p.Text, "Reminder: your advice is needed on "):
			out = append(out, "advice "+strings.TrimSuffix(strings.Fields(p.Text)[6], ":")+" "+to)
		case strings.HasPrefix(p.Text, "Reminder: "):
			out = append(out, "remind "+id+" "+to)
		case strings.Contains(p.Text, " was escalated to you"):
			out = append(out, "escalated "+id+" "+to)
		case strings.Contains(p.Text, " was escalated to "):
			out = append(out, "notice "+id+" "+to)
		}
	}
	h.seen = len(posts)
	slices.Sort(out)
	return out
}

func schedVisible(p slackfake.Post) string {
	return p.Text + "\n" + string(p.Blocks)
}

func (h *schedHarness) wantEvents(when string, want ...string) {
	h.t.Helper()
	got := h.events()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		h.t.Errorf("%s:\n got  %q\n want %q", when, got, want)
	}
}

func (h *schedHarness) noRejections() {
	h.t.Helper()
	for _, r := range h.fake.Rejections() {
		h.t.Errorf("Slack refused %s: %s %v", r.Method, r.Error, r.Messages)
	}
}

// TestRemindersEscalationAndDigestOverTwoWeeks plays a fortnight of
// decisions and checks every reminder, escalation and notice the daily
// runs send, and the digest's figures.
func TestRemindersEscalationAndDigestOverTwoWeeks(t *testing.T) {
	h := newSched(t, "UTC", mon2.Add(8*time.Hour))
	at := func(day, hour int) time.Time { return mon2.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour) }
	// goTo moves the clock, running the jobs due on the way.
	goTo := func(day, hour int) { h.t.Helper(); h.tick(at(day, hour)) }

	// Monday 08:00: five proposals.
	d1 := h.propose(uTom, "product/pricing", "Raise the Pro plan to $12", time.Time{})
	d2 := h.propose(uDev, "engineering", "Adopt Go 1.26", at(2, 12)) // due Wednesday noon
	d3 := h.propose(uTom, "product", "Dark mode", time.Time{})
	d4 := h.propose(uTom, "product/pricing", "Annual discount", time.Time{})
	d5 := h.propose(uTom, "product/pricing", "Student plan", time.Time{})
	h.events()

	goTo(0, 9)
	h.wantEvents("Mon 09:00: nothing is late yet; last week's (quiet) digest", "digest CDIGEST1", "digest CDIGEST2")
	goTo(0, 10)
	h.act(d1.ID, uPrice1, decisions.VerbAskAdvice, "", func(a *decisions.Action) { a.Users = []string{uCFO} })
	goTo(0, 11)
	h.act(d3.ID, uProd, decisions.VerbDefer, "after the launch", func(a *decisions.Action) { a.Until = at(3, 0) })
	h.events()

	goTo(1, 9)
	h.wantEvents("Tue 09:00: past the 1-day SLA; UPRICE1 acted on D-1, so only UPRICE2 is reminded of it",
		"remind D-1 UPRICE2",
		"remind D-4 UPRICE1", "remind D-4 UPRICE2",
		"remind D-5 UPRICE1", "remind D-5 UPRICE2")
	// The same run again (a retry, a second process) sends nothing.
	if err := h.app.Scheduler().RunReminders(h.ctx, at(1, 9)); err != nil {
		t.Fatal(err)
	}
	h.flush()
	h.wantEvents("Tue 09:00 run again")
	goTo(1, 10)
	h.act(d5.ID, uPrice2, decisions.VerbApprove, "Students are our future customers")

	goTo(2, 9)
	h.wantEvents("Wed 09:00: one reminder was enough; pricing climbs to its escalate_to, D-2 is due in 3h",
		"escalated D-1 UCFO1", "notice D-1 UTOM1", "notice D-1 UPRICE1", "notice D-1 UPRICE2",
		"escalated D-4 UCFO1", "notice D-4 UTOM1", "notice D-4 UPRICE1", "notice D-4 UPRICE2",
		"remind D-2 UCTO1")
	goTo(2, 15)
	h.act(d4.ID, uCFO, decisions.VerbApprove, "Finance is fine with 15%")

	goTo(3, 9)
	// Escalation added the CFO; the pricing owners keep D-1 and are
	// reminded with the CFO. D-2 is overdue with nobody above engineering:
	// its proposer hears once that it is stuck.
	h.wantEvents("Thu 09:00: D-3 is back; D-2 is stuck at the root; everyone holding D-1 is past the SLA",
		"reopened D-3 UPROD1", "stuck D-2 UDEV1", "remind D-1 UCFO1", "remind D-1 UPRICE1", "remind D-1 UPRICE2")
	goTo(3, 10)
	h.act(d2.ID, uCTO, decisions.VerbApprove, "Ship it")

	goTo(4, 9)
	h.wantEvents("Fri 09:00: D-1 climbs to product's owner, who is added",
		"escalated D-1 UPROD1", "notice D-1 UTOM1", "notice D-1 UCFO1", "notice D-1 UPRICE1", "notice D-1 UPRICE2", "remind D-3 UPROD1")
	goTo(4, 12)
	h.act(d3.ID, uProd, decisions.VerbReject, "Not this quarter")

	goTo(5, 9)
	h.wantEvents("Sat 09:00: all four who hold D-1 are reminded",
		"remind D-1 UPROD1", "remind D-1 UCFO1", "remind D-1 UPRICE1", "remind D-1 UPRICE2")
	// product is the root of product/pricing: D-1 is stuck there. The
	// proposer hears it once, and the reminders stop.
	goTo(6, 9)
	h.wantEvents("Sun 09:00: D-1 is at the root", "stuck D-1 UTOM1")

	// Monday 09:00: the reminders run (nothing: stuck), then the digest.
	goTo(7, 9)
	h.wantEvents("Mon 09:00", "digest CDIGEST1", "digest CDIGEST2")

	goTo(8, 9)
	h.wantEvents("Tue 09:00: no nagging without end")
	got := h.decision(d1.ID)
	if !slices.Equal(got.Deciders, []string{uPrice1, uPrice2, uCFO, uProd}) || !slices.Equal(got.Owners, []string{uPrice1, uPrice2}) ||
		got.Escalations != 2 || got.Status != decisions.StatusOpen {
		t.Errorf("D-1 after climbing: deciders %v (owners %v), escalations %d, %s", got.Deciders, got.Owners, got.Escalations, got.Status)
	}
	for _, u := range []string{uPrice1, uPrice2, uCFO, uProd} {
		if n := decisions.RemindersTo(got, u); n > 3 {
			t.Errorf("%s had %d reminders about D-1, more than max_per_person", u, n)
		}
	}
	var climbs []string
	for _, e := range got.History {
		if e.Kind == decisions.EventEscalated {
			climbs = append(climbs, fmt.Sprintf("%s %v %s", e.At.Format("Mon 15:04"), e.Users, e.Note))
		}
	}
	wantClimbs := []string{
		"Wed 09:00 [UCFO1] 1 reminder without a decision; now with the escalation contacts of product/pricing too",
		"Fri 09:00 [UPROD1] 1 reminder without a decision; now with the owners of product too",
	}
	if !slices.Equal(climbs, wantClimbs) {
		t.Errorf("D-1 history of escalations:\n got  %q\n want %q", climbs, wantClimbs)
	}

	// The digest of the first week, as posted and as figures.
	var digest slackfake.Post
	for _, p := range h.fake.Posts() {
		if p.Channel == chDigest1 {
			digest = p
		}
	}
	text := schedVisible(digest)
	for _, want := range []string{
		"week 2026-W45", "Ship it", "Finance is fine with 15%", "Not this quarter", "Students are our future customers",
		"Stuck: nobody above can take these", "open 7d", "(after 1 escalation): Finance is fine with 15%", "Nobody can decide for", "legal",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	dg, err := h.app.Scheduler().DigestFor(at(7, 9))
	if err != nil {
		t.Fatal(err)
	}
	type fig struct {
		decided  int
		median   time.Duration
		direct   float64
		open     int
		outcomes []decisions.ID
	}
	figs := map[string]fig{}
	var order []string
	for _, dd := range dg.Domains {
		order = append(order, dd.Domain)
		var ids []decisions.ID
		for _, o := range dd.Outcomes {
			ids = append(ids, o.ID)
		}
		figs[dd.Domain] = fig{dd.Stats.Decided, dd.Stats.MedianTimeToDecide, dd.Stats.WithoutEscalation, dd.Stats.Open, ids}
	}
	if want := []string{"product", "product/pricing", "engineering"}; !slices.Equal(order, want) {
		t.Errorf("digest domains %v, want %v (config order)", order, want)
	}
	wantFigs := map[string]fig{
		// Student plan decided after 26h without climbing, the annual
		// discount after 55h by the CFO it climbed to; D-1 is open.
		"product/pricing": {2, 40*time.Hour + 30*time.Minute, 0.5, 1, []decisions.ID{d5.ID, d4.ID}},
		"product":         {1, 100 * time.Hour, 1, 0, []decisions.ID{d3.ID}},
		"engineering":     {1, 74 * time.Hour, 1, 0, []decisions.ID{d2.ID}},
	}
	for name, want := range wantFigs {
		if got := figs[name]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s figures %+v, want %+v", name, got, want)
		}
	}
	if dg.Totals.Decided != 4 || dg.Totals.MedianTimeToDecide != 64*time.Hour+30*time.Minute || dg.Totals.WithoutEscalation != 0.75 {
		t.Errorf("totals %+v", dg.Totals)
	}
	if len(dg.Stuck) != 1 || dg.Stuck[0].ID != d1.ID {
		t.Errorf("stuck %v, want D-1 (at the root, late)", schedIDs(dg.Stuck))
	}
	// D-1 waits on everyone who holds it: its owners and the two levels added.
	wantB := []decisions.Bottleneck{{User: uCFO, Waiting: 1}, {User: uPrice1, Waiting: 1}, {User: uPrice2, Waiting: 1}, {User: uProd, Waiting: 1}}
	if !slices.Equal(dg.Bottlenecks, wantB) {
		t.Errorf("bottlenecks %+v, want %+v", dg.Bottlenecks, wantB)
	}
	// product/design has no owners of its own: product's owner decides,
	// so it is reachable. legal's only owner is deactivated.
	if !slices.Equal(dg.Unreachable, []string{"legal"}) {
		t.Errorf("unreachable %v, want [legal]", dg.Unreachable)
	}
	h.noRejections()
}

func schedIDs(ds []decisions.Decision) []decisions.ID {
	out := make([]decisions.ID, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// A level where nobody is available (away without a delegate) is climbed
// past, and counts as climbed: the next escalation starts above it.
func TestEscalationSkipsLevelsWithNobodyAvailable(t *testing.T) {
	h := newSched(t, "UTC", mon2.Add(8*time.Hour))
	if err := h.st.SetAway(store.Away{User: uCFO, Until: mon2.AddDate(0, 1, 0)}); err != nil {
		t.Fatal(err)
	}
	d := h.propose(uTom, "product/pricing", "Raise prices", mon2.Add(10*time.Hour))
	h.events()
	h.tick(mon2.AddDate(0, 0, 1).Add(9 * time.Hour))
	// Tuesday 09:00: overdue since Monday 10:00, so it climbs at once,
	// past the CFO (pricing's escalate_to, away) to product's owner.
	h.wantEvents("Mon and Tue 09:00", "digest CDIGEST1", "digest CDIGEST2",
		"escalated D-1 UPROD1", "notice D-1 UTOM1", "notice D-1 UPRICE1", "notice D-1 UPRICE2")
	got := h.decision(d.ID)
	if got.Escalations != 2 || !slices.Equal(got.Deciders, []string{uPrice1, uPrice2, uProd}) {
		t.Errorf("after skipping the CFO: escalations %d, deciders %v", got.Escalations, got.Deciders)
	}
	if note := got.History[len(got.History)-1].Note; note != "past its due date 2026-11-02; now with the owners of product too" {
		t.Errorf("escalation note %q", note)
	}
	// Back from leave, the CFO is below where the decision is: it does
	// not come back down to them.
	if err := h.st.SetAway(store.Away{User: uCFO}); err != nil {
		t.Fatal(err)
	}
	h.tick(mon2.AddDate(0, 0, 3).Add(9 * time.Hour))
	h.wantEvents("Wed and Thu 09:00", "remind D-1 UPRICE1", "remind D-1 UPRICE2", "remind D-1 UPROD1", "stuck D-1 UTOM1")
}

// A crash after the digest run committed but before Slack had it: the next
// process delivers it once, and running the digest again sends nothing.
func TestDigestRestartMidRunSendsOnce(t *testing.T) {
	h := newSched(t, "UTC", mon2.Add(8*time.Hour))
	if err := h.app.Scheduler().CatchUp(h.ctx); err != nil { // first start: records, sends nothing
		t.Fatal(err)
	}
	d := h.propose(uTom, "product/pricing", "Raise prices", time.Time{})
	h.tick(mon2.Add(10 * time.Hour))
	h.act(d.ID, uPrice1, decisions.VerbApprove, "Yes")
	h.events()

	monday := mon2.AddDate(0, 0, 7).Add(9 * time.Hour)
	h.clock.Set(monday)
	if err := h.app.Scheduler().RunDigest(h.ctx, monday); err != nil {
		t.Fatal(err)
	}
	// Crash: the outbox decisions.Never ran.
	h.restart()
	h.clock.Set(monday.Add(2 * time.Minute))
	if err := h.app.Scheduler().CatchUp(h.ctx); err != nil {
		t.Fatal(err)
	}
	for _, now := range []time.Time{monday, monday.Add(time.Minute), monday.Add(3 * time.Hour)} {
		if err := h.app.Scheduler().RunDigest(h.ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	h.flush()
	h.wantEvents("after the restart", "digest CDIGEST1", "digest CDIGEST2")
	h.restart()
	h.tick(monday.Add(5 * time.Hour))
	h.wantEvents("later that day")

	// A crash before the run committed loses nothing either: the catch-up
	// sends that week's digest, once.
	next := monday.AddDate(0, 0, 7)
	h.clock.Set(next.Add(-time.Minute))
	h.restart()
	h.clock.Set(next.Add(30 * time.Minute))
	for range 2 {
		if err := h.app.Scheduler().CatchUp(h.ctx); err != nil {
			t.Fatal(err)
		}
		h.flush()
	}
	h.wantEvents("catch-up after a crash before the run", "digest CDIGEST1", "digest CDIGEST2")
	if last, _ := h.st.LastRun(JobDigest); !last.Equal(next) {
		t.Errorf("digest run recorded for %s, want the tick %s", last, next)
	}
	h.noRejections()
}

// A week and a half of downtime: on start, one digest (for the latest
// missed Monday) and one reminders run, not one per missed tick.
func TestCatchUpAfterDowntimeRunsOnce(t *testing.T) {
	h := newSched(t, "UTC", mon2.Add(8*time.Hour))
	if err := h.app.Scheduler().CatchUp(h.ctx); err != nil {
		t.Fatal(err)
	}
	d := h.propose(uTom, "engineering", "Move to Postgres 18", time.Time{})
	h.tick(mon2.Add(10 * time.Hour))
	h.events()

	h.restart()
	h.clock.Set(mon2.AddDate(0, 0, 10).Add(11 * time.Hour)) // Thursday 12 November
	for range 3 {
		if err := h.app.Scheduler().CatchUp(h.ctx); err != nil {
			t.Fatal(err)
		}
		h.flush()
	}
	h.wantEvents("catch-up", "digest CDIGEST1", "digest CDIGEST2", "remind D-1 UCTO1")
	if got := h.decision(d.ID); got.Reminders != 1 {
		t.Errorf("D-1 reminded %d times by the catch-up, want once", got.Reminders)
	}
	var digest slackfake.Post
	for _, p := range h.fake.Posts() {
		if p.Channel == chDigest1 {
			digest = p
		}
	}
	// The missed Monday 9 November 09:00 digest: the week of 2 November.
	if !strings.Contains(digest.Text, "2026-W45") {
		t.Errorf("catch-up digest %q, want week 2026-W45", digest.Text)
	}
	if last, _ := h.st.LastRun(JobDigest); !last.Equal(mon2.AddDate(0, 0, 7).Add(9 * time.Hour)) {
		t.Errorf("digest recorded for %s", last)
	}
}

// The digest fires at Monday 09:00 local time wherever the company is, and
// stays at 09:00 local across a daylight-saving change.
func TestDigestScheduleTimeZones(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		tz    string
		start time.Time
		ticks []time.Time // Mondays 09:00 local, in UTC
	}{
		{"America/Los_Angeles", utc("2026-10-18T12:00:00Z"), []time.Time{
			utc("2026-10-19T16:00:00Z"), // PDT, UTC-7
			utc("2026-10-26T16:00:00Z"),
			utc("2026-11-02T17:00:00Z"), // PST from 1 November, UTC-8
			utc("2026-11-09T17:00:00Z"),
		}},
		{"Asia/Tokyo", utc("2026-10-31T12:00:00Z"), []time.Time{
			utc("2026-11-02T00:00:00Z"), // JST, UTC+9
			utc("2026-11-09T00:00:00Z"),
		}},
		{"Europe/London", utc("2026-10-11T12:00:00Z"), []time.Time{
			utc("2026-10-12T08:00:00Z"), // BST, UTC+1
			utc("2026-10-19T08:00:00Z"),
			utc("2026-10-26T09:00:00Z"), // GMT from 25 October
			utc("2026-11-02T09:00:00Z"),
		}},
	} {
		t.Run(tc.tz, func(t *testing.T) {
			h := newSched(t, tc.tz, tc.start)
			loc := h.app.loc
			for i, tick := range tc.ticks {
				h.tick(tick.Add(-time.Minute))
				h.wantEvents("a minute before " + tick.In(loc).String())
				h.tick(tick)
				h.wantEvents(tick.In(loc).String(), "digest CDIGEST1", "digest CDIGEST2")
				if last, _ := h.st.LastRun(JobDigest); !last.Equal(tick) {
					t.Errorf("digest ran at %s (%s), want %s", last.UTC(), last.In(loc), tick.UTC())
				}
				if local := tick.In(loc); local.Weekday() != time.Monday || local.Hour() != 9 || local.Minute() != 0 {
					t.Fatalf("test data: %s is not Monday 09:00 in %s", local, tc.tz)
				}
				if i == 0 {
					continue
				}
				// The week runs from the previous Monday 09:00 local: 7 days
				// of the calendar, 167 or 169 hours across a change.
				dg, err := h.app.Scheduler().DigestFor(tick)
				if err != nil {
					t.Fatal(err)
				}
				if !dg.From.Equal(tc.ticks[i-1]) {
					t.Errorf("digest of %s starts %s, want %s", tick, dg.From.UTC(), tc.ticks[i-1].UTC())
				}
			}
			if got := lastTick(mustSchedule(t, "0 9 * * 1"), tc.ticks[0].Add(3*24*time.Hour), loc); !got.Equal(tc.ticks[0]) {
				t.Errorf("lastTick = %s, want %s", got, tc.ticks[0])
			}
		})
	}
}

func mustSchedule(t *testing.T, spec string) cron.Schedule {
	t.Helper()
	s, err := cron.ParseStandard(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The digest of a busy week fits Slack's limits and counts what it cannot
// list: 500 outcomes, 120 open decisions (80 of them overdue).
func TestDigestOfABusyWeekFits(t *testing.T) {
	h := newSched(t, "UTC", mon2.AddDate(0, 0, 7).Add(8*time.Hour))
	monday := mon2.AddDate(0, 0, 7).Add(9 * time.Hour)
	domains := []string{"product", "product/pricing", "engineering", "company"}
	long := strings.Repeat("A long rationale with <!channel> and @here in it. ", 20)
	var ds []decisions.Decision
	for i := range 500 {
		created := mon2.Add(9*time.Hour + time.Duration(i)*10*time.Minute)
		decided := created.Add(time.Duration(1+i%48) * time.Hour)
		ds = append(ds, decisions.Decision{
			Title: fmt.Sprintf("Decision %d <!here> %s", i, strings.Repeat("x", 100)), Proposer: uTom,
			Domain: domains[i%len(domains)], Deciders: []string{uProd}, Status: decisions.StatusApproved,
			Rationale: long, DecidedBy: uProd, DecidedAt: decided, CreatedAt: created, UpdatedAt: decided,
			History: []decisions.Event{
				{At: created, Actor: uTom, Kind: decisions.EventProposed},
				{At: decided, Actor: uProd, Kind: decisions.EventApproved, Note: long},
			},
		})
	}
	for i := range 120 {
		created := mon2.Add(time.Duration(i) * time.Hour)
		d := decisions.Decision{
			Title: fmt.Sprintf("Open %d", i), Proposer: uTom, Domain: domains[i%len(domains)],
			Deciders: []string{uCTO}, Status: decisions.StatusOpen, CreatedAt: created, UpdatedAt: created,
			// Looked at already: not due for a look again within the week.
			NextCheck: monday.AddDate(0, 0, 8),
			History:   []decisions.Event{{At: created, Actor: uTom, Kind: decisions.EventProposed}},
		}
		if i >= 40 {
			d.Due = monday.Add(-time.Duration(i+1) * time.Hour)
		}
		ds = append(ds, d)
	}
	if err := h.st.PutBulk(ds); err != nil {
		t.Fatal(err)
	}

	h.clock.Set(monday)
	if err := h.app.Scheduler().RunDigest(h.ctx, monday); err != nil {
		t.Fatal(err)
	}
	h.flush()
	h.wantEvents("Monday", "digest CDIGEST1", "digest CDIGEST2")
	h.noRejections()
	var digest slackfake.Post
	for _, p := range h.fake.Posts() {
		if p.Channel == chDigest1 {
			digest = p
		}
	}
	text := schedVisible(digest)
	for _, want := range []string{"*500 decided*", "Overdue* (80)", "Open* (120)", "…and 71 more", "…and 110 more"} {
		if !strings.Contains(text, want) {
			t.Errorf("digest lacks %q:\n%s", want, text)
		}
	}
	for _, bad := range []string{"<!channel>", "<!here>"} {
		if strings.Contains(text, bad) {
			t.Errorf("digest pings: %q in it", bad)
		}
	}
	dg, err := h.app.Scheduler().DigestFor(monday)
	if err != nil {
		t.Fatal(err)
	}
	if dg.Totals.Open != 120 || dg.Totals.Overdue != 80 || dg.Totals.Decided != 500 {
		t.Errorf("totals %+v", dg.Totals)
	}
	for _, dd := range dg.Domains {
		if dd.Stats.Open != 30 || dd.Stats.Overdue != 20 || dd.Stats.Decided != 125 {
			t.Errorf("%s: %+v, want 30 open, 20 overdue, 125 decided", dd.Domain, dd.Stats)
		}
	}
	if len(dg.Bottlenecks) != 1 || dg.Bottlenecks[0].Waiting != 120 {
		t.Errorf("bottlenecks %+v", dg.Bottlenecks)
	}
	// Only the few listed were loaded, not every open decision.
	if len(dg.Open) >= 120 || len(dg.Overdue) >= 80 {
		t.Errorf("digest loaded %d open and %d overdue decisions", len(dg.Open), len(dg.Overdue))
	}
	if dg.Overdue[0].Title != "Open 119" {
		t.Errorf("longest overdue first: got %q", dg.Overdue[0].Title)
	}
}

// A reminders run reads only the decisions due a look: hundreds of open
// decisions checked recently (or decisions.Never needing one) are not read. A
// changed policy (a new SLA) makes the next run look at all of them once.
func TestRemindersReadOnlyWhatIsDue(t *testing.T) {
	h := newSched(t, "UTC", mon2.Add(8*time.Hour))
	now := mon2.Add(9 * time.Hour)
	var ds []decisions.Decision
	for i := range 400 {
		created := mon2.AddDate(0, 0, -30)
		d := decisions.Decision{
			Title: fmt.Sprint("Old ", i), Proposer: uTom, Domain: "legal", Deciders: []string{uCTO},
			Status: decisions.StatusOpen, CreatedAt: created, UpdatedAt: created, NextCheck: decisions.Never,
			History: []decisions.Event{{At: created, Actor: uTom, Kind: decisions.EventProposed}},
		}
		if i < 3 {
			d.NextCheck = now.Add(-time.Hour) // these three are due a look
		}
		ds = append(ds, d)
	}
	if err := h.st.PutBulk(ds); err != nil {
		t.Fatal(err)
	}
	// Record the current policy's full check, as an earlier run would have.
	s, err := h.app.sched.newRun(h.ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.CompleteRun(h.app.sched.policyKey(s), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	plan, err := h.app.Scheduler().PlanReminders(h.ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 {
		t.Fatalf("plan read %d decisions, want the 3 due a look", len(plan))
	}
	for _, p := range plan {
		// Legal's SLA is 2 days and these are 30 days old: remind.
		if p.Step.Kind != decisions.StepRemind {
			t.Errorf("%s: %s", p.Decision.ID, p.Step.Kind)
		}
	}
	h.clock.Set(now)
	if err := h.app.Scheduler().RunReminders(h.ctx, now); err != nil {
		t.Fatal(err)
	}
	h.flush()
	if got := h.events(); len(got) != 3 {
		t.Errorf("reminders %v, want 3", got)
	}
	tomorrow := now.AddDate(0, 0, 1) // the next reminder hour after the quiet gap
	for _, p := range plan {
		if d := h.decision(p.Decision.ID); !d.NextCheck.Equal(tomorrow) {
			t.Errorf("%s next check %s, want %s, the next reminder hour after the remind gap", d.ID, d.NextCheck, tomorrow)
		}
	}

	// Legal's SLA becomes one day: the first run under it (at 10:00, no
	// one's reminder hour) looks at every open decision and schedules it
	// for tomorrow's hour; then it reads only what is due again.
	h.cfg, err = config.Parse("sched.yaml", []byte(strings.Replace(strings.ReplaceAll(schedConfig, "{{TZ}}", "UTC"),
		"owners: [ULAW1]\n    sla: 2d", "owners: [ULAW1]\n    sla: 1d", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	h.restart()
	later := now.Add(time.Hour)
	h.clock.Set(later)
	if err := h.app.Scheduler().RunReminders(h.ctx, later); err != nil {
		t.Fatal(err)
	}
	h.flush()
	if got := h.events(); len(got) != 0 {
		t.Errorf("at 10:00: reminders %v, want none before tomorrow's hour", got)
	}
	open, err := h.st.ByStatusOldest(decisions.StatusOpen, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range open {
		if !d.NextCheck.Equal(tomorrow) {
			t.Errorf("after the policy changed: %s next check %s, want %s", d.ID, d.NextCheck, tomorrow)
		}
	}
	plan, err = h.app.Scheduler().PlanReminders(h.ctx, later.Add(time.Hour))
	if err != nil || len(plan) != 0 {
		t.Errorf("an hour later the plan reads %d decisions (%v), want none", len(plan), err)
	}
	h.clock.Set(tomorrow)
	if err := h.app.Scheduler().RunReminders(h.ctx, tomorrow); err != nil {
		t.Fatal(err)
	}
	h.flush()
	if got := h.events(); len(got) != 400 {
		t.Errorf("tomorrow at 09:00: %d reminders, want all 400", len(got))
	}
}

// nextCheck is a lower bound: between a run that finds nothing to do and
// the NextCheck it records, the policy decisions.Never asks for anything.
func TestRemindersNextCheckNeverMissesAStep(t *testing.T) {
	h := newSched(t, "UTC", mon2)
	rng := rand.New(rand.NewPCG(1, 2))
	domains := []string{"company", "product", "product/pricing", "product/design", "engineering", "legal", "gone"}
	people := []string{uCEO, uProd, uPrice1, uPrice2, uCFO, uCTO}
	hours := func(max int) time.Duration { return time.Duration(rng.IntN(max*60)) * time.Minute }
	checked := 0
	for range 3000 {
		t0 := mon2.Add(hours(24 * 30))
		created := t0.Add(-hours(24 * 10))
		d := decisions.Decision{
			ID: 1, Domain: domains[rng.IntN(len(domains))], Status: decisions.StatusOpen, Proposer: uTom,
			CreatedAt: created,
			History:   []decisions.Event{{At: created, Actor: uTom, Kind: decisions.EventProposed}},
		}
		for _, u := range people {
			if rng.IntN(3) == 0 {
				d.Deciders = append(d.Deciders, u)
			}
		}
		if rng.IntN(2) == 0 {
			d.Due = created.Add(hours(24 * 12))
		}
		if rng.IntN(3) == 0 {
			at := created.Add(hours(int(t0.Sub(created)/time.Hour) + 1))
			d.History = append(d.History, decisions.Event{At: at, Actor: decisions.SystemActor, Kind: decisions.EventEscalated})
			d.Escalations = 1 + rng.IntN(3)
		}
		if rng.IntN(2) == 0 {
			d.Reminders = 1 + rng.IntN(3)
			d.LastRemindedAt = decisions.HandedOverAt(d).Add(hours(int(t0.Sub(decisions.HandedOverAt(d))/time.Hour) + 1))
		}
		if rng.IntN(4) == 0 && len(d.Deciders) > 0 {
			d.History = append(d.History, decisions.Event{At: t0.Add(-time.Minute), Actor: d.Deciders[0], Kind: decisions.EventAdviceRequested})
		}
		s, err := h.app.sched.newRun(h.ctx, t0)
		if err != nil {
			t.Fatal(err)
		}
		if s.step(d).Kind != decisions.StepNone {
			continue
		}
		next := s.nextCheck(d)
		if !next.After(t0) {
			t.Fatalf("nextCheck %s not after %s for %+v", next, t0, d)
		}
		end := next
		if cap := t0.Add(40 * 24 * time.Hour); cap.Before(end) {
			end = cap
		}
		// Runs come hourly after t0, each acting for the hours since the
		// previous one.
		runs := int64(end.Sub(t0) / time.Hour)
		if runs == 0 {
			checked++
			continue
		}
		for range 40 {
			s.now = t0.Add(time.Duration(1+rng.Int64N(runs)) * time.Hour)
			s.since = s.now.Add(-time.Hour)
			if s.now.After(end) {
				continue
			}
			if st := s.step(d); st.Kind != decisions.StepNone && s.now.Before(next) {
				t.Fatalf("at %s (next check %s, run at %s) the policy says %s (%s) for %+v", s.now, next, t0, st.Kind, st.Reason, d)
			}
		}
		// The last run before the check is the worst case.
		s.now = t0.Add(time.Duration(runs) * time.Hour)
		if s.now.Equal(end) {
			s.now = s.now.Add(-time.Hour)
		}
		s.since = s.now.Add(-time.Hour)
		if st := s.step(d); st.Kind != decisions.StepNone && end.Equal(next) && s.now.After(t0) {
			t.Fatalf("just before the next check %s the policy says %s for %+v", next, st.Kind, d)
		}
		checked++
	}
	if checked < 500 {
		t.Errorf("only %d cases exercised", checked)
	}
}

// Deferred decisions reopen on their date, and their deciders are told.
func TestRemindersReopenDeferredOnItsDate(t *testing.T) {
	h := newSched(t, "Europe/London", mon2.Add(8*time.Hour))
	d := h.propose(uTom, "engineering", "Rewrite the billing service", time.Time{})
	thursday := time.Date(2026, 11, 5, 0, 0, 0, 0, h.app.loc)
	h.act(d.ID, uCTO, decisions.VerbDefer, "after the audit", func(a *decisions.Action) { a.Until = thursday })
	h.events()
	h.tick(thursday.Add(-time.Minute))
	h.wantEvents("before Thursday: only Monday's digest", "digest CDIGEST1", "digest CDIGEST2")
	if got := h.decision(d.ID); got.Status != decisions.StatusDeferred {
		t.Fatalf("status %s before its date", got.Status)
	}
	h.tick(thursday.Add(9 * time.Hour))
	h.wantEvents("Thursday 09:00", "reopened D-1 UCTO1")
	got := h.decision(d.ID)
	if got.Status != decisions.StatusOpen || got.History[len(got.History)-1].Kind != decisions.EventReopened {
		t.Errorf("after its date: %s, last event %s", got.Status, got.History[len(got.History)-1].Kind)
	}
	// Reopened with a fresh SLA: the next reminder comes three days later.
	h.tick(thursday.AddDate(0, 0, 3).Add(8 * time.Hour))
	h.wantEvents("until Sunday 08:00")
	h.tick(thursday.AddDate(0, 0, 3).Add(9 * time.Hour))
	h.wantEvents("Sunday 09:00", "remind D-1 UCTO1")
}

// StartCron starts the jobs on the configured zone's schedules and stops
// without waiting for a tick.
func TestSchedulerStartCronStops(t *testing.T) {
	h := newSched(t, "Asia/Tokyo", mon2)
	stop, err := h.app.Scheduler().StartCron(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	h.cfg.Digest.Schedule = "not a schedule"
	if _, err := h.app.Scheduler().StartCron(h.ctx); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("StartCron with a bad schedule: %v", err)
	}
}
