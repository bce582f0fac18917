package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCheckExample(t *testing.T) {
	r := cliRun(t, "check", "-config", exampleConfig)
	r.want(t, exitOK)
	if strings.Count(r.stdout, "\n") != 1 || !strings.HasPrefix(r.stdout, "ok: "+exampleConfig+": 14 domains") {
		t.Errorf("want a one-line summary of the example, got %q", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
}

// problemLine is how every config problem is shown: file:line: field: msg.
var problemLine = regexp.MustCompile(`^(testdata/[a-z_]+\.yaml):(\d+): ([a-z_\[\]0-9.]+: )?\S.*$`)

func TestCheckBrokenConfigs(t *testing.T) {
	tests := []struct {
		file string
		// want is the "file:line: field" prefix of each problem, in order.
		want []string
	}{
		{"several_problems.yaml", []string{
			"testdata/several_problems.yaml:3: slack.command:",
			"testdata/several_problems.yaml:6: domains[0].owners[0]:",
			"testdata/several_problems.yaml:7: domains[0].sla:",
		}},
		{"unknown_key.yaml", []string{
			"testdata/unknown_key.yaml:2: domains[0].owners:",
			"testdata/unknown_key.yaml:3: domains[0]: unknown key \"owner\"",
		}},
		{"not_yaml.yaml", []string{"testdata/not_yaml.yaml:2: invalid YAML"}},
		{"missing_env.yaml", []string{"testdata/missing_env.yaml:2: slack.bot_token: environment variable BATON_TEST_UNSET_TOKEN is not set"}},
		{"keyword_punctuation.yaml", []string{`testdata/keyword_punctuation.yaml:6: domains[0].match.keywords[1]: keyword "c++" starts or ends with punctuation`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := cliRun(t, "check", "-config", filepath.Join("testdata", tt.file))
			r.want(t, exitFail)
			if r.stdout != "" {
				t.Errorf("stdout: %q", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != len(tt.want)+1 {
				t.Fatalf("want %d problems and a closing line, got:\n%s", len(tt.want), r.stderr)
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) || !problemLine.MatchString(lines[i]) {
					t.Errorf("line %d = %q\nwant file:line: field: msg starting %q", i+1, lines[i], want)
				}
			}
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "baton check: testdata/"+tt.file+" has ") || !strings.Contains(last, "run baton check again") {
				t.Errorf("closing line %q", last)
			}
		})
	}
}

// TestEveryCommandRefusesWhatCheckRefuses: check builds the router the
// other commands build, so a keyword the router cannot use fails check
// and serve, shell and route alike, with the same file:line message.
func TestEveryCommandRefusesWhatCheckRefuses(t *testing.T) {
	file := filepath.Join("testdata", "keyword_punctuation.yaml")
	const problem = `testdata/keyword_punctuation.yaml:6: domains[0].match.keywords[1]: keyword "c++" starts or ends with punctuation, which whole-word matching ignores; remove it` + "\n"
	for _, args := range [][]string{
		{"check", "-config", file},
		{"serve", "-config", file},
		{"shell", "-memory", "-config", file},
		{"route", "-config", file, "use c++ for the agent"},
	} {
		t.Run(args[0], func(t *testing.T) {
			r := cliRun(t, args...)
			r.want(t, exitFail)
			want := problem + "baton " + args[0] + ": " + file + " has 1 problem (listed above); fix it and run baton check again\n"
			if r.stderr != want || r.stdout != "" {
				t.Errorf("stdout %q\nstderr:\n%s\nwant stderr:\n%s", r.stdout, r.stderr, want)
			}
		})
	}
}

// TestWarningsDoNotFail: what serve runs with, check accepts (exit 0),
// listing each warning with its file:line; the shell logs them and runs,
// and an email nobody in people: has never becomes a made-up decider.
func TestWarningsDoNotFail(t *testing.T) {
	file := filepath.Join("testdata", "warnings.yaml")
	warnings := []string{
		file + `:9: domains[0].rule: warning: rule all cannot apply: finance has one owner, who decides alone; add owners, or remove the rule`,
		file + `:11: domains[1].owners[0]: warning: nobody under people: has the email ghost@northwind.example; serve asks Slack for it, the shell leaves it out`,
	}
	r := cliRun(t, "check", "-config", file)
	r.want(t, exitOK)
	if r.stderr != strings.Join(warnings, "\n")+"\n" {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, strings.Join(warnings, "\n"))
	}
	if !strings.HasPrefix(r.stdout, "ok: "+file+": 2 domains") {
		t.Errorf("stdout %q", r.stdout)
	}

	var out, errOut cliBuffer
	e := cliEnv(&out, &errOut, nil)
	e.stdin = strings.NewReader("/decide a purchase of laptops\n")
	if code := dispatch(t.Context(), e, []string{"shell", "-memory", "-config", file}); code != exitOK {
		t.Fatalf("shell exit %d\n%s", code, errOut.String())
	}
	for _, w := range warnings {
		if msg := strings.Replace(w, "warning: ", "", 1); !strings.Contains(errOut.String(), msg) {
			t.Errorf("shell did not log %q:\n%s", msg, errOut.String())
		}
	}
	if !strings.Contains(out.String(), "Decided by @Maya Chen in `finance/spend`") || strings.Contains(strings.ToLower(out.String()), "@ghost") {
		t.Errorf("the unknown email must leave finance/spend to finance's owner:\n%s", out.String())
	}
}

func TestCheckMissingFile(t *testing.T) {
	r := cliRun(t, "check", "-config", filepath.Join(t.TempDir(), "nope.yaml"))
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "no config file") || !strings.Contains(r.stderr, "nope.yaml") || !strings.Contains(r.stderr, "config.example.yaml") {
		t.Errorf("stderr: %q", r.stderr)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	r := cliRun(t, "check", "-bogus")
	r.want(t, exitUsage)
	if !strings.Contains(r.stderr, "flag provided but not defined: -bogus") || !strings.Contains(r.stderr, "Usage: baton check") {
		t.Errorf("stderr: %q", r.stderr)
	}
	r = cliRun(t, "check", exampleConfig)
	r.want(t, exitUsage)
	if !strings.Contains(r.stderr, "-config FILE") {
		t.Errorf("a bare file name should point to -config: %q", r.stderr)
	}
}

// TestCheckDefaultConfig: without -config, config.yaml wins when present,
// else config.example.yaml, both in the working directory.
func TestCheckDefaultConfig(t *testing.T) {
	example, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)

	r := cliRun(t, "check")
	r.want(t, exitFail)
	if !strings.Contains(r.stderr, "no config file config.example.yaml") {
		t.Errorf("empty directory: %q", r.stderr)
	}

	if err := os.WriteFile("config.example.yaml", example, 0o600); err != nil {
		t.Fatal(err)
	}
	r = cliRun(t, "check")
	r.want(t, exitOK)
	if !strings.HasPrefix(r.stdout, "ok: config.example.yaml: 14 domains") {
		t.Errorf("only the example: %q", r.stdout)
	}

	cliConfig(t, dir, "")
	r = cliRun(t, "check")
	r.want(t, exitOK)
	if !strings.HasPrefix(r.stdout, "ok: config.yaml: 2 domains") {
		t.Errorf("config.yaml present: %q", r.stdout)
	}
}

func TestCheckExpandsInjectedEnvironment(t *testing.T) {
	file := filepath.Join("testdata", "missing_env.yaml")
	r := cliRunCtx(t, t.Context(), map[string]string{"BATON_TEST_UNSET_TOKEN": "xoxb-1"}, "check", "-config", file)
	r.want(t, exitOK)
	// Set but empty is set: ${VAR} accepts it, as in the shell.
	r = cliRunCtx(t, t.Context(), map[string]string{"BATON_TEST_UNSET_TOKEN": ""}, "check", "-config", file)
	r.want(t, exitOK)
	if !strings.Contains(r.stdout, ": 1 domain,") {
		t.Errorf("summary: %q", r.stdout)
	}
}
