package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

func jsonMarshal(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return b, nil
}

// buttonVerbs maps button action ids to lifecycle verbs.
var buttonVerbs = map[string]decisions.Verb{
	blocks.ActionApprove:  decisions.VerbApprove,
	blocks.ActionReject:   decisions.VerbReject,
	blocks.ActionDefer:    decisions.VerbDefer,
	blocks.ActionAdvice:   decisions.VerbAskAdvice,
	blocks.ActionReassign: decisions.VerbReassign,
	blocks.ActionNotMine:  decisions.VerbDecline,
}

// Modal callback id and the shortcut that proposes a message.
const (
	modalCallback    = "decide"
	shortcutProposal = "propose_message"
)

// HandleInteraction handles block actions, view submissions and message
// shortcuts. The returned value, if not nil, is the JSON body of the ack
// (view submission errors). Modals are opened right after the ack.
func (a *App) HandleInteraction(ctx context.Context, ic slack.InteractionCallback) (any, error) {
	if !a.ours(ic.Team.ID, ic.APIAppID) {
		a.log.Warn("ignoring interaction for another workspace or app", "team", ic.Team.ID)
		return nil, nil
	}
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range ic.ActionCallback.BlockActions {
			if handled, err := a.onRegisterButton(ctx, ic, act); handled {
				if err != nil {
					return nil, err
				}
				continue
			}
			if err := a.onButton(ic, act); err != nil {
				return nil, err
			}
		}
		return nil, nil
	case slack.InteractionTypeViewSubmission:
		if ic.View.CallbackID != modalCallback {
			return nil, nil
		}
		return a.onSubmit(ctx, ic)
	case slack.InteractionTypeMessageAction:
		if ic.CallbackID != shortcutProposal {
			return nil, nil
		}
		return nil, a.onShortcut(ctx, ic)
	}
	return nil, nil
}

// onButton checks that the person may act, then opens the modal that asks
// for the rationale. Refusals are ephemeral and name who can act.
func (a *App) onButton(ic slack.InteractionCallback, act *slack.BlockAction) error {
	verb, ok := buttonVerbs[act.ActionID]
	if !ok {
		return nil
	}
	d, ok, err := a.buttonDecision(ic, act)
	if !ok {
		return err
	}
	id, user, channel := d.ID, ic.User.ID, ic.Channel.ID
	now := a.clock.Now()
	if d.Status.Closed() {
		return a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("%s is already %s, so there is nothing left to do.", id, d.Status))
	}
	actor := a.dir.actor(user, now)
	allowed := decisions.MayDecide(d, actor) || (verb == decisions.VerbAskAdvice && user == d.Proposer)
	if !allowed {
		pe := &decisions.PermissionError{Verb: verb, User: user, Allowed: d.Deciders, Role: "the deciders"}
		return a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("Sorry, %s. If you have a view, `%s advise %s <your advice>` records it.", pe.Error(), a.slash(), id))
	}
	meta := strings.Join([]string{id.String(), string(verb)}, "|")
	view := blocks.DecideModal(d, verb, meta)
	view.CallbackID = modalCallback
	trigger := ic.TriggerID
	a.wg.Add(1)
	select {
	case a.views <- struct{}{}:
	default:
		a.wg.Done()
		return a.respond(ic.ResponseURL, channel, user, "I'm busy opening other dialogs; please press the button again.")
	}
	go func() {
		defer a.wg.Done()
		defer func() { <-a.views }()
		// trigger_id is valid for 3 seconds: open now, not via the outbox.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if _, err := a.api.OpenViewContext(ctx, trigger, view); err != nil {
			a.log.Error("views.open", "id", id.String(), "err", err)
			_ = a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("I couldn't open the dialog. You can also type `%s %s %s <rationale>`.", a.slash(), verb, id))
		}
	}()
	return nil
}

// Block and action ids of the modal's inputs.
const (
	blockRationale = "rationale"
	inputRationale = "rationale_input"
	blockUntil     = "until"
	inputUntil     = "until_input"
	blockUsers     = "users"
	inputUsers     = "users_input"
)

// onSubmit applies the modal's decision. Input problems go back to the
// modal as field errors; nothing changes.
func (a *App) onSubmit(ctx context.Context, ic slack.InteractionCallback) (any, error) {
	idText, verbText, _ := strings.Cut(ic.View.PrivateMetadata, "|")
	id, err := decisions.ParseID(idText)
	if err != nil {
		return nil, nil
	}
	verb := decisions.Verb(verbText)
	values := ic.View.State
	get := func(block, input string) slack.BlockAction {
		if values == nil {
			return slack.BlockAction{}
		}
		return values.Values[block][input]
	}
	now := a.clock.Now()
	act := decisions.Action{Verb: verb, Actor: a.dir.actor(ic.User.ID, now), Rationale: strings.TrimSpace(get(blockRationale, inputRationale).Value)}
	fieldErr := func(block, msg string) (any, error) {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{block: msg}), nil
	}
	switch verb {
	case decisions.VerbReject:
		if act.Rationale == "" {
			return fieldErr(blockRationale, "Say why, so the proposer can learn from it.")
		}
	case decisions.VerbDefer:
		date := get(blockUntil, inputUntil).SelectedDate
		t, err := time.ParseInLocation("2006-01-02", date, a.loc)
		if err != nil {
			return fieldErr(blockUntil, "Pick the date it should come back.")
		}
		act.Until = workdayStart(t, a.loc)
		if !act.Until.After(now) {
			return fieldErr(blockUntil, "Pick a date in the future.")
		}
	case decisions.VerbReassign, decisions.VerbAskAdvice:
		act.Users = get(blockUsers, inputUsers).SelectedUsers
		if len(act.Users) == 0 && verb == decisions.VerbAskAdvice {
			// The modal says "leave empty to ask the domain's advisors".
			users, err := a.advisorsOf(id)
			if err != nil {
				return nil, err
			}
			act.Users = users
		}
		if len(act.Users) == 0 {
			return fieldErr(blockUsers, "Pick at least one person.")
		}
		if bad := a.dir.unknownUsers(ctx, act.Users); len(bad) > 0 {
			return fieldErr(blockUsers, unknownUsersText(bad)+".")
		}
	case decisions.VerbApprove:
	case decisions.VerbDecline:
		return a.onDeclineSubmit(ic, id, act.Rationale, get(blocks.BlockDomain, blocks.ActionDomain).Value)
	default:
		return nil, nil
	}
	review, msg := a.reviewFromModal(ctx, ic.User.ID, get(blocks.BlockReview, blocks.ActionReview).SelectedDate, now)
	if msg != "" {
		return fieldErr(blocks.BlockReview, msg)
	}
	if _, err := a.transition(id, act); err != nil {
		var pe *decisions.PermissionError
		var se *decisions.StateError
		var ie *decisions.InputError
		if errors.As(err, &pe) || errors.As(err, &se) || errors.As(err, &ie) {
			block := blockRationale
			if verb == decisions.VerbReassign || verb == decisions.VerbAskAdvice {
				block = blockUsers
			}
			return fieldErr(block, upperFirst(a.dir.plain(ctx, err.Error())))
		}
		return nil, err
	}
	a.reviewAfterOutcome(invocation{User: ic.User.ID, Now: now}, decisions.Decision{ID: id}, review)
	return nil, nil
}

// onShortcut proposes the message the shortcut was used on.
func (a *App) onShortcut(ctx context.Context, ic slack.InteractionCallback) error {
	text := ic.Message.Text
	if strings.TrimSpace(text) == "" {
		return a.respond(ic.ResponseURL, ic.Channel.ID, ic.User.ID, noTextToPropose(a.slash()))
	}
	now := a.clock.Now()
	// The message is a proposal whatever its first word ("Who should…",
	// "Show customers…"): parse it as one, for its tags and due date.
	// Dates in it are read in the proposer's zone, as typed ones are.
	c, err := a.parseFor(ctx, ic.User.ID, "propose "+text, now)
	p := proposal{Text: text, Proposer: ic.User.ID, Source: decisions.Source{
		Kind: decisions.SourceShortcut, Channel: ic.Channel.ID, ThreadTS: ic.Message.Timestamp, MessageTS: ic.Message.Timestamp,
	}}
	if err == nil && c.Verb == command.VerbPropose {
		p.Text, p.Tags, p.Due = c.Text, c.Tags, c.Due
	}
	d, err := a.propose(ctx, p)
	if err != nil {
		r := a.proposeError(err)
		return a.respond(ic.ResponseURL, ic.Channel.ID, ic.User.ID, r.Text)
	}
	ack := blocks.Ack(d, a.loc)
	return a.respond(ic.ResponseURL, ic.Channel.ID, ic.User.ID, ack.Text)
}

// advisorsOf lists the advisors of a decision who can be sent a DM.
func (a *App) advisorsOf(id decisions.ID) ([]string, error) {
	d, err := a.store.Decision(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", id, err)
	}
	var out []string
	for _, u := range d.Advisors {
		if decisions.IsUserID(u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// deferUntil is when a decision deferred to t comes back. A date ("until
// friday", read as the end of that day) means the start of that working
// day, as the dialog's date picker does, unless that moment has passed
// (deferring until today); an exact time ("until 3h") is kept as typed.
func deferUntil(t, now time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	local := t.In(loc)
	endOfDay := local.Hour() == 23 && local.Minute() == 59 && local.Second() == 59
	if start := workdayStart(t, loc); endOfDay && start.After(now) {
		return start
	}
	return t
}

// workdayStart is 09:00 on t's date in loc: a deferred decision comes back
// at the start of the working day it was deferred to (DST-safe).
func workdayStart(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 9, 0, 0, 0, loc)
}

// buttonDecision loads the decision a button's value names. ok is false
// when there is nothing more to do: the button is not one of ours, or the
// decision is gone (the presser is told; err is that reply's).
func (a *App) buttonDecision(ic slack.InteractionCallback, act *slack.BlockAction) (d decisions.Decision, ok bool, err error) {
	id, err := decisions.ParseID(act.Value)
	if err != nil {
		return d, false, nil // not one of our buttons
	}
	d, err = a.store.Decision(id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return d, false, a.respond(ic.ResponseURL, ic.Channel.ID, ic.User.ID, fmt.Sprintf("%s no longer exists.", id))
	case err != nil:
		return d, false, fmt.Errorf("load %s: %w", id, err)
	}
	return d, true, nil
}
