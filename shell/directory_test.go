package shell

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// consoleFor builds a console on an inline config.
func consoleFor(t *testing.T, yaml string) (*Console, *bytes.Buffer) {
	t.Helper()
	cfg, err := config.Parse("c.yaml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "baton.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at, err := ParseStart(monday, cfg.Timezone)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c, err := New(Options{Config: cfg, Store: st, Out: &out, Start: at})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Close()
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return c, &out
}

// TestUnknownEmailIsNobody: an owner's email that no person has is not
// made into a pretend user ("@ghost") who would then be the decider; as
// on Slack, it resolves to nobody and the parent's owners decide. That
// holds with or without a people: list.
func TestUnknownEmailIsNobody(t *testing.T) {
	const domains = `domains:
  - name: finance
    owners: [U01FATIM3]
  - name: finance/spend
    owners: [ghost@northwind.example, oliver@northwind.example]
    match: {keywords: [purchase]}
`
	for name, yaml := range map[string]string{
		"with people": `people:
  - {id: U01FATIM3, name: Fatima Zahra}
  - {id: U05OLIVE4, name: Oliver Brooks, email: oliver@northwind.example}
` + domains,
		"without people": domains,
	} {
		t.Run(name, func(t *testing.T) {
			c, out := consoleFor(t, yaml)
			got := run(t, c, out, "people\n/decide a purchase of laptops\n")
			mustNotContain(t, got, "ghost", "U0MAIL")
			if name == "with people" {
				mustContain(t, got, "Decided by @Oliver Brooks in `finance/spend`", "DM → Oliver Brooks")
			} else {
				// Nobody in the pretend workspace has either email.
				mustContain(t, got, "Decided by @U01FATIM3 in `finance/spend`", "so the owners of finance hold it")
			}
		})
	}
}

// TestUsergroupsFromConfig: usergroups: defines who is in a usergroup, so
// the example's security advisors exist in the shell.
func TestUsergroupsFromConfig(t *testing.T) {
	c, out := newConsole(t, monday)
	got := run(t, c, out, "in C01GENERAL\n/decide who an sso rollout for the admin panel\n/decide rights #security\n")
	mustContain(t, got, "Would go to `engineering/security`",
		"Advisors @Priya Nair, @Mei Tanaka, @Diego Alvarez",
		"Advisors: @Priya Nair, @Mei Tanaka, @Diego Alvarez")
}

// A person's tz in people: is their zone in the shell's pretend Slack, so a
// date they type is read in it: "by friday" is the end of Friday in New
// York for Ana, in London for Lee.
func TestPeopleZonesInTheShell(t *testing.T) {
	c, out := consoleFor(t, `
timezone: Europe/London
default_domain: company
people:
  - {id: U0ANA0001, name: Ana, tz: America/New_York}
  - {id: U0LEE0001, name: Lee}
domains:
  - name: company
    owners: [U0LEE0001]
`)
	run(t, c, out, "as ana\n/decide open an office in Boston by friday\nas lee\n/decide open an office in Leeds by friday\n")
	ny, _ := time.LoadLocation("America/New_York")
	london, _ := time.LoadLocation("Europe/London")
	for id, loc := range map[decisions.ID]*time.Location{1: ny, 2: london} {
		d, err := c.app.Store().Decision(id)
		if err != nil {
			t.Fatal(err)
		}
		if due := d.Due.In(loc); due.Weekday() != time.Friday || due.Hour() != 23 {
			t.Errorf("%s due %v, want the end of Friday in %s", id, due, loc)
		}
	}
}

// TestRemindersAtEachPersonsHourInTheShell: `tick` shows the reminder to
// someone in Tokyo at the hourly run that is 09:00 there (midnight in
// London), and the one to someone in London at London's 09:00.
func TestRemindersAtEachPersonsHourInTheShell(t *testing.T) {
	c, out := consoleFor(t, `
timezone: Europe/London
default_domain: company
people:
  - {id: U0KEI0001, name: Kei, tz: Asia/Tokyo}
  - {id: U0LEE0001, name: Lee}
  - {id: U0SAM0001, name: Sam}
domains:
  - name: company
    owners: [U0KEI0001, U0LEE0001]
    sla: 1d
`)
	got := run(t, c, out, "as sam\n/decide open an office in Osaka\ntick +2d\n")
	tokyoHour := strings.Index(got, "⏱ Wed 2026-12-02 00:00 — reminders ran\nDM → Kei\n    🔔 Reminder: D-1")
	londonHour := strings.Index(got, "⏱ Wed 2026-12-02 09:00 — reminders ran\nDM → Lee\n    🔔 Reminder: D-1")
	if tokyoHour < 0 || londonHour < tokyoHour {
		t.Errorf("want Kei reminded at 00:00 London time (09:00 in Tokyo), then Lee at 09:00:\n%s", got)
	}
	if strings.Contains(got, "01:00 — reminders ran") {
		t.Errorf("an hourly run that sent nothing is shown:\n%s", got)
	}
}
