package store

import (
	"time"

	"github.com/baton-app/baton/decisions"
)

// What other backends share with this one, so that what is indexed where,
// and how keys sort, is said once (indexEntries) and not re-derived: the
// PostgreSQL store keeps the same index keys in one table.

// Index names, as IndexEntry.Index holds them.
const (
	IndexStatus    = idxStatus
	IndexDecider   = idxDecider
	IndexProposer  = idxProposer
	IndexDomain    = idxDomain
	IndexDue       = idxDue
	IndexDeferred  = idxDeferred
	IndexDecided   = idxDecided
	IndexCreated   = idxCreated
	IndexCheck     = idxCheck
	IndexPending   = idxPending
	IndexWords     = idxWords
	IndexReview    = idxReview
	IndexMisroutes = idxMisroutes
	IndexAdvice    = idxAdvice
	IndexStuck     = idxStuck
)

// IndexEntry is one index key a decision owns.
type IndexEntry struct {
	Index string
	Key   []byte
}

// IndexEntries lists every index key d should have.
func IndexEntries(d *decisions.Decision) []IndexEntry {
	es := indexEntries(d)
	out := make([]IndexEntry, len(es))
	for i, e := range es {
		out[i] = IndexEntry{e.bucket, []byte(e.key)}
	}
	return out
}

// ValidateDecision rejects what would corrupt the indexes.
func ValidateDecision(d *decisions.Decision) error { return validate(d) }

// KeyPrefix joins parts into an index key prefix, each part followed by NUL.
func KeyPrefix(parts ...string) []byte { return prefix(parts...) }

// KeyPrefixEnd is the first key after every key starting with p, or nil
// when there is none.
func KeyPrefixEnd(p []byte) []byte { return prefixEnd(p) }

// TimeKey is the 8-byte sortable form of t that time index keys start with.
func TimeKey(t time.Time) []byte { return tsKey(t, nil) }

// TimeOrder is t as a sortable number, as time keys hold it.
func TimeOrder(t time.Time) uint64 { return tsOrder(t) }

// KeyID is the decision id an index key ends with.
func KeyID(k []byte) decisions.ID { return idFromKey(k) }

// KeyTime is the sortable time a time index key starts with.
func KeyTime(k []byte) uint64 { return tsOf(k) }

// ReviewOwedPrefix is the start of the review index's keys for reviews
// asked of user and not answered ("" for everyone's): they sort after
// every review date, so a range of dates never includes them.
func ReviewOwedPrefix(user string) []byte { return reviewOwed(user) }

// MaxTime is the latest time a time key holds: a range up to it takes
// every key.
var MaxTime = maxNano
