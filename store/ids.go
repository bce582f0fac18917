package store

import (
	"slices"
	"sync"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// Decision ids are handed out in memory, before the transaction that
// stores the decision: routing (a round robin takes turns by id) and the
// messages (which show the id) are worked out outside the single writer,
// and two concurrent proposals can never be given the same id, so never the
// same round-robin turn. Only this process writes the file (it holds the
// lock), so memory is the authority; the bucket's sequence follows it.

// idPool is the next id to hand out and ids handed back unused.
type idPool struct {
	mu       sync.Mutex
	next     uint64 // the last id handed out or stored
	free     []uint64
	reserved map[uint64]bool
}

func (p *idPool) init(tx *bolt.Tx) {
	p.next = tx.Bucket([]byte(bucketDecisions)).Sequence()
	p.reserved = map[uint64]bool{}
}

// ReserveID hands out the id the caller's next decision will have, for
// CreateDecision with that ID set. release gives it back if the decision
// was not stored (so ids stay dense); after a successful create it does
// nothing. Call it in a defer.
func (s *Store) ReserveID() (id decisions.ID, release func()) {
	p := &s.ids
	p.mu.Lock()
	var v uint64
	if n := len(p.free); n > 0 {
		v = p.free[0] // the smallest first, so ids stay in order where they can
		p.free = p.free[1:]
	} else {
		p.next++
		v = p.next
	}
	p.reserved[v] = true
	p.mu.Unlock()
	return decisions.ID(v), func() { s.releaseID(v) }
}

func (s *Store) releaseID(v uint64) {
	p := &s.ids
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reserved[v] {
		return // stored, or already released
	}
	delete(p.reserved, v)
	i, _ := slices.BinarySearch(p.free, v)
	p.free = slices.Insert(p.free, i, v)
}

// isReserved reports whether v was handed out and not yet stored.
func (s *Store) isReserved(v uint64) bool {
	s.ids.mu.Lock()
	defer s.ids.mu.Unlock()
	return s.ids.reserved[v]
}

// stored marks v as used for good, once its transaction committed.
func (s *Store) stored(v uint64) {
	s.ids.mu.Lock()
	delete(s.ids.reserved, v)
	s.ids.mu.Unlock()
}

// reserveRange hands out n consecutive new ids, for PutBulk.
func (s *Store) reserveRange(n int) uint64 {
	p := &s.ids
	p.mu.Lock()
	defer p.mu.Unlock()
	first := p.next + 1
	p.next += uint64(n)
	return first
}
