package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/slackfake"
)

func setup(t *testing.T, opts ...slackfake.Option) (*slackfake.Server, *slack.Client) {
	t.Helper()
	fake := slackfake.New(opts...)
	apiURL := fake.Start()
	t.Cleanup(fake.Close)
	fake.AddUser(slackfake.User{ID: "U1", Name: "alice", Email: "Alice@example.com", TZ: "Europe/Paris"})
	fake.AddUser(slackfake.User{ID: "U2", Name: "bob", Email: "bob@example.com"})
	fake.AddUser(slackfake.User{ID: "U3", Name: "carol", Email: "carol@example.com", Deleted: true})
	return fake, slack.New("xoxb-test", slack.OptionAPIURL(apiURL))
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func slackErrCode(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

func section(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func TestPostThreadAndUpdate(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)

	ch, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("D-1 proposed", false), slack.MsgOptionBlocks(section("*D-1* proposed")))
	if err != nil {
		t.Fatal(err)
	}
	if ch != "C1" || ts != "1700000000.000100" {
		t.Fatalf("post answered channel %q ts %q", ch, ts)
	}
	_, reply, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("thread reply", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	if reply != "1700000000.000200" {
		t.Fatalf("second ts = %q", reply)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("D-1 approved", false)); err != nil {
		t.Fatal(err)
	}

	posts := fake.Posts()
	if len(posts) != 3 {
		t.Fatalf("got %d posts, want 3", len(posts))
	}
	var blocks []map[string]any
	if err := json.Unmarshal(posts[0].Blocks, &blocks); err != nil || len(blocks) != 1 || blocks[0]["type"] != "section" {
		t.Fatalf("post blocks = %s (%v)", posts[0].Blocks, err)
	}
	if posts[1].ThreadTS != ts || posts[1].Text != "thread reply" {
		t.Errorf("reply post = %+v", posts[1])
	}
	up := posts[2]
	if up.Method != "chat.update" || up.TS != ts || up.Text != "D-1 approved" {
		t.Errorf("update post = %+v", up)
	}
	if up.Blocks == nil {
		t.Errorf("update without blocks dropped the message's blocks")
	}
	if _, ok := up.Raw["token"]; ok {
		t.Errorf("Raw holds the token")
	}

	_, _, _, err = api.UpdateMessageContext(ctx, "C1", "1.2", slack.MsgOptionText("x", false))
	if slackErrCode(err) != "message_not_found" {
		t.Errorf("update of unknown ts: err = %v, want message_not_found", err)
	}

	link, err := api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: "C1", Ts: reply})
	if err != nil || link != slackfake.TeamURL+"archives/C1/p1700000000000200?thread_ts="+ts+"&cid=C1" {
		t.Errorf("permalink = %q, %v", link, err)
	}
}

func TestEphemeralAndDM(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)

	c, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U1"}, ReturnIM: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "DU1" {
		t.Fatalf("DM channel = %q, want DU1", c.ID)
	}
	for user, want := range map[string]string{"U404": "user_not_found", "U3": "user_disabled", slackfake.BotUserID: "cannot_dm_bot"} {
		_, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{user}})
		if slackErrCode(err) != want {
			t.Errorf("conversations.open with %s: err = %v, want %s", user, err, want)
		}
	}
	if _, _, err := api.PostMessageContext(ctx, c.ID, slack.MsgOptionText("you decide D-1", false)); err != nil {
		t.Fatal(err)
	}
	ch, _, err := api.PostMessageContext(ctx, "U2", slack.MsgOptionText("to a user id", false))
	if err != nil || ch != "DU2" {
		t.Errorf("post to U2 landed in %q (%v), want DU2 as on Slack", ch, err)
	}
	ts, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("only you", false))
	if err != nil || ts == "" {
		t.Fatalf("ephemeral: ts %q, err %v", ts, err)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U404", slack.MsgOptionText("x", false)); slackErrCode(err) != "user_not_found" {
		t.Errorf("ephemeral to unknown user: %v", err)
	}
	posts := fake.Posts()
	last := posts[len(posts)-1]
	if last.Method != "chat.postEphemeral" || last.User != "U1" || last.Channel != "C1" || last.Text != "only you" {
		t.Errorf("ephemeral post = %+v", last)
	}
	if posts[0].Channel != "DU1" {
		t.Errorf("DM post channel = %q", posts[0].Channel)
	}
}

func TestUsersAndUsergroups(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)
	fake.AddUsergroup("S1", "U1", "U2")

	u, err := api.GetUserByEmailContext(ctx, "alice@EXAMPLE.com")
	if err != nil || u.ID != "U1" || u.Profile.Email != "Alice@example.com" || u.TZ != "Europe/Paris" {
		t.Fatalf("lookupByEmail = %+v, %v", u, err)
	}
	if _, err := api.GetUserByEmailContext(ctx, "nobody@example.com"); slackErrCode(err) != "users_not_found" {
		t.Errorf("unknown email: %v", err)
	}
	u, err = api.GetUserInfoContext(ctx, "U3")
	if err != nil || !u.Deleted || u.Name != "carol" {
		t.Errorf("users.info U3 = %+v, %v", u, err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U404"); slackErrCode(err) != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S1")
	if err != nil || strings.Join(members, ",") != "U1,U2" {
		t.Errorf("usergroup members = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S404"); slackErrCode(err) != "no_such_subteam" {
		t.Errorf("unknown usergroup: %v", err)
	}
	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.TeamID != "T0FAKE" || auth.UserID != "U0BATON" || auth.BotID != "B0BATON" {
		t.Errorf("auth.test = %+v, %v", auth, err)
	}
}

func TestViews(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)

	modal := slack.ModalViewRequest{
		Type:       slack.VTModal,
		Title:      slack.NewTextBlockObject(slack.PlainTextType, "Approve D-1", false, false),
		Submit:     slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false),
		CallbackID: "decide",
		Blocks:     slack.Blocks{BlockSet: []slack.Block{section("Why?")}},
	}
	resp, err := api.OpenViewContext(ctx, "trigger-1", modal)
	if err != nil {
		t.Fatal(err)
	}
	if resp.View.ID == "" || resp.View.Hash == "" || resp.View.CallbackID != "decide" {
		t.Fatalf("views.open answered %+v", resp.View)
	}
	modal.Title = slack.NewTextBlockObject(slack.PlainTextType, "Approved", false, false)
	upd, err := api.UpdateViewContext(ctx, modal, "", resp.View.Hash, resp.View.ID)
	if err != nil {
		t.Fatal(err)
	}
	if upd.View.ID != resp.View.ID || upd.View.Hash == resp.View.Hash {
		t.Errorf("views.update answered id %q hash %q", upd.View.ID, upd.View.Hash)
	}
	if _, err := api.UpdateViewContext(ctx, modal, "", resp.View.Hash, resp.View.ID); slackErrCode(err) != "hash_conflict" {
		t.Errorf("update with stale hash: %v", err)
	}
	if _, err := api.UpdateViewContext(ctx, modal, "", "", "V404"); slackErrCode(err) != "not_found" {
		t.Errorf("update of unknown view: %v", err)
	}
	modal.Title = slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("t", 25), false, false)
	if _, err := api.OpenViewContext(ctx, "trigger-2", modal); slackErrCode(err) != "invalid_arguments" {
		t.Errorf("modal title of 25 chars: %v", err)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{section("Waiting on you")}}}
	h1, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home})
	if err != nil {
		t.Fatal(err)
	}
	h2, err := api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: "U1", View: home})
	if err != nil || h2.View.ID != h1.View.ID {
		t.Errorf("republish: id %q vs %q, %v", h2.View.ID, h1.View.ID, err)
	}

	posts := fake.Posts()
	methods := make([]string, len(posts))
	for i, p := range posts {
		methods[i] = p.Method
	}
	if got := strings.Join(methods, " "); got != "views.open views.update views.publish views.publish" {
		t.Fatalf("posted %s", got)
	}
	if posts[2].User != "U1" || posts[2].ViewID != h1.View.ID || !strings.Contains(string(posts[2].Blocks), "Waiting on you") {
		t.Errorf("publish post = %+v", posts[2])
	}
	var v map[string]any
	if err := json.Unmarshal(posts[0].View, &v); err != nil || v["callback_id"] != "decide" {
		t.Errorf("views.open post view = %s", posts[0].View)
	}
}

func TestRateLimitAndFailures(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)

	fake.FailNext("chat.postMessage", http.StatusTooManyRequests, 2500*time.Millisecond, 1)
	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("err = %v, want *slack.RateLimitedError retry after 3s", err)
	}
	if len(fake.Posts()) != 0 {
		t.Fatalf("a rate-limited call was recorded as a post")
	}
	fake.FailNext("chat.postMessage", http.StatusServiceUnavailable, 0, 1)
	_, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != http.StatusServiceUnavailable {
		t.Fatalf("err = %v, want StatusCodeError 503", err)
	}
	fake.FailNextError("chat.postMessage", "channel_not_found", 1)
	if _, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); slackErrCode(err) != "channel_not_found" {
		t.Fatalf("err = %v, want channel_not_found", err)
	}
	if _, _, err = api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hi", false)); err != nil {
		t.Fatalf("after the failures ran out: %v", err)
	}
	if n := fake.Calls("chat.postMessage"); n != 4 {
		t.Errorf("Calls = %d, want 4", n)
	}
	if n := len(fake.Posts()); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
	if r := fake.Rejections(); len(r) != 0 {
		t.Errorf("injected failures were recorded as rejections: %+v", r)
	}
}

func TestBlockKitLimits(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)
	dividers := func(n int) []slack.Block {
		bs := make([]slack.Block, n)
		for i := range bs {
			bs[i] = slack.NewDividerBlock()
		}
		return bs
	}
	header := func(text string) slack.Block {
		return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, text, false, false))
	}
	cases := []struct {
		name   string
		blocks []slack.Block
		want   string // "" means accepted
	}{
		{"50 blocks", dividers(50), ""},
		{"51 blocks", dividers(51), "invalid_blocks"},
		{"section of 3000", []slack.Block{section(strings.Repeat("é", 3000))}, ""},
		{"section of 3001", []slack.Block{section(strings.Repeat("x", 3001))}, "invalid_blocks"},
		{"empty section text", []slack.Block{section("")}, "invalid_blocks"},
		{"header of 150", []slack.Block{header(strings.Repeat("h", 150))}, ""},
		{"header of 151", []slack.Block{header(strings.Repeat("h", 151))}, "invalid_blocks"},
		{"duplicate block_id", []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "a", false, false), nil, nil, slack.SectionBlockOptionBlockID("b")),
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "b", false, false), nil, nil, slack.SectionBlockOptionBlockID("b")),
		}, "invalid_blocks"},
		{"button text of 76", []slack.Block{slack.NewActionBlock("act",
			slack.NewButtonBlockElement("approve", "D-1", slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("b", 76), false, false)))}, "invalid_blocks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(fake.Posts())
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("fallback", false), slack.MsgOptionBlocks(tc.blocks...))
			if got := slackErrCode(err); got != tc.want || (tc.want == "" && err != nil) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if tc.want != "" && len(fake.Posts()) != before {
				t.Errorf("a refused message was recorded as a post")
			}
		})
	}
	rej := fake.Rejections()
	if len(rej) == 0 || !strings.Contains(strings.Join(rej[0].Messages, " "), "json-pointer:/blocks") {
		t.Errorf("rejections = %+v, want Slack-style messages", rej)
	}

	if _, _, err := api.PostMessageContext(ctx, "C1"); slackErrCode(err) != "no_text" {
		t.Errorf("post without text or blocks: %v", err)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionText("x", false)); slackErrCode(err) != "channel_not_found" {
		t.Errorf("post without channel: %v", err)
	}
	// Blocks that are not JSON never come from slack-go; post them by hand.
	resp, err := http.PostForm(strings.TrimSuffix(fake.Start(), "/")+"/chat.postMessage",
		url.Values{"token": {"xoxb-t"}, "channel": {"C1"}, "blocks": {`[{"type":"section"`}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"error":"invalid_blocks"`) {
		t.Errorf("malformed blocks answered %s", body)
	}
}

func TestAuthAndUnknownMethod(t *testing.T) {
	fake := slackfake.New(slackfake.WithBotToken("xoxb-right"))
	apiURL := fake.Start()
	t.Cleanup(fake.Close)
	ctx := ctxT(t)
	for token, want := range map[string]string{"": "not_authed", "xapp-1": "not_allowed_token_type", "xoxb-wrong": "invalid_auth"} {
		_, err := slack.New(token, slack.OptionAPIURL(apiURL)).AuthTestContext(ctx)
		if slackErrCode(err) != want {
			t.Errorf("token %q: err = %v, want %s", token, err, want)
		}
	}
	if _, err := slack.New("xoxb-right", slack.OptionAPIURL(apiURL)).AuthTestContext(ctx); err != nil {
		t.Errorf("right token: %v", err)
	}
	resp, err := http.PostForm(apiURL+"chat.frobnicate", url.Values{"token": {"xoxb-right"}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || got.OK || got.Error != "unknown_method" {
		t.Errorf("unknown method answered %+v, %v", got, err)
	}
}

func TestWait(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)

	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := fake.Wait(short, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait with no posts: err = %v", err)
	}

	errc := make(chan error, 1)
	go func() {
		_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("later", false))
		errc <- err
	}()
	posts, err := fake.Wait(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if posts[0].Text != "later" {
		t.Errorf("posts = %+v", posts)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestInProcessClientAndResponseURL(t *testing.T) {
	fake := slackfake.New() // never started: no socket at all
	fake.AddUser(slackfake.User{ID: "U1", Name: "alice"})
	var seen []slackfake.Post
	fake.OnPost(func(p slackfake.Post) { seen = append(seen, p) })
	api := slack.New("xoxb-shell", slack.OptionHTTPClient(fake.Client()), slack.OptionAPIURL("http://slack.fake/api/"))
	ctx := ctxT(t)

	if _, err := api.AuthTestContext(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hello", false)); err != nil {
		t.Fatal(err)
	}

	// slack-go answers a response_url through PostMessage with
	// MsgOptionResponseURL: a JSON POST with no token.
	ru := fake.ResponseURLFor("C1", "U1")
	if !strings.HasPrefix(ru, "http://slack.fake/response_url/") {
		t.Fatalf("response URL = %q", ru)
	}
	_, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(ru, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("D-1 proposed", false), slack.MsgOptionBlocks(section("*D-1*")))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(ru, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("x", false), slack.MsgOptionBlocks(section(strings.Repeat("x", 3001))))
	if slackErrCode(err) != "invalid_blocks" {
		t.Errorf("response_url with oversized section: %v", err)
	}

	if len(seen) != 2 {
		t.Fatalf("OnPost saw %d posts, want 2", len(seen))
	}
	p := seen[1]
	if p.Method != "response_url" || p.Channel != "C1" || p.User != "U1" || p.Text != "D-1 proposed" || p.Raw["response_type"] != "ephemeral" {
		t.Errorf("response_url post = %+v", p)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(p.Blocks, &blocks); err != nil || len(blocks) != 1 {
		t.Errorf("response_url blocks = %s", p.Blocks)
	}
}

func TestOnPostOrder(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)
	got := make(chan string, 20)
	fake.OnPost(func(p slackfake.Post) { got <- p.TS })

	errc := make(chan error, 10)
	for range 10 {
		go func() {
			_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
			errc <- err
		}()
	}
	for range 10 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	posts := fake.Posts()
	for i := range 10 {
		if ts := <-got; ts != posts[i].TS {
			t.Fatalf("callback %d saw ts %s, Posts has %s", i, ts, posts[i].TS)
		}
	}
}

func TestConversationsReplies(t *testing.T) {
	fake, api := setup(t)
	ctx := ctxT(t)
	fake.AddMessage("C1", "1690000000.000100", "U1", "Should we raise prices?")
	if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("Proposed as D-1", false), slack.MsgOptionTS("1690000000.000100")); err != nil {
		t.Fatal(err)
	}
	msgs, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: "1690000000.000100"})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Text != "Should we raise prices?" || msgs[0].User != "U1" || msgs[1].BotID != slackfake.BotID {
		t.Fatalf("replies = %+v", msgs)
	}
	if _, _, _, err := api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: "C1", Timestamp: "1.1"}); slackErrCode(err) != "thread_not_found" {
		t.Errorf("unknown thread: %v", err)
	}
	if err := api.AddReactionContext(ctx, "eyes", slack.NewRefToMessage("C1", "1690000000.000100")); err != nil {
		t.Errorf("reactions.add: %v", err)
	}
}
