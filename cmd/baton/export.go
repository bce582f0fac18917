package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
)

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "")
	path := configFlag(fs)
	format := fs.String("format", "json", "json, csv or md (md: one decision record per decision)")
	out := fs.String("out", "", "directory to write to (md: one file per decision; json and csv: decisions.json or decisions.csv); default stdout")
	since := fs.String("since", "", "only decisions proposed on or after this date (YYYY-MM-DD)")
	domain := fs.String("domain", "", "only decisions in this domain or below it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(e, fs); err != nil {
		return err
	}
	switch *format {
	case "json", "csv", "md":
	default:
		fmt.Fprintf(e.stderr, "baton export: unknown -format %q (use json, csv or md)\n", *format)
		fs.Usage()
		return errUsage
	}
	var f filter
	if *since != "" {
		t, err := time.Parse("2006-01-02", *since)
		if err != nil {
			fmt.Fprintf(e.stderr, "baton export: -since %q is not a date: write YYYY-MM-DD\n", *since)
			return errUsage
		}
		f.since = t
	}
	f.domain = strings.ToLower(strings.Trim(strings.TrimSpace(*domain), "#/"))
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	if !f.since.IsZero() && cfg.Timezone != nil {
		f.since = time.Date(f.since.Year(), f.since.Month(), f.since.Day(), 0, 0, 0, 0, cfg.Timezone)
	}
	st, done, err := openForReading(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	x := exporter{st: st, filter: f, names: peopleNames(cfg), loc: cfg.Timezone}
	if *out != "" {
		n, err := x.toDir(*out, *format)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s to %s\n", n, *out)
		return nil
	}
	w := bufio.NewWriter(e.stdout)
	if err := x.to(w, *format); err != nil {
		return err
	}
	return w.Flush()
}

// openForReading opens the store read-only. While serve holds the file, it
// reads a consistent copy that the running baton streams over its admin
// socket instead, so export works without stopping the bot.
func openForReading(ctx context.Context, cfg *config.Config) (st store.Backend, done func(), err error) {
	if cfg.Store.Driver == config.DriverPostgres {
		pg, err := openPostgres(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		return pg, func() { _ = pg.Close() }, nil
	}
	if err := storeExists(cfg); err != nil {
		return nil, nil, err
	}
	bolt, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second, ReadOnly: true})
	if err == nil {
		return bolt, func() { _ = bolt.Close() }, nil
	}
	if !isLocked(err) {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "baton-export-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	copyPath := filepath.Join(dir, "baton.db")
	if _, err := backupViaServer(ctx, cfg.Store.Path, copyPath); err != nil {
		cleanup()
		return nil, nil, err
	}
	bolt, err = store.Open(copyPath, store.Options{ReadOnly: true})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("read the copy the running baton sent: %w", err)
	}
	return bolt, func() { _ = bolt.Close(); cleanup() }, nil
}

// storeExists turns a missing store into advice instead of "no such file".
func storeExists(cfg *config.Config) error {
	_, err := os.Stat(cfg.Store.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no store at %s: baton serve creates it on first start; check store.path in %s (or BATON_DB)", cfg.Store.Path, cfg.Path)
	}
	return nil
}

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup", "FILE")
	path := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "baton backup: give the one file to write, e.g. baton backup baton-2026-11-26.db")
		fs.Usage()
		return errUsage
	}
	dest := fs.Arg(0)
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	if err := bboltOnly(cfg, "backup"); err != nil {
		return err
	}
	if sameFile(dest, cfg.Store.Path) {
		return fmt.Errorf("%s is the store itself: give another file to write the copy to", dest)
	}
	if err := storeExists(cfg); err != nil {
		return err
	}
	st, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second, ReadOnly: true})
	if isLocked(err) {
		// A running serve holds the file: ask it for the copy instead.
		n, err := backupViaServer(ctx, cfg.Store.Path, dest)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backed up %s (from the running baton) to %s (%d bytes)\n", cfg.Store.Path, dest, n)
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.BackupFile(dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (%d bytes)\n", cfg.Store.Path, dest, n)
	return nil
}

// sameFile reports whether a and b name one file, so a backup never
// replaces the store it copies.
func sameFile(a, b string) bool {
	if ia, err := os.Stat(a); err == nil {
		if ib, err := os.Stat(b); err == nil {
			return os.SameFile(ia, ib)
		}
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}
