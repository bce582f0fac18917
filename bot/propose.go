package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// leastLoadedWait bounds how long a proposal to a least_loaded domain
// waits for its turn to route on the latest load.
const leastLoadedWait = time.Second

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
	// Revisits is the decision this one revisits, linked in the same
	// write.
	Revisits decisions.ID
}

// errNoRoute means nothing matched and there is no default domain: the
// proposer must pick one. Nothing was stored.
type errNoRoute struct{ route decisions.Route }

func (e errNoRoute) Error() string { return "no domain matched" }

// errNobody means nobody on the matched domain's whole ladder can decide
// right now; the route's reason names who to ask.
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
	people, err := a.dir.people(now)
	if err != nil {
		return decisions.Decision{}, err
	}
	// The id is fixed before routing (a round robin takes turns by id) and
	// before rendering, so neither runs inside the store's single writer and
	// two concurrent proposals never share a turn.
	id, release := a.store.ReserveID()
	defer release()
	r, err := a.routeAs(id, text, p.Tags, p.Source.Channel, p.Proposer, people)
	if err != nil {
		return decisions.Decision{}, err
	}
	if dom, _ := a.Router().Domain(r.Domain); dom.Assign == decisions.AssignLeastLoaded {
		// The load is read before the single writer: two proposals in
		// flight would both pick whoever was least loaded. Proposals to
		// such domains take turns until committed, each routed again on
		// the load the previous one left. The wait is bounded, so a burst
		// never costs Slack's 3-second ack: past it, a proposal goes ahead
		// on the load it read (at worst an uneven pick, never a lost one).
		turn := time.NewTimer(leastLoadedWait)
		select {
		case a.leastLoaded <- struct{}{}:
			turn.Stop()
			defer func() { <-a.leastLoaded }()
			if r, err = a.routeAs(id, text, p.Tags, p.Source.Channel, p.Proposer, people); err != nil {
				return decisions.Decision{}, err
			}
		case <-turn.C:
			a.log.Warn("least_loaded proposals are queueing; routing on the load read without waiting", "domain", dom.Name)
		case <-ctx.Done():
			turn.Stop()
			return decisions.Decision{}, ctx.Err()
		}
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
	d.Revisits = p.Revisits
	dom, _ := a.Router().Domain(r.Domain)
	items, err := encodeItems(now, a.proposalMessages(d, dom, people))
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

// proposalMessages are the DMs to deciders (and to whoever acts for those
// away) and advisors, and the announcement where the proposal was made.
func (a *App) proposalMessages(d decisions.Decision, dom decisions.Domain, people decisions.People) []outgoing {
	var out []outgoing
	// A decider's DM is the same for every decider: render it once. Those
	// acting for an away decider get one that says for whom.
	dm := newMessage(KindDM, blocks.DeciderDM(d, d.Reason, d.CreatedAt, a.loc))
	for _, t := range deciderTargets(d, d.Deciders, people) {
		m := dm
		if t.for_ != "" {
			m = newMessage(KindDM, blocks.DeciderDM(d, t.why(d.Reason, people), d.CreatedAt, a.loc))
		}
		m.User = t.user
		m.SaveRef = refKey(d.ID, "dm", t.user)
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
