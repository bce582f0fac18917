package bot

import (
	"context"
	"errors"
	"log/slog"

	"github.com/slack-go/slack"
)

// RunSocketMode drives the App from Slack's Socket Mode until ctx is done.
func RunSocketMode(ctx context.Context, a *App, api *slack.Client, log *slog.Logger) error {
	return errors.New("socket mode is not implemented yet")
}
