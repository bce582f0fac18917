// Package pgstore is Baton's store on PostgreSQL: the same contract as the
// embedded bbolt store (store.Backend), for running several replicas on one
// database. Decision ids come from a sequence, Slack's retries are
// de-duplicated by primary keys, and the index keys are store.IndexEntries,
// the very keys the bbolt store writes, kept in one table.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// opTimeout bounds one store call: the contract has no context, and a call
// must not hang forever on a lost database.
const opTimeout = 30 * time.Second

// Advisory locks are per database, so each is taken on two keys: one of
// these, and a hash of the schema, so Batons in different schemas of one
// database never wait for each other.
const (
	lockMigrate = 0x62740001 // one replica migrates at a time
	lockLeader  = 0x62740002 // the leader (leader.go)
)

// DefaultMaxConns is the pool size: the writers (writer.go) group-commit
// on a few connections, the rest serve reads; small, so several replicas
// fit in PostgreSQL's default max_connections (100) with room to spare.
const DefaultMaxConns = 12

// Options tune Open.
type Options struct {
	// Schema, when set, is created if missing and used as the search path,
	// so tests (and tenants) can share a database.
	Schema string
	// Now stamps outbox items enqueued without an Enqueued time; nil means
	// time.Now.
	Now func() time.Time
	// MaxConns caps the pool; zero means DefaultMaxConns.
	MaxConns int32
	// CampaignEvery is how often a follower tries to lead and the leader
	// checks its lock; zero means DefaultCampaignEvery.
	CampaignEvery time.Duration
}

// Store is an open PostgreSQL store. Its methods are safe for concurrent
// use, by any number of processes on the same database.
type Store struct {
	pool     *pgxpool.Pool
	now      func() time.Time
	name     string // the database, for errors
	campaign time.Duration

	w      *writer      // the group commit (writer.go)
	aways  awayCache    // the away list, briefly (misc.go)
	groups atomic.Int64 // transactions the writers committed or tried

	ids      store.IDPool    // ids handed out and handed back
	mu       sync.Mutex      // guards idWait and fetching
	idWait   []chan idAnswer // callers waiting for an id from the sequence
	fetching bool            // one caller is fetching ids for idWait
}

var _ store.Backend = (*Store)(nil)

// Open connects to dsn (a libpq URL or key=value string), creates missing
// tables and applies pending migrations in one transaction.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store.dsn: %w", err)
	}
	cfg.MaxConns = DefaultMaxConns
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	name := cfg.ConnConfig.Database
	if opts.Schema != "" {
		if err := createSchema(ctx, cfg.ConnConfig.Copy(), opts.Schema); err != nil {
			return nil, err
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
		name += "/" + opts.Schema
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres %s: %w", name, err)
	}
	s := &Store{pool: pool, now: opts.Now, name: name, campaign: opts.CampaignEvery}
	if s.campaign <= 0 {
		s.campaign = DefaultCampaignEvery
	}
	if s.now == nil {
		s.now = time.Now
	}
	if _, err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	s.startWriters()
	return s, nil
}

func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to postgres %s: %w", cfg.Database, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("create schema %s: %w", schema, err)
	}
	return nil
}

// migration is one embedded file, NNNN_name.sql, applied once.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, n := range names {
		base := strings.TrimPrefix(n, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with a version number and _", base)
		}
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, base, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the number of migrations this build knows.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate applies the missing migrations in one transaction, under an
// advisory lock so replicas starting together do not race, and returns the
// schema version.
func (s *Store) migrate(ctx context.Context) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	var version int
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, hashtext(current_schema()))", lockMigrate); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    int PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&version); err != nil {
			return err
		}
		if version > len(ms) {
			return fmt.Errorf("schema version %d is newer than this baton understands (%d): upgrade baton", version, len(ms))
		}
		for _, m := range ms[version:] {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("record migration %s: %w", m.name, err)
			}
			version = m.version
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("migrate postgres %s: %w", s.name, err)
	}
	return version, nil
}

// Version reads the schema version the database is at.
func (s *Store) Version() (int, error) {
	ctx, cancel := s.op()
	defer cancel()
	var v int
	if err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// Close releases the pool's connections.
func (s *Store) Close() error {
	s.stopWriters()
	s.pool.Close()
	return nil
}

// Pool is the connection pool, for the replica machinery (leases, leader
// election) that needs more than the store contract.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func (s *Store) op() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), opTimeout)
}

// refusedUnlessDB is a callback's error as a refusal, unless it came from
// the database through the transaction's View: then the transaction is
// aborted, and the error must fail (or retry) the group, not pass as a
// refusal the next write would trip over.
func refusedUnlessDB(err error) error {
	if _, ok := errors.AsType[*pgconn.PgError](err); ok {
		return err
	}
	return store.Refuse(err)
}

// tx runs fn in a transaction, retrying on deadlock or serialization
// failure (another replica got there first), which PostgreSQL resolves by
// aborting one side.
func (s *Store) tx(fn func(ctx context.Context, tx pgx.Tx) error) error {
	ctx, cancel := s.op()
	defer cancel()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(ctx, tx) })
		if !retryable(err) {
			break
		}
	}
	return store.Unrefused(err)
}

// count is the number of rows in table; what names it in an error.
func (s *Store) count(table, what string) (int, error) {
	ctx, cancel := s.op()
	defer cancel()
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	return n, nil
}

// nanos is t as Unix nanoseconds, clamped as the bbolt store's time keys are.
func nanos(t time.Time) int64 { return int64(store.TimeOrder(t) ^ 1<<63) }

// ReserveID hands out the id the caller's next decision will have, from the
// database's sequence, so no two replicas ever hand out the same one.
// release gives it back to this process if unused. If the database cannot be
// reached it returns id 0, and CreateDecision reserves (and reports) again.
func (s *Store) ReserveID() (id decisions.ID, release func()) {
	v, err := s.reserve()
	if err != nil {
		return 0, func() {}
	}
	return decisions.ID(v), func() { s.ids.Release(v) }
}

func (s *Store) reserve() (uint64, error) {
	if v, ok := s.ids.TakeFree(); ok {
		return v, nil
	}
	s.mu.Lock()
	// Callers arriving while ids are being fetched wait, and the next
	// fetch takes one id for each of them in one round trip: under load
	// the sequence costs a round trip per batch, not per proposal, and no
	// id is fetched that a caller did not ask for.
	ch := make(chan idAnswer, 1)
	s.idWait = append(s.idWait, ch)
	if !s.fetching {
		s.fetching = true
		go s.fetchIDs()
	}
	s.mu.Unlock()
	a := <-ch
	return a.id, a.err
}

// idAnswer is a waiting caller's id, or why there is none.
type idAnswer struct {
	id  uint64
	err error
}

// fetchIDs takes ids from the sequence for every waiting caller until
// none is left waiting.
func (s *Store) fetchIDs() {
	for {
		s.mu.Lock()
		waiting := s.idWait
		s.idWait = nil
		if len(waiting) == 0 {
			s.fetching = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		ids, err := s.nextIDs(len(waiting))
		for i, ch := range waiting {
			if err != nil {
				ch <- idAnswer{err: err}
				continue
			}
			s.ids.Reserve(ids[i])
			ch <- idAnswer{id: ids[i]}
		}
	}
}

func (s *Store) nextIDs(n int) ([]uint64, error) {
	ctx, cancel := s.op()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT nextval('decision_id') FROM generate_series(1, $1) ORDER BY 1", n)
	if err != nil {
		return nil, fmt.Errorf("reserve decision id: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err == nil && len(ids) != n {
		err = fmt.Errorf("got %d ids, asked for %d", len(ids), n)
	}
	if err != nil {
		return nil, fmt.Errorf("reserve decision id: %w", err)
	}
	out := make([]uint64, n)
	for i, v := range ids {
		out[i] = uint64(v)
	}
	return out, nil
}

// PeekNextID is the id the next CreateDecision would likely get, for
// previews. With several replicas it is only a guess.
func (s *Store) PeekNextID() (decisions.ID, error) {
	if v, ok := s.ids.PeekFree(); ok {
		return decisions.ID(v), nil
	}
	ctx, cancel := s.op()
	defer cancel()
	var last int64
	var called bool
	if err := s.pool.QueryRow(ctx, "SELECT last_value, is_called FROM decision_id").Scan(&last, &called); err != nil {
		return 0, fmt.Errorf("peek next id: %w", err)
	}
	if called {
		last++
	}
	return decisions.ID(last), nil
}
