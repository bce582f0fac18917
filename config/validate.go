package config

import (
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/baton-app/baton/decisions"
)

// The validated layer: defaults, then every check, each reported against
// the line and field it came from.

var (
	// Slack ids are uppercase letters and digits after a type letter; real
	// ones always hold a digit, which tells U012AB3CD from a name like UPRICE.
	userID      = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	usergroupID = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	channelID   = regexp.MustCompile(`^[CG][A-Z0-9]{2,}$`)
	email       = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s.]+$`)
	domainName  = regexp.MustCompile(`^[a-z0-9_-]+(/[a-z0-9_-]+)*$`)
)

func isSlackID(re *regexp.Regexp, s string) bool {
	return re.MatchString(s) && strings.ContainsAny(s, "0123456789")
}

func (d *decoder) build(r *rawConfig) *Config {
	c := &Config{}
	s := &c.Slack
	s.BotToken, s.SigningSecret, s.AppToken = r.slack.botToken.val, r.slack.signingSecret.val, r.slack.appToken.val
	s.TeamID, s.AppID = r.slack.teamID.val, r.slack.appID.val

	s.Command = or(r.slack.command, "/decide")
	if !strings.HasPrefix(s.Command, "/") || len(s.Command) < 2 || strings.ContainsAny(s.Command, " \t") {
		d.errorf(r.slack.command.line, r.slack.command.field, "%q is not a slash command: it must start with \"/\", e.g. /decide", s.Command)
	}
	s.APIURL = r.slack.apiURL.val
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.errorf(r.slack.apiURL.line, r.slack.apiURL.field, "%q is not an http(s) URL, e.g. https://slack.com/api/", s.APIURL)
		}
	}

	c.Server.Listen = or(r.listen, ":8080")
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		d.errorf(r.listen.line, r.listen.field, "%q is not a listen address such as :8080 or 127.0.0.1:8080", c.Server.Listen)
	}
	c.Store.Path = or(r.storePath, "baton.db")
	if c.Store.Path == "" {
		d.errorf(r.storePath.line, r.storePath.field, "must not be empty (default baton.db)")
	}
	d.ops(&r.ops, c)
	d.storeKeys(&r.ops, c)

	c.TimezoneName = or(r.timezone, "UTC")
	loc, err := time.LoadLocation(c.TimezoneName)
	if err != nil || c.TimezoneName == "" || strings.EqualFold(c.TimezoneName, "local") {
		d.errorf(r.timezone.line, r.timezone.field, "unknown time zone %q (use an IANA name such as Europe/Berlin or UTC)", c.TimezoneName)
	}
	c.Timezone = loc

	c.Reminders.Schedule = d.cron(r.remindersSchedule, "0 9 * * 1-5")
	c.Reminders.EscalateAfter = d.reminderCount(r.escalateAfter, 2)
	c.Reminders.MaxPerPerson = d.reminderCount(r.maxPerPerson, decisions.DefaultMaxPerPerson)
	c.Digest.Schedule = d.cron(r.digestSchedule, "0 9 * * 1")
	c.Digest.Channels = d.channels(r.digestChannels)
	c.Admins = d.principals(r.admins)
	c.People = d.people(r.people)
	c.Usergroups = d.usergroups(r.usergroups)
	c.Domains, c.pos = d.domains(r)

	c.DefaultDomain = r.defaultDomain.val
	if dd := r.defaultDomain; dd.val != "" {
		var names []string
		for _, dom := range c.Domains {
			names = append(names, dom.Name)
		}
		if _, ok := c.Domain(dd.val); !ok {
			d.errorf(dd.line, dd.field, "unknown domain %q%s", dd.val, suggest(dd.val, names))
		}
	}
	d.directory(c, r)
	d.rules(c, r)
	return c
}

// reminderCount reads a positive number of reminders, def when unset.
func (d *decoder) reminderCount(v scalar, def int) int {
	if !v.set {
		return def
	}
	n, err := strconv.Atoi(v.val)
	switch {
	case err != nil:
		d.errorf(v.line, v.field, "expected a whole number of reminders, got %q", v.val)
	case n < 1:
		d.errorf(v.line, v.field, "must be at least 1, got %d", n)
	}
	return n
}

// or returns the value, or def when the key was absent or null.
func or(s scalar, def string) string {
	if !s.set {
		return def
	}
	return s.val
}

func (d *decoder) cron(s scalar, def string) string {
	spec := or(s, def)
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// Schedules run in the top-level timezone; a second one here would
		// only confuse (and cron.ParseStandard panics on "TZ=X" alone).
		d.errorf(s.line, s.field, "set the time zone with the top-level timezone key, not in the schedule")
		return spec
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		d.errorf(s.line, s.field, "invalid cron schedule %q: %v (write e.g. \"0 9 * * 1-5\" or @weekly)", spec, err)
	}
	return spec
}

func (d *decoder) channels(l list) []string {
	var out []string
	for _, s := range l.items {
		switch {
		case isSlackID(channelID, s.val):
		case strings.HasPrefix(s.val, "#"):
			d.errorf(s.line, s.field, "%q is a channel name; use its id (C…), shown at the bottom of the channel's details", s.val)
		default:
			d.errorf(s.line, s.field, "%q is not a Slack channel id (C… or G…, e.g. C012AB3CD)", s.val)
		}
		out = append(out, s.val)
	}
	return out
}

// principals checks people who may decide: user ids, usergroup ids or emails.
func (d *decoder) principals(l list) []string {
	var out []string
	for _, s := range l.items {
		switch {
		case isSlackID(userID, s.val), isSlackID(usergroupID, s.val), email.MatchString(s.val):
		case strings.HasPrefix(s.val, "@"):
			d.errorf(s.line, s.field, "%q is a display name; use the user id (U…), a usergroup id (S…) or an email", s.val)
		default:
			d.errorf(s.line, s.field, "%q is not a Slack user id (U… or W…, e.g. U012AB3CD), usergroup id (S…) or email", s.val)
		}
		out = append(out, s.val)
	}
	return out
}

func (d *decoder) people(raw []rawPerson) []Person {
	var out []Person
	ids, emails := map[string]int{}, map[string]int{}
	for _, rp := range raw {
		p := Person{ID: rp.id.val, Name: rp.name.val, Email: rp.email.val, TZ: rp.tz.val}
		if p.TZ != "" {
			if _, err := time.LoadLocation(p.TZ); err != nil || strings.EqualFold(p.TZ, "local") {
				d.errorf(rp.tz.line, rp.tz.field, "unknown time zone %q (use an IANA name such as Asia/Tokyo or America/New_York)", p.TZ)
			}
		}
		switch {
		case p.ID == "":
			d.errorf(rp.line, join(rp.field, "id"), "missing: every person needs a Slack user id")
		case !isSlackID(userID, p.ID):
			d.errorf(rp.id.line, rp.id.field, "%q is not a Slack user id (U… or W…, e.g. U012AB3CD)", p.ID)
		case ids[p.ID] > 0:
			d.errorf(rp.id.line, rp.id.field, "%s is listed twice (first on line %d)", p.ID, ids[p.ID])
		default:
			ids[p.ID] = rp.id.line
		}
		if p.Email != "" {
			key := strings.ToLower(p.Email)
			switch {
			case !email.MatchString(p.Email):
				d.errorf(rp.email.line, rp.email.field, "%q is not an email address", p.Email)
			case emails[key] > 0:
				d.errorf(rp.email.line, rp.email.field, "%s is listed twice (first on line %d)", p.Email, emails[key])
			default:
				emails[key] = rp.email.line
			}
		}
		out = append(out, p)
	}
	return out
}

func (d *decoder) domains(r *rawConfig) ([]decisions.Domain, *positions) {
	pos := &positions{file: d.file, defaultDomain: r.defaultDomain}
	if len(r.domains) == 0 {
		d.errorf(r.domainsLine, "domains", "no domains configured; add at least one under domains:")
		return nil, pos
	}
	var out []decisions.Domain
	defined := map[string]int{} // name => line
	for _, rd := range r.domains {
		keywords, kwPos := d.keywords(rd.keywords)
		pos.domains = append(pos.domains, domainPos{
			line: rd.line, field: rd.field, name: rd.name,
			aliases: rd.aliases.items, keywords: kwPos, channels: rd.channels.items,
		})
		dom := decisions.Domain{
			Name:          rd.name.val,
			Description:   rd.description.val,
			Owners:        d.principals(rd.owners),
			Advisors:      d.principals(rd.advisors),
			Informed:      d.channels(rd.informed),
			Keywords:      keywords,
			Channels:      d.channels(rd.channels),
			Assign:        decisions.Assign(or(rd.assign, string(decisions.AssignAll))),
			EscalateTo:    d.principals(rd.escalateTo),
			Announce:      d.boolean(rd.announce, true),
			RequireAdvice: d.boolean(rd.requireAdvice, false),
		}
		for _, a := range rd.aliases.items {
			dom.Aliases = append(dom.Aliases, a.val)
		}
		switch {
		case !rd.name.set:
			d.errorf(rd.line, join(rd.field, "name"), "missing: every domain needs a name such as product/pricing")
		case !domainName.MatchString(dom.Name):
			d.errorf(rd.name.line, rd.name.field, "%q is not a domain name: use lowercase letters, digits, - and _, in parts joined by / (e.g. product/pricing)", dom.Name)
		case defined[dom.Name] > 0:
			d.errorf(rd.name.line, rd.name.field, "duplicate domain %q (first defined on line %d)", dom.Name, defined[dom.Name])
		default:
			defined[dom.Name] = rd.name.line
		}
		if rd.sla.set {
			sla, err := ParseDuration(rd.sla.val)
			switch {
			case err != nil:
				d.errorf(rd.sla.line, rd.sla.field, "%v", err)
			case sla <= 0:
				d.errorf(rd.sla.line, rd.sla.field, "must be more than zero, got %q", rd.sla.val)
			}
			dom.SLA = sla
		}
		switch dom.Assign {
		case decisions.AssignAll, decisions.AssignRoundRobin, decisions.AssignLeastLoaded:
		default:
			d.errorf(rd.assign.line, rd.assign.field, "unknown assign policy %q (use all, round_robin or least_loaded)", dom.Assign)
		}
		dom.Rule, dom.ConsentAfter = d.rule(rd)
		if rd.escalateTo.set && len(rd.escalateTo.items) == 0 {
			d.errorf(rd.escalateTo.line, rd.escalateTo.field, "names nobody; list who takes escalations, or remove it to escalate to the parent domain")
		}
		out = append(out, dom)
	}
	for i, rd := range r.domains {
		if rd.owners.set && len(rd.owners.items) > 0 || !rd.name.set {
			continue
		}
		if parent := ancestor(out[i].Name, defined); parent == "" {
			d.errorf(rd.owners.lineOr(rd.line), join(rd.field, "owners"), "domain %q has no owners and no parent domain to decide for it; add owners", out[i].Name)
		}
	}
	d.aliases(r.domains, out)
	return out, pos
}

// ancestor returns the nearest configured domain whose name is a / prefix of name.
func ancestor(name string, defined map[string]int) string {
	for {
		i := strings.LastIndexByte(name, '/')
		if i < 0 {
			return ""
		}
		name = name[:i]
		if defined[name] > 0 {
			return name
		}
	}
}

func lastSegment(name string) string { return name[strings.LastIndexByte(name, '/')+1:] }

// aliases checks that every #tag names exactly one domain: an alias may not
// repeat another alias or any domain's name, nor the last part of another
// domain's name (#infra must not mean two things).
func (d *decoder) aliases(raw []rawDomain, doms []decisions.Domain) {
	type owner struct {
		domain string
		line   int
	}
	names, last := map[string]string{}, map[string]string{}
	for _, dom := range doms {
		names[dom.Name] = dom.Name
		if seg := lastSegment(dom.Name); last[seg] == "" {
			last[seg] = dom.Name
		}
	}
	seen := map[string]owner{}
	for i, rd := range raw {
		own := doms[i].Name
		for _, a := range rd.aliases.items {
			prev, dup := seen[a.val]
			switch {
			case !domainName.MatchString(a.val):
				d.errorf(a.line, a.field, "%q is not a valid alias: use lowercase letters, digits, - and _ (it is typed as #%s)", a.val, a.val)
			case dup && prev.domain == own:
				d.errorf(a.line, a.field, "alias %q is listed twice", a.val)
			case dup:
				d.errorf(a.line, a.field, "alias %q is already used by domain %q (line %d)", a.val, prev.domain, prev.line)
			case names[a.val] == own:
				d.errorf(a.line, a.field, "alias %q is the domain's own name", a.val)
			case names[a.val] != "":
				d.errorf(a.line, a.field, "alias %q is the name of domain %q", a.val, a.val)
			case last[a.val] != "" && last[a.val] != own && lastSegment(own) != a.val:
				d.errorf(a.line, a.field, "alias %q is ambiguous: #%s already means domain %q", a.val, a.val, last[a.val])
			default:
				seen[a.val] = owner{own, a.line}
			}
		}
	}
}

// keywords returns the keywords and, index for index, where each came from.
func (d *decoder) keywords(l list) ([]string, []scalar) {
	var out []string
	var from []scalar
	for _, s := range l.items {
		kw := strings.Join(strings.Fields(s.val), " ")
		if kw == "" {
			d.errorf(s.line, s.field, "empty keyword")
			continue
		}
		out = append(out, kw)
		from = append(from, s)
	}
	return out, from
}

func (d *decoder) boolean(s scalar, def bool) bool {
	if !s.set {
		return def
	}
	switch strings.ToLower(s.val) {
	case "true", "yes", "on":
		return true
	case "false", "no", "off":
		return false
	}
	d.errorf(s.line, s.field, "expected true or false, got %q", s.val)
	return def
}

// lineOr returns the list's line, or line when the list was absent.
func (l list) lineOr(line int) int {
	if l.set {
		return l.line
	}
	return line
}
