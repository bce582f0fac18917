package store

import (
	"bytes"
	"fmt"
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
// Signatures older than 2×ReplayWindow before signedAt are forgotten in
// the same transaction: any request that could still verify is at most
// ReplayWindow from now, and signedAt is within ReplayWindow of now.
func (s *Store) MarkRequest(sig string, signedAt time.Time) (first bool, err error) {
	if sig == "" {
		return false, fmt.Errorf("mark request: empty signature")
	}
	key := tsKey(signedAt, []byte(sig))
	err = s.guardedUpdate(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketReplay))
		if b.Get(key) != nil {
			return nil
		}
		first = true
		if err := b.Put(key, []byte{}); err != nil {
			return err
		}
		return pruneReplay(b, signedAt.Add(-2*ReplayWindow))
	})
	if err != nil {
		return false, fmt.Errorf("mark request: %w", err)
	}
	return first, nil
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
