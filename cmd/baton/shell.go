package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/baton-app/baton/shell"
	"github.com/baton-app/baton/store"
)

func runShell(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "shell", "< script.txt")
	path := configFlag(fs)
	memory := fs.Bool("memory", false, "use a temporary store, removed on exit (else store.path from the config)")
	start := fs.String("start", "", "start the clock at this time: 2026-12-01T09:00 in the config's time zone, or RFC 3339 (default now)")
	quiet := fs.Bool("quiet-logs", true, "log only warnings and errors (to stderr)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "baton shell reads its lines from stdin, e.g. baton shell -memory < examples/demo.txt\n")
		fs.Usage()
		return errUsage
	}
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	at := time.Now().Truncate(time.Minute)
	if *start != "" {
		if at, err = shell.ParseStart(*start, cfg.Timezone); err != nil {
			fmt.Fprintf(e.stderr, "baton shell: -start: %v\n", err)
			return errUsage
		}
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := newLogger(e, level)
	logConfigWarnings(log, cfg)

	dbPath := cfg.Store.Path
	if *memory {
		dir, err := os.MkdirTemp("", "baton-shell-")
		if err != nil {
			return fmt.Errorf("make a temporary store: %w", err)
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "baton.db")
	}
	st, err := store.Open(dbPath, store.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()

	con, err := shell.New(shell.Options{Config: cfg, Store: st, Out: e.stdout, Start: at, Logger: log})
	if err != nil {
		return err
	}
	defer con.Close()

	interactive := isTerminal(e.stdin)
	fmt.Fprint(e.stdout, con.Banner())
	where := "a temporary store (-memory), gone when you quit"
	if !*memory {
		where = dbPath + " (decisions persist between sessions, the pretend Slack's messages do not; -memory starts afresh)"
	}
	fmt.Fprintf(e.stdout, "Store: %s.\n\n", where)
	return con.Run(ctx, e.stdin, !interactive)
}

// isTerminal reports whether r is a terminal, where the prompt comes
// before each line rather than echoed with it.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
