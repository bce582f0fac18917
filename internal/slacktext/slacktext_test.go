package slacktext

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// The texts where the router and the command parser used to disagree
// come first: each is now read one way.
func TestTags(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		// formerly a tag to the router only, or read differently
		{"*#pricing*", []string{"pricing"}},
		{"“#pricing”", []string{"pricing"}},
		{"‘#pricing’ «#ops»", []string{"pricing", "ops"}},
		{"#2fa-enforcement for admins", []string{"2fa-enforcement"}},
		{"#ops_", []string{"ops"}},
		{"_#ops_ ~#hr~", []string{"ops", "hr"}},
		// not tags
		{"", nil},
		{"fixes #42", nil},
		{"C# code, a#b", nil},
		{"http://x/#a https://e.com/p#s", nil},
		{"<#C0123ABCD|pricing> <#C0123ABCD>", nil},
		{"<https://example.com/#a|docs #b> #c", []string{"c"}},
		{"&amp;#39;quoted&amp;#39;", nil},
		{"#-x #/y #.z #_w", nil},
		// tags
		{"#Product/Pricing. then #pricing and #PRICING", []string{"product/pricing", "pricing"}},
		{"(#pricing), [#ops]", []string{"pricing", "ops"}},
		{"#Café #ÉQUIPE", []string{"café", "équipe"}},
		{"#v1.2 release", []string{"v1.2"}},
		{"<#unterminated #ok", []string{"ok"}},
	}
	for _, tt := range tests {
		if got := Tags(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Tags(%q) = %q, want %q", tt.text, got, tt.want)
		}
		stripped := StripTags(tt.text)
		if got := Tags(stripped); len(got) != 0 {
			t.Errorf("StripTags(%q) = %q still has tags %q", tt.text, stripped, got)
		}
	}
}

func TestTag(t *testing.T) {
	tests := []struct {
		tok      string
		needHash bool
		want     string
		ok       bool
	}{
		{"#Product/Pricing", true, "product/pricing", true},
		{"product/pricing", false, "product/pricing", true},
		{"product/pricing", true, "", false},
		{"#ops_", true, "ops", true},
		{"#2fa-enforcement,", true, "2fa-enforcement", true},
		{"#42", true, "", false},
		{"#", true, "", false},
		{"!!", false, "", false},
		{"#a#b", true, "", false},
	}
	for _, tt := range tests {
		got, ok := Tag(tt.tok, tt.needHash)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Tag(%q, %v) = %q, %v; want %q, %v", tt.tok, tt.needHash, got, ok, tt.want, tt.ok)
		}
		if ok {
			if again := Tags("#" + got); !slices.Equal(again, []string{got}) {
				t.Errorf("Tags(#%s) = %q: Tag and Tags disagree", got, again)
			}
		}
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"<@U123|maya> and <@W456> and <@U123>", []string{"U123", "W456"}},
		{"&lt;@U123&gt; typed by hand", nil},
		{"<!here> <#C1|x> <!subteam^S1|@x>", nil},
		{"<@u123> lowercase is not Slack's", nil},
	}
	for _, tt := range tests {
		if got := Mentions(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Mentions(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	if u, rest, ok := LeadingMention("  <@U0BATON|baton>  approve D-1 "); !ok || u != "U0BATON" || rest != "approve D-1" {
		t.Errorf("LeadingMention = %q, %q, %v", u, rest, ok)
	}
	if _, rest, ok := LeadingMention("hey <@U0BATON>"); ok || rest != "hey <@U0BATON>" {
		t.Errorf("LeadingMention of a later mention = %q, %v", rest, ok)
	}
	for s, want := range map[string]bool{"<@U1>,<@U2>": true, "<@U1>&amp;": true, "<@U1>x": false, ",": false} {
		if OnlyMentions(s) != want {
			t.Errorf("OnlyMentions(%q) = %v", s, !want)
		}
	}
}

func TestIDs(t *testing.T) {
	for tok, want := range map[string]string{"D-7": "D-7", "d-12:": "d-12", "D-7)": "D-7", "7": "", "D-": "", "D-x": "", "DD-7": ""} {
		got, ok := DecisionID(tok)
		if ok != (want != "") || (ok && got != want) {
			t.Errorf("DecisionID(%q) = %q, %v; want %q", tok, got, ok, want)
		}
	}
	if !IsUserID("U01MAYA01") || !IsUserID("W123") || !IsUserID("U1") || IsUserID("C123") || IsUserID("u123") || IsUserID("U") {
		t.Error("IsUserID")
	}
	if !IsChannelID("C01GENERAL") || !IsChannelID("G123") || IsChannelID("D123") {
		t.Error("IsChannelID")
	}
}

func FuzzTags(f *testing.F) {
	for _, s := range []string{"", "#pricing", "*#Product/Pricing.*", "<#C1|x> #a #A", "http://x/#a", "#42 #2fa", "“#café”", "\xff#\xc3\xa9", "#ops_"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tags := Tags(text)
		for i, tag := range tags {
			if tag == "" || !utf8.ValidString(tag) || strings.ContainsAny(tag, "# \t\n") || tag != strings.ToLower(tag) {
				t.Fatalf("bad tag %q", tag)
			}
			if slices.Contains(tags[:i], tag) {
				t.Fatalf("duplicate tag %q in %q", tag, tags)
			}
			if got, ok := Tag("#"+tag, true); !ok || got != tag {
				t.Fatalf("Tag(#%s) = %q, %v: want the tag back", tag, got, ok)
			}
		}
		if left := Tags(StripTags(text)); len(left) != 0 {
			t.Fatalf("StripTags(%q) left tags %q", text, left)
		}
	})
}

func TestChannelLinkAndConversationIDs(t *testing.T) {
	for tok, want := range map[string]string{"<#C01GENERAL|general>": "C01GENERAL", "<#G123>": "G123", "<#C1|x> y": "", "x <#C1>": "", "C01GENERAL": "", "<#D123>": ""} {
		got, ok := ChannelLink(tok)
		if ok != (want != "") || got != want {
			t.Errorf("ChannelLink(%q) = %q, %v; want %q", tok, got, ok, want)
		}
	}
	if !IsConversationID("D0DM12345") || !IsConversationID("C01GENERAL") || IsConversationID("U01MAYA01") {
		t.Error("IsConversationID")
	}
	if m := ChannelLinkPattern().FindStringSubmatch("see <#C1AB|pricing>"); m == nil || m[1] != "C1AB" || m[2] != "pricing" {
		t.Errorf("ChannelLinkPattern groups: %q", m)
	}
}

// StripTags removes exactly the tags Tags reads: none inside a URL or a
// <…|label> link or mention, where it used to strip them.
func TestStripTagsAgreesWithTags(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"see <https://x.com|the (#pricing) page>", "see <https://x.com|the (#pricing) page>"},
		{"http://x.com/(#frag) now", "http://x.com/(#frag) now"},
		{"<@U1|#ops> fix", "<@U1|#ops> fix"},
		{"<!subteam^S1|#team> x", "<!subteam^S1|#team> x"},
		{"text <http://a.b|#x> #ops", "text <http://a.b|#x> \u2060"},
		{"#pricing first, then *#ops*", "\u2060 first, then *\u2060*"},
	} {
		if got := StripTags(tt.in); got != tt.want {
			t.Errorf("StripTags(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if n, m := len(Tags(tt.in)), strings.Count(StripTags(tt.in), "\u2060"); n != m {
			t.Errorf("%q: Tags reads %d tags, StripTags strips %d", tt.in, n, m)
		}
	}
}
