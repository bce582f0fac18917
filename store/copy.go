package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"time"

	"github.com/baton-app/baton/decisions"
)

// Importer is a Backend that can take decisions under their own ids: both
// the bbolt and the PostgreSQL store are.
type Importer interface {
	Backend
	Import(ds []decisions.Decision) error
}

// Summary is what a store holds, as baton store copy verifies it: counts,
// and a SHA-256 over every decision (history included), pending outbox
// item, message ref, away record and job run, in a fixed order.
type Summary struct {
	Decisions, Outbox, Refs, Aways, Jobs int
	Checksum                             string
}

func (s Summary) String() string {
	return fmt.Sprintf("%d decisions, %d outbox items, %d message refs, %d away records, %d job runs; sha256 %s",
		s.Decisions, s.Outbox, s.Refs, s.Aways, s.Jobs, s.Checksum)
}

// importBatch is how many decisions Copy writes per transaction.
const importBatch = 1000

// Copy copies everything from into to, which must be empty, then
// summarizes both and fails unless the summaries match. jobs names the
// scheduled jobs whose last runs are copied. Slack event ids (kept 48 h),
// replay signatures (minutes) and the memory of delivered keys (30 days)
// are not copied: a copy is made with Baton stopped, and what they guard
// against afterwards is narrow — see the README's note on moving over.
func Copy(from Backend, to Importer, jobs []string) (Summary, error) {
	n, err := to.Count()
	if err != nil {
		return Summary{}, err
	}
	m, err := to.OutboxLen()
	if err != nil {
		return Summary{}, err
	}
	if n > 0 || m > 0 {
		return Summary{}, fmt.Errorf("the target holds %d decisions and %d outbox items: copy only into an empty store", n, m)
	}
	var batch []decisions.Decision
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := to.Import(batch)
		batch = batch[:0]
		return err
	}
	err = from.Each(func(d decisions.Decision) error {
		batch = append(batch, d)
		if len(batch) == importBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return Summary{}, fmt.Errorf("copy decisions: %w", err)
	}
	items, err := from.OutboxAfter(0, 0)
	if err != nil {
		return Summary{}, err
	}
	if err := to.Enqueue(items...); err != nil {
		return Summary{}, fmt.Errorf("copy outbox: %w", err)
	}
	refs, err := from.RefsWithPrefix("")
	if err != nil {
		return Summary{}, err
	}
	for _, k := range slices.Sorted(maps.Keys(refs)) {
		if err := to.SetRef(k, refs[k]); err != nil {
			return Summary{}, fmt.Errorf("copy refs: %w", err)
		}
	}
	aways, err := from.Aways()
	if err != nil {
		return Summary{}, err
	}
	for _, a := range aways {
		if err := to.SetAway(a); err != nil {
			return Summary{}, fmt.Errorf("copy away records: %w", err)
		}
	}
	for _, j := range jobs {
		at, err := from.LastRun(j)
		if err != nil {
			return Summary{}, err
		}
		if at.IsZero() {
			continue
		}
		if err := to.CompleteRun(j, at); err != nil {
			return Summary{}, fmt.Errorf("copy job runs: %w", err)
		}
	}
	src, err := Summarize(from, jobs)
	if err != nil {
		return Summary{}, fmt.Errorf("summarize the source: %w", err)
	}
	dst, err := Summarize(to, jobs)
	if err != nil {
		return Summary{}, fmt.Errorf("summarize the copy: %w", err)
	}
	if src != dst {
		return dst, fmt.Errorf("the copy differs from the source:\n  source: %s\n  copy:   %s", src, dst)
	}
	return dst, nil
}

// Summarize counts and checksums what b holds (see Summary).
func Summarize(b Backend, jobs []string) (Summary, error) {
	var s Summary
	h := sha256.New()
	line := func(kind string, v any) error {
		j, err := json.Marshal(v)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %s\n", kind, j)
		return nil
	}
	err := b.Each(func(d decisions.Decision) error {
		s.Decisions++
		return line("decision", d)
	})
	if err != nil {
		return s, err
	}
	items, err := b.OutboxAfter(0, 0)
	if err != nil {
		return s, err
	}
	for _, it := range items {
		it.Seq = 0 // each store numbers its own
		s.Outbox++
		if err := line("outbox", it); err != nil {
			return s, err
		}
	}
	refs, err := b.RefsWithPrefix("")
	if err != nil {
		return s, err
	}
	for _, k := range slices.Sorted(maps.Keys(refs)) {
		s.Refs++
		if err := line("ref", []any{k, refs[k]}); err != nil {
			return s, err
		}
	}
	aways, err := b.Aways()
	if err != nil {
		return s, err
	}
	for _, a := range aways {
		s.Aways++
		if err := line("away", a); err != nil {
			return s, err
		}
	}
	if err := summarizeJobs(b, jobs, &s, h); err != nil {
		return s, err
	}
	s.Checksum = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

func summarizeJobs(b Backend, jobs []string, s *Summary, h hash.Hash) error {
	for _, j := range slices.Sorted(slices.Values(jobs)) {
		at, err := b.LastRun(j)
		if err != nil {
			return err
		}
		if at.IsZero() {
			continue
		}
		s.Jobs++
		fmt.Fprintf(h, "job %s %s\n", j, at.UTC().Format(time.RFC3339Nano))
	}
	return nil
}
