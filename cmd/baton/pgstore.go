package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
)

// pgConnectTimeout bounds connecting and migrating at start-up, so a wrong
// host fails serve and check quickly instead of hanging.
const pgConnectTimeout = 15 * time.Second

// openPostgres opens the store.driver postgres store, migrating it.
func openPostgres(ctx context.Context, cfg *config.Config) (*pgstore.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, pgConnectTimeout)
	defer cancel()
	st, err := pgstore.Open(ctx, cfg.Store.DSN, pgstore.Options{})
	if err != nil {
		return nil, fmt.Errorf("open the PostgreSQL store (store.dsn in %s): %w", cfg.Path, err)
	}
	return st, nil
}

// checkPostgres is `baton check -store` for store.driver postgres: it
// connects, applies pending migrations, reports the schema version and
// checks every index against the decisions.
func checkPostgres(ctx context.Context, out io.Writer, cfg *config.Config) error {
	st, err := openPostgres(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.Version()
	if err != nil {
		return err
	}
	n, err := st.Count()
	if err != nil {
		return err
	}
	if err := st.Check(); err != nil {
		return fmt.Errorf("the PostgreSQL store failed its check: %w", err)
	}
	fmt.Fprintf(out, "ok: store postgres, schema version %d: %s, every index checked\n", v, plural(n, "decision"))
	return nil
}

// openServeStore opens the configured store for serve. bolt is the bbolt
// store when that is the driver (backups and the admin socket need it), nil
// for PostgreSQL.
func openServeStore(ctx context.Context, cfg *config.Config) (st store.Backend, bolt *store.Store, err error) {
	if cfg.Store.Driver == config.DriverPostgres {
		pg, err := openPostgres(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		return pg, nil, nil
	}
	bolt, err = store.Open(cfg.Store.Path, store.Options{Timeout: 2 * time.Second})
	if isLocked(err) {
		return nil, nil, fmt.Errorf("%w Stop it first, or give this one its own store.path (BATON_DB); to run several replicas, use store.driver: postgres", err)
	}
	if errors.Is(err, store.ErrDamaged) {
		return nil, nil, damagedAdvice(cfg.Store.Path, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return bolt, bolt, nil
}

// storeName is what the logs call the store: the file, or "postgres".
func storeName(cfg *config.Config) string {
	if cfg.Store.Driver == config.DriverPostgres {
		return "postgres"
	}
	return cfg.Store.Path
}

// runReplica runs, on store.driver postgres, what only one replica may run
// at a time, while this one leads: catching up missed jobs, the scheduler
// and the outbox sender (so per-channel pacing and Retry-After pauses hold
// across replicas: one process sends), woken by other replicas' enqueues.
// It returns when ctx ends; losing the lead is sent on lost.
func runReplica(ctx context.Context, pg *pgstore.Store, app *bot.App, log *slog.Logger, lost chan<- error) {
	// A previous leader may still be finishing deliveries when this one
	// starts: what it attempted is looked for in Slack only once those
	// attempts have ended, so a post still in flight is not sent twice.
	app.Outbox().SettleForeignAttempts(bot.DeliveryTimeout + 5*time.Second)
	var startErr error
	err := pg.Lead(ctx, log, func(lctx context.Context) {
		lctx, cancel := context.WithCancel(lctx)
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); pg.Listen(lctx, log, app.Outbox().Kick) }()
		if err := app.Scheduler().CatchUp(lctx); err != nil {
			log.Error("catching up missed jobs", "err", err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); app.RunOutbox(lctx) }()
		stopCron, err := app.Scheduler().StartCron(lctx)
		if err != nil {
			// A leader without a scheduler would hold the lock and run no
			// jobs: stop, as serve on bbolt does, and let another lead.
			startErr = fmt.Errorf("start the scheduler: %w", err)
			cancel()
			wg.Wait()
			return
		}
		<-lctx.Done()
		stopCron()
		wg.Wait()
	})
	if err := cmp.Or(startErr, err); err != nil {
		lost <- err
	}
}

// bboltOnly refuses a command that works on the bbolt file when the store
// is PostgreSQL, saying what to use instead.
func bboltOnly(cfg *config.Config, cmd string) error {
	if cfg.Store.Driver != config.DriverPostgres {
		return nil
	}
	return fmt.Errorf("baton %s works on the bbolt file (store.path); %s uses store.driver postgres: use PostgreSQL's own tools (pg_dump and pg_restore, or base backups), or baton store copy -from postgres:DSN -to bbolt:FILE for a file copy", cmd, cfg.Path)
}
