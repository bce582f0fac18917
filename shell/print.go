package shell

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot/blocks"
	"github.com/baton-app/baton/slackfake"
)

// indent is how far the body of a message is set in under its heading.
const indent = "    "

func (c *Console) printf(format string, args ...any) {
	fmt.Fprintf(c.out, format, args...)
}

func (c *Console) errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(c.out, "✗ "+strings.TrimRight(msg, "\n"))
}

// fail prints an error meant for the person typing as a sentence.
func (c *Console) fail(err error) {
	msg := upperFirst(err.Error())
	if !strings.ContainsAny(msg[len(msg)-1:], ".?!") {
		msg += "."
	}
	c.errorf("%s", msg)
}

// collect delivers what is due and returns the posts Slack received since
// the last call, remembering messages and App Homes so buttons on them can
// be clicked later.
func (c *Console) collect(ctx context.Context) []slackfake.Post {
	if err := c.settle(ctx); err != nil && ctx.Err() == nil {
		c.errorf("Delivering Baton's messages failed: %v", err)
	}
	posts := c.take()
	for _, p := range posts {
		switch p.Method {
		case "chat.postMessage", "chat.update":
			c.remember(p)
		case "views.publish":
			if c.homes == nil {
				c.homes = map[string]slackfake.Post{}
			}
			c.homes[p.User] = p
		}
	}
	return posts
}

// remember keeps the latest content of each message Baton posted.
func (c *Console) remember(p slackfake.Post) {
	for i, m := range c.messages {
		if m.Channel == p.Channel && m.TS == p.TS {
			c.messages = append(c.messages[:i], c.messages[i+1:]...)
			break
		}
	}
	c.messages = append(c.messages, p)
	// A long session need not remember every message ever posted.
	if len(c.messages) > 2000 {
		c.messages = append([]slackfake.Post(nil), c.messages[len(c.messages)-1000:]...)
	}
}

// printPosts prints each post under a heading saying who sees it and where.
// Identical consecutive messages (the digest in several channels) are
// printed once.
func (c *Console) printPosts(posts []slackfake.Post) {
	var last string
	for _, p := range posts {
		where := c.where(p)
		bs := decodeBlocks(p.Blocks)
		body := blocks.Readable(blocks.Message{Text: p.Text, Blocks: bs}, c.nameOf)
		if p.Method == "views.open" {
			body = c.modalBody(p, body)
		}
		key := p.Method + "\x00" + body
		if key == last && !strings.HasPrefix(p.Method, "views.") {
			c.printf("%s (the same message)\n", where)
			continue
		}
		last = key
		c.printBody(where, body)
	}
	c.reportRefusals()
}

// printMessage prints a message Baton answered with directly.
func (c *Console) printMessage(where, text string, bs []slack.Block) {
	c.printBody(where, blocks.Readable(blocks.Message{Text: text, Blocks: bs}, c.nameOf))
}

func (c *Console) printBody(where, body string) {
	var b strings.Builder
	b.WriteString(where + "\n")
	body = boldRE.ReplaceAllString(emoji.Replace(body), "$1$2")
	for _, line := range strings.Split(body, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		b.WriteString(indent + line + "\n")
	}
	fmt.Fprint(c.out, b.String())
}

// reportRefusals prints calls the fake Slack refused, which real Slack
// would have refused too: a bug worth seeing.
func (c *Console) reportRefusals() {
	rs := c.fake.Rejections()
	for _, r := range rs[min(c.refusals, len(rs)):] {
		if r.Method == "chat.update" && r.Error == "message_not_found" {
			// With a kept store, Baton updates messages it posted in an
			// earlier session, which this session's pretend Slack never saw.
			c.printf("(Baton tried to update a message from an earlier session; this pretend Slack starts empty each time)\n")
			continue
		}
		detail := ""
		if len(r.Messages) > 0 {
			detail = " (" + strings.Join(r.Messages, "; ") + ")"
		}
		c.errorf("Slack refused %s: %s%s", r.Method, r.Error, detail)
	}
	c.refusals = len(rs)
}

// where is the heading of a post: "DM → Priya Nair", "#C01GENERAL
// (thread)", "#C01GENERAL (only you)", "[modal] Approve D-1", "[home] …".
func (c *Console) where(p slackfake.Post) string {
	switch p.Method {
	case "views.open", "views.push", "views.update":
		return "[modal] " + viewTitle(p.View)
	case "views.publish":
		return "[home] " + c.display(p.User)
	}
	place := c.place(p.Channel)
	var notes []string
	if p.ThreadTS != "" && p.ThreadTS != p.TS {
		notes = append(notes, "thread")
	}
	switch p.Method {
	case "chat.postEphemeral", "response_url":
		if p.User == c.user {
			notes = append(notes, "only you")
		} else {
			notes = append(notes, "only "+c.display(p.User))
		}
	case "chat.update":
		notes = append(notes, "updated")
	}
	if len(notes) > 0 {
		place += " (" + strings.Join(notes, ", ") + ")"
	}
	return place
}

// place names a channel: DMs by the person Baton writes to.
func (c *Console) place(ch string) string {
	if u, ok := strings.CutPrefix(ch, "D"); ok && c.known(u) {
		return "DM → " + c.display(u)
	}
	return channelName(ch)
}

func (c *Console) known(id string) bool {
	for _, p := range c.people {
		if p.ID == id {
			return true
		}
	}
	return false
}

func channelName(ch string) string {
	if ch == "" {
		return "(no channel)"
	}
	if strings.HasPrefix(ch, "D") {
		return "DM " + ch
	}
	return "#" + ch
}

func viewTitle(raw json.RawMessage) string {
	var v struct {
		Title *rawText `json:"title"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Title == nil {
		return "(untitled)"
	}
	return v.Title.Text
}

// modalBody adds the dialog's inputs and buttons to its readable text.
func (c *Console) modalBody(p slackfake.Post, body string) string {
	var v struct {
		Submit *rawText   `json:"submit"`
		Close  *rawText   `json:"close"`
		Blocks []rawBlock `json:"blocks"`
	}
	if json.Unmarshal(p.View, &v) != nil {
		return body
	}
	lines := []string{body}
	for _, b := range v.Blocks {
		if b.Type != "input" || b.Label == nil {
			continue
		}
		field := "____"
		if b.Element != nil {
			switch b.Element.Type {
			case "datepicker":
				field = "[date]"
			case "multi_users_select", "users_select":
				field = "[people]"
				if len(b.Element.InitialUsers) > 0 {
					field = "[" + c.names(b.Element.InitialUsers) + "]"
				}
			}
		}
		lines = append(lines, "✎ "+b.Label.Text+": "+field)
	}
	var btns []string
	if v.Close != nil {
		btns = append(btns, "["+v.Close.Text+"]")
	}
	if v.Submit != nil {
		btns = append(btns, "["+v.Submit.Text+"]")
	}
	if len(btns) > 0 {
		lines = append(lines, strings.Join(btns, " "))
	}
	return strings.Join(lines, "\n")
}

func decodeBlocks(raw json.RawMessage) []slack.Block {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var bs slack.Blocks
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil
	}
	return bs.BlockSet
}

// nameOf is blocks.Names: the config's name, or "" to show the id.
func (c *Console) nameOf(id string) string {
	for _, p := range c.people {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}

// display is a person's name, or their id when the config names nobody.
func (c *Console) display(id string) string {
	if n := c.nameOf(id); n != "" {
		return n
	}
	return id
}

func (c *Console) firstName(id string) string {
	if n := c.nameOf(id); n != "" {
		return firstWord(n)
	}
	return id
}

func (c *Console) names(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = c.display(id)
	}
	return strings.Join(out, ", ")
}

// stamp shows a time in the config's zone: "Tue 2026-12-01 09:00".
func (c *Console) stamp(t time.Time) string {
	return t.In(c.loc).Format("Mon 2006-01-02 15:04")
}

// clip shortens user input quoted back in an error.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// boldRE finds mrkdwn bold (*text*), which a terminal shows as is.
var boldRE = regexp.MustCompile(`(^|[\s(>:·_~])\*([^*\n]+)\*`)

// emoji shows the Slack emoji codes Baton uses as the characters a
// terminal can print.
var emoji = strings.NewReplacer(
	":white_check_mark:", "✅",
	":x:", "❌",
	":warning:", "⚠️",
	":arrow_up:", "⬆️",
	":tada:", "🎉",
	":speech_balloon:", "💬",
	":rotating_light:", "🚨",
	":leftwards_arrow_with_hook:", "↩️",
	":hourglass_flowing_sand:", "⏳",
	":grey_question:", "❔",
	":double_vertical_bar:", "⏸",
	":compass:", "🧭",
	":bell:", "🔔",
	":ballot_box_with_ballot:", "🗳",
	":arrow_right:", "➡️",
)
