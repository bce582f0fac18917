package bot

// What goes into the outbox: messages and tasks, and how App enqueues them.

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

// Message kinds the outbox knows how to deliver.
const (
	KindPost      = "post"      // chat.postMessage to Channel (in ThreadTS/ThreadRef if set)
	KindDM        = "dm"        // conversations.open with User, then chat.postMessage
	KindEphemeral = "ephemeral" // chat.postEphemeral to User in Channel
	KindUpdate    = "update"    // chat.update of the message saved under UpdateRef
	KindHome      = "home"      // views.publish of User's App Home
	KindTask      = "task"      // work that needs the Web API before it can propose (see Task)
)

// Message is one thing Baton will say in Slack. It is stored in the outbox
// as JSON until delivered, so it survives restarts.
type Message struct {
	Kind     string `json:"kind"`
	Channel  string `json:"channel,omitempty"`
	User     string `json:"user,omitempty"`
	ThreadTS string `json:"thread_ts,omitempty"`
	// ThreadRef names a saved message (e.g. "D-7/announce") to reply under.
	// If it is still waiting in the outbox this message waits for it; if it
	// was never sent (announce: false) this message goes to the channel.
	ThreadRef string `json:"thread_ref,omitempty"`
	// ThreadRoot, when ThreadRef is itself a reply in a thread, is that
	// thread's parent: Slack wants replies under the parent's ts.
	ThreadRoot string `json:"thread_root,omitempty"`
	// UpdateRef names a saved message to replace (KindUpdate).
	UpdateRef string `json:"update_ref,omitempty"`
	// SaveRef saves where this message landed under that name.
	SaveRef string `json:"save_ref,omitempty"`
	// ResponseURL, for KindEphemeral, is where Slack takes the answer first.
	ResponseURL string          `json:"response_url,omitempty"`
	Text        string          `json:"text"`
	Blocks      json.RawMessage `json:"blocks,omitempty"`
	View        json.RawMessage `json:"view,omitempty"`
	Task        *Task           `json:"task,omitempty"`
}

// Task is durable work that must call Slack before it can propose: an
// "@Baton" alone in a thread proposes the thread's parent message.
type Task struct {
	ProposeParent *ParentProposal `json:"propose_parent,omitempty"`
	// Resolve asks Slack again who owners given as emails and usergroups
	// are, after a user or usergroup change.
	Resolve bool `json:"resolve,omitempty"`
}

// ParentProposal asks to propose a thread's parent message.
type ParentProposal struct {
	Channel  string `json:"channel"`
	ThreadTS string `json:"thread_ts"`
	User     string `json:"user"`
	EventTS  string `json:"event_ts"`
	// Kind is how it was asked for: a mention (default) or a reaction.
	Kind decisions.SourceKind `json:"kind,omitempty"`
}

// outgoing pairs a message with its idempotency key.
type outgoing struct {
	Key string
	Msg Message
}

func newMessage(kind string, m blocks.Message) Message {
	raw, _ := blocks.MarshalBlocks(m.Blocks) // blocks are our own values; marshalling cannot fail
	if len(m.Blocks) == 0 {
		raw = nil
	}
	return Message{Kind: kind, Text: m.Text, Blocks: raw}
}

func encodeItems(now time.Time, out []outgoing) ([]store.OutboxItem, error) {
	items := make([]store.OutboxItem, 0, len(out))
	for _, o := range out {
		body, err := encodeMessage(o.Msg)
		if err != nil {
			return nil, fmt.Errorf("encode outbox message %s: %w", o.Key, err)
		}
		items = append(items, store.OutboxItem{Key: o.Key, Body: body, NotBefore: now, Enqueued: now})
	}
	return items, nil
}

// encodeMessage is json.Marshal(m) without re-reading the blocks and the
// view: they were encoded by newMessage (or the caller) already, and
// encoding/json would check and compact those bytes again, the largest part
// of each message.
func encodeMessage(m Message) ([]byte, error) {
	blocks, view := m.Blocks, m.View
	m.Blocks, m.View = nil, nil
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"blocks", blocks}, {"view", view}} {
		if len(f.raw) == 0 {
			continue
		}
		b = append(b[:len(b)-1], `,"`...) // drop the closing brace
		b = append(b, f.name...)
		b = append(b, `":`...)
		b = append(b, f.raw...)
		b = append(b, '}')
	}
	return b, nil
}

// enqueue stores messages for delivery on their own (outside a decision's
// transaction) and wakes the outbox. what names them in the error.
func (a *App) enqueue(what string, out ...outgoing) error {
	items, err := encodeItems(a.clock.Now(), out)
	if err != nil {
		return err
	}
	if err := a.store.Enqueue(items...); err != nil {
		return fmt.Errorf("queue %s: %w", what, err)
	}
	a.outbox.Kick()
	return nil
}
