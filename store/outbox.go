package store

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// DeliveredRetention is how long a delivered outbox key is remembered, so
// enqueueing it again is a no-op.
const DeliveredRetention = 30 * 24 * time.Hour

// pruneBatch bounds how many expired delivered keys OutboxDone forgets per
// call, keeping each delivery's transaction small.
const pruneBatch = 256

// OutboxItem is a message waiting to be sent. The store treats Body as
// opaque; the Slack layer encodes its own message type in it.
type OutboxItem struct {
	// Key identifies the message, e.g. "D-7/announce". Enqueueing a key that
	// is pending or was delivered recently does nothing.
	Key  string `json:"key"`
	Body []byte `json:"body,omitempty"` // stored as is, after the header (see encodeOutbox)
	// NotBefore is the earliest time to send; zero means Enqueued.
	NotBefore time.Time `json:"not_before"`
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	// Enqueued is set by the store when zero.
	Enqueued time.Time `json:"enqueued"`
	// Seq is assigned by the store; it orders items with the same NotBefore.
	Seq uint64 `json:"seq"`
	// Attempted is when a sender last recorded, before calling Slack, that
	// it was about to send this item. An item with Attempted set and still
	// pending may or may not have reached Slack: the sender must look
	// before sending it again.
	Attempted time.Time `json:"attempted,omitzero"`
}

// Enqueue adds items to the outbox in one transaction. An item whose key is
// already pending or delivered is skipped silently, which makes retried
// handlers harmless.
func (s *Store) Enqueue(items ...OutboxItem) error {
	return s.update(func(tx *bolt.Tx) error {
		return enqueue(tx, s.now(), items)
	})
}

// enqueue is Enqueue inside an existing transaction; decision writes and
// CompleteRun use it so their messages commit with them.
func enqueue(tx *bolt.Tx, now time.Time, items []OutboxItem) error {
	ob := tx.Bucket([]byte(bucketOutbox))
	due := tx.Bucket([]byte(bucketOutboxDue))
	delivered := tx.Bucket([]byte(bucketDelivered))
	for _, it := range items {
		if it.Key == "" {
			return fmt.Errorf("enqueue: an outbox item needs a key")
		}
		k := []byte(it.Key)
		if ob.Get(k) != nil || delivered.Get(k) != nil {
			continue
		}
		seq, err := ob.NextSequence()
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", it.Key, err)
		}
		it.Seq = seq
		if it.Enqueued.IsZero() {
			it.Enqueued = now
		}
		if it.NotBefore.IsZero() {
			it.NotBefore = it.Enqueued
		}
		if err := putOutboxNew(tx, ob, due, &it); err != nil {
			return fmt.Errorf("enqueue %s: %w", it.Key, err)
		}
	}
	return nil
}

func putOutbox(ob, due *bolt.Bucket, it *OutboxItem) error {
	v, err := encodeOutbox(it)
	if err != nil {
		return err
	}
	if err := ob.Put([]byte(it.Key), v); err != nil {
		return err
	}
	return due.Put(outboxDueKey(it), []byte(it.Key))
}

// putOutboxNew stores a newly enqueued item and indexes it by NotBefore and
// by sequence number.
func putOutboxNew(tx *bolt.Tx, ob, due *bolt.Bucket, it *OutboxItem) error {
	if err := putOutbox(ob, due, it); err != nil {
		return err
	}
	return tx.Bucket([]byte(bucketOutboxSeq)).Put(u64(it.Seq), []byte(it.Key))
}

func outboxDueKey(it *OutboxItem) []byte { return tsKey(it.NotBefore, u64(it.Seq)) }

func getOutbox(ob *bolt.Bucket, key string) (OutboxItem, bool, error) {
	var it OutboxItem
	v := ob.Get([]byte(key))
	if v == nil {
		return it, false, nil
	}
	if err := decodeOutbox(v, &it); err != nil {
		return it, false, fmt.Errorf("decode outbox item %s: %w", key, err)
	}
	return it, true, nil
}

// OutboxDue lists pending items with NotBefore <= now, ordered by NotBefore
// and then by enqueue order. limit <= 0 means all.
func (s *Store) OutboxDue(now time.Time, limit int) ([]OutboxItem, error) {
	var out []OutboxItem
	err := s.db.View(func(tx *bolt.Tx) error {
		ob := tx.Bucket([]byte(bucketOutbox))
		var err error
		scanTime(tx.Bucket([]byte(bucketOutboxDue)), time.Time{}, now, true, func(_, v []byte) bool {
			var it OutboxItem
			var ok bool
			if it, ok, err = getOutbox(ob, string(v)); err != nil {
				return false
			} else if !ok {
				err = fmt.Errorf("outbox index points at missing item %s", v)
				return false
			}
			out = append(out, it)
			return limit <= 0 || len(out) < limit
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("outbox due: %w", err)
	}
	return out, nil
}

// OutboxNext is the earliest NotBefore among pending items, for the worker
// to sleep until; ok is false when the outbox is empty.
func (s *Store) OutboxNext() (next time.Time, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		_, v := tx.Bucket([]byte(bucketOutboxDue)).Cursor().First()
		if v == nil {
			return nil
		}
		it, found, err := getOutbox(tx.Bucket([]byte(bucketOutbox)), string(v))
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("outbox index points at missing item %s", v)
		}
		next, ok = it.NotBefore, true
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox next: %w", err)
	}
	return next, ok, nil
}

// OutboxDone records that key was delivered at now: it leaves the outbox, is
// remembered for DeliveredRetention so it is never sent twice, and refs (the
// messages the delivery created or updated) are saved, all in one
// transaction. Delivered keys older than the retention are forgotten here,
// a bounded number per call.
func (s *Store) OutboxDone(key string, now time.Time, refs map[string]decisions.MessageRef) error {
	err := s.update(func(tx *bolt.Tx) error {
		ob := tx.Bucket([]byte(bucketOutbox))
		it, ok, err := getOutbox(ob, key)
		if err != nil {
			return err
		}
		if ok {
			if err := tx.Bucket([]byte(bucketOutboxDue)).Delete(outboxDueKey(&it)); err != nil {
				return err
			}
			if err := ob.Delete([]byte(key)); err != nil {
				return err
			}
			if err := tx.Bucket([]byte(bucketOutboxSeq)).Delete(u64(it.Seq)); err != nil {
				return err
			}
		}
		delivered := tx.Bucket([]byte(bucketDelivered))
		byTime := tx.Bucket([]byte(bucketDeliveredTime))
		if old := delivered.Get([]byte(key)); len(old) == 8 {
			if err := byTime.Delete(append(old[:8:8], key...)); err != nil {
				return err
			}
		}
		ts := u64(tsOrder(now))
		if err := delivered.Put([]byte(key), ts); err != nil {
			return err
		}
		if err := byTime.Put(append(ts, key...), []byte{}); err != nil {
			return err
		}
		refBucket := tx.Bucket([]byte(bucketRefs))
		for _, k := range slices.Sorted(maps.Keys(refs)) {
			if err := putRef(refBucket, k, refs[k]); err != nil {
				return err
			}
		}
		_, err = expire(delivered, byTime, now.Add(-DeliveredRetention), pruneBatch)
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox done %s: %w", key, err)
	}
	return nil
}

// expire deletes up to max entries (0 = all) timestamped before t from a
// name → ts bucket and its ts name index. Keys are gathered first because
// deleting under a bbolt cursor can skip entries.
func expire(byName, byTime *bolt.Bucket, before time.Time, max int) (int, error) {
	var keys [][]byte
	scanTime(byTime, time.Time{}, before, false, func(k, _ []byte) bool {
		keys = append(keys, append([]byte(nil), k...))
		return max <= 0 || len(keys) < max
	})
	for _, k := range keys {
		if err := byTime.Delete(k); err != nil {
			return 0, err
		}
		if err := byName.Delete(k[8:]); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// OutboxRetry puts a pending item back for another attempt at at, counting
// the attempt and keeping errText. A key not pending gives ErrNotFound.
func (s *Store) OutboxRetry(key string, at time.Time, errText string) error {
	return s.reschedule(key, at, errText, true)
}

// OutboxPostpone puts a pending item back until at without counting an
// attempt: it was not tried (paced, or waiting for the message it replies
// to), so its error backoff must not grow.
func (s *Store) OutboxPostpone(key string, at time.Time, why string) error {
	return s.reschedule(key, at, why, false)
}

func (s *Store) reschedule(key string, at time.Time, errText string, attempted bool) error {
	err := s.update(func(tx *bolt.Tx) error {
		ob := tx.Bucket([]byte(bucketOutbox))
		due := tx.Bucket([]byte(bucketOutboxDue))
		it, ok, err := getOutbox(ob, key)
		if err != nil {
			return err
		}
		if !ok {
			return Refuse(ErrNotFound)
		}
		if err := due.Delete(outboxDueKey(&it)); err != nil {
			return err
		}
		if attempted {
			it.Attempts++
		}
		it.NotBefore = at
		it.LastError = errText
		return putOutbox(ob, due, &it)
	})
	if err != nil {
		return fmt.Errorf("outbox retry %s: %w", key, err)
	}
	return nil
}

// OutboxPending reports whether key is waiting in the outbox.
func (s *Store) OutboxPending(key string) (bool, error) {
	return s.has(bucketOutbox, key)
}

// Delivered reports whether key was delivered within DeliveredRetention.
func (s *Store) Delivered(key string) (bool, error) {
	return s.has(bucketDelivered, key)
}

func (s *Store) has(bucket, key string) (bool, error) {
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		ok = tx.Bucket([]byte(bucket)).Get([]byte(key)) != nil
		return nil
	})
	return ok, err
}

// OutboxLen is the number of pending items.
func (s *Store) OutboxLen() (int, error) {
	var n int
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte(bucketOutbox)).Stats().KeyN
		return nil
	})
	return n, err
}

// MarkEvent records a Slack event id. first is false when it was seen
// before, in which case the event must be ignored.
func (s *Store) MarkEvent(eventID string, now time.Time) (first bool, err error) {
	if eventID == "" {
		return false, fmt.Errorf("mark event: empty event id")
	}
	err = s.update(func(tx *bolt.Tx) error {
		first, err = markEvent(tx, eventID, now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark event %s: %w", eventID, err)
	}
	return first, nil
}

func markEvent(tx *bolt.Tx, eventID string, now time.Time) (bool, error) {
	events := tx.Bucket([]byte(bucketEvents))
	if events.Get([]byte(eventID)) != nil {
		return false, nil
	}
	ts := u64(tsOrder(now))
	if err := events.Put([]byte(eventID), ts); err != nil {
		return false, err
	}
	return true, tx.Bucket([]byte(bucketEventsTime)).Put(append(ts, eventID...), []byte{})
}

// EventSeen reports whether eventID was already handled.
func (s *Store) EventSeen(eventID string) (bool, error) {
	return s.has(bucketEvents, eventID)
}

// ExpireEvents forgets event ids marked before before, returning how many.
// It reads only the expired range of the time index.
func (s *Store) ExpireEvents(before time.Time) (int, error) {
	var n int
	err := s.update(func(tx *bolt.Tx) error {
		var err error
		n, err = expire(tx.Bucket([]byte(bucketEvents)), tx.Bucket([]byte(bucketEventsTime)), before, 0)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("expire events: %w", err)
	}
	return n, nil
}

// Ref is where the message stored under key lives, e.g. "D-7/announce".
func (s *Store) Ref(key string) (decisions.MessageRef, bool, error) {
	var ref decisions.MessageRef
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(bucketRefs)).Get([]byte(key))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &ref)
	})
	if err != nil {
		return decisions.MessageRef{}, false, fmt.Errorf("ref %s: %w", key, err)
	}
	return ref, ok, nil
}

// SetRef records where the message for key lives.
func (s *Store) SetRef(key string, ref decisions.MessageRef) error {
	err := s.update(func(tx *bolt.Tx) error {
		return putRef(tx.Bucket([]byte(bucketRefs)), key, ref)
	})
	if err != nil {
		return fmt.Errorf("set ref %s: %w", key, err)
	}
	return nil
}

func putRef(b *bolt.Bucket, key string, ref decisions.MessageRef) error {
	if key == "" {
		return fmt.Errorf("a message ref needs a key")
	}
	v, err := json.Marshal(ref)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), v)
}

// RefsWithPrefix returns every ref whose key starts with prefix, e.g. all
// "D-7/dm/" messages.
func (s *Store) RefsWithPrefix(p string) (map[string]decisions.MessageRef, error) {
	refs := map[string]decisions.MessageRef{}
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		scanPrefix(tx.Bucket([]byte(bucketRefs)), []byte(p), false, func(k, v []byte) bool {
			var ref decisions.MessageRef
			if err = json.Unmarshal(v, &ref); err != nil {
				return false
			}
			refs[string(k)] = ref
			return true
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("refs with prefix %q: %w", p, err)
	}
	return refs, nil
}

// LastRun is when job last completed, or the zero time if it never has.
func (s *Store) LastRun(job string) (time.Time, error) {
	var at time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		at, err = lastRun(tx, job)
		return err
	})
	return at, err
}

func lastRun(tx *bolt.Tx, job string) (time.Time, error) {
	var at time.Time
	v := tx.Bucket([]byte(bucketJobs)).Get([]byte(job))
	if v == nil {
		return at, nil
	}
	if err := at.UnmarshalBinary(v); err != nil {
		return at, fmt.Errorf("decode last run of %s: %w", job, err)
	}
	return at, nil
}

// CompleteRun records that job ran for time at and enqueues the messages the
// run produced, in one transaction, so a run is never half-recorded. An at
// not after the recorded last run gives ErrAlreadyRun and changes nothing.
func (s *Store) CompleteRun(job string, at time.Time, items ...OutboxItem) error {
	if job == "" {
		return fmt.Errorf("complete run: empty job name")
	}
	err := s.update(func(tx *bolt.Tx) error {
		last, err := lastRun(tx, job)
		if err != nil {
			return err
		}
		if !last.IsZero() && !at.After(last) {
			return Refuse(fmt.Errorf("last run was %s: %w", last.Format(time.RFC3339), ErrAlreadyRun))
		}
		v, err := at.MarshalBinary()
		if err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketJobs)).Put([]byte(job), v); err != nil {
			return err
		}
		return enqueue(tx, s.now(), items)
	})
	if err != nil {
		return fmt.Errorf("complete run %s at %s: %w", job, at.Format(time.RFC3339), err)
	}
	return nil
}

// Away is a user's out-of-office record.
type Away struct {
	User     string    `json:"user"`
	Until    time.Time `json:"until"`
	Delegate string    `json:"delegate,omitempty"`
}

// SetAway records a.User as away until a.Until with an optional delegate;
// a zero Until clears the record.
func (s *Store) SetAway(a Away) error {
	if a.User == "" {
		return fmt.Errorf("set away: empty user")
	}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketAway))
		if a.Until.IsZero() {
			return b.Delete([]byte(a.User))
		}
		v, err := json.Marshal(a)
		if err != nil {
			return err
		}
		return b.Put([]byte(a.User), v)
	})
	if err != nil {
		return fmt.Errorf("set away %s: %w", a.User, err)
	}
	return nil
}

// Aways lists every out-of-office record, by user id, including ones whose
// Until has passed: the caller knows the time.
func (s *Store) Aways() ([]Away, error) {
	var out []Away
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketAway)).ForEach(func(k, v []byte) error {
			var a Away
			if err := json.Unmarshal(v, &a); err != nil {
				return fmt.Errorf("decode away %s: %w", k, err)
			}
			out = append(out, a)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("aways: %w", err)
	}
	return out, nil
}
