package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits the fake enforces, from Slack's reference. Slack counts
// characters; the fake counts runes.
const (
	maxMessageBlocks  = 50
	maxViewBlocks     = 100
	maxMessageText    = 40000
	maxSectionText    = 3000
	maxSectionFields  = 10
	maxFieldText      = 2000
	maxHeaderText     = 150
	maxContextElems   = 10
	maxActionsElems   = 25
	maxBlockID        = 255
	maxActionID       = 255
	maxButtonText     = 75
	maxButtonValue    = 2000
	maxURL            = 3000
	maxMarkdownText   = 12000
	maxAltText        = 2000
	maxLabelText      = 2000
	maxPlaceholder    = 150
	maxOptions        = 100
	maxOptionText     = 75
	maxOptionValue    = 150
	maxModalTitle     = 24
	maxModalButton    = 24
	maxPrivateMeta    = 3000
	maxCallbackID     = 255
	maxViewExternalID = 255
)

// blockChecker collects problems in Slack's response_metadata style.
type blockChecker struct {
	problems []string
	blockIDs map[string]bool
}

func (c *blockChecker) fail(ptr, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, ptr)...))
}

// validateBlocks checks a blocks array found at ptr ("/blocks",
// "/view/blocks") and returns what is wrong with it; nil means it is valid.
func validateBlocks(raw json.RawMessage, max int, ptr string) []string {
	var blocks []json.RawMessage
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return []string{fmt.Sprintf("[ERROR] must be a JSON array of blocks: %v [json-pointer:%s]", err, ptr)}
	}
	c := &blockChecker{blockIDs: map[string]bool{}}
	if len(blocks) > max {
		c.fail(ptr, "no more than %d items allowed", max)
	}
	for i, b := range blocks {
		c.block(b, fmt.Sprintf("%s/%d", ptr, i))
	}
	return c.problems
}

func (c *blockChecker) block(raw json.RawMessage, ptr string) {
	var b map[string]any
	if err := json.Unmarshal(raw, &b); err != nil || b == nil {
		c.fail(ptr, "must be an object")
		return
	}
	typ, _ := b["type"].(string)
	if typ == "" {
		c.fail(ptr+"/type", "missing required field: type")
		return
	}
	if id, ok := b["block_id"].(string); ok {
		if n := utf8.RuneCountInString(id); n > maxBlockID {
			c.fail(ptr+"/block_id", "must be less than %d characters", maxBlockID+1)
		}
		if c.blockIDs[id] {
			c.fail(ptr+"/block_id", "duplicate block_id %q", id)
		}
		c.blockIDs[id] = true
	}
	switch typ {
	case "section":
		text, hasText := b["text"]
		fields, hasFields := b["fields"].([]any)
		if !hasText && !hasFields {
			c.fail(ptr, "must provide either text or fields")
		}
		if hasText {
			c.text(text, ptr+"/text", maxSectionText, false)
		}
		if hasFields {
			if len(fields) > maxSectionFields {
				c.fail(ptr+"/fields", "no more than %d items allowed", maxSectionFields)
			}
			for i, f := range fields {
				c.text(f, fmt.Sprintf("%s/fields/%d", ptr, i), maxFieldText, false)
			}
		}
		if acc, ok := b["accessory"]; ok {
			c.element(acc, ptr+"/accessory")
		}
	case "header":
		c.text(b["text"], ptr+"/text", maxHeaderText, true)
	case "context":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 {
			c.fail(ptr+"/elements", "must provide at least 1 item")
		}
		if len(elems) > maxContextElems {
			c.fail(ptr+"/elements", "no more than %d items allowed", maxContextElems)
		}
		for i, e := range elems {
			ep := fmt.Sprintf("%s/elements/%d", ptr, i)
			if m, ok := e.(map[string]any); ok && m["type"] == "image" {
				c.image(m, ep)
				continue
			}
			c.text(e, ep, maxSectionText, false)
		}
	case "actions":
		elems, _ := b["elements"].([]any)
		if len(elems) == 0 {
			c.fail(ptr+"/elements", "must provide at least 1 item")
		}
		if len(elems) > maxActionsElems {
			c.fail(ptr+"/elements", "no more than %d items allowed", maxActionsElems)
		}
		for i, e := range elems {
			c.element(e, fmt.Sprintf("%s/elements/%d", ptr, i))
		}
	case "image":
		c.image(b, ptr)
		if t, ok := b["title"]; ok {
			c.text(t, ptr+"/title", maxLabelText, true)
		}
	case "input":
		c.text(b["label"], ptr+"/label", maxLabelText, true)
		if h, ok := b["hint"]; ok {
			c.text(h, ptr+"/hint", maxLabelText, true)
		}
		if e, ok := b["element"]; ok {
			c.element(e, ptr+"/element")
		} else {
			c.fail(ptr+"/element", "missing required field: element")
		}
	case "markdown":
		t, _ := b["text"].(string)
		c.length(t, ptr+"/text", maxMarkdownText)
	case "rich_text":
		if _, ok := b["elements"].([]any); !ok {
			c.fail(ptr+"/elements", "missing required field: elements")
		}
	}
}

// text checks a text object: {"type":"plain_text"|"mrkdwn","text":"…"}.
func (c *blockChecker) text(v any, ptr string, max int, plainOnly bool) {
	t, ok := v.(map[string]any)
	if !ok {
		c.fail(ptr, "must be a text object")
		return
	}
	switch t["type"] {
	case "plain_text":
	case "mrkdwn":
		if plainOnly {
			c.fail(ptr+"/type", "must be plain_text")
		}
	default:
		c.fail(ptr+"/type", "must be plain_text or mrkdwn")
	}
	s, ok := t["text"].(string)
	if !ok {
		c.fail(ptr+"/text", "missing required field: text")
		return
	}
	c.length(s, ptr+"/text", max)
}

// length checks that s is non-empty and at most max characters.
func (c *blockChecker) length(s, ptr string, max int) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		c.fail(ptr, "must be more than 0 characters")
	case n > max:
		c.fail(ptr, "must be less than %d characters", max+1)
	}
}

func (c *blockChecker) image(b map[string]any, ptr string) {
	_, hasURL := b["image_url"].(string)
	_, hasFile := b["slack_file"].(map[string]any)
	if !hasURL && !hasFile {
		c.fail(ptr, "must provide either image_url or slack_file")
	}
	alt, _ := b["alt_text"].(string)
	c.length(alt, ptr+"/alt_text", maxAltText)
}

// element checks an interactive element (button, select, input, …).
func (c *blockChecker) element(v any, ptr string) {
	e, ok := v.(map[string]any)
	if !ok {
		c.fail(ptr, "must be an object")
		return
	}
	typ, _ := e["type"].(string)
	if typ == "" {
		c.fail(ptr+"/type", "missing required field: type")
		return
	}
	if id, ok := e["action_id"].(string); ok && utf8.RuneCountInString(id) > maxActionID {
		c.fail(ptr+"/action_id", "must be less than %d characters", maxActionID+1)
	}
	if p, ok := e["placeholder"]; ok {
		c.text(p, ptr+"/placeholder", maxPlaceholder, true)
	}
	switch typ {
	case "button":
		c.text(e["text"], ptr+"/text", maxButtonText, true)
		if v, ok := e["value"].(string); ok && utf8.RuneCountInString(v) > maxButtonValue {
			c.fail(ptr+"/value", "must be less than %d characters", maxButtonValue+1)
		}
		if u, ok := e["url"].(string); ok && utf8.RuneCountInString(u) > maxURL {
			c.fail(ptr+"/url", "must be less than %d characters", maxURL+1)
		}
	case "image":
		c.image(e, ptr)
	}
	if opts, ok := e["options"].([]any); ok {
		if len(opts) > maxOptions {
			c.fail(ptr+"/options", "no more than %d items allowed", maxOptions)
		}
		for i, o := range opts {
			op := fmt.Sprintf("%s/options/%d", ptr, i)
			m, _ := o.(map[string]any)
			c.text(m["text"], op+"/text", maxOptionText, false)
			if v, ok := m["value"].(string); ok && utf8.RuneCountInString(v) > maxOptionValue {
				c.fail(op+"/value", "must be less than %d characters", maxOptionValue+1)
			}
		}
	}
}

// validateView checks a modal or App Home view.
func validateView(v map[string]any, wantType string) []string {
	c := &blockChecker{blockIDs: map[string]bool{}}
	typ, _ := v["type"].(string)
	if typ != wantType {
		c.fail("/view/type", "must be %q", wantType)
	}
	if typ == "modal" {
		c.text(v["title"], "/view/title", maxModalTitle, true)
		for _, k := range []string{"submit", "close"} {
			if t, ok := v[k]; ok && t != nil {
				c.text(t, "/view/"+k, maxModalButton, true)
			}
		}
	}
	for _, l := range []struct {
		key string
		max int
	}{{"private_metadata", maxPrivateMeta}, {"callback_id", maxCallbackID}, {"external_id", maxViewExternalID}} {
		if s, ok := v[l.key].(string); ok && utf8.RuneCountInString(s) > l.max {
			c.fail("/view/"+l.key, "must be less than %d characters", l.max+1)
		}
	}
	if raw, ok := v["blocks"]; ok && raw != nil {
		b, _ := json.Marshal(raw)
		c.problems = append(c.problems, validateBlocks(b, maxViewBlocks, "/view/blocks")...)
	}
	return c.problems
}
