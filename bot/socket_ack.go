package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/baton-app/baton/bot/blocks"
)

// ack queues the acknowledgement. During a reconnect it waits briefly for
// room in slack-go's queue; once ctx is done the connection is gone and
// there is nothing to wait for.
func (s *socketRunner) ack(ctx context.Context, envelopeID string, payload any) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), socketAckTimeout)
	defer cancel()
	if ctx.Err() != nil {
		var c context.CancelFunc
		actx, c = context.WithTimeout(actx, 10*time.Millisecond)
		defer c()
	}
	if err := s.client.AckCtx(actx, envelopeID, payload); err != nil {
		s.log.Warn("socket mode ack not sent; Slack will redeliver", "envelope_id", envelopeID, "err", err)
		return
	}
	s.log.Debug("envelope acked", "envelope_id", envelopeID)
}

// commandPayload is CommandResponse(r) as JSON, cut to fit an ack: blocks
// from the end give way to a note, then the text is shortened.
func (s *socketRunner) commandPayload(envelopeID string, r Reply) json.RawMessage {
	if raw, ok := ackFits(envelopeID, CommandResponse(r)); ok {
		return raw
	}
	m := blocks.Fit(blocks.Message{Text: r.Text, Blocks: r.Blocks})
	for n := len(m.Blocks); n >= 0; n-- {
		bs := slices.Clone(m.Blocks[:n])
		if n < len(m.Blocks) {
			bs = append(bs, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
				fmt.Sprintf("…%d more not shown: too long for one reply", len(m.Blocks)-n), false, false)))
		}
		if raw, ok := ackFits(envelopeID, CommandResponse(Reply{Text: m.Text, Blocks: bs})); ok {
			s.log.Warn("slash command reply cut to fit Socket Mode's 20 KB ack", "envelope_id", envelopeID, "blocks", len(r.Blocks), "kept", n)
			return raw
		}
	}
	text := []rune(m.Text)
	for len(text) > 1 {
		text = text[:len(text)/2]
		if raw, ok := ackFits(envelopeID, CommandResponse(Reply{Text: blocks.Truncate(string(text), len(text))})); ok {
			s.log.Warn("slash command reply cut to fit Socket Mode's 20 KB ack", "envelope_id", envelopeID, "text", len(text))
			return raw
		}
	}
	raw, _ := ackFits(envelopeID, CommandResponse(Reply{Text: "That answer is too long to show here."}))
	return raw
}

// payload is v as JSON when it fits an ack; otherwise the ack goes
// without it, which Slack takes as "done".
func (s *socketRunner) payload(envelopeID string, v any) json.RawMessage {
	raw, ok := ackFits(envelopeID, v)
	if !ok {
		s.log.Error("socket mode response payload too large; acking without it", "envelope_id", envelopeID, "bytes", len(raw))
		return nil
	}
	return raw
}

// ackFits marshals v and reports whether the ack carrying it stays under
// maxAckBytes, measured exactly as slack-go measures it.
func ackFits(envelopeID string, v any) (json.RawMessage, bool) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	whole, err := json.Marshal(socketmode.Response{EnvelopeID: envelopeID, Payload: json.RawMessage(raw)})
	if err != nil {
		return nil, false
	}
	return raw, len(whole) <= maxAckBytes
}

// recentAcks remembers the acks of the last envelopes handled, so that a
// command or interaction Slack delivers twice (it resends an envelope whose
// ack it missed, e.g. across a reconnect) is answered, not run, again.
type recentAcks struct {
	mu    sync.Mutex
	acks  map[string]*recentAck
	order []string // ring of ids, oldest replaced first
	next  int
}

type recentAck struct {
	done    bool
	payload json.RawMessage
}

func newRecentAcks(n int) *recentAcks {
	return &recentAcks{acks: make(map[string]*recentAck, n), order: make([]string, n)}
}

// begin records id as in flight, or returns what is known of it.
func (r *recentAcks) begin(id string) (recentAck, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.acks[id]; ok {
		return *a, true
	}
	if old := r.order[r.next]; old != "" {
		delete(r.acks, old)
	}
	r.order[r.next] = id
	r.next = (r.next + 1) % len(r.order)
	r.acks[id] = &recentAck{}
	return recentAck{}, false
}

// finish records the ack sent for id.
func (r *recentAcks) finish(id string, payload json.RawMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.acks[id]; ok {
		a.done, a.payload = true, payload
	}
}

// forget drops id, so a redelivery is handled afresh.
func (r *recentAcks) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.acks, id)
}
