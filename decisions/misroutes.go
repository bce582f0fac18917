package decisions

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Misroutes teach the rights map. Every decline, and every edit whose new
// #tag moved a decision to another domain, is kept on the decision as a
// Misroute: where it had been routed and why, and where it went. Suggest
// turns them into proposed config changes.

// Misroute is one time a decision landed in the wrong domain.
type Misroute struct {
	At         time.Time `json:"at"`
	By         string    `json:"by"`          // who declined or retagged it
	From       string    `json:"from"`        // the domain it was in
	FromReason string    `json:"from_reason"` // why it had been routed there
	To         string    `json:"to"`          // where it went
	Why        string    `json:"why,omitempty"`
	// Declined is true for a decline by a decider, false for a proposer's
	// retagging edit.
	Declined bool `json:"declined,omitempty"`
}

// KeywordSuggestion proposes adding Keyword to Domain's match.keywords:
// the word is in the titles of Decisions, misrouted decisions that ended
// up in Domain, and no rule covers it.
type KeywordSuggestion struct {
	Domain    string `json:"domain"`
	Keyword   string `json:"keyword"`
	Count     int    `json:"count"`
	Decisions []ID   `json:"decisions"`
}

// BadKeyword is a keyword rule that sent Decisions to Domain, which then
// declined them.
type BadKeyword struct {
	Keyword   string `json:"keyword"`
	Domain    string `json:"domain"`
	Count     int    `json:"count"`
	Decisions []ID   `json:"decisions"`
}

// Suggestions are the config changes misroutes suggest.
type Suggestions struct {
	Misroutes int `json:"misroutes"`
	// Singles counts words seen in one misrouted title only: not yet
	// suggested.
	Singles     int                 `json:"words_seen_once"`
	AddKeywords []KeywordSuggestion `json:"add_keywords"`
	BadKeywords []BadKeyword        `json:"bad_keywords"`
}

// maxWordsPerDomain caps the keyword suggestions for one domain, and
// minMisroutes is how many misroutes a word needs before it is one: a
// single misroute is not yet a pattern. minSharePercent is the share of
// the domain's misrouted decisions a word must be in, so that among
// hundreds of misroutes a word in two titles is not a rule.
const (
	maxWordsPerDomain = 5
	minMisroutes      = 2
	minSharePercent   = 20
)

// genericWords say nothing about who should decide, however often they
// recur in titles: verbs of deciding, time words, quantities, fillers.
var genericWords = wordSet(`change new use make add move update stop start set get all more less
		next not can about into before after
		decide decision proposal propose approve approval reject review plan idea option question issue
		need want have keep let please shall would could may might must does did done also just only
		now soon today tomorrow week month quarter year day time date deadline end again first last
		one two three four five ten hundred per via out off over under up down yes no ok
		january february march april june july august september october november december
		monday tuesday wednesday thursday friday saturday sunday
		team people thing way our your their its what which who how why when where whether
		than then there here some any each every other same such very much many most few
		go going ship launch try run do doing`)

func wordSet(words string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(words) {
		out[w] = true
	}
	return out
}

// keywordReason finds the keyword clause the router writes
// (`keyword "budget" matched finance`).
var keywordReason = regexp.MustCompile(`keyword "([^"]+)" matched ([^\s;,]+)`)

// Suggestions read at most SuggestMax misrouted decisions, the newest, and
// in Slack only those misrouted in the last SuggestWindow: the rights map
// should learn from how work is routed now, at a bounded cost.
const (
	SuggestMax    = 2000
	SuggestWindow = 180 * 24 * time.Hour
)

// Suggest reads the misroutes of ds against the rights map. A decision
// counts for the domain it is in now (where it was decided, or is being
// decided). Words are suggested only where no domain already has them as
// a keyword, alias or name.
func Suggest(ds []Decision, domains []Domain) Suggestions {
	covered := map[string]bool{}
	for _, dm := range domains {
		for _, k := range dm.Keywords {
			covered[strings.ToLower(k)] = true
			if w, ok := searchWord(k); ok {
				covered[w] = true // "invoices" covers "invoice", as search reads it
			}
		}
		for _, a := range dm.Aliases {
			covered[strings.ToLower(a)] = true
		}
		for _, part := range strings.Split(strings.ToLower(dm.Name), "/") {
			covered[part] = true
		}
	}
	var s Suggestions
	type key struct{ a, b string }
	words := map[key][]ID{}
	bad := map[key][]ID{}
	misrouted := map[string]int{} // misrouted decisions per domain they ended up in
	for i := range ds {
		d := &ds[i]
		// A decline to other people in the same domain says nothing about
		// the domain's rules.
		moved := 0
		for _, m := range d.Misroutes {
			if m.From != m.To {
				moved++
			}
		}
		if moved == 0 {
			continue
		}
		s.Misroutes += moved
		misrouted[d.Domain]++
		seen := map[string]bool{}
		for _, w := range searchWords(d.Title) {
			// "q3", "2027", "v2", "10k": dates, versions and amounts, not
			// what a decision is about.
			if covered[w] || seen[w] || genericWords[w] || len(w) < 3 || strings.ContainsAny(w, "0123456789") {
				continue
			}
			seen[w] = true
			words[key{d.Domain, w}] = append(words[key{d.Domain, w}], d.ID)
		}
		for _, m := range d.Misroutes {
			if !m.Declined || m.From == m.To {
				continue
			}
			for _, sub := range keywordReason.FindAllStringSubmatch(m.FromReason, -1) {
				if sub[2] == m.From {
					k := key{sub[1], m.From}
					if !slices.Contains(bad[k], d.ID) {
						bad[k] = append(bad[k], d.ID)
					}
				}
			}
		}
	}
	perDomain := map[string][]KeywordSuggestion{}
	for k, ids := range words {
		if len(ids) < minMisroutes {
			s.Singles++
			continue
		}
		if len(ids)*100 < misrouted[k.a]*minSharePercent {
			continue
		}
		perDomain[k.a] = append(perDomain[k.a], KeywordSuggestion{Domain: k.a, Keyword: k.b, Count: len(ids), Decisions: sortedIDs(ids)})
	}
	for _, list := range perDomain {
		slices.SortFunc(list, func(a, b KeywordSuggestion) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Decisions[0], b.Decisions[0]), cmp.Compare(a.Keyword, b.Keyword))
		})
		s.AddKeywords = append(s.AddKeywords, list[:min(len(list), maxWordsPerDomain)]...)
	}
	slices.SortFunc(s.AddKeywords, func(a, b KeywordSuggestion) int {
		return cmp.Or(cmp.Compare(a.Domain, b.Domain), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Decisions[0], b.Decisions[0]), cmp.Compare(a.Keyword, b.Keyword))
	})
	for k, ids := range bad {
		s.BadKeywords = append(s.BadKeywords, BadKeyword{Keyword: k.a, Domain: k.b, Count: len(ids), Decisions: sortedIDs(ids)})
	}
	slices.SortFunc(s.BadKeywords, func(a, b BadKeyword) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Domain, b.Domain), cmp.Compare(a.Keyword, b.Keyword))
	})
	if s.AddKeywords == nil {
		s.AddKeywords = []KeywordSuggestion{}
	}
	if s.BadKeywords == nil {
		s.BadKeywords = []BadKeyword{}
	}
	return s
}

// YAML renders the suggestions as comments and a snippet to paste into
// the config's domains.
func (s Suggestions) YAML() string {
	var b strings.Builder
	if s.Misroutes == 0 {
		return "# No misroutes yet: nothing to suggest. Declines (`/decide decline`) and retagging edits are kept as misroutes.\n"
	}
	b.WriteString("# Suggested from " + plural(s.Misroutes, "misroute") + ".\n")
	if len(s.AddKeywords) == 0 && len(s.BadKeywords) == 0 {
		b.WriteString("# No word recurs yet: a keyword is suggested once it is in the titles of " + plural(minMisroutes, "misrouted decision") + " that ended up in the same domain.\n")
	}
	if len(s.AddKeywords) > 0 {
		b.WriteString("# Merge these keywords into the domains' match.keywords in the config:\n")
		var cur string
		for _, k := range s.AddKeywords {
			if k.Domain != cur {
				cur = k.Domain
				b.WriteString("- name: " + k.Domain + "\n  match:\n    keywords:\n")
			}
			b.WriteString("      - " + yamlScalar(k.Keyword) + "   # add keyword `" + k.Keyword + "` to " + k.Domain + " — " + plural(k.Count, "misroute") + ": " + idList(k.Decisions) + "\n")
		}
	}
	if len(s.BadKeywords) > 0 {
		b.WriteString("# Keyword rules whose decisions were declined; consider removing them from match.keywords:\n")
		for _, k := range s.BadKeywords {
			b.WriteString("#   `" + k.Keyword + "` sent " + plural(k.Count, "decision") + " to " + k.Domain + " that " + k.Domain + " declined: " + idList(k.Decisions) + "\n")
		}
	}
	return b.String()
}

func sortedIDs(ids []ID) []ID {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func idList(ids []ID) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id.String()
	}
	return strings.Join(parts, ", ")
}

// yamlScalar quotes a keyword when YAML would read it as something else.
func yamlScalar(s string) string {
	switch strings.ToLower(s) {
	case "yes", "no", "true", "false", "on", "off", "null", "y", "n", "~":
		return `"` + s + `"`
	}
	return s
}
