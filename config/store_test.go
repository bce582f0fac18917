package config

import (
	"strings"
	"testing"
)

func TestStoreKeys(t *testing.T) {
	const domains = "domains:\n  - name: company\n    owners: [U01MAYA01]\n"
	env := func(k string) (string, bool) {
		if k == "DATABASE_URL" {
			return "postgres://baton:s3cret@db:5432/baton?sslmode=disable", true
		}
		return "", false
	}
	tests := []struct {
		name, yaml, want string // want: the error, or "driver dsn"
	}{
		{"sqlite", "store: {driver: sqlite}\n", `1: store.driver: "sqlite" is not a store driver: use bbolt (the default) or postgres`},
		{"postgres without dsn", "store: {driver: postgres}\n", `1: store.dsn: store.driver postgres needs a DSN, e.g. ${DATABASE_URL} or postgres://baton@db:5432/baton`},
		{"empty dsn", "store:\n  driver: postgres\n  dsn: ${UNSET:-}\n", `3: store.dsn: store.driver postgres needs a DSN`},
		{"bad dsn keeps its password out", "store:\n  driver: postgres\n  dsn: 'postgres://u:hunter2@db:notaport/x'\n", `3: store.dsn: is not a PostgreSQL connection string`},
		{"dsn for bbolt", "store: {dsn: 'postgres://db/x'}\n", `1: store.dsn: is only for store.driver: postgres (bbolt uses store.path)`},
		{"backups on postgres", "store:\n  driver: postgres\n  dsn: host=db dbname=baton\n  backup_schedule: '0 2 * * *'\n", `4: store.backup_schedule: scheduled backups are for bbolt`},
		{"default", "", "bbolt "},
		{"postgres url from env", "store:\n  driver: postgres\n  dsn: ${DATABASE_URL}\n", "postgres postgres://baton:s3cret@db:5432/baton?sslmode=disable"},
		{"postgres key=value", "store: {driver: postgres, dsn: 'host=db dbname=baton'}\n", "postgres host=db dbname=baton"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.yaml", []byte(tt.yaml+domains), env)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "c.yaml:"+tt.want) {
					t.Errorf("error %q, want %q", err, tt.want)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("the error shows the password: %q", err)
				}
				return
			}
			if got := c.Store.Driver + " " + c.Store.DSN; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
