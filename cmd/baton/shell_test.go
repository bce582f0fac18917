package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/store"
)

// runShellCLI runs `baton shell args…` with script on stdin and vars as the
// whole environment the config may expand.
func runShellCLI(t *testing.T, script string, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut cliBuffer
	e := &env{
		stdin: strings.NewReader(script), stdout: &out, stderr: &errOut,
		getenv:    func(k string) string { return vars[k] },
		lookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code = dispatch(ctx, e, append([]string{"shell", "-config", "../../config.example.yaml"}, args...))
	return code, out.String(), errOut.String()
}

func wantIn(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q\n--- %s ---\n%s", what, w, what, got)
			return
		}
	}
}

func TestShellRunsTheDemo(t *testing.T) {
	script, err := os.ReadFile("../../examples/demo.txt")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // -memory's store goes here, and must be gone after
	code, out, errOut := runShellCLI(t, string(script), nil, "-memory", "-start", "2026-11-30T10:00")
	if code != exitOK {
		t.Fatalf("exit %d\nstderr: %s", code, errOut)
	}
	wantIn(t, "banner", out,
		"Baton shell — a pretend Slack workspace from ../../config.example.yaml",
		"You are Maya Chen in #C01LEADERS; it is Mon 2026-11-30 10:00.",
		"`help`", "a temporary store (-memory)")
	wantIn(t, "transcript", out,
		"maya> /decide who extend the free trial to 30 days",
		"tom> /decide raise the team plan price by 10% from January #pricing",
		"Proposed D-1", "DM → Sofia Lindqvist",
		"[modal] Approve D-1",
		"Approved by @Sofia Lindqvist",
		"Rejected by @Amara Diallo",
		"Sorry, only the deciders",
		"Deferred by @Grace Kim",
		"Escalated: D-2",
		"⏱ Fri 2026-12-04 16:00 — digest ran",
		"== Decisions — week",
		"[home] Maya Chen")
	if errOut != "" {
		t.Errorf("quiet logs, yet stderr has:\n%s", errOut)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("-memory left %v behind in the temp dir", left)
	}
}

func TestShellKeepsDecisionsInTheConfiguredStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "baton.db")
	vars := map[string]string{"BATON_DB": db}
	code, out, errOut := runShellCLI(t, "/decide adopt a new logo #ux\n", vars, "-start", "2026-11-30T10:00")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantIn(t, "first session", out, "Proposed D-1", db+" (decisions persist")

	code, out, errOut = runShellCLI(t, "/decide list all\n", vars, "-start", "2026-11-30T11:00")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	wantIn(t, "second session", out, "D-1 adopt a new logo")
}

func TestShellRefusesALockedStore(t *testing.T) {
	db := filepath.Join(t.TempDir(), "baton.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, _, errOut := runShellCLI(t, "now\n", map[string]string{"BATON_DB": db})
	if code != exitFail {
		t.Fatalf("exit %d, want %d", code, exitFail)
	}
	wantIn(t, "stderr", errOut, "another baton")
}

func TestShellUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-memory", "-start", "next tuesday"},
		{"-memory", "script.txt"},
		{"-no-such-flag"},
	} {
		code, _, errOut := runShellCLI(t, "", nil, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, errOut)
		}
		if !strings.Contains(errOut, "Usage: baton shell") && !strings.Contains(errOut, "-start") {
			t.Errorf("%v: stderr does not say what is wrong:\n%s", args, errOut)
		}
	}
}

func TestShellStartsAtTheGivenTime(t *testing.T) {
	code, out, errOut := runShellCLI(t, "now\ntick +1h\n", nil, "-memory", "-start", "2026-12-01T08:30:00Z")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Europe/London is on UTC in December.
	wantIn(t, "output", out, "⏱ Tue 2026-12-01 08:30", "⏱ Tue 2026-12-01 09:00 — reminders ran", "⏱ Tue 2026-12-01 09:30")
}
