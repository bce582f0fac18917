package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "")
	path := configFlag(fs)
	format := fs.String("format", "json", "json, csv or md")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *format {
	case "json", "csv", "md":
	default:
		fmt.Fprintf(e.stderr, "baton export: unknown -format %q (use json, csv or md)\n", *format)
		return errUsage
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.Store.Path, store.Options{Timeout: 2 * time.Second, ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	return exportTo(e.stdout, st, *format)
}

func exportTo(w io.Writer, st *store.Store, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		if _, err := io.WriteString(w, "[\n"); err != nil {
			return err
		}
		first := true
		err := st.Each(func(d decisions.Decision) error {
			if !first {
				if _, err := io.WriteString(w, ",\n"); err != nil {
					return err
				}
			}
			first = false
			b, err := json.Marshal(d)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		})
		_ = enc
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		_, err = io.WriteString(w, "\n]\n")
		return err
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"id", "title", "status", "domain", "proposer", "deciders", "due", "created_at", "decided_at", "decided_by", "rationale", "escalations"})
		err := st.Each(func(d decisions.Decision) error {
			return cw.Write([]string{d.ID.String(), d.Title, string(d.Status), d.Domain, d.Proposer, strings.Join(d.Deciders, " "),
				ts(d.Due), ts(d.CreatedAt), ts(d.DecidedAt), d.DecidedBy, d.Rationale, fmt.Sprint(d.Escalations)})
		})
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		cw.Flush()
		return cw.Error()
	default:
		fmt.Fprintln(w, "| id | title | status | domain | deciders | decided | rationale |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
		return st.Each(func(d decisions.Decision) error {
			_, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", d.ID, mdCell(d.Title), d.Status, d.Domain,
				strings.Join(d.Deciders, ", "), ts(d.DecidedAt), mdCell(d.Rationale))
			return err
		})
	}
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup", "FILE")
	path := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "baton backup: give the file to write, e.g. baton backup baton-2026-11-26.db")
		fs.Usage()
		return errUsage
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	st, err := store.Open(cfg.Store.Path, store.Options{Timeout: time.Second, ReadOnly: true})
	if isLocked(err) {
		// A running serve holds the file: ask it for the copy instead.
		n, err := backupViaServer(ctx, cfg.Store.Path, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "backed up %s (from the running baton) to %s (%d bytes)\n", cfg.Store.Path, fs.Arg(0), n)
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.BackupFile(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backed up %s to %s (%d bytes)\n", cfg.Store.Path, fs.Arg(0), n)
	return nil
}
