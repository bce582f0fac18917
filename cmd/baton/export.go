package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baton-app/baton/config"
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
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	st, done, err := openForReading(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	w := bufio.NewWriter(e.stdout)
	if err := exportTo(w, st, *format); err != nil {
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

// exportedDecision is a decision as exported: its id as people write it
// (D-7), not the number it is stored as.
type exportedDecision struct {
	ID string `json:"id"`
	decisions.Decision
}

// exportTo writes every decision, in id order, as a JSON array (one
// decision per line), CSV with a header, or a Markdown table.
func exportTo(w io.Writer, st store.Backend, format string) error {
	var err error
	switch format {
	case "json":
		err = exportJSON(w, st)
	case "csv":
		err = exportCSV(w, st)
	case "md":
		err = exportMarkdown(w, st)
	default:
		err = fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

func exportJSON(w io.Writer, st store.Backend) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // titles hold <@U…> mentions; keep them readable
	sep := "[\n"
	err := st.Each(func(d decisions.Decision) error {
		buf.Reset()
		buf.WriteString(sep)
		if err := enc.Encode(exportedDecision{ID: d.ID.String(), Decision: d}); err != nil {
			return fmt.Errorf("encode %s: %w", d.ID, err)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline; the separator adds its own
		sep = ",\n"
		_, err := w.Write(buf.Bytes())
		return err
	})
	if err != nil {
		return err
	}
	end := "\n]\n"
	if sep == "[\n" {
		end = "[]\n"
	}
	_, err = io.WriteString(w, end)
	return err
}

func exportCSV(w io.Writer, st store.Backend) error {
	cw := csv.NewWriter(w)
	header := []string{"id", "title", "status", "domain", "proposer", "deciders", "due", "created_at", "decided_at", "decided_by", "rationale", "escalations"}
	if err := cw.Write(header); err != nil {
		return err
	}
	err := st.Each(func(d decisions.Decision) error {
		return cw.Write([]string{d.ID.String(), d.Title, string(d.Status), d.Domain, d.Proposer, strings.Join(d.Deciders, " "),
			ts(d.Due), ts(d.CreatedAt), ts(d.DecidedAt), d.DecidedBy, d.Rationale, fmt.Sprint(d.Escalations)})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func exportMarkdown(w io.Writer, st store.Backend) error {
	if _, err := io.WriteString(w, "| id | title | status | domain | deciders | due | decided | rationale |\n|---|---|---|---|---|---|---|---|\n"); err != nil {
		return err
	}
	return st.Each(func(d decisions.Decision) error {
		_, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", d.ID, mdCell(d.Title), d.Status, mdCell(d.Domain),
			mdCell(strings.Join(d.Deciders, ", ")), ts(d.Due), ts(d.DecidedAt), mdCell(d.Rationale))
		return err
	})
}

// mdCell keeps user text inside its table cell and out of HTML.
var mdCellReplacer = strings.NewReplacer("|", "\\|", "\r\n", " ", "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;")

func mdCell(s string) string { return mdCellReplacer.Replace(s) }

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
