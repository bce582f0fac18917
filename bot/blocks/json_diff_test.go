package blocks

// Differential fuzz for MarshalBlocks (7454fc8, db58468): random block
// lists built from every shape MarshalBlocks writes by hand, plus the
// near misses it must hand to encoding/json, must encode to exactly the
// bytes json.Marshal writes.

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/slack-go/slack"
)

type perfReviewGen struct {
	data   []byte
	strs   []string
	shapes int
}

func (g *perfReviewGen) n(k int) int {
	if len(g.data) == 0 {
		return 0
	}
	c := g.data[0]
	g.data = g.data[1:]
	return int(c) % k
}

func (g *perfReviewGen) str() string { return g.strs[g.n(len(g.strs))] }

// opt is "" half the time, else one of the strings.
func (g *perfReviewGen) opt() string {
	if g.n(2) == 0 {
		return ""
	}
	return g.str()
}

func (g *perfReviewGen) text() *slack.TextBlockObject {
	if g.n(6) == 0 {
		return nil
	}
	t := &slack.TextBlockObject{Type: []string{slack.PlainTextType, slack.MarkdownType, g.str()}[g.n(3)], Text: g.str()}
	switch g.n(3) {
	case 1:
		t.Emoji = new(bool)
	case 2:
		yes := true
		t.Emoji = &yes
	}
	t.Verbatim = g.n(2) == 1
	return t
}

func (g *perfReviewGen) texts() []*slack.TextBlockObject {
	switch g.n(3) {
	case 0:
		return nil
	case 1:
		return []*slack.TextBlockObject{}
	}
	out := make([]*slack.TextBlockObject, 1+g.n(3))
	for i := range out {
		out[i] = g.text()
	}
	return out
}

func (g *perfReviewGen) button() *slack.ButtonBlockElement {
	if g.n(10) == 0 {
		return nil
	}
	b := &slack.ButtonBlockElement{
		Type:               slack.MessageElementType([]string{"", "button", g.str()}[g.n(3)]),
		Text:               g.text(),
		ActionID:           g.opt(),
		URL:                g.opt(),
		Value:              g.opt(),
		Style:              slack.Style([]string{"", "primary", "danger", g.str()}[g.n(4)]),
		AccessibilityLabel: g.opt(),
		AgentPrompt:        g.opt(),
		AgentPromptDisplay: g.opt(),
	}
	switch g.n(8) {
	case 0:
		b.Confirm = slack.NewConfirmationBlockObject(g.text(), g.text(), g.text(), g.text())
	case 1:
		b.VisibleToUserIDs = []string{}
	case 2:
		b.VisibleToUserIDs = []string{g.str()}
	}
	return b
}

func (g *perfReviewGen) element() slack.BlockElement {
	switch g.n(8) {
	case 0:
		return slack.NewImageBlockElement(g.str(), g.str())
	case 1:
		return nil
	case 2:
		return slack.NewPlainTextInputBlockElement(g.text(), g.str())
	default:
		b := g.button()
		if b == nil {
			return (*slack.ButtonBlockElement)(nil)
		}
		return b
	}
}

func (g *perfReviewGen) accessory() *slack.Accessory {
	switch g.n(8) {
	case 0, 1:
		return nil
	case 2:
		return &slack.Accessory{}
	case 3:
		return &slack.Accessory{ImageElement: slack.NewImageBlockElement(g.str(), g.str())}
	case 4:
		return &slack.Accessory{ButtonElement: g.button(), ImageElement: slack.NewImageBlockElement(g.str(), g.str())}
	default:
		return &slack.Accessory{ButtonElement: g.button()}
	}
}

func (g *perfReviewGen) typ(def slack.MessageBlockType) slack.MessageBlockType {
	switch g.n(6) {
	case 0:
		return ""
	case 1:
		return slack.MessageBlockType(g.str())
	}
	return def
}

func (g *perfReviewGen) block() slack.Block {
	switch g.n(14) {
	case 0, 1:
		return &slack.SectionBlock{Type: g.typ(slack.MBTSection), Text: g.text(), BlockID: g.opt(), Fields: g.texts(), Accessory: g.accessory(), Expand: g.n(2) == 1}
	case 2:
		return &slack.HeaderBlock{Type: g.typ(slack.MBTHeader), Text: g.text(), BlockID: g.opt(), Level: []int{0, 1, 4, -3, 1 << 40}[g.n(5)]}
	case 3, 4:
		b := &slack.ContextBlock{Type: g.typ(slack.MBTContext), BlockID: g.opt()}
		switch g.n(4) {
		case 0:
		case 1:
			b.ContextElements.Elements = []slack.MixedElement{}
		default:
			for range 1 + g.n(3) {
				switch g.n(6) {
				case 0:
					b.ContextElements.Elements = append(b.ContextElements.Elements, slack.NewImageBlockElement(g.str(), g.str()))
				case 1:
					b.ContextElements.Elements = append(b.ContextElements.Elements, (*slack.TextBlockObject)(nil))
				default:
					t := g.text()
					if t == nil {
						t = &slack.TextBlockObject{Type: slack.MarkdownType, Text: g.str()}
					}
					b.ContextElements.Elements = append(b.ContextElements.Elements, t)
				}
			}
		}
		return b
	case 5, 6:
		b := &slack.ActionBlock{Type: g.typ(slack.MBTAction), BlockID: g.opt()}
		switch g.n(4) {
		case 0:
		case 1:
			b.Elements = &slack.BlockElements{}
		case 2:
			b.Elements = &slack.BlockElements{ElementSet: []slack.BlockElement{}}
		default:
			b.Elements = &slack.BlockElements{}
			for range 1 + g.n(4) {
				b.Elements.ElementSet = append(b.Elements.ElementSet, g.element())
			}
		}
		return b
	case 7, 8:
		return &slack.DividerBlock{Type: g.typ(slack.MBTDivider), BlockID: g.opt()}
	case 9:
		return nil
	case 10:
		return []slack.Block{(*slack.SectionBlock)(nil), (*slack.HeaderBlock)(nil), (*slack.ContextBlock)(nil), (*slack.ActionBlock)(nil), (*slack.DividerBlock)(nil)}[g.n(5)]
	case 11:
		return slack.NewInputBlock(g.opt(), g.text(), g.text(), slack.NewPlainTextInputBlockElement(g.text(), g.str()))
	case 12:
		return slack.NewRichTextBlock(g.opt(), slack.NewRichTextSection(slack.NewRichTextSectionTextElement(g.str(), nil)))
	default:
		return slack.SectionBlock{Type: slack.MBTSection, Text: g.text()} // a value, not a pointer
	}
}

func perfReviewBlocks(data []byte, a, b string) []slack.Block {
	g := &perfReviewGen{data: data, strs: []string{"", a, b, "x", `<a href="x">&amp;</a>`, "\u2028\u2029", "\xff\x00\x1f\x7f", "é😀"}}
	switch g.n(8) {
	case 0:
		return nil
	case 1:
		return []slack.Block{}
	}
	bs := make([]slack.Block, 1+g.n(6))
	for i := range bs {
		bs[i] = g.block()
	}
	return bs
}

func FuzzMarshalBlocksShapes(f *testing.F) {
	f.Add([]byte{}, "", "")
	f.Add([]byte{2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, "<b>&\"\\", "\u2028\xff")
	f.Add([]byte("section header context actions divider 0123456789abcdefghijklmnop"), "Adopt \"R&D\" <plan>", "\t\n\r\b\f")
	for i := range 14 {
		f.Add([]byte{2, 5, byte(i), 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, "a", "b")
		f.Add([]byte{2, 5, byte(i), 7, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7}, "<", "&")
	}
	f.Fuzz(func(t *testing.T, data []byte, a, b string) {
		bs := perfReviewBlocks(data, a, b)
		want, err := json.Marshal(bs)
		got, gotErr := MarshalBlocks(bs)
		if (err != nil) != (gotErr != nil) {
			t.Fatalf("errors differ: MarshalBlocks %v, json.Marshal %v", gotErr, err)
		}
		if err != nil {
			return
		}
		if string(got) != string(want) {
			t.Fatalf("MarshalBlocks differs from json.Marshal:\n got %s\nwant %s", got, want)
		}
	})
}

// The same generator from a fixed seed, so plain `go test` runs it too,
// and a check that most lists take the direct path (else the fuzz tests
// only the fallback).
func TestMarshalBlocksRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	direct := 0
	const runs = 20000
	for range runs {
		data := make([]byte, 64)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		bs := perfReviewBlocks(data, "<a>&b", "\u2028\xffq\"")
		if _, ok := appendBlocks(nil, bs); ok {
			direct++
		}
		want, err := json.Marshal(bs)
		if err != nil {
			continue
		}
		got, _ := MarshalBlocks(bs)
		if string(got) != string(want) {
			t.Fatalf("MarshalBlocks differs from json.Marshal:\n got %s\nwant %s", got, want)
		}
	}
	t.Logf("%d of %d lists written directly", direct, runs)
	if direct < runs/10 {
		t.Errorf("only %d of %d lists took the direct path", direct, runs)
	}
}
