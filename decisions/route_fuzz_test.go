package decisions

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzRoute(f *testing.F) {
	for _, s := range []struct{ text, channel, tags string }{
		{"", "", ""},
		{"#pricing raise prices", "C0PRICING1", ""},
		{"Big PRICE  change", "", "hiring"},
		{"<#C0123|pricing> http://x/#ops e-commerce", "C0SHARED01", "#pp,nope"},
		{"\xff\xfe#\xc3 price \xe2\x82 change", "\x00", "\xff"},
		{"#a#b##c <#<@<! café CAFÉ straße", "", ","},
	} {
		f.Add(s.text, s.channel, s.tags)
	}
	withDefault := routeTestRouter(f, "company")
	without := routeTestRouter(f, "")
	f.Fuzz(func(t *testing.T, text, channel, tags string) {
		req := Request{Text: text, Channel: channel, Tags: strings.Split(tags, ","), Now: routeTestNow, Seq: uint64(len(text))}
		for _, r := range []*Router{withDefault, without} {
			got := r.Route(req)
			if got.Matched() {
				if _, ok := r.Domain(got.Domain); !ok {
					t.Fatalf("routed to unknown domain %q", got.Domain)
				}
				if got.Level == MatchNone || got.Candidates != nil {
					t.Fatalf("matched route has level %s and candidates %v", got.Level, got.Candidates)
				}
			} else if got.Level != MatchNone || len(got.Candidates) == 0 {
				t.Fatalf("unmatched route has level %s and candidates %v", got.Level, got.Candidates)
			}
			if got.Deciders == nil || got.Advisors == nil || got.Informed == nil {
				t.Fatalf("nil list in %+v", got)
			}
			if got.Reason == "" {
				t.Fatal("empty reason")
			}
		}
		if got := withDefault.Route(req); !got.Matched() {
			t.Fatalf("with a default domain, %q matched nothing", text)
		}
	})
}

func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"", "#pricing", "#Product/Pricing.", "<#C1|x> #a #A", "http://x/#a", "#42 #q3", "(#café)", "\xff#\xc3\xa9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		tags := ParseTags(text)
		for i, tag := range tags {
			if tag == "" || !utf8.ValidString(tag) || strings.ContainsAny(tag, "# \t\n") {
				t.Fatalf("bad tag %q", tag)
			}
			if tag != strings.ToLower(tag) {
				t.Fatalf("tag %q is not lowercase", tag)
			}
			if slices.Contains(tags[:i], tag) {
				t.Fatalf("duplicate tag %q in %q", tag, tags)
			}
			if again := ParseTags("#" + tag); !slices.Equal(again, []string{tag}) {
				t.Fatalf("ParseTags(%q) = %q, want the tag back", "#"+tag, again)
			}
		}
	})
}
