// Command baton is the Baton Slack bot and its tools: serve, check, route,
// shell, manifest, export, backup, restore, healthcheck and version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the command ran and found a problem (bad config, failure)
	exitUsage = 2 // the command line itself is wrong
)

// errUsage marks command-line mistakes; the message has been printed.
var errUsage = errors.New("usage")

type subcommand struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch, injected so tests can run them.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// lookupEnv tells an unset variable from an empty one, as ${VAR} in the
	// config needs; nil means "set" is "non-empty according to getenv".
	lookupEnv func(string) (string, bool)
	// listening, if set, learns the address serve bound, so a test can use
	// server.listen 127.0.0.1:0 and still reach it.
	listening func(addr string)
	// adminListening learns the address of server.admin_listen likewise.
	adminListening func(addr string)
	// hangup stands in for SIGHUP (reload the config) in tests; nil means
	// the real signal.
	hangup <-chan os.Signal
}

// lookup is the environment the config's ${VAR} references expand from.
func (e *env) lookup(name string) (string, bool) {
	if e.lookupEnv != nil {
		return e.lookupEnv(name)
	}
	if e.getenv == nil {
		return "", false
	}
	v := e.getenv(name)
	return v, v != ""
}

func subcommands() []subcommand {
	return []subcommand{
		{"serve", "run the bot (HTTP, or Socket Mode when slack.app_token is set)", runServe},
		{"check", "validate the config; errors name the file, line and field", runCheck},
		{"route", "dry-run routing: who would decide a proposal, and why", runRoute},
		{"shell", "a local console that plays a Slack workspace from the config", runShell},
		{"manifest", "print the Slack app manifest", runManifest},
		{"export", "export every decision as json, csv or md", runExport},
		{"backup", "write a consistent copy of the store to FILE", runBackup},
		{"restore", "replace a damaged store with a verified backup FILE (the old file is kept)", runRestore},
		{"store", "store copy -from bbolt:PATH -to postgres:DSN (or back): copy and verify a store", runStore},
		{"rights", "rights suggest [-json]: rule changes learned from misrouted decisions", runRights},
		{"healthcheck", "exit 0 if the local server's /healthz answers (for Docker)", runHealthcheck},
		{"version", "print the version", runVersion},
	}
}

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts a graceful shutdown; restoring the default
	// handling lets a second one end a shutdown that hangs.
	go func() { <-ctx.Done(); stop() }()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, lookupEnv: os.LookupEnv}
	return dispatch(ctx, e, os.Args[1:])
}

func dispatch(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			// "baton help serve" is "baton serve -h".
			return dispatch(ctx, e, []string{args[1], "-h"})
		}
		// Asked for, help goes to stdout, so it can be paged or grepped.
		usage(e.stdout)
		return exitOK
	}
	if sc := lookupCommand(args[0]); sc != nil {
		err := sc.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, errUsage):
			return exitUsage
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case reportConfigErrors(e, sc.name, err):
			return exitFail
		default:
			fmt.Fprintf(e.stderr, "baton %s: %v\n", sc.name, err)
			return exitFail
		}
	}
	if strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(e.stderr, "baton: %s comes after the command, e.g. baton check %s\n\n", args[0], args[0])
	} else {
		fmt.Fprintf(e.stderr, "baton: unknown command %q\n\n", args[0])
	}
	usage(e.stderr)
	return exitUsage
}

func lookupCommand(name string) *subcommand {
	for _, sc := range subcommands() {
		if sc.name == name {
			return &sc
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Baton routes each proposed decision to the people who hold the decision rights for it.")
	fmt.Fprintln(w, "\nUsage: baton <command> [-config FILE] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, sc := range subcommands() {
		fmt.Fprintf(w, "  %-12s %s\n", sc.name, sc.summary)
	}
	fmt.Fprintln(w, "\nEvery command takes -config FILE (default config.yaml, else config.example.yaml).")
	fmt.Fprintln(w, "Run 'baton <command> -h' for its flags.")
}

// newFlags builds a FlagSet that prints usage to stderr and returns errors.
func newFlags(e *env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet("baton "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: baton %s [flags] %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses and turns flag errors into errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "")
	fs.String("config", "", "ignored")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "baton %s\n", version)
	return nil
}
