package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// This file holds what the outbox's sender needs beyond the queue itself:
// reading new items in commit order, recording an attempt before a call to
// Slack, and the stored form of an item.

// OutboxAfter lists up to limit pending items enqueued after sequence
// number seq, in enqueue order (limit <= 0: all). Sequence numbers are taken
// inside the single writer's transaction, so they follow commit order: a
// sender that remembers the last Seq it read never misses an item, however
// the enqueueing transactions raced.
func (s *Store) OutboxAfter(seq uint64, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := s.db.View(func(tx *bolt.Tx) error {
		ob := tx.Bucket([]byte(bucketOutbox))
		c := tx.Bucket([]byte(bucketOutboxSeq)).Cursor()
		for k, v := c.Seek(u64(seq + 1)); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			it, ok, err := getOutbox(ob, string(v))
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%s points at missing item %s", bucketOutboxSeq, v)
			}
			out = append(out, it)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox after %d: %w", seq, err)
	}
	return out, nil
}

// indexOutboxSeq fills outbox_seq from the outbox when the file predates
// it: an empty index next to a non-empty outbox can only mean that. It runs
// at open, in the schema transaction.
func indexOutboxSeq(tx *bolt.Tx) error {
	ob, bySeq := tx.Bucket([]byte(bucketOutbox)), tx.Bucket([]byte(bucketOutboxSeq))
	if k, _ := bySeq.Cursor().First(); k != nil {
		return nil
	}
	return ob.ForEach(func(k, v []byte) error {
		var it OutboxItem
		if err := decodeOutbox(v, &it); err != nil {
			return fmt.Errorf("decode outbox item %s: %w", k, err)
		}
		return bySeq.Put(u64(it.Seq), k)
	})
}

// OutboxAttempt records that key is about to be sent at at, before the
// call to Slack, so that after a crash the item is known to need a look at
// Slack before it is sent again. A key not pending gives ErrNotFound; one
// whose attempt is already recorded gives ErrAttemptedElsewhere (it is a
// compare-and-set: of two senders, one records the attempt).
func (s *Store) OutboxAttempt(key string, at time.Time) error {
	err := s.update(func(tx *bolt.Tx) error {
		ob := tx.Bucket([]byte(bucketOutbox))
		it, ok, err := getOutbox(ob, key)
		if err != nil {
			return err
		}
		if !ok {
			return Refuse(ErrNotFound)
		}
		if !it.Attempted.IsZero() {
			return Refuse(ErrAttemptedElsewhere)
		}
		it.Attempted = at
		v, err := encodeOutbox(&it)
		if err != nil {
			return err
		}
		return ob.Put([]byte(key), v)
	})
	if err != nil {
		return fmt.Errorf("outbox attempt %s: %w", key, err)
	}
	return nil
}

// outboxFormat starts an outbox value laid out as: this byte, the header's
// length (uvarint), the header (the item as JSON, without its body), then
// the body as is. JSON would hold the body in base64, a third larger and
// encoded twice. Values from before start with '{': the whole item as JSON.
const outboxFormat = 1

func encodeOutbox(it *OutboxItem) ([]byte, error) {
	h := *it
	h.Body = nil
	hdr, err := json.Marshal(&h)
	if err != nil {
		return nil, err
	}
	v := make([]byte, 0, 1+binary.MaxVarintLen64+len(hdr)+len(it.Body))
	v = append(v, outboxFormat)
	v = binary.AppendUvarint(v, uint64(len(hdr)))
	v = append(v, hdr...)
	return append(v, it.Body...), nil
}

func decodeOutbox(v []byte, it *OutboxItem) error {
	if len(v) == 0 || v[0] != outboxFormat {
		return json.Unmarshal(v, it)
	}
	n, w := binary.Uvarint(v[1:])
	if w <= 0 || uint64(len(v)-1-w) < n {
		return fmt.Errorf("truncated outbox value")
	}
	hdr := v[1+w : 1+w+int(n)]
	if err := json.Unmarshal(hdr, it); err != nil {
		return err
	}
	it.Body = bytes.Clone(v[1+w+int(n):])
	return nil
}
