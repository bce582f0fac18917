package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
)

// damagedAdvice turns a damaged store into what to do about it, naming the
// newest scheduled backup when there is one.
func damagedAdvice(path string, err error) error {
	file := "FILE"
	if backups, _ := store.ScheduledBackups(path); len(backups) > 0 {
		file = backups[0]
	}
	return fmt.Errorf("%w: restore the latest backup with `baton restore %s`", err, file)
}

func runRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "restore", "FILE")
	path := configFlag(fs)
	force := fs.Bool("force", false, "replace the store even if it is in good order (it is kept aside)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "baton restore: give the one backup file to restore from, e.g. baton restore baton.db.backup-20261126T020000Z")
		fs.Usage()
		return errUsage
	}
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	if err := bboltOnly(cfg, "restore"); err != nil {
		return err
	}
	res, err := store.Restore(fs.Arg(0), cfg.Store.Path, time.Now(), *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restored %s from %s (%s)\n", cfg.Store.Path, fs.Arg(0), plural(res.Decisions, "decision"))
	if res.KeptAs != "" {
		fmt.Fprintf(e.stdout, "the file it replaced is kept as %s\n", res.KeptAs)
	}
	return nil
}

// runStoreCheck is `baton check -store`: the full check of every page and
// index. While serve holds the file it checks a consistent copy streamed
// from it, which is what a backup would hold.
func runStoreCheck(ctx context.Context, e *env, cfg *config.Config) error {
	if err := storeExists(cfg); err != nil {
		return err
	}
	path, from := cfg.Store.Path, ""
	n, err := store.Verify(path)
	if errors.Is(err, store.ErrLocked) {
		dir, terr := os.MkdirTemp("", "baton-check-")
		if terr != nil {
			return fmt.Errorf("make room for a copy to check: %w", terr)
		}
		defer os.RemoveAll(dir)
		tmp := filepath.Join(dir, "copy.db")
		if _, err := backupViaServer(ctx, path, tmp); err != nil {
			return err
		}
		from = " (a consistent copy from the running baton)"
		n, err = store.Verify(tmp)
	}
	if errors.Is(err, store.ErrDamaged) {
		return damagedAdvice(path, err)
	}
	if err != nil {
		return fmt.Errorf("the store at %s failed its check: %w: restore the latest backup with `baton restore FILE`", path, err)
	}
	fmt.Fprintf(e.stdout, "ok: store %s%s: %s, every page and index checked\n", path, from, plural(n, "decision"))
	return nil
}
