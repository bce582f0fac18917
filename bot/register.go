package bot

// The decision register's commands: edit, comment, search, review,
// decline, list by outcome and since a date, and rights suggest. The pure
// rules are in decisions/register.go; buttons and the review job in
// register_buttons.go.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
	"github.com/baton-app/baton/store"
)

// change applies a register change to decision id and commits the
// messages it causes, in one transaction, as transition does for the
// lifecycle.
func (a *App) change(id decisions.ID, verb decisions.Verb, fn func(d decisions.Decision, now time.Time) (decisions.Decision, []outgoing, error)) (decisions.Decision, error) {
	now := a.clock.Now()
	d, err := a.store.UpdateDecision(id, func(d decisions.Decision) (decisions.Decision, []storeItem, error) {
		next, out, err := fn(d, now)
		if err != nil {
			return d, nil, err
		}
		items, err := encodeItems(now, out)
		return next, items, err
	})
	if err != nil {
		return decisions.Decision{}, err
	}
	a.metrics.transitions.WithLabelValues(string(verb)).Inc()
	a.log.Info("decision changed", "id", id.String(), "verb", verb, "status", d.Status, "domain", d.Domain)
	a.outbox.Kick()
	return d, nil
}

// refreshMessages updates the deciders' DMs and the announcement after d
// changed without changing hands.
func (a *App) refreshMessages(d decisions.Decision, why string) []outgoing {
	step := strconv.Itoa(len(d.History))
	var out []outgoing
	for _, u := range d.Deciders {
		m := newMessage(KindUpdate, blocks.DeciderDM(d, why, d.UpdatedAt, a.loc))
		m.UpdateRef = refKey(d.ID, "dm", u)
		out = append(out, outgoing{Key: refKey(d.ID, "refresh", step, u), Msg: m})
	}
	m := newMessage(KindUpdate, blocks.Announcement(d, a.loc))
	m.UpdateRef = refKey(d.ID, "announce")
	out = append(out, outgoing{Key: refKey(d.ID, "refresh", step, "announce"), Msg: m})
	return out
}

// handOverMessages send d to its new deciders, with why, and turn the DMs
// of those it was taken from into a note of where it went.
func (a *App) handOverMessages(before, d decisions.Decision, why string) []outgoing {
	step := strconv.Itoa(len(d.History))
	var out []outgoing
	for _, u := range d.Deciders {
		m := newMessage(KindDM, blocks.DeciderDM(d, why, d.UpdatedAt, a.loc))
		m.User = u
		m.SaveRef = refKey(d.ID, "dm", u)
		out = append(out, outgoing{Key: refKey(d.ID, "moved", step, u), Msg: m})
	}
	for _, u := range before.Deciders {
		if d.IsDecider(u) {
			continue
		}
		m := newMessage(KindUpdate, blocks.Resolved(d, a.loc))
		m.UpdateRef = refKey(d.ID, "dm", u)
		out = append(out, outgoing{Key: refKey(d.ID, "handed-over", step, u), Msg: m})
	}
	m := newMessage(KindUpdate, blocks.Announcement(d, a.loc))
	m.UpdateRef = refKey(d.ID, "announce")
	out = append(out, outgoing{Key: refKey(d.ID, "moved", step, "announce"), Msg: m})
	return out
}

// loadForCommand reads a decision for a command, or says why not.
func (a *App) loadForCommand(id decisions.ID) (decisions.Decision, *Reply) {
	d, err := a.store.Decision(id)
	if errors.Is(err, store.ErrNotFound) {
		r := replyText("I can't find %s. `%s list all` shows every decision.", id, a.slash())
		return d, &r
	}
	if err != nil {
		r := a.internalError("read "+id.String(), err)
		return d, &r
	}
	return d, nil
}

// hasWords reports whether text says something beyond tags and mentions.
func hasWords(text string) bool {
	text = slacktext.StripTags(slacktext.StripControls(text))
	return strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

func (a *App) cmdEdit(ctx context.Context, inv invocation, c command.Command) Reply {
	d, r := a.loadForCommand(c.ID)
	if r != nil {
		return *r
	}
	text := strings.TrimSpace(unslack(c.Text))
	e := decisions.Edit{Due: c.Due}
	if hasWords(text) {
		title, details, _ := strings.Cut(text, "\n")
		e.Title, e.Details = strings.TrimSpace(title), strings.TrimSpace(details)
	}
	// A #tag that is not in the current title moves the decision.
	if newTags := slices.DeleteFunc(slices.Clone(c.Tags), func(t string) bool { return slices.Contains(decisions.ParseTags(d.Title), t) }); len(newTags) > 0 {
		for _, t := range newTags {
			if _, ok := a.Router().Lookup(t); !ok {
				return replyText("There is no domain `#%s`, so nothing was changed. `%s rights` lists them.", blocks.Escape(t), a.slash())
			}
		}
		title := e.Title
		if title == "" {
			title = d.Title
		}
		rt, err := a.route(title, newTags, d.Source.Channel, d.Proposer, inv.Now)
		if err != nil {
			return a.internalError("route the edit", err)
		}
		if rt.Matched() && rt.Domain != d.Domain {
			e.Route = &rt
		}
	}
	actor := a.dir.actor(inv.User, inv.Now)
	next, err := a.change(c.ID, decisions.VerbEdit, func(d decisions.Decision, now time.Time) (decisions.Decision, []outgoing, error) {
		next, err := decisions.ApplyEdit(d, e, actor, now)
		if err != nil {
			return d, nil, err
		}
		why := "edited by " + blocks.User(inv.User)
		if e.Route != nil {
			return next, a.handOverMessages(d, next, why+"; "+e.Route.Reason), nil
		}
		return next, a.refreshMessages(next, why), nil
	})
	if err != nil {
		return a.transitionError(c.ID, err)
	}
	msg := fmt.Sprintf("%s now reads: %s.", next.ID, blocks.Escape(next.Title))
	if e.Route != nil {
		msg += fmt.Sprintf(" It moved to *%s* (%s): %s decide now.", next.Domain, blocks.Escape(e.Route.Reason), blocks.Users(next.Deciders, 5))
	}
	if !c.Due.IsZero() {
		msg += " Due " + blocks.Date(next.Due, a.loc) + "."
	}
	return replyText("%s", msg)
}

func (a *App) cmdComment(ctx context.Context, inv invocation, c command.Command) Reply {
	actor := a.dir.actor(inv.User, inv.Now)
	announced := a.announced(c.ID)
	d, err := a.change(c.ID, decisions.VerbComment, func(d decisions.Decision, now time.Time) (decisions.Decision, []outgoing, error) {
		next, err := decisions.Comment(d, actor, unslack(c.Text), now)
		if err != nil {
			return d, nil, err
		}
		step := strconv.Itoa(len(next.History))
		note := next.History[len(next.History)-1].Note
		msg := blocks.CommentMessage(next, inv.User, note)
		var out []outgoing
		if announced {
			m := newMessage(KindPost, msg)
			m.ThreadRef = refKey(d.ID, "announce")
			m.ThreadRoot = announceThread(d.Source)
			out = append(out, outgoing{Key: refKey(d.ID, "comment", step, "thread"), Msg: m})
		}
		for _, u := range next.Deciders {
			if u == inv.User {
				continue
			}
			m := newMessage(KindDM, msg)
			m.User = u
			out = append(out, outgoing{Key: refKey(d.ID, "comment", step, u), Msg: m})
		}
		return next, out, nil
	})
	if err != nil {
		return a.transitionError(c.ID, err)
	}
	where := "the deciders"
	if announced {
		where = "the proposal's thread and the deciders"
	}
	if len(d.Deciders) == 1 && d.Deciders[0] == inv.User {
		where = strings.TrimSuffix(strings.TrimSuffix(where, "the deciders"), " and ")
	}
	if where == "" {
		return replyText("Your comment on %s is in its history.", d.ID)
	}
	return replyText("Your comment on %s is in its history, and I've sent it to %s.", d.ID, where)
}

// searchLimit is how many results a search shows.
const searchLimit = 20

func (a *App) cmdSearch(ctx context.Context, inv invocation, c command.Command) Reply {
	q := strings.TrimSpace(unslack(c.Text))
	ds, err := a.store.Search(q, searchLimit)
	if err != nil {
		return a.internalError("search", err)
	}
	var r Reply
	if len(ds) == 0 {
		r = replyText("Nothing matches “%s”. Try fewer or other words, or `%s list all`.", blocks.Escape(q), a.slash())
	} else {
		r = reply(blocks.List("Search: "+q, ds, inv.Now, a.loc))
	}
	if c.AsWritten == "" {
		return r
	}
	// A long search reads as a proposal too ("Search ads budget for Q3"):
	// answer the search, and offer to propose it as written.
	offer := a.notACommand(&command.Error{Msg: fmt.Sprintf("If “%s” is a new decision, not a search, nothing was created yet:", blocks.Escape(c.AsWritten))},
		written{User: inv.User, Text: c.AsWritten, Kind: decisions.SourceCommand, Channel: inv.Channel})
	if len(r.Blocks) == 0 {
		r.Blocks = blocks.Text(r.Text).Blocks
	}
	r.Text += " " + offer.Text
	r.Blocks = append(r.Blocks, offer.Blocks...)
	return r
}

func (a *App) cmdReview(ctx context.Context, inv invocation, c command.Command) Reply {
	d, err := a.setReview(inv, c.ID, c.Review)
	if err != nil {
		return a.transitionError(c.ID, err)
	}
	return replyText("On %s I'll ask %s whether to keep %s as it is or revisit it.", blocks.Date(d.ReviewOn, a.loc), blocks.Users(reviewers(d), 5), d.ID)
}

// setReview records a review date for id.
func (a *App) setReview(inv invocation, id decisions.ID, on time.Time) (decisions.Decision, error) {
	actor := a.dir.actor(inv.User, inv.Now)
	// 9:00 on the day as the person read it: on is in their zone.
	on = workdayStart(on, on.Location())
	return a.change(id, decisions.VerbReview, func(d decisions.Decision, now time.Time) (decisions.Decision, []outgoing, error) {
		next, err := decisions.SetReview(d, actor, on, now)
		return next, nil, err
	})
}

// reviewers are who is asked on a review date: the deciders and the
// proposer.
func reviewers(d decisions.Decision) []string {
	out := slices.Clone(d.Deciders)
	if d.Proposer != "" && !slices.Contains(out, d.Proposer) {
		out = append(out, d.Proposer)
	}
	return out
}

func (a *App) cmdDecline(ctx context.Context, inv invocation, c command.Command) Reply {
	d, r := a.loadForCommand(c.ID)
	if r != nil {
		return *r
	}
	reason := strings.TrimSpace(unslack(c.Text))
	rt, msg := a.declineRoute(d, c.Domain, c.Mentions, inv)
	if msg != "" {
		return replyText("%s Nothing was changed.", msg)
	}
	next, err := a.decline(inv, c.ID, rt, reason)
	if err != nil {
		return a.transitionError(c.ID, err)
	}
	return replyText("Thanks — %s now goes to %s in *%s*, with your reason. I've kept it as a misroute so the rights map can learn (`%s rights suggest`).",
		next.ID, blocks.Users(next.Deciders, 5), next.Domain, a.slash())
}

// declineRoute is where a declined decision goes: the named domain or
// people, else one level up. msg says why there is nowhere to go.
func (a *App) declineRoute(d decisions.Decision, domain string, users []string, inv invocation) (decisions.Route, string) {
	why := ""
	switch {
	case len(users) > 0:
		return decisions.Route{Domain: d.Domain, Deciders: users, Advisors: d.Advisors, Informed: d.Informed,
			Reason: "handed to " + blocks.Users(users, 5) + " by the decider who declined it"}, ""
	case domain != "":
		dom, ok := a.Router().Lookup(domain)
		if !ok {
			return decisions.Route{}, fmt.Sprintf("There is no domain `#%s`; `%s rights` lists them.", blocks.Escape(domain), a.slash())
		}
		domain, why = dom.Name, "named by the decider who declined it"
	default:
		// One level up; above a top-level domain is the default domain.
		why = "one level up from " + d.Domain
		if parent, ok := a.Router().Parent(d.Domain); ok {
			domain = parent.Name
		} else if def := a.liveConfig().DefaultDomain; def != "" && !strings.EqualFold(def, d.Domain) {
			domain, why = def, "the default domain, above "+d.Domain
		} else {
			return decisions.Route{}, fmt.Sprintf("*%s* is already at the top of the rights map: name a `#domain` or a person to hand it to.", blocks.Escape(d.Domain))
		}
	}
	// The title's own #tags sent it here: route on the named domain alone.
	rt, err := a.route(slacktext.StripTags(d.Title), []string{domain}, d.Source.Channel, d.Proposer, inv.Now)
	if err != nil || !rt.Matched() {
		return decisions.Route{}, "I couldn't route it to " + blocks.Escape(domain) + "."
	}
	if len(rt.Deciders) == 0 {
		return decisions.Route{}, "Nobody who can decide *" + blocks.Escape(rt.Domain) + "* is available right now."
	}
	// Nobody typed the tag the route was asked with: say why it went there,
	// keeping what the router added (who is away, who was assigned).
	if rest, ok := strings.CutPrefix(rt.Reason, "#"+domain+" tag matched domain "+rt.Domain); ok {
		rt.Reason = why + rest
	}
	return rt, ""
}

// decline hands id over as "not mine" and records the misroute.
func (a *App) decline(inv invocation, id decisions.ID, rt decisions.Route, reason string) (decisions.Decision, error) {
	actor := a.dir.actor(inv.User, inv.Now)
	return a.change(id, decisions.VerbDecline, func(d decisions.Decision, now time.Time) (decisions.Decision, []outgoing, error) {
		next, err := decisions.Decline(d, actor, rt, reason, now)
		if err != nil {
			return d, nil, err
		}
		out := a.handOverMessages(d, next, "declined by "+blocks.User(inv.User)+": "+blocks.Escape(reason))
		if d.Proposer != "" && d.Proposer != inv.User && !next.IsDecider(d.Proposer) {
			m := newMessage(KindDM, blocks.Text(fmt.Sprintf("%s declined *%s* (%s): %s. It now goes to %s in *%s*.",
				blocks.User(inv.User), d.ID, blocks.Escape(d.Title), blocks.Escape(reason), blocks.Users(next.Deciders, 5), blocks.Escape(next.Domain))))
			m.User = d.Proposer
			out = append(out, outgoing{Key: refKey(d.ID, "declined", strconv.Itoa(len(next.History)), "proposer"), Msg: m})
		}
		return next, out, nil
	})
}

// reviewAfterOutcome sets the review date written after a rationale
// ("… review in 6 months") and says so, or why not.
func (a *App) reviewAfterOutcome(inv invocation, d decisions.Decision, on time.Time) string {
	if on.IsZero() {
		return ""
	}
	r, err := a.setReview(inv, d.ID, on)
	var ie *decisions.InputError
	var pe *decisions.PermissionError
	switch {
	case errors.As(err, &ie) || errors.As(err, &pe):
		return " I couldn't set the review date: " + blocks.Escape(err.Error()) + "."
	case err != nil:
		a.log.Error("set review date", "id", d.ID.String(), "err", err)
		return fmt.Sprintf(" I couldn't set the review date; try `%s review %s <date>`.", a.slash(), d.ID)
	}
	return " Review on " + blocks.Date(r.ReviewOn, a.loc) + "."
}

// cmdListRegister adds the register's lists to list: by outcome, and
// `since <date>`. The rest is cmdList's.
func (a *App) cmdListRegister(ctx context.Context, inv invocation, c command.Command) Reply {
	status := map[string]decisions.Status{
		command.FilterApproved: decisions.StatusApproved, command.FilterRejected: decisions.StatusRejected,
		command.FilterDeferred: decisions.StatusDeferred, command.FilterWithdrawn: decisions.StatusWithdrawn,
	}
	st, byStatus := status[c.Filter]
	if !byStatus && c.Since.IsZero() {
		return a.cmdList(ctx, inv, c)
	}
	var (
		ds    []decisions.Decision
		err   error
		title string
	)
	switch {
	case byStatus:
		title = upperFirst(string(st)) + " decisions"
		ds, err = a.store.ByStatus(st, listLimit)
	case c.Filter == command.FilterDomain:
		dom, ok := a.Router().Lookup(c.Domain)
		if !ok {
			return replyText("There is no domain `#%s`. `%s rights` lists them.", blocks.Escape(c.Domain), a.slash())
		}
		title = "Decisions in " + dom.Name
		ds, err = a.store.ByDomainTree(dom.Name, listLimit)
	case c.Filter == command.FilterOpen:
		title = "Open decisions"
		ds, err = a.store.ByStatus(decisions.StatusOpen, listLimit)
	case c.Filter == command.FilterOverdue:
		title = "Overdue decisions"
		// Longest overdue first, so a cut before the date filter below
		// could keep only old ones: read them all (open and overdue is a
		// short list) when the list is since a date.
		limit := listLimit
		if !c.Since.IsZero() {
			limit = 0
		}
		ds, err = a.store.DueBefore(inv.Now, limit)
	case c.Filter == command.FilterAll:
		title = "Decisions"
		ds, err = a.store.CreatedSince(c.Since, inv.Now.Add(time.Second), listLimit)
	default:
		// mine: cmdList's list, which is not cut by date.
		r := a.cmdList(ctx, inv, command.Command{Verb: c.Verb, Filter: c.Filter})
		return a.sinceNote(r, c.Since)
	}
	if err != nil {
		return a.internalError("list decisions", err)
	}
	if !c.Since.IsZero() {
		ds = slices.DeleteFunc(ds, func(d decisions.Decision) bool { return d.CreatedAt.Before(c.Since) })
		title += " since " + c.Since.In(a.loc).Format("2 Jan 2006")
	}
	if len(ds) > listLimit {
		ds = ds[:listLimit]
	}
	return reply(blocks.List(title, ds, inv.Now, a.loc))
}

// sinceNote tells the person a list they asked `since` for is not cut by
// date.
func (a *App) sinceNote(r Reply, since time.Time) Reply {
	note := blocks.Text(fmt.Sprintf("_`since %s` does not apply to `mine`: this is everything waiting on you._", since.In(a.loc).Format("2006-01-02")))
	r.Blocks = append(r.Blocks, note.Blocks...)
	return r
}

// cmdRightsRegister adds `rights suggest` (admins) to rights.
func (a *App) cmdRightsRegister(ctx context.Context, inv invocation, c command.Command) Reply {
	if !c.Suggest {
		return a.cmdRights(ctx, inv, c)
	}
	if !a.dir.isAdmin(inv.User) {
		return replyText("Only admins can see rule suggestions: they change the config. `%s rights` shows the map.", a.slash())
	}
	ds, err := a.store.Misrouted(inv.Now.Add(-decisions.SuggestWindow), inv.Now.Add(time.Second), decisions.SuggestMax)
	if err != nil {
		return a.internalError("read misroutes", err)
	}
	s := decisions.Suggest(ds, a.Router().Domains())
	return reply(blocks.Suggestions(s.YAML()))
}

// dueNote says that a phrase in proposal d looked like a due date but could
// not be read, and how to set one.
func (a *App) dueNote(d decisions.Decision, phrase string) string {
	return fmt.Sprintf(":warning: I couldn't read “%s” as a date, so %s has no due date. To set one: `%s edit %s by friday` (or `by Dec 5`, `by 2026-12-05`, `in 2w`).",
		blocks.Escape(phrase), d.ID, a.slash(), d.ID)
}

// withDueNote adds dueNote to a proposal's acknowledgement when needed.
func (a *App) withDueNote(r Reply, d decisions.Decision, phrase string) Reply {
	if phrase == "" {
		return r
	}
	note := blocks.Text(a.dueNote(d, phrase))
	r.Text += " " + note.Text
	r.Blocks = append(r.Blocks, note.Blocks...)
	return r
}

// homeLimit is how many decisions each part of the App Home reads.
const homeLimit = 20

// homeFor gathers a person's App Home: waiting on them (and on those they
// stand in for), advice they owe, reviews due, their proposals, and recent
// outcomes in the domains they own (everywhere, for admins and those who
// own none).
func (a *App) homeFor(user string, now time.Time) (blocks.Home, error) {
	h := blocks.Home{Slash: a.slash()}
	var err error
	if h.Waiting, err = a.store.ByDecider(user, decisions.StatusOpen, homeLimit); err != nil {
		return h, fmt.Errorf("home: waiting: %w", err)
	}
	if h.Delegated, err = a.delegatedTo(user, now, homeLimit); err != nil {
		return h, fmt.Errorf("home: delegated: %w", err)
	}
	if h.Advice, err = a.store.AdviceOwedBy(user, homeLimit); err != nil {
		return h, fmt.Errorf("home: advice: %w", err)
	}
	if h.Reviews, err = a.store.ReviewsOwedBy(user, homeLimit); err != nil {
		return h, fmt.Errorf("home: reviews: %w", err)
	}
	// A review is due from its date, though the job asks it only on the
	// reminders' schedule: add those not yet asked. Each run asks them
	// and they leave this part of the index, so it is short; it is read
	// whole so the filter below cannot cut this person's.
	due, err := a.store.ReviewsDue(time.Time{}, now.Add(time.Nanosecond), 0)
	if err != nil {
		return h, fmt.Errorf("home: reviews due: %w", err)
	}
	for _, d := range due {
		if len(h.Reviews) < homeLimit && !reviewAsked(d) && slices.Contains(reviewers(d), user) &&
			!slices.ContainsFunc(h.Reviews, func(x decisions.Decision) bool { return x.ID == d.ID }) {
			h.Reviews = append(h.Reviews, d)
		}
	}
	if h.Proposed, err = a.store.ByProposer(user, homeLimit); err != nil {
		return h, fmt.Errorf("home: proposed: %w", err)
	}
	recent, err := a.store.DecidedBetween(now.AddDate(0, 0, -14), now.Add(1))
	if err != nil {
		return h, fmt.Errorf("home: recent: %w", err)
	}
	var owned []string
	for _, dm := range a.Router().Domains() {
		if slices.Contains(dm.Owners, user) {
			owned = append(owned, dm.Name)
		}
	}
	// Admins see every outcome; so does someone who owns no domain.
	if len(owned) > 0 && !a.dir.isAdmin(user) {
		h.RecentTitle = "Recent outcomes in your domains"
		recent = slices.DeleteFunc(recent, func(d decisions.Decision) bool {
			return !slices.ContainsFunc(owned, func(o string) bool { return d.Domain == o || strings.HasPrefix(d.Domain, o+"/") })
		})
	}
	if len(recent) > homeLimit {
		recent = recent[len(recent)-homeLimit:]
	}
	h.Recent = recent
	return h, nil
}
