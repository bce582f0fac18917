package decisions

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Router routes proposals to decision rights. It is built once from the
// decision-rights config, which it indexes so that routing costs about the
// length of the text, not the size of the config; Route is then pure and
// safe for concurrent use.
type Router struct {
	domains []Domain // deep copies, config order
	names   []string // configured names, config order
	lower   []string // lowercase names
	// rank orders domains by precedence within a level: deeper first, then
	// config order. Lower is better.
	rank []int32

	byName    map[string]int32
	byAlias   map[string]int32
	bySegment map[string][]int32 // last path segment → domains, best rank first
	byChannel map[string][]int32 // channel id → domains, best rank first

	words   map[string]routeWord        // first word of every keyword
	phrases map[[2]string][]routePhrase // first two words → phrases, best rank first
	kwText  []string                    // keywords as configured, for reasons
	def     int32                       // default domain, or -1
	// usesLoad is whether any domain assigns least_loaded, the only
	// policy that reads Request.Load.
	usesLoad bool
}

// routeWord is what a single lowercase word can start: the best domain
// with that word as a whole keyword (dom -1 if none) and, if phrase is
// set, longer phrases indexed in Router.phrases. It is a small value so a
// lookup touches one cache line.
type routeWord struct {
	routeHit
	phrase bool
}

type routeHit struct {
	dom int32
	kw  int32 // index into Router.kwText
}

// routePhrase is a keyword of two or more words. gaps[i] is the separator
// required before word i+1, whitespace trimmed: "" means any run of
// whitespace; "-" matches "e-commerce".
type routePhrase struct {
	routeHit
	rest []string // words after the first two
	gaps []string // len(rest)+1
}

// routeToken is a word of routed text and what separates it from the word
// before, whitespace trimmed.
type routeToken struct {
	word string
	gap  string
}

// RouteConfigError is a decision-rights setting the router cannot use.
// Field is the path of the setting in the config file, such as
// "domains[3].aliases[1]" or "default_domain", so the config loader can
// point at the line.
type RouteConfigError struct {
	Field string
	Msg   string
}

func (e *RouteConfigError) Error() string { return e.Field + ": " + e.Msg }

// NewRouter indexes the decision rights. It fails on an unusable name,
// alias, keyword or channel, on names or aliases that are used twice
// (compared case-insensitively), and on a default domain that is not one of
// the domains. An empty defaultDomain means there is none.
//
// An alias wins over another domain's last path segment: with domains
// "product/pricing" and "finance" (alias "pricing"), #pricing means finance.
func NewRouter(domains []Domain, defaultDomain string) (*Router, error) {
	r := &Router{
		domains:   make([]Domain, len(domains)),
		names:     make([]string, len(domains)),
		lower:     make([]string, len(domains)),
		rank:      make([]int32, len(domains)),
		byName:    make(map[string]int32, len(domains)),
		byAlias:   make(map[string]int32),
		bySegment: make(map[string][]int32, len(domains)),
		byChannel: make(map[string][]int32),
		words:     make(map[string]routeWord),
		phrases:   make(map[[2]string][]routePhrase),
		def:       -1,
	}
	fail := func(i int, field, format string, args ...any) (*Router, error) {
		return nil, &RouteConfigError{Field: fmt.Sprintf("domains[%d].%s", i, field), Msg: fmt.Sprintf(format, args...)}
	}

	// Names first: rank depends on all of them, and aliases are checked
	// against every name.
	depth := make([]int, len(domains))
	for i, d := range domains {
		if msg := routeCheckName(d.Name); msg != "" {
			return fail(i, "name", "%s", msg)
		}
		low := strings.ToLower(d.Name)
		if j, dup := r.byName[low]; dup {
			return fail(i, "name", "domain %q is already defined as domains[%d]", d.Name, j)
		}
		r.domains[i] = routeCloneDomain(d)
		r.names[i] = d.Name
		r.lower[i] = low
		r.byName[low] = int32(i)
		depth[i] = strings.Count(low, "/") + 1
	}
	order := make([]int32, len(domains))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(depth[b], depth[a]) })
	for pos, i := range order {
		r.rank[i] = int32(pos)
	}
	byRank := func(a, b int32) int { return cmp.Compare(r.rank[a], r.rank[b]) }

	for i, d := range domains {
		low := r.lower[i]
		seg := low[strings.LastIndexByte(low, '/')+1:]
		r.bySegment[seg] = append(r.bySegment[seg], int32(i))

		for k, a := range d.Aliases {
			field := fmt.Sprintf("aliases[%d]", k)
			al := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(a), "#"))
			if msg := routeCheckName(al); msg != "" {
				return fail(i, field, "alias: %s", msg)
			}
			if al == low {
				continue // an alias spelling its own name changes nothing
			}
			if j, ok := r.byName[al]; ok {
				return fail(i, field, "alias %q is the name of domain %q", a, r.names[j])
			}
			if j, ok := r.byAlias[al]; ok && int(j) != i {
				return fail(i, field, "alias %q is already an alias of domain %q", a, r.names[j])
			}
			r.byAlias[al] = int32(i)
		}

		for k, c := range d.Channels {
			c = strings.TrimSpace(c)
			if c == "" {
				return fail(i, fmt.Sprintf("channels[%d]", k), "channel id is empty")
			}
			if l := r.byChannel[c]; len(l) == 0 || l[len(l)-1] != int32(i) {
				r.byChannel[c] = append(l, int32(i))
			}
		}

		for k, kw := range d.Keywords {
			toks := routeTokenize(strings.ToLower(kw), nil)
			if len(toks) == 0 {
				return fail(i, fmt.Sprintf("keywords[%d]", k), "keyword %q has no letters or digits", kw)
			}
			// Words are all matching sees, so "c++" would match "c": refuse
			// rather than surprise.
			t := strings.TrimSpace(kw)
			first, _ := utf8.DecodeRuneInString(t)
			last, _ := utf8.DecodeLastRuneInString(t)
			if !routeIsWord(first) || !routeIsWord(last) {
				return fail(i, fmt.Sprintf("keywords[%d]", k), "keyword %q starts or ends with punctuation, which whole-word matching ignores; remove it", kw)
			}
			hit := routeHit{dom: int32(i), kw: int32(len(r.kwText))}
			r.kwText = append(r.kwText, strings.TrimSpace(kw))
			w, ok := r.words[toks[0].word]
			if !ok {
				w.dom = -1
			}
			if len(toks) == 1 {
				if w.dom < 0 || r.rank[i] < r.rank[w.dom] {
					w.routeHit = hit
				}
				r.words[toks[0].word] = w
				continue
			}
			w.phrase = true
			r.words[toks[0].word] = w
			p := routePhrase{routeHit: hit, gaps: make([]string, len(toks)-1)}
			for j, t := range toks[1:] {
				p.gaps[j] = t.gap
			}
			for _, t := range toks[2:] {
				p.rest = append(p.rest, t.word)
			}
			key := [2]string{toks[0].word, toks[1].word}
			r.phrases[key] = append(r.phrases[key], p)
		}
	}

	// Sort every candidate list by precedence so routing only ever needs
	// the first entry that applies.
	for _, l := range r.bySegment {
		slices.SortStableFunc(l, byRank)
	}
	for _, l := range r.byChannel {
		slices.SortStableFunc(l, byRank)
	}
	for _, l := range r.phrases {
		slices.SortStableFunc(l, func(a, b routePhrase) int { return byRank(a.dom, b.dom) })
	}

	if def := strings.TrimSpace(defaultDomain); def != "" {
		i, ok := r.byName[strings.ToLower(strings.TrimPrefix(def, "#"))]
		if !ok {
			return nil, &RouteConfigError{Field: "default_domain", Msg: fmt.Sprintf("%q is not one of the configured domains", defaultDomain)}
		}
		r.def = i
	}
	for _, d := range domains {
		r.usesLoad = r.usesLoad || d.Assign == AssignLeastLoaded
	}
	return r, nil
}

// UsesLoad reports whether Route can read Request.Load: only when some
// domain assigns least_loaded. Reading every person's open decisions is a
// store query, which a proposal can skip when no route needs it.
func (r *Router) UsesLoad() bool { return r.usesLoad }

// routeCheckName says what is wrong with a domain name or alias, or "".
func routeCheckName(name string) string {
	switch {
	case name == "":
		return "name is empty"
	case strings.ContainsFunc(name, unicode.IsSpace):
		return fmt.Sprintf("%q contains whitespace; use - or _ between words", name)
	case strings.HasPrefix(name, "#"):
		return fmt.Sprintf("%q starts with #; write it without", name)
	case strings.HasPrefix(name, "/") || strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return fmt.Sprintf("%q has an empty part between slashes", name)
	case !utf8.ValidString(name):
		return fmt.Sprintf("%q is not valid UTF-8", name)
	}
	return ""
}

func routeCloneDomain(d Domain) Domain {
	d.Owners = slices.Clone(d.Owners)
	d.Advisors = slices.Clone(d.Advisors)
	d.Informed = slices.Clone(d.Informed)
	d.Aliases = slices.Clone(d.Aliases)
	d.Keywords = slices.Clone(d.Keywords)
	d.Channels = slices.Clone(d.Channels)
	d.EscalateTo = slices.Clone(d.EscalateTo)
	return d
}

// Domain returns the domain with that full name, compared case-insensitively.
func (r *Router) Domain(name string) (Domain, bool) {
	i, ok := r.byName[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Domain{}, false
	}
	return routeCloneDomain(r.domains[i]), true
}

// Domains returns every domain in config order.
func (r *Router) Domains() []Domain {
	out := make([]Domain, len(r.domains))
	for i, d := range r.domains {
		out[i] = routeCloneDomain(d)
	}
	return out
}

// Lookup finds the domain a tag names: its full name, an alias, or its last
// path segment, case-insensitively and with or without a leading '#'. A full
// name wins over an alias, which wins over a last segment; a segment that
// several domains share picks the deepest, then the first in the config.
func (r *Router) Lookup(tag string) (Domain, bool) {
	i, _ := r.lookup(routeNormTag(tag))
	if i < 0 {
		return Domain{}, false
	}
	return routeCloneDomain(r.domains[i]), true
}

// lookup resolves a normalized tag; others lists the other domains that
// share the last segment when the segment was what matched.
func (r *Router) lookup(tag string) (i int32, others []int32) {
	if tag == "" {
		return -1, nil
	}
	if i, ok := r.byName[tag]; ok {
		return i, nil
	}
	if i, ok := r.byAlias[tag]; ok {
		return i, nil
	}
	if l := r.bySegment[tag]; len(l) > 0 {
		return l[0], l[1:]
	}
	return -1, nil
}

// Parent returns the nearest configured ancestor of the named domain by "/"
// prefix: "product" for "product/pricing/eu" when "product/pricing" is not
// configured. The named domain itself need not be configured.
func (r *Router) Parent(name string) (Domain, bool) {
	i := r.parent(strings.ToLower(strings.TrimPrefix(strings.TrimSpace(name), "#")))
	if i < 0 {
		return Domain{}, false
	}
	return routeCloneDomain(r.domains[i]), true
}

func (r *Router) parent(low string) int32 {
	for {
		cut := strings.LastIndexByte(low, '/')
		if cut < 0 {
			return -1
		}
		low = low[:cut]
		if i, ok := r.byName[low]; ok {
			return i
		}
	}
}

// Route decides where a proposal goes and why. Precedence: an explicit
// #tag (in the text or in req.Tags), then the channel, then keywords, then
// the default domain; within the level that matched, the deepest domain
// wins and ties go to the first in the config. The decision stays in the
// matched domain even when, because its owners are all unavailable, the
// nearest ancestor's owners decide it.
func (r *Router) Route(req Request) Route {
	var (
		dom     int32 = -1
		level         = MatchNone
		clauses []string
	)

	tags := routeRequestTags(req)
	var unknown []string
	var tagOthers []int32
	tagged := ""
	for _, t := range tags {
		i, others := r.lookup(t)
		if i < 0 {
			unknown = append(unknown, t)
			continue
		}
		if dom < 0 || r.rank[i] < r.rank[dom] {
			dom, tagged, tagOthers = i, t, others
		}
	}
	if dom >= 0 {
		level = MatchTag
		c := fmt.Sprintf("#%s tag matched domain %s", tagged, r.names[dom])
		if len(tagOthers) > 0 {
			verb := "ends"
			if len(tagOthers) > 1 {
				verb = "end"
			}
			c += fmt.Sprintf(" (%s also %s in /%s; tag the full name to pick it)", routeList(r.names, tagOthers, 3), verb, tagged)
		}
		clauses = append(clauses, c)
	} else if ch := strings.TrimSpace(req.Channel); ch != "" && len(r.byChannel[ch]) > 0 {
		dom, level = r.byChannel[ch][0], MatchChannel
		clauses = append(clauses, fmt.Sprintf("channel %s is routed to %s", ch, r.names[dom]))
	} else if i, kw := r.matchKeywords(req.Text); i >= 0 {
		dom, level = i, MatchKeyword
		clauses = append(clauses, fmt.Sprintf("keyword %q matched %s", r.kwText[kw], r.names[dom]))
	} else if r.def >= 0 {
		dom, level = r.def, MatchDefault
		clauses = append(clauses, "no rule matched; default domain "+r.names[dom])
	}
	if len(unknown) > 0 {
		clauses = append(clauses, routeUnknownTags(unknown))
	}

	if dom < 0 {
		c := "no rule matched and there is no default domain"
		if len(unknown) > 0 {
			c += " (" + clauses[0] + ")"
		}
		c += "; pick a domain with a #tag"
		if len(r.names) > 0 {
			c += ", e.g. #" + strings.ToLower(r.names[0])
		}
		return Route{
			Deciders:   []string{},
			Advisors:   []string{},
			Informed:   []string{},
			Reason:     c,
			Level:      MatchNone,
			Candidates: slices.Clone(r.names),
		}
	}

	d := &r.domains[dom]
	people := People{Presence: req.Presence, Now: req.Now}
	// A domain without owners of its own is held by its nearest ancestor
	// that has some, under that ancestor's assignment policy: deferring to
	// the parent is the configuration, not an escalation.
	holder := dom
	for len(r.domains[holder].Owners) == 0 {
		p := r.parent(r.lower[holder])
		if p < 0 {
			break
		}
		holder = p
	}
	if holder != dom {
		clauses = append(clauses, d.Name+" has no owners, so the owners of "+r.names[holder]+" hold it")
	}
	owners, notes := r.Assignees(r.domains[holder], req)
	clauses = append(clauses, notes...)
	deciders := owners
	escalations := 0
	if len(people.Reachable(owners, req.Proposer)) == 0 {
		// Nobody who holds the right can act now: the proposal climbs one
		// level, and the owners keep their right for when they are back.
		why := "no owner of " + r.names[holder] + " can act now"
		if len(r.domains[holder].Owners) == 0 {
			why = d.Name + " has no owners"
		}
		ladder := r.Ladder(d.Name)
		if up, level, ok := Climb(ladder, 0, owners, people, req.Proposer); ok {
			deciders = append(slices.Clone(owners), up...)
			escalations = level + 1
			clauses = append(clauses, why+", so it goes one level up to "+ladder[level].Label)
			clauses = append(clauses, presenceNotes(up, people, req.Proposer)...)
		} else {
			ask := whoToAsk(r.domains[holder].Owners, people)
			if ask == "" {
				ask = "an admin"
			}
			clauses = append(clauses, "nobody can decide: "+why+" and nobody above it can either; ask "+ask)
			deciders, owners = []string{}, []string{}
		}
	}

	advisors := make([]string, 0, len(d.Advisors))
	for _, a := range d.Advisors {
		if a != req.Proposer && !contains(advisors, a) {
			advisors = append(advisors, a)
		}
	}
	informed := make([]string, len(d.Informed))
	copy(informed, d.Informed)
	return Route{
		Domain:       d.Name,
		Deciders:     deciders,
		Advisors:     advisors,
		Informed:     informed,
		Reason:       strings.Join(clauses, "; "),
		Level:        level,
		Owners:       owners,
		Escalations:  escalations,
		Rule:         d.Rule,
		ConsentAfter: d.ConsentAfter,
	}
}

// Assignees applies presence and the domain's assignment policy to its
// owners. Deactivated owners are skipped. An away owner stays an owner —
// the right is theirs, and their delegate acts for them while they are
// away — but round_robin and least_loaded pick only among owners someone
// can act for now: "round_robin" picks by req.Seq, "least_loaded" the one
// with the fewest open decisions (req.Load), ties going to the earlier
// owner; "all" keeps everyone left. The proposer is kept: any owner may
// decide their own proposal. Notes explain every absence and pick, in
// plain user ids. The result is empty, not nil, when no owner is left;
// climbing the ladder is Route's business.
func (r *Router) Assignees(d Domain, req Request) (owners []string, notes []string) {
	people := People{Presence: req.Presence, Now: req.Now}
	owners = make([]string, 0, len(d.Owners))
	for _, o := range d.Owners {
		if o == "" || contains(owners, o) {
			continue
		}
		if req.Presence[o].Deactivated {
			notes = append(notes, o+" is deactivated")
			continue
		}
		owners = append(owners, o)
	}
	notes = append(notes, presenceNotes(owners, people, req.Proposer)...)
	if len(owners) <= 1 || (d.Assign != AssignRoundRobin && d.Assign != AssignLeastLoaded) {
		return owners, notes
	}
	avail := make([]string, 0, len(owners))
	for _, o := range owners {
		if people.ActingOn(o, req.Proposer) != "" {
			avail = append(avail, o)
		}
	}
	if len(avail) == 0 {
		return owners, notes
	}
	switch d.Assign {
	case AssignRoundRobin:
		pick := avail[req.Seq%uint64(len(avail))]
		return []string{pick}, append(notes, "round robin picked "+pick)
	default:
		pick := avail[0]
		for _, u := range avail[1:] {
			if req.Load[u] < req.Load[pick] {
				pick = u
			}
		}
		return []string{pick}, append(notes, fmt.Sprintf("%s has the fewest open decisions (%d)", pick, req.Load[pick]))
	}
}

// presenceNotes explains, for a reason, who among users is away and who
// acts for them.
func presenceNotes(users []string, people People, proposer string) []string {
	var notes []string
	for _, u := range users {
		p := people.Presence[u]
		if !p.Away(people.Now) {
			continue
		}
		away := u + " is away until " + day(p.AwayUntil)
		switch acting := people.ActingOn(u, proposer); {
		case acting != "":
			notes = append(notes, away+"; "+acting+" acts for them")
		case p.Delegate == "" || p.Delegate == u:
			notes = append(notes, away+" with no delegate")
		default:
			notes = append(notes, away+" and their delegate "+p.Delegate+" cannot act for them")
		}
	}
	return notes
}
