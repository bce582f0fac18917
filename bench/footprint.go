package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
)

// Footprint goals from the issue.
const (
	rssGoalMB    = 60.0
	startupGoal  = time.Second
	footprintLog = "footprint-serve.log"
)

// footprintResult is what the footprint section measured.
type footprintResult struct {
	Decisions    int     `json:"decisions"`
	StartupMS    float64 `json:"startup_ms"`
	IdleRSSMB    float64 `json:"idle_rss_mb"`
	AfterJobsMB  float64 `json:"after_jobs_rss_mb"`
	IdleAnonMB   float64 `json:"idle_anon_mb"`
	JobsAnonMB   float64 `json:"after_jobs_anon_mb"`
	JobsStartMS  float64 `json:"startup_with_jobs_ms"`
	FileSizeMB   float64 `json:"file_mb"`
	CaughtUpJobs int     `json:"jobs_run"`
}

// benchFootprint starts `baton serve` on a store of o.n decisions (the scan
// section's, when it ran) and measures the time to the first /healthz and
// the resident memory, idle and after every job (reminders, digest) has
// run once.
func benchFootprint(ctx context.Context, o options, dir string, f *figures, w io.Writer) (footprintResult, error) {
	var r footprintResult
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig), nil)
	if err != nil {
		return r, err
	}
	history := o.n - o.week
	path := filepath.Join(dir, fmt.Sprintf("bench-%d.db", history))
	st, err := store.Open(path, store.Options{Now: func() time.Time { return now }})
	if err != nil {
		return r, err
	}
	n, err := st.Count()
	if err == nil && n == 0 {
		fmt.Fprintf(w, "footprint: seeding %d decisions…\n", o.n)
		err = seed(st, cfg, history, o)
		n = o.n
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return r, err
	}
	r.Decisions = n
	if fi, err := os.Stat(path); err == nil {
		r.FileSizeMB = float64(fi.Size()) / (1 << 20)
	}
	bin, err := buildBaton(ctx, dir)
	if err != nil {
		return r, err
	}
	fake, api := fakeSlack()
	defer fake.Close()
	cfgPath, base, err := serveConfig(dir, api, path)
	if err != nil {
		return r, err
	}
	logPath := filepath.Join(dir, footprintLog)

	// After every job: their last runs are a week old, so serve catches
	// each up once at start, before it answers /healthz.
	if err := setLastRuns(path, time.Now().Add(-8*24*time.Hour)); err != nil {
		return r, err
	}
	srv, took, err := startServe(ctx, bin, cfgPath, base, logPath)
	if err != nil {
		return r, err
	}
	r.JobsStartMS = float64(took) / float64(time.Millisecond)
	time.Sleep(2 * time.Second) // the outbox sends what the jobs queued
	r.AfterJobsMB, r.JobsAnonMB, err = srv.rss()
	srv.stop()
	if err != nil {
		return r, err
	}

	// Idle: every job has just run, so this start runs none.
	srv, took, err = startServe(ctx, bin, cfgPath, base, logPath)
	if err != nil {
		return r, err
	}
	r.StartupMS = float64(took) / float64(time.Millisecond)
	time.Sleep(time.Second)
	r.IdleRSSMB, r.IdleAnonMB, err = srv.rss()
	srv.stop()
	if err != nil {
		return r, err
	}
	r.CaughtUpJobs = len(cfgJobs)
	fmt.Fprintf(w, "footprint: %d decisions (%.0f MB file): start-up to /healthz %.0f ms; RSS %.1f MB idle (%.1f MB not the store's mmap), %.1f MB after every job ran once (%.1f MB not mmap; start-up with that catch-up %.0f ms)\n",
		r.Decisions, r.FileSizeMB, r.StartupMS, r.IdleRSSMB, r.IdleAnonMB, r.AfterJobsMB, r.JobsAnonMB, r.JobsStartMS)
	f.add("footprint", fmt.Sprintf("start-up to /healthz, %s decisions", count(n)), r.StartupMS, "ms", float64(startupGoal)/float64(time.Millisecond), false)
	f.add("footprint", "RSS idle", r.IdleRSSMB, "MB", rssGoalMB, false)
	f.add("footprint", "RSS after every job ran once", r.AfterJobsMB, "MB", rssGoalMB, false)
	f.info("footprint", "of which not the store's mmap", r.JobsAnonMB, "MB")
	return r, nil
}

// cfgJobs are the jobs serve runs.
var cfgJobs = []string{bot.JobReminders, bot.JobDigest, bot.JobCleanup}

// setLastRuns records every job as last run at t, on a store where none
// has run yet.
func setLastRuns(path string, t time.Time) error {
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, j := range cfgJobs {
		last, err := st.LastRun(j)
		if err != nil {
			return err
		}
		if !last.IsZero() && !t.After(last) {
			return fmt.Errorf("job %s already ran on this store (%s): measure a freshly seeded one", j, last.Format(time.RFC3339))
		}
		if err := st.CompleteRun(j, t); err != nil {
			return err
		}
	}
	return nil
}
