package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-app/baton/decisions"
)

// runRights is `baton rights suggest [-json]`: the config changes the
// misroutes kept so far suggest (see decisions.Suggest), as a YAML snippet
// to paste, or one JSON object.
func runRights(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "rights", "suggest")
	path := configFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of YAML")
	// The verb comes first ("rights suggest -json"); flags may follow it.
	if len(args) == 0 || args[0] != "suggest" {
		fmt.Fprintln(e.stderr, "baton rights: the only subcommand is `suggest`: baton rights suggest [-json]")
		fs.Usage()
		return errUsage
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if err := noArgs(e, fs); err != nil {
		return err
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
	ds, err := st.Misrouted(time.Time{}, time.Unix(1<<62, 0), decisions.SuggestMax)
	if err != nil {
		return fmt.Errorf("read misroutes: %w", err)
	}
	s := decisions.Suggest(ds, cfg.Domains)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	_, err = fmt.Fprint(e.stdout, s.YAML())
	return err
}
