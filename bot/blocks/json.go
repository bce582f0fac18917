package blocks

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// MarshalBlocks is json.Marshal(bs), byte for byte. Every proposal encodes
// three messages' blocks, and encoding/json spends most of that on
// reflection, on encoding slack-go's element lists twice (their
// MarshalJSON calls json.Marshal, whose output is then checked and copied
// again) and on growing goroutine stacks for its recursion. The block
// shapes Fit returns (sections, headers, context and actions blocks,
// dividers, text objects and buttons) are written directly; a block with
// anything else in it is left to encoding/json. A test holds the two to
// the same bytes, and fails if slack-go adds a field to a type written
// here.
func MarshalBlocks(bs []slack.Block) ([]byte, error) {
	if out, ok := appendBlocks(make([]byte, 0, 512*len(bs)), bs); ok {
		return out, nil
	}
	return json.Marshal(bs)
}

// appendBlocks writes bs, or reports false if a block is not one it
// knows.
func appendBlocks(out []byte, bs []slack.Block) ([]byte, bool) {
	if bs == nil {
		return append(out, "null"...), true
	}
	out = append(out, '[')
	for i, b := range bs {
		if i > 0 {
			out = append(out, ',')
		}
		var ok bool
		if out, ok = appendBlock(out, b); !ok {
			return out, false
		}
	}
	return append(out, ']'), true
}

// appendBlock writes b, or reports false for a block it does not know
// (out is then garbage).
func appendBlock(out []byte, b slack.Block) ([]byte, bool) {
	switch v := b.(type) {
	case *slack.SectionBlock:
		if v == nil || (v.Accessory != nil && !buttonOnly(v.Accessory)) {
			return out, false
		}
		out = appendKV(out, `{"type":`, string(v.Type))
		if v.Text != nil {
			out = append(out, `,"text":`...)
			out = appendText(out, v.Text)
		}
		if v.BlockID != "" {
			out = appendKV(out, `,"block_id":`, v.BlockID)
		}
		if len(v.Fields) > 0 {
			out = append(out, `,"fields":[`...)
			for i, f := range v.Fields {
				if i > 0 {
					out = append(out, ',')
				}
				out = appendText(out, f)
			}
			out = append(out, ']')
		}
		if v.Accessory != nil {
			out = append(out, `,"accessory":`...)
			out = appendButton(out, v.Accessory.ButtonElement)
		}
		if v.Expand {
			out = append(out, `,"expand":true`...)
		}
	case *slack.HeaderBlock:
		if v == nil {
			return out, false
		}
		out = appendKV(out, `{"type":`, string(v.Type))
		if v.Text != nil {
			out = append(out, `,"text":`...)
			out = appendText(out, v.Text)
		}
		if v.BlockID != "" {
			out = appendKV(out, `,"block_id":`, v.BlockID)
		}
		if v.Level != 0 {
			out = append(out, `,"level":`...)
			out = strconv.AppendInt(out, int64(v.Level), 10)
		}
	case *slack.ContextBlock:
		if v == nil {
			return out, false
		}
		out = appendHead(out, string(v.Type), v.BlockID)
		var ok bool
		if out, ok = appendElements(out, v.ContextElements.Elements, func(out []byte, e slack.MixedElement) ([]byte, bool) {
			t, ok := e.(*slack.TextBlockObject)
			if !ok || t == nil {
				return out, false
			}
			return appendText(out, t), true
		}); !ok {
			return out, false
		}
	case *slack.ActionBlock:
		if v == nil {
			return out, false
		}
		out = appendHead(out, string(v.Type), v.BlockID)
		var elems []slack.BlockElement
		if v.Elements != nil {
			elems = v.Elements.ElementSet
		}
		var ok bool
		if out, ok = appendElements(out, elems, func(out []byte, e slack.BlockElement) ([]byte, bool) {
			btn, ok := e.(*slack.ButtonBlockElement)
			if !ok || btn == nil || btn.Confirm != nil || btn.VisibleToUserIDs != nil {
				return out, false
			}
			return appendButton(out, btn), true
		}); !ok {
			return out, false
		}
	case *slack.DividerBlock:
		if v == nil {
			return out, false
		}
		out = appendHead(out, string(v.Type), v.BlockID)
	default:
		return out, false
	}
	return append(out, '}'), true
}

// buttonOnly reports whether an accessory is a button this file can write.
func buttonOnly(a *slack.Accessory) bool {
	btn := a.ButtonElement
	return btn != nil && btn.Confirm == nil && btn.VisibleToUserIDs == nil &&
		*a == slack.Accessory{ButtonElement: btn}
}

// appendText writes a text object, or null.
func appendText(out []byte, t *slack.TextBlockObject) []byte {
	if t == nil {
		return append(out, "null"...)
	}
	out = appendKV(out, `{"type":`, t.Type)
	out = appendKV(out, `,"text":`, t.Text)
	if t.Emoji != nil {
		out = append(out, `,"emoji":`...)
		out = strconv.AppendBool(out, *t.Emoji)
	}
	if t.Verbatim {
		out = append(out, `,"verbatim":true`...)
	}
	return append(out, '}')
}

// appendButton writes a button without a confirmation dialog or a
// visibility list (appendBlock checks), or null.
func appendButton(out []byte, b *slack.ButtonBlockElement) []byte {
	if b == nil {
		return append(out, "null"...)
	}
	if b.Type != "" {
		out = appendKV(out, `{"type":`, string(b.Type))
		out = append(out, `,"text":`...)
	} else {
		out = append(out, `{"text":`...)
	}
	out = appendText(out, b.Text)
	for _, f := range [...]struct{ key, value string }{
		{`,"action_id":`, b.ActionID}, {`,"url":`, b.URL}, {`,"value":`, b.Value}, {`,"style":`, string(b.Style)},
		{`,"accessibility_label":`, b.AccessibilityLabel}, {`,"agent_prompt":`, b.AgentPrompt},
		{`,"agent_prompt_display":`, b.AgentPromptDisplay},
	} {
		if f.value != "" {
			out = appendKV(out, f.key, f.value)
		}
	}
	return append(out, '}')
}

// appendKV writes key (with its punctuation, as `,"name":`) and value as
// a JSON string.
func appendKV(out []byte, key, value string) []byte {
	return appendString(append(out, key...), value)
}

// appendString writes s as encoding/json does by default: quoted, with
// control characters, '"', '\\', and (HTML-safe) '<', '>' and '&' escaped,
// invalid UTF-8 as \ufffd, and U+2028 and U+2029 escaped.
func appendString(out []byte, s string) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			out = append(out, s[start:i]...)
			switch c {
			case '"', '\\':
				out = append(out, '\\', c)
			case '\b':
				out = append(out, '\\', 'b')
			case '\f':
				out = append(out, '\\', 'f')
			case '\n':
				out = append(out, '\\', 'n')
			case '\r':
				out = append(out, '\\', 'r')
			case '\t':
				out = append(out, '\\', 't')
			default:
				out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, s[start:i]...)
			out = append(out, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			out = append(out, s[start:i]...)
			out = append(out, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	out = append(out, s[start:]...)
	return append(out, '"')
}

// appendHead opens a block's object with its type and block_id, the
// fields every block starts with.
func appendHead(out []byte, typ, blockID string) []byte {
	out = appendKV(out, `{"type":`, typ)
	if blockID != "" {
		out = appendKV(out, `,"block_id":`, blockID)
	}
	return out
}

// appendElements writes a block's "elements" as encoding/json would: null
// for a nil list, else each by each. ok is false when each meets a shape
// it cannot write, and the caller falls back to encoding/json.
func appendElements[E any](out []byte, elems []E, each func([]byte, E) ([]byte, bool)) ([]byte, bool) {
	out = append(out, `,"elements":`...)
	if elems == nil {
		return append(out, "null"...), true
	}
	out = append(out, '[')
	for i, e := range elems {
		if i > 0 {
			out = append(out, ',')
		}
		var ok bool
		if out, ok = each(out, e); !ok {
			return out, false
		}
	}
	return append(out, ']'), true
}
