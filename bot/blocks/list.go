package blocks

import (
	"strconv"
	"strings"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/slack-go/slack"
)

// listLine is one decision on one line, for lists and the App Home.
func listLine(d decisions.Decision, now time.Time, loc *time.Location) string {
	parts := []string{"• " + idTitle(d, titleList), domain(d.Domain)}
	if d.Status == decisions.StatusOpen {
		parts = append(parts, Users(d.Deciders, 3))
		if !d.Due.IsZero() {
			if d.Overdue(now) {
				parts = append(parts, ":warning: *overdue* by "+Duration(now.Sub(d.Due))+" (due "+Date(d.Due, loc)+")")
			} else {
				parts = append(parts, "due "+Date(d.Due, loc))
			}
		}
	} else {
		parts = append(parts, status(d, loc))
	}
	return strings.Join(parts, " · ")
}

// List shows decisions one per line under a title, overdue ones flagged.
// Past listMax, or past what fits, the rest are counted ("…and 37 more").
func List(title string, ds []decisions.Decision, now time.Time, loc *time.Location) Message {
	title = strings.TrimSpace(title)
	if title == "" {
		title = "Decisions"
	}
	bs := add(nil, header(title+" ("+strconv.Itoa(len(ds))+")"))
	if len(ds) == 0 {
		bs = add(bs, section("_Nothing here._"))
		return Fit(Message{Text: Escape(title) + ": none", Blocks: bs})
	}
	shown := ds
	if len(shown) > listMax {
		shown = shown[:listMax]
	}
	rest := len(ds) - len(shown)
	lines := make([]string, len(shown))
	overdue := 0
	for i, d := range shown {
		lines[i] = listLine(d, now, loc)
	}
	for _, d := range ds {
		if d.Overdue(now) {
			overdue++
		}
	}
	more := func(n int) string { return "…and " + strconv.Itoa(n+rest) + " more" }
	body := pack(lines, MaxBlocks-len(bs), MaxMessageText-textSum(bs)-100, false, more)
	if rest > 0 && len(body) > 0 {
		if _, ok := body[len(body)-1].(*slack.ContextBlock); !ok {
			body = add(body, contextBlock(more(0)))
		}
	}
	bs = add(bs, body...)
	text := Escape(title) + ": " + strconv.Itoa(len(ds))
	if overdue > 0 {
		text += ", " + strconv.Itoa(overdue) + " overdue"
	}
	return Fit(Message{Text: text, Blocks: bs})
}

var assignText = map[decisions.Assign]string{
	decisions.AssignAll:         "any owner decides",
	decisions.AssignRoundRobin:  "one owner, in turn",
	decisions.AssignLeastLoaded: "the least-loaded owner decides",
}

func lastSegment(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// matchesFilter reports whether a rights filter ("#pricing", "product",
// "product/pricing", an alias) selects the domain or one of its ancestors.
func matchesFilter(dm decisions.Domain, f string) bool {
	name := strings.ToLower(dm.Name)
	if name == f || strings.HasPrefix(name, f+"/") || lastSegment(name) == f {
		return true
	}
	for _, a := range dm.Aliases {
		if strings.ToLower(a) == f {
			return true
		}
	}
	return false
}

func rightsEntry(dm decisions.Domain) string {
	head := "*" + domain(dm.Name) + "*"
	if desc := oneLine(dm.Description); desc != "" {
		head += " — " + clip(desc, 300)
	}
	lines := []string{head}

	assign := assignText[dm.Assign]
	if assign == "" {
		assign = assignText[decisions.AssignAll]
	}
	decide := "*Owners:* " + Users(dm.Owners, 10) + " (" + assign + ")"
	decide += " · *Rule:* " + decisions.RulesOf(dm).Describe()
	if dm.SLA > 0 {
		decide += " · *SLA:* " + Duration(dm.SLA)
	}
	lines = append(lines, decide)

	var people []string
	if len(dm.Advisors) > 0 {
		s := "*Advisors:* " + Users(dm.Advisors, 10)
		if dm.RequireAdvice {
			s += " (advice required before deciding)"
		}
		people = append(people, s)
	}
	if len(dm.Informed) > 0 {
		people = append(people, "*Informed:* "+channels(dm.Informed, 10))
	}
	if len(people) > 0 {
		lines = append(lines, strings.Join(people, " · "))
	}

	tags := []string{"`#" + Escape(dm.Name) + "`"}
	if seg := lastSegment(dm.Name); seg != dm.Name {
		tags = append(tags, "`#"+Escape(seg)+"`")
	}
	for _, a := range dm.Aliases {
		tags = append(tags, "`#"+Escape(a)+"`")
	}
	routes := []string{"*Tags:* " + Truncate(strings.Join(tags, ", "), 400)}
	if len(dm.Channels) > 0 {
		routes = append(routes, "*Channels:* "+channels(dm.Channels, 10))
	}
	if len(dm.Keywords) > 0 {
		kw := make([]string, len(dm.Keywords))
		for i, k := range dm.Keywords {
			kw[i] = "“" + Escape(k) + "”"
		}
		routes = append(routes, "*Keywords:* "+Truncate(strings.Join(kw, ", "), 400))
	}
	lines = append(lines, strings.Join(routes, " · "))

	var after []string
	if len(dm.EscalateTo) > 0 {
		after = append(after, "*Escalates to:* "+Users(dm.EscalateTo, 10))
	} else if i := strings.LastIndexByte(dm.Name, '/'); i > 0 {
		after = append(after, "*Escalates to:* "+domain(dm.Name[:i]))
	}
	if !dm.Announce {
		after = append(after, "_proposals are not announced_")
	}
	if len(after) > 0 {
		lines = append(lines, strings.Join(after, " · "))
	}
	return strings.Join(lines, "\n") + "\n"
}

// Rights is the decision-rights map: for each domain its owners, advisors,
// SLA, assignment and what routes proposals to it. filter ("#pricing",
// "product") narrows it to matching domains and their children. Domains
// that do not fit are named in a closing line.
func Rights(domains []decisions.Domain, filter string) Message {
	f := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(filter), "#"))
	var picked []decisions.Domain
	for _, dm := range domains {
		if f == "" || matchesFilter(dm, f) {
			picked = append(picked, dm)
		}
	}
	title := "Decision rights"
	if f != "" {
		title += ": #" + f
	}
	bs := add(nil, header(title))
	if len(picked) == 0 {
		var s string
		if f == "" {
			s = "No decision rights are configured yet: add `domains` to the config."
		} else {
			names := make([]string, len(domains))
			for i, dm := range domains {
				names[i] = "`#" + Escape(dm.Name) + "`"
			}
			s = "No domain matches `#" + Escape(f) + "`."
			if len(names) > 0 {
				s += " Domains: " + Truncate(strings.Join(names, ", "), MaxSectionText-200)
			}
		}
		bs = add(bs, section(s))
		return Fit(Message{Text: "No domain matches", Blocks: bs})
	}
	entries := make([]string, len(picked))
	for i, dm := range picked {
		entries[i] = rightsEntry(dm)
	}
	bs = add(bs, pack(entries, MaxBlocks-len(bs), MaxMessageText-textSum(bs)-100, false, func(n int) string {
		names := make([]string, 0, n)
		for _, dm := range picked[len(picked)-n:] {
			names = append(names, "`#"+Escape(dm.Name)+"`")
		}
		return Truncate("…and "+strconv.Itoa(n)+" more domains ("+strings.Join(names, ", ")+"): ask for one by its #tag to see it", MaxContextText)
	})...)
	return Fit(Message{Text: title + ": " + strconv.Itoa(len(picked)) + " domains", Blocks: bs})
}

// Who is the routing dry run: where a proposal would go, who would decide
// and why; when nothing matches, the domains to pick from.
func Who(r decisions.Route) Message {
	if !r.Matched() {
		s := ":grey_question: No domain matches that, so nobody would decide it yet."
		if reason := strings.TrimSpace(r.Reason); reason != "" {
			s += "\n*Why:* " + routing(reason)
		}
		if len(r.Candidates) > 0 {
			tags := make([]string, len(r.Candidates))
			for i, c := range r.Candidates {
				tags[i] = "`#" + Escape(c) + "`"
			}
			s += "\nAdd a tag to pick one: " + Truncate(strings.Join(tags, ", "), MaxSectionText-400)
		}
		return Fit(Message{
			Text:   "No domain matches",
			Blocks: add(nil, section(s), contextBlock("Dry run: nothing was proposed.")),
		})
	}
	s := ":compass: Would go to *" + domain(r.Domain) + "*, decided by " + Users(r.Deciders, 10) + "."
	if reason := strings.TrimSpace(r.Reason); reason != "" {
		s += "\n*Why:* " + routing(reason)
	}
	fs := []field{{"Rule", decisions.DomainRules{Rule: r.Rule, ConsentAfter: r.ConsentAfter}.Describe()}}
	if len(r.Advisors) > 0 {
		fs = append(fs, field{"Advisors", Users(r.Advisors, 10)})
	}
	if len(r.Informed) > 0 {
		fs = append(fs, field{"Informed", channels(r.Informed, 10)})
	}
	return Fit(Message{
		Text:   "Would go to " + Escape(r.Domain) + ", decided by " + Users(r.Deciders, 10),
		Blocks: add(nil, section(s), fieldsSection(fs...), contextBlock("Dry run: nothing was proposed.")),
	})
}

// Text is a plain message of Baton's own mrkdwn, split into sections at line
// breaks when long. Fit still defuses any markup that is not a user or
// channel mention or a link.
func Text(s string) Message {
	s = strings.TrimSpace(s)
	if s == "" {
		s = "…"
	}
	lines := strings.Split(s, "\n")
	return Fit(Message{
		Text: s,
		Blocks: pack(lines, MaxBlocks, MaxMessageText-100, false, func(n int) string {
			return "…" + strconv.Itoa(n) + " more lines not shown"
		}),
	})
}
