package bot_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-app/baton/slackfake"
)

// TestReplayedCommandActsOnce sends one signed slash command three times,
// the third after a restart, all within Slack's 5-minute window: one
// decision is created, and the copies are answered without acting.
func TestReplayedCommandActsOnce(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	body := render(t, "slash_command.tmpl", slashCommand{
		TeamID: slackfake.TeamID, AppID: slackfake.AppID, Channel: chProduct, ChannelName: "product",
		User: tom, UserName: "tom", Command: "/decide", Text: "Launch the beta in March #product",
		ResponseURL: e.fake.ResponseURLFor(chProduct, tom), TriggerID: "1337.42.replay",
	})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", sign(e.secret, ts, body))
	send := func() response {
		t.Helper()
		resp := e.send("/slack/commands", "application/x-www-form-urlencoded", body, h)
		if resp.Status != http.StatusOK {
			t.Fatalf("signed command: %s", resp)
		}
		return resp
	}
	first := send()
	if !strings.Contains(string(first.Body), "D-1") {
		t.Fatalf("the first copy did not propose D-1: %s", first)
	}
	before := e.counts()
	second := send()
	e.restart()
	third := send()
	for i, resp := range []response{second, third} {
		if !strings.Contains(string(resp.Body), "already handled") || strings.Contains(string(resp.Body), "D-2") {
			t.Errorf("copy %d answered %s, want an ephemeral \"already handled\"", i+2, resp)
		}
	}
	e.unchanged("two replays of a command", before)
	if n, err := e.st.Count(); err != nil || n != 1 {
		t.Errorf("%d decisions (err %v) after three copies of one command, want 1", n, err)
	}
	// The same text sent again by Slack as a new request (new timestamp,
	// new signature) is a new proposal, not a replay.
	later := strconv.FormatInt(time.Now().Unix()+1, 10)
	h.Set("X-Slack-Request-Timestamp", later)
	h.Set("X-Slack-Signature", sign(e.secret, later, body))
	if resp := send(); !strings.Contains(string(resp.Body), "D-2") {
		t.Errorf("a freshly signed request was refused: %s", resp)
	}
}

// TestReplayedButtonActsOnce replays a signed Approve click: the decision
// is approved once, and the copy changes nothing.
func TestReplayedButtonActsOnce(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	e.command(tom, chProduct, "Launch the beta in March #product")
	e.flush()
	dms := where(e.fake.Posts(), dmTo(ravi))
	if len(dms) == 0 {
		t.Fatal("no DM to the decider")
	}
	dm := dms[len(dms)-1]
	value, text, _ := findButton(dm.Blocks, "approve")
	payload := render(t, "block_actions.json.tmpl", click{
		TeamID: slackfake.TeamID, AppID: slackfake.AppID, User: ravi, UserName: "ravi", Channel: dm.Channel,
		MessageTS: dm.TS, MessageText: dm.Text, MessageBlocks: string(dm.Blocks),
		TriggerID: "trigger-replay", ActionID: "approve", ButtonText: text, Value: value,
	})
	body := []byte(url.Values{"payload": {string(payload)}}.Encode())
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", sign(e.secret, ts, body))
	if resp := e.send("/slack/interactions", "application/x-www-form-urlencoded", body, h); resp.Status != http.StatusOK {
		t.Fatalf("signed click: %s", resp)
	}
	e.flush()
	opened := e.fake.Calls("views.open")
	before := e.counts()
	if resp := e.send("/slack/interactions", "application/x-www-form-urlencoded", body, h); resp.Status != http.StatusOK {
		t.Fatalf("replayed click: %s, want 200 so Slack shows no error", resp)
	}
	e.unchanged("a replayed click", before)
	if got := e.fake.Calls("views.open"); got != opened {
		t.Errorf("the replayed click opened %d more modals", got-opened)
	}
}

// TestReplayWithRecasedSignatureActsOnce replays a captured command with
// the signature's hex in upper case, then in mixed case: both verify (hex
// decoding ignores case), and both are still the same request.
func TestReplayWithRecasedSignatureActsOnce(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	body := render(t, "slash_command.tmpl", slashCommand{
		TeamID: slackfake.TeamID, AppID: slackfake.AppID, Channel: chProduct, ChannelName: "product",
		User: tom, UserName: "tom", Command: "/decide", Text: "Launch the beta in March #product",
		ResponseURL: e.fake.ResponseURLFor(chProduct, tom), TriggerID: "1337.42.recased",
	})
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := sign(e.secret, ts, body)
	hexSig := strings.TrimPrefix(sig, "v0=")
	variants := []string{sig, "v0=" + strings.ToUpper(hexSig), "v0=" + strings.ToUpper(hexSig[:10]) + hexSig[10:]}
	for i, s := range variants {
		h := http.Header{}
		h.Set("X-Slack-Request-Timestamp", ts)
		h.Set("X-Slack-Signature", s)
		resp := e.send("/slack/commands", "application/x-www-form-urlencoded", body, h)
		if resp.Status != http.StatusOK {
			t.Fatalf("copy %d: %s", i+1, resp)
		}
		if i > 0 && !strings.Contains(string(resp.Body), "already handled") {
			t.Errorf("copy %d (signature %q…) answered %s, want \"already handled\"", i+1, s[:14], resp)
		}
	}
	if n, err := e.st.Count(); err != nil || n != 1 {
		t.Errorf("%d decisions (err %v) from one captured command, want 1", n, err)
	}
}
