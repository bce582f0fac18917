package config

import (
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
)

// rawOps are the operator's keys: the admin listener, scheduled backups
// and logging. They live apart so the decision-rights keys can grow
// without touching them.
type rawOps struct {
	adminListen                scalar
	backupSchedule, backupKeep scalar
	storeDriver, storeDSN      scalar // see store.go
	logFormat, logLevel        scalar
}

// ops validates and defaults the operator's keys into c.
func (d *decoder) ops(r *rawOps, c *Config) {
	c.Server.AdminListen = or(r.adminListen, "127.0.0.1:9090")
	if _, _, err := net.SplitHostPort(c.Server.AdminListen); err != nil {
		d.errorf(r.adminListen.line, r.adminListen.field, "%q is not a listen address such as 127.0.0.1:9090", c.Server.AdminListen)
	}

	if r.backupSchedule.set && r.backupSchedule.val != "" {
		c.Store.BackupSchedule = d.cron(r.backupSchedule, "")
	}
	c.Store.BackupKeep = 7
	if v := r.backupKeep; v.set {
		n, err := strconv.Atoi(v.val)
		switch {
		case err != nil:
			d.errorf(v.line, v.field, "expected a whole number of backups to keep, got %q", v.val)
		case n < 1:
			d.errorf(v.line, v.field, "must be at least 1, got %d", n)
		}
		c.Store.BackupKeep = n
	}

	c.Log.Format = strings.ToLower(or(r.logFormat, "text"))
	if c.Log.Format != "text" && c.Log.Format != "json" {
		d.errorf(r.logFormat.line, r.logFormat.field, "%q is not a log format: use text or json", r.logFormat.val)
	}
	if v := r.logLevel; v.set {
		if err := c.Log.Level.UnmarshalText([]byte(v.val)); err != nil {
			d.errorf(v.line, v.field, "%q is not a log level: use debug, info, warn or error", v.val)
		}
	}
}

// NewLogHandler is the slog handler log.format and log.level ask for.
func (c *Config) NewLogHandler(w io.Writer) slog.Handler {
	opts := &slog.HandlerOptions{Level: c.Log.Level}
	if c.Log.Format == "json" {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}
