package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/baton-app/baton/store"
)

// damage is how serve learns that the store went bad while serving: the
// first failure is kept, readiness turns false, and Damaged delivers it.
type damage struct {
	once sync.Once
	ch   chan error // buffered 1, made lazily so the zero value works
	mu   sync.Mutex
	err  error
}

func (d *damage) channel() chan error {
	d.once.Do(func() { d.ch = make(chan error, 1) })
	return d.ch
}

// set records err if it is the first, and reports whether it was.
func (d *damage) set(err error) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return false
	}
	d.err = err
	d.channel() <- err
	return true
}

func (d *damage) get() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}

// Damaged delivers, once, why the App cannot go on: the store turned out
// damaged while the outbox or a job was reading it (wrapping
// store.ErrDamaged), or, if the store checks clean, the unexpected failure.
// serve stops on it with exit 1; a restart policy then meets Open's refusal
// and its advice instead of a panic loop.
func (a *App) Damaged() <-chan error { return a.ready.damage.channel() }

// RunOutbox runs the outbox until ctx is done, or until reading the store
// fails in a way bbolt only reports by panicking.
func (a *App) RunOutbox(ctx context.Context) {
	a.contain("outbox", func() { a.outbox.Run(ctx) })
}

// contain runs f in the calling goroutine and reports whether it returned.
// bbolt trusts the file: a page that went bad after Open (or damage the
// page walk cannot see) makes it panic or fault while reading. Here that
// is caught (SetPanicOnFault turns the fault into a panic, for this
// goroutine only, hence one contain per goroutine), the store is checked,
// and the App stops being ready and asks serve to stop.
func (a *App) contain(what string, f func()) (ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			a.failed(what, r, debug.Stack())
			ok = false
		}
	}()
	f()
	return true
}

// checkedFile is a store in a file Baton can check for damage (bbolt).
type checkedFile interface {
	CheckPages() error
	Check() error
	Path() string
}

// failed records a panic in what: a *store.DamagedError when the store
// does not check out (the page walk first, then the full check), else the
// failure itself, which is then a bug, not damage.
func (a *App) failed(what string, r any, stack []byte) {
	var err error
	path := ""
	// Only a file can be damaged under Baton; a database checks itself.
	if f, ok := a.store.(checkedFile); ok {
		if err, path = f.CheckPages(), f.Path(); err == nil {
			err = f.Check()
		}
	}
	switch {
	case errors.Is(err, store.ErrDamaged):
	case err != nil:
		err = &store.DamagedError{Path: path, Reason: fmt.Sprintf("the %s failed reading it (%v), and its check fails: %v", what, r, err)}
	default:
		err = fmt.Errorf("the %s failed unexpectedly (%v); the store checks clean, so this is a bug in baton: please report it with the log", what, r)
	}
	if a.ready.damage.set(err) {
		a.log.Error("stopping: the "+what+" cannot go on", "err", err, "panic", fmt.Sprint(r), "stack", string(stack))
	}
}
