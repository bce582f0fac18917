package bot

import (
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

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/reminderruns"
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
// sc.loc (cron.WithLocation does that for the cron runner). The reminders
// job runs every quarter of an hour and reminds the people whose
// reminders.schedule hour came in their own zone (hours.go).
func (sc *Scheduler) Jobs() ([]Job, error) {
	jobs := []Job{
		{Name: JobReminders, Spec: sc.cfg.Reminders.Schedule, Run: sc.RunReminders},
		{Name: JobDigest, Spec: sc.cfg.Digest.Schedule, Run: sc.RunDigest},
		{Name: JobCleanup, Spec: "30 3 * * *", Run: sc.RunCleanup},
	}
	jobs = append(jobs, sc.extra...)
	for i := range jobs {
		s, err := cron.ParseStandard(jobs[i].Spec)
		if err != nil {
			return nil, fmt.Errorf("job %s: schedule %q: %w", jobs[i].Name, jobs[i].Spec, err)
		}
		if jobs[i].Name == JobReminders {
			s = reminderruns.Schedule(s)
		}
		jobs[i].Schedule = s
	}
	return jobs, nil
}

// reminderSchedule is reminders.schedule: each person's reminder hour, in
// their zone.
func (sc *Scheduler) reminderSchedule() (cron.Schedule, error) {
	s, err := cron.ParseStandard(sc.cfg.Reminders.Schedule)
	if err != nil {
		return nil, fmt.Errorf("reminders schedule %q: %w", sc.cfg.Reminders.Schedule, err)
	}
	return s, nil
}

// runJob runs a job at now. Each job records its own completed run, in the
// same transaction as its last change where that matters (the digest).
func (sc *Scheduler) runJob(ctx context.Context, j Job, now time.Time) (err error) {
	level := slog.LevelInfo
	if j.Name == JobReminders {
		level = slog.LevelDebug // every quarter hour; what it changes is logged
	}
	sc.log.Log(ctx, level, "job starting", "job", j.Name, "at", now.In(sc.loc).Format(time.RFC3339))
	run := func() { err = j.Run(ctx, now) }
	if sc.contain == nil {
		run()
	} else if !sc.contain("job "+j.Name, run) {
		return fmt.Errorf("job %s: stopped on a failure reading the store", j.Name)
	}
	if err != nil {
		return fmt.Errorf("job %s: %w", j.Name, err)
	}
	sc.metrics.jobs.WithLabelValues(j.Name).Inc()
	return nil
}

// CatchUp runs, once each, the jobs whose scheduled time passed while Baton
// was down: one catch-up however many ticks were missed. On the very first
// start it only records the start, so nothing old is replayed.
func (sc *Scheduler) CatchUp(ctx context.Context) error {
	jobs, err := sc.Jobs()
	if err != nil {
		return err
	}
	now := sc.clock.Now()
	var errs []error
	for _, j := range jobs {
		last, err := sc.store.LastRun(j.Name)
		if err != nil {
			return fmt.Errorf("read last run of %s: %w", j.Name, err)
		}
		if last.IsZero() {
			if err := sc.store.CompleteRun(j.Name, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
				return fmt.Errorf("record first start of %s: %w", j.Name, err)
			}
			continue
		}
		if next := j.Schedule.Next(last.In(sc.loc)); !next.IsZero() && !next.After(now) {
			sc.log.Info("catching up a missed job run", "job", j.Name, "missed", next.Format(time.RFC3339))
			if err := sc.runJob(ctx, j, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	sc.outbox.Kick()
	return errors.Join(errs...)
}

// Tick moves a fake clock to `to`, running every job tick due in between
// in time order and delivering the outbox after each: the shell's `tick`.
func (sc *Scheduler) Tick(ctx context.Context, clock *FakeClock, to time.Time) (int, error) {
	jobs, err := sc.Jobs()
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
			t = j.Schedule.Next(t.In(sc.loc))
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
		if err := sc.runJob(ctx, p.job, p.at); err != nil {
			return ran, err
		}
		ran++
		if err := sc.outbox.Flush(ctx); err != nil {
			return ran, err
		}
	}
	clock.Set(to)
	return ran, sc.outbox.Flush(ctx)
}

// StartCron runs the jobs on their schedules in the configured time zone
// until the returned stop function is called; stop waits for running jobs.
func (sc *Scheduler) StartCron(ctx context.Context) (stop func(), err error) {
	jobs, err := sc.Jobs()
	if err != nil {
		return nil, err
	}
	logger := cronLogger{sc.log.With("component", "cron")}
	c := cron.New(cron.WithLocation(sc.loc), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	for _, j := range jobs {
		c.Schedule(j.Schedule, cron.FuncJob(func() {
			if err := sc.runJob(ctx, j, sc.clock.Now()); err != nil {
				sc.log.Error("scheduled job failed", "job", j.Name, "err", err)
			}
		}))
	}
	c.Start()
	return func() {
		<-c.Stop().Done()
		sc.log.Info("scheduler stopped")
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
func (sc *Scheduler) policy() decisions.Policy {
	return decisions.Policy{
		EscalateAfter: sc.cfg.Reminders.EscalateAfter,
		MaxPerPerson:  sc.cfg.Reminders.MaxPerPerson,
		DueSoon:       decisions.DefaultDueSoon,
		RemindGap:     decisions.DefaultRemindGap,
	}
}

// reminderRun is what one reminders run (or a plan) knows: the policy, the
// routing tree, and who is around, read once. The decisions themselves
// are judged by the pure policy in decisions.
type reminderRun struct {
	now     time.Time
	since   time.Time // the previous run: the hours that came since are this run's
	hours   *reminderHours
	policy  decisions.Policy
	router  *decisions.Router
	people  decisions.People
	ladders map[string][]decisions.Rung
}

// newRun reads what a reminders run at now needs. It acts for the hours
// that came since the last completed run (the last hour on a first run).
func (sc *Scheduler) newRun(ctx context.Context, now time.Time) (*reminderRun, error) {
	people, err := sc.people(now)
	if err != nil {
		return nil, err
	}
	since, err := sc.store.LastRun(JobReminders)
	if err != nil {
		return nil, fmt.Errorf("read last reminders run: %w", err)
	}
	if since.IsZero() || !since.Before(now) {
		since = now.Add(-time.Hour)
	}
	sched, err := sc.reminderSchedule()
	if err != nil {
		return nil, err
	}
	return &reminderRun{
		now: now, since: since, hours: newReminderHours(ctx, sched, sc.loc, now, sc.zone),
		policy: sc.policy(), router: sc.router(), people: people, ladders: map[string][]decisions.Rung{},
	}, nil
}

// situation is what the policy reads about d's surroundings.
func (s *reminderRun) situation(d decisions.Decision) decisions.Situation {
	dom, _ := s.router.Domain(d.Domain)
	l, ok := s.ladders[d.Domain]
	if !ok {
		l = s.router.Ladder(d.Domain)
		s.ladders[d.Domain] = l
	}
	return decisions.Situation{Now: s.now, Rules: decisions.RulesOf(dom), People: s.people, Ladder: l, Hours: s.hours, Since: s.since}
}

func (s *reminderRun) step(d decisions.Decision) decisions.Step {
	return s.policy.Next(d, s.situation(d))
}

func (s *reminderRun) nextCheck(d decisions.Decision) time.Time {
	return s.policy.NextCheck(d, s.situation(d))
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
func (sc *Scheduler) PlanReminders(ctx context.Context, now time.Time) ([]ReminderStep, error) {
	s, err := sc.newRun(ctx, now)
	if err != nil {
		return nil, err
	}
	ds, err := sc.reminderCandidates(now, false)
	if err != nil {
		return nil, err
	}
	return s.plan(ds), nil
}

func (sc *Scheduler) reminderCandidates(now time.Time, everything bool) ([]decisions.Decision, error) {
	deferred, err := sc.store.DeferredUntilBefore(now)
	if err != nil {
		return nil, fmt.Errorf("scan deferred decisions: %w", err)
	}
	var open []decisions.Decision
	if everything {
		open, err = sc.store.ByStatusOldest(decisions.StatusOpen, 0)
	} else {
		open, err = sc.store.CheckDue(now, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("scan open decisions: %w", err)
	}
	return slices.Concat(deferred, open), nil
}

func (s *reminderRun) plan(ds []decisions.Decision) []ReminderStep {
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
		} else {
			// The NextCheck computed in the write reads the zones of
			// everyone the decision will wait on: look them up now.
			who := slices.Concat(d.Deciders, st.Users, d.Advisors, decisions.MissingAdvice(d))
			s.hours.know(slices.Concat(who, s.people.Reachable(who, d.Proposer)))
		}
		out = append(out, rs)
	}
	s.hours.freeze()
	return out
}

// policyKey names the reminder policy in force: its figures and every
// domain's SLA. NextCheck times were computed under some policy; when it
// changes (a shorter SLA, say) they may be too late, so the first run
// under a new policy looks at every open decision once. The key is stored
// as a job in the store's job records: "this policy's full check ran".
func (sc *Scheduler) policyKey(s *reminderRun) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%d|%d|%d|%s", s.policy.EscalateAfter, s.policy.DueSoon, s.policy.RemindGap, s.policy.MaxPerPerson, sc.cfg.Reminders.Schedule)
	for _, d := range s.router.Domains() {
		fmt.Fprintf(h, "|%s=%d/%s/%d/%t", strings.ToLower(d.Name), d.SLA, d.Rule, d.ConsentAfter, d.RequireAdvice)
	}
	return fmt.Sprintf("%s/policy-%016x", JobReminders, h.Sum64())
}

// RunReminders reopens deferred decisions that are due back, reminds
// deciders of decisions past their SLA or near their due date, and
// escalates those left too long, one level at a time. Each change commits
// with its messages, so a run cut short by a crash and run again sends
// nothing twice: what was done is visible in the decision (its last
// reminder, its new deciders) and the policy does not repeat it.
func (sc *Scheduler) RunReminders(ctx context.Context, now time.Time) error {
	s, err := sc.newRun(ctx, now)
	if err != nil {
		return err
	}
	key := sc.policyKey(s)
	last, err := sc.store.LastRun(key)
	if err != nil {
		return fmt.Errorf("read policy check: %w", err)
	}
	ds, err := sc.reminderCandidates(now, last.IsZero())
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
		if err := sc.runStep(s, rs.Decision.ID); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := sc.store.SetNextChecks(later); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 && last.IsZero() {
		if err := sc.store.CompleteRun(key, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
			errs = append(errs, fmt.Errorf("record policy check: %w", err))
		}
	}
	if err := sc.store.CompleteRun(JobReminders, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
		errs = append(errs, fmt.Errorf("record reminders run: %w", err))
	}
	sc.outbox.Kick()
	return errors.Join(errs...)
}

// errNothingToDo aborts a step whose decision changed since it was read
// so that the policy no longer asks for anything.
var errNothingToDo = errors.New("nothing to do")

// runStep applies the policy to decision id as it is inside the write
// transaction (not as the plan saw it: a decider may have acted since),
// and commits the change, its NextCheck and its messages together.
func (sc *Scheduler) runStep(s *reminderRun, id decisions.ID) error {
	var act decisions.Action
	d, err := sc.store.UpdateDecisionIn(id, func(v store.View, cur decisions.Decision) (decisions.Decision, []storeItem, error) {
		sit := s.situation(cur)
		step := s.policy.Next(cur, sit)
		var ok bool
		if act, ok = step.Action(); !ok {
			return cur, nil, errNothingToDo
		}
		act.Rules = sit.Rules
		next, err := decisions.Apply(cur, act, s.now)
		if err != nil {
			return cur, nil, err
		}
		next.NextCheck = s.nextCheck(next)
		items, err := encodeItems(s.now, sc.messages(v, cur, next, act, s.people))
		return next, items, err
	})
	switch {
	case errors.Is(err, errNothingToDo), errors.Is(err, decisions.ErrClosed):
		return nil
	case err != nil:
		return fmt.Errorf("%s %s: %w", act.Verb, id, err)
	}
	sc.metrics.transitions.WithLabelValues(string(act.Verb)).Inc()
	sc.log.Info("decision changed", "id", id.String(), "verb", act.Verb, "by", decisions.SystemActor, "status", d.Status, "deciders", d.Deciders, "why", act.Rationale)
	return nil
}
