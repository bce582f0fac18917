package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/baton-app/baton/decisions"
)

// The routing engine is built here and nowhere else: check, serve, shell
// and route all go through Config.Router, so check cannot accept a config
// the others refuse. decisions.NewRouter is the judge of what routing can
// use; this file only says where in the file each of its complaints points.

// positions remembers where the router's inputs came from, so a router
// error found at any time names the file, line and field.
type positions struct {
	file          string
	domains       []domainPos // as Config.Domains
	defaultDomain scalar
}

// domainPos holds the raw values behind one decisions.Domain, index for
// index: Keywords[k] came from keywords[k].
type domainPos struct {
	line                        int
	field                       string
	name                        scalar
	aliases, keywords, channels []scalar
}

// Router builds the routing engine from the decision rights. people, if
// not nil, maps each owners, advisors and escalate_to list to the user ids
// routing should use (serve resolves emails and usergroups through Slack);
// nil keeps them as configured. Who decides never makes a router invalid,
// so a config that Parse accepted always builds. On failure the error is a
// *Errors naming file, line and field.
func (c *Config) Router(people func([]string) []string) (*decisions.Router, error) {
	domains := slices.Clone(c.Domains)
	if people != nil {
		for i := range domains {
			d := &domains[i]
			d.Owners = people(d.Owners)
			d.Advisors = people(d.Advisors)
			d.EscalateTo = people(d.EscalateTo)
		}
	}
	r, errs := c.pos.router(domains, c.DefaultDomain)
	if len(errs) > 0 {
		errs.sort()
		return nil, &errs
	}
	return r, nil
}

// router builds the router, reporting every problem rather than the first:
// after each one it puts a harmless value in the offending setting and
// tries again. Which value is harmless is only a matter of how many
// problems are listed at once; whether the config is accepted is decided
// by decisions.NewRouter alone.
func (p *positions) router(domains []decisions.Domain, def string) (*decisions.Router, Errors) {
	domains = slices.Clone(domains) // defuse edits them
	var errs Errors
	tried := map[string]bool{}
	for {
		r, err := decisions.NewRouter(domains, def)
		if err == nil {
			if len(errs) > 0 {
				return nil, errs
			}
			return r, nil
		}
		var ce *decisions.RouteConfigError
		if !errors.As(err, &ce) {
			file := ""
			if p != nil {
				file = p.file
			}
			return nil, append(errs, Error{File: file, Msg: err.Error()})
		}
		errs = append(errs, p.locate(ce))
		if tried[ce.Field] || !defuse(domains, &def, ce.Field) {
			return nil, errs
		}
		tried[ce.Field] = true
	}
}

// routerField reads the router's field paths: "domains[3].keywords[1]",
// "domains[0].name", "default_domain".
var routerField = regexp.MustCompile(`^domains\[(\d+)\]\.([a-z_]+)(?:\[(\d+)\])?$`)

func parseRouterField(field string) (dom int, key string, item int, ok bool) {
	m := routerField.FindStringSubmatch(field)
	if m == nil {
		return 0, "", 0, false
	}
	dom, _ = strconv.Atoi(m[1])
	item = -1
	if m[3] != "" {
		item, _ = strconv.Atoi(m[3])
	}
	return dom, m[2], item, true
}

// locate turns a router error into a config Error at the value's line,
// named by its path in the file (match.keywords, not keywords).
func (p *positions) locate(ce *decisions.RouteConfigError) Error {
	e := Error{Field: ce.Field, Msg: ce.Msg}
	if p == nil {
		return e
	}
	e.File = p.file
	if ce.Field == "default_domain" {
		e.Line = p.defaultDomain.line
		return e
	}
	i, key, k, ok := parseRouterField(ce.Field)
	if !ok || i >= len(p.domains) {
		return e
	}
	dp := p.domains[i]
	e.Line = dp.line
	var items []scalar
	switch key {
	case "name":
		if dp.name.set {
			e.Line, e.Field = dp.name.line, dp.name.field
		}
		return e
	case "aliases":
		items = dp.aliases
	case "keywords":
		items = dp.keywords
	case "channels":
		items = dp.channels
	}
	if k >= 0 && k < len(items) {
		e.Line, e.Field = items[k].line, items[k].field
	}
	return e
}

// defuse replaces the setting a router error points at with one the
// router accepts, so the next attempt finds the next problem. It reports
// false when it does not know the setting.
func defuse(domains []decisions.Domain, def *string, field string) bool {
	if field == "default_domain" {
		*def = ""
		return true
	}
	i, key, k, ok := parseRouterField(field)
	if !ok || i >= len(domains) {
		return false
	}
	d := &domains[i]
	set := func(list *[]string, v string) bool {
		if k < 0 || k >= len(*list) {
			return false
		}
		*list = slices.Clone(*list) // the caller's config must not change
		(*list)[k] = v
		return true
	}
	switch key {
	case "name":
		d.Name = fmt.Sprintf("baton-unusable-name-%d", i)
		return true
	case "aliases":
		return set(&d.Aliases, d.Name) // an alias spelling its own name is ignored
	case "keywords":
		return set(&d.Keywords, "baton")
	case "channels":
		return set(&d.Channels, "C0UNUSED0")
	}
	return false
}

// checkRouter builds the router as serve will, and reports what it
// refuses. Settings the checks before it already refused are left out, so
// one mistake is not reported twice, nor blamed on the setting it clashes
// with.
func (d *decoder) checkRouter(c *Config) {
	domains, def := slices.Clone(c.Domains), c.DefaultDomain
	named := map[string]bool{}
	for _, e := range d.errs {
		named[e.Field] = true
		defuse(domains, &def, e.Field)
	}
	_, errs := c.pos.router(domains, def)
	for _, e := range errs {
		if !named[e.Field] {
			d.errs = append(d.errs, e)
		}
	}
}
