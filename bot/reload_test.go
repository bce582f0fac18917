package bot_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/slackfake"
)

// usergroupChanged is Slack's subteam_members_changed callback.
func (e *e2e) usergroupChanged(eventID, group, added string) response {
	e.t.Helper()
	body := fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":%q,"type":"event_callback","event_id":%q,"event_time":%d,
"event":{"type":"subteam_members_changed","subteam_id":%q,"team_id":%q,"date_previous_update":1446670362,"date_update":1492906952,
"added_users":[%q],"added_users_count":"1","removed_users":[],"removed_users_count":"0","event_ts":"1492906952.000000"}}`,
		slackfake.TeamID, slackfake.AppID, eventID, e.clock.Now().Unix(), group, slackfake.TeamID, added)
	return e.event([]byte(body), 0)
}

// TestUsergroupChangeIsNoticedWithoutRestart: someone added to an advising
// usergroup is an advisor once Slack says the group changed; a burst of
// change events costs one re-resolution.
func TestUsergroupChangeIsNoticedWithoutRestart(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	who := func() string {
		return e.command(tom, chRandom, "who Rotate the production database passwords #security").all()
	}
	lacks(t, "advisors before the change", who(), amara)

	e.fake.AddUsergroup("S03SECCHMP", diego, amara)
	for i := range 3 {
		if r := e.usergroupChanged(fmt.Sprintf("Ev0GROUP%d", i), "S03SECCHMP", amara); r.Status != http.StatusOK {
			t.Fatalf("subteam_members_changed: %s", r)
		}
	}
	lists := e.fake.Calls("usergroups.users.list")
	e.clock.Advance(bot.ResolveCoalesce)
	e.flush()
	contains(t, "advisors after the change", who(), amara)
	if n := e.fake.Calls("usergroups.users.list") - lists; n != 1 {
		t.Errorf("three change events asked Slack %d times, want once", n)
	}
}

// TestReloadSwapsDecisionRights: a reloaded config's owners route new
// proposals at once; the summary says what changed; what needs a restart
// is named.
func TestReloadSwapsDecisionRights(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	path := filepath.Join("..", "config.example.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Pricing moves from Sofia and Ravi to Amara alone, and a new domain
	// appears; the slash command is renamed (a restart key).
	text := strings.Replace(string(data), "owners: [U02SOFIA3, U01RAVI02]", "owners: [U01AMARA9]", 1)
	if text == string(data) {
		t.Fatal("the example's pricing owners moved; update this test")
	}
	text = strings.Replace(text, "command: /decide", "command: /choose", 1)
	text += "\n  - name: facilities\n    owners: [U01MAYA01]\n    match:\n      keywords: [office lease]\n"
	next, err := config.Parse(path, []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	summary, restart, err := e.app.Reload(e.ctx(), next)
	if err != nil {
		t.Fatal(err)
	}
	if summary != "+1 domain, 3 owners changed" {
		t.Errorf("summary %q", summary)
	}
	if len(restart) != 1 || restart[0] != "slack" {
		t.Errorf("restart keys %v, want [slack]", restart)
	}
	r := e.command(tom, chPricing, "Raise the Pro plan price #pricing")
	contains(t, "proposal after reload", r.all(), amara)
	lacks(t, "proposal after reload", r.all(), sofia)
	if got := bot.Changes(next, next); got != "no change to the decision rights" {
		t.Errorf("Changes(same) = %q", got)
	}
}

// TestReloadKeepsTheRunningConfigWhenSlackIsDown: rights that need Slack
// to resolve are not half-applied.
func TestReloadKeepsTheRunningConfigWhenSlackIsDown(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	path := filepath.Join("..", "config.example.yaml")
	data, _ := os.ReadFile(path)
	next, err := config.Parse(path, []byte(strings.Replace(string(data), "owners: [U02SOFIA3, U01RAVI02]", "owners: [U01AMARA9]", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.FailNext("auth.test", http.StatusServiceUnavailable, 0, 10)
	if _, _, err := e.app.Reload(e.ctx(), next); err == nil || !strings.Contains(err.Error(), "running one stays") {
		t.Fatalf("reload with Slack down: %v", err)
	}
	lacks(t, "proposal after a refused reload", e.command(tom, chPricing, "Raise the Pro plan price #pricing").all(), amara)
}

// TestDeactivationIsNoticedWithoutRestart: an owner deactivated in Slack
// stops getting decisions once user_change arrives (their domain's
// proposals go to the parent's owners).
func TestDeactivationIsNoticedWithoutRestart(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	contains(t, "before", e.command(tom, chRandom, "who Rotate the production database passwords #security").all(), kenji)
	e.fake.AddUser(slackfake.User{ID: kenji, Name: "Kenji Watanabe", Email: "kenji@northwindlabs.example", Deleted: true})
	body := fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":%q,"type":"event_callback","event_id":"Ev0USER1","event_time":%d,
"event":{"type":"user_change","user":{"id":%q,"team_id":%q,"name":"kenji","deleted":true},"cache_ts":1700000000,"event_ts":"1700000000.000100"}}`,
		slackfake.TeamID, slackfake.AppID, e.clock.Now().Unix(), kenji, slackfake.TeamID)
	if r := e.event([]byte(body), 0); r.Status != http.StatusOK {
		t.Fatalf("user_change: %s", r)
	}
	e.clock.Advance(bot.ResolveCoalesce)
	e.flush()
	lacks(t, "after", e.command(tom, chRandom, "who Rotate the production database passwords #security").all(), "decided by <@"+kenji)
}

// TestReloadSurvivesConcurrentResolve: a re-resolution (hourly, or after a
// user_change) that started before a SIGHUP reload and finished after it
// used to swap the old config back in, though the reload reported success.
func TestReloadSurvivesConcurrentResolve(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	path := filepath.Join("..", "config.example.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old, err := config.Parse(path, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	next, err := config.Parse(path, []byte(strings.Replace(string(data), "owners: [U02SOFIA3, U01RAVI02]", "owners: [U01AMARA9]", 1)), nil)
	if err != nil {
		t.Fatal(err)
	}
	lost := 0
	const rounds = 100
	for range rounds {
		if _, _, err := e.app.Reload(e.ctx(), old); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _ = e.app.Resolve(e.ctx()) }()
		go func() { defer wg.Done(); _, _, _ = e.app.Reload(e.ctx(), next) }()
		wg.Wait()
		if d, _ := e.app.Router().Domain("product/pricing"); !slices.Contains(d.Owners, "U01AMARA9") {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d reloads were undone by a concurrent re-resolution", lost, rounds)
	}
}

// TestDeclineUsesTheReloadedDefaultDomain: declining a top-level domain's
// decision hands it to the default domain of the config in force; it used
// to read the config serve started with, so a reloaded default_domain was
// ignored there.
func TestDeclineUsesTheReloadedDefaultDomain(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	path := filepath.Join("..", "config.example.yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "default_domain: company", "default_domain: legal", 1)
	if text == string(data) {
		t.Fatal("the example's default_domain moved; update this test")
	}
	next, err := config.Parse(path, []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.app.Reload(e.ctx(), next); err != nil {
		t.Fatal(err)
	}
	e.command(tom, chGeneral, "Budget for the team offsite #finance")
	contains(t, "decline", e.command(fatima, chGeneral, "decline D-1 not a finance call").all(), "in *legal*")
	if d := e.decision(1); d.Domain != "legal" {
		t.Errorf("declined to %s, want the reloaded default domain legal", d.Domain)
	}
}
