package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// Job is a scheduled job: a plain method taking (ctx, now), so tests and
// the shell call it directly with their own clock.
type Job struct {
	Name     string
	Spec     string
	Schedule cron.Schedule
	Run      func(ctx context.Context, now time.Time) error
}

// Job names, also the keys of their last completed run in the store.
const (
	JobReminders = "reminders"
	JobDigest    = "digest"
	JobCleanup   = "cleanup"
)

// Jobs returns Baton's scheduled jobs with their parsed schedules. A
// schedule runs in the configured time zone: Next must be given times in
// a.loc (cron.WithLocation does that for the cron runner).
func (a *App) Jobs() ([]Job, error) {
	jobs := []Job{
		{Name: JobReminders, Spec: a.cfg.Reminders.Schedule, Run: a.RunReminders},
		{Name: JobDigest, Spec: a.cfg.Digest.Schedule, Run: a.RunDigest},
		{Name: JobCleanup, Spec: "30 3 * * *", Run: a.RunCleanup},
		{Name: JobReviews, Spec: a.cfg.Reminders.Schedule, Run: a.RunReviews},
	}
	for i := range jobs {
		s, err := cron.ParseStandard(jobs[i].Spec)
		if err != nil {
			return nil, fmt.Errorf("job %s: schedule %q: %w", jobs[i].Name, jobs[i].Spec, err)
		}
		jobs[i].Schedule = s
	}
	return jobs, nil
}

// runJob runs a job at now. Each job records its own completed run, in the
// same transaction as its last change where that matters (the digest).
func (a *App) runJob(ctx context.Context, j Job, now time.Time) error {
	a.log.Info("job starting", "job", j.Name, "at", now.In(a.loc).Format(time.RFC3339))
	if err := j.Run(ctx, now); err != nil {
		return fmt.Errorf("job %s: %w", j.Name, err)
	}
	a.metrics.jobs.WithLabelValues(j.Name).Inc()
	return nil
}

// CatchUp runs, once each, the jobs whose scheduled time passed while Baton
// was down: one catch-up however many ticks were missed. On the very first
// start it only records the start, so nothing old is replayed.
func (a *App) CatchUp(ctx context.Context) error {
	jobs, err := a.Jobs()
	if err != nil {
		return err
	}
	now := a.clock.Now()
	var errs []error
	for _, j := range jobs {
		last, err := a.store.LastRun(j.Name)
		if err != nil {
			return fmt.Errorf("read last run of %s: %w", j.Name, err)
		}
		if last.IsZero() {
			if err := a.store.CompleteRun(j.Name, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
				return fmt.Errorf("record first start of %s: %w", j.Name, err)
			}
			continue
		}
		if next := j.Schedule.Next(last.In(a.loc)); !next.IsZero() && !next.After(now) {
			a.log.Info("catching up a missed job run", "job", j.Name, "missed", next.Format(time.RFC3339))
			if err := a.runJob(ctx, j, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	a.outbox.Kick()
	return errors.Join(errs...)
}

// Tick moves a fake clock to `to`, running every job tick due in between
// in time order and delivering the outbox after each: the shell's `tick`.
func (a *App) Tick(ctx context.Context, clock *FakeClock, to time.Time) (int, error) {
	jobs, err := a.Jobs()
	if err != nil {
		return 0, err
	}
	type due struct {
		at  time.Time
		job Job
	}
	var plan []due
	from := clock.Now()
	for _, j := range jobs {
		t := from
		for range 10000 {
			t = j.Schedule.Next(t.In(a.loc))
			if t.IsZero() || t.After(to) {
				break
			}
			plan = append(plan, due{t, j})
		}
	}
	sort.SliceStable(plan, func(i, k int) bool { return plan[i].at.Before(plan[k].at) })
	ran := 0
	for _, p := range plan {
		clock.Set(p.at)
		if err := a.runJob(ctx, p.job, p.at); err != nil {
			return ran, err
		}
		ran++
		if err := a.outbox.Flush(ctx); err != nil {
			return ran, err
		}
	}
	clock.Set(to)
	return ran, a.outbox.Flush(ctx)
}

// StartCron runs the jobs on their schedules in the configured time zone
// until the returned stop function is called; stop waits for running jobs.
func (a *App) StartCron(ctx context.Context) (stop func(), err error) {
	jobs, err := a.Jobs()
	if err != nil {
		return nil, err
	}
	logger := cronLogger{a.log.With("component", "cron")}
	c := cron.New(cron.WithLocation(a.loc), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	for _, j := range jobs {
		c.Schedule(j.Schedule, cron.FuncJob(func() {
			if err := a.runJob(ctx, j, a.clock.Now()); err != nil {
				a.log.Error("scheduled job failed", "job", j.Name, "err", err)
			}
		}))
	}
	c.Start()
	return func() {
		<-c.Stop().Done()
		a.log.Info("scheduler stopped")
	}, nil
}

// cronLogger lets cron report panics and skipped runs through slog.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug(msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error(msg, append(kv, "err", err)...)
}

// lastTick is the latest time s fires at or before now, read in loc; zero
// if it never fired in the last eight years. cron schedules only look
// forward, so it searches back in doubling steps and then walks forward.
func lastTick(s cron.Schedule, now time.Time, loc *time.Location) time.Time {
	now = now.In(loc)
	for back := time.Minute; back < 8*366*24*time.Hour; back *= 2 {
		t := s.Next(now.Add(-back))
		if t.IsZero() {
			return time.Time{}
		}
		if t.After(now) {
			continue
		}
		for {
			n := s.Next(t)
			if n.IsZero() || n.After(now) {
				return t
			}
			t = n
		}
	}
	return time.Time{}
}

// ---- Reminders and escalation ----

// policy is the reminder and escalation policy from the config.
func (a *App) policy() decisions.Policy {
	return decisions.Policy{
		EscalateAfter: a.cfg.Reminders.EscalateAfter,
		DueSoon:       decisions.DefaultDueSoon,
		RemindGap:     decisions.DefaultRemindGap,
	}
}

// never is the NextCheck of an open decision that no deadline will ever
// bring back to the scheduler (no due date, no SLA, nobody to nudge again).
var never = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// rung is one level of a domain's escalation ladder, as configured: the
// domain's escalate_to, then each ancestor's owners. Presence is applied
// when climbing, so a level's index never depends on who is away.
type rung struct {
	label string // "the owners of product", for the history and the DMs
	users []string
}

// scheduler is what one reminders run (or a plan) knows: the policy, the
// routing tree, and who is away, read once.
type scheduler struct {
	a        *App
	now      time.Time
	policy   decisions.Policy
	router   *decisions.Router
	presence map[string]decisions.Presence
	ladders  map[string][]rung
}

func (a *App) newScheduler(now time.Time) (*scheduler, error) {
	presence, err := a.presence()
	if err != nil {
		return nil, err
	}
	return &scheduler{a: a, now: now, policy: a.policy(), router: a.Router(), presence: presence, ladders: map[string][]rung{}}, nil
}

func (s *scheduler) sla(domain string) time.Duration {
	if dom, ok := s.router.Domain(domain); ok {
		return dom.SLA
	}
	return 0
}

// ladder lists, for a domain, who a decision climbs to at each level.
func (s *scheduler) ladder(domain string) []rung {
	if l, ok := s.ladders[domain]; ok {
		return l
	}
	var l []rung
	if dom, ok := s.router.Domain(domain); ok && len(dom.EscalateTo) > 0 {
		l = append(l, rung{label: "the escalation contacts of " + dom.Name, users: dom.EscalateTo})
	}
	for name := domain; ; {
		parent, ok := s.router.Parent(name)
		if !ok {
			break
		}
		// A domain without owners of its own defers to its parent: no level.
		if len(parent.Owners) > 0 {
			l = append(l, rung{label: "the owners of " + parent.Name, users: parent.Owners})
		}
		name = parent.Name
	}
	s.ladders[domain] = l
	return l
}

// available applies presence to users: deactivated people are skipped,
// away ones replaced by their delegate.
func (s *scheduler) available(users []string) []string {
	out, _ := s.router.Assignees(decisions.Domain{Owners: users, Assign: decisions.AssignAll},
		decisions.Request{Now: s.now, Presence: s.presence})
	return out
}

// up finds the next level above where d is now: the first rung past the
// ones it already climbed with someone available who does not hold it yet.
// level is that rung's index; ok is false at the top.
func (s *scheduler) up(d decisions.Decision) (users []string, label string, level int, ok bool) {
	l := s.ladder(d.Domain)
	for i := max(d.Escalations, 0); i < len(l); i++ {
		users := s.available(l[i].users)
		if len(users) == 0 || allIn(users, d.Deciders) {
			continue // nobody new there: climb past it
		}
		return users, l[i].label, i, true
	}
	return nil, "", 0, false
}

func allIn(users, in []string) bool {
	for _, u := range users {
		if !slices.Contains(in, u) {
			return false
		}
	}
	return true
}

// step is what the policy says to do to d now.
func (s *scheduler) step(d decisions.Decision) decisions.Step {
	return s.policy.Next(d, s.sla(d.Domain), s.now, func(d decisions.Decision) ([]string, string, bool) {
		users, label, _, ok := s.up(d)
		return users, label, ok
	})
}

// nextCheck is the earliest time after now at which the policy could act
// on d if nothing else changes: a lower bound is safe (the scheduler looks,
// finds nothing, and looks again later), a later time would miss a
// reminder. Each policy rule fires at one of these instants: the end of
// the quiet gap after the last nudge, the due date coming close or
// passing, or the SLA running out since the hand-over.
func (s *scheduler) nextCheck(d decisions.Decision) time.Time {
	if d.Status != decisions.StatusOpen {
		return never
	}
	p := s.policy
	handover := decisions.HandedOverAt(d)
	nudge := handover
	if d.LastRemindedAt.After(nudge) {
		nudge = d.LastRemindedAt
	}
	next := never
	consider := func(t time.Time) {
		if t.After(s.now) && t.Before(next) {
			next = t
		}
	}
	consider(nudge.Add(p.RemindGap))
	if !d.LastRemindedAt.IsZero() {
		consider(d.LastRemindedAt.Add(p.RemindGap))
	}
	if !d.Due.IsZero() {
		consider(d.Due.Add(-p.DueSoon))
		consider(d.Due.Add(time.Nanosecond)) // Overdue is strictly after Due
	}
	if sla := s.sla(d.Domain); sla > 0 {
		consider(handover.Add(sla))
	}
	return next
}

// ReminderStep is what a reminders run does, or would do, to one decision.
type ReminderStep struct {
	Decision decisions.Decision
	Step     decisions.Step
	// NextCheck is, when Step is none, when the decision needs a look again.
	NextCheck time.Time
}

// PlanReminders reads the decisions a reminders run at now looks at (the
// deferred ones due back, and the open ones whose NextCheck has come) and
// says what the policy would do to each, changing nothing. It reads two
// time-ordered index ranges, so its cost follows what needs attention now,
// not how many decisions exist.
func (a *App) PlanReminders(now time.Time) ([]ReminderStep, error) {
	s, err := a.newScheduler(now)
	if err != nil {
		return nil, err
	}
	ds, err := a.reminderCandidates(now, false)
	if err != nil {
		return nil, err
	}
	return s.plan(ds), nil
}

func (a *App) reminderCandidates(now time.Time, everything bool) ([]decisions.Decision, error) {
	deferred, err := a.store.DeferredUntilBefore(now)
	if err != nil {
		return nil, fmt.Errorf("scan deferred decisions: %w", err)
	}
	var open []decisions.Decision
	if everything {
		open, err = a.store.ByStatusOldest(decisions.StatusOpen, 0)
	} else {
		open, err = a.store.CheckDue(now, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("scan open decisions: %w", err)
	}
	return slices.Concat(deferred, open), nil
}

func (s *scheduler) plan(ds []decisions.Decision) []ReminderStep {
	out := make([]ReminderStep, 0, len(ds))
	seen := make(map[decisions.ID]bool, len(ds))
	for _, d := range ds {
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		st := s.step(d)
		rs := ReminderStep{Decision: d, Step: st}
		if st.Kind == decisions.StepNone {
			rs.NextCheck = s.nextCheck(d)
		}
		out = append(out, rs)
	}
	return out
}

// policyKey names the reminder policy in force: its figures and every
// domain's SLA. NextCheck times were computed under some policy; when it
// changes (a shorter SLA, say) they may be too late, so the first run
// under a new policy looks at every open decision once. The key is stored
// as a job in the store's job records: "this policy's full check ran".
func (a *App) policyKey(s *scheduler) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%d|%d", s.policy.EscalateAfter, s.policy.DueSoon, s.policy.RemindGap)
	for _, d := range s.router.Domains() {
		fmt.Fprintf(h, "|%s=%d", strings.ToLower(d.Name), d.SLA)
	}
	return fmt.Sprintf("%s/policy-%016x", JobReminders, h.Sum64())
}

// RunReminders reopens deferred decisions that are due back, reminds
// deciders of decisions past their SLA or near their due date, and
// escalates those left too long, one level at a time. Each change commits
// with its messages, so a run cut short by a crash and run again sends
// nothing twice: what was done is visible in the decision (its last
// reminder, its new deciders) and the policy does not repeat it.
func (a *App) RunReminders(ctx context.Context, now time.Time) error {
	s, err := a.newScheduler(now)
	if err != nil {
		return err
	}
	key := a.policyKey(s)
	last, err := a.store.LastRun(key)
	if err != nil {
		return fmt.Errorf("read policy check: %w", err)
	}
	ds, err := a.reminderCandidates(now, last.IsZero())
	if err != nil {
		return err
	}
	var errs []error
	var later []store.NextCheck
	for _, rs := range s.plan(ds) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if rs.Step.Kind == decisions.StepNone {
			later = append(later, store.NextCheck{ID: rs.Decision.ID, Events: len(rs.Decision.History), At: rs.NextCheck})
			continue
		}
		if err := a.runStep(s, rs.Decision.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := a.store.SetNextChecks(later); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 && last.IsZero() {
		if err := a.store.CompleteRun(key, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
			errs = append(errs, fmt.Errorf("record policy check: %w", err))
		}
	}
	if err := a.store.CompleteRun(JobReminders, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
		errs = append(errs, fmt.Errorf("record reminders run: %w", err))
	}
	a.outbox.Kick()
	return errors.Join(errs...)
}

// errNothingToDo aborts a step whose decision changed since it was read
// so that the policy no longer asks for anything.
var errNothingToDo = errors.New("nothing to do")

// runStep applies the policy to decision id as it is inside the write
// transaction (not as the plan saw it: a decider may have acted since),
// and commits the change, its NextCheck and its messages together.
func (a *App) runStep(s *scheduler, id decisions.ID) error {
	var act decisions.Action
	d, err := a.store.UpdateDecision(id, func(cur decisions.Decision) (decisions.Decision, []storeItem, error) {
		step := s.step(cur)
		var ok bool
		if act, ok = step.Action(); !ok {
			return cur, nil, errNothingToDo
		}
		level := 0
		if act.Verb == decisions.VerbEscalate {
			_, label, lvl, _ := s.up(cur)
			level = lvl
			act.Rationale = step.Reason + "; now with " + label
			act.Domain = "" // the decision keeps its domain; the history says who holds it now
		}
		next, err := decisions.Apply(cur, act, s.now)
		if err != nil {
			return cur, nil, err
		}
		if act.Verb == decisions.VerbEscalate {
			// Levels skipped (nobody available, nobody new) count as
			// climbed, so the next escalation starts above them.
			next.Escalations = level + 1
		}
		next.NextCheck = s.nextCheck(next)
		items, err := encodeItems(s.now, a.transitionMessages(cur, next, act))
		return next, items, err
	})
	switch {
	case errors.Is(err, errNothingToDo), errors.Is(err, decisions.ErrClosed):
		return nil
	case err != nil:
		return fmt.Errorf("%s %s: %w", act.Verb, id, err)
	}
	a.metrics.transitions.WithLabelValues(string(act.Verb)).Inc()
	a.log.Info("decision changed", "id", id.String(), "verb", act.Verb, "by", decisions.SystemActor, "status", d.Status, "deciders", d.Deciders, "why", act.Rationale)
	return nil
}

// ---- The weekly digest ----

// digestSample bounds how many open, deferred or overdue decisions the
// digest loads to list: the message shows ten of each, and the counts come
// from the indexes.
const digestSample = 50

// DigestFor builds the digest of the week ending at now. It reads the
// week's outcomes from the decided-time index, counts what is open and
// overdue per domain and per decider from index keys alone, and loads
// only the few open decisions it lists (the oldest, the longest overdue,
// and those due a look from the scheduler, where the stuck ones are), so
// its cost follows the week, not the history.
func (a *App) DigestFor(now time.Time) (decisions.Digest, error) {
	from := now.In(a.loc).AddDate(0, 0, -7)
	decided, err := a.store.DecidedBetween(from, now)
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read outcomes: %w", err)
	}
	pending, err := a.store.PendingCounts(now)
	if err != nil {
		return decisions.Digest{}, err
	}
	load, err := a.store.OpenLoad()
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read open load: %w", err)
	}
	var sample []decisions.Decision
	add := func(ds []decisions.Decision, err error) error {
		sample = append(sample, ds...)
		return err
	}
	err = errors.Join(
		add(a.store.ByStatusOldest(decisions.StatusOpen, digestSample)),
		add(a.store.ByStatusOldest(decisions.StatusDeferred, digestSample)),
		add(a.store.DueBefore(now, digestSample)),
		// A decision still late after climbing is nudged at least every
		// RemindGap, so it is among those due a look within one.
		add(a.store.CheckDue(now.Add(decisions.DefaultRemindGap), 20*digestSample)),
	)
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read open decisions: %w", err)
	}
	slices.SortFunc(sample, func(x, y decisions.Decision) int { return cmp.Compare(x.ID, y.ID) })
	sample = slices.CompactFunc(sample, func(x, y decisions.Decision) bool { return x.ID == y.ID })

	s, err := a.newScheduler(now)
	if err != nil {
		return decisions.Digest{}, err
	}
	r := s.router
	dg := decisions.BuildDigest(decisions.DigestInput{
		From: from, To: now, Decided: decided, Open: sample, Now: now,
		Domains: r.Domains(), Unreachable: s.unreachable(),
	})
	// ISO week of the middle of the window: a Friday-to-Friday digest is
	// named after the week it mostly covers, as ISO weeks are named after
	// their Thursday.
	dg.Week = decisions.ISOWeek(from.Add(now.Sub(from) / 2))
	applyCounts(&dg, pending, load, r.Domains())
	return dg, nil
}

// unreachable lists the domains where nobody can decide now: every owner
// (or, for a domain without owners of its own, every owner of the nearest
// ancestor that has some) is deactivated or away without a delegate.
func (s *scheduler) unreachable() []string {
	var out []string
	for _, dom := range s.router.Domains() {
		owners := dom.Owners
		for name := dom.Name; len(owners) == 0; {
			parent, ok := s.router.Parent(name)
			if !ok {
				break
			}
			owners, name = parent.Owners, parent.Name
		}
		if len(s.available(owners)) == 0 {
			out = append(out, dom.Name)
		}
	}
	return out
}

// applyCounts replaces the open, overdue and bottleneck figures BuildDigest
// computed from the sample with the exact ones counted from the indexes,
// and adds the domains whose only activity is open decisions the sample
// did not include.
func applyCounts(dg *decisions.Digest, pending map[string]store.Pending, load map[string]int, config []decisions.Domain) {
	have := map[string]bool{}
	for _, dd := range dg.Domains {
		have[dd.Domain] = true
	}
	for name := range pending {
		if !have[name] {
			dg.Domains = append(dg.Domains, decisions.DomainDigest{Domain: name})
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
	slices.SortStableFunc(dg.Domains, func(x, y decisions.DomainDigest) int {
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
		dg.Bottlenecks = append(dg.Bottlenecks, decisions.Bottleneck{User: u, Waiting: n})
	}
	slices.SortFunc(dg.Bottlenecks, func(x, y decisions.Bottleneck) int {
		return cmp.Or(cmp.Compare(y.Waiting, x.Waiting), cmp.Compare(x.User, y.User))
	})
	if len(dg.Bottlenecks) > decisions.MaxBottlenecks {
		dg.Bottlenecks = dg.Bottlenecks[:decisions.MaxBottlenecks]
	}
}

// digestSchedule is the digest job's parsed schedule.
func (a *App) digestSchedule() (cron.Schedule, error) {
	s, err := cron.ParseStandard(a.cfg.Digest.Schedule)
	if err != nil {
		return nil, fmt.Errorf("digest schedule %q: %w", a.cfg.Digest.Schedule, err)
	}
	return s, nil
}

// RunDigest posts the weekly digest to every digest channel. A run belongs
// to the latest scheduled time at or before now (so a catch-up after
// downtime is the digest of the tick that was missed, and a second run for
// the same tick does nothing). The run's record and its messages commit
// together; message keys name the week and channel, so a re-run after a
// crash sends nothing twice.
func (a *App) RunDigest(ctx context.Context, now time.Time) error {
	sched, err := a.digestSchedule()
	if err != nil {
		return err
	}
	end := lastTick(sched, now, a.loc)
	if end.IsZero() {
		end = now
	}
	last, err := a.store.LastRun(JobDigest)
	if err != nil {
		return fmt.Errorf("read last digest run: %w", err)
	}
	if !last.IsZero() && !end.After(last) {
		a.log.Info("digest already sent for this run", "tick", end.Format(time.RFC3339))
		return nil
	}
	dg, err := a.DigestFor(end)
	if err != nil {
		return err
	}
	msg := blocks.Digest(dg, a.slash(), a.loc)
	// A weekly schedule gives one digest per ISO week; a more frequent one
	// needs its tick in the key, or the outbox would take the second
	// digest of a week for a duplicate of the first.
	run := dg.Week
	if prev := lastTick(sched, end.Add(-time.Second), a.loc); !prev.IsZero() && end.Sub(prev) < 6*24*time.Hour {
		run = end.In(a.loc).Format("2006-01-02T15:04")
	}
	var out []outgoing
	for _, c := range a.cfg.Digest.Channels {
		m := newMessage(KindPost, msg)
		m.Channel = c
		out = append(out, outgoing{Key: "digest/" + run + "/" + c, Msg: m})
	}
	items, err := encodeItems(now, out)
	if err != nil {
		return err
	}
	if err := a.store.CompleteRun(JobDigest, end, items...); errors.Is(err, store.ErrAlreadyRun) {
		a.log.Info("digest already sent for this run", "week", dg.Week)
		return nil
	} else if err != nil {
		return fmt.Errorf("record digest run: %w", err)
	}
	a.log.Info("digest queued", "week", dg.Week, "channels", len(out), "decided", dg.Totals.Decided, "open", dg.Totals.Open)
	a.outbox.Kick()
	return nil
}

// RunCleanup forgets Slack event ids older than Slack's retry horizon.
func (a *App) RunCleanup(ctx context.Context, now time.Time) error {
	n, err := a.store.ExpireEvents(now.Add(-48 * time.Hour))
	if err != nil {
		return fmt.Errorf("expire events: %w", err)
	}
	if n > 0 {
		a.log.Info("expired old event ids", "count", n)
	}
	if err := a.store.CompleteRun(JobCleanup, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
		return err
	}
	return nil
}
