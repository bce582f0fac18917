package bot_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/slackfake"
)

// pings finds what would notify people in Slack mrkdwn: a special mention
// (<!channel>, <!here>, <!everyone>, <!subteam^…>) or a bare @here,
// @channel or @everyone, which Slack also parses.
var pings = regexp.MustCompile(`<!|(?i)@(here|channel|everyone)\b`)

// dateToken is Baton's own date markup (blocks.Date), which pings nobody.
var dateToken = regexp.MustCompile(`<!date\^-?\d+\^\{date_short_pretty\}(?: \{time\})?\|[^<>]*>`)

func checkNoPings(t *testing.T, where string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		s = dateToken.ReplaceAllString(s, "")
		if loc := pings.FindStringIndex(s); loc != nil {
			lo, hi := max(loc[0]-40, 0), min(loc[1]+40, len(s))
			t.Errorf("%s would ping people: …%s…", where, s[lo:hi])
		}
	}
}

// TestUserTextNeverPings puts every way of pinging a crowd into a
// proposal, a rationale and advice, through a command and a mention, and
// checks every message Baton sends.
func TestUserTextNeverPings(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	const nasty = "<!channel> <!here> <!everyone> <!subteam^S0123ABC|@team> @here @channel @everyone <!date^1392734382^{date}|x>"

	r := e.command(tom, chProduct, "Launch the beta "+nasty+" #product\n"+nasty)
	checkNoPings(t, "the ack", r.all())
	e.command(jonas, chRandom, "advise D-1 "+nasty)
	e.event(e.mentionBody(mention{EventID: "Ev0PING", User: tom, Channel: chRandom, TS: "1764151200.000100",
		Text: "<@" + slackfake.BotUserID + "> Sunset the importer " + nasty + " #product"}), 0)
	e.flush()
	dm := where(e.fake.Posts(), dmTo(ravi))[0]
	modal := openModal(t, e, ravi, dm, "approve", "trigger-ping")
	if resp := e.submit(ravi, modal, rationale("fine "+nasty)); resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("approve: %s", resp)
	}
	r = e.command(stranger, chRandom, "show D-1")
	checkNoPings(t, "show", r.all())
	r = e.command(stranger, chRandom, "list all")
	checkNoPings(t, "list", r.all())
	r = e.command(stranger, chRandom, "who "+nasty)
	checkNoPings(t, "who", r.all())
	e.flush()

	posts := e.fake.Posts()
	if len(posts) < 9 {
		t.Fatalf("only %d posts: %v", len(posts), texts(posts))
	}
	for _, p := range posts {
		checkNoPings(t, p.Method+" to "+p.Channel+p.User, visible(p))
	}
	// The words are still there for people to read, just harmless.
	contains(t, "announcement", visible(where(posts, in(chProduct))[0]), "&lt;!channel&gt;")
}

// TestOversizedAndGarbageRequests: nothing Slack would not send gets past
// the handlers, and none of it changes anything.
func TestOversizedAndGarbageRequests(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	form := func(text string) []byte {
		return render(t, "slash_command.tmpl", slashCommand{TeamID: slackfake.TeamID, AppID: slackfake.AppID,
			Channel: chProduct, User: tom, Command: "/decide", Text: text})
	}
	base := len(form(""))
	cases := []struct {
		name, path, contentType string
		body                    []byte
		status                  int
	}{
		{"1 MiB + 1 command", "/slack/commands", "application/x-www-form-urlencoded", form(strings.Repeat("a", bot.MaxBody+1-base)), http.StatusRequestEntityTooLarge},
		{"1 MiB + 1 event", "/slack/events", "application/json", []byte(`{"type":"event_callback","pad":"` + strings.Repeat("a", bot.MaxBody) + `"}`), http.StatusRequestEntityTooLarge},
		{"1 MiB + 1 interaction", "/slack/interactions", "application/x-www-form-urlencoded", []byte("payload=" + strings.Repeat("a", bot.MaxBody)), http.StatusRequestEntityTooLarge},
		{"garbage JSON event", "/slack/events", "application/json", []byte(`{"type":"event_callback","event":{"type":"app_mention",`), http.StatusBadRequest},
		{"not JSON at all", "/slack/events", "application/json", []byte("\x00\xff garbage"), http.StatusBadRequest},
		{"garbage payload", "/slack/interactions", "application/x-www-form-urlencoded", []byte("payload=" + url.QueryEscape(`{"type":"block_actions","actions":[{`)), http.StatusBadRequest},
		{"no payload", "/slack/interactions", "application/x-www-form-urlencoded", []byte("foo=bar"), http.StatusBadRequest},
		{"bad form", "/slack/commands", "application/x-www-form-urlencoded", []byte("text=%zz&user_id=U1"), http.StatusBadRequest},
		{"command without user", "/slack/commands", "application/x-www-form-urlencoded", []byte("text=Launch+it&team_id=T0FAKE"), http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.counts()
			if resp := e.send(c.path, c.contentType, c.body, nil); resp.Status != c.status {
				t.Errorf("got %d %.200s, want %d", resp.Status, resp.Body, c.status)
			}
			e.unchanged(c.name, before)
		})
	}

	// Exactly 1 MiB is within the limit.
	body := form(strings.Repeat("a", bot.MaxBody-base))
	if len(body) != bot.MaxBody {
		t.Fatalf("test body is %d bytes", len(body))
	}
	if r := e.send("/slack/commands", "application/x-www-form-urlencoded", body, nil); r.Status != http.StatusOK {
		t.Errorf("a body of exactly MaxBody: %d %.200s", r.Status, r.Body)
	}
}

// TestHugeProposalFitsBlockKit: a 100 KB proposal is accepted, and every
// message about it stays within Block Kit limits (the fake refuses what
// Slack would refuse).
func TestHugeProposalFitsBlockKit(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	word := "pricing-strategy-ünïcödé-😀 "
	long := strings.Repeat(word, 100_000/len(word)+1)
	r := e.command(tom, chProduct, long+"#product\n"+long)
	contains(t, "ack", r.all(), "D-1")
	checkFits(t, e, "ack", r)
	e.command(tom, chProduct, long+" #product") // one 100 KB line: all title
	e.command(jonas, chRandom, "advise D-1 "+long)
	checkFits(t, e, "show", e.command(stranger, chRandom, "show D-1"))
	checkFits(t, e, "list", e.command(stranger, chRandom, "list all"))
	e.flush()
	dm := where(e.fake.Posts(), dmTo(ravi))[0]
	modal := openModal(t, e, ravi, dm, "approve", "trigger-huge")
	if resp := e.submit(ravi, modal, rationale(long[:1990])); resp.Status != http.StatusOK || len(resp.Body) != 0 {
		t.Fatalf("approve: %s", resp)
	}
	e.command(ravi, chRandom, "reject D-2 "+long)
	e.flush()
	if n := len(e.fake.Posts()); n < 8 {
		t.Errorf("only %d posts: %v", n, texts(e.fake.Posts()))
	}
	for _, rej := range e.fake.Rejections() {
		t.Errorf("Slack would refuse %s: %s %v", rej.Method, rej.Error, rej.Messages)
	}
	if n, _ := e.st.OutboxLen(); n != 0 {
		t.Errorf("%d messages never delivered", n)
	}
}

// checkFits posts a command's reply to the fake, which checks it as Slack
// would check an ephemeral message.
func checkFits(t *testing.T, e *e2e, what string, r reply) {
	t.Helper()
	var bs slack.Blocks
	raw, _ := json.Marshal(r.Blocks)
	if err := json.Unmarshal(raw, &bs); err != nil {
		t.Fatalf("%s: blocks: %v", what, err)
	}
	if _, err := e.api.PostEphemeralContext(e.ctx(), chRandom, tom, slack.MsgOptionText(r.Text, false), slack.MsgOptionBlocks(bs.BlockSet...)); err != nil {
		t.Errorf("%s: Slack would refuse the reply: %v %v", what, err, e.fake.Rejections())
	}
}

// TestForeignWorkspaceIgnored: with team_id and app_id configured, requests
// for another workspace or app, even correctly signed, change nothing.
func TestForeignWorkspaceIgnored(t *testing.T) {
	e := newE2E(t, e2eOptions{env: map[string]string{"SLACK_TEAM_ID": slackfake.TeamID, "SLACK_APP_ID": slackfake.AppID}})
	e.command(tom, chProduct, "Launch the public beta in March #product")
	e.flush()
	dm := where(e.fake.Posts(), dmTo(ravi))[0]

	for _, ids := range [][2]string{{"T0OTHER", slackfake.AppID}, {slackfake.TeamID, "A0OTHER"}} {
		team, app := ids[0], ids[1]
		before := e.counts()
		resp := e.commandAs(slashCommand{TeamID: team, AppID: app, Channel: chProduct, User: tom, Text: "Rename the product #product"})
		if resp.Status != http.StatusOK {
			t.Errorf("foreign command: %s", resp)
		}
		contains(t, "foreign command", string(resp.Body), "not installed")
		e.event(e.mentionBody(mention{TeamID: team, AppID: app, EventID: "Ev0FOREIGN" + team + app, User: tom, Channel: chRandom,
			TS: "1764151200.000100", Text: "<@" + slackfake.BotUserID + "> Rename the product #product"}), 0)
		c := click{TeamID: team, AppID: app, User: ravi, UserName: "ravi", Channel: dm.Channel, MessageTS: dm.TS,
			MessageText: dm.Text, MessageBlocks: string(dm.Blocks), TriggerID: "trigger-foreign", ActionID: "approve", ButtonText: "Approve", Value: "D-1"}
		e.interact(render(t, "block_actions.json.tmpl", c))
		e.unchanged("requests for "+team+"/"+app, before)
		if n := e.fake.Calls("views.open"); n != 0 {
			t.Errorf("a foreign click opened a modal")
		}
	}
}
