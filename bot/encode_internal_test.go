package bot

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestEncodeMessageIsJSON: the hand-spliced encoding reads back as the
// message, with and without blocks and views.
func TestEncodeMessageIsJSON(t *testing.T) {
	for _, m := range []Message{
		{Kind: KindPost, Channel: "C1", Text: "hi"},
		{Kind: KindDM, User: "U1", Text: "<&>", Blocks: json.RawMessage(`[{"type":"divider"}]`)},
		{Kind: KindHome, User: "U1", View: json.RawMessage(`{"type":"home","blocks":[]}`)},
		{Kind: KindPost, Text: "x", Blocks: json.RawMessage(`[]`), View: json.RawMessage(`{"a":1}`), Task: &Task{}},
	} {
		b, err := encodeMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		var back Message
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !reflect.DeepEqual(back, m) {
			t.Errorf("%s read back as %+v, want %+v", b, back, m)
		}
	}
}
