// Package config reads Baton's YAML configuration: the Slack app settings,
// the schedules, and the decision-rights map (domains, their owners and
// routing rules).
//
// It works in two layers. The raw layer mirrors the file and keeps each
// value's line; the validated layer, Config, is defaulted and checked as a
// whole, and is what the rest of the program uses. Every problem is
// reported at once, each naming the file, line and field.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // timezone must load on hosts without a zoneinfo database

	"github.com/baton-app/baton/decisions"
)

// Config is a validated, defaulted configuration.
type Config struct {
	// Path is the file the config was read from.
	Path string

	// Slack holds the app's credentials and settings. Tokens may be empty:
	// the local shell runs without Slack, and serve checks them itself.
	Slack struct {
		BotToken      string
		SigningSecret string
		AppToken      string // xapp-…: Socket Mode when set
		APIURL        string // Web API base URL; empty means Slack's own
		Command       string // slash command, default "/decide"
		TeamID        string
		AppID         string
	}
	Server struct {
		Listen      string // default ":8080"
		AdminListen string // default "127.0.0.1:9090": /metrics, /readyz, /healthz, pprof
	}
	Store struct {
		Driver         string // "bbolt" (default) or "postgres"
		DSN            string // postgres: a libpq URL or key=value string
		Path           string // bbolt: default "baton.db"
		BackupSchedule string // cron, in Timezone; empty means no scheduled backups
		BackupKeep     int    // scheduled backups kept, newest first; default 7
	}
	Log struct {
		Format string     // "text" (default) or "json"
		Level  slog.Level // default info
	}
	// Timezone is where schedules run and dates are read; default UTC.
	Timezone     *time.Location
	TimezoneName string
	Reminders    struct {
		Schedule      string // cron, default "0 9 * * 1-5"
		EscalateAfter int    // reminders before escalating, default 2
		MaxPerPerson  int    // reminders per person per decision, default 3
	}
	Digest struct {
		Schedule string   // cron, default "0 9 * * 1"
		Channels []string // channel ids
	}
	// DefaultDomain takes proposals nothing else matched; empty means the
	// proposer is asked to pick.
	DefaultDomain string
	Admins        []string
	People        []Person
	// Usergroups are the usergroups (S…) the config defines, for the local
	// console and for checking the config; serve asks Slack for members.
	Usergroups []Usergroup
	// Domains are in file order, which breaks routing ties.
	Domains []decisions.Domain

	// Warnings are problems Baton runs with anyway (serve starts, check
	// exits 0): people missing from people:, rules that cannot apply.
	// Sorted by line.
	Warnings Errors

	// pos locates router errors; see Router.
	pos *positions
}

// Person names someone for the local console and resolves their email
// without asking Slack.
type Person struct {
	ID    string
	Name  string
	Email string
	// TZ is the person's IANA time zone, as Slack would give it (the shell
	// serves it from users.info); empty means the config's timezone.
	TZ string
}

// Usergroup is a Slack usergroup as the config describes it.
type Usergroup struct {
	ID      string // S…
	Name    string // its handle, such as security-champions
	Members []string
}

// Load reads and validates the config file at path. On failure the error is
// a *Errors listing every problem, except when the file cannot be read at
// all, which is returned wrapped as it is.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse validates the config in data as if read from path, expanding
// ${VAR} from env (nil means an empty environment). On failure the error
// is a *Errors.
func Parse(path string, data []byte, env func(string) (string, bool)) (*Config, error) {
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	d := &decoder{file: path, env: env, bad: map[string]bool{}}
	var c *Config
	if r := d.decode(data); r != nil {
		c = d.build(r)
		d.checkRouter(c)
	}
	if len(d.errs) > 0 {
		d.errs.sort()
		return nil, &d.errs
	}
	c.Path = path
	d.warns.sort()
	c.Warnings = d.warns
	return c, nil
}

// DefaultPath returns "config.yaml" if it exists, else "config.example.yaml".
func DefaultPath() string {
	if _, err := os.Stat("config.yaml"); err == nil || !errors.Is(err, os.ErrNotExist) {
		return "config.yaml"
	}
	return "config.example.yaml"
}

// Domain returns the domain with exactly this name.
func (c *Config) Domain(name string) (decisions.Domain, bool) {
	for _, d := range c.Domains {
		if d.Name == name {
			return d, true
		}
	}
	return decisions.Domain{}, false
}

// PersonByEmail returns the person listed with this email, ignoring case.
func (c *Config) PersonByEmail(email string) (Person, bool) {
	for _, p := range c.People {
		if p.Email != "" && strings.EqualFold(p.Email, email) {
			return p, true
		}
	}
	return Person{}, false
}

// Usergroup returns the usergroup the config defines with this id.
func (c *Config) Usergroup(id string) (Usergroup, bool) {
	for _, g := range c.Usergroups {
		if g.ID == id {
			return g, true
		}
	}
	return Usergroup{}, false
}

// Name returns the listed name of the user, or the id when there is none.
func (c *Config) Name(userID string) string {
	for _, p := range c.People {
		if p.ID == userID && p.Name != "" {
			return p.Name
		}
	}
	return userID
}

// Summary describes the config in one line, for start-up logs and check.
func (c *Config) Summary() string {
	owners := map[string]bool{}
	var keywords, channels, aliases int
	for _, d := range c.Domains {
		for _, o := range d.Owners {
			owners[o] = true
		}
		keywords += len(d.Keywords)
		channels += len(d.Channels)
		aliases += len(d.Aliases)
	}
	def := "no default domain"
	if c.DefaultDomain != "" {
		def = "default domain " + c.DefaultDomain
	}
	return fmt.Sprintf("%s: %s, %s, %s (keywords %d, channels %d, aliases %d), %s",
		c.Path, plural(len(c.Domains), "domain"), plural(len(owners), "owner"),
		plural(keywords+channels+aliases, "rule"), keywords, channels, aliases, def)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
