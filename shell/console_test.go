package shell

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
)

// monday is a fixed start, so transcripts are the same on every run:
// Monday 30 November 2026, 10:00 in the example's Europe/London.
const monday = "2026-11-30T10:00"

func loadExample(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.Load(filepath.Join("..", "config.example.yaml"))
	if err != nil {
		t.Fatalf("load example config: %v", err)
	}
	return cfg
}

// newConsole builds a console on a fresh store, starting at start (in the
// config's zone), printing into the returned buffer.
func newConsole(t testing.TB, start string) (*Console, *bytes.Buffer) {
	t.Helper()
	cfg := loadExample(t)
	st, err := store.Open(filepath.Join(t.TempDir(), "baton.db"), store.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	at, err := ParseStart(start, cfg.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c, err := New(Options{Config: cfg, Store: st, Out: &out, Start: at})
	if err != nil {
		t.Fatalf("new console: %v", err)
	}
	t.Cleanup(func() {
		_ = c.Close()
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return c, &out
}

// run pipes script through the console and returns what it printed.
func run(t testing.TB, c *Console, out *bytes.Buffer, script string) string {
	t.Helper()
	out.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.Run(ctx, strings.NewReader(script), true); err != nil {
		t.Fatalf("run: %v", err)
	}
	return out.String()
}

func mustContain(t *testing.T, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q\n--- output ---\n%s", w, out)
			return
		}
	}
}

func mustNotContain(t *testing.T, out string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(out, w) {
			t.Errorf("output has %q but should not\n--- output ---\n%s", w, out)
			return
		}
	}
}

// section returns the posts printed under exactly this heading: each
// heading line and the indented lines below it.
func section(out, heading string) string {
	lines := strings.Split(out, "\n")
	var found []string
	for i, l := range lines {
		if l != heading {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.HasPrefix(lines[j], indent) {
			j++
		}
		found = append(found, lines[i:j]...)
	}
	return strings.Join(found, "\n")
}

const buttons = "[Approve] [Reject] [Defer] [Ask for advice] [Reassign]"

func TestProposalShowsAckDMAndAnnouncement(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, "in C02PRODUCT\n/decide raise the team plan price by 10% #pricing\n")

	mustContain(t, got, "maya> /decide raise the team plan price by 10% #pricing")
	ack := section(got, "#C02PRODUCT (only you)")
	mustContain(t, ack, "Proposed D-1", "product/pricing", "@Sofia Lindqvist, @Ravi Patel", "#pricing tag matched")

	for _, decider := range []string{"DM → Sofia Lindqvist", "DM → Ravi Patel"} {
		if !strings.Contains(got, decider) {
			t.Errorf("no DM to %s:\n%s", decider, got)
		}
	}
	dm := section(got, "DM → Sofia Lindqvist")
	mustContain(t, dm, "D-1: raise the team plan price by 10%", buttons)
	// Advisors are told, without buttons.
	mustContain(t, section(got, "DM → Ben Carter"), "Your advice is sought on D-1")
	mustNotContain(t, section(got, "DM → Ben Carter"), "[Approve]")
	// The announcement in the channel it was proposed in.
	mustContain(t, section(got, "#C02PRODUCT"), "D-1 proposed by @Maya Chen")
	mustNotContain(t, got, "✗")
}

func TestClickApproveOpensModalAndResolves(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
as diego
in C03ENGINE1
/decide switch the monorepo to Bazel #engineering
as jonas
click D-1 approve builds are twice as fast in the trial
`)
	mustContain(t, section(got, "DM → Jonas Weber"), buttons)
	modal := section(got, "[modal] Approve D-1")
	mustContain(t, modal, "switch the monorepo to Bazel", "✎ Rationale (optional)", "[Approve]")
	mustContain(t, got, `Jonas fills in the dialog (Rationale (optional): "builds are twice as fast in the trial") and presses [Approve]`)

	updated := section(got, "DM → Jonas Weber (updated)")
	mustContain(t, updated, "Approved by @Jonas Weber", "builds are twice as fast")
	mustNotContain(t, updated, "[Approve]")
	mustContain(t, section(got, "#C03ENGINE1 (thread)"), "D-1 approved by @Jonas Weber")
	// Diego hears as the proposer (the same outcome as the thread's).
	mustContain(t, got, "DM → Diego Alvarez (the same message)")

	// The decision really is approved, in the store.
	got = run(t, c, out, "/decide show D-1\n")
	mustContain(t, got, "approved", "builds are twice as fast")
}

func TestClickByNonDeciderIsRefused(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
/decide upgrade kubernetes to 1.31 #infra
as tom
click D-1 approve
`)
	mustContain(t, got, "clicking as if it were in #C01LEADERS")
	refusal := section(got, "#C01LEADERS (only you)")
	mustContain(t, refusal, "Sorry, only the deciders")
	mustNotContain(t, got, "[modal]", "Approved by")
}

func TestSubmissionFieldErrors(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
/decide adopt a new logo #ux
as grace
click D-1 reject
click D-1 defer
`)
	mustContain(t, got,
		"✗ The dialog refuses it — Rationale: Say why",
		"✗ The dialog refuses it — Defer until: Pick the date",
		"nothing changed")
	mustNotContain(t, got, "Rejected by", "Deferred by")
}

func TestDeferThenReopen(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
/decide adopt a new logo #ux
as grace
click D-1 defer wednesday waiting for the brand survey
`)
	mustContain(t, got, "Defer until: 2026-12-02", "Deferred by @Grace Kim until Wed 2 Dec 2026 09:00")

	got = run(t, c, out, "tick 2026-12-02T10:00\n")
	mustContain(t, section(got, "DM → Grace Kim"), "deferred until today and is open again", buttons)
}

func TestAdviceAndReassignPickPeople(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
/decide raise the team plan price #pricing
as sofia
click D-1 advice @fatima what does this do to churn?
click D-1 reassign @ravi he owns the January launch
`)
	mustContain(t, got, "Ask: Fatima Zahra", `"what does this do to churn?"`, "Hand the decision to: Ravi Patel")
	// Fatima was told at proposal time, as an advisor, and asked again now.
	if n := strings.Count(got, "DM → Fatima Zahra"); n != 2 {
		t.Errorf("Fatima got %d DMs, want 2 (advisor notice, then asked for advice):\n%s", n, got)
	}
	mustContain(t, section(got, "DM → Ravi Patel"), "reassigned to you by @Sofia Lindqvist")
}

func TestAsByNameFirstNameAndID(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
as priya
whoami
as Lars Berg
as u03mei008
as @kenji
as nobody-here
`)
	mustContain(t, got,
		"You are now Priya Nair.",
		"priya> whoami",
		"You are Priya Nair in #C01LEADERS.",
		"You are now Lars Berg.",
		"lars> as u03mei008",
		"You are now Mei Tanaka.",
		"You are now Kenji Watanabe.",
		`✗ Nobody called "nobody-here" is in this workspace; `+"`people`"+` lists everyone.`)
	if c.User() != "U03KENJI8" {
		t.Errorf("user = %s, want Kenji (U03KENJI8) after a failed switch", c.User())
	}
}

func TestMentionsAreSentAsSlackSendsThem(t *testing.T) {
	c, out := newConsole(t, monday)
	// @lars becomes <@U03LARS07|lars>, so Baton reassigns to him.
	got := run(t, c, out, `
/decide upgrade kubernetes to 1.31 #infra
as priya
/decide reassign D-1 @lars
`)
	mustContain(t, got, "D-1 now waits on @Lars Berg")
	mustContain(t, section(got, "DM → Lars Berg"), "reassigned to you by @Priya Nair", buttons)
}

func TestBadLinesGiveErrorsAndContinue(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, `
hello there
click
click D-x approve
click D-1 dance
click D-1 defer someday
tick yesterday
tick +0d
tick +5000w
in the kitchen
as
/shrug
approve D-1
@someone hi
/decide aprove D-1 ok
/decide help
`)
	for _, want := range []string{
		`✗ I don't know "hello"`,
		"✗ Usage: click D-7 approve",
		`✗ "D-x" is not a decision id`,
		`"dance" is not one of them`,
		"put the date first: `click D-7 defer friday",
		`✗ "yesterday" is not a time`,
		`✗ "+0d" is not a step forward`,
		"✗ That is more than a year ahead",
		"✗ Give a channel id",
		"✗ Say who",
		"✗ This workspace's slash command is /decide",
		"Did you mean `/decide approve …`?",
		"To talk to Baton, start the line with `@baton`.",
		"Did you mean `approve`? Nothing was created.",
		"/decide propose", // help still works after all of that
	} {
		mustContain(t, got, want)
	}
	if n := strings.Count(got, "✗"); n != 13 {
		t.Errorf("%d error lines, want 13:\n%s", n, got)
	}
}

func TestTickRunsRemindersEscalationAndDigest(t *testing.T) {
	c, out := newConsole(t, monday)
	run(t, c, out, "/decide upgrade kubernetes to 1.31 #infra\n/decide rotate the SSO signing keys #sec\n")

	got := run(t, c, out, "tick 2026-12-04T17:00\n")
	// Reminders at 09:00 on each weekday, the digest on Friday at 16:00.
	for _, day := range []string{"Tue 2026-12-01", "Wed 2026-12-02", "Thu 2026-12-03", "Fri 2026-12-04"} {
		mustContain(t, got, "⏱ "+day+" 09:00 — reminders ran")
	}
	mustContain(t, got, "Reminder: D-2", "past its 1-day SLA")
	// Security escalates to its escalate_to after two reminders.
	mustContain(t, got, "Escalated: D-2", "added @Jonas Weber, @Maya Chen by escalation", "Its owners (@Kenji Watanabe) can still decide too")

	digestRun := strings.Index(got, "⏱ Fri 2026-12-04 16:00 — digest ran")
	header := strings.Index(got, "== Decisions — week ")
	if digestRun < 0 || header < digestRun {
		t.Fatalf("digest header should follow Friday 16:00's run (run at %d, header at %d):\n%s", digestRun, header, got)
	}
	mustContain(t, got, "#C01LEADERS\n    == Decisions — week", "#C01GENERAL (the same message)")
	mustContain(t, got, "⏱ Fri 2026-12-04 17:00 (")

	got = run(t, c, out, "now\ntick 2026-12-01T09:00\n")
	mustContain(t, got, "⏱ Fri 2026-12-04 17:00\n", "✗ The clock only moves forward")
}

func TestHomeShowsWaitingDecisions(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, "as tom\n/decide adopt a new logo #ux\nas grace\nhome\n")
	home := section(got, "[home] Grace Kim")
	mustContain(t, home, "Waiting on you (1)", "D-1 adopt a new logo", buttons)

	// Buttons on the App Home work too.
	got = run(t, c, out, "click D-1 approve\n")
	mustNotContain(t, got, "clicking as if")
	mustContain(t, got, "[modal] Approve D-1", "Approved by @Grace Kim")
}

func TestMentionProposesInThread(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, "in C03ENGINE1\n@baton adopt OpenTelemetry everywhere\n@baton\n")
	mustContain(t, section(got, "#C03ENGINE1 (thread)"), "D-1 proposed by @Maya Chen", "engineering")
	mustContain(t, section(got, "DM → Jonas Weber"), "adopt OpenTelemetry everywhere")
	mustContain(t, got, "Mention me with a proposal")
}

// The console signs what it sends, and Baton checks: a wrong secret is
// refused exactly as a forged request from the internet would be.
func TestRequestsAreSignedAndVerified(t *testing.T) {
	c, out := newConsole(t, monday)
	// Sign with a secret other than the one Baton's handler was given.
	c.secret = strings.Repeat("0", len(c.secret))
	got := run(t, c, out, "/decide adopt a new logo #ux\n")
	mustContain(t, got, "✗ Baton answered the slash command with HTTP 401")
	mustNotContain(t, got, "Proposed D-1")
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	c, _ := newConsole(t, monday)
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, r, false) }()
	if _, err := w.Write([]byte("now\n")); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil on interrupt", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestQuitStopsReading(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, "now\nquit\n/decide help\n")
	mustNotContain(t, got, "/decide propose")
}

// keyMoments are what the demo must show, whatever day it starts on.
var keyMoments = []string{
	"Would go to",     // who
	"Decision rights", // rights
	"Proposed D-1",    // by tag
	"Proposed D-2",    // by keyword
	"channel C04PEOPLE1 is routed to people",
	"#C03ENGINE1 (thread)", // by mention
	"needs advice before it is decided",
	"Ben Carter advised on D-1",
	"Approved by @Sofia Lindqvist",
	"Rejected by @Amara Diallo",
	"Sorry, only the deciders",
	"Deferred by @Grace Kim",
	"deferred until today and is open again",
	"Escalated: D-2",
	"== Decisions — week",
	"Approved by @Jonas Weber",
	"approved by @Grace Kim for @Ravi Patel (away)", // a delegate acts for an away owner
	"you act for @Ravi Patel, who is away until 2026-12-02",
	"D-7 approved by consent",                       // consent: nobody objected within two days
	"Its owners (@Priya Nair) can still decide too", // escalation adds
	"[home] Maya Chen",
}

func TestDemoScriptOnEveryWeekday(t *testing.T) {
	script, err := os.ReadFile(filepath.Join("..", "examples", "demo.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for day := 30; day <= 36; day++ {
		start := time.Date(2026, 11, day, 10, 0, 0, 0, time.UTC).Format("2006-01-02T15:04")
		t.Run(start, func(t *testing.T) {
			c, out := newConsole(t, start)
			got := run(t, c, out, string(script))
			mustContain(t, got, keyMoments...)
			mustContain(t, got, registerMoments...)
			if n := strings.Count(got, "Review due: D-8"); n != 1 {
				t.Errorf("the review was sent %d times, want once", n)
			}
			// The only error is the refusal the script provokes on purpose.
			if n := strings.Count(got, "✗"); n != 1 {
				t.Errorf("%d error lines, want 1 (the advice refusal):\n%s", n, regexp.MustCompile(`(?m)^✗.*$`).FindAllString(got, -1))
			}
			mustNotContain(t, got, "Slack refused", "clicking as if it were in #C02", "internal error")
		})
	}
}

// Slack escapes &, < and > in what people type; Baton must show the text
// as typed, not the escapes.
func TestTypedTextShowsAsTyped(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, "/decide budget for R&D <draft> #ux\nas grace\n/decide reject D-1 Q1 & Q2 are full\n")
	mustContain(t, section(got, "#C01LEADERS (only you)"), "Proposed D-1 budget for R&D <draft>")
	mustContain(t, got, "Rationale: Q1 & Q2 are full")
	mustNotContain(t, got, "&amp;", "&lt;")
}

func TestPromptBeforeEachLineOnATerminal(t *testing.T) {
	c, out := newConsole(t, monday)
	if err := c.Run(context.Background(), strings.NewReader("now\nas priya\n"), false); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.HasPrefix(got, "maya> ⏱ Mon 2026-11-30 10:00\n") || !strings.Contains(got, "You are now Priya Nair.\npriya> \n") {
		t.Errorf("prompts should precede each line read:\n%q", got)
	}
}

// `start` fixes a script's day, but only before anything happens.
func TestStartSetsTheDayOnlyBeforeAnythingHappens(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, "start 2027-03-17T09:00\nnow\n/decide a new logo #ux\nstart 2027-03-18T09:00\nnow\n")
	mustContain(t, got, "⏱ Wed 2027-03-17 09:00", "Proposed D-1", "must come before anything happens")
	if strings.Contains(got, "⏱ Thu 2027-03-18") || strings.Count(got, "⏱ Wed 2027-03-17 09:00") != 3 {
		t.Errorf("a late start moved the clock:\n%s", got)
	}
	c2, out2 := newConsole(t, monday)
	got = run(t, c2, out2, "start yesterday\n")
	mustContain(t, got, "is not a time")
}
