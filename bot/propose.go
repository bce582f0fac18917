package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// proposal is a request to propose, from any surface.
type proposal struct {
	Text     string
	Tags     []string
	Due      time.Time
	Proposer string
	Source   decisions.Source
	// Once, if set, makes the proposal happen at most once for this key
	// (a Slack event id, or an outbox task's key), atomically with it.
	Once string
}

// errNoRoute means nothing matched and there is no default domain: the
// proposer must pick one. Nothing was stored.
type errNoRoute struct{ route decisions.Route }

func (e errNoRoute) Error() string { return "no domain matched" }

// errNobody means the matched domain has nobody who can decide right now.
type errNobody struct{ route decisions.Route }

func (e errNobody) Error() string { return "nobody can decide" }

// propose routes and stores a decision together with every message it
// needs, in one transaction; delivery happens later from the outbox.
func (a *App) propose(ctx context.Context, p proposal) (decisions.Decision, error) {
	now := a.clock.Now()
	text := strings.TrimSpace(unslack(p.Text))
	if text == "" {
		return decisions.Decision{}, errors.New("empty proposal")
	}
	// The id is fixed before routing (a round robin takes turns by id) and
	// before rendering, so neither runs inside the store's single writer and
	// two concurrent proposals never share a turn.
	id, release := a.store.ReserveID()
	defer release()
	r, err := a.routeAs(id, text, p.Tags, p.Source.Channel, p.Proposer, now)
	if err != nil {
		return decisions.Decision{}, err
	}
	if !r.Matched() {
		return decisions.Decision{}, errNoRoute{r}
	}
	if len(r.Deciders) == 0 {
		return decisions.Decision{}, errNobody{r}
	}
	title, details, _ := strings.Cut(text, "\n")
	d := decisions.NewDecision(decisions.Proposal{
		Title: strings.TrimSpace(title), Details: strings.TrimSpace(details),
		Proposer: p.Proposer, Source: p.Source, Due: p.Due,
	}, r, now)
	d.ID = id
	dom, _ := a.Router().Domain(r.Domain)
	items, err := encodeItems(now, a.proposalMessages(d, dom))
	if err != nil {
		return decisions.Decision{}, err
	}
	build := func(decisions.Decision) ([]storeItem, error) { return items, nil }
	if p.Once != "" {
		d, err = a.store.CreateDecisionForEvent(p.Once, now, d, build)
	} else {
		d, err = a.store.CreateDecision(d, build)
	}
	if errors.Is(err, store.ErrDuplicateEvent) {
		return decisions.Decision{}, err
	}
	if err != nil {
		return decisions.Decision{}, fmt.Errorf("store proposal: %w", err)
	}
	a.metrics.proposals.WithLabelValues(d.Domain).Inc()
	a.log.Info("decision proposed", "id", d.ID.String(), "domain", d.Domain, "deciders", d.Deciders, "proposer", d.Proposer)
	a.outbox.Kick()
	return d, nil
}

// slackEntities undoes Slack's escaping of &, < and > in what people
// typed: a decision keeps the text as written, and the renderer (blocks)
// escapes it once on the way out. Without this "R&D" showed as "R&amp;D".
//
// Markup someone typed by hand ("&lt;@U1&gt;", "&lt;!channel&gt;") gets
// an invisible word joiner after its "<", so it reads the same but can
// never become a live mention; only mentions Slack itself sent stay live.
var slackEntities = strings.NewReplacer(
	"&lt;@", "<\u2060@", "&lt;!", "<\u2060!", "&lt;#", "<\u2060#",
	"&lt;", "<", "&gt;", ">", "&amp;", "&",
)

func unslack(s string) string { return slackEntities.Replace(s) }

// announcedIn reports whether d's announcement was sent or is waiting.
func announcedIn(r refReader, id decisions.ID) bool {
	key := refKey(id, "announce")
	if _, ok, err := r.Ref(key); err == nil && ok {
		return true
	}
	pending, err := r.OutboxPending(key)
	return err == nil && pending
}

func refKey(id decisions.ID, parts ...string) string {
	return id.String() + "/" + strings.Join(parts, "/")
}

// proposalMessages are the DMs to deciders and advisors and the
// announcement where the proposal was made.
func (a *App) proposalMessages(d decisions.Decision, dom decisions.Domain) []outgoing {
	var out []outgoing
	// Every decider's DM is the same message: render and encode it once.
	dm := newMessage(KindDM, blocks.DeciderDM(d, d.Reason, d.CreatedAt, a.loc))
	for _, u := range d.Deciders {
		m := dm
		m.User = u
		m.SaveRef = refKey(d.ID, "dm", u)
		out = append(out, outgoing{Key: m.SaveRef, Msg: m})
	}
	for _, u := range d.Advisors {
		if d.IsDecider(u) {
			continue
		}
		m := newMessage(KindDM, blocks.AdvisorNoticeFor(d, a.slash()))
		m.User = u
		out = append(out, outgoing{Key: refKey(d.ID, "advisor", u), Msg: m})
	}
	src := d.Source
	// A mention is answered in its own thread, whatever the domain's
	// announce setting: the proposer chose that place.
	if announces(src, dom) {
		m := newMessage(KindPost, blocks.Announcement(d, a.loc))
		m.Channel = src.Channel
		m.ThreadTS = announceThread(src)
		m.SaveRef = refKey(d.ID, "announce")
		out = append(out, outgoing{Key: m.SaveRef, Msg: m})
	}
	return out
}

// announces reports whether a proposal from src is announced where it was
// made: always in the thread of a mention or reaction (the proposer chose
// that place), else in channels of domains that announce.
func announces(src decisions.Source, dom decisions.Domain) bool {
	if src.Kind == decisions.SourceMention || src.Kind == decisions.SourceReaction {
		return src.Channel != ""
	}
	return dom.Announce && isChannel(src.Channel)
}

// announceThread is the thread the announcement is a reply in, if any: a
// mention's thread (or the mention itself, which starts one), or the
// thread a proposal was made from.
func announceThread(src decisions.Source) string {
	if (src.Kind == decisions.SourceMention || src.Kind == decisions.SourceReaction) && src.ThreadTS == "" {
		return src.MessageTS
	}
	return src.ThreadTS
}

// isChannel reports whether id is a public or private channel (not a DM),
// where an announcement makes sense.
func isChannel(id string) bool {
	return strings.HasPrefix(id, "C") || strings.HasPrefix(id, "G")
}

// outcomeMessagesIn tells everyone concerned that d changed status: the
// deciders' DMs are updated, and the outcome goes to the announcement's
// thread, the informed channels and the proposer. Refs are read from r.
func (a *App) outcomeMessagesIn(r refReader, d decisions.Decision, actor string) []outgoing {
	step := strconv.Itoa(len(d.History))
	var out []outgoing
	refs, err := r.RefsWithPrefix(refKey(d.ID, "dm") + "/")
	if err != nil {
		a.log.Warn("read decider DMs", "id", d.ID.String(), "err", err)
	}
	updated := map[string]bool{}
	for key := range refs {
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

// transition applies an action to a decision and commits the messages it
// causes, in one transaction.
func (a *App) transition(id decisions.ID, act decisions.Action) (decisions.Decision, error) {
	now := a.clock.Now()
	d, err := a.store.UpdateDecisionIn(id, func(v store.View, d decisions.Decision) (decisions.Decision, []storeItem, error) {
		if dom, ok := a.Router().Domain(d.Domain); ok {
			act.RequireAdvice = dom.RequireAdvice
		}
		next, err := decisions.Apply(d, act, now)
		if err != nil {
			return d, nil, err
		}
		items, err := encodeItems(now, a.transitionMessagesIn(v, d, next, act))
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

// transitionMessages says what Slack should hear about a change.
func (a *App) transitionMessages(before, d decisions.Decision, act decisions.Action) []outgoing {
	return a.transitionMessagesIn(a.store, before, d, act)
}

// transitionMessagesIn is transitionMessages reading refs from r.
func (a *App) transitionMessagesIn(r refReader, before, d decisions.Decision, act decisions.Action) []outgoing {
	step := strconv.Itoa(len(d.History))
	switch act.Verb {
	case decisions.VerbApprove, decisions.VerbReject, decisions.VerbDefer, decisions.VerbWithdraw:
		return a.outcomeMessagesIn(r, d, act.Actor.User)
	case decisions.VerbReopen:
		var out []outgoing
		for _, u := range d.Deciders {
			m := newMessage(KindDM, blocks.Reminder(d, "it was deferred until today and is open again", a.loc))
			m.User = u
			m.SaveRef = refKey(d.ID, "dm", u)
			out = append(out, outgoing{Key: refKey(d.ID, "reopened", step, u), Msg: m})
		}
		return out
	case decisions.VerbReassign, decisions.VerbEscalate:
		var out []outgoing
		for _, u := range d.Deciders {
			var msg blocks.Message
			if act.Verb == decisions.VerbEscalate {
				msg = blocks.Escalated(d, before.Deciders, act.Rationale, a.loc)
			} else {
				msg = blocks.DeciderDM(d, "reassigned to you by "+blocks.User(act.Actor.User), d.UpdatedAt, a.loc)
			}
			m := newMessage(KindDM, msg)
			m.User = u
			m.SaveRef = refKey(d.ID, "dm", u)
			out = append(out, outgoing{Key: refKey(d.ID, string(act.Verb), step, u), Msg: m})
		}
		// Those it was taken from see where it went instead of buttons
		// they may no longer use.
		for _, u := range before.Deciders {
			if d.IsDecider(u) {
				continue
			}
			m := newMessage(KindUpdate, blocks.Resolved(d, a.loc))
			m.UpdateRef = refKey(d.ID, "dm", u)
			out = append(out, outgoing{Key: refKey(d.ID, "handed-over", step, u), Msg: m})
		}
		if act.Verb == decisions.VerbEscalate {
			notice := blocks.EscalationNotice(d, d.Deciders, act.Rationale)
			told := map[string]bool{}
			for _, u := range append([]string{d.Proposer}, before.Deciders...) {
				if told[u] || d.IsDecider(u) || u == "" {
					continue
				}
				told[u] = true
				m := newMessage(KindDM, notice)
				m.User = u
				out = append(out, outgoing{Key: refKey(d.ID, "escalation-notice", step, u), Msg: m})
			}
		}
		return out
	case decisions.VerbAdvise:
		var out []outgoing
		last := d.Advice[len(d.Advice)-1]
		msg := blocks.Text(fmt.Sprintf("%s advised on *%s*: %s", blocks.User(last.By), d.ID, blocks.Escape(last.Text)))
		for _, u := range d.Deciders {
			if u == act.Actor.User {
				continue
			}
			m := newMessage(KindDM, msg)
			m.User = u
			out = append(out, outgoing{Key: refKey(d.ID, "advice", step, u), Msg: m})
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
		var out []outgoing
		for _, u := range act.Users {
			m := newMessage(KindDM, blocks.Reminder(d, act.Rationale, a.loc))
			m.User = u
			out = append(out, outgoing{Key: refKey(d.ID, "remind", step, u), Msg: m})
		}
		return out
	}
	return nil
}
