package store

import (
	"slices"
	"sync"
)

// IDPool is the in-memory side of handing out decision ids, shared by
// both stores (where new ids come from is each store's own): the ids
// handed out and not yet stored, and those handed back unused, which are
// handed out again first, smallest first, so ids stay dense and in order
// where they can. The zero value is ready to use.
type IDPool struct {
	mu       sync.Mutex
	free     []uint64
	reserved map[uint64]bool
}

// TakeFree hands out the smallest id handed back unused, if there is one.
func (p *IDPool) TakeFree() (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) == 0 {
		return 0, false
	}
	v := p.free[0]
	p.free = p.free[1:]
	p.reserveLocked(v)
	return v, true
}

// PeekFree is the id TakeFree would hand out, without taking it.
func (p *IDPool) PeekFree() (uint64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) == 0 {
		return 0, false
	}
	return p.free[0], true
}

// Reserve records v, a new id, as handed out.
func (p *IDPool) Reserve(v uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reserveLocked(v)
}

func (p *IDPool) reserveLocked(v uint64) {
	if p.reserved == nil {
		p.reserved = map[uint64]bool{}
	}
	p.reserved[v] = true
}

// Release hands v back unused, unless it was stored or released already.
func (p *IDPool) Release(v uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reserved[v] {
		return
	}
	delete(p.reserved, v)
	i, _ := slices.BinarySearch(p.free, v)
	p.free = slices.Insert(p.free, i, v)
}

// IsReserved reports whether v was handed out and not yet stored.
func (p *IDPool) IsReserved(v uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reserved[v]
}

// Stored marks v as used for good, once its transaction committed.
func (p *IDPool) Stored(v uint64) {
	p.mu.Lock()
	delete(p.reserved, v)
	p.mu.Unlock()
}
