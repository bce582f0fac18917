package bot

import (
	"context"
	"time"

	"github.com/robfig/cron/v3"
)

// Reminders reach each person at the configured hour in their own zone:
// the reminders job runs every quarter of an hour (at the minutes
// reminders.schedule names, and 15, 30 and 45 minutes past them) and the
// policy picks whose hour came since the previous run.

// zoneLookupBudget bounds the time one reminders run spends asking Slack
// for zones it does not have cached: in an outage, or on a first run with
// thousands of people, the rest get the workspace's zone this run (and
// their own once cached).
const zoneLookupBudget = 10 * time.Second

// reminderHours is decisions.Hours for one run: the reminders schedule
// read in each person's zone. Zones are looked up (users.info, cached)
// while the run plans, outside any write; freeze stops asking Slack
// before the steps run inside the store's writer, where only the cache is
// read and a person not in it gets the workspace's zone.
type reminderHours struct {
	sched     cron.Schedule
	workspace *time.Location
	zones     map[string]*time.Location
	// lookup is the person's zone, asking Slack when ask is set; ok is
	// false when it is not known without asking.
	lookup   func(user string, ask bool) (loc *time.Location, ok bool)
	frozen   bool
	deadline time.Time // wall clock: Slack is not asked after this
}

// zoneFunc is a person's zone: from the cache, or from users.info when
// ask is set. ok is false when it is not known.
type zoneFunc func(ctx context.Context, user string, now time.Time, ask bool) (*time.Location, bool)

func newReminderHours(ctx context.Context, sched cron.Schedule, workspace *time.Location, now time.Time, zone zoneFunc) *reminderHours {
	h := &reminderHours{sched: sched, workspace: workspace, zones: map[string]*time.Location{}, deadline: time.Now().Add(zoneLookupBudget)}
	if zone != nil {
		h.lookup = func(user string, ask bool) (*time.Location, bool) { return zone(ctx, user, now, ask) }
	}
	return h
}

// Next implements decisions.Hours.
func (h *reminderHours) Next(user string, t time.Time) time.Time {
	return h.sched.Next(t.In(h.zoneOf(user)))
}

func (h *reminderHours) zoneOf(user string) *time.Location {
	if user == "" || h.lookup == nil {
		return h.workspace
	}
	if loc, ok := h.zones[user]; ok {
		return loc
	}
	loc, ok := h.lookup(user, !h.frozen && time.Now().Before(h.deadline))
	if !ok {
		return h.workspace
	}
	h.zones[user] = loc
	return loc
}

// know looks users' zones up now, while Slack may be asked.
func (h *reminderHours) know(users []string) {
	for _, u := range users {
		h.zoneOf(u)
	}
}

// freeze stops asking Slack: what follows runs inside the store's writer.
func (h *reminderHours) freeze() { h.frozen = true }

// WorkspaceHour reports whether t is one of the workspace's reminder
// hours: the reminders runs that can climb, reopen and approve by consent,
// not only remind people in other zones.
func (sc *Scheduler) WorkspaceHour(t time.Time) bool {
	s, err := sc.reminderSchedule()
	return err == nil && s.Next(t.Add(-time.Nanosecond).In(sc.loc)).Equal(t)
}
