package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
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

// Jobs returns Baton's scheduled jobs with their parsed schedules.
func (a *App) Jobs() ([]Job, error) {
	jobs := []Job{
		{Name: JobReminders, Spec: a.cfg.Reminders.Schedule, Run: a.RunReminders},
		{Name: JobDigest, Spec: a.cfg.Digest.Schedule, Run: a.RunDigest},
		{Name: JobCleanup, Spec: "30 3 * * *", Run: a.RunCleanup},
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

// runJob runs a job at now and records that run, so it never runs twice
// for the same tick and a missed tick is caught up once.
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
		if next := j.Schedule.Next(last.In(a.loc)); !next.After(now) {
			a.log.Info("catching up a missed job run", "job", j.Name, "missed", next.Format(time.RFC3339))
			if err := a.runJob(ctx, j, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
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
	c := cron.New(cron.WithLocation(a.loc), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
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

// policy is the reminder and escalation policy from the config.
func (a *App) policy() decisions.Policy {
	return decisions.Policy{EscalateAfter: a.cfg.Reminders.EscalateAfter, DueSoon: 24 * time.Hour}
}

// escalationChain lists, for a domain, who a decision climbs to at each
// level: the domain's escalate_to (if any), then each ancestor's owners.
func (a *App) escalationChain(domain string, now time.Time) ([][]string, []string) {
	r := a.Router()
	presence, err := a.presence()
	if err != nil {
		a.log.Warn("read presence", "err", err)
	}
	var chain [][]string
	var names []string
	if dom, ok := r.Domain(domain); ok && len(dom.EscalateTo) > 0 {
		chain = append(chain, dom.EscalateTo)
		names = append(names, domain+" (escalate_to)")
	}
	for name := domain; ; {
		parent, ok := r.Parent(name)
		if !ok {
			break
		}
		owners, _ := r.Assignees(decisions.Domain{Name: parent.Name, Owners: parent.Owners, Assign: decisions.AssignAll}, decisions.Request{Now: now, Presence: presence})
		if len(owners) > 0 {
			chain = append(chain, owners)
			names = append(names, parent.Name)
		}
		name = parent.Name
	}
	return chain, names
}

// RunReminders reopens deferred decisions that are due back, reminds
// deciders of decisions past their SLA or near their due date, and
// escalates those left too long. Each change commits with its messages.
func (a *App) RunReminders(ctx context.Context, now time.Time) error {
	var errs []error
	deferred, err := a.store.DeferredUntilBefore(now)
	if err != nil {
		return fmt.Errorf("scan deferred decisions: %w", err)
	}
	for _, d := range deferred {
		if _, err := a.transition(d.ID, decisions.Action{Verb: decisions.VerbReopen, Actor: decisions.Actor{System: true}}); err != nil {
			errs = append(errs, fmt.Errorf("reopen %s: %w", d.ID, err))
		}
	}
	open, err := a.store.ByStatus(decisions.StatusOpen, 0)
	if err != nil {
		return fmt.Errorf("scan open decisions: %w", err)
	}
	p := a.policy()
	up := func(d decisions.Decision) ([]string, string, bool) {
		chain, names := a.escalationChain(d.Domain, now)
		if d.Escalations >= len(chain) {
			return nil, "", false
		}
		return chain[d.Escalations], names[d.Escalations], true
	}
	for _, d := range open {
		if err := ctx.Err(); err != nil {
			return err
		}
		var sla time.Duration
		if dom, ok := a.Router().Domain(d.Domain); ok {
			sla = dom.SLA
		}
		step := p.Next(d, sla, now, up)
		act, ok := step.Action()
		if !ok {
			continue
		}
		if act.Verb == decisions.VerbEscalate {
			act.Rationale = fmt.Sprintf("%s; now with %s", step.Reason, step.Domain)
			act.Domain = "" // the decision keeps its domain; the history says who holds it now
		}
		if _, err := a.transition(d.ID, act); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", act.Verb, d.ID, err))
		}
	}
	if err := a.store.CompleteRun(JobReminders, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
		errs = append(errs, fmt.Errorf("record reminders run: %w", err))
	}
	return errors.Join(errs...)
}

// DigestFor builds the digest of the week ending at now.
func (a *App) DigestFor(now time.Time) (decisions.Digest, error) {
	from := now.AddDate(0, 0, -7)
	decided, err := a.store.DecidedBetween(from, now)
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read outcomes: %w", err)
	}
	open, err := a.store.ByStatus(decisions.StatusOpen, 0)
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read open decisions: %w", err)
	}
	deferred, err := a.store.ByStatus(decisions.StatusDeferred, 0)
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read deferred decisions: %w", err)
	}
	presence, err := a.presence()
	if err != nil {
		return decisions.Digest{}, err
	}
	var unreachable []string
	r := a.Router()
	for _, dom := range r.Domains() {
		owners, _ := r.Assignees(decisions.Domain{Name: dom.Name, Owners: dom.Owners, Assign: decisions.AssignAll}, decisions.Request{Now: now, Presence: presence})
		if len(owners) == 0 {
			unreachable = append(unreachable, dom.Name)
		}
	}
	return decisions.BuildDigest(decisions.DigestInput{
		From: from, To: now, Decided: decided, Open: slices.Concat(open, deferred), Now: now,
		Domains: r.Domains(), Unreachable: unreachable,
	}), nil
}

// RunDigest posts the weekly digest to every digest channel. The run and
// its messages commit together; message keys name the week and channel,
// so a re-run after a crash sends nothing twice.
func (a *App) RunDigest(ctx context.Context, now time.Time) error {
	dg, err := a.DigestFor(now)
	if err != nil {
		return err
	}
	msg := blocks.Digest(dg, a.slash(), a.loc)
	var out []outgoing
	for _, c := range a.cfg.Digest.Channels {
		m := newMessage(KindPost, msg)
		m.Channel = c
		out = append(out, outgoing{Key: "digest/" + dg.Week + "/" + c, Msg: m})
	}
	items, err := encodeItems(now, out)
	if err != nil {
		return err
	}
	if err := a.store.CompleteRun(JobDigest, now, items...); errors.Is(err, store.ErrAlreadyRun) {
		a.log.Info("digest already sent for this run", "week", dg.Week)
		return nil
	} else if err != nil {
		return fmt.Errorf("record digest run: %w", err)
	}
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
