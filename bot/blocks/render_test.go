package blocks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/baton-app/baton/decisions"
	"github.com/slack-go/slack"
)

var (
	now = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	loc = time.FixedZone("CET", 3600)
)

// hostile is user text (its user mention stays live, as "<@U666>");
// hostileBaton is what a bug in Baton's own text could hold (Baton's
// mentions and links there are meant to be live).
const (
	hostile      = "<!channel> @here <!subteam^S1|x> <@U666|eve> <#C666|secret> <https://evil.example|click>"
	hostileBaton = "<!channel> @here <!subteam^S1|x> <rationale>"
)

// basic is an ordinary open decision.
func basic() decisions.Decision {
	return decisions.Decision{
		ID:        7,
		Title:     "Raise the Pro plan to $12",
		Details:   "Costs went up 8% & we're behind competitors.",
		Proposer:  "UPROPOSER",
		Source:    decisions.Source{Kind: decisions.SourceCommand, Channel: "C0PRICING"},
		Domain:    "product/pricing",
		Deciders:  []string{"UALICE", "UBOB"},
		Advisors:  []string{"UCAROL", "S0FINANCE"},
		Reason:    "#pricing tag matched domain product/pricing",
		Due:       time.Date(2026, 12, 1, 23, 59, 59, 0, loc),
		Status:    decisions.StatusOpen,
		CreatedAt: now.Add(-72 * time.Hour),
		UpdatedAt: now.Add(-time.Hour),
		History: []decisions.Event{
			{At: now.Add(-72 * time.Hour), Actor: "UPROPOSER", Kind: decisions.EventProposed, Note: "#pricing tag matched", Users: []string{"UALICE", "UBOB"}},
			{At: now.Add(-24 * time.Hour), Actor: decisions.SystemActor, Kind: decisions.EventReminded, Users: []string{"UALICE"}},
		},
		Advice: []decisions.Advice{{By: "UCAROL", Text: "Fine by finance", At: now.Add(-2 * time.Hour)}},
	}
}

// huge is a decision built to break every limit, full of text that would
// ping people if it were not escaped.
func huge() decisions.Decision {
	d := basic()
	d.Title = strings.Repeat(hostile+" é日🎉 & ", 100*1024/len(hostile+" é日🎉 & ")+1)
	d.Details = strings.Repeat("details <!here> & more\n", 10*1024/23+1)
	d.Reason = "matched " + hostile
	d.Rationale = strings.Repeat("because <!everyone> ", 1000)
	d.Deciders = nil
	for i := range 40 {
		d.Deciders = append(d.Deciders, fmt.Sprintf("UDEC%03d", i))
	}
	d.History = nil
	kinds := []decisions.EventKind{decisions.EventProposed, decisions.EventReminded, decisions.EventAdvised, decisions.EventReassigned, decisions.EventEscalated, decisions.EventAdviceRequested}
	for i := range 500 {
		d.History = append(d.History, decisions.Event{
			At: now.Add(time.Duration(i-500) * time.Hour), Actor: fmt.Sprintf("UACT%03d", i%7),
			Kind: kinds[i%len(kinds)], Note: strings.Repeat("note <!channel> ", 50), Users: d.Deciders,
		})
	}
	d.Advice = nil
	for i := range 200 {
		d.Advice = append(d.Advice, decisions.Advice{By: fmt.Sprintf("UADV%03d", i), Text: strings.Repeat("advice @here <@U1> ", 60), At: now})
	}
	return d
}

// encode marshals like Slack would receive it, but without Go's HTML
// escaping so "<" can be searched for.
func encode(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if bs, ok := v.([]slack.Block); ok {
		checkMarshalBlocks(t, bs, raw)
	}
	// Some slack-go types marshal themselves with HTML escaping; decode and
	// encode again so every "<" shows.
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return buf.String()
}

// allowedMarkup is the only "<…>" Baton emits: user and channel mentions,
// links, and its own date tokens (dateToken), which ping nobody.
var (
	angleRE       = regexp.MustCompile(`<[^<>]*>?`)
	dateTokenRE   = regexp.MustCompile(`<!date\^-?\d+\^\{date_short_pretty\}(?: \{time\})?\|[^<>]*>`)
	allowedMarkup = regexp.MustCompile(`^(<@[UW][A-Z0-9]+>|<#[CG][A-Z0-9]+(\|[^<>|]*)?>|<(https?://|mailto:)[^<>|\s]+(\|[^<>]*)?>)$`)
)

// checkSafe fails on any raw "<!", an unknown "<…>" token, a live @here, a
// user mention that kept its label, or a channel link or URL the test data
// only has inside user text.
func checkSafe(t *testing.T, name, s string) {
	t.Helper()
	s = dateTokenRE.ReplaceAllString(s, "")
	if strings.Contains(s, "<!") {
		t.Errorf("%s: raw <! in output", name)
	}
	for _, tok := range angleRE.FindAllString(s, -1) {
		if !allowedMarkup.MatchString(tok) {
			t.Errorf("%s: unexpected markup %q", name, tok)
			break
		}
	}
	if strings.Contains(s, "<@U666|") || strings.Contains(s, "<#C666") || strings.Contains(s, "<https://evil.example") {
		t.Errorf("%s: user-typed markup became live", name)
	}
	for _, w := range []string{"@here", "@channel", "@everyone"} {
		if strings.Contains(s, w) {
			t.Errorf("%s: %s would ping", name, w)
		}
	}
}

// checkLimits walks the JSON of blocks and checks Block Kit limits.
func checkLimits(t *testing.T, name string, bs []slack.Block, maxBlocks int) {
	t.Helper()
	if len(bs) == 0 {
		t.Errorf("%s: no blocks", name)
	}
	if len(bs) > maxBlocks {
		t.Errorf("%s: %d blocks, limit %d", name, len(bs), maxBlocks)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(encode(t, bs)), &raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	ids := map[string]bool{}
	for i, b := range raw {
		where := fmt.Sprintf("%s: block %d (%v)", name, i, b["type"])
		if id, _ := b["block_id"].(string); id != "" {
			if ids[id] {
				t.Errorf("%s: duplicate block_id %q", where, id)
			}
			ids[id] = true
		}
		switch b["type"] {
		case "header":
			checkText(t, where, b["text"], MaxHeaderText, "plain_text")
		case "section":
			if b["text"] == nil && b["fields"] == nil {
				t.Errorf("%s: empty section", where)
			}
			if b["text"] != nil {
				checkText(t, where, b["text"], MaxSectionText, "")
			}
			fs, _ := b["fields"].([]any)
			if len(fs) > MaxFields {
				t.Errorf("%s: %d fields", where, len(fs))
			}
			for _, f := range fs {
				checkText(t, where+" field", f, MaxFieldText, "")
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > MaxContextElements {
				t.Errorf("%s: %d elements", where, len(els))
			}
			for _, e := range els {
				checkText(t, where, e, MaxContextText, "")
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > MaxActionElements {
				t.Errorf("%s: %d elements", where, len(els))
			}
			for _, e := range els {
				checkText(t, where+" button", e.(map[string]any)["text"], MaxButtonText, "plain_text")
			}
		case "input":
			checkText(t, where+" label", b["label"], MaxInputLabel, "plain_text")
		case "divider":
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
}

func checkText(t *testing.T, where string, v any, max int, typ string) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: text object missing", where)
		return
	}
	s, _ := obj["text"].(string)
	if strings.TrimSpace(s) == "" {
		t.Errorf("%s: empty text", where)
	}
	if n := utf8.RuneCountInString(s); n > max {
		t.Errorf("%s: text has %d runes, limit %d", where, n, max)
	}
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8", where)
	}
	if typ != "" && obj["type"] != typ {
		t.Errorf("%s: type %v, want %s", where, obj["type"], typ)
	}
}

func checkMessage(t *testing.T, name string, m Message) {
	t.Helper()
	checkLimits(t, name, m.Blocks, MaxBlocks)
	if n := utf8.RuneCountInString(m.Text); n == 0 || n > MaxTextFallback {
		t.Errorf("%s: fallback text has %d runes", name, n)
	}
	checkSafe(t, name, m.Text+encode(t, m.Blocks))
	// Slack rejects blocks whose text adds up to about 12000 characters.
	if n := totalText(t, m.Blocks); n > MaxMessageText {
		t.Errorf("%s: %d characters of text in blocks", name, n)
	}
}

func renderers(d decisions.Decision) map[string]Message {
	closed := d
	closed.Status, closed.DecidedBy, closed.DecidedAt = decisions.StatusApproved, "UALICE", now
	return map[string]Message{
		"DeciderDM":        DeciderDM(d, "you own "+Escape(d.Domain), now, loc),
		"DeciderDM/reason": DeciderDM(d, d.Reason, now, loc),
		"Reminder":         Reminder(d, "it is overdue "+hostileBaton, loc),
		"Escalated":        Escalated(d, []string{"UOLD1", "UOLD2"}, "no answer in 3d "+hostileBaton, loc),
		"EscalationNotice": EscalationNotice(d, []string{"UBOSS"}, "SLA passed "+hostileBaton),
		"AdvisorNotice":    AdvisorNotice(d),
		"Announcement":     Announcement(d, loc),
		"Announcement/out": Announcement(closed, loc),
		"Outcome":          Outcome(closed),
		"Resolved":         Resolved(closed, loc),
		"Resolved/open":    Resolved(d, loc),
		"Ack":              Ack(d, loc),
		"Show":             Show(d, loc),
		"Show/closed":      Show(closed, loc),
		"List":             List("Open decisions "+hostile, []decisions.Decision{d, closed}, now, loc),
		"Text":             Text(strings.Repeat("line of Baton text with <@U1> and "+hostileBaton+"\n", 5000)),
	}
}

func TestRenderersWithinLimits(t *testing.T) {
	for name, d := range map[string]decisions.Decision{"basic": basic(), "huge": huge()} {
		for r, m := range renderers(d) {
			checkMessage(t, name+"/"+r, m)
		}
	}
}

func TestHostileTitleNeverPings(t *testing.T) {
	d := basic()
	d.Title = "<!channel> @here <!subteam^S1|x>"
	d.Details = "<@U666> <!everyone>"
	for r, m := range renderers(d) {
		all := m.Text + encode(t, m.Blocks)
		checkSafe(t, r, all)
		// Baton's own mentions are still live.
		if r != "Text" && r != "List" && !strings.Contains(all, "<@U") {
			t.Errorf("%s: Baton's own mentions are missing", r)
		}
	}
	modal := DecideModal(d, decisions.VerbApprove, "meta")
	checkSafe(t, "DecideModal", encode(t, modal))
	home := HomeView([]decisions.Decision{d}, []decisions.Decision{d}, []decisions.Decision{d}, now, loc)
	checkSafe(t, "HomeView", encode(t, home))
}

// TestTitleMentionIsLive: a mention in user text, as Slack sends it, shows
// as a mention wherever the title is rendered in mrkdwn, not as markup.
func TestTitleMentionIsLive(t *testing.T) {
	d := basic()
	d.Title = "ask <@U01MAYA01|maya> about pricing <!here>"
	for r, m := range renderers(d) {
		if r == "Text" || r == "EscalationNotice" || r == "Outcome" {
			continue // no title, or a closed one only
		}
		all := m.Text + encode(t, m.Blocks)
		checkSafe(t, r, all)
		if !strings.Contains(all, "ask <@U01MAYA01> about pricing &lt;!here&gt;") {
			t.Errorf("%s: the title's mention is not live: %s", r, all)
		}
		if strings.Contains(all, "&lt;@U01MAYA01") || strings.Contains(all, "|maya") || strings.Contains(all, "‹@") {
			t.Errorf("%s: the title's mention shows as markup", r)
		}
	}
	// Plain-text headers cannot show a mention; they name the person.
	if js := encode(t, Show(d, loc).Blocks); !strings.Contains(js, `"text":"D-7: ask @maya about pricing ‹!here›"`) {
		t.Errorf("Show header: %s", js)
	}
	if got := plain("<@U1|here> <@W2> <@U3| >"); got != "@\u2060here @W2 @U3" {
		t.Errorf("plain = %q", got)
	}
}

func TestDeciderDMContent(t *testing.T) {
	m := DeciderDM(basic(), "you own product/pricing", now, loc)
	js := encode(t, m.Blocks)
	for _, frag := range []string{
		"D-7: Raise the Pro plan to $12", // header
		"Costs went up 8% &amp; we're behind competitors.",
		"<@UPROPOSER>", "`product/pricing`", "<@UALICE>, <@UBOB>",
		"Tue 1 Dec 2026", "overdue* by 1d 11h",
		"you own product/pricing", "#pricing tag matched domain product/pricing",
		"Fine by finance", "S0FINANCE",
	} {
		if !strings.Contains(js, frag) {
			t.Errorf("DeciderDM lacks %q", frag)
		}
	}
	if !strings.Contains(m.Text, "D-7") {
		t.Errorf("fallback %q lacks the id", m.Text)
	}
	checkButtons(t, "DeciderDM", m.Blocks, BlockIDDecision, []string{ActionApprove, ActionReject, ActionDefer, ActionAdvice, ActionReassign, ActionNotMine})
	checkButtons(t, "Reminder", Reminder(basic(), "", loc).Blocks, BlockIDDecision, []string{ActionApprove, ActionReject, ActionDefer, ActionAdvice, ActionReassign, ActionNotMine})
	checkButtons(t, "Escalated", Escalated(basic(), nil, "", loc).Blocks, BlockIDDecision, []string{ActionApprove, ActionReject, ActionDefer, ActionAdvice, ActionReassign, ActionNotMine})

	// The huge decision still has its buttons.
	checkButtons(t, "huge DeciderDM", DeciderDM(huge(), "", now, loc).Blocks, BlockIDDecision, []string{ActionApprove, ActionReject, ActionDefer, ActionAdvice, ActionReassign, ActionNotMine})
	checkButtons(t, "huge Escalated", Escalated(huge(), nil, "", loc).Blocks, BlockIDDecision, []string{ActionApprove, ActionReject, ActionDefer, ActionAdvice, ActionReassign, ActionNotMine})

	deferred := basic()
	deferred.Status = decisions.StatusDeferred
	checkButtons(t, "deferred", DeciderDM(deferred, "", now, loc).Blocks, BlockIDDecision, []string{ActionApprove, ActionReject, ActionAdvice, ActionReassign, ActionNotMine})

	closed := basic()
	closed.Status = decisions.StatusApproved
	if a := findActions(DeciderDM(closed, "", now, loc).Blocks); len(a) != 0 {
		t.Errorf("closed decision has buttons")
	}
	if a := findActions(Resolved(closed, loc).Blocks); len(a) != 0 {
		t.Errorf("Resolved has buttons")
	}
}

func findActions(bs []slack.Block) []*slack.ActionBlock {
	var out []*slack.ActionBlock
	for _, b := range bs {
		if a, ok := b.(*slack.ActionBlock); ok {
			out = append(out, a)
		}
	}
	return out
}

func checkButtons(t *testing.T, name string, bs []slack.Block, blockID string, want []string) {
	t.Helper()
	acts := findActions(bs)
	if len(acts) != 1 {
		t.Fatalf("%s: %d actions blocks", name, len(acts))
	}
	if acts[0].BlockID != blockID {
		t.Errorf("%s: block id %q", name, acts[0].BlockID)
	}
	var got []string
	for _, e := range acts[0].Elements.ElementSet {
		btn := e.(*slack.ButtonBlockElement)
		got = append(got, btn.ActionID)
		if btn.Value != "D-7" {
			t.Errorf("%s: %s carries %q", name, btn.ActionID, btn.Value)
		}
		switch btn.ActionID {
		case ActionApprove:
			if btn.Style != slack.StylePrimary {
				t.Errorf("%s: approve is not primary", name)
			}
		case ActionReject:
			if btn.Style != slack.StyleDanger {
				t.Errorf("%s: reject is not danger", name)
			}
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s: buttons %v, want %v", name, got, want)
	}
}

func TestOutcomeAndAnnouncement(t *testing.T) {
	d := basic()
	d.Status, d.DecidedBy, d.DecidedAt, d.Rationale = decisions.StatusApproved, "UALICE", now, "Margins matter"
	m := Outcome(d)
	for _, frag := range []string{"D-7 approved by <@UALICE>", "Raise the Pro plan", "Margins matter"} {
		if !strings.Contains(m.Text, frag) {
			t.Errorf("Outcome text %q lacks %q", m.Text, frag)
		}
	}
	a := Announcement(basic(), loc)
	if !strings.Contains(a.Text, "D-7 proposed by <@UPROPOSER>") || !strings.Contains(a.Text, "decided by <@UALICE>, <@UBOB>") {
		t.Errorf("Announcement text %q", a.Text)
	}
	def := basic()
	def.Status, def.DeferredUntil = decisions.StatusDeferred, time.Date(2027, 1, 4, 0, 0, 0, 0, loc)
	def.History = append(def.History, decisions.Event{At: now, Actor: "UBOB", Kind: decisions.EventDeferred})
	if m := Outcome(def); !strings.Contains(m.Text, "deferred by <@UBOB>") {
		t.Errorf("deferred Outcome %q", m.Text)
	}
	re := basic()
	re.History = append(re.History, decisions.Event{At: now, Actor: "UALICE", Kind: decisions.EventReassigned, Users: []string{"UDAN"}})
	if js := encode(t, Resolved(re, loc).Blocks); !strings.Contains(js, "Reassigned* to <@UDAN> by <@UALICE>") {
		t.Errorf("Resolved after reassignment: %s", js)
	}
	if m := AdvisorNoticeFor(basic(), "/dec"); !strings.Contains(encode(t, m.Blocks), "`/dec advise D-7 &lt;your advice&gt;`") {
		t.Errorf("AdvisorNotice lacks the reply command")
	}
}

func TestShowHistoryKeepsNewest(t *testing.T) {
	d := huge()
	d.History[len(d.History)-1].Kind = decisions.EventApproved
	d.History[len(d.History)-1].Note = "LAST-EVENT"
	d.History[0].Note = "FIRST-EVENT"
	js := encode(t, Show(d, loc).Blocks)
	if !strings.Contains(js, "LAST-EVENT") {
		t.Errorf("Show dropped the newest event")
	}
	if strings.Contains(js, "FIRST-EVENT") {
		t.Errorf("Show kept the oldest event of 500")
	}
	if !strings.Contains(js, "earlier events not shown") {
		t.Errorf("Show does not say events were left out")
	}
}

func TestList(t *testing.T) {
	var ds []decisions.Decision
	for i := range 77 {
		d := basic()
		d.ID = decisions.ID(i + 1)
		ds = append(ds, d)
	}
	m := List("Open decisions", ds, now, loc)
	checkMessage(t, "List", m)
	js := encode(t, m.Blocks)
	if !strings.Contains(js, "…and 37 more") {
		t.Errorf("List does not summarise the overflow")
	}
	if !strings.Contains(js, ":warning: *overdue*") {
		t.Errorf("List does not flag overdue decisions")
	}
	if !strings.Contains(m.Text, "77 overdue") {
		t.Errorf("List text %q", m.Text)
	}
	empty := List("Mine", nil, now, loc)
	checkMessage(t, "empty List", empty)

	// Many huge decisions still fit.
	ds = nil
	for i := range 300 {
		d := huge()
		d.ID = decisions.ID(i + 1)
		ds = append(ds, d)
	}
	checkMessage(t, "huge List", List("All", ds, now, loc))
}

func TestRights(t *testing.T) {
	doms := []decisions.Domain{
		{Name: "product", Owners: []string{"UCPO"}, SLA: 7 * 24 * time.Hour},
		{Name: "product/pricing", Description: "Prices & plans", Owners: []string{"UALICE", "S0PRICING", "bob@example.com"},
			Advisors: []string{"UCAROL"}, Informed: []string{"C0PRICING"}, Aliases: []string{"price"}, Keywords: []string{"discount"},
			Channels: []string{"C0SALES"}, SLA: 76 * time.Hour, Assign: decisions.AssignRoundRobin, Announce: true, RequireAdvice: true},
		{Name: "hiring", Owners: []string{"UHR"}, Announce: true},
	}
	m := Rights(doms, "")
	checkMessage(t, "Rights", m)
	js := encode(t, m.Blocks)
	for _, frag := range []string{"`product/pricing`", "<@UALICE>, S0PRICING, bob@example.com", "one owner, in turn", "3d 4h",
		"<#C0PRICING>", "`#price`", "“discount”", "Escalates to:* `product`", "advice required", "Prices &amp; plans"} {
		if !strings.Contains(js, frag) {
			t.Errorf("Rights lacks %q", frag)
		}
	}
	f := encode(t, Rights(doms, "#pricing").Blocks)
	if !strings.Contains(f, "product/pricing") || strings.Contains(f, "hiring") {
		t.Errorf("filter #pricing: %s", f)
	}
	if f := encode(t, Rights(doms, "product").Blocks); !strings.Contains(f, "product/pricing") || strings.Contains(f, "`hiring`") {
		t.Errorf("filter product: %s", f)
	}
	none := Rights(doms, "#"+hostile)
	checkMessage(t, "Rights/none", none)
	if !strings.Contains(encode(t, none.Blocks), "No domain matches") {
		t.Errorf("unknown filter not explained")
	}

	var many []decisions.Domain
	for i := range 400 {
		dm := doms[1]
		dm.Name = fmt.Sprintf("area%03d/%s", i, strings.Repeat("x", 60))
		dm.Description = strings.Repeat("long description <!here> ", 40)
		dm.Keywords = []string{strings.Repeat("kw ", 200)}
		many = append(many, dm)
	}
	m = Rights(many, "")
	checkMessage(t, "Rights/many", m)
	if !strings.Contains(encode(t, m.Blocks), "more domains") {
		t.Errorf("Rights does not summarise the overflow")
	}
}

func TestWho(t *testing.T) {
	m := Who(decisions.Route{Domain: "product/pricing", Deciders: []string{"UALICE"}, Advisors: []string{"UCAROL"},
		Informed: []string{"C0PRICING"}, Reason: "#pricing tag matched domain product/pricing", Level: decisions.MatchTag})
	checkMessage(t, "Who", m)
	js := encode(t, m.Blocks)
	for _, frag := range []string{"Would go to *`product/pricing`*", "decided by <@UALICE>", "#pricing tag matched", "<#C0PRICING>", "nothing was proposed"} {
		if !strings.Contains(js, frag) {
			t.Errorf("Who lacks %q", frag)
		}
	}
	none := Who(decisions.Route{Reason: "nothing matched " + hostile, Level: decisions.MatchNone, Candidates: []string{"product/pricing", "hiring"}})
	checkMessage(t, "Who/none", none)
	if js := encode(t, none.Blocks); !strings.Contains(js, "`#product/pricing`, `#hiring`") {
		t.Errorf("Who does not list candidates: %s", js)
	}
}

func TestDecideModal(t *testing.T) {
	tests := []struct {
		verb     decisions.Verb
		blocks   []string // input block ids, in order
		optional map[string]bool
	}{
		{decisions.VerbApprove, []string{BlockRationale, BlockReview}, map[string]bool{BlockRationale: true, BlockReview: true}},
		{decisions.VerbReject, []string{BlockRationale, BlockReview}, map[string]bool{BlockRationale: false, BlockReview: true}},
		{decisions.VerbDefer, []string{BlockUntil, BlockRationale}, map[string]bool{BlockUntil: false, BlockRationale: true}},
		{decisions.VerbReassign, []string{BlockUsers, BlockRationale}, map[string]bool{BlockUsers: false, BlockRationale: true}},
		{decisions.VerbAskAdvice, []string{BlockUsers, BlockRationale}, map[string]bool{BlockUsers: true, BlockRationale: true}},
		{decisions.VerbWithdraw, []string{BlockRationale}, map[string]bool{BlockRationale: true}},
		{decisions.VerbDecline, []string{BlockRationale, BlockDomain}, map[string]bool{BlockRationale: false, BlockDomain: true}},
	}
	actions := map[string]string{BlockRationale: ActionRationale, BlockUntil: ActionUntil, BlockUsers: ActionUsers, BlockReview: ActionReview, BlockDomain: ActionDomain}
	for _, tt := range tests {
		for _, d := range []decisions.Decision{basic(), huge()} {
			v := DecideModal(d, tt.verb, `{"id":"D-7"}`)
			name := "DecideModal/" + string(tt.verb)
			if v.Type != slack.VTModal || v.CallbackID != "decide" || v.PrivateMetadata != `{"id":"D-7"}` {
				t.Errorf("%s: type %q callback %q meta %q", name, v.Type, v.CallbackID, v.PrivateMetadata)
			}
			for what, txt := range map[string]*slack.TextBlockObject{"title": v.Title, "submit": v.Submit, "close": v.Close} {
				if txt == nil || txt.Type != "plain_text" || txt.Text == "" || utf8.RuneCountInString(txt.Text) > MaxViewTitle {
					t.Errorf("%s: bad %s %+v", name, what, txt)
				}
			}
			if !strings.Contains(v.Title.Text, "D-7") {
				t.Errorf("%s: title %q", name, v.Title.Text)
			}
			checkLimits(t, name, v.Blocks.BlockSet, MaxViewBlocks)
			checkSafe(t, name, encode(t, v))
			var got []string
			for _, b := range v.Blocks.BlockSet {
				in, ok := b.(*slack.InputBlock)
				if !ok {
					continue
				}
				got = append(got, in.BlockID)
				if in.Optional != tt.optional[in.BlockID] {
					t.Errorf("%s: %s optional=%v", name, in.BlockID, in.Optional)
				}
				js := encode(t, in.Element)
				if !strings.Contains(js, `"action_id":"`+actions[in.BlockID]+`"`) {
					t.Errorf("%s: %s element %s", name, in.BlockID, js)
				}
				switch in.BlockID {
				case BlockUntil, BlockReview:
					if !strings.Contains(js, `"type":"datepicker"`) {
						t.Errorf("%s: until is %s", name, js)
					}
				case BlockUsers:
					if !strings.Contains(js, `"type":"multi_users_select"`) {
						t.Errorf("%s: users is %s", name, js)
					}
				case BlockRationale:
					if !strings.Contains(js, `"multiline":true`) {
						t.Errorf("%s: rationale is not multiline", name)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.blocks, ",") {
				t.Errorf("%s: input blocks %v, want %v", name, got, tt.blocks)
			}
		}
	}
	// Ask for advice pre-selects the domain's advisors that are users.
	js := encode(t, DecideModal(basic(), decisions.VerbAskAdvice, ""))
	if !strings.Contains(js, `"initial_users":["UCAROL"]`) {
		t.Errorf("ask_advice does not pre-select advisors: %s", js)
	}
}

func TestHomeView(t *testing.T) {
	var waiting, proposed, recent []decisions.Decision
	for i := range 200 {
		d := huge()
		d.ID = decisions.ID(i + 1)
		waiting = append(waiting, d)
		proposed = append(proposed, d)
		c := d
		c.Status, c.DecidedBy, c.Rationale = decisions.StatusRejected, "UALICE", "no <!channel>"
		recent = append(recent, c)
	}
	v := HomeView(waiting, proposed, recent, now, loc)
	if v.Type != slack.VTHomeTab {
		t.Errorf("type %q", v.Type)
	}
	checkLimits(t, "HomeView", v.Blocks.BlockSet, MaxViewBlocks)
	js := encode(t, v)
	checkSafe(t, "HomeView", js)
	for _, frag := range []string{"Waiting on you (200)", "Proposed by you (200)", "Recent outcomes", "…and 175 more", `"block_id":"decision_actions.D-1"`} {
		if !strings.Contains(js, frag) {
			t.Errorf("HomeView lacks %q", frag)
		}
	}
	empty := HomeView(nil, nil, nil, now, loc)
	checkLimits(t, "empty HomeView", empty.Blocks.BlockSet, MaxViewBlocks)
	if !strings.Contains(encode(t, empty), "Nothing is waiting on you") {
		t.Errorf("empty HomeView says nothing")
	}
}

func TestFit(t *testing.T) {
	var bs []slack.Block
	bs = append(bs, slack.NewHeaderBlock(plainText(strings.Repeat("h", 500))))
	for i := range 80 {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(fmt.Sprintf("section %d", i)), nil, nil))
	}
	bs = append(bs,
		slack.NewSectionBlock(mrkdwn("   "), nil, nil), // empty: dropped
		slack.NewContextBlock(""),                      // empty: dropped
		slack.NewActionBlock("act", slack.NewButtonBlockElement("a", "v", plainText(strings.Repeat("b", 100)))),
	)
	in := make([]slack.Block, len(bs))
	copy(in, bs)
	m := Fit(Message{Text: strings.Repeat("t <!channel> ", 1000), Blocks: bs})
	checkMessage(t, "Fit", m)
	if len(m.Blocks) != MaxBlocks {
		t.Errorf("Fit kept %d blocks", len(m.Blocks))
	}
	if _, ok := m.Blocks[len(m.Blocks)-1].(*slack.ActionBlock); !ok {
		t.Errorf("Fit dropped the buttons")
	}
	js := encode(t, m.Blocks)
	if !strings.Contains(js, "…33 more not shown") || !strings.Contains(js, "section 46") || strings.Contains(js, "section 47") {
		t.Errorf("Fit does not keep the head and count the rest: %s", js)
	}
	// The input is untouched.
	if h := in[0].(*slack.HeaderBlock); utf8.RuneCountInString(h.Text.Text) != 500 {
		t.Errorf("Fit modified its input")
	}

	// Text past the message budget is cut, then dropped, and counted.
	bs = nil
	for i := range 10 {
		bs = append(bs, slack.NewSectionBlock(mrkdwn(fmt.Sprintf("big %d %s", i, strings.Repeat("x", 5000))), nil, nil))
	}
	bs = append(bs, slack.NewActionBlock("act", slack.NewButtonBlockElement("a", "v", plainText("Go"))))
	m = Fit(Message{Text: "x", Blocks: bs})
	checkMessage(t, "Fit/text", m)
	js = encode(t, m.Blocks)
	if !strings.Contains(js, "big 2 ") || strings.Contains(js, "big 3 ") || !strings.Contains(js, "…7 more not shown") || len(findActions(m.Blocks)) != 1 {
		t.Errorf("Fit/text kept the wrong blocks: %d blocks", len(m.Blocks))
	}

	// Value blocks are handled like pointers.
	v := Fit(Message{Text: "x", Blocks: []slack.Block{*slack.NewSectionBlock(mrkdwn(strings.Repeat("y", 5000)), nil, nil)}})
	checkMessage(t, "Fit/value", v)
}

func TestReadable(t *testing.T) {
	m := DeciderDM(basic(), "", now, loc)
	out := Readable(m, func(id string) string {
		if id == "UALICE" {
			return "alice"
		}
		return ""
	})
	for _, frag := range []string{"== D-7: Raise the Pro plan to $12 ==", "@alice, @UBOB", "8% & we're", "[Approve] [Reject] [Defer] [Ask for advice] [Reassign]"} {
		if !strings.Contains(out, frag) {
			t.Errorf("Readable lacks %q:\n%s", frag, out)
		}
	}
}

// totalText sums every "text" string in the blocks' JSON.
func totalText(t *testing.T, bs []slack.Block) int {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(encode(t, bs)), &v); err != nil {
		t.Fatal(err)
	}
	n := 0
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && k == "text" {
					n += utf8.RuneCountInString(s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return n
}
