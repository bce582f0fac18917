package decisions

// The router's text handling: keyword matching over tokens, and the
// #tags a request carries.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/baton-app/baton/internal/slacktext"
)

// matchKeywords finds the best domain whose keyword occurs in text as whole
// words: one map lookup per word, plus one per word pair for words that
// start a phrase. It returns -1 when nothing matches.
func (r *Router) matchKeywords(text string) (dom, kw int32) {
	dom, kw = -1, -1
	if len(r.words) == 0 || text == "" {
		return dom, kw
	}
	if strings.IndexByte(text, '&') >= 0 {
		text = routeUnescape.Replace(text) // Slack sends "R&D" as "R&amp;D"
	}
	var buf [64]routeToken // enough for most proposals, on the stack
	toks := routeTokenize(strings.ToLower(text), buf[:0])
	best := int32(len(r.domains))
	for i, t := range toks {
		w, ok := r.words[t.word]
		if !ok {
			continue
		}
		if w.dom >= 0 && r.rank[w.dom] < best {
			dom, kw, best = w.dom, w.kw, r.rank[w.dom]
		}
		if w.phrase && i+1 < len(toks) {
			next := toks[i+1:]
		phrases:
			for _, p := range r.phrases[[2]string{t.word, next[0].word}] {
				if r.rank[p.dom] >= best {
					break // sorted: nothing further can do better
				}
				if len(p.rest) >= len(next) || p.gaps[0] != next[0].gap {
					continue
				}
				for j, word := range p.rest {
					if next[j+1].word != word || next[j+1].gap != p.gaps[j+1] {
						continue phrases
					}
				}
				dom, kw, best = p.dom, p.kw, r.rank[p.dom]
				break
			}
		}
		if best == 0 {
			break // the most specific domain of all: nothing can beat it
		}
	}
	return dom, kw
}

// routeUnescape undoes the only escaping Slack applies to message text.
var routeUnescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// routeTokenize appends the words of s to dst. A word is a run of letters,
// digits, combining marks and '_'; anything else separates words. s is
// expected to be lowercase already.
func routeTokenize(s string, dst []routeToken) []routeToken {
	prevEnd := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf && !routeASCIIWord[c] {
			i++
			continue
		}
		r, w := routeDecode(s, i)
		if !routeIsWord(r) {
			i += w
			continue
		}
		start := i
		for i += w; i < len(s); i += w {
			if c := s[i]; c < utf8.RuneSelf {
				if !routeASCIIWord[c] {
					break
				}
				w = 1
				continue
			}
			if r, w = utf8.DecodeRuneInString(s[i:]); !routeIsWord(r) {
				break
			}
		}
		dst = append(dst, routeToken{word: s[start:i], gap: strings.TrimSpace(s[prevEnd:start])})
		prevEnd = i
	}
	return dst
}

func routeDecode(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

var routeASCIIWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || 'A' <= c && c <= 'Z'
	}
	return t
}()

func routeIsWord(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 0 && routeASCIIWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// ParseTags returns the #tags written in text, lowercase, without the '#',
// in order of first appearance and without duplicates, as
// internal/slacktext reads them everywhere in Baton (see slacktext.Tags).
func ParseTags(text string) []string { return slacktext.Tags(text) }

func routeIsTagRune(r rune) bool {
	return routeIsWord(r) || r == '-' || r == '/' || r == '.'
}

// routeNormTag turns a tag given outside the text ("#Pricing", " pricing ")
// into the form ParseTags returns.
func routeNormTag(s string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "#"))
}

// routeRequestTags is every tag of the request: those in the text, then
// req.Tags, without duplicates.
func routeRequestTags(req Request) []string {
	tags := ParseTags(req.Text)
	if len(req.Tags) == 0 {
		return tags
	}
	var seen map[string]bool
	if len(tags)+len(req.Tags) > 16 {
		seen = make(map[string]bool, len(tags)+len(req.Tags))
		for _, t := range tags {
			seen[t] = true
		}
	}
	for _, t := range req.Tags {
		t = routeNormTag(t)
		switch {
		case t == "":
		case seen != nil:
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		case !slices.Contains(tags, t):
			tags = append(tags, t)
		}
	}
	return tags
}

// routeUnknownTags says which tags were ignored, naming at most three.
func routeUnknownTags(tags []string) string {
	const show = 3
	parts := make([]string, 0, show+1)
	for i, t := range tags {
		if i == show {
			parts = append(parts, fmt.Sprintf("%d more", len(tags)-show))
			break
		}
		parts = append(parts, routeShowTag(t))
	}
	noun := "tag"
	if len(tags) > 1 {
		noun = "tags"
	}
	return "unknown " + noun + " " + routeJoin(parts) + " ignored"
}

// routeShowTag renders a tag for a reason: short, and quoted when it holds
// anything a tag written in text could not.
func routeShowTag(t string) string {
	const limit = 40
	if len(t) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(t[cut]) {
			cut--
		}
		t = t[:cut] + "…"
	}
	if strings.IndexFunc(t, func(r rune) bool { return !routeIsTagRune(r) && r != '…' }) >= 0 {
		return "#" + strconv.Quote(t)
	}
	return "#" + t
}

// routeList names up to n domains, then says how many more.
func routeList(names []string, idx []int32, n int) string {
	parts := make([]string, 0, n+1)
	for k, i := range idx {
		if k == n {
			parts = append(parts, fmt.Sprintf("%d more", len(idx)-n))
			break
		}
		parts = append(parts, names[i])
	}
	return routeJoin(parts)
}

func routeJoin(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
