package bot_test

// Decision rights where real organisations live: holidays, advice,
// escalation and people who are not there. Each test drives Baton through
// the signed HTTP handlers against the fake Slack, on config.example.yaml,
// and names the break of issue 8 it covers.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

const (
	grace2 = "U02GRACE5"
	priya  = "U03PRIYA6"
	oliver = "U05OLIVE4"
)

// tick moves the clock to to (a time in Europe/London), running the jobs
// due on the way and delivering what they send.
func (e *e2e) tick(to string) {
	e.t.Helper()
	loc, _ := time.LoadLocation("Europe/London")
	at, err := time.ParseInLocation("2006-01-02T15:04", to, loc)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.app.Scheduler().Tick(e.ctx(), e.clock, at); err != nil {
		e.t.Fatalf("tick %s: %v", to, err)
	}
	e.flush()
}

// propose proposes text as user in channel and returns the new decision.
func (e *e2e) propose(user, channel, text string) decisions.Decision {
	e.t.Helper()
	before := e.counts()
	r := e.command(user, channel, text)
	if !strings.Contains(r.all(), "Proposed D-") {
		e.t.Fatalf("proposal %q was not created: %s", text, r.all())
	}
	e.flush()
	return e.decision(decisions.ID(before.decisions + 1))
}

func lastEvent(d decisions.Decision) decisions.Event { return d.History[len(d.History)-1] }

// Break 1: the delegate was written into the deciders, so the owner lost
// her decision for good. Now the owner stays; the delegate acts for her
// while she is away, and only then.
func TestDelegationResolvedWhenSomeoneActs(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	r := e.command(sofia, chRandom, "away until 2026-12-02 delegate <@"+ben+"|ben>")
	contains(t, "away", r.all(), "away until")

	mark := e.mark()
	d1 := e.propose(tom, chRandom, "raise the team plan price #pricing")
	d2 := e.propose(tom, chRandom, "an annual discount #pricing")
	if !slices.Equal(d1.Deciders, []string{sofia, ravi}) {
		t.Fatalf("deciders %v: the owner must stay a decider while away", d1.Deciders)
	}
	contains(t, "reason", d1.Reason, sofia+" is away until 2026-12-02; "+ben+" acts for them")
	contains(t, "the delegate's DM", visiblePosts(where(e.postsSince(mark), dmTo(ben))), "needs your decision", "you act for <@"+sofia+">, who is away until 2026-12-02")

	// What Sofia holds waits on Ben while she is away.
	r = e.command(ben, chRandom, "list mine")
	contains(t, "the delegate's list", r.all(), "D-1", "D-2")
	for _, id := range []string{"D-1", "D-2"} {
		e.command(fatima, chRandom, "advise "+id+" fine by finance")
	}
	mark = e.mark()
	r = e.command(ben, chRandom, "approve D-1 good for Q1")
	contains(t, "delegate approves", r.all(), "D-1 is now *approved*")
	e.flush()
	got := e.decision(d1.ID)
	if ev := lastEvent(got); ev.Actor != ben || ev.For != sofia {
		t.Errorf("history: %+v, want approved by Ben for Sofia", ev)
	}
	outcome := strings.Join(texts(where(e.postsSince(mark), in(chPricing))), "\n")
	contains(t, "outcome", outcome+strings.Join(texts(e.postsSince(mark)), "\n"), "<@"+ben+"> for <@"+sofia+"> (away)")

	// Sofia is back: she decides; Ben no longer can, nor sees it waiting on him.
	e.tick("2026-12-03T10:00")
	r = e.command(ben, chRandom, "list mine")
	lacks(t, "the former delegate's list", r.all(), "D-2")
	before := e.counts()
	r = e.command(ben, chRandom, "approve D-2 yes")
	contains(t, "delegate after the away window", r.all(), "only the deciders")
	e.unchanged("a former delegate approving", before)
	r = e.command(sofia, chRandom, "approve D-2 back and happy")
	contains(t, "owner after her holiday", r.all(), "D-2 is now *approved*")
	if got := e.decision(d2.ID); got.Status != decisions.StatusApproved || got.DecidedBy != sofia {
		t.Errorf("D-2: %s by %s", got.Status, got.DecidedBy)
	}
}

// A chain a → b → c: the last available person acts; a loop is refused
// when it is set up.
func TestDelegationChainsAndLoops(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(sofia, chRandom, "away until 2026-12-10 delegate <@"+ben+"|ben>")
	e.command(ben, chRandom, "away until 2026-12-10 delegate <@"+fatima+"|fatima>")
	before := e.counts()
	r := e.command(fatima, chRandom, "away until 2026-12-10 delegate <@"+sofia+"|sofia>")
	contains(t, "a loop", r.all(), "nobody would be left to decide")
	e.unchanged("a delegation loop", before)

	d := e.propose(tom, chRandom, "a student plan #pricing")
	contains(t, "reason", d.Reason, sofia+" is away until 2026-12-10; "+fatima+" acts for them")
	e.command(amara, chRandom, "advise D-1 students love it")
	r = e.command(fatima, chRandom, "approve D-1 ok")
	contains(t, "end of the chain approves", r.all(), "D-1 is now *approved*")
	if ev := lastEvent(e.decision(d.ID)); ev.For != sofia {
		t.Errorf("approved for %q, want Sofia", ev.For)
	}
}

// Break 2: reminders went to the away owner, and escalation landed on a
// delegate who was the proposer himself.
func TestRemindersGoToDelegatesNeverToTheAway(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(sofia, chRandom, "away until 2026-12-20 delegate <@"+ben+"|ben>")
	e.command(ravi, chRandom, "away until 2026-12-20 delegate <@"+tom+"|tom>")
	e.propose(tom, chRandom, "raise the team plan price #pricing")
	e.command(fatima, chRandom, "advise D-1 fine by finance")
	e.flush()
	mark := e.mark()
	e.tick("2026-12-08T10:00")
	posts := e.postsSince(mark)
	for _, u := range []string{sofia, ravi} {
		if r := where(posts, dmTo(u)); len(r) > 0 {
			t.Errorf("%s is away and got %d DMs: %q", u, len(r), texts(r))
		}
	}
	toTom := strings.Join(texts(where(posts, dmTo(tom))), "\n")
	lacks(t, "the proposer, Ravi's delegate", toTom, "Reminder:", "escalated to you")
	benGot := strings.Join(texts(where(posts, dmTo(ben))), "\n")
	contains(t, "Sofia's delegate", benGot, "Reminder: D-1")
	if n := strings.Count(benGot, "Reminder: D-1"); n > 3 {
		t.Errorf("Ben was reminded %d times, more than max_per_person", n)
	}
	d := e.decision(1)
	for _, ev := range d.History {
		if ev.Kind == decisions.EventReminded && (slices.Contains(ev.Users, sofia) || slices.Contains(ev.Users, ravi) || slices.Contains(ev.Users, tom)) {
			t.Errorf("reminded %v", ev.Users)
		}
	}
}

// Break 3: all owners away meant the proposal was lost. Now it climbs one
// level; only when nobody on the ladder can act is it refused, naming whom
// to ask.
func TestAllOwnersAwayClimbsOneLevel(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(grace2, chRandom, "away until 2026-12-10")
	d := e.propose(tom, chRandom, "a new logo #ux")
	if d.Domain != "product/design" || !slices.Equal(d.Deciders, []string{grace2, ravi}) || !slices.Equal(d.Owners, []string{grace2}) {
		t.Errorf("domain %s, deciders %v, owners %v: want product/design with Grace kept and Ravi added", d.Domain, d.Deciders, d.Owners)
	}
	contains(t, "reason", d.Reason, "so it goes one level up to the owners of product")

	e.command(ravi, chRandom, "away until 2026-12-10")
	before := e.counts()
	r := e.command(tom, chRandom, "a new icon set #ux")
	contains(t, "nobody on the ladder", r.all(), "nothing was created", "ask "+grace2+" (back 2026-12-10)")
	e.unchanged("a proposal nobody can decide", before)
}

// Break 4: an owner on holiday whose domain can climb made the digest cry
// "nobody can decide".
func TestDigestFlagsUnownedOnlyWhenNobodyOnTheLadder(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(oliver, chRandom, "away until 2026-12-10")
	e.propose(tom, chRandom, "a purchase of laptops")
	e.tick("2026-11-27T16:00") // Friday's digest
	var digest []string
	for _, p := range e.fake.Posts() {
		if p.Method == "chat.postMessage" && p.Channel == "C01LEADERS" {
			digest = append(digest, visible(p))
		}
	}
	if len(digest) == 0 {
		t.Fatal("no digest posted")
	}
	// The proposal climbed to finance, so finance/spend is not unowned.
	lacks(t, "digest", strings.Join(digest, "\n"), "Nobody can decide")
}

// Break 5: escalation removed the owner closest to the work.
func TestEscalationAddsAndTheOwnerKeepsTheRight(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	d := e.propose(maya, chRandom, "upgrade kubernetes to 1.31 #infra")
	owner := d.Deciders[0]
	e.tick("2026-12-03T10:00")
	got := e.decision(d.ID)
	if got.Escalations == 0 {
		t.Fatalf("not escalated after a week: %+v", got.History)
	}
	if !got.IsDecider(owner) || !got.IsDecider(jonas) {
		t.Fatalf("deciders %v: want the owner %s kept and Jonas added", got.Deciders, owner)
	}
	// The owner's DM was not taken away from her.
	for _, p := range e.fake.Posts() {
		if p.Method == "chat.update" && p.Channel == "D"+owner && strings.Contains(visible(p), "Escalated") && !strings.Contains(visible(p), "Approve") {
			t.Errorf("the owner's DM lost its buttons: %s", visible(p))
		}
	}
	added := strings.Join(texts(where(e.fake.Posts(), dmTo(jonas))), "\n")
	contains(t, "the added decider's DM", added, "escalated to you")
	for _, p := range where(e.fake.Posts(), dmTo(jonas)) {
		if strings.Contains(p.Text, "escalated to you") {
			contains(t, "why Jonas was added", visible(p), "You were added as a decider", "can still decide too")
		}
	}
	r := e.command(owner, chRandom, "approve D-1 done on Tuesday")
	contains(t, "owner after escalation", r.all(), "D-1 is now *approved*")
	if got := e.decision(d.ID); decisions.DecidedLevel(got) != 0 {
		t.Errorf("decided at level %d, want 0 (the owner)", decisions.DecidedLevel(got))
	}
}

// Break 6: a decision stuck at the root was reminded every weekday
// forever, advisors were never reminded, and the digest did not call it
// stuck.
func TestNoNaggingWithoutEnd(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.propose(tom, chRandom, "raise the team plan price #pricing")
	e.tick("2026-12-24T10:00") // four weeks of weekday reminders
	count := func(user, what string) int {
		return strings.Count(strings.Join(texts(where(e.fake.Posts(), dmTo(user))), "\n"), what)
	}
	for _, u := range []string{sofia, ravi} {
		if n := count(u, "Reminder: D-1"); n == 0 || n > 3 {
			t.Errorf("%s got %d reminders, want 1 to 3", u, n)
		}
	}
	for _, u := range []string{ben, fatima} {
		if n := count(u, "Reminder: your advice is needed on D-1"); n == 0 || n > 3 {
			t.Errorf("advisor %s got %d advice reminders, want 1 to 3", u, n)
		}
	}
	if n := count(tom, "D-1 is stuck"); n != 1 {
		t.Errorf("the proposer heard %d times that D-1 is stuck, want once", n)
	}
	var digest string
	for _, p := range e.fake.Posts() {
		if p.Channel == "C01LEADERS" {
			digest = visible(p) // the latest
		}
	}
	contains(t, "digest", digest, "Stuck: nobody above can take these", "D-1", "· open ")
}

// Break 7: require_advice was bypassed by the decider advising herself,
// and the proposer's advice counted too.
func TestRequireAdviceIsHonest(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	d := e.propose(tom, chRandom, "raise the team plan price #pricing")
	e.command(sofia, chRandom, "advise D-1 my own advice")
	e.command(tom, chRandom, "advise D-1 as the proposer I think it's great")
	before := e.counts()
	r := e.command(sofia, chRandom, "approve D-1 ok")
	contains(t, "self-advised approval", r.all(), "needs advice before it is decided", "<@"+ben+">", "<@"+fatima+">")
	e.unchanged("an approval without outside advice", before)
	e.command(ben, chRandom, "advise D-1 sales can live with it")
	r = e.command(sofia, chRandom, "approve D-1 ok")
	contains(t, "approval after outside advice", r.all(), "D-1 is now *approved*")
	if got := e.decision(d.ID); len(got.NoAdviceFrom) != 0 {
		t.Errorf("NoAdviceFrom %v after advice was given", got.NoAdviceFrom)
	}
}

// Half the SLA after asking, with no advice given, the deciders may decide;
// the outcome says whose advice it went without.
func TestDecidedWithoutAdviceAfterHalfTheSLA(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.propose(tom, chRandom, "raise the team plan price #pricing")
	r := e.command(ravi, chRandom, "approve D-1 ok")
	contains(t, "too early", r.all(), "if none comes, you may decide without it from")
	e.tick("2026-11-27T23:00") // 37h later: half of the 72h SLA has passed
	mark := e.mark()
	r = e.command(ravi, chRandom, "approve D-1 we waited long enough")
	contains(t, "after half the SLA", r.all(), "D-1 is now *approved*")
	e.flush()
	contains(t, "outcome", strings.Join(texts(e.postsSince(mark)), "\n")+visiblePosts(e.postsSince(mark)), "decided without advice (asked of <@"+ben+">, <@"+fatima+">)")
}

func visiblePosts(ps []slackfake.Post) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(visible(p))
		b.WriteString("\n")
	}
	return b.String()
}

// Break 8: a signed reassign dialog could make a channel, a usergroup or
// markup a decider, and the note typed with a reassignment was dropped.
func TestReassignAcceptsOnlyPeople(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	dm := proposeProduct(t, e, "launch the beta")
	modal := openModal(t, e, ravi, dm, "reassign", "trig-1")
	before := e.counts()
	res := e.submit(ravi, modal, map[string]map[string]map[string]any{
		"users": {"users_input": {"type": "multi_users_select", "selected_users": []string{"C0SALES", "S0GROUP", "<!channel>", ""}}},
	})
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"response_action":"errors"`) || !strings.Contains(string(res.Body), "only active people") {
		t.Fatalf("hostile reassign: %s", res)
	}
	e.unchanged("a reassign to non-people", before)
	if got := e.decision(1); !slices.Equal(got.Deciders, []string{ravi}) {
		t.Errorf("deciders %v after a refused reassign", got.Deciders)
	}

	// A user id Slack does not know is refused too, from the command.
	r := e.command(ravi, chRandom, "reassign D-1 <@U0NOBODY1|ghost> please")
	contains(t, "unknown user", r.all(), "only active people", "Nothing was changed")

	// The note is kept in the history and shown to the new decider.
	mark := e.mark()
	r = e.command(ravi, chRandom, "reassign D-1 <@"+grace2+"|grace> she owns the onboarding flow")
	contains(t, "reassign", r.all(), "now waits on <@"+grace2+">")
	e.flush()
	got := e.decision(1)
	if ev := lastEvent(got); ev.Kind != decisions.EventReassigned || ev.Note != "she owns the onboarding flow" {
		t.Errorf("history %+v, want the note", ev)
	}
	contains(t, "the new decider's DM", visiblePosts(where(e.postsSince(mark), dmTo(grace2))), "she owns the onboarding flow")
}

// Decision rules through Slack: all (people/hiring) waits for both owners
// and shows the vote; consent (finance/spend) approves itself after two
// days unless an advisor objects.
func TestDecisionRulesThroughSlack(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	d := e.propose(tom, chRandom, "hire a second designer #hiring")
	if d.Rule != decisions.RuleAll {
		t.Fatalf("rule %q, want all", d.Rule)
	}
	e.command(fatima, chRandom, "advise D-1 budget is there")
	mark := e.mark()
	r := e.command("U04HANNA1", chRandom, "approve D-1 strong portfolio")
	contains(t, "first vote", r.all(), "Your vote on D-1 is recorded", "1 of 2 approved", "waiting on <@U04DIEGO2>")
	e.flush()
	contains(t, "vote notice", strings.Join(texts(where(e.postsSince(mark), dmTo("U04DIEGO2"))), "\n"), "1 of 2 approved")
	r = e.command("U04HANNA1", chRandom, "show D-1")
	contains(t, "show", r.all(), "1 of 2 approved")
	r = e.command("U04DIEGO2", chRandom, "approve D-1 yes")
	contains(t, "second vote", r.all(), "D-1 is now *approved*")

	c := e.propose(tom, chRandom, "a purchase of a new CI subscription")
	if c.Domain != "finance/spend" || c.Rule != decisions.RuleConsent {
		t.Fatalf("%s %q, want finance/spend consent", c.Domain, c.Rule)
	}
	o := e.propose(tom, chRandom, "a purchase of standing desks")
	r = e.command(fatima, chRandom, "reject D-3")
	contains(t, "objection without reason", r.all(), "An objection needs a reason")
	r = e.command(fatima, chRandom, "reject D-3 not this quarter: cash")
	contains(t, "objection", r.all(), "Your objection to D-3 is recorded", "will not be approved automatically")
	// Two days pass on Saturday; the reminders job runs on weekdays, so
	// consent is applied on Monday's run.
	e.tick("2026-11-28T12:00")
	if got := e.decision(c.ID); got.Status != decisions.StatusOpen {
		t.Errorf("approved %s before a scheduler run", got.Status)
	}
	e.tick("2026-11-30T09:30")
	if got := e.decision(c.ID); got.Status != decisions.StatusApproved || got.DecidedBy != decisions.SystemActor {
		t.Errorf("consent proposal without objection: %s by %s", got.Status, got.DecidedBy)
	}
	if got := e.decision(o.ID); got.Status != decisions.StatusOpen {
		t.Errorf("objected proposal: %s, want open for the deciders", got.Status)
	}
	r = e.command(tom, chRandom, "who a purchase of monitors")
	contains(t, "who states the rule", r.all(), "consent")
	r = e.command(tom, chRandom, "rights #hiring")
	contains(t, "rights states the rule", r.all(), "all owners approve")
}

// Who hears what when people are away: the proposer hears of an
// escalation himself (his delegate has no part in his proposal), a
// reopened decision nudges the delegate rather than the away owner, and a
// reassignment redraws the DMs of everyone who no longer holds it.
func TestNoticesRespectWhoIsAway(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chRandom, "away until 2026-12-20 delegate <@"+grace2+"|grace>")
	d := e.propose(tom, chRandom, "upgrade kubernetes to 1.31 #infra")
	owner := d.Deciders[0]
	mark := e.mark()
	e.tick("2026-12-03T10:00")
	if got := e.decision(d.ID); got.Escalations == 0 {
		t.Fatal("not escalated")
	}
	posts := e.postsSince(mark)
	contains(t, "the proposer", strings.Join(texts(where(posts, dmTo(tom))), "\n"), "D-1")
	lacks(t, "the proposer's delegate", strings.Join(texts(where(posts, dmTo(grace2))), "\n"), "D-1")

	// Deferred, then reopened while its owner is away: her delegate is nudged.
	r := e.command(owner, chRandom, "defer D-1 until 2026-12-07 after the freeze")
	contains(t, "defer", r.all(), "deferred")
	e.command(owner, chRandom, "away until 2026-12-20 delegate <@"+kenji+"|kenji>")
	mark = e.mark()
	e.tick("2026-12-07T10:00")
	posts = e.postsSince(mark)
	if n := len(where(posts, dmTo(owner))); n != 0 {
		t.Errorf("the away owner got %d DMs when D-1 reopened", n)
	}
	contains(t, "her delegate", visiblePosts(where(posts, dmTo(kenji))), "open again", "you act for")

	// Reassigned: the delegate's DM loses its buttons too.
	mark = e.mark()
	r = e.command(jonas, chRandom, "reassign D-1 <@"+amara+"|amara> people ops owns the freeze calendar")
	contains(t, "reassign", r.all(), "now waits on")
	e.flush()
	updated := where(e.postsSince(mark), func(p slackfake.Post) bool { return p.Method == "chat.update" && p.Channel == "D"+kenji })
	if len(updated) == 0 || strings.Contains(visible(updated[len(updated)-1]), "\"approve\"") {
		t.Errorf("the former delegate's DM still offers buttons: %q", texts(updated))
	}
}
