package blocks

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/baton-app/baton/decisions"
)

// checkMarshalBlocks holds MarshalBlocks to encoding/json's bytes; every
// message the render tests encode goes through it.
func checkMarshalBlocks(t *testing.T, bs []slack.Block, want []byte) {
	t.Helper()
	got, err := MarshalBlocks(bs)
	if err != nil {
		t.Fatalf("MarshalBlocks: %v", err)
	}
	if string(got) != string(want) {
		t.Fatalf("MarshalBlocks differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
}

// The types MarshalBlocks writes by hand have the fields it knows of: a
// slack-go upgrade that adds one fails here, not silently in Slack.
func TestMarshalBlocksKnowsEveryField(t *testing.T) {
	known := []struct {
		typ  reflect.Type
		tags []string
	}{
		{reflect.TypeFor[slack.SectionBlock](), []string{"type", "text,omitempty", "block_id,omitempty", "fields,omitempty", "accessory,omitempty", "expand,omitempty"}},
		{reflect.TypeFor[slack.HeaderBlock](), []string{"type", "text,omitempty", "block_id,omitempty", "level,omitempty"}},
		{reflect.TypeFor[slack.ContextBlock](), []string{"type", "block_id,omitempty", "elements"}},
		{reflect.TypeFor[slack.ContextElements](), []string{""}},
		{reflect.TypeFor[slack.ActionBlock](), []string{"type", "block_id,omitempty", "elements"}},
		{reflect.TypeFor[slack.DividerBlock](), []string{"type", "block_id,omitempty"}},
		{reflect.TypeFor[slack.TextBlockObject](), []string{"type", "text", "emoji,omitempty", "verbatim,omitempty"}},
		{reflect.TypeFor[slack.ButtonBlockElement](), []string{"type,omitempty", "text", "action_id,omitempty", "url,omitempty", "value,omitempty", "confirm,omitempty", "style,omitempty", "accessibility_label,omitempty", "agent_prompt,omitempty", "agent_prompt_display,omitempty", "visible_to_user_ids,omitempty"}},
	}
	for _, k := range known {
		typ, want := k.typ, k.tags
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Tag.Get("json"))
		}
		if !slices.Equal(got, want) {
			t.Errorf("slack.%s has JSON fields %q; MarshalBlocks writes %q", typ.Name(), got, want)
		}
	}
}

// The messages of a proposal take the direct path, not the fallback.
func TestMarshalBlocksWritesProposalMessages(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	d := decisions.Decision{
		ID: 7, Title: `Adopt "R&D" <plan> for Q1`, Details: "line one\nline two\twith\u2028odd\x01bytes \xff",
		Proposer: "U1", Domain: "product/pricing", Deciders: []string{"U2", "U3"}, Advisors: []string{"U4"},
		Reason: "keyword \"price\" matched product/pricing; U02SOFIA3 is away", Status: decisions.StatusOpen,
		Source: decisions.Source{Kind: decisions.SourceCommand, Channel: "C1"}, CreatedAt: now, Due: now.Add(48 * time.Hour),
	}
	for name, m := range map[string]Message{
		"DeciderDM":    DeciderDM(d, d.Reason, now, time.UTC),
		"Announcement": Announcement(d, time.UTC),
		"Ack":          Ack(d, time.UTC),
	} {
		if _, ok := appendBlocks(nil, m.Blocks); !ok {
			t.Errorf("%s: MarshalBlocks fell back to encoding/json", name)
		}
		want, err := json.Marshal(m.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		checkMarshalBlocks(t, m.Blocks, want)
	}
}

func FuzzMarshalBlocksString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\s`, "<a> & b", "\b\f\n\r\t\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe", "日本語", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		bs := []slack.Block{
			slack.NewSectionBlock(mrkdwn(s), []*slack.TextBlockObject{plainText(s)}, slack.NewAccessory(slack.NewButtonBlockElement(s, s, plainText(s)))),
			slack.NewHeaderBlock(plainText(s)),
			slack.NewContextBlock(s, mrkdwn(s)),
			slack.NewActionBlock(s, slack.NewButtonBlockElement("a", s, plainText(s)).WithStyle(slack.StylePrimary)),
			slack.NewDividerBlock(),
		}
		want, err := json.Marshal(bs)
		if err != nil {
			t.Fatal(err)
		}
		checkMarshalBlocks(t, bs, want)
	})
}
