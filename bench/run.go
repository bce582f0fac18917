package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// This file is the command line: flags, which sections run, and the
// summary table or JSON object at the end.

type options struct {
	n, week, runs, batch int
	dir                  string
	compare, reuse       bool
	quick, json          bool
	only                 string
	trials               int
	// tiny shrinks ingest and delivery further, for the tests.
	tiny bool
}

// sections, in the order they run.
var sections = []string{"ingest", "delivery", "crash", "scan", "footprint", "ingest-pg"}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.n, "n", 1_000_000, "scan and footprint: decisions to seed (history plus the last week)")
	fs.IntVar(&o.week, "week", 2000, "scan: decisions proposed in the last week")
	fs.IntVar(&o.runs, "runs", 9, "scan: timed runs of each measurement (the median is shown)")
	fs.IntVar(&o.batch, "batch", 50_000, "decisions per PutBulk transaction")
	fs.StringVar(&o.dir, "dir", "", "directory for the store files (default: a temporary one, removed after)")
	fs.BoolVar(&o.compare, "compare", true, "scan: measure again with a tenth of the history")
	fs.BoolVar(&o.reuse, "reuse", false, "with -dir: measure the stores an earlier run seeded there")
	fs.BoolVar(&o.quick, "quick", false, "smaller sizes and shorter runs: the whole bench in under a minute")
	fs.BoolVar(&o.json, "json", false, "print one JSON object instead of tables")
	fs.StringVar(&o.only, "only", strings.Join(sections, ","), "comma-separated sections to run")
	fs.IntVar(&o.trials, "trials", 20, "crash: how many times baton serve is killed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.quick {
		setIfUnset(fs, "n", &o.n, 100_000)
		setIfUnset(fs, "runs", &o.runs, 3)
		setIfUnset(fs, "trials", &o.trials, 4)
	}
	if o.n <= o.week || o.week < 10 || o.runs < 1 || o.batch < 1 || o.trials < 0 {
		fmt.Fprintln(stderr, "bench: need -n > -week >= 10, -runs >= 1, -batch >= 1 and -trials >= 0")
		return 2
	}
	want := map[string]bool{}
	for _, s := range strings.Split(o.only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(sections, s) {
			fmt.Fprintf(stderr, "bench: unknown section %q (have %s)\n", s, strings.Join(sections, ", "))
			return 2
		}
		want[s] = true
	}
	if err := benchAll(ctx, o, want, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	return 0
}

// setIfUnset gives a flag the user did not pass a -quick default.
func setIfUnset(fs *flag.FlagSet, name string, v *int, quick int) {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	if !set {
		*v = quick
	}
}

func benchAll(ctx context.Context, o options, want map[string]bool, stdout, stderr io.Writer) error {
	dir := o.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "baton-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(dir)
	}
	// Section details go to stdout as they come, or to stderr with -json
	// so stdout holds only the object.
	detail := stdout
	if o.json {
		detail = stderr
	}
	var f figures
	extra := map[string]any{"quick": o.quick}
	started := time.Now()
	if want["ingest"] {
		runs, err := benchIngest(ctx, o, dir, &f, detail)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		extra["ingest"] = runs
	}
	if want["delivery"] {
		r, err := benchDelivery(ctx, o, dir, &f, detail)
		if err != nil {
			return fmt.Errorf("delivery: %w", err)
		}
		extra["delivery"] = r
	}
	if want["crash"] {
		r, err := benchCrash(ctx, o, dir, &f, detail)
		if err != nil {
			return fmt.Errorf("crash: %w", err)
		}
		extra["crash"] = r
	}
	if want["scan"] {
		rs, err := bench(ctx, o, dir, detail, stderr)
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		big := rs[0]
		f.add("scan", "weekly digest", float64(big.digest)/float64(time.Millisecond), "ms", float64(digestBudget)/float64(time.Millisecond), false)
		f.add("scan", "reminder scan", float64(big.scan)/float64(time.Millisecond), "ms", float64(scanBudget)/float64(time.Millisecond), false)
		extra["scan"] = rs
	}
	if want["footprint"] {
		r, err := benchFootprint(ctx, o, dir, &f, detail)
		if err != nil {
			return fmt.Errorf("footprint: %w", err)
		}
		extra["footprint"] = r
	}
	if want["ingest-pg"] {
		r, err := benchIngestPG(ctx, o, &f, detail)
		if err != nil {
			return fmt.Errorf("ingest-pg: %w", err)
		}
		extra["ingest_pg"] = r
	}
	extra["seconds"] = time.Since(started).Seconds()
	if o.json {
		return f.json(stdout, extra)
	}
	fmt.Fprintf(stdout, "\nBaton benchmark (%s), %s\n\n", map[bool]string{true: "-quick", false: "full"}[o.quick], time.Since(started).Round(time.Second))
	f.print(stdout)
	return nil
}
