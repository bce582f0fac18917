package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/config"
)

// The Slack app manifest's shape (only the parts Baton uses).
type manifest struct {
	DisplayInformation struct {
		Name            string `yaml:"name"`
		Description     string `yaml:"description"`
		LongDescription string `yaml:"long_description"`
		BackgroundColor string `yaml:"background_color"`
	} `yaml:"display_information"`
	Features struct {
		AppHome struct {
			HomeTabEnabled             bool `yaml:"home_tab_enabled"`
			MessagesTabEnabled         bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnlyEnabled bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		BotUser struct {
			DisplayName  string `yaml:"display_name"`
			AlwaysOnline bool   `yaml:"always_online"`
		} `yaml:"bot_user"`
		Shortcuts     []shortcut     `yaml:"shortcuts"`
		SlashCommands []slashCommand `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url,omitempty"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url,omitempty"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

type shortcut struct {
	Name        string `yaml:"name"`
	Type        string `yaml:"type"`
	CallbackID  string `yaml:"callback_id"`
	Description string `yaml:"description"`
}

type slashCommand struct {
	Command      string `yaml:"command"`
	URL          string `yaml:"url,omitempty"`
	Description  string `yaml:"description"`
	UsageHint    string `yaml:"usage_hint"`
	ShouldEscape bool   `yaml:"should_escape"`
}

// botScopes are what Baton's features need: mentions, posting (also in
// channels it was not invited to, and joining one to check its history for
// an earlier copy of a message after a crash), the slash command, DMs, resolving
// owners by email and usergroup, reading a thread's parent or a reacted-to
// message, and the :ballot_box_with_check: reaction that proposes one.
var botScopes = []string{
	"app_mentions:read",
	"channels:history",
	"channels:join",
	"chat:write",
	"chat:write.public",
	"commands",
	"groups:history",
	"im:history",
	"im:write",
	"reactions:read",
	"users:read",
	"users:read.email",
	"usergroups:read",
}

// botEvents are the Events API subscriptions Baton handles.
var botEvents = []string{"app_home_opened", "app_mention", "reaction_added", "subteam_members_changed", "user_change"}

func buildManifest(cfg *config.Config, baseURL string, socket bool) ([]byte, error) {
	var m manifest
	m.DisplayInformation.Name = "Baton"
	m.DisplayInformation.Description = "Routes each decision to the people who hold the right to make it."
	m.DisplayInformation.LongDescription = "Baton routes each proposed decision to the people who hold the decision rights for it — the people closest to the work — and tracks it to resolution: DMs with buttons, reminders, escalation one level at a time when owners do not act, and a weekly digest of what was decided and why. Propose with the slash command, by mentioning Baton, or with the message shortcut."
	m.DisplayInformation.BackgroundColor = "#2c2d30"
	m.Features.AppHome.HomeTabEnabled = true
	m.Features.AppHome.MessagesTabEnabled = true
	m.Features.AppHome.MessagesTabReadOnlyEnabled = true
	m.Features.BotUser.DisplayName = "Baton"
	m.Features.BotUser.AlwaysOnline = true
	m.Features.Shortcuts = []shortcut{{
		Name: "Propose as a decision", Type: "message", CallbackID: "propose_message",
		Description: "Route this message to the people who hold the decision rights",
	}}
	base := strings.TrimRight(baseURL, "/")
	sc := slashCommand{
		Command:      cfg.Slack.Command,
		Description:  "Propose a decision, or approve, list and route them",
		UsageHint:    command.UsageHint(),
		ShouldEscape: true, // mentions arrive as <@U…|name>, which the parser reads
	}
	if !socket {
		sc.URL = base + "/slack/commands"
	}
	m.Features.SlashCommands = []slashCommand{sc}
	m.OAuthConfig.Scopes.Bot = botScopes
	m.Settings.EventSubscriptions.BotEvents = botEvents
	m.Settings.Interactivity.IsEnabled = true
	if !socket {
		m.Settings.EventSubscriptions.RequestURL = base + "/slack/events"
		m.Settings.Interactivity.RequestURL = base + "/slack/interactions"
	}
	m.Settings.SocketModeEnabled = socket
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2) // what Slack's manifest editor shows, and what people paste
	if err := enc.Encode(&m); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// checkBaseURL accepts the public https base URL Slack will call: Slack
// refuses request URLs that are not https.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("-url must be the public https base URL of baton serve, such as https://baton.example.com (got %q); use -socket for Socket Mode", raw)
	}
	return nil
}

func runManifest(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "manifest", "")
	path := configFlag(fs)
	base := fs.String("url", "https://baton.example.com", "public base URL of `baton serve` (HTTP mode)")
	socket := fs.Bool("socket", false, "Socket Mode: no public URL needed")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(e, fs); err != nil {
		return err
	}
	if !*socket {
		if err := checkBaseURL(*base); err != nil {
			fmt.Fprintf(e.stderr, "baton manifest: %v\n", err)
			return errUsage
		}
	}
	cfg, err := e.loadConfig(*path)
	if err != nil {
		return err
	}
	out, err := buildManifest(cfg, *base, *socket)
	if err != nil {
		return fmt.Errorf("build manifest: %w", err)
	}
	_, err = io.WriteString(e.stdout, "# Slack app manifest for Baton: paste it at https://api.slack.com/apps → Create New App → From a manifest.\n")
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(out)
	return err
}
