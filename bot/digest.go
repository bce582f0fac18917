package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

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
func (sc *Scheduler) DigestFor(now time.Time) (decisions.Digest, error) {
	from := now.In(sc.loc).AddDate(0, 0, -7)
	decided, err := sc.store.DecidedBetween(from, now)
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read outcomes: %w", err)
	}
	pending, err := sc.store.PendingCounts(now)
	if err != nil {
		return decisions.Digest{}, err
	}
	load, err := sc.store.OpenLoad()
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read open load: %w", err)
	}
	var sample []decisions.Decision
	add := func(ds []decisions.Decision, err error) error {
		sample = append(sample, ds...)
		return err
	}
	err = errors.Join(
		add(sc.store.ByStatusOldest(decisions.StatusOpen, digestSample)),
		add(sc.store.ByStatusOldest(decisions.StatusDeferred, digestSample)),
		add(sc.store.DueBefore(now, digestSample)),
		// A decision still late after climbing is looked at again at its
		// people's next reminder hour, within a week on any schedule but
		// a monthly one; one recorded stuck is looked at no more, and has
		// its own index.
		add(sc.store.CheckDue(now.AddDate(0, 0, 7), 20*digestSample)),
		add(sc.store.StuckOldest(digestSample)),
	)
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read open decisions: %w", err)
	}
	slices.SortFunc(sample, func(x, y decisions.Decision) int { return cmp.Compare(x.ID, y.ID) })
	sample = slices.CompactFunc(sample, func(x, y decisions.Decision) bool { return x.ID == y.ID })

	people, err := sc.people(now)
	if err != nil {
		return decisions.Digest{}, err
	}
	r := sc.router()
	reviews, err := sc.store.ReviewsBetween(time.Time{}, now.AddDate(0, 0, 7))
	if err != nil {
		return decisions.Digest{}, fmt.Errorf("read reviews due: %w", err)
	}
	dg := decisions.BuildDigest(decisions.DigestInput{
		From: from, To: now, Decided: decided, Open: sample, Now: now,
		Domains: r.Domains(), Unreachable: r.Unowned(people), Reviews: reviews,
	})
	// ISO week of the middle of the window: a Friday-to-Friday digest is
	// named after the week it mostly covers, as ISO weeks are named after
	// their Thursday.
	dg.Week = decisions.ISOWeek(from.Add(now.Sub(from) / 2))
	dg.ApplyCounts(pending, load, r.Domains())
	return dg, nil
}

// digestSchedule is the digest job's parsed schedule.
func (sc *Scheduler) digestSchedule() (cron.Schedule, error) {
	s, err := cron.ParseStandard(sc.cfg.Digest.Schedule)
	if err != nil {
		return nil, fmt.Errorf("digest schedule %q: %w", sc.cfg.Digest.Schedule, err)
	}
	return s, nil
}

// RunDigest posts the weekly digest to every digest channel. A run belongs
// to the latest scheduled time at or before now (so a catch-up after
// downtime is the digest of the tick that was missed, and a second run for
// the same tick does nothing). The run's record and its messages commit
// together; message keys name the week and channel, so a re-run after a
// crash sends nothing twice.
func (sc *Scheduler) RunDigest(ctx context.Context, now time.Time) error {
	sched, err := sc.digestSchedule()
	if err != nil {
		return err
	}
	end := lastTick(sched, now, sc.loc)
	if end.IsZero() {
		end = now
	}
	last, err := sc.store.LastRun(JobDigest)
	if err != nil {
		return fmt.Errorf("read last digest run: %w", err)
	}
	if !last.IsZero() && !end.After(last) {
		sc.log.Info("digest already sent for this run", "tick", end.Format(time.RFC3339))
		return nil
	}
	dg, err := sc.DigestFor(end)
	if err != nil {
		return err
	}
	msg := blocks.Digest(dg, sc.slash, sc.loc)
	// A weekly schedule gives one digest per ISO week; a more frequent one
	// needs its tick in the key, or the outbox would take the second
	// digest of a week for a duplicate of the first.
	run := dg.Week
	if prev := lastTick(sched, end.Add(-time.Second), sc.loc); !prev.IsZero() && end.Sub(prev) < 6*24*time.Hour {
		run = end.In(sc.loc).Format("2006-01-02T15:04")
	}
	var out []outgoing
	for _, c := range sc.cfg.Digest.Channels {
		m := newMessage(KindPost, msg)
		m.Channel = c
		out = append(out, outgoing{Key: "digest/" + run + "/" + c, Msg: m})
	}
	items, err := encodeItems(now, out)
	if err != nil {
		return err
	}
	if err := sc.store.CompleteRun(JobDigest, end, items...); errors.Is(err, store.ErrAlreadyRun) {
		sc.log.Info("digest already sent for this run", "week", dg.Week)
		return nil
	} else if err != nil {
		return fmt.Errorf("record digest run: %w", err)
	}
	sc.log.Info("digest queued", "week", dg.Week, "channels", len(out), "decided", dg.Totals.Decided, "open", dg.Totals.Open)
	sc.outbox.Kick()
	return nil
}

// RunCleanup forgets Slack event ids older than Slack's retry horizon.
func (sc *Scheduler) RunCleanup(ctx context.Context, now time.Time) error {
	n, err := sc.store.ExpireEvents(now.Add(-48 * time.Hour))
	if err != nil {
		return fmt.Errorf("expire events: %w", err)
	}
	if n > 0 {
		sc.log.Info("expired old event ids", "count", n)
	}
	if err := sc.store.CompleteRun(JobCleanup, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
		return err
	}
	return nil
}
