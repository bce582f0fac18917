package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// Scheduler runs Baton's scheduled work: reminders, escalation, consent and
// reopening by the pure policy in decisions, the weekly digest, and
// cleanup. It reaches the rest of Baton only through the narrow
// interfaces below: the store's few reads and writes it needs, who is
// around, the current decision rights, how a change is told to Slack, and
// the outbox to wake.
type Scheduler struct {
	cfg     *config.Config // schedules, the reminder policy, digest channels
	loc     *time.Location
	log     *slog.Logger
	metrics *metrics
	clock   Clock
	store   jobStore
	outbox  jobOutbox
	slash   string
	// people says who is around at a time; router is the decision rights
	// in force; messages says what Slack hears about a change.
	people func(now time.Time) (decisions.People, error)
	router func() *decisions.Router
	// zone is a person's time zone (users.info, cached): each is
	// reminded at their own hour.
	zone     zoneFunc
	messages func(r refReader, before, d decisions.Decision, act decisions.Action, people decisions.People) []outgoing
	// extra are jobs other parts of Baton schedule (review dates).
	extra []Job
	// contain runs a job so a store read that panics stops serve instead
	// of the process (damage.go); nil runs it bare.
	contain func(what string, f func()) bool
}

// jobStore is what the jobs read and write.
type jobStore interface {
	LastRun(job string) (time.Time, error)
	CompleteRun(job string, at time.Time, items ...store.OutboxItem) error
	DeferredUntilBefore(t time.Time) ([]decisions.Decision, error)
	CheckDue(t time.Time, limit int) ([]decisions.Decision, error)
	DueBefore(t time.Time, limit int) ([]decisions.Decision, error)
	ByStatusOldest(s decisions.Status, limit int) ([]decisions.Decision, error)
	DecidedBetween(from, to time.Time) ([]decisions.Decision, error)
	PendingCounts(now time.Time) (map[string]store.Pending, error)
	OpenLoad() (map[string]int, error)
	SetNextChecks(checks []store.NextCheck) (int, error)
	UpdateDecisionIn(id decisions.ID, fn func(v store.View, d decisions.Decision) (decisions.Decision, []store.OutboxItem, error)) (decisions.Decision, error)
	ExpireEvents(before time.Time) (int, error)
	ReviewsBetween(from, to time.Time) ([]decisions.Decision, error)
	StuckOldest(limit int) ([]decisions.Decision, error)
}

// jobOutbox is the outbox as the jobs use it: woken after a run, and
// drained by Tick in the shell and tests.
type jobOutbox interface {
	Kick()
	Flush(ctx context.Context) error
}

// Scheduler returns the App's scheduled jobs.
func (a *App) Scheduler() *Scheduler { return a.sched }

func (a *App) newJobs() *Scheduler {
	return &Scheduler{
		cfg: a.cfg, loc: a.loc, log: a.log, metrics: a.metrics, clock: a.clock,
		store: a.store, outbox: a.outbox, slash: a.slash(),
		people: a.dir.people, router: a.Router, zone: a.zoneOf, messages: a.transitionMessages,
		extra:   []Job{{Name: JobReviews, Spec: a.cfg.Reminders.Schedule, Run: a.RunReviews}},
		contain: a.contain,
	}
}
