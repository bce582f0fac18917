package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
)

// TestProposeBySlashCommand is the main path: the proposer is answered in
// the response itself, then the outbox tells the deciders (with buttons),
// the advisors, and the channel.
func TestProposeBySlashCommand(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	r := e.command(tom, chPricing, "Offer a 20% discount for annual plans #pricing by 2026-12-04")

	// The ack: id, who decides and why, before anything reaches Slack.
	contains(t, "ack", r.all(), "D-1", "<@"+sofia+">", "<@"+ravi+">", "product/pricing", "Why", "pricing")
	if n := len(e.fake.Posts()); n != 0 {
		t.Errorf("%d posts before the outbox ran; the ack must not wait for Slack", n)
	}
	d := e.decision(1)
	if d.Status != decisions.StatusOpen || d.Domain != "product/pricing" || d.Proposer != tom {
		t.Errorf("stored %+v", d)
	}
	if want := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC); d.Due.Before(want) || d.Due.After(want.Add(24*time.Hour)) {
		t.Errorf("due %v, want on 2026-12-04", d.Due)
	}

	e.flush()
	posts := e.fake.Posts()
	for _, u := range []string{sofia, ravi} {
		dms := where(posts, dmTo(u))
		if len(dms) != 1 {
			t.Fatalf("decider %s got %d DMs, want 1: %v", u, len(dms), texts(posts))
		}
		contains(t, "decider DM", visible(dms[0]), "D-1", "Offer a 20% discount for annual plans")
		for _, action := range []string{"approve", "reject", "defer", "ask_advice", "reassign"} {
			if v, _, ok := findButton(dms[0].Blocks, action); !ok || v != "D-1" {
				t.Errorf("decider DM: %s button value %q (present %v), want D-1", action, v, ok)
			}
		}
	}
	for _, u := range []string{ben, fatima} {
		notes := where(posts, dmTo(u))
		if len(notes) != 1 {
			t.Fatalf("advisor %s got %d DMs, want 1", u, len(notes))
		}
		contains(t, "advisor notice", visible(notes[0]), "advice", "D-1", "/decide advise D-1")
		if _, _, ok := findButton(notes[0].Blocks, "approve"); ok {
			t.Error("an advisor got an Approve button")
		}
	}
	ann := where(posts, in(chPricing))
	if len(ann) != 1 {
		t.Fatalf("%d posts in the proposal's channel, want 1 announcement: %v", len(ann), texts(posts))
	}
	contains(t, "announcement", visible(ann[0]), "D-1", "<@"+tom+">", "Offer a 20% discount")
	if ann[0].ThreadTS != "" {
		t.Errorf("a slash command's announcement is threaded under %s", ann[0].ThreadTS)
	}
	if len(posts) != 5 {
		t.Errorf("%d posts, want 5 (2 decider DMs, 2 advisor notices, 1 announcement): %v", len(posts), texts(posts))
	}
	if rej := e.fake.Rejections(); len(rej) > 0 {
		t.Errorf("Slack refused: %+v", rej)
	}

	// Flushing again sends nothing twice.
	e.flush()
	if n := len(e.fake.Posts()); n != len(posts) {
		t.Errorf("a second flush posted %d more", n-len(posts))
	}
}

// TestEveryVerb walks one decision through every verb, as the people of
// the example config would type them.
func TestEveryVerb(t *testing.T) {
	e := newE2E(t, e2eOptions{})

	// D-1 in product (Ravi decides; #product hears the outcome).
	r := e.command(tom, chProduct, "propose Launch the public beta in March #product")
	contains(t, "propose", r.all(), "D-1", "<@"+ravi+">")
	e.flush()

	t.Run("show", func(t *testing.T) {
		r := e.command(stranger, chRandom, "show D-1")
		contains(t, "show", r.all(), "D-1", "Launch the public beta in March", "product", "<@"+ravi+">", "<@"+tom+">")
		contains(t, "show status", strings.ToLower(r.all()), "open")
		r = e.command(stranger, chRandom, "show D-99")
		contains(t, "show missing", r.all(), "can't find D-99")
	})

	t.Run("who", func(t *testing.T) {
		before := e.counts()
		r := e.command(stranger, chRandom, "who should we change the discount on the team plan?")
		contains(t, "who", r.all(), "product/pricing", "<@"+sofia+">", "discount")
		e.unchanged("who", before)
	})

	t.Run("rights", func(t *testing.T) {
		r := e.command(stranger, chRandom, "rights")
		contains(t, "rights", r.all(), "company", "product/pricing", "engineering/security", "legal")
		r = e.command(stranger, chRandom, "rights #pricing")
		contains(t, "rights #pricing", r.all(), "product/pricing", "<@"+sofia+">")
		lacks(t, "rights #pricing", r.all(), "engineering/security")
		r = e.command(stranger, chRandom, "rights #nosuch")
		contains(t, "rights #nosuch", r.all(), "no domain")
	})

	t.Run("help", func(t *testing.T) {
		r := e.command(stranger, chRandom, "help")
		for _, v := range []string{"approve D-7", "reject D-7", "defer D-7", "withdraw D-7", "reassign D-7", "advise D-7", "show D-7", "list", "who", "rights", "away", "help"} {
			contains(t, "help", r.all(), "/decide "+v)
		}
	})

	t.Run("advise", func(t *testing.T) {
		mark := e.mark()
		r := e.command(jonas, chRandom, "advise D-1 ship behind a feature flag")
		contains(t, "advise", r.all(), "D-1", "recorded")
		if d := e.decision(1); len(d.Advice) != 1 || d.Advice[0].By != jonas || d.Advice[0].Text != "ship behind a feature flag" {
			t.Errorf("advice stored: %+v", d.Advice)
		}
		e.flush()
		told := where(e.postsSince(mark), dmTo(ravi))
		if len(told) != 1 {
			t.Fatalf("the decider got %d DMs about the advice, want 1", len(told))
		}
		contains(t, "advice DM", visible(told[0]), "<@"+jonas+">", "D-1", "feature flag")
		r = e.command(jonas, chRandom, "advise D-1")
		contains(t, "advise without advice", r.all(), "advice")
	})

	t.Run("reassign", func(t *testing.T) {
		r := e.command(stranger, chRandom, "reassign D-1 <@"+grace+"|grace>")
		contains(t, "reassign by a stranger", r.all(), "Sorry", "<@"+ravi+">", "Nothing was changed")
		if d := e.decision(1); !slicesEqual(d.Deciders, []string{ravi}) {
			t.Fatalf("a stranger's reassign changed deciders to %v", d.Deciders)
		}
		mark := e.mark()
		r = e.command(ravi, chRandom, "reassign D-1 <@"+grace+"|grace>")
		contains(t, "reassign", r.all(), "D-1", "<@"+grace+">")
		if d := e.decision(1); !slicesEqual(d.Deciders, []string{grace}) {
			t.Errorf("deciders after reassign: %v", d.Deciders)
		}
		e.flush()
		dm := where(e.postsSince(mark), dmTo(grace))
		if len(dm) != 1 {
			t.Fatalf("the new decider got %d DMs, want 1", len(dm))
		}
		if _, _, ok := findButton(dm[0].Blocks, "approve"); !ok {
			t.Error("the new decider's DM has no Approve button")
		}
		// The previous decider's DM loses its buttons and says where it went.
		old := where(e.postsSince(mark), func(p slackfake.Post) bool { return p.Method == "chat.update" && p.Channel == "D"+ravi })
		if len(old) != 1 {
			t.Fatalf("the previous decider's DM was updated %d times, want 1: %v", len(old), texts(e.postsSince(mark)))
		}
		contains(t, "previous decider's DM", visible(old[0]), "Reassigned", "<@"+grace+">")
		if _, _, ok := findButton(old[0].Blocks, "approve"); ok {
			t.Error("the previous decider's DM still has an Approve button")
		}
	})

	t.Run("defer", func(t *testing.T) {
		r := e.command(grace, chRandom, "defer D-1 until 2026-12-10 waiting for legal")
		contains(t, "defer", r.all(), "D-1", "deferred")
		d := e.decision(1)
		if d.Status != decisions.StatusDeferred || d.DeferredUntil.Format("2006-01-02") != "2026-12-10" {
			t.Errorf("after defer: status %s until %v", d.Status, d.DeferredUntil)
		}
		// It comes back when that day's work starts, not at its end.
		if local := d.DeferredUntil.In(e.cfg.Timezone); local.Hour() != 9 || local.Minute() != 0 {
			t.Errorf("deferred until %v local, want 09:00 on the day", local)
		}
		r = e.command(grace, chRandom, "defer D-1 until 2020-01-01")
		contains(t, "defer into the past", r.all(), "past")
		e.flush()
	})

	t.Run("approve", func(t *testing.T) {
		mark := e.mark()
		r := e.command(grace, chRandom, "approve D-1 the beta list is ready")
		contains(t, "approve", r.all(), "D-1", "approved")
		d := e.decision(1)
		if d.Status != decisions.StatusApproved || d.Rationale != "the beta list is ready" || d.DecidedBy != grace {
			t.Errorf("after approve: %s %q by %s", d.Status, d.Rationale, d.DecidedBy)
		}
		e.flush()
		posts := e.postsSince(mark)
		// #product is both where it was proposed and an informed channel:
		// one outcome, in the announcement's thread.
		if n := len(where(posts, in(chProduct))); n != 1 {
			t.Errorf("%d outcome posts in #product, want 1 (the announcement's thread): %v", n, texts(posts))
		}
		if n := len(where(posts, dmTo(tom))); n != 1 {
			t.Errorf("the proposer got %d DMs about the outcome, want 1", n)
		}
		r = e.command(grace, chRandom, "reject D-1 changed my mind")
		contains(t, "reject after approve", r.all(), "already approved")
	})

	t.Run("reject", func(t *testing.T) {
		e.command(tom, chProduct, "Sunset the legacy importer #product")
		r := e.command(grace, chRandom, "reject D-2 no")
		contains(t, "reject by a non-decider", r.all(), "Sorry", "<@"+ravi+">")
		if d := e.decision(2); d.Status != decisions.StatusOpen {
			t.Errorf("status after a refused reject: %s", d.Status)
		}
		r = e.command(ravi, chRandom, "reject D-2 customers still use it")
		contains(t, "reject", r.all(), "D-2", "rejected")
		if d := e.decision(2); d.Status != decisions.StatusRejected {
			t.Errorf("status after reject: %s", d.Status)
		}
	})

	t.Run("withdraw", func(t *testing.T) {
		e.command(tom, chProduct, "Rename the product #product")
		r := e.command(ravi, chRandom, "withdraw D-3")
		contains(t, "withdraw by a decider", r.all(), "only the proposer", "<@"+tom+">")
		if d := e.decision(3); d.Status != decisions.StatusOpen {
			t.Errorf("status after a refused withdraw: %s", d.Status)
		}
		r = e.command(tom, chRandom, "withdraw D-3 not now")
		contains(t, "withdraw", r.all(), "D-3", "withdrawn", "the proposal's thread", "<#"+chProduct+">")
		lacks(t, "withdraw by the proposer", r.all(), "tell the proposer")
		if d := e.decision(3); d.Status != decisions.StatusWithdrawn {
			t.Errorf("status after withdraw: %s", d.Status)
		}
	})

	t.Run("list", func(t *testing.T) {
		e.command(tom, chProduct, "Hire a second designer #hiring in 2d")
		e.command(tom, chProduct, "Move the standup to 10:00 #product")
		// D-4 is due in two days; D-5 has no due date.
		e.clock.Advance(72 * time.Hour)
		defer e.clock.Advance(-72 * time.Hour)
		cases := []struct {
			user, filter string
			want, not    []string
		}{
			{tom, "", []string{"D-4", "D-5"}, []string{"D-1", "D-2", "D-3"}},
			{tom, "open", []string{"D-4", "D-5"}, []string{"D-1", "D-2", "D-3"}},
			{ravi, "mine", []string{"D-5"}, []string{"D-1", "D-2", "D-3", "D-4"}},
			{tom, "mine", []string{"D-4", "D-5"}, []string{"D-1", "D-2", "D-3"}},
			{tom, "overdue", []string{"D-4"}, []string{"D-1", "D-2", "D-3", "D-5"}},
			{tom, "#product", []string{"D-5"}, []string{"D-4"}},
			{tom, "#hiring", []string{"D-4"}, []string{"D-5"}},
			{tom, "all", []string{"D-1", "D-2", "D-3", "D-4", "D-5"}, nil},
		}
		for _, c := range cases {
			r := e.command(c.user, chRandom, strings.TrimSpace("list "+c.filter))
			contains(t, "list "+c.filter, r.all(), c.want...)
			lacks(t, "list "+c.filter, r.all(), c.not...)
		}
		r := e.command(tom, chRandom, "list #nosuch")
		contains(t, "list #nosuch", r.all(), "no domain")
		r = e.command(tom, chRandom, "list everything")
		contains(t, "list everything", r.all(), "mine", "overdue")
	})

	t.Run("away", func(t *testing.T) {
		r := e.command(ravi, chRandom, "away until 2026-12-01 delegate <@"+grace+"|grace>")
		contains(t, "away", r.all(), "away until", "<@"+grace+">")
		r = e.command(stranger, chRandom, "who should we launch the beta? #product")
		// The owner keeps the right; the reason says who acts for him.
		contains(t, "who while the owner is away", r.all(), "decided by <@"+ravi+">", "<@"+ravi+"> is away until 2026-12-01; <@"+grace+"> acts for them")
		before := e.counts()
		r = e.command(ravi, chRandom, "away until 2026-12-01 delegate <@"+ravi+"|ravi>")
		contains(t, "delegate to self", r.all(), "yourself")
		e.unchanged("delegating to oneself", before)
		r = e.command(ravi, chRandom, "away off")
		contains(t, "back", r.all(), "Welcome back")
		r = e.command(stranger, chRandom, "who should we launch the beta? #product")
		contains(t, "who after coming back", r.all(), "<@"+ravi+">")
	})
}

// TestCommandMistakes: a near miss or malformed input gets a helpful
// ephemeral answer and creates nothing.
func TestCommandMistakes(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	cases := []struct {
		text      string
		want, not []string
	}{
		{"aprove D-1 ok", []string{"Did you mean `approve`?", "/decide approve D-1 ok"}, nil},
		{"rejekt D-1", []string{"Did you mean `reject`?"}, nil},
		{"D-1 approve", []string{"Did you mean", "/decide approve D-1"}, nil},
		{"approve", []string{"needs a decision id", "Usage: `/decide approve D-7 [rationale]`"}, []string{"/decide /decide"}},
		{"approve 1", []string{"D-1"}, []string{"/decide /decide"}},
		{"defer D-1", []string{"When should I reopen D-1", "Usage: `/decide defer D-7 until &lt;date&gt; [rationale]`"}, []string{"/decide /decide", "<date>"}},
		{"defer D-1 until blursday", []string{"couldn't read the date"}, []string{"/decide /decide"}},
		{"reassign D-1 bob", []string{"Who should decide D-1 instead"}, nil},
		{"list mine please", []string{"one filter"}, nil},
		{"away until someday", []string{"date"}, nil},
		{"", []string{"Tell me what to decide"}, nil},
		{"#product by 2026-12-01", []string{"only"}, nil},
		{"Launch it by 2020-01-01", []string{"past"}, nil},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			before := e.counts()
			r := e.command(tom, chProduct, c.text)
			contains(t, c.text, r.all(), c.want...)
			lacks(t, c.text, r.all(), c.not...)
			e.unchanged(c.text, before)
			if d := e.decision(1); d.Status != decisions.StatusOpen {
				t.Errorf("%q changed D-1 to %s", c.text, d.Status)
			}
		})
	}
}

// noDefaultConfig has no default_domain: a proposal nothing matches must
// be refused with a request for a tag.
const noDefaultConfig = `
slack:
  command: /choose
timezone: UTC
domains:
  - name: product
    owners: [U01RAVI02]
    match:
      keywords: [feature]
  - name: finance
    owners: [U01FATIM3]
    advisors: [U06BEN006]
people:
  - {id: U01RAVI02, name: Ravi}
  - {id: U01FATIM3, name: Fatima}
  - {id: U02TOM004, name: Tom}
  - {id: U06BEN006, name: Ben}
`

func TestNoMatchAsksForATag(t *testing.T) {
	e := newE2E(t, e2eOptions{configYAML: noDefaultConfig})
	before := e.counts()
	r := e.command(tom, chRandom, "Paint the office green")
	contains(t, "no match", r.all(), "nothing was created", "#product", "#finance")
	e.unchanged("an unroutable proposal", before)

	contains(t, "no match names the configured command", r.all(), "/choose")

	// Mistakes are explained with the configured command too.
	r = e.command(tom, chRandom, "approve")
	contains(t, "usage", r.all(), "Usage: `/choose approve D-7 [rationale]`", "`/choose approve D-7")
	lacks(t, "usage", r.all(), "/decide")

	r = e.command(tom, chRandom, "Paint the office green #finance")
	contains(t, "tagged", r.all(), "D-1", "<@"+fatima+">")
	e.flush()
	notice := where(e.fake.Posts(), dmTo(ben))
	if len(notice) != 1 {
		t.Fatalf("the advisor got %d DMs", len(notice))
	}
	contains(t, "advisor notice", visible(notice[0]), "/choose advise D-1")
	lacks(t, "advisor notice", visible(notice[0]), "/decide")
}

// TestOutcomeReplyTellsWhereItGoes: the approver is told where the outcome
// will be posted, and it is posted exactly there.
func TestOutcomeReplyTellsWhereItGoes(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	// Compensation is never announced and informs no channel.
	e.command(amara, "C04PEOPLE1", "Raise the junior salary band by 5% #comp")
	// A proposal made in a DM with Baton has no channel to announce in.
	e.command(tom, "DU02TOM004", "Launch the public beta in March #product")
	e.flush()

	mark := e.mark()
	r := e.command(fatima, chRandom, "approve D-1 budget allows it")
	contains(t, "approve", r.all(), "D-1 is now *approved*")
	lacks(t, "approve with no announcement", r.all(), "thread", "<#")
	e.flush()
	if ch := where(e.postsSince(mark), func(p slackfake.Post) bool { return p.Method == "chat.postMessage" && p.Channel[0] == 'C' }); len(ch) != 0 {
		t.Errorf("a compensation outcome was posted in a channel: %v", texts(ch))
	}

	mark = e.mark()
	r = e.command(ravi, chRandom, "approve D-2")
	contains(t, "approve", r.all(), "<#"+chProduct+">")
	lacks(t, "approve of a DM proposal", r.all(), "thread")
	e.flush()
	if n := len(where(e.postsSince(mark), in(chProduct))); n != 1 {
		t.Errorf("%d posts in the informed channel, want 1", n)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var _ = slackfake.TeamID
