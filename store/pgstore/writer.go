package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/baton-app/baton/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// This file is the group commit, as store/writer.go is for bbolt: two
// writer goroutines each take every write queued while their last commit
// ran, run them in one transaction and commit once. Under load one commit
// (one WAL flush, one BEGIN and COMMIT round trip, one NOTIFY) serves many
// callers; alone, a write waits for nothing.
//
// Correctness never comes from the writers: several of them, and several
// replicas, write to one database at once, so every write keeps its row
// locks (SELECT … FOR UPDATE) and unique keys. A refusal (a duplicate
// event, a refused transition) writes nothing and is a value; a write that
// fails after writing aborts the transaction, and the group is split so
// that write fails alone and the others commit.

const (
	// writers is how many groups may commit at once: a second group
	// fills while the first waits for its commit. Measured with the
	// bench's 200 senders on 2 cores, 2 beat 1 and 4 (fewer, larger
	// groups, and the handlers keep the CPU).
	writers = 2
	// maxGroup bounds the writes in one transaction, so its row locks are
	// held briefly.
	maxGroup = 128
	// maxGroupItems bounds the outbox items of one transaction, whose
	// sequence numbers are its id times 65536 plus their place (see
	// enqueueAs); past it the remaining writes go in the next transaction.
	maxGroupItems = 1 << 15
)

// errClosed is returned, wrapped, by a write to a closed Store.
var errClosed = errors.New("store is closed")

// group is what the writes sharing one transaction share.
type group struct {
	items int       // outbox items enqueued so far: the next one's place
	load  loadDelta // applied once, before the commit
}

// place reserves n places for outbox items in the transaction's sequence
// numbers and returns the first.
func (g *group) place(n int) (int, error) {
	if g.items+n >= 1<<16 {
		return 0, fmt.Errorf("enqueue: %d items in one transaction; at most %d", g.items+n, 1<<16-1)
	}
	p := g.items
	g.items += n
	return p, nil
}

// writeFn is a write that talks with the database as it goes (reads, then
// writes what it read decides).
type writeFn func(ctx context.Context, tx pgx.Tx, g *group) error

// stmt is a write that is one statement: the group sends its consecutive
// stmts in one round trip (a pgx.Batch), so a group of proposals and
// replay marks costs one round trip plus its commit.
type stmt struct {
	sql string
	// args are the statement's arguments, placed in g.
	args func(g *group) ([]any, error)
	// scan reads its answer, in g; a refusal is returned as refused.
	scan func(row pgx.Row, g *group) error
}

// writeReq is one caller's write (fn or st), waiting for its group's commit.
type writeReq struct {
	fn   writeFn
	st   *stmt
	done chan error
}

type writer struct {
	reqs chan *writeReq
	mu   sync.RWMutex // held for reading while sending, for writing by stop
	shut bool
	stop chan struct{}
	wg   sync.WaitGroup
}

func (s *Store) startWriters() {
	s.w = &writer{reqs: make(chan *writeReq), stop: make(chan struct{})}
	for range writers {
		s.w.wg.Add(1)
		go s.writeLoop()
	}
}

// stopWriters lets the writes in progress finish, then stops the writers.
func (s *Store) stopWriters() {
	s.w.mu.Lock()
	if !s.w.shut {
		s.w.shut = true
		close(s.w.stop)
	}
	s.w.mu.Unlock()
	s.w.wg.Wait()
}

// write runs fn in a transaction shared with the writes queued alongside
// it and returns once that transaction committed (or failed). fn may run
// more than once (another write in its group failed, or PostgreSQL broke a
// deadlock), so it must only set what it returns; a refusal must be
// returned, as refused, before fn writes anything.
func (s *Store) write(fn writeFn) error {
	return s.send(&writeReq{fn: fn, done: make(chan error, 1)})
}

// writeStmt is write for a one-statement write.
func (s *Store) writeStmt(st *stmt) error {
	return s.send(&writeReq{st: st, done: make(chan error, 1)})
}

func (s *Store) send(r *writeReq) error {
	s.w.mu.RLock()
	if s.w.shut {
		s.w.mu.RUnlock()
		return fmt.Errorf("write: %w", errClosed)
	}
	s.w.reqs <- r
	s.w.mu.RUnlock()
	return store.Unrefused(<-r.done)
}

func (s *Store) writeLoop() {
	defer s.w.wg.Done()
	group := make([]*writeReq, 0, maxGroup)
	for {
		select {
		case r := <-s.w.reqs:
			group = append(group[:0], r)
		case <-s.w.stop:
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case r := <-s.w.reqs:
				group = append(group, r)
			default:
				break more
			}
		}
		s.commit(group)
		s.groups.Add(1)
	}
}

// call runs one write, turning a panic into that write's error: it runs on
// a writer goroutine, where a panic would take the process down.
func call(ctx context.Context, fn writeFn, tx pgx.Tx, g *group) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(ctx, tx, g)
}

// retryable is a failure PostgreSQL asks us to retry: another transaction
// (another group or replica) won a lock, and ours was aborted.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// commit runs ws in one transaction and answers every caller. If a write
// fails (not a refusal), the transaction is rolled back and the group
// split: the writes before it commit together, it runs alone (so its caller
// gets exactly its own error), and the writes after it go on.
func (s *Store) commit(ws []*writeReq) {
	if len(ws) == 0 {
		return
	}
	errs := make([]error, len(ws))
	var failed, ran int
	var err error
	for attempt := 0; ; attempt++ {
		failed, ran = -1, len(ws)
		err = s.runGroup(ws, errs, &failed, &ran)
		if attempt < 4 && retryable(err) {
			continue
		}
		break
	}
	switch {
	case err == nil:
		for i, r := range ws[:ran] {
			r.done <- errs[i]
		}
		s.commit(ws[ran:])
	case failed < 0 || len(ws) == 1:
		// BEGIN or COMMIT failed, or a lone write did: nobody's write
		// happened.
		for _, r := range ws[:ran] {
			r.done <- err
		}
		s.commit(ws[ran:])
	default:
		s.commit(ws[:failed])
		s.commit(ws[failed : failed+1])
		s.commit(ws[failed+1:])
	}
}

// runGroup is one attempt at ws's transaction; ran is how many of ws it
// took (the rest did not fit), failed the write that aborted it, if any.
func (s *Store) runGroup(ws []*writeReq, errs []error, failed, ran *int) error {
	ctx, cancel := s.op()
	defer cancel()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		g := &group{load: loadDelta{}}
		var b pgx.Batch
		var queued []int // the writes in b, by index in ws
		flush := func() error {
			if len(queued) == 0 {
				return nil
			}
			res := tx.SendBatch(ctx, &b)
			for _, i := range queued {
				errs[i] = ws[i].st.scan(res.QueryRow(), g)
				if _, ok := errors.AsType[store.Refused](errs[i]); errs[i] != nil && !ok {
					_ = res.Close()
					*failed = i
					return errs[i]
				}
			}
			b, queued = pgx.Batch{}, queued[:0]
			return res.Close()
		}
		for i, r := range ws {
			if g.items >= maxGroupItems {
				*ran = i
				break
			}
			if r.st != nil {
				args, err := r.st.args(g)
				if err != nil {
					errs[i], *failed = err, i
					return err
				}
				b.Queue(r.st.sql, args...)
				queued = append(queued, i)
				continue
			}
			if err := flush(); err != nil {
				return err
			}
			errs[i] = call(ctx, r.fn, tx, g)
			if _, ok := errors.AsType[store.Refused](errs[i]); errs[i] != nil && !ok {
				*failed = i
				return errs[i]
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if err := dropDelivered(ctx, tx, g); err != nil {
			return err
		}
		return applyLoad(ctx, tx, g.load)
	})
}

// dropDelivered takes back out the items this transaction enqueued whose
// key was delivered meanwhile. An insert's NOT EXISTS (delivered) reads a
// snapshot taken before a concurrent OutboxDone committed; its ON CONFLICT
// then waits for that commit and, the pending row being gone, inserts —
// leaving the key both delivered and pending, a second post. This
// statement runs later, with a fresh snapshot (READ COMMITTED), over the
// transaction's own rows (its seq range, by the unique index on seq).
func dropDelivered(ctx context.Context, tx pgx.Tx, g *group) error {
	if g.items == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `DELETE FROM outbox o
		WHERE o.seq >= pg_current_xact_id()::text::bigint * 65536 AND o.seq < (pg_current_xact_id()::text::bigint + 1) * 65536
		AND EXISTS (SELECT 1 FROM delivered d WHERE d.key = o.key)`)
	if err != nil {
		return fmt.Errorf("drop items delivered meanwhile: %w", err)
	}
	return nil
}
