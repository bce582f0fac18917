package store

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketReplay remembers the signatures of verified requests: key is the
// request's signed timestamp (sortable, see tsKey) then the signature, so
// one bucket both answers "seen?" and is pruned oldest first. It is created
// with every other bucket in Open's transaction.
const bucketReplay = "replay"

// ReplayWindow is how long a signed request stays acceptable to Slack's
// verification (5 minutes each way). A signature older than twice that
// can never verify again, so it need not be remembered.
const ReplayWindow = 5 * time.Minute

// maxReplayPrune bounds how many expired signatures one call deletes, so a
// burst after a long quiet spell never makes one request slow.
const maxReplayPrune = 256

// MarkRequest records that a request signed at signedAt with signature sig
// was handled, and reports whether this is the first time. A replay of the
// same signed bytes carries the same timestamp and signature, so it is
// found; a new request cannot reuse them without the signing secret.
//
// It does not wait for the mark's commit: the mark is durable no later
// than any write the caller makes after it (the single writer commits in
// order), so a request that changes something is never acknowledged
// before its signature is remembered, and a request that only reads costs
// no commit wait. Only this process writes the file, so signatures still
// on their way to the file are remembered in memory meanwhile. If the
// mark's commit fails after the request was let through (a full disk),
// the signature stays refused in memory for as long as it could verify,
// and the writer writes it again ahead of its next group.
//
// Signatures older than 2×ReplayWindow before signedAt are forgotten in
// the same transaction: any request that could still verify is at most
// ReplayWindow from now, and signedAt is within ReplayWindow of now.
func (s *Store) MarkRequest(sig string, signedAt time.Time) (first bool, err error) {
	if sig == "" {
		return false, fmt.Errorf("mark request: empty signature")
	}
	key := tsKey(signedAt, []byte(sig))
	write := func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketReplay))
		if b.Get(key) != nil {
			return nil
		}
		if err := b.Put(key, []byte{}); err != nil {
			return err
		}
		return pruneReplay(b, signedAt.Add(-2*ReplayWindow))
	}
	if s.w == nil { // read-only store: let bbolt refuse
		return false, fmt.Errorf("mark request: %w", s.update(write))
	}
	if first, err := s.replays.claim(s.db, key, signedAt); !first || err != nil {
		return false, err
	}
	done := func(err error) { s.replays.done(key, signedAt, err) }
	if err := s.send(&writeReq{fn: write, done: make(chan error, 1), after: done}); err != nil {
		s.replays.done(key, signedAt, nil) // never sent: not handled either
		return false, fmt.Errorf("mark request: %w", err)
	}
	return true, nil
}

// replayMarks are the signatures on their way to the file, and those whose
// write failed after their request was let through (a full disk, say).
// The failed ones stay refused in memory until they could no longer
// verify, and the writer tries them again ahead of its next group
// (retryMarks), so a later write of the request lands with its mark when
// the file takes writes again.
type replayMarks struct {
	mu      sync.Mutex
	pending map[string]bool
	failed  map[string]time.Time // key → when it no longer matters (signedAt + 2×ReplayWindow)
}

// claim reports whether key is new: not on its way to the file, not
// failed, not in the file. A new key is pending until done. The lock is
// not held while the writer is waited for: the writer takes it in done.
func (p *replayMarks) claim(db *bolt.DB, key []byte, signedAt time.Time) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, until := range p.failed {
		if until.Before(signedAt) {
			delete(p.failed, k) // unverifiable by now
		}
	}
	if _, failed := p.failed[string(key)]; failed || p.pending[string(key)] {
		return false, nil
	}
	var seen bool
	if err := db.View(func(tx *bolt.Tx) error {
		seen = tx.Bucket([]byte(bucketReplay)).Get(key) != nil
		return nil
	}); err != nil {
		return false, fmt.Errorf("mark request: %w", err)
	}
	if seen {
		return false, nil
	}
	if p.pending == nil {
		p.pending = map[string]bool{}
	}
	p.pending[string(key)] = true
	return true, nil
}

// done records the outcome of key's write: the file answers for it now,
// or it failed and is kept to be refused and written again.
func (p *replayMarks) done(key []byte, signedAt time.Time, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pending, string(key))
	if err != nil {
		if p.failed == nil {
			p.failed = map[string]time.Time{}
		}
		p.failed[string(key)] = signedAt.Add(2 * ReplayWindow)
	}
}

// retry is a write of the failed marks, for the writer to put ahead of
// its next group; nil when there are none. Marks it writes are forgotten
// once committed; if it fails again they wait for the next group.
func (p *replayMarks) retry() *writeReq {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failed) == 0 {
		return nil
	}
	keys := make([][]byte, 0, len(p.failed))
	for k := range p.failed {
		keys = append(keys, []byte(k))
	}
	return &writeReq{
		fn: func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(bucketReplay))
			for _, k := range keys {
				if err := b.Put(k, []byte{}); err != nil {
					return err
				}
			}
			return nil
		},
		done: make(chan error, 1),
		after: func(err error) {
			if err != nil {
				return
			}
			p.mu.Lock()
			for _, k := range keys {
				delete(p.failed, string(k))
			}
			p.mu.Unlock()
		},
	}
}

// pruneReplay deletes up to maxReplayPrune signatures stamped before cutoff.
func pruneReplay(b *bolt.Bucket, cutoff time.Time) error {
	limit := u64(tsOrder(cutoff))
	c := b.Cursor()
	// Start from First after each delete: bbolt's Next after Delete may
	// skip a key.
	for n := 0; n < maxReplayPrune; n++ {
		k, _ := c.First()
		if k == nil || bytes.Compare(k[:8], limit) >= 0 {
			break
		}
		if err := c.Delete(); err != nil {
			return fmt.Errorf("prune replay signatures: %w", err)
		}
	}
	return nil
}

// RememberedRequests is how many request signatures the store holds.
func (s *Store) RememberedRequests() (int, error) {
	if err := s.settle(); err != nil {
		return 0, fmt.Errorf("count remembered requests: %w", err)
	}
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(bucketReplay)); b != nil { // absent in a read-only older file
			n = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count remembered requests: %w", err)
	}
	return n, nil
}
