// Package blocks renders decisions as Slack messages and views: a text
// fallback plus Block Kit blocks, built by pure functions.
//
// Two rules hold for everything it returns. User text is escaped (Escape), so
// a title holding "<!channel>", "@here" or "<!subteam^S1>" never pings a
// crowd; the only live markup is Baton's own (User, Channel) and the user
// mentions people typed ("ask <@U1|maya>" shows as a mention of maya). And
// every message respects Block Kit limits: long text is cut with "…" and
// long lists are summarised, because Slack rejects an oversized message
// outright and a rejected message is a lost one.
package blocks

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Block Kit limits, in characters (runes) unless noted.
const (
	MaxBlocks          = 50   // blocks in a message
	MaxViewBlocks      = 100  // blocks in a modal or the App Home tab
	MaxSectionText     = 3000 // a section's text
	MaxHeaderText      = 150  // a header's plain text
	MaxButtonText      = 75   // a button label
	MaxButtonValue     = 2000 // a button value
	MaxContextText     = 2000 // one text element of a context block (kept below the 3000 text-object limit)
	MaxContextElements = 10   // elements in a context block
	MaxFields          = 10   // fields in a section
	MaxFieldText       = 2000 // one section field
	MaxActionElements  = 25   // elements in an actions block
	MaxTextFallback    = 4000 // the top-level text of chat.postMessage (Slack cuts at 40000; 4000 reads better in notifications)
	// MaxMessageText is the text, summed over all blocks, Baton puts in one
	// message. Slack rejects blocks whose total is around 12000 characters
	// (msg_blocks_too_long) without documenting the exact rule, so Baton
	// stays well below.
	MaxMessageText = 8000
	// MaxViewText is the same budget for a modal or the App Home, which
	// have no documented total; it only guards against runaway content.
	MaxViewText    = 24000
	MaxViewTitle   = 24   // a modal's title, submit and close labels
	MaxInputLabel  = 2000 // an input block's label and hint
	MaxPlaceholder = 150  // an input's placeholder
	MaxRationale   = 2000 // what the rationale input accepts, so it fits a section later
)

// Message is what Baton posts: Text is the notification and fallback text,
// Blocks the rich layout. Both are mrkdwn that is already safe to send.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// Action ids of the decision buttons. A button's value is the decision id
// ("D-7"). Dispatch on the action id and read the id from the value: the
// block id is BlockIDDecision in messages but BlockIDDecision+"."+id in the
// App Home, where several decisions carry buttons and block ids must differ.
const (
	ActionApprove   = "approve"
	ActionReject    = "reject"
	ActionDefer     = "defer"
	ActionAdvice    = "ask_advice"
	ActionReassign  = "reassign"
	BlockIDDecision = "decision_actions"
)

// Ids of the decide modal (DecideModal).
const (
	CallbackDecide  = "decide"
	BlockRationale  = "rationale"
	ActionRationale = "rationale_input"
	BlockUntil      = "until"
	ActionUntil     = "until_input"
	BlockUsers      = "users"
	ActionUsers     = "users_input"
)

// DefaultCommand is the slash command named in messages whose renderer is
// not told the configured one.
const DefaultCommand = "/decide"

// Block helpers. Each clamps its own text; Fit checks again at the end.

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

func section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(Truncate(s, MaxSectionText)), nil, nil)
}

func header(s string) *slack.HeaderBlock {
	return slack.NewHeaderBlock(plainText(Truncate(plain(s), MaxHeaderText)))
}

func contextBlock(parts ...string) *slack.ContextBlock {
	var els []slack.MixedElement
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			continue
		}
		els = append(els, mrkdwn(Truncate(p, MaxContextText)))
	}
	if len(els) == 0 {
		return nil
	}
	if len(els) > MaxContextElements {
		els = els[:MaxContextElements]
	}
	return slack.NewContextBlock("", els...)
}

// field is one "*Label*\nvalue" entry of a fields section.
type field struct{ label, value string }

func fieldsSection(fs ...field) *slack.SectionBlock {
	var out []*slack.TextBlockObject
	for _, f := range fs {
		if f.value == "" {
			continue
		}
		out = append(out, mrkdwn(Truncate("*"+f.label+"*\n"+f.value, MaxFieldText)))
	}
	if len(out) == 0 {
		return nil
	}
	if len(out) > MaxFields {
		out = out[:MaxFields]
	}
	return slack.NewSectionBlock(nil, out, nil)
}

// add appends the blocks that are not nil (helpers return typed nil
// pointers for "nothing to show").
func add(bs []slack.Block, more ...slack.Block) []slack.Block {
	for _, b := range more {
		if isNil(b) {
			continue
		}
		bs = append(bs, b)
	}
	return bs
}

func isNil(b slack.Block) bool {
	switch v := b.(type) {
	case nil:
		return true
	case *slack.SectionBlock:
		return v == nil
	case *slack.HeaderBlock:
		return v == nil
	case *slack.ContextBlock:
		return v == nil
	case *slack.ActionBlock:
		return v == nil
	case *slack.InputBlock:
		return v == nil
	case *slack.DividerBlock:
		return v == nil
	}
	return false
}

// pack lays lines out in as few sections as fit MaxSectionText, using at
// most maxBlocks blocks and maxText characters in all. Lines that do not fit
// are counted in a context block made by more. With fromEnd, the last lines
// are kept and the earliest ones summarised (history reads newest last),
// and the summary comes first.
func pack(lines []string, maxBlocks, maxText int, fromEnd bool, more func(n int) string) []slack.Block {
	if maxBlocks < 1 || len(lines) == 0 {
		return nil
	}
	at := func(i int) int {
		if fromEnd {
			return len(lines) - 1 - i
		}
		return i
	}
	// Lay out everything if it fits; otherwise again, leaving room for the
	// note about what is left out.
	layout := func(maxBlocks, maxText int) (chunks [][]string, used int) {
		size, total := 0, 0
		for i := range lines {
			ln := Truncate(lines[at(i)], MaxSectionText)
			n := utf8.RuneCountInString(ln)
			newChunk := len(chunks) == 0 || size+1+n > MaxSectionText
			blocks := len(chunks)
			if newChunk {
				blocks++
			}
			if blocks > maxBlocks || total+n > maxText {
				break
			}
			if newChunk {
				chunks = append(chunks, []string{ln})
				size = n
			} else {
				c := &chunks[len(chunks)-1]
				*c = append(*c, ln)
				size += 1 + n
			}
			total += n + 1
			used++
		}
		return chunks, used
	}
	chunks, used := layout(maxBlocks, maxText)
	if used < len(lines) && more != nil {
		chunks, used = layout(maxBlocks-1, maxText-utf8.RuneCountInString(more(len(lines))))
	}
	var out []slack.Block
	for _, c := range chunks {
		if fromEnd {
			slices.Reverse(c)
		}
		out = append(out, section(strings.Join(c, "\n")))
	}
	if fromEnd {
		slices.Reverse(out)
	}
	if dropped := len(lines) - used; dropped > 0 && more != nil {
		note := contextBlock(more(dropped))
		if fromEnd {
			out = add([]slack.Block{note}, out...)
		} else {
			out = add(out, note)
		}
	}
	return out
}

// clipLines joins lines into one text of at most max runes. When some lines
// must be left out, more(n) says how many; with fromEnd the last lines are
// kept and the note comes first.
func clipLines(lines []string, max int, fromEnd bool, more func(n int) string) string {
	total := 0
	for i, ln := range lines {
		if i > 0 {
			total++
		}
		total += utf8.RuneCountInString(ln)
	}
	if total <= max {
		return strings.Join(lines, "\n")
	}
	at := func(i int) string {
		if fromEnd {
			return lines[len(lines)-1-i]
		}
		return lines[i]
	}
	size, k := 0, 0
	for k < len(lines) {
		n := utf8.RuneCountInString(at(k))
		if k > 0 {
			n++
		}
		if size+n+1+utf8.RuneCountInString(more(len(lines)-k-1)) > max {
			break
		}
		size += n
		k++
	}
	note := more(len(lines) - k)
	if k == 0 {
		return Truncate(note, max)
	}
	if fromEnd {
		return Truncate(note+"\n"+strings.Join(lines[len(lines)-k:], "\n"), max)
	}
	return Truncate(strings.Join(lines[:k], "\n")+"\n"+note, max)
}
