// Package slacktext is Baton's one grammar for the parts of Slack text it
// reads: decision ids ("D-7"), Slack's escaped mentions and links
// ("<@U123|maya>", "<#C123|general>", "<!here>"), Slack ids, and #tags.
// The router, the command parser and the event handlers all read text
// through it, so a tag or a mention means the same thing everywhere.
//
// It works on text as Slack sends it: a literal '<' typed by a person
// arrives as "&lt;", so every '<' starts Slack markup.
package slacktext

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// userMention is a user mention as Slack sends it: <@U123> or
	// <@U123|name>. W… ids are Enterprise Grid users.
	userMention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>`)
	// control is any Slack control sequence: mentions, channel links,
	// usergroups, <!here> and friends.
	control = regexp.MustCompile(`<[@#!][^<>]*>`)
	// channelLink is a channel reference: <#C123> or <#C123|general>.
	channelLink = regexp.MustCompile(`<#([CG][A-Z0-9]+)(?:\|([^<>|]*))?>`)
	// decisionID is a decision id as people type it.
	decisionID = regexp.MustCompile(`^[dD]-[0-9]+$`)
)

// UserMentionPattern is the regular expression of a user mention, with
// the user id as its first group, for callers that replace mentions.
func UserMentionPattern() *regexp.Regexp { return userMention }

// ChannelLinkPattern is the regular expression of a channel reference,
// with the channel id as its first group and the label, if any, as its
// second.
func ChannelLinkPattern() *regexp.Regexp { return channelLink }

// Mentions returns the user ids mentioned in text, in order, without
// duplicates.
func Mentions(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range userMention.FindAllStringSubmatch(text, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	return out
}

// LeadingMention reports whether text starts with a user mention and
// returns its user id and the rest of the text, trimmed.
func LeadingMention(text string) (user, rest string, ok bool) {
	text = strings.TrimSpace(text)
	loc := userMention.FindStringSubmatchIndex(text)
	if loc == nil || loc[0] != 0 {
		return "", text, false
	}
	return text[loc[2]:loc[3]], strings.TrimSpace(text[loc[1]:]), true
}

// OnlyMentions reports whether s holds one or more user mentions and,
// besides them, only punctuation joining them (",", ";", "+", "&amp;").
func OnlyMentions(s string) bool {
	if !userMention.MatchString(s) {
		return false
	}
	s = userMention.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "&amp;", "")
	return strings.TrimFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '+' || unicode.IsSpace(r) }) == ""
}

// StripControls replaces every Slack control sequence in text (mentions,
// channel links, <!here>) with a space.
func StripControls(text string) string {
	if !strings.Contains(text, "<") { // routing calls this on every proposal; most have no markup
		return text
	}
	return control.ReplaceAllString(text, " ")
}

// IsUserID reports whether s is a Slack user id (U… or W…).
func IsUserID(s string) bool { return isID(s, "UW") }

// IsChannelID reports whether s is a public or private channel id.
func IsChannelID(s string) bool { return isID(s, "CG") }

// IsConversationID reports whether s is a channel or DM id (C…, G…, D…).
func IsConversationID(s string) bool { return isID(s, "CGD") }

// isID reports whether s is one of the letters kinds followed by one or
// more capitals and digits. Every mention Baton renders is checked, so
// this is a loop rather than a regexp.
func isID(s, kinds string) bool {
	if len(s) < 2 || strings.IndexByte(kinds, s[0]) < 0 {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// ChannelLink reads a whole token that is a channel reference
// ("<#C123|general>") and returns the channel id.
func ChannelLink(tok string) (string, bool) {
	loc := channelLink.FindStringSubmatchIndex(tok)
	if loc == nil || loc[0] != 0 || loc[1] != len(tok) {
		return "", false
	}
	return tok[loc[2]:loc[3]], true
}

// DecisionID reports whether tok is written as a decision id ("D-7",
// "d-7", trailing punctuation allowed: "D-7:") and returns it without the
// punctuation. Bare numbers are not ids: "approve 3 options" is prose.
func DecisionID(tok string) (string, bool) {
	core := strings.TrimRight(tok, ":,.;!?)")
	return core, decisionID.MatchString(core)
}

// Tags returns the #tags written in text, lowercase, without the '#', in
// order of first appearance and without duplicates. A tag starts with a
// letter or digit, continues with letters, digits, marks, '_', '-', '/'
// and '.', contains at least one letter (so "#42" is an issue number, not
// a tag: "#2fa-enforcement" is one), and drops trailing '.', '-', '/' and
// '_' ("#ops_" is "ops"). The '#' must start the text or follow
// whitespace or opening punctuation, formatting marks included ("*#pricing*",
// "“#pricing”"), so URL fragments (http://x/#a), "C#" and words like "a#b"
// are not tags; neither are Slack links such as <#C123|general>.
func Tags(text string) []string {
	var (
		tags []string
		seen map[string]bool // hostile text may hold thousands of tags
	)
	eachTag(text, func(tag string, _, _ int) {
		if !seen[tag] {
			if seen == nil {
				seen = make(map[string]bool)
			}
			seen[tag] = true
			tags = append(tags, tag)
		}
	})
	return tags
}

// eachTag calls fn for every #tag in text, in order, with the tag
// normalized and the byte range of the raw "#tag". It is the one scanner
// Tags and StripTags share, so they agree on what a tag is.
func eachTag(text string, fn func(tag string, hash, end int)) {
	if strings.IndexByte(text, '#') < 0 {
		return // most text: no need to walk it
	}
	var (
		inURL   bool // the current run of non-blanks contains "://"
		noClose bool // no '>' after some earlier '<'
	)
	// Only ASCII bytes change state, so walk bytes; runes are decoded only
	// around a '#'.
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '<':
			// Slack escapes a literal '<' as &lt;, so this is a link, mention
			// or channel reference: skip it whole, label included.
			if noClose || i+1 == len(text) || !slackEntity(text[i+1:]) {
				continue
			}
			if j := strings.IndexByte(text[i+1:], '>'); j >= 0 {
				i += j + 1
				continue
			}
			noClose = true
		case ':':
			if strings.HasPrefix(text[i:], "://") {
				inURL = true
			}
		case ' ', '\t', '\n', '\r', '\v', '\f':
			inURL = false
		case '#':
			if inURL {
				continue
			}
			prev := rune(-1)
			if i > 0 {
				prev, _ = utf8.DecodeLastRuneInString(text[:i])
			}
			if !tagMayFollow(prev) {
				continue
			}
			tag, end := scanTag(text, i+1)
			if tag != "" {
				fn(tag, i, end)
			}
			i = end - 1
		}
	}
}

// Tag reads one token naming a domain, "#product/pricing" or (unless
// needHash) "product/pricing", the way Tags reads it in text.
func Tag(tok string, needHash bool) (string, bool) {
	if !strings.HasPrefix(tok, "#") {
		if needHash {
			return "", false
		}
		tok = "#" + tok
	}
	tag, end := scanTag(tok, 1)
	if tag == "" || strings.TrimRight(tok[end:], ".,;:!?)") != "" {
		return "", false
	}
	return tag, true
}

// StripTags removes every #tag Tags reads in text (never one inside a URL
// or a <…|label> link), leaving a word
// joiner (U+2060) in its place so that what follows cannot become a tag.
func StripTags(text string) string {
	var b strings.Builder
	last := 0
	eachTag(text, func(_ string, hash, end int) {
		b.WriteString(text[last:hash])
		b.WriteString("\u2060")
		last = end
	})
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// IsTagRune reports whether r may appear inside a tag.
func IsTagRune(r rune) bool {
	return isWord(r) || r == '-' || r == '/' || r == '.'
}

// slackEntity reports whether s, the text after a '<', starts a Slack
// link, mention or channel reference.
func slackEntity(s string) bool {
	switch s[0] {
	case '#', '@', '!':
		return true
	}
	return strings.HasPrefix(s, "http") || strings.HasPrefix(s, "mailto:")
}

// tagMayFollow reports whether a '#' after r can start a tag.
func tagMayFollow(r rune) bool {
	if r < 0 || unicode.IsSpace(r) {
		return true
	}
	return strings.ContainsRune("([{\"'“‘«*_~,;", r)
}

// scanTag reads a tag starting at text[start] and returns it normalized
// ("" if there is none) and the end of the raw tag characters.
func scanTag(text string, start int) (string, int) {
	i := start
	if i >= len(text) {
		return "", i
	}
	if r, _ := decode(text, i); !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return "", i
	}
	for i < len(text) {
		r, w := decode(text, i)
		if !IsTagRune(r) {
			break
		}
		i += w
	}
	tag := strings.TrimRight(text[start:i], ".-/_")
	if strings.IndexFunc(tag, unicode.IsLetter) < 0 {
		return "", i
	}
	return strings.ToLower(tag), i
}

func decode(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}
