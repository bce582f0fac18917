package bot_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/slackfake"
)

// TestOneUsersInfoPerPerson: checking that someone may be handed a
// decision and reading a date in their zone share one users.info call,
// so a reassignment followed by their own proposal costs Slack one
// lookup (it used to cost one per cache: known people, names, zones).
func TestOneUsersInfoPerPerson(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: grace2, Name: "Grace", TZ: "America/New_York"})
	proposeProduct(t, e, "launch the beta")
	before := e.fake.Calls("users.info")
	contains(t, "reassign", e.command(ravi, chRandom, "reassign D-1 <@"+grace2+"|grace> she owns onboarding").all(), "now waits on")
	d := e.propose(grace2, chRandom, "a new onboarding checklist by friday #ux")
	if got := e.fake.Calls("users.info") - before; got != 1 {
		t.Errorf("%d users.info calls for Grace, want 1", got)
	}
	ny, _ := time.LoadLocation("America/New_York")
	if due := d.Due.In(ny); due.Weekday() != time.Friday || due.Hour() != 23 {
		t.Errorf("due %v, want the end of Friday in New York", due)
	}
}

// TestUserChangeMovesTheirZoneAtOnce: someone who travels gets their new
// zone from the user_change event, not a day later when the cache
// expires.
func TestUserChangeMovesTheirZoneAtOnce(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	london, _ := time.LoadLocation("Europe/London")
	d := e.propose(tom, chRandom, "a team offsite by friday #product")
	if due := d.Due.In(london); due.Weekday() != time.Friday || due.Hour() != 23 {
		t.Fatalf("due %v, want the end of Friday in London", due)
	}
	body := fmt.Sprintf(`{"token":"x","team_id":%q,"api_app_id":%q,"type":"event_callback","event_id":"Ev0TZ1","event_time":%d,
"event":{"type":"user_change","user":{"id":%q,"team_id":%q,"name":"tom","deleted":false,"tz":"Asia/Tokyo","profile":{"display_name":"Tom"}},"cache_ts":1700000000,"event_ts":"1700000000.000100"}}`,
		slackfake.TeamID, slackfake.AppID, e.clock.Now().Unix(), tom, slackfake.TeamID)
	if r := e.event([]byte(body), 0); r.Status != http.StatusOK {
		t.Fatalf("user_change: %s", r)
	}
	before := e.fake.Calls("users.info")
	d = e.propose(tom, chRandom, "a second offsite by friday #product")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if due := d.Due.In(tokyo); due.Weekday() != time.Friday || due.Hour() != 23 {
		t.Errorf("due %v, want the end of Friday in Tokyo", due)
	}
	if n := e.fake.Calls("users.info") - before; n != 0 {
		t.Errorf("%d users.info calls after the event told Baton", n)
	}
}

// TestUsersInfoOutageCostsOneCallAnHour: while users.info fails, dates are
// read in the workspace's zone and each person costs Slack (and the
// 3-second acknowledgement) one failed call an hour, not one per command.
func TestUsersInfoOutageCostsOneCallAnHour(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.FailNextError("users.info", "internal_error", 1000)
	before := e.fake.Calls("users.info")
	for i := range 3 {
		contains(t, "proposal", e.command(tom, chRandom, fmt.Sprintf("offsite %d by friday #product", i)).all(), "Proposed D-")
	}
	if n := e.fake.Calls("users.info") - before; n != 1 {
		t.Errorf("%d users.info calls in one hour of outage, want 1", n)
	}
	e.clock.Set(e.clock.Now().Add(61 * time.Minute))
	contains(t, "proposal", e.command(tom, chRandom, "offsite 4 by friday #product").all(), "Proposed D-")
	if n := e.fake.Calls("users.info") - before; n != 2 {
		t.Errorf("%d users.info calls after an hour, want 2: Baton asks again", n)
	}
}

// TestHostileZonesFromSlack: a zone Slack (or a forged user_change) gives
// that is not a real IANA name, a path, or "Local" (the server's own zone)
// is ignored: dates are read in the workspace's zone.
func TestHostileZonesFromSlack(t *testing.T) {
	for i, tz := range []string{"Local", "local", "../../../../etc/passwd", "Mars/Olympus_Mons", strings.Repeat("A", 5000)} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newE2E(t, e2eOptions{})
			e.fake.AddUser(slackfake.User{ID: tom, Name: "Tom", TZ: tz})
			d := e.propose(tom, chRandom, "a team offsite by friday #product")
			london, _ := time.LoadLocation("Europe/London")
			if due := d.Due.In(london); due.Weekday() != time.Friday || due.Hour() != 23 {
				t.Errorf("tz %.20q: due %v, want the end of Friday in the workspace's zone", tz, due)
			}
		})
	}
}
