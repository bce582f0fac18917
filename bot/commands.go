package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// Reply is the immediate answer to a slash command: ephemeral, seen only
// by the person who typed it.
type Reply struct {
	Text   string
	Blocks []slack.Block
}

func reply(m blocks.Message) Reply { return Reply{Text: m.Text, Blocks: m.Blocks} }

func replyText(format string, args ...any) Reply {
	return Reply{Text: fmt.Sprintf(format, args...)}
}

// invocation is who typed a command, and where.
type invocation struct {
	User    string
	Channel string
	Now     time.Time
}

type commandHandler func(a *App, ctx context.Context, inv invocation, c command.Command) Reply

// handlers executes each verb of the command table (command.Specs); a
// test keeps the two in step.
var handlers = map[command.Verb]commandHandler{
	command.VerbPropose:  (*App).cmdPropose,
	command.VerbApprove:  (*App).cmdDecide,
	command.VerbReject:   (*App).cmdDecide,
	command.VerbDefer:    (*App).cmdDecide,
	command.VerbWithdraw: (*App).cmdDecide,
	command.VerbReassign: (*App).cmdReassign,
	command.VerbAdvise:   (*App).cmdAdvise,
	command.VerbEdit:     (*App).cmdEdit,
	command.VerbComment:  (*App).cmdComment,
	command.VerbDecline:  (*App).cmdDecline,
	command.VerbReview:   (*App).cmdReview,
	command.VerbSearch:   (*App).cmdSearch,
	command.VerbShow:     (*App).cmdShow,
	command.VerbList:     (*App).cmdListRegister,
	command.VerbWho:      (*App).cmdWho,
	command.VerbRights:   (*App).cmdRightsRegister,
	command.VerbAway:     (*App).cmdAway,
	command.VerbHelp:     (*App).cmdHelp,
}

// HandleCommand parses and executes a slash command. It commits what must
// be durable before returning; Slack calls happen later from the outbox.
func (a *App) HandleCommand(ctx context.Context, sc slack.SlashCommand) Reply {
	if !a.ours(sc.TeamID, sc.APIAppID) {
		return replyText("This command came from a workspace Baton is not installed for.")
	}
	inv := invocation{User: sc.UserID, Channel: sc.ChannelID, Now: a.clock.Now()}
	c, err := a.parseFor(ctx, sc.UserID, sc.Text, inv.Now)
	if err != nil {
		a.metrics.commands.WithLabelValues("invalid").Inc()
		var pe *command.Error
		if errors.As(err, &pe) && pe.AsWritten != "" {
			return reply(a.notACommand(pe, written{User: inv.User, Text: pe.AsWritten, Kind: decisions.SourceCommand, Channel: inv.Channel}))
		}
		if errors.As(err, &pe) {
			// Usage already names the slash command, and Reply escapes it
			// so "<date>" shows as typed.
			return replyText("%s", pe.Reply())
		}
		return replyText("I could not read that: %s. Try `%s help`.", blocks.Escape(err.Error()), a.slash())
	}
	h, ok := handlers[c.Verb]
	if !ok {
		return replyText("`%s` is not something I can do yet. Try `%s help`.", c.Verb, a.slash())
	}
	a.metrics.commands.WithLabelValues(string(c.Verb)).Inc()
	return h(a, ctx, inv, c)
}

func (a *App) slash() string {
	if a.cfg.Slack.Command != "" {
		return a.cfg.Slack.Command
	}
	return "/decide"
}

// internalError logs err and tells the user something useful instead.
func (a *App) internalError(what string, err error) Reply {
	a.log.Error(what, "err", err)
	return replyText("Sorry, something went wrong on my side while I was trying to %s, and nothing was changed. Please try again in a moment.", what)
}

func (a *App) cmdPropose(ctx context.Context, inv invocation, c command.Command) Reply {
	src := decisions.Source{Kind: decisions.SourceCommand, Channel: inv.Channel}
	d, err := a.propose(ctx, proposal{Text: c.Text, Tags: c.Tags, Due: c.Due, Proposer: inv.User, Source: src})
	if err != nil {
		return a.proposeError(err)
	}
	return a.withDueNote(reply(blocks.Ack(d, a.loc)), d, c.DueUnread)
}

func (a *App) proposeError(err error) Reply {
	var nr errNoRoute
	var nb errNobody
	switch {
	case errors.As(err, &nr):
		tags := make([]string, 0, len(nr.route.Candidates))
		for _, c := range nr.route.Candidates {
			tags = append(tags, "`#"+c+"`")
		}
		return replyText("I could not tell who holds the decision rights for this, so nothing was created. Add a domain tag and try again, e.g. `%s <your proposal> #%s`.\nDomains: %s",
			a.slash(), first(nr.route.Candidates, "domain"), strings.Join(tags, ", "))
	case errors.As(err, &nb):
		return replyText("This belongs to *%s*, but nobody who holds that decision right, or anyone above it, can act on it right now, so nothing was created.\n*Why:* %s\nTalk to them directly, or propose it again when someone is back.",
			nb.route.Domain, blocks.Escape(nb.route.Reason))
	}
	return a.internalError("save your proposal", err)
}

func first(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

var verbActions = map[command.Verb]decisions.Verb{
	command.VerbApprove:  decisions.VerbApprove,
	command.VerbReject:   decisions.VerbReject,
	command.VerbDefer:    decisions.VerbDefer,
	command.VerbWithdraw: decisions.VerbWithdraw,
}

func (a *App) cmdDecide(ctx context.Context, inv invocation, c command.Command) Reply {
	act := decisions.Action{Verb: verbActions[c.Verb], Actor: a.dir.actor(inv.User, inv.Now), Rationale: unslack(c.Text), Until: c.Until}
	if act.Verb == decisions.VerbDefer {
		act.Until = deferUntil(c.Until, inv.Now, a.loc)
	}
	d, err := a.transition(c.ID, act)
	if err != nil {
		return a.transitionError(c.ID, err)
	}
	switch d.History[len(d.History)-1].Kind {
	case decisions.EventVoted:
		return replyText("Your vote on %s is recorded: %s. I've told the other deciders.", d.ID, blocks.VoteLine(d))
	case decisions.EventObjected:
		return replyText("Your objection to %s is recorded: it will not be approved automatically, and %s decide.", d.ID, blocks.Users(d.Deciders, 10))
	}
	return replyText("%s", strings.TrimSpace(fmt.Sprintf("%s is now *%s*. %s%s", d.ID, d.Status, a.describeFanout(d, inv.User), a.reviewAfterOutcome(inv, d, c.Review))))
}

// describeFanout says where outcomeMessages will post d's outcome, so the
// reply promises only what will happen.
func (a *App) describeFanout(d decisions.Decision, actor string) string {
	var where []string
	if a.announced(d.ID) {
		where = append(where, "the proposal's thread")
	}
	for _, c := range d.Informed {
		where = append(where, blocks.Channel(c))
	}
	tell := d.Proposer != "" && d.Proposer != actor
	switch {
	case len(where) == 0 && tell:
		return "The proposer will be told."
	case len(where) == 0:
		return ""
	case tell:
		return "I'll post it to " + strings.Join(where, ", ") + " and tell the proposer."
	}
	return "I'll post it to " + strings.Join(where, ", ") + "."
}

// announced reports whether d has an announcement, sent or still queued,
// for its outcome to be threaded under.
func (a *App) announced(id decisions.ID) bool {
	key := refKey(id, "announce")
	if _, ok, err := a.store.Ref(key); err == nil && ok {
		return true
	}
	pending, err := a.store.OutboxPending(key)
	return err == nil && pending
}

// transitionError explains, in words for the person, why an action failed.
func (a *App) transitionError(id decisions.ID, err error) Reply {
	var pe *decisions.PermissionError
	var se *decisions.StateError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return replyText("I can't find %s. `%s list all` shows every decision.", id, a.slash())
	case errors.As(err, &pe):
		return replyText("Sorry, %s. Nothing was changed.", pe.Error())
	case errors.As(err, &se):
		return replyText("%s. Nothing was changed.", se.Error())
	}
	var ie *decisions.InputError
	if errors.As(err, &ie) {
		return replyText("%s. Nothing was changed.", upperFirst(ie.Error()))
	}
	return a.internalError("update "+id.String(), err)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (a *App) cmdReassign(ctx context.Context, inv invocation, c command.Command) Reply {
	if bad := a.dir.unknownUsers(ctx, c.Mentions); len(bad) > 0 {
		return replyText("%s. Nothing was changed.", unknownUsersText(bad))
	}
	act := decisions.Action{Verb: decisions.VerbReassign, Actor: a.dir.actor(inv.User, inv.Now), Users: c.Mentions, Rationale: unslack(strings.TrimSpace(c.Text))}
	d, err := a.transition(c.ID, act)
	if err != nil {
		return a.transitionError(c.ID, err)
	}
	return replyText("%s now waits on %s. I've sent them the decision.", d.ID, blocks.Users(d.Deciders, 0))
}

// unknownUsersText explains which people cannot be given a decision.
func unknownUsersText(bad []string) string {
	names := make([]string, len(bad))
	for i, b := range bad {
		if decisions.IsUserID(b) {
			names[i] = blocks.User(b)
		} else {
			names[i] = "`" + blocks.Escape(blocks.Truncate(b, 40)) + "`"
		}
	}
	return "I can't hand a decision to " + strings.Join(names, ", ") + ": only active people in this workspace can decide (pick them with Slack's @ autocomplete)"
}

func (a *App) cmdAdvise(ctx context.Context, inv invocation, c command.Command) Reply {
	act := decisions.Action{Verb: decisions.VerbAdvise, Actor: a.dir.actor(inv.User, inv.Now), Rationale: unslack(c.Text)}
	d, err := a.transition(c.ID, act)
	if err != nil {
		return a.transitionError(c.ID, err)
	}
	return replyText("Thanks — your advice on %s is recorded and %s will see it.", d.ID, blocks.Users(d.Deciders, 0))
}

func (a *App) cmdShow(ctx context.Context, inv invocation, c command.Command) Reply {
	d, err := a.store.Decision(c.ID)
	if errors.Is(err, store.ErrNotFound) {
		return replyText("I can't find %s. `%s list all` shows every decision.", c.ID, a.slash())
	}
	if err != nil {
		return a.internalError("read "+c.ID.String(), err)
	}
	return reply(blocks.Show(d, a.loc))
}

const listLimit = 50

func (a *App) cmdList(ctx context.Context, inv invocation, c command.Command) Reply {
	var (
		ds    []decisions.Decision
		err   error
		title string
	)
	filter := c.Filter
	if filter == "" {
		filter = "open"
	}
	switch {
	case filter == "mine":
		title = "Waiting on you"
		ds, err = a.waitingOn(inv.User, inv.Now, listLimit)
		if err == nil {
			var mine []decisions.Decision
			mine, err = a.store.ByProposer(inv.User, listLimit)
			for _, d := range mine {
				if !d.Status.Closed() && !d.IsDecider(inv.User) {
					ds = append(ds, d)
				}
			}
			title = "Waiting on you, and open proposals of yours"
		}
	case filter == "open":
		title = "Open decisions"
		ds, err = a.store.ByStatus(decisions.StatusOpen, listLimit)
	case filter == "overdue":
		title = "Overdue decisions"
		ds, err = a.store.DueBetween(time.Time{}, inv.Now)
	case filter == "all":
		title = "All decisions, newest first"
		ds, err = a.store.Newest(listLimit)
	case filter == command.FilterDomain:
		dom, ok := a.Router().Lookup(c.Domain)
		if !ok {
			return replyText("There is no domain `#%s`. `%s rights` lists them.", blocks.Escape(c.Domain), a.slash())
		}
		title = "Decisions in " + dom.Name
		ds, err = a.store.ByDomainTree(dom.Name, listLimit)
	default:
		return replyText("I don't know the list `%s`. Try `%s list [mine|open|overdue|#domain|all]`.", blocks.Escape(filter), a.slash())
	}
	if err != nil {
		return a.internalError("list decisions", err)
	}
	return reply(blocks.List(title, ds, inv.Now, a.loc))
}

func (a *App) cmdWho(ctx context.Context, inv invocation, c command.Command) Reply {
	if strings.TrimSpace(c.Text) == "" && len(c.Tags) == 0 {
		return replyText("Tell me what the decision is about, e.g. `%s who change the price of the team plan`.", a.slash())
	}
	r, err := a.route(c.Text, c.Tags, inv.Channel, inv.User, inv.Now)
	if err != nil {
		return a.internalError("route that", err)
	}
	return reply(blocks.Who(r))
}

func (a *App) cmdRights(ctx context.Context, inv invocation, c command.Command) Reply {
	filter := c.Domain
	if filter == "" && len(c.Tags) > 0 {
		filter = c.Tags[0]
	}
	if filter != "" {
		dom, ok := a.Router().Lookup(filter)
		if !ok {
			return replyText("There is no domain `%s`. `%s rights` lists them all.", blocks.Escape(filter), a.slash())
		}
		filter = dom.Name
	}
	return reply(blocks.Rights(a.Router().Domains(), filter))
}

func (a *App) cmdAway(ctx context.Context, inv invocation, c command.Command) Reply {
	if c.Until.IsZero() {
		if err := a.store.SetAway(store.Away{User: inv.User}); err != nil {
			return a.internalError("record that you are back", err)
		}
		a.lookAgain(inv.User, inv.Now)
		return replyText("Welcome back — decisions come to you again.")
	}
	if c.Delegate == inv.User {
		return replyText("You can't delegate to yourself. Pick someone else, or leave out `delegate`.")
	}
	if c.Delegate != "" {
		if bad := a.dir.unknownUsers(ctx, []string{c.Delegate}); len(bad) > 0 {
			return replyText("%s, so they can't act for you. Nothing was changed.", unknownUsersText(bad))
		}
		people, err := a.dir.people(inv.Now)
		if err != nil {
			return a.internalError("record that you are away", err)
		}
		if people.DelegationLoop(inv.User, c.Delegate) {
			return replyText("%s is away and their decisions already come to you, so they can't act for you: nobody would be left to decide. Pick someone who is around. Nothing was changed.", blocks.User(c.Delegate))
		}
	}
	if err := a.store.SetAway(store.Away{User: inv.User, Until: c.Until, Delegate: c.Delegate}); err != nil {
		return a.internalError("record that you are away", err)
	}
	a.lookAgain(inv.User, inv.Now)
	until := blocks.Date(c.Until, a.loc)
	if c.Delegate == "" {
		return replyText("Noted: you're away until %s. New decisions skip you meanwhile.", until)
	}
	return replyText("Noted: you're away until %s, and %s decides for you meanwhile.", until, blocks.User(c.Delegate))
}

// lookAgain has the scheduler look at the open decisions user acts on at
// its next run — those they decide or owe advice on, and those of everyone
// whose delegation chain passes through them: who acts changed, and with it whose hour a
// reminder or a climb waits for. A failure only delays reminders to the
// next check, so it is logged, not refused.
func (a *App) lookAgain(user string, now time.Time) {
	err := func() error {
		people, err := a.dir.people(now)
		if err != nil {
			return err
		}
		who := []string{user}
		for u := range people.Presence {
			if u != user && slices.Contains(people.Chain(u), user) {
				who = append(who, u)
			}
		}
		var checks []store.NextCheck
		for _, u := range who {
			ds, err := a.store.ByDecider(u, decisions.StatusOpen, 0)
			if err != nil {
				return err
			}
			owed, err := a.store.AdviceOwedBy(u, 0)
			if err != nil {
				return err
			}
			for _, d := range slices.Concat(ds, owed) {
				checks = append(checks, store.NextCheck{ID: d.ID, Events: len(d.History), At: now})
			}
		}
		_, err = a.store.SetNextChecks(checks)
		return err
	}()
	if err != nil {
		a.log.Warn("could not have the scheduler look again at the decisions of someone away", "user", user, "err", err)
	}
}

func (a *App) cmdHelp(ctx context.Context, inv invocation, c command.Command) Reply {
	return Reply{Text: command.Help(a.slash())}
}
