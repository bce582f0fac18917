package slackfake_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/slack-go/slack"
)

func meta(key string) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "baton_message", EventPayload: map[string]any{"key": key}})
}

// TestHistoryKeepsMetadata: conversations.history returns top-level
// messages newest first, in pages, with metadata only when asked for;
// conversations.replies returns a thread's metadata too.
func TestHistoryKeepsMetadata(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)
	var first string
	for i, key := range []string{"a", "b", "c"} {
		_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText(key, false), meta(key))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = ts
		}
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(first), meta("r")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C2", slack.MsgOptionText("elsewhere", false), meta("x")); err != nil {
		t.Fatal(err)
	}
	resp, err := api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Messages) != 2 || resp.Messages[0].Text != "c" || resp.Messages[1].Text != "b" || !resp.HasMore {
		t.Fatalf("first page = %+v, has_more %v", resp.Messages, resp.HasMore)
	}
	if k := resp.Messages[0].Metadata.EventPayload["key"]; k != "c" {
		t.Errorf("metadata key = %v, want c", k)
	}
	resp, err = api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2, Cursor: resp.ResponseMetaData.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Messages) != 1 || resp.Messages[0].Text != "a" || resp.HasMore {
		t.Fatalf("second page = %+v (thread replies belong to conversations.replies)", resp.Messages)
	}
	if resp.Messages[0].Metadata.EventType != "" {
		t.Errorf("metadata returned without include_all_metadata")
	}
	msgs, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: first, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].Metadata.EventPayload["key"] != "r" {
		t.Errorf("replies = %+v", msgs)
	}
	if posts := fake.Posts(); string(posts[0].Metadata) == "" {
		t.Error("Post.Metadata not recorded")
	}
}

// TestLostAnswerAndOutage: LoseNextAnswer posts but answers with an error;
// SetDown answers 503 to everything until lifted.
func TestLostAnswerAndOutage(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)
	fake.LoseNextAnswer("chat.postMessage", http.StatusBadGateway, 1)
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("landed", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusBadGateway {
		t.Fatalf("err = %v, want a 502", err)
	}
	if n := len(fake.Posts()); n != 1 {
		t.Fatalf("%d posts, want the message posted despite the lost answer", n)
	}
	fake.SetDown(true)
	if _, err := api.AuthTestContext(ctx); !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Fatalf("auth.test while down: %v", err)
	}
	fake.SetDown(false)
	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatalf("auth.test after the outage: %v", err)
	}
	if n := fake.Calls("auth.test"); n != 2 {
		t.Errorf("%d auth.test calls counted, want 2", n)
	}
}
