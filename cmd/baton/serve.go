package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
)

func newLogger(e *env, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

// newServeLogger logs as log.format and log.level ask; a -log-level flag
// given on the command line wins over log.level.
func newServeLogger(e *env, cfg *config.Config, level *slog.Level) *slog.Logger {
	c := *cfg
	if level != nil {
		c.Log.Level = *level
	}
	return slog.New(c.NewLogHandler(e.stderr))
}

// resolveTimeout bounds the start-up calls to Slack, so an unreachable
// api_url delays serving instead of preventing it.
const resolveTimeout = 30 * time.Second

// slackClient builds the Web API client, pointed at slack.api_url if set.
// A non-nil reg times every call (baton_slack_api_duration_seconds).
func slackClient(cfg *config.Config, reg prometheus.Registerer, extra ...slack.Option) *slack.Client {
	// No Web API call may hang forever: a stalled connection would block an
	// outbox worker and, through it, shutdown.
	hc := &http.Client{Timeout: 30 * time.Second}
	if reg != nil {
		hc.Transport = bot.InstrumentSlackAPI(reg, nil)
	}
	opts := []slack.Option{slack.OptionHTTPClient(hc)}
	if cfg.Slack.APIURL != "" {
		u := cfg.Slack.APIURL
		if u[len(u)-1] != '/' {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	if cfg.Slack.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.Slack.AppToken))
	}
	return slack.New(cfg.Slack.BotToken, append(opts, extra...)...)
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "")
	path := configFlag(fs)
	var level slog.Level
	fs.TextVar(&level, "log-level", slog.LevelInfo, "debug, info, warn or error (default: log.level)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(e, fs); err != nil {
		return err
	}
	if err := refuseExample(*path); err != nil {
		return err
	}
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	var levelFlag *slog.Level
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "log-level" {
			levelFlag = &level
		}
	})
	log := newServeLogger(e, cfg, levelFlag)
	logConfigWarnings(log, cfg)
	socket := cfg.Slack.AppToken != ""
	var missing []string
	if cfg.Slack.BotToken == "" {
		missing = append(missing, "slack.bot_token (SLACK_BOT_TOKEN)")
	}
	if !socket && cfg.Slack.SigningSecret == "" {
		missing = append(missing, "slack.signing_secret (SLACK_SIGNING_SECRET), or slack.app_token for Socket Mode")
	}
	if len(missing) > 0 {
		return fmt.Errorf("serve needs Slack credentials: set %v in %s or the environment; to try Baton without Slack, run `baton shell`", missing, cfg.Path)
	}

	st, boltStore, err := openServeStore(ctx, cfg)
	if err != nil {
		return err
	}
	// The store closes last, after everything that writes to it stopped.
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
		log.Info("store closed")
	}()

	stopAdmin := func() {}
	if boltStore != nil {
		stopAdmin, err = serveAdmin(ctx, boltStore, adminSocket(cfg.Store.Path), log)
		if err != nil {
			log.Warn("no admin socket: `baton backup` will not work while serving", "err", err)
			stopAdmin = func() {}
		}
	}
	defer stopAdmin()

	reg := newRegistry()
	api := slackClient(cfg, reg)
	app, err := bot.New(bot.Options{Config: cfg, Store: st, Slack: api, Logger: log, Registerer: reg})
	if err != nil {
		return err
	}
	stopAdminHTTP, err := serveAdminHTTP(ctx, e, cfg.Server.AdminListen, app.AdminHandler(bot.AdminOptions{Gatherer: reg}), log)
	if err != nil {
		return err
	}
	defer stopAdminHTTP()
	resolveCtx, cancelResolve := context.WithTimeout(ctx, resolveTimeout)
	err = app.Resolve(resolveCtx)
	cancelResolve()
	var wg sync.WaitGroup
	if err != nil {
		log.Warn("could not reach Slack at start-up; will keep trying to resolve owners given as emails or usergroups", "err", err)
		// Not in wg: it touches no store, and must not hold up a failed
		// start-up or shutdown; it stops when serve returns.
		resolveCtx, stopResolving := context.WithCancel(ctx)
		defer stopResolving()
		go resolveLater(resolveCtx, app, log)
	}
	// Not in wg either: it only asks Slack and swaps in-memory rights.
	keepCtx, stopKeeping := context.WithCancel(ctx)
	defer stopKeeping()
	go app.KeepResolved(keepCtx)
	outboxCtx, stopOutbox := context.WithCancel(context.WithoutCancel(ctx))
	stopCron, stopBackups := func() {}, func() {}
	// lostLead stays nil (never ready) on bbolt, broken on PostgreSQL.
	var lostLead chan error
	var broken <-chan struct{}
	if boltStore != nil {
		broken = boltStore.Broken()
	}
	if pg, ok := st.(*pgstore.Store); ok {
		// Jobs and delivery run on whichever replica leads (see runReplica).
		lostLead = make(chan error, 1)
		wg.Add(1)
		go func() { defer wg.Done(); runReplica(outboxCtx, pg, app, log, lostLead) }()
	} else {
		if err := app.Scheduler().CatchUp(ctx); err != nil {
			log.Error("catching up missed jobs", "err", err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); app.RunOutbox(outboxCtx) }()
		stopCron, err = app.Scheduler().StartCron(ctx)
		if err != nil {
			stopOutbox()
			wg.Wait()
			return err
		}
		stopBackups, err = startBackups(ctx, cfg, boltStore, log)
		if err != nil {
			stopCron()
			stopOutbox()
			wg.Wait()
			return err
		}
	}

	srv := &http.Server{
		Addr:              cfg.Server.Listen,
		Handler:           app.Handler(bot.HTTPOptions{SigningSecret: cfg.Slack.SigningSecret}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		stopBackups()
		stopCron()
		stopOutbox()
		wg.Wait()
		return fmt.Errorf("listen on %s: %w (set server.listen, or BATON_LISTEN, to a free address)", cfg.Server.Listen, err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	mode := "http"
	// socketDone stays nil (never ready) in HTTP mode.
	var socketDone chan error
	socketCtx, stopSocket := context.WithCancel(ctx)
	defer stopSocket()
	if socket {
		mode = "socket"
		socketDone = make(chan error, 1)
		go func() { socketDone <- bot.RunSocketMode(socketCtx, app, api, log) }()
	}
	log.Info("baton serving", "version", version, "config", cfg.Path, "listen", ln.Addr().String(), "admin_listen", cfg.Server.AdminListen,
		"mode", mode, "store", storeName(cfg), "timezone", cfg.TimezoneName)
	if e.listening != nil {
		e.listening(ln.Addr().String())
	}

	hup := e.hangup
	if hup == nil {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGHUP)
		defer signal.Stop(ch)
		hup = ch
	}
	var runErr error
wait:
	for {
		select {
		case <-hup:
			reloadConfig(ctx, e, app, cfg.Path, log)
			continue
		case <-ctx.Done():
			log.Info("shutting down: stopping intake")
		case err := <-serveErr:
			runErr = fmt.Errorf("http server: %w", err)
		case err := <-lostLead:
			runErr = fmt.Errorf("%w: exiting so a restart starts clean; another replica leads meanwhile", err)
		case <-broken:
			err := boltStore.Damage()
			log.Error("shutting down: a write found the store damaged", "err", err)
			runErr = damagedAdvice(cfg.Store.Path, err)
		case err := <-app.Damaged():
			// Stop with exit 1 rather than serve on: a restart meets
			// Open's check, which refuses the file with advice.
			log.Error("shutting down: the store failed while serving", "err", err)
			runErr = err
			if errors.Is(err, store.ErrDamaged) {
				runErr = damagedAdvice(cfg.Store.Path, err)
			}
		case err := <-socketDone:
			socketDone = nil // already stopped
			if err != nil && !errors.Is(err, context.Canceled) {
				runErr = fmt.Errorf("socket mode: %w", err)
			}
		}
		break wait
	}
	// Undo start-up in reverse: intake, in-flight handlers, cron, outbox, store.
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("http shutdown", "err", err)
	}
	log.Info("http server stopped")
	// Socket Mode handlers write to the store: wait for them before
	// anything below is stopped.
	stopSocket()
	if socketDone != nil {
		<-socketDone
		log.Info("socket mode stopped")
	}
	app.Wait()
	stopBackups()
	stopCron()
	stopOutbox()
	wg.Wait()
	return runErr
}

// resolveLater retries App.Resolve with backoff until it succeeds or ctx
// ends: until then, owners given as emails or usergroups are skipped and
// their domains' decisions go to the parent's owners.
func resolveLater(ctx context.Context, app *bot.App, log *slog.Logger) {
	wait := 5 * time.Second
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
		err := app.Resolve(rctx)
		cancel()
		if err == nil {
			log.Info("resolved owners with Slack")
			return
		}
		log.Warn("still cannot resolve owners with Slack", "err", err, "retry_in", wait)
		wait = min(wait*2, 5*time.Minute)
	}
}

func runHealthcheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "healthcheck", "")
	path := configFlag(fs)
	url := fs.String("url", "", "health URL (default http://127.0.0.1<server.listen>/healthz)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(e, fs); err != nil {
		return err
	}
	target := *url
	if target == "" {
		listen := ":8080"
		if cfg, err := e.loadConfig(*path); err == nil {
			listen = cfg.Server.Listen
		} else if v, _ := e.lookup("BATON_LISTEN"); v != "" {
			listen = v
		}
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return fmt.Errorf("server.listen %q: %w", listen, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s answered %s", target, resp.Status)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}

// reloadConfig is SIGHUP: the config file is read and validated by the
// loader `baton check` uses, and its decision rights swapped in. A file
// with problems is refused, each problem logged, and the running config
// stays.
func reloadConfig(ctx context.Context, e *env, app *bot.App, path string, log *slog.Logger) {
	log = log.With("config", path)
	next, err := e.loadConfig(path)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, ce := range errs {
				log.Error("config problem", "problem", ce.Error())
			}
		}
		log.Error("config reload refused; the running config stays (run baton check on it)", "err", err)
		return
	}
	rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	summary, restart, err := app.Reload(rctx, next)
	if err != nil {
		log.Error("config reload failed", "err", err)
		return
	}
	log.Info("config reloaded", "changes", summary)
	if len(restart) > 0 {
		log.Warn("some changed keys take effect only at the next restart", "keys", strings.Join(restart, ", "))
	}
}
