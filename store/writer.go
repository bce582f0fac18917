package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// This file is the group commit: every write goes through one writer
// goroutine, which takes all the writes queued while the previous commit was
// syncing, runs them in one bbolt transaction and syncs once. Under load a
// commit (two fdatasyncs) serves many callers instead of one; alone, a write
// waits for nothing (unlike bbolt's Batch, which waits up to 10 ms and re-runs
// the whole batch when one function fails).

// maxGroup bounds the writes in one transaction, so one commit's dirty pages
// stay small.
const maxGroup = 256

// ErrClosed is returned, wrapped, by a write to a closed Store.
var ErrClosed = errors.New("store is closed")

// writeReq is one caller's write, waiting for its commit.
type writeReq struct {
	fn   func(tx *bolt.Tx) error
	done chan error
	// after, if set, is told the outcome once the group is durable (or
	// failed), for a caller that does not wait on done.
	after func(error)
}

// finish answers r's caller with the outcome of its write.
func (r *writeReq) finish(err error) {
	r.done <- err
	if r.after != nil {
		r.after(err)
	}
}

// Refused is the error a write function returns after writing nothing,
// in either store's group commit: the caller gets Err, and the rest of its
// group commits normally. A duplicate event or a refused transition is a
// value, not a rollback.
type Refused struct{ Err error }

func (r Refused) Error() string { return r.Err.Error() }
func (r Refused) Unwrap() error { return r.Err }

// Refuse marks err as returned before anything was written.
func Refuse(err error) error { return Refused{Err: err} }

// Unrefused is err as its caller sees it: a refusal's own error.
func Unrefused(err error) error {
	if r, ok := errors.AsType[Refused](err); ok {
		return r.Err
	}
	return err
}

// writer is the Store's single writer.
type writer struct {
	reqs chan *writeReq
	mu   sync.RWMutex // held for reading while sending, for writing by close
	shut bool
	stop chan struct{}
	done chan struct{}
}

func (s *Store) startWriter() {
	s.w = &writer{reqs: make(chan *writeReq), stop: make(chan struct{}), done: make(chan struct{})}
	go s.writeLoop()
}

// stopWriter waits for the write in progress, then stops the writer.
func (s *Store) stopWriter() {
	if s.w == nil {
		return
	}
	s.w.mu.Lock()
	if !s.w.shut {
		s.w.shut = true
		close(s.w.stop)
	}
	s.w.mu.Unlock()
	<-s.w.done
}

// update runs fn in a write transaction shared with the writes queued
// alongside it, and returns once that transaction is durable (or failed).
// fn may run more than once if another write in its group fails, so it must
// only set what it returns. It must not call the Store's write methods.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	if s.w == nil { // read-only store: let bbolt refuse
		return s.db.Update(fn)
	}
	r := &writeReq{fn: fn, done: make(chan error, 1)}
	if err := s.send(r); err != nil {
		return err
	}
	return Unrefused(<-r.done)
}

// settle waits until every write sent so far is committed (or failed),
// for the readers that must see writes callers did not wait for
// (MarkRequest's).
func (s *Store) settle() error {
	if s.w == nil {
		return nil
	}
	return s.update(func(*bolt.Tx) error { return nil })
}

// send hands r to the writer, which commits it after every write sent
// before it (in the same transaction or an earlier one).
func (s *Store) send(r *writeReq) error {
	s.w.mu.RLock()
	defer s.w.mu.RUnlock()
	if s.w.shut {
		return fmt.Errorf("write: %w", ErrClosed)
	}
	s.w.reqs <- r
	return nil
}

func (s *Store) writeLoop() {
	defer close(s.w.done)
	group := make([]*writeReq, 0, maxGroup)
	for {
		select {
		case r := <-s.w.reqs:
			group = append(group[:0], r)
		case <-s.w.stop:
			return
		}
		group = s.drain(group)
		if len(group) > 1 {
			// Others were queued already: under load, more handlers are a
			// scheduling round away from the queue. Let them reach it
			// before the group closes, since a commit (two fdatasyncs,
			// every touched bucket's nodes read and copied) costs about
			// the same for 60 writes as for 30. A lone write does not wait.
			runtime.Gosched()
			group = s.drain(group)
		}
		if r := s.replays.retry(); r != nil {
			group = append([]*writeReq{r}, group...) // failed replay marks first: see replayMarks
		}
		s.commit(group)
		s.groups.Add(1)
		if s.trimAfterCommit.Swap(false) {
			_ = s.db.View(func(tx *bolt.Tx) error { trim(tx); return nil })
		}
	}
}

// drain adds the writes queued now to group, up to maxGroup.
func (s *Store) drain(group []*writeReq) []*writeReq {
	for len(group) < maxGroup {
		select {
		case r := <-s.w.reqs:
			group = append(group, r)
		default:
			return group
		}
	}
	return group
}

// call runs one write, turning a panic into that write's error: it runs
// on the writer's goroutine, where a panic would take every other
// request — and the process — down with it.
//
// A panic is damage when the file's pages do not check out (bbolt trusts
// the file and panics on a bad page): that error stops the store, as
// guardedUpdate does. Otherwise it is a bug in the callback, and only that
// write fails.
func (s *Store) call(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if werr := walkPages(s.path, tx); errors.Is(werr, ErrDamaged) {
				err = werr
				return
			}
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

// commit runs group in one transaction and answers every caller. If one
// function fails after writing, the transaction is rolled back and the
// group is split: the writes before it commit together, it runs alone (so
// its caller gets exactly its own error), and the writes after it go on.
func (s *Store) commit(group []*writeReq) {
	if len(group) == 0 {
		return
	}
	errs := make([]error, len(group))
	failed := -1
	err := s.guardedUpdate(func(tx *bolt.Tx) error {
		for i, r := range group {
			errs[i] = s.call(r.fn, tx)
			if _, ok := errors.AsType[Refused](errs[i]); errs[i] != nil && !ok {
				failed = i
				return errs[i]
			}
		}
		return nil
	})
	switch {
	case err == nil:
		for i, r := range group {
			r.finish(errs[i])
		}
	case failed < 0 || len(group) == 1:
		// The commit itself failed (or a lone write did): nobody's write
		// happened.
		for _, r := range group {
			r.finish(err)
		}
	default:
		s.commit(group[:failed])
		s.commit(group[failed : failed+1])
		s.commit(group[failed+1:])
	}
}

// guardedUpdate is db.Update under guard: a write reads pages too, and a
// page that went bad after Open would panic in the writer goroutine and take
// the process down; every caller in the group gets a *DamagedError instead.
// bbolt may be left holding its write lock then (its rollback reads the
// damaged free list), so every later write gets the same error at once.
func (s *Store) guardedUpdate(fn func(tx *bolt.Tx) error) error {
	if err := s.Damage(); err != nil {
		return err
	}
	err := guard(s.path, func() error { return s.db.Update(fn) })
	if errors.Is(err, ErrDamaged) {
		s.broken.set(err)
	}
	return err
}

// broken records the first damage a write found.
type broken struct {
	once sync.Once
	ch   chan struct{} // closed by set
	mu   sync.Mutex
	err  error
}

func (b *broken) done() chan struct{} {
	b.once.Do(func() { b.ch = make(chan struct{}) })
	return b.ch
}

func (b *broken) set(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
		close(b.done())
	}
}

// Broken is closed once a write finds the file damaged; Damage then says
// how. The store takes no more writes: serve stops on it.
func (s *Store) Broken() <-chan struct{} { return s.broken.done() }

// Damage is the *DamagedError a write found, or nil.
func (s *Store) Damage() error {
	s.broken.mu.Lock()
	defer s.broken.mu.Unlock()
	return s.broken.err
}
