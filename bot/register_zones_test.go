package bot_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// TestZoneBeforeADateFails: "by 2026-11-26 09:00" is past in London but
// still ahead in Los Angeles, where the proposer is: the proposer's zone is
// looked up before the date is refused.
func TestZoneBeforeADateFails(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: tom, Name: "Tom Okafor", TZ: "America/Los_Angeles"})
	la, _ := time.LoadLocation("America/Los_Angeles")
	r := e.command(tom, chProduct, "Launch the public beta by 2026-11-26 09:00 #product")
	contains(t, "ack", r.all(), "D-1")
	if d := e.decision(1); !d.Due.Equal(time.Date(2026, 11, 26, 9, 0, 0, 0, la)) {
		t.Errorf("due %v, want 09:00 today in Los Angeles", d.Due.In(la))
	}
	// Someone in the workspace's zone still hears it is past.
	before := e.counts()
	contains(t, "london", e.command(ravi, chProduct, "Hire a designer by 2026-11-26 09:00 #product").all(), "in the past")
	e.unchanged("a past time in London", before)
}

// TestProposeAsWrittenReadsDatesLikeACommand: the button reads the due
// date in the person's zone, and says when a date-like phrase could not
// be read, as typing the proposal would.
func TestProposeAsWrittenReadsDatesLikeACommand(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: tom, Name: "Tom Okafor", TZ: "America/New_York"})
	ny, _ := time.LoadLocation("America/New_York")
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()

	r := e.command(tom, chProduct, "frobnicate D-1 pricing by friday #pricing")
	e.press(tom, replyPost(t, r, chProduct, "1764151300.000200"), blocks.ActionProposeWritten, "t1")
	e.flush()
	if d := e.decision(2); !d.Due.Equal(time.Date(2026, 11, 27, 23, 59, 59, 0, ny)) {
		t.Errorf("due %v, want the end of Friday in New York", d.Due.In(ny))
	}

	r = e.command(tom, chProduct, "frobnicate D-1 pricing by the 5th #pricing")
	mark := e.mark()
	e.press(tom, replyPost(t, r, chProduct, "1764151300.000300"), blocks.ActionProposeWritten, "t2")
	e.flush()
	ack := strings.Join(texts(where(e.postsSince(mark), method("chat.postEphemeral"))), "\n")
	contains(t, "ack", ack, "D-3", "couldn't read “by the 5th” as a date")
	if d := e.decision(3); !d.Due.IsZero() {
		t.Errorf("due %v, want none", d.Due)
	}
}

// TestReviewDateInTheDialogIsThePickersDay: a review date picked in the
// approve dialog is 9:00 on that day where the person who picked it is.
func TestReviewDateInTheDialogIsThePickersDay(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: ravi, Name: "Ravi", TZ: "Asia/Tokyo"})
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	dm := proposeProduct(t, e, "Launch the public beta in March")
	modal := openModal(t, e, ravi, dm, "approve", "trigger-review-tz")
	values := map[string]map[string]map[string]any{
		"rationale": {"rationale_input": {"type": "plain_text_input", "value": "go"}},
		"review":    {"review_input": {"type": "datepicker", "selected_date": "2027-05-26"}},
	}
	if resp := e.submit(ravi, modal, values); resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("submit: %s", resp)
	}
	if d := e.decision(1); !d.ReviewOn.Equal(time.Date(2027, 5, 26, 9, 0, 0, 0, tokyo)) {
		t.Errorf("review %v, want 09:00 on 26 May in Tokyo", d.ReviewOn.In(tokyo))
	}
	// Typed, the same: "review D-1 2027-06-01" by ravi is his 9:00.
	e.command(ravi, chProduct, "review D-1 2027-06-01")
	if d := e.decision(1); !d.ReviewOn.Equal(time.Date(2027, 6, 1, 9, 0, 0, 0, tokyo)) {
		t.Errorf("typed review %v, want 09:00 on 1 June in Tokyo", d.ReviewOn.In(tokyo))
	}
}

// TestRemindersAtEachPersonsHour: the reminders job runs hourly and each
// decider is reminded at 09:00 on a weekday in their own zone (Sofia in
// Tokyo, Ravi in the workspace's London); a day's reminders count once
// toward escalate_after, and the climb (here to the root: recorded as
// stuck) comes at London's 09:00.
func TestRemindersAtEachPersonsHour(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: sofia, Name: "Sofia", TZ: "Asia/Tokyo"})
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	london, _ := time.LoadLocation("Europe/London")
	d := e.propose(tom, chRandom, "raise the team plan price #pricing")
	e.command(fatima, chRandom, "advise D-1 fine by finance")
	e.flush()
	mark := e.mark()
	e.tick("2026-12-09T12:00")

	d = e.decision(d.ID)
	zone := map[string]*time.Location{sofia: tokyo, ravi: london}
	reminded := map[string]int{}
	var escalated []time.Time
	for _, ev := range d.History {
		switch ev.Kind {
		case decisions.EventReminded:
			for _, u := range ev.Users {
				reminded[u]++
				at := ev.At.In(zone[u])
				if at.Hour() != 9 || at.Minute() != 0 || at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
					t.Errorf("%s reminded at %s their time, want 09:00 on a weekday", u, at.Format("Mon 15:04 MST"))
				}
			}
			if len(ev.Users) != 1 {
				t.Errorf("one reminder to %v at %s: people in two zones share no hour", ev.Users, ev.At)
			}
		case decisions.EventEscalated, decisions.EventStuck:
			escalated = append(escalated, ev.At)
		}
	}
	if reminded[sofia] == 0 || reminded[ravi] == 0 {
		t.Fatalf("reminders %v, want both deciders reminded", reminded)
	}
	// Two days of reminders (escalate_after: 2), not two reminders.
	if len(escalated) == 0 {
		t.Fatalf("never escalated: %v", d.History)
	}
	if at := escalated[0].In(london); at.Hour() != 9 {
		t.Errorf("climbed at %s, want the workspace's 09:00", at)
	}
	if reminded[sofia] != 2 || reminded[ravi] != 2 {
		t.Errorf("escalated after %v: want two days of reminders each first", reminded)
	}
	// The DMs reached them.
	posts := e.postsSince(mark)
	for _, u := range []string{sofia, ravi} {
		if n := strings.Count(strings.Join(texts(where(posts, dmTo(u))), "\n"), "Reminder: D-1"); n != reminded[u] {
			t.Errorf("%s got %d reminder DMs, history says %d", u, n, reminded[u])
		}
	}
}

// TestAwayWithADelegateInAnotherZone: when someone goes away and names a
// delegate whose hour comes earlier than anyone's the scheduler was
// waiting for, their open decisions are looked at again, so the delegate
// is reminded at their own first hour, not a day late.
func TestAwayWithADelegateInAnotherZone(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: ben, Name: "Ben", TZ: "Asia/Tokyo"})
	d := e.propose(tom, chRandom, "raise the team plan price #pricing")
	e.command(fatima, chRandom, "advise D-1 fine by finance")
	e.tick("2026-11-29T12:00") // Sunday: past the 3-day SLA, nobody's weekday hour yet
	contains(t, "away", e.command(sofia, chRandom, "away until 2026-12-10 delegate <@"+ben+"|ben>").all(), "decides for you")
	e.tick("2026-11-30T12:00")
	var benAt []time.Time
	for _, ev := range e.decision(d.ID).History {
		if ev.Kind == decisions.EventReminded && slices.Contains(ev.Users, ben) {
			benAt = append(benAt, ev.At)
		}
	}
	mon9Tokyo := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	if len(benAt) == 0 || !benAt[0].Equal(mon9Tokyo) {
		t.Errorf("Ben reminded at %v, want Monday 09:00 in Tokyo (%s)", benAt, mon9Tokyo)
	}
}

// TestRemindersInAHalfHourZone: someone in India (UTC+5:30) is reminded at
// 09:00 their time, 03:30 UTC, not at the next whole hour: the reminders
// job runs every quarter of an hour.
func TestRemindersInAHalfHourZone(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: sofia, Name: "Sofia", TZ: "Asia/Kolkata"})
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	d := e.propose(tom, chRandom, "raise the team plan price #pricing")
	e.command(fatima, chRandom, "advise D-1 fine by finance")
	e.tick("2026-12-01T12:00")
	var at []string
	for _, ev := range e.decision(d.ID).History {
		if ev.Kind == decisions.EventReminded && slices.Contains(ev.Users, sofia) {
			at = append(at, ev.At.In(kolkata).Format("Mon 15:04"))
		}
	}
	if !slices.Equal(at, []string{"Mon 09:00", "Tue 09:00"}) {
		t.Errorf("Sofia reminded at %v (Kolkata time), want Mon 09:00 and Tue 09:00", at)
	}
}

// TestRemindersWhileUsersInfoFails: with Slack's users.info failing, the
// reminders job does not stall or drop anyone: people whose zone cannot be
// read are reminded at the workspace's hour, and each costs one failed
// call an hour, not one per run.
func TestRemindersWhileUsersInfoFails(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.fake.AddUser(slackfake.User{ID: sofia, Name: "Sofia", TZ: "Asia/Tokyo"})
	london, _ := time.LoadLocation("Europe/London")
	d := e.propose(tom, chRandom, "raise the team plan price #pricing")
	e.command(fatima, chRandom, "advise D-1 fine by finance")
	e.fake.FailNextError("users.info", "internal_error", 100000)
	before := e.fake.Calls("users.info")
	e.tick("2026-11-30T12:00")
	var at []string
	for _, ev := range e.decision(d.ID).History {
		if ev.Kind == decisions.EventReminded && slices.Contains(ev.Users, sofia) {
			at = append(at, ev.At.In(london).Format("Mon 15:04"))
		}
	}
	if !slices.Equal(at, []string{"Mon 09:00"}) {
		t.Errorf("Sofia reminded at %v (London time), want Mon 09:00, the workspace's hour, while her zone cannot be read", at)
	}
	// Sunday 10:00 to Monday 12:00 is 27 hours of quarter-hourly runs.
	if n := e.fake.Calls("users.info") - before; n > 1000 || true {
		t.Logf("calls %d", n)
	}
	if n := e.fake.Calls("users.info") - before; n > 2*28 {
		t.Errorf("%d users.info calls in 27 hours of runs, want about one an hour per person", n)
	}
}
