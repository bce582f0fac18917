package command

// Text that is not a proposal is not proposed: a near miss of a verb, or a
// word that is not a verb before a decision id, gets the closest commands
// and an offer to propose it as written (Error.AsWritten).

import (
	"slices"
	"sort"
	"strings"

	"github.com/baton-app/baton/internal/textdist"
)

// misplaced catches commands that were meant but not typed as one: a near
// miss of a verb ("aprove D-7 ok", "lsit mine"), a word that is not a verb
// before a decision id ("frobnicate D-3", "not mine D-2"), or an id first
// ("D-7 approve"). Nothing is created for them: the reply names the closest
// commands and offers to propose the text as written. Anything else is
// prose, and a proposal.
func (c *parser) misplaced(word, rest, all string) error {
	next, after := cut(rest)
	third, afterThird := cut(after)
	if id, ok := idToken(word); ok {
		v := VerbShow
		if e, ok := lookup(next); ok && e.takesID {
			v, rest = e.Verb, after
		}
		c.e = specOf(v)
		err := c.fail("Did you mean `%s`? Nothing was created. Commands start with the word, then the id. To propose a decision that starts with `%s`, use `%s`.",
			code(strings.TrimSpace(c.slash+" "+string(v)+" "+id+" "+rest)), code(id), code(c.slash+" propose "+all))
		err.Suggestion, err.Suggestions, err.AsWritten = v, []Verb{v}, all
		return err
	}
	idAt, id, tail := 0, "", ""
	if core, ok := idToken(next); ok {
		idAt, id, tail = 2, core, after
	} else if core, ok := idToken(third); ok && phraseVerb(word+" "+next) != "" {
		idAt, id, tail = 3, core, afterThird
	}
	if idAt > 0 {
		if v, ok := nearVerb(word, true); ok {
			c.e = specOf(v)
			err := c.fail("Did you mean `%s`? Nothing was created. Try `%s`, or `%s` to propose it as written.",
				v, code(c.slash+" "+string(v)+" "+rest), code(c.slash+" propose "+all))
			err.Suggestion, err.Suggestions, err.AsWritten = v, []Verb{v}, all
			return err
		}
		lead := word
		if idAt == 3 {
			lead = word + " " + next
		}
		verbs := closestVerbs(lead)
		tries := make([]string, len(verbs))
		for i, v := range verbs {
			tries[i] = "`" + code(strings.TrimSpace(c.slash+" "+string(v)+" "+id+" "+tail)) + "`"
		}
		c.e = specOf(verbs[0])
		err := c.fail("`%s` is not one of my commands, so nothing was created. Did you mean %s? If this is a new decision, use `%s`.",
			code(lead), orList(tries), code(c.slash+" propose "+all))
		err.Suggestion, err.Suggestions, err.AsWritten = verbs[0], verbs, all
		return err
	}
	if v, ok := nearVerb(word, false); ok {
		c.e = specOf(v)
		err := c.fail("Did you mean `%s`? Nothing was created. Try `%s`, or `%s` to propose it as written.",
			v, code(strings.TrimSpace(c.slash+" "+string(v)+" "+rest)), code(c.slash+" propose "+all))
		err.Suggestion, err.Suggestions, err.AsWritten = v, []Verb{v}, all
		return err
	}
	return nil
}

// synonyms are words people use for a verb ("not mine" for decline). They
// rank first among the closest verbs of a word that is not a command.
var synonyms = map[string]Verb{
	"ok": VerbApprove, "accept": VerbApprove, "yes": VerbApprove, "lgtm": VerbApprove, "agree": VerbApprove,
	"deny": VerbReject, "no": VerbReject, "refuse": VerbReject, "veto": VerbReject,
	"postpone": VerbDefer, "delay": VerbDefer, "snooze": VerbDefer, "later": VerbDefer,
	"cancel": VerbWithdraw, "retract": VerbWithdraw, "drop": VerbWithdraw,
	"assign": VerbReassign, "transfer": VerbReassign, "handover": VerbReassign, "delegate": VerbReassign,
	"suggest": VerbAdvise, "recommend": VerbAdvise,
	"view": VerbShow, "open": VerbShow, "get": VerbShow, "status": VerbShow, "info": VerbShow,
	"not mine": VerbDecline, "notmine": VerbDecline, "not": VerbDecline, "pass": VerbDecline, "redirect": VerbDecline, "move": VerbDecline,
	"revisit": VerbReview, "reconsider": VerbReview, "recheck": VerbReview,
	"note": VerbComment, "remark": VerbComment, "reply": VerbComment, "say": VerbComment,
	"rename": VerbEdit, "change": VerbEdit, "update": VerbEdit, "amend": VerbEdit, "retitle": VerbEdit, "fix": VerbEdit,
}

// phraseVerb is the verb a word or two-word phrase is a synonym of, or "".
func phraseVerb(s string) Verb {
	s = strings.ToLower(s)
	if v, ok := synonyms[s]; ok {
		if _, ok := specByVerb(v); ok {
			return v
		}
	}
	return ""
}

// specByVerb finds the table entry of v, if v is in the table.
func specByVerb(v Verb) (*entry, bool) {
	for i := range table {
		if table[i].Verb == v {
			return &table[i], true
		}
	}
	return nil, false
}

// maxSuggestions is how many verbs a reply to a non-command offers.
const maxSuggestions = 3

// closestVerbs ranks the verbs that take an id by how close they are to
// lead: a synonym first, then by edit distance, then in table order.
func closestVerbs(lead string) []Verb {
	var out []Verb
	if v := phraseVerb(lead); v != "" {
		out = append(out, v)
	}
	first, _ := cut(lead)
	if v := phraseVerb(first); v != "" && !slices.Contains(out, v) {
		out = append(out, v)
	}
	type cand struct {
		v Verb
		d int
	}
	var cands []cand
	w := strings.ToLower(first)
	for _, e := range table {
		if e.takesID && !slices.Contains(out, e.Verb) {
			cands = append(cands, cand{e.Verb, textdist.Distance(w, string(e.Verb))})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].d < cands[j].d })
	for _, c := range cands {
		if len(out) == maxSuggestions {
			break
		}
		out = append(out, c.v)
	}
	return out
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// nearVerb returns the verb word is a near miss of. Before a decision id
// the text is clearly a command, so a verb taking an id within
// Damerau-Levenshtein distance 2 counts (1 for words under 5 letters).
// Without an id prose is likelier ("Lift the hiring freeze", "Preview
// feature"), so only typo-shaped misses count: see typoOf.
func nearVerb(word string, beforeID bool) (Verb, bool) {
	w := []rune(strings.ToLower(word))
	if len(w) < 4 || len(w) > 20 {
		return "", false
	}
	if !beforeID {
		for _, e := range table {
			if typoOf(w, []rune(string(e.Verb))) {
				return e.Verb, true
			}
		}
		return "", false
	}
	limit := 1
	if len(w) >= 5 {
		limit = 2
	}
	best, bestD := Verb(""), limit+1
	for _, e := range table {
		if !e.takesID {
			continue
		}
		if d := textdist.Distance(string(w), string(e.Verb)); d < bestD {
			best, bestD = e.Verb, d
		}
	}
	return best, best != ""
}

// typoOf reports whether w is verb mistyped the way fingers mistype: two
// adjacent letters swapped ("lsit"), or, in words of 5 letters or more,
// one letter dropped or added after the first ("aprove", "approove").
// Substitutions are real words too often ("Lift" for list, "Exit" for
// edit, "Refer" for defer) and count only on verbs of 7 letters or more;
// a different first letter ("Preview") or a plural s ("Comments",
// "Right") is a word of its own.
func typoOf(w, verb []rune) bool {
	if len(w) == 0 || len(verb) == 0 || w[0] != verb[0] {
		return false
	}
	switch {
	case len(w) == len(verb):
		var diff []int
		for i := range w {
			if w[i] != verb[i] {
				diff = append(diff, i)
			}
		}
		switch len(diff) {
		case 1:
			return len(verb) >= 7
		case 2:
			i, j := diff[0], diff[1]
			return j == i+1 && w[i] == verb[j] && w[j] == verb[i]
		}
		return false
	case len(w) >= 5 && len(w) == len(verb)+1:
		return w[len(w)-1] != 's' && dropsOne(w, verb)
	case len(w) >= 5 && len(w)+1 == len(verb):
		return verb[len(verb)-1] != 's' && dropsOne(verb, w)
	}
	return false
}

// dropsOne reports whether short is long without one of its letters.
func dropsOne(long, short []rune) bool {
	i := 0
	for i < len(short) && long[i] == short[i] {
		i++
	}
	return string(long[i+1:]) == string(short[i:])
}
