package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/baton-app/baton/bot/command"
)

func parseManifest(t *testing.T, out string) manifest {
	t.Helper()
	var m manifest
	dec := yaml.NewDecoder(strings.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest is not the YAML Slack expects: %v\n%s", err, out)
	}
	return m
}

func TestManifestHTTP(t *testing.T) {
	dir := t.TempDir()
	cfg := cliConfig(t, dir, "slack:\n  command: /choose\n")
	r := cliRun(t, "manifest", "-config", cfg, "-url", "https://bot.example.com/")
	r.want(t, exitOK)
	m := parseManifest(t, r.stdout)

	if len(m.Features.SlashCommands) != 1 {
		t.Fatalf("slash commands: %+v", m.Features.SlashCommands)
	}
	sc := m.Features.SlashCommands[0]
	if sc.Command != "/choose" || sc.URL != "https://bot.example.com/slack/commands" || !sc.ShouldEscape {
		t.Errorf("slash command = %+v, want /choose from the config at /slack/commands, escaped", sc)
	}
	// Generated from the command table, so the hint never drifts from /decide help.
	if sc.UsageHint != command.UsageHint() || !strings.Contains(sc.UsageHint, "approve D-7") {
		t.Errorf("usage hint %q, want command.UsageHint() %q", sc.UsageHint, command.UsageHint())
	}
	for _, ev := range []string{"app_mention", "app_home_opened"} {
		if !slices.Contains(m.Settings.EventSubscriptions.BotEvents, ev) {
			t.Errorf("bot events %q lack %s", m.Settings.EventSubscriptions.BotEvents, ev)
		}
	}
	if got := m.Settings.EventSubscriptions.RequestURL; got != "https://bot.example.com/slack/events" {
		t.Errorf("events URL %q", got)
	}
	if got := m.Settings.Interactivity; !got.IsEnabled || got.RequestURL != "https://bot.example.com/slack/interactions" {
		t.Errorf("interactivity %+v", got)
	}
	if m.Settings.SocketModeEnabled {
		t.Error("socket mode enabled without -socket")
	}
	if !m.Features.AppHome.HomeTabEnabled {
		t.Error("App Home tab disabled")
	}
	for _, s := range []string{"app_mentions:read", "chat:write", "chat:write.public", "commands", "im:write", "users:read", "usergroups:read"} {
		if !slices.Contains(m.OAuthConfig.Scopes.Bot, s) {
			t.Errorf("scopes %q lack %s", m.OAuthConfig.Scopes.Bot, s)
		}
	}
	if len(m.Features.Shortcuts) != 1 || m.Features.Shortcuts[0].CallbackID != "propose_message" || m.Features.Shortcuts[0].Type != "message" {
		t.Errorf("shortcuts %+v", m.Features.Shortcuts)
	}
	// Slack rejects a manifest whose texts break its limits.
	di := m.DisplayInformation
	if n := utf8.RuneCountInString(di.Description); n > 140 {
		t.Errorf("description is %d characters, Slack allows 140", n)
	}
	if n := utf8.RuneCountInString(di.LongDescription); n < 175 || n > 4000 {
		t.Errorf("long_description is %d characters, Slack wants 175 to 4000", n)
	}
	if n := utf8.RuneCountInString(sc.UsageHint); n > 1000 {
		t.Errorf("usage_hint is %d characters, Slack allows 1000", n)
	}

	// Two-space indentation, as Slack's own manifest editor writes it.
	if !strings.Contains(r.stdout, "\nfeatures:\n  app_home:\n    home_tab_enabled: true\n") ||
		!strings.Contains(r.stdout, "\n  slash_commands:\n    - command: /choose\n      url: ") {
		t.Errorf("want YAML indented by two spaces:\n%s", r.stdout)
	}
}

func TestManifestSocket(t *testing.T) {
	r := cliRun(t, "manifest", "-config", exampleConfig, "-socket")
	r.want(t, exitOK)
	m := parseManifest(t, r.stdout)
	if !m.Settings.SocketModeEnabled {
		t.Error("socket_mode_enabled is false with -socket")
	}
	if m.Settings.EventSubscriptions.RequestURL != "" || m.Settings.Interactivity.RequestURL != "" || m.Features.SlashCommands[0].URL != "" {
		t.Errorf("Socket Mode needs no request URLs: %+v %+v", m.Settings, m.Features.SlashCommands)
	}
	if strings.Contains(r.stdout, "request_url") || strings.Contains(r.stdout, "url: ") {
		t.Errorf("request URLs in a Socket Mode manifest:\n%s", r.stdout)
	}
	if m.Features.SlashCommands[0].Command != "/decide" || !m.Settings.Interactivity.IsEnabled {
		t.Errorf("manifest %+v", m)
	}
}

func TestManifestBadURL(t *testing.T) {
	for _, u := range []string{"bot.example.com", "http://bot.example.com", "ftp://bot.example.com", "https://", "https://bot.example.com/?x=1", "https://user:pw@bot.example.com", "%"} {
		r := cliRun(t, "manifest", "-config", exampleConfig, "-url", u)
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "-url must be the public https base URL") || r.stdout != "" {
			t.Errorf("-url %q: stdout %q stderr %q", u, r.stdout, r.stderr)
		}
	}
	cliRun(t, "manifest", "-config", exampleConfig, "-url", "https://bot.example.com/baton").want(t, exitOK)
}

func TestManifestFromDefaultConfig(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cliConfig(t, dir, "slack: {command: /baton}\n")
	r := cliRun(t, "manifest")
	r.want(t, exitOK)
	if m := parseManifest(t, r.stdout); m.Features.SlashCommands[0].Command != "/baton" {
		t.Errorf("manifest does not use config.yaml's command: %+v", m.Features.SlashCommands)
	}
	if _, err := os.Stat(filepath.Join(dir, "baton.db")); err == nil {
		t.Error("manifest created the store")
	}
}
