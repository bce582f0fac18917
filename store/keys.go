package store

import (
	"bytes"
	"encoding/binary"
	"math"
	"sync/atomic"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// sep separates the string parts of composite index keys. It sorts before
// every printable byte, so "U1" 0 … sorts before "U12" 0 … and a prefix ending
// in sep matches exactly one value.
const sep = 0

func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func idKey(id decisions.ID) []byte { return u64(uint64(id)) }

// idFromKey reads the id every decision index key ends with.
func idFromKey(k []byte) decisions.ID {
	return decisions.ID(binary.BigEndian.Uint64(k[len(k)-8:]))
}

var (
	minNano = time.Unix(0, math.MinInt64)
	maxNano = time.Unix(0, math.MaxInt64)
)

// tsOrder maps t to a uint64 whose big-endian bytes sort like t. Unix nanos
// with the sign bit flipped cover 1678–2262; times outside clamp to the ends,
// and the zero time to 0.
func tsOrder(t time.Time) uint64 {
	switch {
	case t.Before(minNano):
		return 0
	case t.After(maxNano):
		return math.MaxUint64
	}
	return uint64(t.UnixNano()) ^ (1 << 63)
}

// tsKey is a time index key: the sortable time, then suffix (an id, a
// sequence number or a name) to make it unique.
func tsKey(t time.Time, suffix []byte) []byte {
	k := make([]byte, 8, 8+len(suffix))
	binary.BigEndian.PutUint64(k, tsOrder(t))
	return append(k, suffix...)
}

func tsOf(k []byte) uint64 { return binary.BigEndian.Uint64(k[:8]) }

// prefix joins parts, each followed by sep.
func prefix(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	k := make([]byte, 0, n+8)
	for _, p := range parts {
		k = append(k, p...)
		k = append(k, sep)
	}
	return k
}

// scanned counts index keys visited by range scans, so tests can assert that
// a query touched only its range.
var scanned atomic.Int64

// scanPrefix visits keys starting with p in order (or in reverse), until fn
// returns false. A nil or empty p visits the whole bucket.
func scanPrefix(b *bolt.Bucket, p []byte, reverse bool, fn func(k, v []byte) bool) {
	n := int64(0)
	defer func() { scanned.Add(n) }()
	c := b.Cursor()
	if !reverse {
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			n++
			if !fn(k, v) {
				return
			}
		}
		return
	}
	var k, v []byte
	if end := prefixEnd(p); end == nil {
		k, v = c.Last()
	} else if k, _ = c.Seek(end); k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
		n++
		if !fn(k, v) {
			return
		}
	}
}

// prefixEnd is the smallest key greater than every key starting with p, or
// nil when there is none.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// scanTime visits time index keys with from <= time < to (to <= time when
// inclusive), in time order, until fn returns false. It seeks to from, so only
// the range is read.
func scanTime(b *bolt.Bucket, from, to time.Time, inclusive bool, fn func(k, v []byte) bool) {
	lo, hi := tsOrder(from), tsOrder(to)
	n := int64(0)
	defer func() { scanned.Add(n) }()
	c := b.Cursor()
	for k, v := c.Seek(u64(lo)); k != nil; k, v = c.Next() {
		n++
		ts := tsOf(k)
		if ts > hi || (ts == hi && !inclusive) {
			return
		}
		if !fn(k, v) {
			return
		}
	}
}
