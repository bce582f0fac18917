package bot_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/slackfake"
)

const eva = "U07EVA007" // owns legal, named in the config by email

// userChanged is Slack's user_change callback for id.
func (e *e2e) userChanged(eventID, id string, deleted bool) response {
	e.t.Helper()
	body := fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":%q,"type":"event_callback","event_id":%q,"event_time":%d,
"event":{"type":"user_change","user":{"id":%q,"team_id":%q,"name":"someone","deleted":%t},"cache_ts":1700000000,"event_ts":"1700000000.000100"}}`,
		slackfake.TeamID, slackfake.AppID, eventID, e.clock.Now().Unix(), id, slackfake.TeamID, deleted)
	r := e.event([]byte(body), 0)
	if r.Status != http.StatusOK {
		e.t.Fatalf("user_change: %s", r)
	}
	return r
}

// TestSlackBlipDuringReresolutionKeepsOwners: one 503 (or 429) from
// users.lookupByEmail while re-resolving after a user_change used to drop
// legal's owner, given as an email, until the next successful pass up to
// an hour later; legal's proposals went to the parent's owners meanwhile.
func TestSlackBlipDuringReresolutionKeepsOwners(t *testing.T) {
	for _, c := range []struct {
		name string
		fail func(e *e2e)
	}{
		{"503", func(e *e2e) { e.fake.FailNext("users.lookupByEmail", http.StatusServiceUnavailable, 0, 10) }},
		{"429", func(e *e2e) { e.fake.FailNext("users.lookupByEmail", http.StatusTooManyRequests, 0, 10) }},
		{"internal_error", func(e *e2e) { e.fake.FailNextError("users.lookupByEmail", "internal_error", 10) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newE2E(t, e2eOptions{})
			who := func() string { return e.command(tom, chRandom, "who Sign the NDA with Contoso #legal").all() }
			contains(t, "before", who(), eva)
			c.fail(e)
			e.userChanged("Ev0USERX", tom, false) // tom owns product/roadmap
			e.clock.Advance(bot.ResolveCoalesce)
			e.flush()
			contains(t, "after a Slack blip during re-resolution", who(), eva)
		})
	}
}

// TestDefiniteNotFoundDropsOwner: Slack saying the email belongs to nobody
// is an answer, and the owner is dropped (legal goes to the parent's owners).
func TestDefiniteNotFoundDropsOwner(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNextError("users.lookupByEmail", "users_not_found", 50)
	if err := e.app.Resolve(e.ctx()); err != nil {
		t.Fatal(err)
	}
	lacks(t, "after Slack said no user has the email", e.command(tom, chRandom, "who Sign the NDA with Contoso #legal").all(), "decided by <@"+eva)
}

// TestUserChangeOfUnnamedPersonCostsNothing: Slack sends user_change for
// every profile edit in the workspace; one for someone the config does not
// name, still active, asks Slack nothing. One for a named person does.
func TestUserChangeOfUnnamedPersonCostsNothing(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	before := e.fake.Calls("auth.test")
	e.userChanged("Ev0STRANGE", stranger, false)
	e.clock.Advance(bot.ResolveCoalesce)
	e.flush()
	if n := e.fake.Calls("auth.test") - before; n != 0 {
		t.Errorf("a profile edit by someone the config does not name re-resolved %d times", n)
	}
	e.userChanged("Ev0KENJI", kenji, false)
	e.clock.Advance(bot.ResolveCoalesce)
	e.flush()
	if n := e.fake.Calls("auth.test") - before; n != 1 {
		t.Errorf("a change to an owner re-resolved %d times, want once", n)
	}
}
