package decisions

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// routeLinear is the deliberately naive router the index is measured
// against: every route scans every domain, and every keyword of every
// domain over the text. It resolves tags, channels and keywords with the
// same precedence as Router but shares none of its index.
type routeLinear struct {
	domains  []Domain
	keywords [][]string // per domain: lowercase, words joined by one space
}

func newRouteLinear(domains []Domain) *routeLinear {
	l := &routeLinear{domains: domains, keywords: make([][]string, len(domains))}
	for i, d := range domains {
		for _, kw := range d.Keywords {
			l.keywords[i] = append(l.keywords[i], strings.Join(strings.Fields(strings.ToLower(kw)), " "))
		}
	}
	return l
}

// better reports whether domain i beats domain j (-1 for none) within a
// level: deeper, then earlier in the config.
func (l *routeLinear) better(i, j int) bool {
	if j < 0 {
		return true
	}
	di, dj := strings.Count(l.domains[i].Name, "/"), strings.Count(l.domains[j].Name, "/")
	return di > dj || di == dj && i < j
}

func (l *routeLinear) route(text string) string { return l.routeIn(text, "") }

func (l *routeLinear) routeIn(text, channel string) string {
	best := -1
	for _, tag := range ParseTags(text) {
		found := -1
		for tier := 0; tier < 3 && found < 0; tier++ {
			for i, d := range l.domains {
				name := strings.ToLower(d.Name)
				var hit bool
				switch tier {
				case 0:
					hit = name == tag
				case 1:
					for _, a := range d.Aliases {
						hit = hit || strings.ToLower(strings.TrimPrefix(a, "#")) == tag
					}
				case 2:
					hit = name[strings.LastIndexByte(name, '/')+1:] == tag
				}
				if hit && (tier < 2 && found < 0 || tier == 2 && l.better(i, found)) {
					found = i
				}
			}
		}
		if found >= 0 && l.better(found, best) {
			best = found
		}
	}
	if best >= 0 {
		return l.domains[best].Name
	}
	for i, d := range l.domains {
		for _, c := range d.Channels {
			if c == channel && l.better(i, best) {
				best = i
			}
		}
	}
	if best >= 0 {
		return l.domains[best].Name
	}
	norm := strings.Join(strings.Fields(strings.ToLower(text)), " ")
	for i := range l.domains {
		for _, kw := range l.keywords[i] {
			if routeLinearContains(norm, kw) && l.better(i, best) {
				best = i
			}
		}
	}
	if best >= 0 {
		return l.domains[best].Name
	}
	return ""
}

// routeLinearContains reports whether kw occurs in text as whole words.
func routeLinearContains(text, kw string) bool {
	isWord := func(r rune) bool {
		return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
	}
	for off := 0; ; {
		i := strings.Index(text[off:], kw)
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(kw)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || !isWord(before)) && (end == len(text) || !isWord(after)) {
			return true
		}
		off = start + 1
	}
}

// routeBenchSetup builds 10,000 domains (10 areas, 100 teams, 9,890
// topics) with 50,000 keywords, 60% single words and 40% two-word
// phrases, and 1,000 proposals of about 30 words: everyday English plus a
// few domain words, a quarter holding a configured phrase, some a #tag.
func routeBenchSetup() ([]Domain, []Request) {
	rng := rand.New(rand.NewPCG(7, 11))
	syll := []string{"ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "sa", "do", "fu", "gri", "bel", "tor", "wen", "quo", "xan", "yel", "hup"}
	seen := map[string]bool{}
	var vocab []string
	for len(vocab) < 40000 {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteString(syll[rng.IntN(len(syll))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			vocab = append(vocab, w)
		}
	}
	word := func() string { return vocab[rng.IntN(len(vocab))] }

	var domains []Domain
	add := func(name string) {
		d := Domain{Name: name, Owners: []string{fmt.Sprintf("U%08d", len(domains)), fmt.Sprintf("U%08d", len(domains)+1)}, Assign: AssignAll}
		for k := range 5 {
			if k < 3 {
				d.Keywords = append(d.Keywords, word())
			} else {
				d.Keywords = append(d.Keywords, word()+" "+word())
			}
		}
		if len(domains)%50 == 0 {
			d.Channels = []string{fmt.Sprintf("C%08d", len(domains))}
		}
		domains = append(domains, d)
	}
	for a := range 10 {
		add(fmt.Sprintf("area%d", a))
	}
	for a := range 10 {
		for t := range 10 {
			add(fmt.Sprintf("area%d/team%d", a, t))
		}
	}
	for n := 0; len(domains) < 10000; n++ {
		add(fmt.Sprintf("area%d/team%d/topic%d", n%10, n/10%10, n))
	}

	filler := strings.Fields("we should the a to of and for in on with our this that next quarter plan team budget change propose move from it is be by customers new launch review update process please decide whether can")
	reqs := make([]Request, 1000)
	for i := range reqs {
		var parts []string
		for range 30 {
			if rng.IntN(10) < 2 {
				parts = append(parts, word())
			} else {
				parts = append(parts, filler[rng.IntN(len(filler))])
			}
		}
		if i%4 == 0 {
			d := domains[rng.IntN(len(domains))]
			parts[rng.IntN(len(parts))] = d.Keywords[3]
		}
		if i%10 == 0 {
			parts[0] = "#" + domains[rng.IntN(len(domains))].Name
		}
		parts[0] = strings.ToUpper(parts[0][:1]) + parts[0][1:]
		reqs[i] = Request{Text: strings.Join(parts, " ") + ".", Channel: "C0NOMATCH1", Proposer: "U0PROPOSER", Seq: uint64(i)}
	}
	return domains, reqs
}

func BenchmarkRoute(b *testing.B) {
	domains, reqs := routeBenchSetup()
	r, err := NewRouter(domains, "area0")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("indexed", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			r.Route(reqs[i%len(reqs)])
		}
	})
	b.Run("linear", func(b *testing.B) {
		lin := newRouteLinear(domains)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			req := reqs[i%len(reqs)]
			if lin.routeIn(req.Text, req.Channel) == "" {
				_ = domains[0] // the default
			}
		}
	})
}

func BenchmarkNewRouter(b *testing.B) {
	domains, _ := routeBenchSetup()
	for b.Loop() {
		if _, err := NewRouter(domains, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRouteBenchConfigAgrees keeps the benchmark honest: on its config the
// index and the reference pick the same domains.
func TestRouteBenchConfigAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("slow reference router")
	}
	domains, reqs := routeBenchSetup()
	r, err := NewRouter(domains, "")
	if err != nil {
		t.Fatal(err)
	}
	lin := newRouteLinear(domains)
	matched := 0
	for _, req := range reqs[:200] {
		got := r.Route(req).Domain
		if want := lin.routeIn(req.Text, req.Channel); got != want {
			t.Fatalf("Route(%q) = %q, linear says %q", req.Text, got, want)
		}
		if got != "" {
			matched++
		}
	}
	if matched < 100 {
		t.Errorf("only %d of 200 benchmark texts match a domain", matched)
	}
}
