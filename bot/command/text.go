package command

import (
	"strings"
	"unicode"

	"github.com/baton-app/baton/internal/slacktext"
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

// idToken reports whether tok is written as a decision id (see
// slacktext.DecisionID).
func idToken(tok string) (string, bool) { return slacktext.DecisionID(tok) }

// domainToken reads a domain name, "#product/pricing" or (unless needHash)
// "product/pricing", as a #tag in text reads.
func domainToken(tok string, needHash bool) (string, bool) { return slacktext.Tag(tok, needHash) }

// tags returns the #tags in text (see slacktext.Tags).
func tags(text string) []string { return slacktext.Tags(text) }

// mentions returns the user ids mentioned in text, deduplicated, in order.
func mentions(text string) []string { return slacktext.Mentions(text) }

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
	text = slacktext.StripControls(text)
	text = slacktext.StripTags(text)
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
