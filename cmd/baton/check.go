package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

func configFlag(fs interface {
	String(name, value, usage string) *string
}) *string {
	return fs.String("config", "", "config file (default config.yaml, else config.example.yaml)")
}

// loadConfig loads the -config file, or the default one, expanding ${VAR}
// from the injected environment so tests never see the developer's shell.
func (e *env) loadConfig(path string) (*config.Config, error) {
	if path == "" {
		path = config.DefaultPath()
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("no config file %s: pass -config FILE, or copy config.example.yaml to config.yaml and edit it", path)
	case err != nil:
		return nil, fmt.Errorf("read config: %w", err)
	}
	return config.Parse(path, data, e.lookup)
}

// noArgs rejects positional arguments for commands that take none; a lone
// file name is most likely a config meant for -config.
func noArgs(e *env, fs *flag.FlagSet) error {
	if fs.NArg() == 0 {
		return nil
	}
	fmt.Fprintf(e.stderr, "%s: unexpected argument %q (to choose the config, use -config FILE)\n", fs.Name(), fs.Arg(0))
	fs.Usage()
	return errUsage
}

func runCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "check", "")
	path := configFlag(fs)
	checkStore := fs.Bool("store", false, "also check the store: every page and index of store.path, or connect to store.dsn and report the schema version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(e, fs); err != nil {
		return err
	}
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err // dispatch lists config problems one per line
	}
	// Warnings do not fail check, as they do not stop serve.
	for _, w := range cfg.Warnings {
		fmt.Fprintln(e.stderr, warning(w))
	}
	fmt.Fprintf(e.stdout, "ok: %s\n", cfg.Summary())
	if *checkStore && cfg.Store.Driver == config.DriverPostgres {
		return checkPostgres(ctx, e.stdout, cfg)
	}
	if *checkStore {
		return runStoreCheck(ctx, e, cfg)
	}
	return nil
}

// warning renders a config warning as file:line: field: warning: msg.
func warning(w config.Error) string {
	w.Msg = "warning: " + w.Msg
	return w.Error()
}

// logConfigWarnings logs what check warns about, for serve and shell,
// which run with it.
func logConfigWarnings(log *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings {
		log.Warn("config: " + w.Error())
	}
}

// reportConfigErrors prints every config problem as file:line: field: msg,
// then what to do, and reports whether err held any.
func reportConfigErrors(e *env, cmd string, err error) bool {
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) == 0 {
		return false
	}
	for _, ce := range errs {
		fmt.Fprintln(e.stderr, ce.Error())
	}
	them := "them"
	if len(errs) == 1 {
		them = "it"
	}
	fmt.Fprintf(e.stderr, "baton %s: %s has %s (listed above); fix %s and run baton check again\n", cmd, errs[0].File, plural(len(errs), "problem"), them)
	return true
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// routeJSON is the contract shape of `baton route -json`: exactly these
// fields, lists never null.
type routeJSON struct {
	Domain   string   `json:"domain"`
	Deciders []string `json:"deciders"`
	Advisors []string `json:"advisors"`
	Informed []string `json:"informed"`
	Reason   string   `json:"reason"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func runRoute(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "route", "<text>")
	path := configFlag(fs)
	channel := fs.String("channel", "", "channel id the proposal is made in (C…)")
	asJSON := fs.Bool("json", false, "print one JSON object: domain, deciders, advisors, informed, reason")
	proposer := fs.String("as", "", "proposer user id (U…)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(e.stderr, "baton route: give the proposal text, e.g. baton route \"raise the price of the team plan\"")
		fs.Usage()
		return errUsage
	}
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	router, err := cfg.Router(nil)
	if err != nil {
		return err
	}
	req := decisions.Request{Text: text, Channel: *channel, Proposer: *proposer, Now: time.Now()}
	if note := withLiveState(cfg, &req); note != "" {
		fmt.Fprintf(e.stderr, "baton route: %s\n", note)
	}
	r := router.Route(req)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false) // the reason is read by people and jq, not embedded in HTML
		return enc.Encode(routeJSON{
			Domain:   r.Domain,
			Deciders: nonNil(r.Deciders),
			Advisors: nonNil(r.Advisors),
			Informed: nonNil(r.Informed),
			Reason:   r.Reason,
		})
	}
	if !r.Matched() {
		fmt.Fprintf(e.stdout, "no domain: %s\n", r.Reason)
		return nil
	}
	fmt.Fprintf(e.stdout, "domain:   %s\n", r.Domain)
	fmt.Fprintf(e.stdout, "deciders: %s\n", names(cfg, r.Deciders))
	if len(r.Advisors) > 0 {
		fmt.Fprintf(e.stdout, "advisors: %s\n", names(cfg, r.Advisors))
	}
	if len(r.Informed) > 0 {
		fmt.Fprintf(e.stdout, "informed: %s\n", strings.Join(r.Informed, ", "))
	}
	fmt.Fprintf(e.stdout, "reason:   %s\n", r.Reason)
	return nil
}

// withLiveState adds what routing reads from the store (who is away, open
// load, the next id for round robin), so the dry run picks as the bot
// would. Without the store it routes anyway and says what may differ.
func withLiveState(cfg *config.Config, req *decisions.Request) (note string) {
	if cfg.Store.Driver == config.DriverPostgres {
		pg, err := openPostgres(context.Background(), cfg)
		if err != nil {
			return fmt.Sprintf("routing without the store's aways and load (%v): a round_robin or least_loaded pick may differ", err)
		}
		defer pg.Close()
		return liveState(pg, req)
	}
	if _, err := os.Stat(cfg.Store.Path); errors.Is(err, fs.ErrNotExist) {
		return "" // no decisions yet: nobody is away or loaded
	}
	// A running serve holds the lock; do not keep the user waiting for it.
	st, err := store.Open(cfg.Store.Path, store.Options{Timeout: 100 * time.Millisecond, ReadOnly: true})
	if isLocked(err) {
		return "a running baton holds the store, so who is away and open load are not read: a round_robin or least_loaded pick may differ"
	}
	if err != nil {
		return fmt.Sprintf("routing without the store's aways and load (%v): a round_robin or least_loaded pick may differ", err)
	}
	defer st.Close()
	return liveState(st, req)
}

// liveState reads who is away, open load and the next id from st into req.
func liveState(st store.Backend, req *decisions.Request) (note string) {
	aways, err := st.Aways()
	if err == nil {
		req.Presence = map[string]decisions.Presence{}
		for _, a := range aways {
			req.Presence[a.User] = decisions.Presence{AwayUntil: a.Until, Delegate: a.Delegate}
		}
		req.Load, err = st.OpenLoad()
	}
	if err == nil {
		var next decisions.ID
		next, err = st.PeekNextID()
		req.Seq = uint64(next)
	}
	if err != nil {
		return fmt.Sprintf("routing without the store's aways and load (%v)", err)
	}
	return ""
}

func names(cfg *config.Config, ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if n := cfg.Name(id); n != id {
			out[i] = fmt.Sprintf("%s (%s)", n, id)
		} else {
			out[i] = id
		}
	}
	if len(out) == 0 {
		return "nobody"
	}
	return strings.Join(out, ", ")
}
