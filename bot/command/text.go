package command

import (
	"regexp"
	"strings"
	"unicode"
)

var (
	// mentionRE matches a user mention as Slack escapes it in command text:
	// <@U123> or <@U123|name>. W… ids are Enterprise Grid users.
	mentionRE = regexp.MustCompile(`<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>`)
	// controlRE matches Slack's other control sequences (channels,
	// usergroups, @here): they do not make a proposal say anything.
	controlRE = regexp.MustCompile(`<[@#!][^<>]*>`)
	// tagRE matches a #tag at the start of a word; "<#C1|general>" channel
	// links and "&amp;#…" are not tags. Tags start with a letter so that
	// "we're #1" is prose.
	tagRE = regexp.MustCompile(`(?:^|[\s(\[,])#(\p{L}[\p{L}\p{N}_\-./]*)`)
	idRE  = regexp.MustCompile(`^[dD]-[0-9]+$`)
	domRE = regexp.MustCompile(`^\p{L}[\p{L}\p{N}_\-./]*$`)
)

// clean makes text safe to parse and store: valid UTF-8, no control
// characters but newline and tab, no surrounding space.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// cut splits off the first whitespace-separated word of s; rest keeps its
// inner spacing and newlines as typed.
func cut(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// idToken reports whether tok is written as a decision id (D-7 or d-7,
// trailing punctuation allowed: "D-7:") and returns it without the
// punctuation. Bare numbers are not ids here: "aprove 3 options" is prose.
func idToken(tok string) (string, bool) {
	core := strings.TrimRight(tok, ":,.;!?)")
	return core, idRE.MatchString(core)
}

// domainToken reads a domain name, "#product/pricing" or (unless needHash)
// "product/pricing", lowercased and without '#'.
func domainToken(tok string, needHash bool) (string, bool) {
	name, hash := strings.CutPrefix(tok, "#")
	if needHash && !hash {
		return "", false
	}
	name = strings.TrimRight(name, ".,;:/-")
	if !domRE.MatchString(name) {
		return "", false
	}
	return strings.ToLower(name), true
}

// tags returns the #tags in text, lowercased, without '#', deduplicated,
// in order.
func tags(text string) []string {
	var out []string
	for _, m := range tagRE.FindAllStringSubmatch(text, -1) {
		if t := strings.ToLower(strings.TrimRight(m[1], ".-/")); t != "" {
			out = append(out, t)
		}
	}
	return dedupe(out)
}

// mentions returns the user ids mentioned in text, deduplicated, in order.
func mentions(text string) []string {
	var out []string
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return dedupe(out)
}

func dedupe(list []string) []string {
	var out []string
	seen := make(map[string]bool, len(list))
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// hasContent reports whether text says something beyond tags, mentions and
// punctuation.
func hasContent(text string) bool {
	text = controlRE.ReplaceAllString(text, " ")
	text = tagRE.ReplaceAllString(text, " ")
	return strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// code neutralises a fragment of user text for quoting inside `…` in an
// mrkdwn reply: one line, no backticks, no live mentions, not too long.
func code(s string) string {
	const max = 80
	s = strings.Join(strings.Fields(s), " ")
	s = strings.NewReplacer("`", "'", "<", "&lt;", ">", "&gt;").Replace(s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}
