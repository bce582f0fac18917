// Package store is Baton's persistence: decisions and their indexes, the
// outbox of messages waiting for Slack, event de-duplication, references to
// Baton's own messages, scheduled-job bookkeeping and out-of-office records,
// all in one bbolt file.
//
// It is the only package that imports bbolt; nothing outside it sees a
// transaction. Every exported write is atomic, so a caller never observes
// half of a change: a decision and the messages announcing it are committed
// together or not at all. Writes are group-committed (writer.go): one writer
// runs the writes queued while the last commit synced in one transaction,
// and each caller returns once its write is durable.
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrNotFound is returned, wrapped, when a decision or outbox item does not
// exist. Check it with errors.Is.
var ErrNotFound = errors.New("not found")

// ErrLocked is returned, wrapped, by Open when another process holds the file.
var ErrLocked = errors.New("the file is locked: is another baton running on this file?")

// ErrAlreadyRun is returned, wrapped, by CompleteRun when the job has already
// been recorded at that time or later, so a run is never booked twice.
var ErrAlreadyRun = errors.New("job already ran")

// ErrAttemptedElsewhere refuses OutboxAttempt for an item whose attempt is
// already recorded: another process (a replica that led before) may be
// sending it, so it must be looked for in Slack before being sent.
var ErrAttemptedElsewhere = errors.New("attempted elsewhere")

// Bucket names. All are created in the single transaction Open runs, so the
// rest of the package may assume they exist.
const (
	bucketMeta      = "meta"
	bucketDecisions = "decisions" // id → JSON; its sequence issues ids

	idxStatus   = "idx_status"   // status 0 id
	idxDecider  = "idx_decider"  // user 0 status 0 id
	idxProposer = "idx_proposer" // user 0 id
	idxDomain   = "idx_domain"   // domain 0 id
	idxDue      = "idx_due"      // ts id, open decisions with a due date
	idxDeferred = "idx_deferred" // ts id, deferred decisions
	idxDecided  = "idx_decided"  // ts id, closed decisions
	idxCreated  = "idx_created"  // ts id
	idxCheck    = "idx_check"    // ts id, open decisions by NextCheck
	idxPending  = "idx_pending"  // domain 0 status 0 ts id, open and deferred decisions (ts: due, 0 when none)

	bucketEvents     = "events"      // event id → ts
	bucketEventsTime = "events_time" // ts event id → ""

	bucketOutbox        = "outbox"         // key → JSON OutboxItem; its sequence orders items
	bucketOutboxDue     = "outbox_due"     // ts seq → key
	bucketOutboxSeq     = "outbox_seq"     // seq → key, pending items in commit order
	bucketDelivered     = "delivered"      // key → ts
	bucketDeliveredTime = "delivered_time" // ts key → ""

	bucketRefs = "refs" // key → JSON MessageRef
	bucketJobs = "jobs" // job → time (MarshalBinary)
	bucketAway = "away" // user → JSON Away
)

var allBuckets = []string{
	bucketMeta, bucketDecisions,
	idxStatus, idxDecider, idxProposer, idxDomain, idxDue, idxDeferred, idxDecided, idxCreated,
	idxCheck, idxPending,
	idxWords, idxReview, idxMisroutes, idxAdvice, idxStuck,
	bucketEvents, bucketEventsTime,
	bucketOutbox, bucketOutboxDue, bucketOutboxSeq, bucketDelivered, bucketDeliveredTime,
	bucketRefs, bucketJobs, bucketAway,
	bucketReplay,
}

// Keys in the meta bucket.
var (
	metaSchema        = []byte("schema_version")
	metaDecisionCount = []byte("decision_count")
)

// migrations[i] upgrades the schema from version i to i+1. Append only:
// a released migration is never edited, and each runs exactly once, in the
// same transaction that creates the buckets and records the new version.
var migrations = []func(tx *bolt.Tx) error{
	// v1: the initial layout. The buckets already exist; start the count
	// Count reads, so it never has to walk the decisions.
	func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put(metaDecisionCount, u64(0))
	},
	// v2: the scheduler's indexes, idx_check and idx_pending. Only open and
	// deferred decisions have entries, so only those are read.
	func(tx *bolt.Tx) error {
		return indexPending(tx, idxCheck, idxPending)
	},
	// v3: the decision register's indexes, idx_words, idx_review,
	// idx_misroutes and idx_advice.
	indexRegister,
	// v4: reviews already asked leave idx_review's date order for a
	// per-person part, so the hourly job reads only reviews coming due.
	reindexReviews,
	// v5: idx_stuck, the open decisions recorded stuck.
	func(tx *bolt.Tx) error { return indexPending(tx, idxStuck) },
}

// openBolt is bolt.Open; a test replaces it to panic as bbolt does on a
// file it cannot read.
var openBolt = bolt.Open

// Options tune Open.
type Options struct {
	// Timeout is how long to wait for the file lock; zero means one second.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock, for export and inspection.
	ReadOnly bool
	// Now stamps outbox items enqueued without an Enqueued time; nil means
	// time.Now.
	Now func() time.Time
}

// Store is an open Baton database. Its methods are safe for concurrent use;
// writes are group-committed by one writer goroutine (see writer.go).
// Callbacks passed to CreateDecision, UpdateDecision and Each must not call
// back into the Store's write methods.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time
	w    *writer // nil when read-only
	ids  idPool
	// replays remembers request signatures on their way to the file.
	replays replayMarks
	// groups counts commits by the writer, for tests and benchmarks.
	groups atomic.Int64
	// trimAfterCommit asks the writer to trim (see trim) once the current
	// commit, which touched many pages, is done.
	trimAfterCommit atomic.Bool
	// broken is set when a write found the file damaged (writer.go).
	broken broken
}

// Open opens or creates the store at path, creates missing buckets and runs
// pending schema migrations, all in one transaction. If another process holds
// the file, it gives up after opts.Timeout with an error wrapping ErrLocked.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	if err := preflight(path); err != nil {
		// A running baton rewrites the header and free list as it commits,
		// so a file in use is read mid-change: report the lock, not damage.
		if busy, _ := inUse(path); busy {
			return nil, fmt.Errorf("open store %s: %w", path, ErrLocked)
		}
		return nil, err
	}
	var db *bolt.DB
	var file *os.File // bbolt's handle, which holds the lock
	err := guard(path, func() (err error) {
		db, err = openBolt(path, 0o600, &bolt.Options{
			Timeout:      timeout,
			ReadOnly:     opts.ReadOnly,
			FreelistType: bolt.FreelistMapType, // stays fast as a large file fragments
			OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, perm)
				file = f
				return f, err
			},
		})
		return err
	})
	if err != nil {
		if errors.Is(err, ErrDamaged) {
			// bbolt panicked after taking the file lock, and never
			// released it: without this, the file stays locked ("is
			// another baton running?") until the process ends.
			if file != nil {
				_ = file.Close()
			}
			return nil, err
		}
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) {
			return nil, damaged(path, "%v", err)
		}
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	err = guard(path, func() error {
		// The tree's structure, read from the file: damage is found here,
		// not in the outbox (openWalk: every page of a store up to
		// fullWalkUpTo, the structure of a larger one). Give the memory
		// map's pages back after it, or they would stay resident.
		if err := db.View(func(tx *bolt.Tx) error { defer trim(tx); return openWalk(path, tx) }); err != nil {
			return err
		}
		if opts.ReadOnly {
			return db.View(checkSchema)
		}
		return db.Update(initSchema)
	})
	if err != nil {
		_ = db.Close() // the schema error is the one worth reporting
		if errors.Is(err, ErrDamaged) {
			return nil, err
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	_ = db.View(func(tx *bolt.Tx) error { s.ids.init(tx); return nil }) // cannot fail: the schema was just checked
	if !opts.ReadOnly {
		s.startWriter()
	}
	return s, nil
}

func initSchema(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	if err := indexOutboxSeq(tx); err != nil {
		return fmt.Errorf("index outbox by sequence: %w", err)
	}
	if err := indexOpenLoad(tx); err != nil {
		return fmt.Errorf("count open decisions per decider: %w", err)
	}
	meta := tx.Bucket([]byte(bucketMeta))
	v := schemaVersion(meta)
	if v > uint64(len(migrations)) {
		return fmt.Errorf("schema version %d is newer than this baton understands (%d): upgrade baton", v, len(migrations))
	}
	if v == uint64(len(migrations)) {
		return nil
	}
	for i := v; i < uint64(len(migrations)); i++ {
		if err := migrations[i](tx); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", i+1, err)
		}
	}
	if err := meta.Put(metaSchema, u64(uint64(len(migrations)))); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	return nil
}

// checkSchema is the read-only counterpart of initSchema: it cannot migrate,
// so it refuses a file that is not exactly at this build's version.
func checkSchema(tx *bolt.Tx) error {
	meta := tx.Bucket([]byte(bucketMeta))
	if meta == nil {
		return errors.New("not a baton store (or never opened for writing)")
	}
	if v := schemaVersion(meta); v != uint64(len(migrations)) {
		return fmt.Errorf("schema version %d, this baton needs %d: open it once read-write to migrate", v, len(migrations))
	}
	return nil
}

func schemaVersion(meta *bolt.Bucket) uint64 {
	if v := meta.Get(metaSchema); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// Close releases the file. It waits for running transactions.
func (s *Store) Close() error {
	s.stopWriter()
	if err := s.Damage(); err != nil {
		// bbolt panicked rolling back a write on the damaged file and
		// still holds its write lock: its Close would wait forever. The
		// file lock goes with the process.
		return fmt.Errorf("close store %s: left open: %w", s.path, err)
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }
