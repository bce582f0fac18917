package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
)

func configFlag(fs interface {
	String(name, value, usage string) *string
}) *string {
	return fs.String("config", "", "config file (default config.yaml, else config.example.yaml)")
}

// loadConfig loads the -config file, or the default one.
func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		path = config.DefaultPath()
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

func runCheck(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "check", "")
	path := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			for _, ce := range errs {
				fmt.Fprintln(e.stderr, ce.Error())
			}
			return fmt.Errorf("%d problem(s) in the config", len(errs))
		}
		return err
	}
	fmt.Fprintf(e.stdout, "ok: %s\n", cfg.Summary())
	return nil
}

func runRoute(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "route", "<text>")
	path := configFlag(fs)
	channel := fs.String("channel", "", "channel id the proposal is made in (C…)")
	asJSON := fs.Bool("json", false, "print one JSON object: domain, deciders, advisors, informed, reason")
	proposer := fs.String("as", "", "proposer user id")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		fmt.Fprintln(e.stderr, "baton route: give the proposal text, e.g. baton route \"raise the price of the team plan\"")
		fs.Usage()
		return errUsage
	}
	cfg, err := loadConfig(*path)
	if err != nil {
		return err
	}
	router, err := decisions.NewRouter(cfg.Domains, cfg.DefaultDomain)
	if err != nil {
		return err
	}
	r := router.Route(decisions.Request{Text: text, Channel: *channel, Proposer: *proposer, Now: time.Now()})
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		return enc.Encode(r)
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
