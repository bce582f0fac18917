package decisions

import (
	"slices"
	"time"
)

// nudges is what Next and NextCheck both read about reminding d's people:
// who can be reminded, since when a nudge is due, and the round of
// reminders under way.
//
// A round is one pass of reminders over the people who owe action: it
// opens with a reminder to someone not reminded since the last round
// opened (LastRemindedAt), and everyone reminded until one of its people
// is reminded again joins it, whenever their hour comes. Only the opening
// reminder counts toward EscalateAfter; once those are spent, the people
// not yet reminded in the last round still get theirs, and the decision
// climbs RemindGap after the last of them.
type nudges struct {
	d        Decision
	p        Policy // with its defaults
	handover time.Time
	last     time.Time // the latest reminder since the hand-over; zero if none
	open     bool      // a round is under way: LastRemindedAt is since the hand-over
	spent    bool      // EscalateAfter rounds have opened
	stuck    bool      // recorded stuck: the reminders have stopped
	whyFrom  time.Time // when a nudge first falls due
	// users and advisors can be reminded now: whoever acts for each
	// decider who owes action, and for each advisor whose required advice
	// is missing, under MaxPerPerson.
	users, advisors []string
}

func (p Policy) nudgesOf(d Decision, s Situation) nudges {
	n := nudges{d: d, p: p, handover: HandedOverAt(d)}
	n.last = remindedSince(d, "", n.handover)
	n.open = !d.LastRemindedAt.IsZero() && !d.LastRemindedAt.Before(n.handover)
	n.spent = p.EscalateAfter > 0 && d.Reminders >= p.EscalateAfter
	_, n.stuck = Stuck(d)
	n.whyFrom = p.whyFrom(d, s.Rules, n.handover)
	n.users = p.remindable(d, WaitingOn(d), s.People)
	if s.Rules.RequireAdvice && !AdviceGiven(d, "") {
		n.advisors = p.remindable(d, MissingAdvice(d), s.People)
	}
	return n
}

// lastNudge is when anyone was last nudged: the latest reminder, or the
// hand-over (its message is a nudge).
func (n nudges) lastNudge() time.Time { return maxTime(n.handover, n.last) }

// inRound reports whether user was reminded in the round under way (with
// none under way, everyone counts as reminded: nobody holds up a climb).
func (n nudges) inRound(user string) bool {
	return !n.open || !remindedSince(n.d, user, n.d.LastRemindedAt).IsZero()
}

// graceEnds is when the spent reminders' grace ends and the decision
// climbs: RemindGap after the last reminder, once everyone who can be
// reminded has had theirs in the last round (once stuck, nobody is
// reminded, so nobody is waited for). ok is false while the reminders are
// not spent or someone is still to be reminded.
func (n nudges) graceEnds() (time.Time, bool) {
	if !n.spent {
		return time.Time{}, false
	}
	if !n.stuck {
		for _, u := range slices.Concat(n.users, n.advisors) {
			if !n.inRound(u) {
				return time.Time{}, false
			}
		}
	}
	return n.last.Add(n.p.RemindGap), true
}

// due keeps the people due a nudge in this run: one of their hours came
// since a nudge fell due and RemindGap after they were last nudged; with
// the reminders spent, only those not yet reminded in the last round.
func (n nudges) due(s Situation, users []string) []string {
	var out []string
	for _, u := range users {
		if n.spent && n.inRound(u) {
			continue
		}
		if s.hourSince(u, n.dueFrom(u)) {
			out = append(out, u)
		}
	}
	return out
}

// dueFrom is when a nudge to user falls due.
func (n nudges) dueFrom(user string) time.Time {
	return maxTime(n.whyFrom, maxTime(n.handover, remindedSince(n.d, user, n.handover)).Add(n.p.RemindGap))
}

// remindedSince is when user ("" anyone) was last reminded about d at or
// after since; zero if not.
func remindedSince(d Decision, user string, since time.Time) time.Time {
	for i := len(d.History) - 1; i >= 0; i-- {
		e := d.History[i]
		if e.At.Before(since) {
			break
		}
		if e.Kind == EventReminded && (user == "" || slices.Contains(e.Users, user)) {
			return e.At
		}
	}
	return time.Time{}
}

// remindable maps users to whoever acts for them now, dropping people
// away with nobody acting for them, and those who have had their
// MaxPerPerson reminders about d.
func (p Policy) remindable(d Decision, users []string, people People) []string {
	var out []string
	for _, a := range people.Reachable(users, d.Proposer) {
		if RemindersTo(d, a) < p.MaxPerPerson {
			out = append(out, a)
		}
	}
	return out
}

// whyFrom is when a nudge about d first falls due: the SLA running out
// since the hand-over, or the due date coming within DueSoon; Never if
// neither can happen.
func (p Policy) whyFrom(d Decision, r DomainRules, handover time.Time) time.Time {
	from := Never
	if r.SLA > 0 {
		from = handover.Add(r.SLA)
	}
	if !d.Due.IsZero() {
		from = minTime(from, d.Due.Add(-p.DueSoon))
	}
	return from
}

// NextCheck is the earliest time after now at which the policy could act
// on d if nothing else changes: a lower bound is safe (the scheduler
// looks, finds nothing, and looks again later), a later time would miss a
// reminder. Each rule starts to hold at one of these instants: the end of
// a person's quiet gap, the due date coming close or passing, the SLA
// running out since the hand-over, the reminders' grace ending, or the
// consent period ending. With Hours, a rule that holds acts at the next
// hour of the person it concerns (the workspace's for climbs and
// consent), so that hour is the instant. A stuck decision waits for
// someone to act: only consent can come.
func (p Policy) NextCheck(d Decision, s Situation) time.Time {
	if d.Status != StatusOpen {
		return Never
	}
	p = p.withDefaults()
	s.Rules = s.Rules.For(d)
	next := Never
	// at considers t, the instant a rule starts to hold for user's hour.
	at := func(user string, t time.Time) {
		if s.Hours != nil {
			from := t.Add(-time.Nanosecond)
			if from.Before(s.Now) {
				from = s.Now
			}
			if t = s.Hours.Next(user, from); t.IsZero() {
				return
			}
		}
		if t.After(s.Now) && t.Before(next) {
			next = t
		}
	}
	if c := ConsentAt(d, s.Rules); !c.IsZero() {
		at("", c)
		if w := AdviceWaivedAt(d, s.Rules); !w.IsZero() {
			at("", w)
		}
	}
	if _, stuck := Stuck(d); stuck {
		// It climbs after all once someone above can take it: now (they
		// are back, or someone acts for them), or when they come back.
		if _, _, ok := Climb(s.Ladder, d.Escalations, d.Deciders, s.People, d.Proposer); ok {
			at("", s.Now)
		}
		for _, r := range s.Ladder[min(max(d.Escalations, 0), len(s.Ladder)):] {
			for _, u := range r.Users {
				for _, v := range s.People.Chain(u) {
					if pr := s.People.Presence[v]; pr.Away(s.Now) {
						at("", pr.AwayUntil)
					}
				}
			}
		}
		return next
	}
	n := p.nudgesOf(d, s)
	if sla := s.Rules.SLA; sla > 0 && p.EscalateAfter <= 0 {
		at("", n.handover.Add(sla))
	}
	if !d.Due.IsZero() && n.handover.Before(d.Due) {
		at("", d.Due.Add(time.Nanosecond)) // Overdue is strictly after Due
	}
	if len(d.Deciders) == 0 {
		at("", s.Now)
	}
	// The climbs below need no one else to act, but hold only while who is
	// around stays as it is now (a delegate stepping back can end a wait
	// for them), so their instants are considered whether they hold or not:
	// at most one more look a day, at the workspace's hour.
	if n.spent {
		at("", n.last.Add(p.RemindGap))
	}
	if n.whyFrom == Never {
		return next
	}
	at("", maxTime(n.whyFrom, n.lastNudge().Add(p.RemindGap))) // if nobody can be nudged, it climbs
	// Everyone who may be reminded at their hour: those reachable now, and
	// those away now or acting for them down a delegation chain, who may
	// be back by then.
	var people []string
	owe := WaitingOn(d)
	if s.Rules.RequireAdvice && !AdviceGiven(d, "") {
		owe = append(owe, MissingAdvice(d)...)
	}
	for _, u := range slices.Concat(n.users, n.advisors, owe) {
		people = append(people, s.People.Chain(u)...)
	}
	for _, u := range people {
		if RemindersTo(d, u) >= p.MaxPerPerson || n.spent && n.inRound(u) {
			continue
		}
		at(u, n.dueFrom(u))
	}
	return next
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
