package store

import (
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

// idPool is the next new id (the bucket's sequence follows it) and the
// ids handed out and handed back (IDPool).
type idPool struct {
	IDPool
	mu   sync.Mutex
	next uint64 // the last new id handed out or stored
}

func (p *idPool) init(tx *bolt.Tx) {
	p.next = tx.Bucket([]byte(bucketDecisions)).Sequence()
}

// ReserveID hands out the id the caller's next decision will have, for
// CreateDecision with that ID set. release gives it back if the decision
// was not stored (so ids stay dense); after a successful create it does
// nothing. Call it in a defer.
func (s *Store) ReserveID() (id decisions.ID, release func()) {
	v, ok := s.ids.TakeFree()
	if !ok {
		s.ids.mu.Lock()
		s.ids.next++
		v = s.ids.next
		s.ids.mu.Unlock()
		s.ids.Reserve(v)
	}
	return decisions.ID(v), func() { s.ids.Release(v) }
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
