package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/baton-app/baton/decisions"
	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole file to w, from one read
// transaction, so it is safe while others write. It returns the bytes written.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", s.path, err)
	}
	return n, nil
}

// BackupFile writes a consistent copy to path.tmp, syncs it and renames it
// to path, so path is either the old file or a complete new copy.
func (s *Store) BackupFile(path string) (n int64, err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("backup to %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()      // already failing; the first error is the useful one
			_ = os.Remove(tmp) // do not leave a partial copy behind
		}
	}()
	if n, err = s.Backup(f); err != nil {
		return n, err
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("backup to %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return n, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}

// maxCheckErrors bounds what Check reports about a badly broken file.
const maxCheckErrors = 20

// Check verifies the file: bbolt's own page consistency check, then that
// every index holds exactly the entries the stored decisions and outbox items
// call for, and that the decision count is right. It reads everything; it
// is meant for tests and for "baton check"-style tools, not the hot path.
func (s *Store) Check() error {
	var errs []error
	report := func(err error) bool {
		errs = append(errs, err)
		return len(errs) < maxCheckErrors
	}
	// The page walk reads the file as the last commit left it: let the
	// writes nobody waited for land first.
	if err := s.settle(); err != nil && !errors.Is(err, ErrClosed) {
		return fmt.Errorf("check %s: %w", s.path, err)
	}
	// guard: the index checks trust key lengths a damaged file may break.
	err := guard(s.path, func() error {
		return s.db.View(func(tx *bolt.Tx) error {
			// Bounds first: tx.Check reads pages in its own goroutine,
			// beyond guard's reach.
			if err := walkPages(s.path, tx); err != nil {
				return err
			}
			return s.check(tx, report)
		})
	})
	if err != nil {
		return fmt.Errorf("check %s: %w", s.path, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("check %s: %w", s.path, errors.Join(errs...))
	}
	return nil
}

func (s *Store) check(tx *bolt.Tx, report func(error) bool) error {
	// Drain the channel even past the cap: the checker goroutine reads
	// pages until it has sent everything.
	full := false
	for err := range tx.Check() {
		if !full {
			full = !report(err)
		}
	}
	checkDecisionIndexes(tx, report)
	checkOutboxIndex(tx, report)
	checkWriterIndexes(tx, report)
	checkTimeIndex(tx, bucketEvents, bucketEventsTime, report)
	checkTimeIndex(tx, bucketDelivered, bucketDeliveredTime, report)
	return nil
}

func checkDecisionIndexes(tx *bolt.Tx, report func(error) bool) {
	want := map[entry]bool{}
	n := uint64(0)
	err := tx.Bucket([]byte(bucketDecisions)).ForEach(func(k, v []byte) error {
		n++
		var d decisions.Decision
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decision key %x: %w", k, err)
		}
		if !bytes.Equal(idKey(d.ID), k) {
			return fmt.Errorf("decision key %x holds %s", k, d.ID)
		}
		for _, e := range indexEntries(&d) {
			want[e] = true
		}
		return nil
	})
	if err != nil {
		report(err)
		return
	}
	if c := count(tx); c != n {
		if !report(fmt.Errorf("decision count is %d, %d stored", c, n)) {
			return
		}
	}
	for _, name := range []string{idxStatus, idxDecider, idxProposer, idxDomain, idxDue, idxDeferred, idxDecided, idxCreated, idxCheck, idxPending, idxWords, idxReview, idxMisroutes, idxAdvice, idxStuck} {
		err := tx.Bucket([]byte(name)).ForEach(func(k, _ []byte) error {
			e := entry{name, string(k)}
			if !want[e] {
				if !report(fmt.Errorf("%s: stale entry %q", name, k)) {
					return errors.New("too many errors")
				}
			}
			delete(want, e)
			return nil
		})
		if err != nil {
			return
		}
	}
	for e := range want {
		if !report(fmt.Errorf("%s: missing entry %q", e.bucket, e.key)) {
			return
		}
	}
}

func checkOutboxIndex(tx *bolt.Tx, report func(error) bool) {
	checkOutboxIdx(tx, bucketOutboxDue, outboxDueKey, report)
}

// errCheckStop ends a walk once report has had enough.
var errCheckStop = errors.New("enough problems reported")

// checkOutboxIdx checks an index of the outbox (key → item key): every entry
// points at an item whose keyOf is that key, and it has one per item.
func checkOutboxIdx(tx *bolt.Tx, idx string, keyOf func(*OutboxItem) []byte, report func(error) bool) {
	ob, b := tx.Bucket([]byte(bucketOutbox)), tx.Bucket([]byte(idx))
	if b == nil {
		report(fmt.Errorf("bucket %s is missing", idx))
		return
	}
	indexed := 0
	err := b.ForEach(func(k, v []byte) error {
		indexed++
		it, ok, err := getOutbox(ob, string(v))
		switch {
		case err != nil:
			err = fmt.Errorf("%s: %x: %w", idx, k, err)
		case !ok:
			err = fmt.Errorf("%s: %x points at missing item %s", idx, k, v)
		case !bytes.Equal(keyOf(&it), k):
			err = fmt.Errorf("%s: %x does not match item %s", idx, k, v)
		}
		if err != nil && !report(err) {
			return errCheckStop
		}
		return nil
	})
	if err == nil {
		if n := ob.Stats().KeyN; n != indexed {
			report(fmt.Errorf("%s holds %d items, %s %d", bucketOutbox, n, idx, indexed))
		}
	}
}

// checkTimeIndex checks a name → ts bucket against its ts name index.
func checkTimeIndex(tx *bolt.Tx, byName, byTime string, report func(error) bool) {
	names, times := tx.Bucket([]byte(byName)), tx.Bucket([]byte(byTime))
	indexed := 0
	_ = times.ForEach(func(k, _ []byte) error {
		indexed++
		if v := names.Get(k[8:]); !bytes.Equal(v, k[:8]) {
			report(fmt.Errorf("%s: %x does not match %s", byTime, k, byName))
		}
		return nil
	})
	if n := names.Stats().KeyN; n != indexed {
		report(fmt.Errorf("%s holds %d keys, %s %d", byName, n, byTime, indexed))
	}
}

// metaProbe is the meta key Probe writes.
var metaProbe = []byte("ready_probe")

// Probe commits a tiny write, so readiness reflects whether the file takes
// writes right now: a full disk, a read-only remount or a lost volume fail
// here, as every real write would.
func (s *Store) Probe(now time.Time) error {
	err := s.update(func(tx *bolt.Tx) error {
		b, err := now.MarshalBinary()
		if err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put(metaProbe, b)
	})
	if err != nil {
		return fmt.Errorf("probe store %s: %w", s.path, err)
	}
	return nil
}
