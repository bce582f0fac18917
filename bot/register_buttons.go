package bot

// The register's buttons and scheduled job: "Propose as written", review
// dates coming due (Keep / Revisit), and the "Not mine" dialog.

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
		return a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("Only %s can propose this as written. To propose something yourself, use `%s propose <text>`.", blocks.User(w.User), a.slash()))
	}
	src := decisions.Source{Kind: w.Kind, Channel: w.Channel, ThreadTS: w.Thread, MessageTS: w.TS}
	if src.Kind != decisions.SourceMention {
		src = decisions.Source{Kind: decisions.SourceCommand, Channel: w.Channel}
	}
	p := proposal{Text: w.Text, Proposer: user, Source: src}
	c, err := a.parseFor(ctx, user, "propose "+w.Text, a.clock.Now())
	if err != nil {
		var pe *command.Error
		if errors.As(err, &pe) {
			return a.respond(ic.ResponseURL, channel, user, pe.Reply())
		}
		return a.respond(ic.ResponseURL, channel, user, "I couldn't read that proposal; nothing was created.")
	}
	p.Text, p.Tags, p.Due = c.Text, c.Tags, c.Due
	sum := sha256.Sum256([]byte(act.Value))
	p.Once = "written/" + ic.Container.MessageTs + "/" + hex.EncodeToString(sum[:8])
	d, err := a.propose(ctx, p)
	if errors.Is(err, store.ErrDuplicateEvent) {
		return a.respond(ic.ResponseURL, channel, user, "That was already proposed: you pressed the button before. `"+a.slash()+" list mine` shows it.")
	}
	if err != nil {
		r := a.proposeError(err)
		return a.respond(ic.ResponseURL, channel, user, r.Text)
	}
	return a.respond(ic.ResponseURL, channel, user, a.withDueNote(reply(blocks.Ack(d, a.loc)), d, c.DueUnread).Text)
}

// JobReviews asks, on each review date, whether the outcome still holds.
// It runs on the reminders' schedule.
const JobReviews = "reviews"

// RunReviews sends the review DM (Keep / Revisit) to the deciders and the
// proposer of every decision whose review date has come, once per date.
func (a *App) RunReviews(ctx context.Context, now time.Time) error {
	// Asked reviews leave this part of the index, so a run reads only
	// what came due since the last; a backlog is worked off reviewBatch at
	// a time.
	ds, err := a.store.ReviewsDue(time.Time{}, now.Add(time.Nanosecond), reviewBatch)
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
			next.History = append(slices.Clone(d.History), decisions.Event{At: now, Actor: decisions.SystemActor, Kind: decisions.EventReviewAsked, Users: reviewers(d)})
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

// reviewBatch bounds how many reviews one run asks.
const reviewBatch = 500

// errNoReviewDue aborts a review run's change that turned out unneeded
// once read inside its transaction.
var errNoReviewDue = errors.New("no review due")

// reviewAsked reports whether the review DMs for d's current review date
// were sent.
func reviewAsked(d decisions.Decision) bool {
	asked, _ := decisions.ReviewAsked(&d)
	return asked
}

// onReviewButton handles Keep and Revisit on a review DM.
func (a *App) onReviewButton(ctx context.Context, ic slack.InteractionCallback, act *slack.BlockAction) error {
	d, ok, err := a.buttonDecision(ic, act)
	if !ok {
		return err
	}
	id, user, channel := d.ID, ic.User.ID, ic.Channel.ID
	now := a.clock.Now()
	if d.ReviewOn.IsZero() {
		return a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("%s has already been reviewed; `%s show %s` has the history.", id, a.slash(), id))
	}
	actor := a.dir.actor(user, now)
	var (
		revisit decisions.Decision
		unread  string // a date phrase in the title Baton couldn't read
	)
	if act.ActionID == blocks.ActionRevisit {
		if !decisions.MayDecide(d, actor) && user != d.Proposer {
			_, err := decisions.Review(d, actor, 0, now) // for its permission message
			return a.respond(ic.ResponseURL, channel, user, "Sorry, "+err.Error()+".")
		}
		text := "Revisit " + id.String() + ": " + d.Title
		c, perr := a.parseFor(ctx, user, "propose "+text, now)
		p := proposal{Text: text, Proposer: user, Revisits: id, Source: decisions.Source{Kind: decisions.SourceCommand, Channel: d.Source.Channel},
			Once: "revisit/" + id.String() + "/" + strconv.FormatInt(d.ReviewOn.Unix(), 10)}
		if perr == nil {
			p.Tags, unread = c.Tags, c.DueUnread
		}
		revisit, err = a.propose(ctx, p)
		if errors.Is(err, store.ErrDuplicateEvent) {
			// Proposed before, and the review still open: that press
			// stopped (a crash, a failed write) before recording it.
			// Finish with the revisit it made.
			revisit, err = a.findRevisit(id, d.ReviewOn, now)
			if err != nil {
				return err
			}
			if revisit.ID == 0 {
				return a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("%s is already being revisited.", id))
			}
		} else if err != nil {
			r := a.proposeError(err)
			return a.respond(ic.ResponseURL, channel, user, r.Text)
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
		return a.respond(ic.ResponseURL, channel, user, "Sorry, "+err.Error()+".")
	case err != nil:
		return err
	}
	if revisit.ID != 0 {
		ack := a.withDueNote(reply(blocks.Ack(revisit, a.loc)), revisit, unread)
		return a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("%s proposed, revisiting %s. %s", revisit.ID, id, ack.Text))
	}
	return a.respond(ic.ResponseURL, channel, user, fmt.Sprintf("%s is kept as it is; the review is in its history.", id))
}

// findRevisit finds the decision proposed to revisit id since its review
// date; none gives a zero Decision.
func (a *App) findRevisit(id decisions.ID, since, now time.Time) (decisions.Decision, error) {
	ds, err := a.store.CreatedSince(since, now.Add(time.Nanosecond), 0)
	if err != nil {
		return decisions.Decision{}, fmt.Errorf("find the revisit of %s: %w", id, err)
	}
	for _, d := range ds {
		if d.Revisits == id {
			return d, nil
		}
	}
	return decisions.Decision{}, nil
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

// reviewFromModal reads the optional "Review on" date of the approve and
// reject dialogs; msg says what is wrong with it.
func (a *App) reviewFromModal(ctx context.Context, user, date string, now time.Time) (time.Time, string) {
	if date == "" {
		return time.Time{}, ""
	}
	// The date picked is a day in the picker's own zone.
	loc := a.userLoc(ctx, user, now)
	t, err := time.ParseInLocation("2006-01-02", date, loc)
	if err != nil {
		return time.Time{}, "Pick a date."
	}
	if t = workdayStart(t, loc); !t.After(now) {
		return time.Time{}, "Pick a date in the future."
	}
	return t, ""
}
