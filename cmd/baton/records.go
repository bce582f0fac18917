package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// filter is what export's -since and -domain keep.
type filter struct {
	since  time.Time
	domain string
}

func (f filter) keep(d decisions.Decision) bool {
	if !f.since.IsZero() && d.CreatedAt.Before(f.since) {
		return false
	}
	return f.domain == "" || d.Domain == f.domain || strings.HasPrefix(d.Domain, f.domain+"/")
}

// exporter writes the decisions a filter keeps, with people by name.
type exporter struct {
	st     store.Backend
	filter filter
	names  map[string]string
	loc    *time.Location
}

func peopleNames(cfg *config.Config) map[string]string {
	m := map[string]string{}
	for _, p := range cfg.People {
		if p.Name != "" {
			m[p.ID] = p.Name
		}
	}
	return m
}

// name is a person's name from the config, else their id as Slack wrote it.
func (x exporter) name(id string) string {
	if n, ok := x.names[id]; ok {
		return n
	}
	if id == decisions.SystemActor {
		return "Baton"
	}
	return id
}

func (x exporter) nameList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = x.name(id)
	}
	return strings.Join(out, ", ")
}

// each calls fn for every decision the filter keeps, in id order.
func (x exporter) each(fn func(decisions.Decision) error) error {
	return x.st.Each(func(d decisions.Decision) error {
		if !x.filter.keep(d) {
			return nil
		}
		return fn(d)
	})
}

// to writes every kept decision to w: a JSON array, CSV with a header, or
// the decision records one after another.
func (x exporter) to(w io.Writer, format string) error {
	var err error
	switch format {
	case "json":
		err = x.json(w)
	case "csv":
		err = x.csv(w)
	case "md":
		err = x.records(func(name string, record []byte) error {
			_, err := w.Write(append(record, "\n---\n\n"...))
			return err
		})
	default:
		err = fmt.Errorf("unknown format %q", format)
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// toDir writes into dir: md, one record per decision; json and csv, one
// file. It returns what it wrote, for the person.
func (x exporter) toDir(dir, format string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	if format != "md" {
		name := filepath.Join(dir, "decisions."+format)
		f, err := os.Create(name)
		if err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		if err := x.to(f, format); err != nil {
			f.Close()
			return "", err
		}
		if err := f.Close(); err != nil {
			return "", fmt.Errorf("export: %w", err)
		}
		return filepath.Base(name), nil
	}
	n := 0
	err := x.records(func(name string, record []byte) error {
		n++
		return os.WriteFile(filepath.Join(dir, name), record, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("export: %w", err)
	}
	if n == 1 {
		return "1 decision record", nil
	}
	return fmt.Sprintf("%d decision records", n), nil
}

// exported is a decision as exported: no internal fields (reminder
// counters, scheduler checks, message references), ids as people write
// them, text as typed.
type exported struct {
	ID        string               `json:"id"`
	Title     string               `json:"title"`
	Details   string               `json:"details,omitempty"`
	Status    decisions.Status     `json:"status"`
	Proposer  string               `json:"proposer"`
	Source    decisions.SourceKind `json:"source"`
	Channel   string               `json:"channel,omitempty"`
	Domain    string               `json:"domain"`
	Reason    string               `json:"reason"`
	Deciders  []string             `json:"deciders"`
	Advisors  []string             `json:"advisors,omitempty"`
	Due       time.Time            `json:"due,omitzero"`
	CreatedAt time.Time            `json:"created_at"`
	DecidedAt time.Time            `json:"decided_at,omitzero"`
	DecidedBy string               `json:"decided_by,omitempty"`
	Rationale string               `json:"rationale,omitempty"`
	Deferred  time.Time            `json:"deferred_until,omitzero"`
	ReviewOn  time.Time            `json:"review_on,omitzero"`
	Revisits  string               `json:"revisits,omitempty"`
	Advice    []decisions.Advice   `json:"advice,omitempty"`
	Misroutes []decisions.Misroute `json:"misroutes,omitempty"`
	History   []decisions.Event    `json:"history"`
}

func export(d decisions.Decision) exported {
	e := exported{
		ID: d.ID.String(), Title: typed(d.Title), Details: typed(d.Details), Status: d.Status, Proposer: d.Proposer,
		Source: d.Source.Kind, Channel: d.Source.Channel, Domain: d.Domain, Reason: typed(d.Reason),
		Deciders: d.Deciders, Advisors: d.Advisors, Due: d.Due, CreatedAt: d.CreatedAt, DecidedAt: d.DecidedAt,
		DecidedBy: d.DecidedBy, Rationale: typed(d.Rationale), Deferred: d.DeferredUntil, ReviewOn: d.ReviewOn,
		Advice: d.Advice, Misroutes: d.Misroutes, History: d.History,
	}
	if d.Revisits != 0 {
		e.Revisits = d.Revisits.String()
	}
	for i := range e.Advice {
		e.Advice[i].Text = typed(e.Advice[i].Text)
	}
	for i := range e.History {
		e.History[i].Note = typed(e.History[i].Note)
	}
	if e.Deciders == nil {
		e.Deciders = []string{}
	}
	return e
}

// typed is text as its author typed it: Baton stores hand-typed markup
// with an invisible word joiner after "<" so that it never pings anyone;
// an export has no such risk.
func typed(s string) string { return strings.ReplaceAll(s, "\u2060", "") }

func (x exporter) json(w io.Writer) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // titles hold <@U…> mentions; keep them readable
	sep := "[\n"
	err := x.each(func(d decisions.Decision) error {
		buf.Reset()
		buf.WriteString(sep)
		if err := enc.Encode(export(d)); err != nil {
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

func (x exporter) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := []string{"id", "title", "status", "domain", "proposer", "deciders", "due", "created_at", "decided_at", "decided_by", "rationale", "escalations", "review_on", "history"}
	if err := cw.Write(header); err != nil {
		return err
	}
	err := x.each(func(d decisions.Decision) error {
		var hist []string
		for _, e := range d.History {
			hist = append(hist, x.eventLine(e, ts))
		}
		return cw.Write(cells(d.ID.String(), typed(d.Title), string(d.Status), d.Domain, x.name(d.Proposer), x.nameList(d.Deciders),
			ts(d.Due), ts(d.CreatedAt), ts(d.DecidedAt), x.name(d.DecidedBy), typed(d.Rationale), fmt.Sprint(d.Escalations),
			ts(d.ReviewOn), strings.Join(hist, "\n")))
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// cells neutralises CSV formula injection: a cell a spreadsheet would run
// as a formula ("=HYPERLINK(…)", "+1", "-2", "@SUM", or after a tab or
// carriage return) gets a leading apostrophe, which spreadsheets show as
// text and do not display.
func cells(values ...string) []string {
	for i, v := range values {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			values[i] = "'" + v
		}
	}
	return values
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// eventLine is one history entry in words: "2026-11-26T10:00:00Z Tom
// Okafor approved: the numbers work".
func (x exporter) eventLine(e decisions.Event, stamp func(time.Time) string) string {
	s := stamp(e.At) + " " + x.name(e.Actor) + " " + strings.ReplaceAll(string(e.Kind), "_", " ")
	if len(e.Users) > 0 {
		s += " (" + x.nameList(e.Users) + ")"
	}
	if n := strings.TrimSpace(typed(e.Note)); n != "" {
		s += ": " + n
	}
	return s
}
