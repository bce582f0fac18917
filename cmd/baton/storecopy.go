package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/store"
	"github.com/baton-app/baton/store/pgstore"
)

// copyJobs are the scheduled jobs whose last runs baton store copy moves,
// so the new store neither repeats nor skips a run.
var copyJobs = []string{bot.JobReminders, bot.JobDigest, bot.JobCleanup, bot.JobReviews, bot.JobBackup}

// runStore is `baton store copy -from KIND:WHERE -to KIND:WHERE`.
func runStore(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "copy" {
		fmt.Fprintln(e.stderr, "Usage: baton store copy -from bbolt:PATH|postgres:DSN -to bbolt:PATH|postgres:DSN")
		return errUsage
	}
	fs := newFlags(e, "store copy", "")
	from := fs.String("from", "", "the store to copy: bbolt:PATH or postgres:DSN")
	to := fs.String("to", "", "an empty store to copy into: bbolt:PATH or postgres:DSN")
	fs.String("config", "", "ignored: the stores are named by -from and -to")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := noArgs(e, fs); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		fmt.Fprintln(e.stderr, "baton store copy: both -from and -to are needed, e.g. -from bbolt:baton.db -to postgres:$DATABASE_URL")
		fs.Usage()
		return errUsage
	}
	src, err := openStoreURL(ctx, *from, true)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	defer src.Close()
	dst, err := openStoreURL(ctx, *to, false)
	if err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	defer dst.Close()
	sum, err := store.Copy(src, dst, copyJobs)
	if err != nil {
		return fmt.Errorf("copy %s to %s: %w", kindOf(*from), kindOf(*to), err)
	}
	fmt.Fprintf(e.stdout, "ok: copied %s to %s and verified: %s\n", kindOf(*from), kindOf(*to), sum)
	return nil
}

// kindOf names a store argument without its DSN, which may hold a password.
func kindOf(arg string) string {
	kind, where, _ := strings.Cut(arg, ":")
	if kind == "bbolt" {
		return "bbolt " + where
	}
	return kind
}

// openStoreURL opens bbolt:PATH or postgres:DSN. A bbolt source is opened
// read-only; one a running baton holds is refused.
func openStoreURL(ctx context.Context, arg string, source bool) (store.Importer, error) {
	kind, where, ok := strings.Cut(arg, ":")
	if !ok || where == "" {
		return nil, fmt.Errorf("%q: write bbolt:PATH or postgres:DSN", kindOf(arg))
	}
	switch kind {
	case "bbolt":
		st, err := store.Open(where, store.Options{Timeout: time.Second, ReadOnly: source})
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("%w Stop it first: a copy is made with Baton stopped", err)
		}
		if err != nil {
			return nil, err
		}
		return st, nil
	case "postgres", "postgresql":
		cctx, cancel := context.WithTimeout(ctx, pgConnectTimeout)
		defer cancel()
		st, err := pgstore.Open(cctx, where, pgstore.Options{})
		if err != nil {
			return nil, err
		}
		// Replicas would change it under the copy: its checksum would then
		// prove nothing.
		if serving, err := st.Serving(cctx); err != nil || serving {
			st.Close()
			if err == nil {
				err = errors.New("a baton serve is running on that database: stop every replica before copying")
			}
			return nil, err
		}
		return st, nil
	}
	return nil, fmt.Errorf("unknown store kind %q: use bbolt or postgres", kind)
}
