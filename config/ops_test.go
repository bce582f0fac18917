package config

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpsKeys(t *testing.T) {
	const domains = "domains:\n  - name: company\n    owners: [U01MAYA01]\n"
	c, err := Parse("ops.yaml", []byte(domains), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.AdminListen != "127.0.0.1:9090" || c.Store.BackupSchedule != "" || c.Store.BackupKeep != 7 || c.Log.Format != "text" || c.Log.Level != slog.LevelInfo {
		t.Errorf("defaults: admin %q, backups %q keep %d, log %s %s", c.Server.AdminListen, c.Store.BackupSchedule, c.Store.BackupKeep, c.Log.Format, c.Log.Level)
	}
	c, err = Parse("ops.yaml", []byte("server: {admin_listen: ':9191'}\nstore: {backup_schedule: '0 2 * * *', backup_keep: 3}\nlog: {format: json, level: debug}\n"+domains), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.AdminListen != ":9191" || c.Store.BackupSchedule != "0 2 * * *" || c.Store.BackupKeep != 3 || c.Log.Format != "json" || c.Log.Level != slog.LevelDebug {
		t.Errorf("set: admin %q, backups %q keep %d, log %s %s", c.Server.AdminListen, c.Store.BackupSchedule, c.Store.BackupKeep, c.Log.Format, c.Log.Level)
	}
	var b bytes.Buffer
	slog.New(c.NewLogHandler(&b)).Debug("hello", "n", 1)
	if !strings.HasPrefix(b.String(), `{"time":`) || !strings.Contains(b.String(), `"msg":"hello","n":1}`) {
		t.Errorf("json log line %q", b.String())
	}
}

func TestOpsKeysErrors(t *testing.T) {
	path := filepath.Join("testdata", "bad_ops.yaml")
	_, err := Load(path)
	want := []string{
		`2: server.admin_listen: "9090" is not a listen address such as 127.0.0.1:9090`,
		`4: store.backup_schedule: invalid cron schedule "every night": expected exactly 5 fields, found 2: [every night] (write e.g. "0 9 * * 1-5" or @weekly)`,
		`5: store.backup_keep: must be at least 1, got 0`,
		`7: log.format: "xml" is not a log format: use text or json`,
		`8: log.level: "loud" is not a log level: use debug, info, warn or error`,
	}
	for i := range want {
		want[i] = path + ":" + want[i]
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}
