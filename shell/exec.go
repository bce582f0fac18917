package shell

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-app/baton/internal/slacktext"
)

// maxLine is the longest line Run reads; Slack's own request bodies are
// capped at about this size.
const maxLine = 1 << 20

// Run reads lines from in and executes them until EOF, `quit`, or ctx is
// done. With echo, each line is printed after the prompt as if typed, so a
// piped script reads as a transcript; without it (a terminal), the prompt
// is printed before each line is read.
func (c *Console) Run(ctx context.Context, in io.Reader, echo bool) error {
	type line struct {
		text string
		err  error
		eof  bool
	}
	lines := make(chan line)
	done := make(chan struct{})
	defer close(done)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), maxLine)
		send := func(l line) bool {
			select {
			case lines <- l:
				return true
			case <-done:
				return false
			}
		}
		for sc.Scan() {
			if !send(line{text: sc.Text()}) {
				return
			}
		}
		send(line{err: sc.Err(), eof: true})
	}()
	for {
		if !echo {
			fmt.Fprint(c.out, c.Prompt())
		}
		var l line
		select {
		case <-ctx.Done():
			fmt.Fprintln(c.out)
			return nil
		case l = <-lines:
		}
		if l.eof {
			if !echo {
				fmt.Fprintln(c.out)
			}
			if errors.Is(l.err, bufio.ErrTooLong) {
				return fmt.Errorf("a line is longer than %d bytes", maxLine)
			}
			return l.err
		}
		l.text = strings.TrimRight(l.text, "\r")
		if echo {
			if strings.TrimSpace(l.text) == "" {
				fmt.Fprintln(c.out)
			} else if isComment(l.text) {
				fmt.Fprintln(c.out, strings.TrimSpace(l.text))
			} else {
				fmt.Fprintln(c.out, c.Prompt()+l.text)
			}
		}
		if c.Exec(ctx, l.text) {
			return nil
		}
	}
}

func isComment(s string) bool { return strings.HasPrefix(strings.TrimSpace(s), "#") }

// Exec executes one line and prints what happened. It reports whether the
// line asked to leave. It never panics: should a handler, Baton's or the
// console's own, fail that badly, the line is reported and the console
// carries on.
func (c *Console) Exec(ctx context.Context, line string) (quit bool) {
	defer func() {
		if r := recover(); r != nil {
			c.errorf("internal error while running that line: %v (please report it)\n%s", r, debug.Stack())
			quit = false
		}
	}()
	return c.exec(ctx, line)
}

func (c *Console) exec(ctx context.Context, line string) bool {
	if !utf8.ValidString(line) {
		line = strings.ToValidUTF8(line, "\uFFFD")
	}
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return false
	}
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	lower := strings.ToLower(word)
	if lower == "start" {
		c.setStart(rest)
		return false
	}
	if acts(line, lower) {
		if err := c.begin(ctx); err != nil {
			c.errorf("Baton could not start: %v", err)
			return false
		}
	}
	switch {
	case strings.HasPrefix(line, "/"):
		c.slashCommand(ctx, word, rest)
	case strings.TrimRight(lower, ",:") == "@baton":
		c.mention(ctx, rest)
	case lower == "as":
		c.as(rest)
	case lower == "in":
		c.in(rest)
	case lower == "click":
		c.click(ctx, rest)
	case lower == "tick":
		c.tick(ctx, rest)
	case lower == "now" && rest == "":
		c.printf("⏱ %s\n", c.stamp(c.clock.Now()))
	case lower == "home" && rest == "":
		c.home(ctx)
	case lower == "whoami" && rest == "":
		c.printf("You are %s in %s.\n", c.display(c.user), channelName(c.channel))
	case lower == "people" && rest == "":
		c.listPeople()
	case lower == "help" || lower == "?":
		c.help()
	case lower == "quit" || lower == "exit":
		return true
	default:
		c.unknown(word)
	}
	return false
}

// acts reports whether a line reaches Baton (a command, a mention, a
// click, the clock or App Home), as opposed to the console's own lines.
func acts(line, lower string) bool {
	switch {
	case strings.HasPrefix(line, "/"), strings.TrimRight(lower, ",:") == "@baton":
		return true
	}
	switch lower {
	case "click", "tick", "home":
		return true
	}
	return false
}

func (c *Console) unknown(word string) {
	hint := "Type `help` for the console's commands."
	switch lw := strings.ToLower(strings.TrimLeft(word, "/")); {
	case strings.HasPrefix(word, "@"):
		hint = "To talk to Baton, start the line with `@baton`."
	case lw == strings.TrimPrefix(c.slash, "/") || lw == "decide":
		hint = fmt.Sprintf("Slash commands start with a slash: `%s …`.", c.slash)
	case isVerb(lw):
		hint = fmt.Sprintf("Did you mean `%s %s …`?", c.slash, lw)
	}
	c.errorf("I don't know %q. %s", clip(word, 40), hint)
}

func isVerb(w string) bool {
	switch w {
	case "propose", "approve", "reject", "defer", "withdraw", "reassign", "advise", "show", "list", "who", "rights", "away",
		"edit", "comment", "decline", "review", "search":
		return true
	}
	return false
}

func (c *Console) help() {
	rows := [][2]string{
		{c.slash + " <text>", "what Slack sends when you type the slash command (" + c.slash + " help lists its verbs)"},
		{"@baton <text>", "mention Baton in this channel: it proposes <text> and answers in the thread"},
		{"as <person>", "be someone else: a name, first name or user id from the config (`people`)"},
		{"in <channel>", "type in another channel, by id (C01GENERAL)"},
		{"click D-7 approve [why]", "press a decision's button and submit the dialog it opens; also"},
		{"", "reject <why>, defer <date> [why], advice [@people] [note], reassign @person [note],"},
		{"", "notmine <why>, keep, revisit; `click written` proposes text Baton took for a command"},
		{"start <time>", "before anything happens: set the clock (a script fixes its own day)"},
		{"tick +3d | +2h | <time>", "move the clock (<time> like 2026-12-01T09:00), running reminders,"},
		{"", "escalations and the digest due on the way"},
		{"now", "show the clock"},
		{"home", "open your App Home tab"},
		{"people, whoami", "who is in this workspace; who and where you are"},
		{"quit", "leave (also exit, or the end of the input)"},
	}
	var b strings.Builder
	b.WriteString("Console commands, one per line (lines starting with # are comments):\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "  %-26s %s\n", r[0], r[1])
	}
	b.WriteString("Mention people as @first-name (@priya); dates read like friday, 3d or 2026-12-01.\n")
	c.printf("%s", b.String())
}

func (c *Console) listPeople() {
	for _, p := range c.people {
		mark := ""
		if p.ID == c.user {
			mark = "  ← you"
		}
		name := p.Name
		if name == "" {
			name = "(no name in the config)"
		}
		c.printf("  %-11s %s%s\n", p.ID, name, mark)
	}
}

// as switches who is typing.
func (c *Console) as(arg string) {
	if arg == "" {
		c.errorf("Say who: `as maya`, `as Priya Nair` or `as U01MAYA01`. `people` lists everyone.")
		return
	}
	id, err := c.lookupUser(arg)
	if err != nil {
		c.fail(err)
		return
	}
	c.user = id
	c.printf("You are now %s.\n", c.display(id))
}

// in switches the channel lines are typed in.
func (c *Console) in(arg string) {
	ch := strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(arg), "#"))
	if id, ok := slacktext.ChannelLink(strings.TrimSpace(arg)); ok {
		ch = id
	}
	if !slacktext.IsConversationID(ch) || len(ch) > 21 {
		c.errorf("Give a channel id such as C01GENERAL (`in C01GENERAL`); the config's channels are ids, not names.")
		return
	}
	c.channel = ch
	c.printf("You are now in %s.\n", channelName(ch))
}

// jobRun is the job runs due at one time.
type jobRun struct {
	at    time.Time
	names []string
}

// tick moves the clock, running each job run due on the way, in order, and
// printing what each run posted.
func (c *Console) tick(ctx context.Context, arg string) {
	now := c.clock.Now()
	to, err := c.parseTime(arg, now)
	if err != nil {
		c.fail(err)
		return
	}
	if !to.After(now) {
		c.errorf("The clock only moves forward: it is %s. Try `tick +1d`.", c.stamp(now))
		return
	}
	if to.Sub(now) > maxTick {
		c.errorf("That is more than a year ahead; tick at most a year at a time.")
		return
	}
	jobs, err := c.app.Scheduler().Jobs()
	if err != nil {
		c.errorf("The schedules in the config do not parse: %v", err)
		return
	}
	var runs []jobRun
	byTime := map[time.Time]int{}
	for _, j := range jobs {
		t := now
		for range 10000 {
			t = j.Schedule.Next(t.In(c.loc))
			if t.IsZero() || t.After(to) {
				break
			}
			i, ok := byTime[t]
			if !ok {
				i = len(runs)
				byTime[t] = i
				runs = append(runs, jobRun{at: t})
			}
			runs[i].names = append(runs[i].names, j.Name)
		}
	}
	slices.SortFunc(runs, func(a, b jobRun) int { return a.at.Compare(b.at) })
	shownRuns := 0
	for _, r := range runs {
		_, err := c.app.Scheduler().Tick(ctx, c.clock, r.at)
		if err != nil {
			c.errorf("A job failed at %s: %v", c.stamp(r.at), err)
		}
		posts := c.collect(ctx)
		if shown := c.visibleJobs(r); len(shown) > 0 || len(posts) > 0 {
			what := strings.Join(shown, " and ")
			if what == "" {
				what = strings.Join(r.names, " and ")
			}
			c.printf("⏱ %s — %s ran\n", c.stamp(r.at), what)
			shownRuns++
		}
		c.printPosts(posts)
		if ctx.Err() != nil {
			return
		}
	}
	if _, err := c.app.Scheduler().Tick(ctx, c.clock, to); err != nil {
		c.fail(err)
	}
	c.printPosts(c.collect(ctx))
	if shownRuns == 0 {
		c.printf("⏱ %s (now; no reminders or digest were due)\n", c.stamp(to))
		return
	}
	c.printf("⏱ %s (now)\n", c.stamp(to))
}

// visibleJobs drops the nightly housekeeping, which posts nothing, the
// review-date check, which runs with the reminders and rarely posts, and
// the hourly reminders runs between the workspace's reminder hours, which
// post only for people in other zones: they would clutter every day of a
// transcript. A run that posts is shown anyway.
func (c *Console) visibleJobs(r jobRun) []string {
	var out []string
	for _, n := range r.names {
		switch {
		case n == "cleanup" || n == "reviews":
		case n == "reminders" && !c.app.Scheduler().WorkspaceHour(r.at):
		default:
			out = append(out, n)
		}
	}
	return out
}

// home opens the current user's App Home tab.
func (c *Console) home(ctx context.Context) {
	ev := map[string]any{
		"type": "app_home_opened", "user": c.user, "channel": "D" + c.user,
		"tab": "home", "event_ts": c.nextTS(),
	}
	c.sendEvent(ctx, ev)
	c.printPosts(c.collect(ctx))
}
