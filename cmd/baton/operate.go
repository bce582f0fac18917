package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/robfig/cron/v3"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
)

// newRegistry is serve's Prometheus registry: Go and process collectors
// and baton_build_info; the App and the Slack client add theirs.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "baton_build_info", Help: "Always 1; the labels say which build is running.",
	}, []string{"version", "goversion"})
	build.WithLabelValues(version, runtime.Version()).Set(1)
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), build)
	return reg
}

// refuseExample stops serve from running the fictional example company by
// accident: with no -config and no config.yaml, the default would be
// config.example.yaml. Named with -config, it is served as asked.
func refuseExample(flagPath string) error {
	if flagPath != "" || config.DefaultPath() != "config.example.yaml" {
		return nil
	}
	return errors.New("no config.yaml here, and serve will not run the example company's decision rights by accident: " +
		"copy config.example.yaml to config.yaml and make it yours (baton check validates it), " +
		"or pass -config config.example.yaml to try the example as it is")
}

// serveAdminHTTP serves h on server.admin_listen until stop is called.
func serveAdminHTTP(ctx context.Context, e *env, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin listener on %s: %w (set server.admin_listen, or BATON_ADMIN_LISTEN, to a free address)", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// No WriteTimeout: /debug/pprof/profile streams for as long as asked.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin listener stopped", "err", err)
		}
	}()
	if e.adminListening != nil {
		e.adminListening(ln.Addr().String())
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}, nil
}

// startBackups writes a consistent copy of the store beside it on
// store.backup_schedule (in the configured time zone), keeping the newest
// store.backup_keep; a failed backup is logged and retried at the next tick.
func startBackups(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) (stop func(), err error) {
	if cfg.Store.BackupSchedule == "" {
		return func() {}, nil
	}
	sched, err := cron.ParseStandard(cfg.Store.BackupSchedule)
	if err != nil {
		return nil, fmt.Errorf("store.backup_schedule: %w", err)
	}
	log = log.With("component", "backup")
	// As CatchUp does for the other jobs: the first start counts as a
	// run, so baton_job_last_success_timestamp_seconds{job="backup"} says
	// "since backups were turned on", and BatonJobNotRun fires only when
	// none has succeeded for its whole threshold after that.
	if last, err := st.LastRun(bot.JobBackup); err == nil && last.IsZero() {
		if err := st.CompleteRun(bot.JobBackup, time.Now()); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
			log.Warn("record the start of scheduled backups", "err", err)
		}
	}
	c := cron.New(cron.WithLocation(cfg.Timezone))
	c.Schedule(sched, cron.FuncJob(func() {
		if err := ctx.Err(); err != nil {
			return
		}
		if err := backupNow(cfg, st, time.Now(), log); err != nil {
			log.Error("scheduled backup failed; the next one will try again", "err", err)
		}
	}))
	c.Start()
	log.Info("scheduled backups on", "schedule", cfg.Store.BackupSchedule, "keep", cfg.Store.BackupKeep)
	return func() { <-c.Stop().Done() }, nil
}

// backupNow takes one scheduled backup, records it as the backup job's
// last run, and prunes the oldest beyond store.backup_keep.
//
// The copy is written and verified under a name ScheduledBackups does not
// list, and only renamed to the backup's name once it checks out: a copy of
// a store gone bad must never look like the latest good backup (restore
// advice names the newest one, and pruning would delete the good ones).
func backupNow(cfg *config.Config, st *store.Store, now time.Time, log *slog.Logger) error {
	dest := store.ScheduledBackupName(cfg.Store.Path, now)
	pending := dest + ".verifying"
	n, err := st.BackupFile(pending)
	if err != nil {
		return err
	}
	if _, err := store.Verify(pending); err != nil {
		_ = os.Remove(pending) // a damaged copy is no backup; the store itself stays for a post-mortem
		return fmt.Errorf("the backup just written does not check out, so it was deleted: %w", err)
	}
	if err := os.Rename(pending, dest); err != nil {
		_ = os.Remove(pending)
		return fmt.Errorf("name the verified backup %s: %w", dest, err)
	}
	if err := st.CompleteRun(bot.JobBackup, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
		return fmt.Errorf("record the backup: %w", err)
	}
	gone, err := store.PruneBackups(cfg.Store.Path, cfg.Store.BackupKeep)
	log.Info("backup written", "file", dest, "bytes", n, "pruned", len(gone))
	return err
}
