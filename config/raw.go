package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/baton-app/baton/internal/textdist"
)

// The raw layer: the file's shape, read from yaml.Node so every value keeps
// its line, with ${ENV} expanded per scalar. Nothing here checks meaning.

// scalar is one value from the file. set is false when the key was absent
// or null, which is when defaults apply.
type scalar struct {
	val   string
	set   bool
	line  int
	field string
}

// list is a sequence of values. set is true when the key was present, even
// with no items, so "escalate_to: []" can be told from no escalate_to.
type list struct {
	items []scalar
	set   bool
	line  int
	field string
}

type rawConfig struct {
	slack struct {
		botToken, signingSecret, appToken, apiURL, command, teamID, appID scalar
	}
	listen, storePath, timezone                    scalar
	ops                                            rawOps
	remindersSchedule, escalateAfter, maxPerPerson scalar
	digestSchedule                                 scalar
	digestChannels                                 list
	defaultDomain                                  scalar
	admins                                         list
	people                                         []rawPerson
	peopleSet                                      bool
	usergroups                                     []rawUsergroup
	usergroupsSet                                  bool
	domains                                        []rawDomain
	domainsLine                                    int
}

type rawPerson struct {
	field               string
	line                int
	id, name, email, tz scalar
}

type rawUsergroup struct {
	field    string
	line     int
	id, name scalar
	members  list
}

type rawDomain struct {
	field                                string
	line                                 int
	name, description                    scalar
	owners, advisors, informed, aliases  list
	keywords, channels                   list
	sla, assign, announce, requireAdvice scalar
	rule, consentAfter                   scalar
	escalateTo                           list
}

// decoder collects every problem instead of stopping at the first.
type decoder struct {
	file string
	env  func(string) (string, bool)
	errs Errors
	// warns are problems Baton runs with; see Config.Warnings.
	warns Errors
	// bad marks fields whose value could not be read, so the checks that
	// follow do not pile a second, confusing error on the same field.
	bad map[string]bool
}

func (d *decoder) errorf(line int, field, format string, args ...any) {
	if d.bad[field] {
		return
	}
	d.errs = append(d.errs, Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// warnf notes a problem that does not stop Baton, unless the field is
// already in error.
func (d *decoder) warnf(line int, field, format string, args ...any) {
	if d.bad[field] {
		return
	}
	d.warns = append(d.warns, Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) badf(line int, field, format string, args ...any) {
	d.errorf(line, field, format, args...)
	d.bad[field] = true
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// decode reads the file's shape. It returns nil when the YAML itself is
// broken, since then nothing else can be trusted.
func (d *decoder) decode(data []byte) *rawConfig {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		msg, line := err.Error(), 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = msg[len(m[0]):]
		}
		d.errorf(line, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(extra.Line, "", "a second YAML document (---) is not allowed; put everything in one")
	}
	r := &rawConfig{}
	var root *yaml.Node
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	str := func(dst *scalar) func(*yaml.Node, string) {
		return func(n *yaml.Node, field string) { *dst = d.scalar(n, field) }
	}
	strs := func(dst *list) func(*yaml.Node, string) {
		return func(n *yaml.Node, field string) { *dst = d.list(n, field) }
	}
	ok := d.mapping(root, "", fields{
		"slack": func(n *yaml.Node, field string) {
			s := &r.slack
			d.mapping(n, field, fields{
				"bot_token":      str(&s.botToken),
				"signing_secret": str(&s.signingSecret),
				"app_token":      str(&s.appToken),
				"api_url":        str(&s.apiURL),
				"command":        str(&s.command),
				"team_id":        str(&s.teamID),
				"app_id":         str(&s.appID),
			})
		},
		"server": func(n *yaml.Node, field string) {
			d.mapping(n, field, fields{"listen": str(&r.listen), "admin_listen": str(&r.ops.adminListen)})
		},
		"store": func(n *yaml.Node, field string) {
			d.mapping(n, field, fields{
				"path":            str(&r.storePath),
				"driver":          str(&r.ops.storeDriver),
				"dsn":             str(&r.ops.storeDSN),
				"backup_schedule": str(&r.ops.backupSchedule),
				"backup_keep":     str(&r.ops.backupKeep),
			})
		},
		"log": func(n *yaml.Node, field string) {
			d.mapping(n, field, fields{"format": str(&r.ops.logFormat), "level": str(&r.ops.logLevel)})
		},
		"timezone": str(&r.timezone),
		"reminders": func(n *yaml.Node, field string) {
			d.mapping(n, field, fields{
				"schedule":       str(&r.remindersSchedule),
				"escalate_after": str(&r.escalateAfter),
				"max_per_person": str(&r.maxPerPerson),
			})
		},
		"digest": func(n *yaml.Node, field string) {
			d.mapping(n, field, fields{
				"schedule": str(&r.digestSchedule),
				"channels": strs(&r.digestChannels),
			})
		},
		"default_domain": str(&r.defaultDomain),
		"admins":         strs(&r.admins),
		"people": func(n *yaml.Node, field string) {
			r.peopleSet = !isNull(resolve(n))
			d.each(n, field, func(n *yaml.Node, field string) {
				p := rawPerson{field: field, line: n.Line}
				if d.mapping(n, field, fields{
					"id":    str(&p.id),
					"name":  str(&p.name),
					"email": str(&p.email),
					"tz":    str(&p.tz),
				}) {
					r.people = append(r.people, p)
				}
			})
		},
		"usergroups": func(n *yaml.Node, field string) {
			r.usergroupsSet = !isNull(resolve(n))
			d.each(n, field, func(n *yaml.Node, field string) {
				g := rawUsergroup{field: field, line: n.Line}
				if d.mapping(n, field, fields{
					"id":      str(&g.id),
					"name":    str(&g.name),
					"members": strs(&g.members),
				}) {
					r.usergroups = append(r.usergroups, g)
				}
			})
		},
		"domains": func(n *yaml.Node, field string) {
			r.domainsLine = n.Line
			d.each(n, field, func(n *yaml.Node, field string) {
				dom := rawDomain{field: field, line: n.Line}
				if d.mapping(n, field, fields{
					"name":        str(&dom.name),
					"description": str(&dom.description),
					"owners":      strs(&dom.owners),
					"advisors":    strs(&dom.advisors),
					"informed":    strs(&dom.informed),
					"aliases":     strs(&dom.aliases),
					"match": func(n *yaml.Node, field string) {
						d.mapping(n, field, fields{
							"keywords": strs(&dom.keywords),
							"channels": strs(&dom.channels),
						})
					},
					"sla":            str(&dom.sla),
					"assign":         str(&dom.assign),
					"rule":           str(&dom.rule),
					"consent_after":  str(&dom.consentAfter),
					"escalate_to":    strs(&dom.escalateTo),
					"announce":       str(&dom.announce),
					"require_advice": str(&dom.requireAdvice),
				}) {
					r.domains = append(r.domains, dom)
				}
			})
		},
	})
	if !ok {
		return nil
	}
	return r
}

// fields maps each key a mapping may hold to what reads its value.
type fields map[string]func(n *yaml.Node, field string)

// mapping reads n's keys into fs, reporting unknown and repeated keys. A
// null n is an empty mapping. It reports whether n was a mapping at all.
func (d *decoder) mapping(n *yaml.Node, field string, fs fields) bool {
	n = resolve(n)
	if isNull(n) {
		return true
	}
	if n.Kind != yaml.MappingNode {
		d.badf(n.Line, field, "expected a mapping of keys, got %s", describe(n))
		return false
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorf(k.Line, field, "keys must be plain names, got %s", describe(k))
			continue
		}
		read, ok := fs[k.Value]
		if !ok {
			d.errorf(k.Line, field, "unknown key %q%s", k.Value, suggest(k.Value, keys(fs)))
			continue
		}
		sub := join(field, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errorf(k.Line, sub, "repeated key (first set on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		read(v, sub)
	}
	return true
}

// each calls fn for every item of the sequence n.
func (d *decoder) each(n *yaml.Node, field string, fn func(n *yaml.Node, field string)) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.badf(n.Line, field, "expected a list, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		fn(resolve(item), fmt.Sprintf("%s[%d]", field, i))
	}
}

// scalar reads a single value and expands ${ENV} in it.
func (d *decoder) scalar(n *yaml.Node, field string) scalar {
	n = resolve(n)
	s := scalar{line: n.Line, field: field}
	if isNull(n) {
		return s
	}
	if n.Kind != yaml.ScalarNode {
		d.badf(n.Line, field, "expected a single value, got %s", describe(n))
		return s
	}
	v, err := expand(n.Value, d.env)
	if err != nil {
		d.badf(n.Line, field, "%v", err)
		return s
	}
	s.val, s.set = v, true
	return s
}

// list reads a sequence of single values.
func (d *decoder) list(n *yaml.Node, field string) list {
	n = resolve(n)
	l := list{set: true, line: n.Line, field: field}
	if n.Kind != yaml.SequenceNode && !isNull(n) {
		d.badf(n.Line, field, "expected a list, got %s (write [a, b] or one \"- item\" per line)", describe(n))
		l.set = false
		return l
	}
	d.each(n, field, func(item *yaml.Node, field string) {
		if isNull(item) {
			d.badf(item.Line, field, "empty list item")
			d.bad[l.field] = true
			return
		}
		if s := d.scalar(item, field); s.set {
			l.items = append(l.items, s)
		} else {
			d.bad[l.field] = true // an unreadable item is not an empty list
		}
	})
	return l
}

// resolve follows YAML aliases (*name) to the anchored node. The hop limit
// only guards against a malformed tree.
func resolve(n *yaml.Node) *yaml.Node {
	for hops := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && hops < 8; hops++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == 0 || n.Kind == yaml.AliasNode ||
		(n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func keys(fs fields) []string {
	ks := make([]string, 0, len(fs))
	for k := range fs {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// expand replaces ${VAR} and ${VAR:-default} with the environment's values.
// As in the shell, the default also applies when VAR is set but empty.
func expand(s string, env func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		expr := rest[i+2 : i+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !envName.MatchString(name) {
			return "", fmt.Errorf("bad environment variable reference ${%s} (write ${NAME} or ${NAME:-default})", expr)
		}
		v, ok := env(name)
		switch {
		case hasDef && v == "":
			v = def
		case !ok:
			return "", fmt.Errorf("environment variable %s is not set (write ${%s:-} to allow it to be empty)", name, name)
		}
		b.WriteString(v)
		rest = rest[i+end+1:]
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// suggest returns ` (did you mean "x"?)` naming the closest candidate, if
// one is close enough to be a likely typo.
func suggest(s string, candidates []string) string {
	limit := 2
	if len(s) <= 4 {
		limit = 1
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := textdist.Distance(strings.ToLower(s), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
