package bot

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/internal/slacktext"
	"github.com/baton-app/baton/store"
)

// written is what the "Propose as written" button carries: the text and
// where it was typed, so pressing it proposes exactly what a proposal
// would have. Only User may press it.
type written struct {
	User    string               `json:"u"`
	Text    string               `json:"x"`
	Kind    decisions.SourceKind `json:"k"`
	Channel string               `json:"c,omitempty"`
	Thread  string               `json:"t,omitempty"`
	TS      string               `json:"m,omitempty"`
}

// notACommand is the answer to text that looked like a command but was
// not one: the closest commands, and a button that proposes it anyway.
func (a *App) notACommand(pe *command.Error, w written) blocks.Message {
	raw, err := json.Marshal(w)
	if err != nil {
		return blocks.NotACommand(pe.Reply(), "") // the message still says how to propose it by typing
	}
	// Base64 keeps markup in the text (<!channel>) out of the message
	// payload altogether, even where Slack would never render it.
	return blocks.NotACommand(pe.Reply(), base64.RawURLEncoding.EncodeToString(raw))
}

// onRegisterButton handles the register's buttons; handled is false for
// every other button.
func (a *App) onRegisterButton(ctx context.Context, ic slack.InteractionCallback, act *slack.BlockAction) (handled bool, err error) {
	switch act.ActionID {
	case blocks.ActionProposeWritten:
		return true, a.onProposeWritten(ctx, ic, act)
	case blocks.ActionKeep, blocks.ActionRevisit:
		return true, a.onReviewButton(ctx, ic, act)
	}
	return false, nil
}

// onProposeWritten proposes the text of a "Propose as written" button.
// Pressing it twice proposes once.
func (a *App) onProposeWritten(ctx context.Context, ic slack.InteractionCallback, act *slack.BlockAction) error {
	var w written
	raw, err := base64.RawURLEncoding.DecodeString(act.Value)
	if err != nil {
		return nil // not a value Baton made
	}
	if err := json.Unmarshal(raw, &w); err != nil || w.Text == "" || w.User == "" {
		return nil // not a value Baton made
	}
	user, channel := ic.User.ID, ic.Channel.ID
	if channel == "" {
		channel = w.Channel
	}
	if user != w.User {
		return a.ephemeral(channel, user, fmt.Sprintf("Only %s can propose this as written. To propose something yourself, use `%s propose <text>`.", blocks.User(w.User), a.slash()))
	}
	src := decisions.Source{Kind: w.Kind, Channel: w.Channel, ThreadTS: w.Thread, MessageTS: w.TS}
	if src.Kind != decisions.SourceMention {
		src = decisions.Source{Kind: decisions.SourceCommand, Channel: w.Channel}
	}
	p := proposal{Text: w.Text, Proposer: user, Source: src}
	c, err := a.parser.Parse("propose "+w.Text, a.clock.Now())
	if err != nil {
		var pe *command.Error
		if errors.As(err, &pe) {
			return a.ephemeral(channel, user, pe.Reply())
		}
		return a.ephemeral(channel, user, "I couldn't read that proposal; nothing was created.")
	}
	p.Text, p.Tags, p.Due = c.Text, c.Tags, c.Due
	sum := sha256.Sum256([]byte(act.Value))
	p.Once = "written/" + ic.Container.MessageTs + "/" + hex.EncodeToString(sum[:8])
	d, err := a.propose(ctx, p)
	if errors.Is(err, store.ErrDuplicateEvent) {
		return a.ephemeral(channel, user, "That was already proposed: you pressed the button before. `"+a.slash()+" list mine` shows it.")
	}
	if err != nil {
		r := a.proposeError(err)
		return a.ephemeral(channel, user, r.Text)
	}
	return a.ephemeral(channel, user, blocks.Ack(d, a.loc).Text)
}

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
	if len(ds) == 0 {
		return replyText("Nothing matches “%s”. Try fewer or other words, or `%s list all`.", blocks.Escape(q), a.slash())
	}
	return reply(blocks.List("Search: "+q, ds, inv.Now, a.loc))
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
	on = workdayStart(on, a.loc)
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
		ds, err = a.store.ByStatus(st, 0)
	case c.Filter == command.FilterDomain:
		dom, ok := a.Router().Lookup(c.Domain)
		if !ok {
			return replyText("There is no domain `#%s`. `%s rights` lists them.", blocks.Escape(c.Domain), a.slash())
		}
		title = "Decisions in " + dom.Name
		ds, err = a.store.ByDomainTree(dom.Name, 0)
	case c.Filter == command.FilterOpen:
		title = "Open decisions"
		ds, err = a.store.ByStatus(decisions.StatusOpen, 0)
	case c.Filter == command.FilterOverdue:
		title = "Overdue decisions"
		ds, err = a.store.DueBetween(time.Time{}, inv.Now)
	case c.Filter == command.FilterAll:
		title = "Decisions"
		ds, err = a.store.CreatedBetween(c.Since, inv.Now.Add(time.Second))
		slices.Reverse(ds)
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

// JobReviews asks, on each review date, whether the outcome still holds.
// It runs on the reminders' schedule.
const JobReviews = "reviews"

// EventReviewAsked marks that the review DMs for the current review date
// went out, so a later run does not send them again.
const EventReviewAsked decisions.EventKind = "review_asked"

// RunReviews sends the review DM (Keep / Revisit) to the deciders and the
// proposer of every decision whose review date has come, once per date.
func (a *App) RunReviews(ctx context.Context, now time.Time) error {
	ds, err := a.store.ReviewsBetween(time.Time{}, now.Add(time.Nanosecond))
	if err != nil {
		return fmt.Errorf("reviews due: %w", err)
	}
	var errs []error
	for _, d := range ds {
		if reviewAsked(d) {
			continue
		}
		_, err := a.change(d.ID, decisions.VerbReview, func(d decisions.Decision, now time.Time) (decisions.Decision, []outgoing, error) {
			if !d.ReviewDue(now) || reviewAsked(d) {
				return d, nil, errNoReviewDue
			}
			next := d
			next.History = append(slices.Clone(d.History), decisions.Event{At: now, Actor: decisions.SystemActor, Kind: EventReviewAsked, Users: reviewers(d)})
			step := strconv.Itoa(len(next.History))
			var out []outgoing
			for _, u := range reviewers(d) {
				m := newMessage(KindDM, blocks.ReviewDue(d, a.loc))
				m.User = u
				m.SaveRef = refKey(d.ID, "review", u)
				out = append(out, outgoing{Key: refKey(d.ID, "review", step, u), Msg: m})
			}
			return next, out, nil
		})
		if err != nil && !errors.Is(err, errNoReviewDue) {
			errs = append(errs, fmt.Errorf("review %s: %w", d.ID, err))
		}
	}
	if err := a.store.CompleteRun(JobReviews, now); err != nil && !errors.Is(err, store.ErrAlreadyRun) {
		errs = append(errs, fmt.Errorf("record reviews run: %w", err))
	}
	return errors.Join(errs...)
}

// errNoReviewDue aborts a review run's change that turned out unneeded
// once read inside its transaction.
var errNoReviewDue = errors.New("no review due")

// reviewAsked reports whether the review DMs for d's current review date
// were sent.
func reviewAsked(d decisions.Decision) bool {
	for i := len(d.History) - 1; i >= 0; i-- {
		switch d.History[i].Kind {
		case EventReviewAsked:
			return true
		case decisions.EventReviewSet, decisions.EventReviewed:
			return false
		}
	}
	return false
}

// onReviewButton handles Keep and Revisit on a review DM.
func (a *App) onReviewButton(ctx context.Context, ic slack.InteractionCallback, act *slack.BlockAction) error {
	id, err := decisions.ParseID(act.Value)
	if err != nil {
		return nil // not one of our buttons
	}
	user, channel := ic.User.ID, ic.Channel.ID
	now := a.clock.Now()
	d, err := a.store.Decision(id)
	if errors.Is(err, store.ErrNotFound) {
		return a.ephemeral(channel, user, fmt.Sprintf("%s no longer exists.", id))
	}
	if err != nil {
		return fmt.Errorf("load %s: %w", id, err)
	}
	if d.ReviewOn.IsZero() {
		return a.ephemeral(channel, user, fmt.Sprintf("%s has already been reviewed; `%s show %s` has the history.", id, a.slash(), id))
	}
	actor := a.dir.actor(user, now)
	var revisit decisions.Decision
	if act.ActionID == blocks.ActionRevisit {
		if !decisions.MayDecide(d, actor) && user != d.Proposer {
			_, err := decisions.Review(d, actor, 0, now) // for its permission message
			return a.ephemeral(channel, user, "Sorry, "+err.Error()+".")
		}
		text := "Revisit " + id.String() + ": " + d.Title
		c, perr := a.parser.Parse("propose "+text, now)
		p := proposal{Text: text, Proposer: user, Source: decisions.Source{Kind: decisions.SourceCommand, Channel: d.Source.Channel},
			Once: "revisit/" + id.String() + "/" + strconv.FormatInt(d.ReviewOn.Unix(), 10)}
		if perr == nil {
			p.Tags = c.Tags
		}
		revisit, err = a.propose(ctx, p)
		if errors.Is(err, store.ErrDuplicateEvent) {
			return a.ephemeral(channel, user, fmt.Sprintf("%s is already being revisited.", id))
		}
		if err != nil {
			r := a.proposeError(err)
			return a.ephemeral(channel, user, r.Text)
		}
		if _, err := a.store.UpdateDecision(revisit.ID, func(n decisions.Decision) (decisions.Decision, []storeItem, error) {
			n.Revisits = id
			return n, nil, nil
		}); err != nil {
			a.log.Warn("link revisit", "id", revisit.ID.String(), "revisits", id.String(), "err", err)
		}
	}
	what := "kept"
	if revisit.ID != 0 {
		what = "revisited"
	}
	_, err = a.change(id, decisions.VerbReview, func(d decisions.Decision, now time.Time) (decisions.Decision, []outgoing, error) {
		next, err := decisions.Review(d, actor, revisit.ID, now)
		if err != nil {
			return d, nil, err
		}
		step := strconv.Itoa(len(next.History))
		var out []outgoing
		for _, u := range reviewers(d) {
			m := newMessage(KindUpdate, blocks.ReviewDone(next, user, what))
			m.UpdateRef = refKey(d.ID, "review", u)
			out = append(out, outgoing{Key: refKey(d.ID, "reviewed", step, u), Msg: m})
		}
		return next, out, nil
	})
	var pe *decisions.PermissionError
	var ie *decisions.InputError
	switch {
	case errors.As(err, &pe) || errors.As(err, &ie):
		return a.ephemeral(channel, user, "Sorry, "+err.Error()+".")
	case err != nil:
		return err
	}
	if revisit.ID != 0 {
		return a.ephemeral(channel, user, fmt.Sprintf("%s proposed, revisiting %s. %s", revisit.ID, id, blocks.Ack(revisit, a.loc).Text))
	}
	return a.ephemeral(channel, user, fmt.Sprintf("%s is kept as it is; the review is in its history.", id))
}

// onDeclineSubmit hands a decision on from the "Not mine" dialog. Problems
// go back to the dialog as field errors; nothing changes.
func (a *App) onDeclineSubmit(ic slack.InteractionCallback, id decisions.ID, reason, domain string) (any, error) {
	fieldErr := func(block, msg string) (any, error) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: msg}), nil
	}
	if strings.TrimSpace(reason) == "" {
		return fieldErr(blocks.BlockRationale, "Say why, so the next people know.")
	}
	d, err := a.store.Decision(id)
	if err != nil {
		return fieldErr(blocks.BlockRationale, fmt.Sprintf("I can't read %s right now; please try again.", id))
	}
	inv := invocation{User: ic.User.ID, Now: a.clock.Now()}
	if domain = strings.TrimSpace(domain); domain != "" {
		tag, ok := slacktext.Tag(domain, false)
		if !ok {
			return fieldErr(blocks.BlockDomain, "Write a domain name, like finance or product/pricing.")
		}
		domain = tag
	}
	rt, msg := a.declineRoute(d, domain, nil, inv)
	if msg != "" {
		return fieldErr(blocks.BlockDomain, plainMsg(msg))
	}
	if _, err := a.decline(inv, id, rt, reason); err != nil {
		var pe *decisions.PermissionError
		var ie *decisions.InputError
		if errors.As(err, &pe) || errors.As(err, &ie) {
			return fieldErr(blocks.BlockRationale, upperFirst(err.Error()))
		}
		return nil, err
	}
	return nil, nil
}

// plainMsg turns a mrkdwn reply into the plain text a field error shows.
func plainMsg(s string) string {
	return strings.NewReplacer("*", "", "`", "", "&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

// cmdRightsRegister adds `rights suggest` (admins) to rights.
func (a *App) cmdRightsRegister(ctx context.Context, inv invocation, c command.Command) Reply {
	if !c.Suggest {
		return a.cmdRights(ctx, inv, c)
	}
	if !a.dir.isAdmin(inv.User) {
		return replyText("Only admins can see rule suggestions: they change the config. `%s rights` shows the map.", a.slash())
	}
	ds, err := a.store.Misrouted(time.Time{}, inv.Now.Add(time.Second))
	if err != nil {
		return a.internalError("read misroutes", err)
	}
	s := decisions.Suggest(ds, a.Router().Domains())
	return reply(blocks.Suggestions(s.YAML()))
}
