package bot

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
)

// respond queues a private answer to user, as Bolt's respond does: through
// the response_url Slack sent with the command, shortcut or click when
// there is one, which reaches the user even where Baton is not a member.
// The outbox falls back to chat.postEphemeral, then to a DM, so the answer
// someone is waiting for is never dropped.
func (a *App) respond(responseURL, channel, user, text string) error {
	if channel == "" {
		channel = user
	}
	m := newMessage(KindEphemeral, blocks.Text(text))
	m.Channel, m.User, m.ResponseURL = channel, user, responseURL
	now := a.clock.Now()
	return a.enqueue("ephemeral", outgoing{Key: fmt.Sprintf("ephemeral/%s/%d/%d", user, now.UnixNano(), a.seq.Add(1)), Msg: m})
}

// responseClient posts to response URLs; they are Slack's (hooks.slack.com),
// not the Web API, so they get a client of their own with a deadline.
var responseClient = &http.Client{Timeout: 10 * time.Second}

// channelUnreachable are chat.postEphemeral errors that mean the channel cannot
// carry the answer (Baton is not in it, it is gone or archived): the DM can.
var channelUnreachable = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "user_not_in_channel": true,
	"is_archived": true, "channel_is_archived": true, "restricted_action": true,
}

// sendEphemeral delivers a private answer: response_url first (valid for
// 30 minutes, 5 uses), then chat.postEphemeral, then a DM when the channel
// cannot be reached. Errors other than those are returned for the outbox
// to retry as usual.
func (o *Outbox) sendEphemeral(ctx context.Context, m Message, opts []slack.MsgOption) error {
	if m.ResponseURL != "" {
		msg := &slack.WebhookMessage{ResponseType: "ephemeral", Text: m.Text}
		if len(m.Blocks) > 0 {
			var bs slack.Blocks
			if err := json.Unmarshal(m.Blocks, &bs); err != nil {
				return fmt.Errorf("decode blocks: %w", err)
			}
			msg.Blocks = &bs
		}
		refusal, err := postResponse(ctx, m.ResponseURL, msg)
		if err != nil {
			// A 5xx, a 429 or a timeout: the answer may have landed, or
			// not. Trying chat.postEphemeral now would show it twice if it
			// did; the outbox retries the response_url instead, until it
			// answers or refuses (it expires after 30 minutes).
			return fmt.Errorf("response_url: %w", err)
		}
		if refusal == "" {
			return nil
		}
		// Expired, used up, or no longer wanted: Slack will never take
		// it there, and the Web API may still get through.
		o.log.Warn("response_url refused the answer; trying chat.postEphemeral", "user", m.User, "channel", m.Channel, "refusal", refusal)
	}
	_, err := o.api.PostEphemeralContext(ctx, m.Channel, m.User, opts...)
	if err == nil {
		return nil
	}
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || !channelUnreachable[se.Err] {
		return fmt.Errorf("chat.postEphemeral to %s in %s: %w", m.User, m.Channel, err)
	}
	o.log.Info("cannot answer in the channel; sending the answer as a DM", "user", m.User, "channel", m.Channel, "err", se.Err)
	dm, err := o.dmChannel(ctx, m.User)
	if err != nil {
		return err
	}
	if _, _, err := o.api.PostMessageContext(ctx, dm, opts...); err != nil {
		return fmt.Errorf("chat.postMessage to %s: %w", dm, err)
	}
	return nil
}

// postResponse posts msg to a response_url. Slack refuses one for good with
// a 4xx and a word in the body (expired_url, used_url, no_active_hooks,
// invalid_blocks): that is returned as refusal. A 5xx, a 429 or a network
// failure is returned as err, as slack-go's Web API errors are, so the
// outbox retries it like any Slack outage.
func postResponse(ctx context.Context, url string, msg *slack.WebhookMessage) (refusal string, err error) {
	raw, err := json.Marshal(msg)
	if err != nil {
		return "", fmt.Errorf("encode answer: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return "bad response_url", nil // it will not get better on a retry
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := responseClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		// Usually "ok"; a refusal can also come as {"ok":false,"error":…}.
		var r struct {
			OK    *bool  `json:"ok"`
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &r) == nil && r.OK != nil && !*r.OK {
			return cmp.Or(r.Error, "refused"), nil
		}
		return "", nil
	case code == http.StatusTooManyRequests:
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil {
			return "", &slack.RateLimitedError{RetryAfter: time.Duration(secs) * time.Second}
		}
		return "", slack.StatusCodeError{Code: code, Status: resp.Status}
	case code >= 400 && code < 500:
		if word := strings.TrimSpace(string(body)); word != "" && len(word) < 64 {
			return word, nil
		}
		return resp.Status, nil
	default:
		return "", slack.StatusCodeError{Code: code, Status: resp.Status}
	}
}

// noTextToPropose answers a shortcut used on a message with no text (only
// a file, an image or an attachment): nothing went wrong, there is just
// nothing to propose.
func noTextToPropose(slash string) string {
	return fmt.Sprintf("That message has no text I can propose (only a file, image or attachment). Use the shortcut on a message that says what to decide, or type `%s <the decision>`.", slash)
}
