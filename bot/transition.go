package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// target is someone to DM about deciding: a decider, or whoever acts for
// an away decider (for is then that decider).
type target struct {
	user string
	for_ string
}

// why is the "Why you" of a DM to t: the routing reason for a decider;
// for a delegate, whose decision it is and until when they act for them.
func (t target) why(reason string, people decisions.People) string {
	if t.for_ == "" {
		return reason
	}
	return "you act for " + blocks.User(t.for_) + ", who is away until " + people.Presence[t.for_].AwayUntil.Format("2006-01-02") + "; " + blocks.User(t.for_) + " decides again when back"
}

// deciderTargets lists who to DM for users (deciders of d): each of them,
// and whoever acts for those away, once each.
func deciderTargets(d decisions.Decision, users []string, people decisions.People) []target {
	var out []target
	seen := map[string]bool{}
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			out = append(out, target{user: u})
		}
		if a := people.ActingOn(u, d.Proposer); a != "" && a != u && !seen[a] && !d.IsDecider(a) {
			seen[a] = true
			out = append(out, target{user: a, for_: u})
		}
	}
	return out
}

// actingTargets lists who to nudge for users: whoever acts for each of
// them now — themselves, or their delegate while they are away — and
// nobody for those away without one.
func actingTargets(d decisions.Decision, users []string, people decisions.People) []target {
	var out []target
	seen := map[string]bool{}
	for _, u := range users {
		a := people.ActingOn(u, d.Proposer)
		if a == "" || seen[a] {
			continue
		}
		seen[a] = true
		t := target{user: a}
		if a != u {
			t.for_ = u
		}
		out = append(out, t)
	}
	return out
}

// transition applies an action to a decision and commits the messages it
// causes, in one transaction.
func (a *App) transition(id decisions.ID, act decisions.Action) (decisions.Decision, error) {
	now := a.clock.Now()
	people, err := a.dir.people(now)
	if err != nil {
		return decisions.Decision{}, err
	}
	d, err := a.store.UpdateDecisionIn(id, func(v store.View, d decisions.Decision) (decisions.Decision, []storeItem, error) {
		act.Rules = a.rulesOf(d.Domain)
		next, err := decisions.Apply(d, act, now)
		if err != nil {
			return d, nil, err
		}
		// What people do can bring the scheduler's work forward (advice
		// that lets consent pass, a stuck decision handed to someone new):
		// look at it on the next run, which sets the real next check.
		next.NextCheck = time.Time{}
		items, err := encodeItems(now, a.transitionMessages(v, d, next, act, people))
		return next, items, err
	})
	if err != nil {
		return decisions.Decision{}, err
	}
	a.metrics.transitions.WithLabelValues(string(act.Verb)).Inc()
	a.log.Info("decision changed", "id", id.String(), "verb", act.Verb, "by", act.Actor.User, "status", d.Status)
	a.outbox.Kick()
	return d, nil
}

// refReader reads where Baton's messages are: the store, or a View of the
// write transaction a message is built in.
type refReader interface {
	Ref(key string) (decisions.MessageRef, bool, error)
	RefsWithPrefix(p string) (map[string]decisions.MessageRef, error)
	OutboxPending(key string) (bool, error)
}

// transitionMessages says what Slack should hear about a change; refs are
// read from r.
func (a *App) transitionMessages(r refReader, before, d decisions.Decision, act decisions.Action, people decisions.People) []outgoing {
	step := strconv.Itoa(len(d.History))
	last := d.History[len(d.History)-1]
	switch act.Verb {
	case decisions.VerbApprove, decisions.VerbReject:
		switch last.Kind {
		case decisions.EventVoted:
			return a.noticeMessages(r, d, people, step, "vote", blocks.VoteNotice(d, last), act.Actor.User, true)
		case decisions.EventObjected:
			return a.noticeMessages(r, d, people, step, "objection", blocks.ObjectionNotice(d, last), act.Actor.User, false)
		}
		return a.outcomeMessages(r, d, act.Actor.User)
	case decisions.VerbDefer, decisions.VerbWithdraw, decisions.VerbConsent:
		return a.outcomeMessages(r, d, act.Actor.User)
	case decisions.VerbReopen:
		var out []outgoing
		for _, t := range actingTargets(d, d.Deciders, people) {
			why := "it was deferred until today and is open again"
			if t.for_ != "" {
				why += "; " + t.why("", people)
			}
			m := newMessage(KindDM, blocks.Reminder(d, why, a.loc))
			m.User = t.user
			m.SaveRef = refKey(d.ID, "dm", t.user)
			out = append(out, outgoing{Key: refKey(d.ID, "reopened", step, t.user), Msg: m})
		}
		return out
	case decisions.VerbReassign:
		return a.reassignMessages(r, before, d, act, people, step)
	case decisions.VerbEscalate:
		return a.escalationMessages(before, d, act, people, step)
	case decisions.VerbAdvise:
		var out []outgoing
		adv := d.Advice[len(d.Advice)-1]
		msg := blocks.Text(fmt.Sprintf("%s advised on *%s*: %s", blocks.User(adv.By), d.ID, blocks.Escape(adv.Text)))
		for _, t := range deciderTargets(d, d.Deciders, people) {
			if t.user == act.Actor.User {
				continue
			}
			m := newMessage(KindDM, msg)
			m.User = t.user
			out = append(out, outgoing{Key: refKey(d.ID, "advice", step, t.user), Msg: m})
		}
		return out
	case decisions.VerbAskAdvice:
		var out []outgoing
		for _, u := range act.Users {
			m := newMessage(KindDM, blocks.AdvisorNoticeFor(d, a.slash()))
			m.User = u
			out = append(out, outgoing{Key: refKey(d.ID, "ask-advice", step, u), Msg: m})
		}
		return out
	case decisions.VerbRemind:
		return a.reminderMessages(before, d, act, people, step)
	case decisions.VerbStuck:
		if d.Proposer == "" {
			return nil
		}
		m := newMessage(KindDM, blocks.StuckNotice(d, act.Rationale, a.slash()))
		m.User = d.Proposer
		return []outgoing{{Key: refKey(d.ID, "stuck", step), Msg: m}}
	}
	return nil
}

// noticeMessages send a notice to every decider (or whoever acts for
// them) and the proposer, except the actor; with refresh, the deciders'
// DMs are also redrawn so they show the vote so far.
func (a *App) noticeMessages(r refReader, d decisions.Decision, people decisions.People, step, kind string, msg blocks.Message, actor string, refresh bool) []outgoing {
	var out []outgoing
	told := map[string]bool{actor: true}
	users := []string{d.Proposer}
	for _, t := range deciderTargets(d, d.Deciders, people) {
		users = append(users, t.user)
	}
	for _, u := range users {
		if told[u] || u == "" {
			continue
		}
		told[u] = true
		m := newMessage(KindDM, msg)
		m.User = u
		out = append(out, outgoing{Key: refKey(d.ID, kind, step, u), Msg: m})
	}
	if refresh {
		out = append(out, a.refreshDMs(r, d, step)...)
	}
	return out
}

// refreshDMs redraws every decider DM of d that was sent (or is queued),
// keeping the buttons while it is open.
func (a *App) refreshDMs(r refReader, d decisions.Decision, step string) []outgoing {
	refs, err := r.RefsWithPrefix(refKey(d.ID, "dm") + "/")
	if err != nil {
		a.log.Warn("read decider DMs", "id", d.ID.String(), "err", err)
	}
	var out []outgoing
	for key := range refs {
		m := newMessage(KindUpdate, blocks.DeciderDM(d, d.Reason, d.UpdatedAt, a.loc))
		m.UpdateRef = key
		out = append(out, outgoing{Key: refKey(d.ID, "refresh", step, strings.TrimPrefix(key, refKey(d.ID, "dm")+"/")), Msg: m})
	}
	slices.SortFunc(out, func(x, y outgoing) int { return strings.Compare(x.Key, y.Key) })
	return out
}

// reassignMessages hand the decision to its new deciders, with the note
// typed with the reassignment, and show those it was taken from where it
// went instead of buttons they may no longer use.
func (a *App) reassignMessages(r refReader, before, d decisions.Decision, act decisions.Action, people decisions.People, step string) []outgoing {
	var out []outgoing
	why := "reassigned to you by " + blocks.User(act.Actor.User)
	if note := strings.TrimSpace(act.Rationale); note != "" {
		why += ": " + note
	}
	keep := map[string]bool{} // the new deciders' DMs stay live
	for _, t := range deciderTargets(d, d.Deciders, people) {
		keep[t.user] = true
		w := why
		if t.for_ != "" {
			w = t.why(why, people)
		}
		m := newMessage(KindDM, blocks.DeciderDM(d, w, d.UpdatedAt, a.loc))
		m.User = t.user
		m.SaveRef = refKey(d.ID, "dm", t.user)
		out = append(out, outgoing{Key: refKey(d.ID, "reassign", step, t.user), Msg: m})
	}
	// Everyone else with a DM about it — previous deciders and those who
	// acted for them — sees where it went instead of buttons they may no
	// longer use.
	stale := map[string]bool{}
	for _, u := range before.Deciders {
		stale[u] = true
	}
	refs, err := r.RefsWithPrefix(refKey(d.ID, "dm") + "/")
	if err != nil {
		a.log.Warn("read decider DMs", "id", d.ID.String(), "err", err)
	}
	for key := range refs {
		stale[strings.TrimPrefix(key, refKey(d.ID, "dm")+"/")] = true
	}
	users := make([]string, 0, len(stale))
	for u := range stale {
		if !keep[u] {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	for _, u := range users {
		m := newMessage(KindUpdate, blocks.Resolved(d, a.loc))
		m.UpdateRef = refKey(d.ID, "dm", u)
		out = append(out, outgoing{Key: refKey(d.ID, "handed-over", step, u), Msg: m})
	}
	return out
}

// escalationMessages ask the deciders escalation added to decide, and tell
// the proposer and the owners — who keep their buttons and their right.
func (a *App) escalationMessages(before, d decisions.Decision, act decisions.Action, people decisions.People, step string) []outgoing {
	var out []outgoing
	added := slices.DeleteFunc(slices.Clone(d.Deciders), before.IsDecider)
	for _, t := range deciderTargets(d, added, people) {
		msg := blocks.Escalated(d, before.Deciders, act.Rationale, a.loc)
		m := newMessage(KindDM, msg)
		m.User = t.user
		m.SaveRef = refKey(d.ID, "dm", t.user)
		out = append(out, outgoing{Key: refKey(d.ID, "escalate", step, t.user), Msg: m})
	}
	notice := blocks.EscalationNotice(d, added, act.Rationale)
	told := map[string]bool{}
	// The proposer is told directly; the owners, or whoever acts for them.
	targets := append([]target{{user: d.Proposer}}, deciderTargets(before, before.Deciders, people)...)
	for _, t := range targets {
		if told[t.user] || t.user == "" || slices.Contains(added, t.user) {
			continue
		}
		told[t.user] = true
		m := newMessage(KindDM, notice)
		m.User = t.user
		out = append(out, outgoing{Key: refKey(d.ID, "escalation-notice", step, t.user), Msg: m})
	}
	return out
}

// reminderMessages nudge each person the policy picked: about deciding,
// saying whom they act for when they stand in for someone away, or about
// the advice the decision still needs.
func (a *App) reminderMessages(before, d decisions.Decision, act decisions.Action, people decisions.People, step string) []outgoing {
	standsFor := map[string]string{}
	for _, t := range deciderTargets(before, decisions.WaitingOn(before), people) {
		if _, ok := standsFor[t.user]; !ok {
			standsFor[t.user] = t.for_
		}
	}
	var out []outgoing
	for _, u := range act.Users {
		var msg blocks.Message
		switch f, decider := standsFor[u]; {
		case decider && f != "":
			msg = blocks.Reminder(d, act.Rationale+"; "+target{user: u, for_: f}.why("", people), a.loc)
		case decider:
			msg = blocks.Reminder(d, act.Rationale, a.loc)
		default:
			msg = blocks.AdviceReminder(d, act.Rationale, a.slash())
		}
		m := newMessage(KindDM, msg)
		m.User = u
		out = append(out, outgoing{Key: refKey(d.ID, "remind", step, u), Msg: m})
	}
	return out
}

// outcomeMessages tell everyone concerned that d changed status: the
// deciders' DMs are updated, and the outcome goes to the announcement's
// thread, the informed channels and the proposer.
func (a *App) outcomeMessages(r refReader, d decisions.Decision, actor string) []outgoing {
	step := strconv.Itoa(len(d.History))
	var out []outgoing
	refs, err := r.RefsWithPrefix(refKey(d.ID, "dm") + "/")
	if err != nil {
		a.log.Warn("read decider DMs", "id", d.ID.String(), "err", err)
	}
	updated := map[string]bool{}
	keys := make([]string, 0, len(refs))
	for key := range refs {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		m := newMessage(KindUpdate, blocks.Resolved(d, a.loc))
		m.UpdateRef = key
		updated[key] = true
		out = append(out, outgoing{Key: refKey(d.ID, "resolved", step, strings.TrimPrefix(key, refKey(d.ID, "dm")+"/")), Msg: m})
	}
	// DMs still waiting in the outbox get updated once they are sent.
	for _, u := range d.Deciders {
		key := refKey(d.ID, "dm", u)
		if updated[key] {
			continue
		}
		m := newMessage(KindUpdate, blocks.Resolved(d, a.loc))
		m.UpdateRef = key
		out = append(out, outgoing{Key: refKey(d.ID, "resolved", step, u), Msg: m})
	}
	outcome := blocks.Outcome(d)
	thread := newMessage(KindPost, outcome)
	thread.ThreadRef = refKey(d.ID, "announce")
	thread.ThreadRoot = announceThread(d.Source)
	out = append(out, outgoing{Key: refKey(d.ID, "outcome", step, "thread"), Msg: thread})
	for _, c := range d.Informed {
		if c == d.Source.Channel && announcedIn(r, d.ID) {
			continue // the outcome is already in that channel, in the proposal's thread
		}
		m := newMessage(KindPost, outcome)
		m.Channel = c
		out = append(out, outgoing{Key: refKey(d.ID, "outcome", step, c), Msg: m})
	}
	if d.Proposer != actor && d.Proposer != "" {
		m := newMessage(KindDM, outcome)
		m.User = d.Proposer
		out = append(out, outgoing{Key: refKey(d.ID, "outcome", step, "proposer"), Msg: m})
	}
	return out
}
