package config

import (
	"github.com/jackc/pgx/v5/pgconn"
)

// Store drivers.
const (
	DriverBolt     = "bbolt"
	DriverPostgres = "postgres"
)

// storeKeys validates store.driver and store.dsn: bbolt (the embedded
// default) takes store.path; postgres takes a DSN pgx can parse, and has no
// file to back up on a schedule (that is the database's own job).
func (d *decoder) storeKeys(r *rawOps, c *Config) {
	c.Store.Driver = or(r.storeDriver, DriverBolt)
	c.Store.DSN = r.storeDSN.val
	switch c.Store.Driver {
	case DriverBolt:
		if r.storeDSN.set {
			d.errorf(r.storeDSN.line, r.storeDSN.field, "is only for store.driver: postgres (bbolt uses store.path)")
		}
	case DriverPostgres:
		switch {
		case c.Store.DSN == "":
			line, field := r.storeDSN.line, r.storeDSN.field
			if !r.storeDSN.set {
				line, field = r.storeDriver.line, "store.dsn"
			}
			d.errorf(line, field, "store.driver postgres needs a DSN, e.g. ${DATABASE_URL} or postgres://baton@db:5432/baton")
		default:
			if _, err := pgconn.ParseConfig(c.Store.DSN); err != nil {
				// pgconn's message can quote the DSN, password and all.
				d.errorf(r.storeDSN.line, r.storeDSN.field, "is not a PostgreSQL connection string: write a URL such as postgres://user:password@host:5432/db or key=value pairs such as host=db dbname=baton")
			}
		}
		if c.Store.BackupSchedule != "" {
			d.errorf(r.backupSchedule.line, r.backupSchedule.field, "scheduled backups are for bbolt; back PostgreSQL up with its own tools (pg_dump, base backups)")
		}
	default:
		d.errorf(r.storeDriver.line, r.storeDriver.field, "%q is not a store driver: use bbolt (the default) or postgres", c.Store.Driver)
	}
}
