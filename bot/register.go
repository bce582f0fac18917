package bot

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
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
