package bot_test

// The register's buttons, review dates coming due, the App Home, dates
// people write and each reader's time zone, end to end.

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// TestNotMineButton: the decider's DM has a Not mine button; its dialog
// needs a reason, and hands the decision to the domain named.
func TestNotMineButton(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	dm := proposeProduct(t, e, "Change the invoice layout")
	modal := openModal(t, e, ravi, dm, blocks.ActionNotMine, "trigger-notmine")

	before := e.counts()
	resp := e.submit(ravi, modal, nil)
	contains(t, "no reason", string(resp.Body), "response_action", "Say why")
	resp = e.submit(ravi, modal, map[string]map[string]map[string]any{
		"rationale": {"rationale_input": {"type": "plain_text_input", "value": "billing is finance's"}},
		"domain":    {"domain_input": {"type": "plain_text_input", "value": "nowhere"}},
	})
	contains(t, "unknown domain", string(resp.Body), "There is no domain")
	resp = e.submit(stranger, modal, map[string]map[string]map[string]any{
		"rationale": {"rationale_input": {"type": "plain_text_input", "value": "not mine"}},
	})
	contains(t, "forged", string(resp.Body), "Only the deciders")
	e.unchanged("refused dialogs", before)

	mark := e.mark()
	resp = e.submit(ravi, modal, map[string]map[string]map[string]any{
		"rationale": {"rationale_input": {"type": "plain_text_input", "value": "billing is finance's"}},
		"domain":    {"domain_input": {"type": "plain_text_input", "value": "#finance"}},
	})
	if resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("submit: %s", resp)
	}
	e.flush()
	if d := e.decision(1); d.Domain != "finance" || !d.IsDecider(fatima) {
		t.Errorf("after Not mine: %s %v", d.Domain, d.Deciders)
	}
	if len(where(e.postsSince(mark), dmTo(fatima))) != 1 {
		t.Errorf("finance got no DM: %v", texts(e.postsSince(mark)))
	}
}

// TestReviewComesDue: on the review date the deciders and the proposer get
// a DM with the outcome, once; Keep records it, Revisit proposes a linked
// decision routed as usual.
func TestReviewComesDue(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(tom, chProduct, "Launch the mobile beta in May #product")
	e.command(ravi, chProduct, "approve D-1 the numbers work, review 2026-12-15")
	e.command(ravi, chProduct, "reject D-2 not yet, review 2026-12-15")
	e.flush()

	mark := e.mark()
	if err := e.app.RunReviews(e.ctx(), time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	e.flush()
	if n := len(e.postsSince(mark)); n != 0 {
		t.Fatalf("a review before its date sent %d messages", n)
	}
	due := time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC)
	e.clock.Set(due)
	if err := e.app.RunReviews(e.ctx(), due); err != nil {
		t.Fatal(err)
	}
	if err := e.app.RunReviews(e.ctx(), due.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.flush()
	posts := e.postsSince(mark)
	toRavi, toTom := where(posts, dmTo(ravi)), where(posts, dmTo(tom))
	if len(toRavi) != 2 || len(toTom) != 2 {
		t.Fatalf("review DMs: ravi %d, tom %d, want 2 each (once per decision): %v", len(toRavi), len(toTom), texts(posts))
	}
	contains(t, "review DM", visible(toRavi[0]), "Review due", "Approved", "the numbers work", "Keep", "Revisit")

	mark = e.mark()
	e.press(tom, toTom[0], blocks.ActionKeep, "t-keep")
	e.flush()
	if d := e.decision(1); !d.ReviewOn.IsZero() {
		t.Errorf("kept, but the review is still pending: %v", d.ReviewOn)
	}
	e.press(ravi, toRavi[0], blocks.ActionKeep, "t-keep-2")
	e.flush()
	contains(t, "second keep", strings.Join(texts(e.postsSince(mark)), "\n"), "kept as it is", "already been reviewed")

	e.press(stranger, toRavi[1], blocks.ActionRevisit, "t-revisit-stranger")
	e.flush()
	if n, _ := e.st.Count(); n != 2 {
		t.Fatalf("a bystander's Revisit created a decision")
	}
	e.press(tom, toTom[1], blocks.ActionRevisit, "t-revisit")
	e.press(tom, toTom[1], blocks.ActionRevisit, "t-revisit-again")
	e.flush()
	if n, _ := e.st.Count(); n != 3 {
		t.Fatalf("%d decisions after Revisit twice, want 3", n)
	}
	d3 := e.decision(3)
	if d3.Revisits != 2 || d3.Domain != "product" || !strings.HasPrefix(d3.Title, "Revisit D-2: ") {
		t.Errorf("revisit: %q in %s revisits %v", d3.Title, d3.Domain, d3.Revisits)
	}
	if d2 := e.decision(2); !d2.ReviewOn.IsZero() || !strings.Contains(e.command(tom, chProduct, "show D-2").all(), "revisited as D-3") {
		t.Errorf("D-2 after revisit: review %v", d2.ReviewOn)
	}
}

// TestDatesPeopleWrite: a time after the date is kept and leaves the
// title; a phrase that only looks like a date is not silently ignored.
func TestDatesPeopleWrite(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	r := e.command(tom, chProduct, "Pick the beta vendor by friday 17:00 #product")
	d := e.decision(1)
	london, _ := time.LoadLocation("Europe/London")
	if want := time.Date(2026, 11, 27, 17, 0, 0, 0, london); !d.Due.Equal(want) || d.Title != "Pick the beta vendor #product" {
		t.Errorf("due %v title %q; want %v and the phrase gone", d.Due, d.Title, want)
	}
	lacks(t, "ack", r.all(), "couldn't read")

	r = e.command(tom, chProduct, "Pick the beta vendor by the 5th #product")
	contains(t, "ack", r.all(), "Proposed", "D-2", "I couldn't read “by the 5th” as a date, so D-2 has no due date", "/decide edit D-2 by friday")
	if d := e.decision(2); !d.Due.IsZero() || d.Title != "Pick the beta vendor by the 5th #product" {
		t.Errorf("unreadable: due %v title %q", d.Due, d.Title)
	}

	const ts = "1764151200.000300"
	e.event(e.mentionBody(mention{EventID: "Ev0DUE", User: tom, Channel: chRandom, TS: ts,
		Text: "<@" + slackfake.BotUserID + "> Pick the beta vendor by the 5th #product"}), 0)
	e.flush()
	if n, _ := e.st.Count(); n != 3 {
		t.Fatalf("the mention did not propose: %d decisions", n)
	}
	var note bool
	for _, p := range where(e.fake.Posts(), in(chRandom)) {
		note = note || (p.ThreadTS == ts && strings.Contains(visible(p), "I couldn't read “by the 5th”"))
	}
	if !note {
		t.Errorf("no note in the mention's thread: %v", texts(where(e.fake.Posts(), in(chRandom))))
	}
}

// openHome opens user's App Home and returns what it shows.
func openHome(t *testing.T, e *e2e, user, eventID string) string {
	t.Helper()
	ev := map[string]any{
		"token": "ZZZZZZWSxiZZZ2yIvs3peJ", "team_id": slackfake.TeamID, "api_app_id": slackfake.AppID,
		"type": "event_callback", "event_id": eventID, "event_time": 1764151200,
		"event": map[string]any{"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home", "event_ts": "1764151200.000100"},
	}
	body, _ := json.Marshal(ev)
	mark := e.mark()
	if resp := e.event(body, 0); resp.Status != http.StatusOK {
		t.Fatalf("app_home_opened: %s", resp)
	}
	e.flush()
	home := where(e.postsSince(mark), method("views.publish"))
	if len(home) != 1 || home[0].User != user {
		t.Fatalf("want the home tab published for %s, got %v", user, texts(e.postsSince(mark)))
	}
	return visible(home[0])
}

// TestAppHomeRegister: the App Home shows what a delegate may decide,
// advice owed, reviews due, and recent outcomes in the viewer's domains.
func TestAppHomeRegister(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chPricing, "Raise the team plan price #pricing")           // D-1: sofia and ravi decide, ben and fatima advise
	e.command(tom, chProduct, "Launch the public beta in March #product")     // D-2: ravi decides
	e.command(tom, chGeneral, "Adopt a four-day week #company")               // D-3: maya decides
	e.command(ben, chPricing, "advise D-1 sales can live with it")            // ben no longer owes advice
	e.command(ravi, chProduct, "approve D-2 go, review 2026-11-27")           // a review, due tomorrow
	e.command(maya, chGeneral, "away until 2026-12-10 delegate <@"+sofia+">") // sofia stands in for maya
	e.flush()

	e.clock.Set(time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	// A review shows in App Home from its date, before the job has asked it,
	// and once only after.
	early := openHome(t, e, tom, "Ev0HOME0")
	contains(t, "review not yet asked", early, "Reviews due (1)", "D-2")
	if err := e.app.RunReviews(e.ctx(), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.flush()
	fatima := openHome(t, e, fatima, "Ev0HOME1")
	contains(t, "advisor", fatima, "Advice you owe (2)", "D-1", "/decide advise D-1", "D-3")
	lacks(t, "advisor", fatima, "Reviews due")
	benHome := openHome(t, e, ben, "Ev0HOME2")
	lacks(t, "advised already", benHome, "Advice you owe")

	tomHome := openHome(t, e, tom, "Ev0HOME3")
	contains(t, "proposer", tomHome, "Reviews due (1)", "D-2", "Proposed by you (3)")

	sofiaHome := openHome(t, e, sofia, "Ev0HOME4")
	contains(t, "delegate", sofiaHome, "Waiting on you (1)", "Yours to decide as a delegate (1)", "Adopt a four-day week")

	raviHome := openHome(t, e, ravi, "Ev0HOME5")
	contains(t, "owner of product", raviHome, "Recent outcomes in your domains", "Launch the public beta", "Approved")
	graceHome := openHome(t, e, grace, "Ev0HOME6")
	contains(t, "owner of design", graceHome, "Recent outcomes in your domains", "No recent outcomes")
}

// TestDueDateInTheProposersZone: "by friday" is the end of Friday where the
// proposer is (users.info tz), not in the workspace's zone; the zone is
// cached, and every date shown is a Slack date token each reader sees in
// their own zone.
func TestDueDateInTheProposersZone(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: tom, Name: "Tom Okafor", TZ: "America/New_York"})
	ny, _ := time.LoadLocation("America/New_York")
	r := e.command(tom, chProduct, "Launch the public beta by friday #product")
	if d := e.decision(1); !d.Due.Equal(time.Date(2026, 11, 27, 23, 59, 59, 0, ny)) {
		t.Errorf("due %v, want the end of Friday in New York", d.Due.In(ny))
	}
	contains(t, "ack", r.all(), "<!date^"+strconv.FormatInt(time.Date(2026, 11, 27, 23, 59, 59, 0, ny).Unix(), 10)+"^{date_short_pretty} {time}|Sat 28 Nov 2026 04:59>")

	before := e.fake.Calls("users.info")
	e.command(tom, chProduct, "Launch the private beta by friday #product")
	e.command(tom, chProduct, "Launch the GA by Dec 5 #product")
	if n := e.fake.Calls("users.info") - before; n != 0 {
		t.Errorf("users.info called %d more times; the zone should be cached", n)
	}
	// A day later the cache is fresh for another day; after that Baton asks again.
	e.clock.Set(e2eStart.Add(25 * time.Hour))
	e.command(tom, chProduct, "Launch the mobile beta by Dec 5 #product")
	if n := e.fake.Calls("users.info") - before; n != 1 {
		t.Errorf("users.info called %d times after a day, want 1", n)
	}
	// People in the workspace's zone, and commands without a date, are read as before.
	e.command(ravi, chProduct, "Hire a designer by friday #product")
	london, _ := time.LoadLocation("Europe/London")
	if d := e.decision(5); !d.Due.Equal(time.Date(2026, 12, 4, 23, 59, 59, 0, london)) { // on Friday, "friday" is next week's
		t.Errorf("due %v, want the end of next Friday in London", d.Due)
	}
}

// TestReviewOnInTheDialog: the approve dialog takes an optional review
// date; a past one is refused in the dialog.
func TestReviewOnInTheDialog(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	dm := proposeProduct(t, e, "Launch the public beta in March")
	modal := openModal(t, e, ravi, dm, "approve", "trigger-review")
	values := func(date string) map[string]map[string]map[string]any {
		return map[string]map[string]map[string]any{
			"rationale": {"rationale_input": {"type": "plain_text_input", "value": "go"}},
			"review":    {"review_input": {"type": "datepicker", "selected_date": date}},
		}
	}
	before := e.counts()
	resp := e.submit(ravi, modal, values("2026-11-01"))
	contains(t, "past review", string(resp.Body), "response_action", "in the future")
	e.unchanged("a past review date", before)

	if resp := e.submit(ravi, modal, values("2027-05-26")); resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("submit: %s", resp)
	}
	london, _ := time.LoadLocation("Europe/London")
	d := e.decision(1)
	if d.Status != "approved" || !d.ReviewOn.Equal(time.Date(2027, 5, 26, 9, 0, 0, 0, london)) {
		t.Errorf("after the dialog: %s, review %v", d.Status, d.ReviewOn)
	}
}

// TestShowHasTheReviewAndTheLink: show gives the review date and the
// decision revisited.
func TestShowHasTheReviewAndTheLink(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(ravi, chProduct, "approve D-1 go, review 2026-12-15")
	contains(t, "show", e.command(tom, chProduct, "show D-1").all(), "Review on", "Tue 15 Dec 2026 09:00")
}

// TestRevisitFinishesAfterACrash: a Revisit press that proposed the new
// decision but stopped before recording the review (a crash, a failed
// write) is finished by the next press, with the revisit already made,
// not refused as "already being revisited" with the review left open.
func TestRevisitFinishesAfterACrash(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.command(ravi, chProduct, "approve D-1 the numbers work, review 2026-12-15")
	e.flush()
	due := time.Date(2026, 12, 15, 9, 0, 0, 0, time.UTC)
	e.clock.Set(due)
	mark := e.mark()
	if err := e.app.RunReviews(e.ctx(), due); err != nil {
		t.Fatal(err)
	}
	e.flush()
	toTom := where(e.postsSince(mark), dmTo(tom))
	if len(toTom) != 1 {
		t.Fatalf("review DMs to tom: %d, want 1", len(toTom))
	}
	// What the interrupted press left: the revisit, proposed once under
	// its key and linked, and D-1's review still open.
	d1 := e.decision(1)
	e.clock.Set(due.Add(time.Minute))
	crashed := decisions.Decision{Title: "Revisit D-1: " + d1.Title, Proposer: tom, Domain: "product", Deciders: d1.Deciders,
		Status: decisions.StatusOpen, CreatedAt: e.clock.Now(), Revisits: 1}
	if _, err := e.st.CreateDecisionForEvent("revisit/D-1/"+strconv.FormatInt(d1.ReviewOn.Unix(), 10), e.clock.Now(), crashed, nil); err != nil {
		t.Fatal(err)
	}

	mark = e.mark()
	e.press(tom, toTom[0], blocks.ActionRevisit, "t-revisit-after-crash")
	e.flush()
	if n, _ := e.st.Count(); n != 2 {
		t.Fatalf("%d decisions after the second press, want 2 (no second revisit)", n)
	}
	if d := e.decision(1); !d.ReviewOn.IsZero() {
		t.Errorf("the review is still open after the second press: %v", d.ReviewOn)
	}
	contains(t, "D-1 after", e.command(tom, chProduct, "show D-1").all(), "revisited as D-2")
	contains(t, "reply", strings.Join(texts(e.postsSince(mark)), "\n"), "D-2 proposed, revisiting D-1")
}
