package blocks

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Fit is the final guard every renderer passes its message through, and
// callers that build blocks by hand should too. It makes mrkdwn safe (Safe),
// clamps every text to its Block Kit limit, drops blocks that would be
// empty, and keeps at most MaxBlocks blocks and MaxMessageText characters of
// text: what does not fit is replaced by a context block "…N more not
// shown", though actions blocks are always kept so buttons survive. It never
// modifies the blocks it is given.
func Fit(m Message) Message {
	text := Truncate(Safe(m.Text), MaxTextFallback)
	if strings.TrimSpace(text) == "" {
		text = "…"
	}
	return Message{Text: text, Blocks: fitBlocks(m.Blocks, MaxBlocks, MaxMessageText)}
}

func fitBlocks(in []slack.Block, maxBlocks, maxText int) []slack.Block {
	bs := make([]slack.Block, 0, len(in))
	total := 0
	for _, b := range in {
		if fb := fitBlock(b); fb != nil {
			bs = append(bs, fb)
			total += textLen(fb)
		}
	}
	if len(bs) <= maxBlocks && total <= maxText {
		return bs
	}
	// Interactive blocks first (they are what the reader must act on), then
	// the others from the top, in order, while both budgets last; the note
	// about the rest needs one block and a little text.
	const noteText = 40
	blocks, text := maxBlocks-1, maxText-noteText
	keep := make([]slack.Block, len(bs))
	for i, b := range bs {
		if n := textLen(b); interactive(b) && blocks > 0 && n <= text {
			keep[i] = b
			blocks--
			text -= n
		}
	}
	full := false
	for i, b := range bs {
		if keep[i] != nil || interactive(b) || full {
			continue
		}
		if blocks == 0 {
			full = true
			continue
		}
		n := textLen(b)
		if n > text {
			full = true
			// Cut a long text-only section to what is left rather than lose it.
			if sec, ok := b.(*slack.SectionBlock); ok && len(sec.Fields) == 0 && sec.Text != nil && text >= 200 {
				c := *sec
				c.Text = fitText(sec.Text, text)
				keep[i] = &c
				blocks--
				text -= textLen(&c)
			}
			continue
		}
		keep[i] = b
		blocks--
		text -= n
	}
	dropped := 0
	for _, k := range keep {
		if k == nil {
			dropped++
		}
	}
	out := make([]slack.Block, 0, maxBlocks)
	noted := false
	for i := range bs {
		if keep[i] == nil && !noted {
			out = append(out, contextBlock("…"+strconv.Itoa(dropped)+" more not shown"))
			noted = true
		}
		if keep[i] != nil {
			out = append(out, keep[i])
		}
	}
	return out
}

// textLen counts the characters of text a block carries, for the
// message-wide budget.
func textLen(b slack.Block) int {
	n := func(t *slack.TextBlockObject) int {
		if t == nil {
			return 0
		}
		return utf8.RuneCountInString(t.Text)
	}
	total := 0
	switch v := b.(type) {
	case *slack.SectionBlock:
		total += n(v.Text)
		for _, f := range v.Fields {
			total += n(f)
		}
		if v.Accessory != nil && v.Accessory.ButtonElement != nil {
			total += n(v.Accessory.ButtonElement.Text)
		}
	case *slack.HeaderBlock:
		total += n(v.Text)
	case *slack.ContextBlock:
		for _, e := range v.ContextElements.Elements {
			if t, ok := e.(*slack.TextBlockObject); ok {
				total += n(t)
			}
		}
	case *slack.ActionBlock:
		if v.Elements != nil {
			for _, e := range v.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					total += n(btn.Text)
				}
			}
		}
	case *slack.InputBlock:
		total += n(v.Label) + n(v.Hint)
	}
	return total
}

func interactive(b slack.Block) bool {
	switch b.(type) {
	case *slack.ActionBlock, *slack.InputBlock:
		return true
	}
	return false
}

// fitBlock returns a clamped copy of b, or nil when b would be empty.
func fitBlock(b slack.Block) slack.Block {
	if isNil(b) {
		return nil
	}
	switch v := b.(type) {
	case slack.SectionBlock:
		return fitBlock(&v)
	case slack.HeaderBlock:
		return fitBlock(&v)
	case slack.ContextBlock:
		return fitBlock(&v)
	case slack.ActionBlock:
		return fitBlock(&v)
	case slack.InputBlock:
		return fitBlock(&v)
	case *slack.SectionBlock:
		c := *v
		c.Text = fitText(v.Text, MaxSectionText)
		c.Fields = nil
		for _, f := range v.Fields {
			if len(c.Fields) == MaxFields {
				break
			}
			if f = fitText(f, MaxFieldText); f != nil {
				c.Fields = append(c.Fields, f)
			}
		}
		if c.Accessory != nil && c.Accessory.ButtonElement != nil {
			acc := *c.Accessory
			acc.ButtonElement = fitButton(c.Accessory.ButtonElement)
			c.Accessory = &acc
		}
		if c.Text == nil && len(c.Fields) == 0 {
			return nil
		}
		return &c
	case *slack.HeaderBlock:
		c := *v
		c.Text = fitText(v.Text, MaxHeaderText)
		if c.Text == nil {
			return nil
		}
		return &c
	case *slack.ContextBlock:
		c := *v
		c.ContextElements.Elements = nil
		for _, e := range v.ContextElements.Elements {
			if len(c.ContextElements.Elements) == MaxContextElements {
				break
			}
			if t, ok := e.(*slack.TextBlockObject); ok {
				if t = fitText(t, MaxContextText); t == nil {
					continue
				}
				e = t
			}
			c.ContextElements.Elements = append(c.ContextElements.Elements, e)
		}
		if len(c.ContextElements.Elements) == 0 {
			return nil
		}
		return &c
	case *slack.ActionBlock:
		c := *v
		var els []slack.BlockElement
		if v.Elements != nil {
			for _, e := range v.Elements.ElementSet {
				if len(els) == MaxActionElements {
					break
				}
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					e = fitButton(btn)
				}
				els = append(els, e)
			}
		}
		if len(els) == 0 {
			return nil
		}
		c.Elements = &slack.BlockElements{ElementSet: els}
		return &c
	case *slack.InputBlock:
		c := *v
		c.Label = fitText(v.Label, MaxInputLabel)
		if c.Label == nil {
			c.Label = plainText("…")
		}
		c.Hint = fitText(v.Hint, MaxInputLabel)
		return &c
	}
	return b
}

// fitText returns a clamped, safe copy of t, or nil when t has no text
// (Slack rejects empty text objects).
func fitText(t *slack.TextBlockObject, max int) *slack.TextBlockObject {
	if t == nil {
		return nil
	}
	c := *t
	if c.Type == slack.MarkdownType {
		c.Text = Safe(c.Text)
	} else {
		c.Text = clean(c.Text)
	}
	if strings.TrimSpace(c.Text) == "" {
		return nil
	}
	c.Text = Truncate(c.Text, max)
	return &c
}

func fitButton(b *slack.ButtonBlockElement) *slack.ButtonBlockElement {
	c := *b
	c.Text = fitText(b.Text, MaxButtonText)
	if c.Text == nil {
		c.Text = plainText("…")
	}
	if len([]rune(c.Value)) > MaxButtonValue {
		c.Value = string([]rune(c.Value)[:MaxButtonValue])
	}
	return &c
}
