package store

import (
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/baton-app/baton/decisions"
)

// What a person can ask for in Slack reads a bounded part of the indexes,
// however much is stored. (scanned is global: these hold because no test
// here calls t.Parallel.)

func TestCreatedSinceReadsOnlyTheNewest(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	var made []decisions.ID
	for i := range 30 {
		d := proposal("D", "UTOM", "it", "UJONAS")
		d.CreatedAt = t0.Add(time.Duration(i) * time.Hour)
		made = append(made, h.create(d).ID)
	}
	before := scanned.Load()
	wantIDs(t, "the 3 newest since the start", got(h.CreatedSince(t0, t0.Add(100*time.Hour), 3)), made[29], made[28], made[27])
	if n := scanned.Load() - before; n > 3 {
		t.Errorf("CreatedSince visited %d index keys for 3 results", n)
	}
	wantIDs(t, "before to, since from", got(h.CreatedSince(t0.Add(27*time.Hour), t0.Add(29*time.Hour), 10)), made[28], made[27])
	wantIDs(t, "nothing since", got(h.CreatedSince(t0.Add(200*time.Hour), t0.Add(300*time.Hour), 10)))
}

func TestSearchReadsABoundedQuery(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	ninth := h.create(proposal("Zebra crossing", "UTOM", "it", "UJONAS"))
	// A pasted paragraph is read for its first maxQueryWords words only.
	long := "alpha bravo charlie delta echo foxtrot golf hotel zebra"
	wantIDs(t, "a word past the cap", got(h.Search(long, 10)))
	wantIDs(t, "the same word within it", got(h.Search("zebra", 10)), ninth.ID)

	before := scanned.Load()
	if _, err := h.Search(strings.Repeat("zebra crossing ", 100), 10); err != nil {
		t.Fatal(err)
	}
	if n := scanned.Load() - before; n > maxQueryWords {
		t.Errorf("a 200-word query visited %d index keys for one decision", n)
	}
}

// A review nobody answers leaves the date order once asked, so the hourly
// job stops reading it, and waits in App Home for those asked.
func TestAskedReviewsLeaveTheJobsIndex(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	a := h.create(proposal("A", "UTOM", "it", "UJONAS"))
	b := h.create(proposal("B", "UTOM", "it", "UJONAS"))
	for _, id := range []decisions.ID{a.ID, b.ID} {
		h.update(id, func(d *decisions.Decision) {
			d.ReviewOn = t0.AddDate(0, 1, 0)
			d.History = append(d.History, decisions.Event{At: t0, Actor: "UTOM", Kind: decisions.EventReviewSet})
		})
	}
	later := t0.AddDate(0, 2, 0)
	wantIDs(t, "due, not asked", got(h.ReviewsBetween(time.Time{}, later)), a.ID, b.ID)
	wantIDs(t, "owed before asking", got(h.ReviewsOwedBy("UJONAS", 10)))

	h.update(a.ID, func(d *decisions.Decision) {
		d.History = append(d.History, decisions.Event{At: later, Actor: decisions.SystemActor, Kind: decisions.EventReviewAsked, Users: []string{"UJONAS", "UTOM"}})
	})
	wantIDs(t, "for the job after asking A", got(h.ReviewsDue(time.Time{}, later, 0)), b.ID)
	wantIDs(t, "the job's batch", got(h.ReviewsDue(time.Time{}, later, 1)), b.ID)
	wantIDs(t, "for the digest, asked or not", got(h.ReviewsBetween(time.Time{}, later)), a.ID, b.ID)
	wantIDs(t, "for the digest, before the date", got(h.ReviewsBetween(time.Time{}, t0)))
	wantIDs(t, "owed by a decider", got(h.ReviewsOwedBy("UJONAS", 10)), a.ID)
	wantIDs(t, "owed by the proposer", got(h.ReviewsOwedBy("UTOM", 10)), a.ID)
	wantIDs(t, "not owed by others", got(h.ReviewsOwedBy("UJON", 10)))
	wantIDs(t, "a date scan to the end of time", got(h.ReviewsDue(time.Time{}, time.Unix(1<<40, 0), 0)), b.ID)

	// Answered (Keep): gone from both.
	h.update(a.ID, func(d *decisions.Decision) { d.ReviewOn = time.Time{} })
	wantIDs(t, "owed after Keep", got(h.ReviewsOwedBy("UJONAS", 10)))
	h.reopen()
}

// A store from v3 keeps asked reviews in the date order; v4 moves them.
func TestReviewMigration(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	d := proposal("A", "UTOM", "it", "UJONAS")
	d.ReviewOn = t0
	d.History = append(d.History, decisions.Event{At: t0, Actor: decisions.SystemActor, Kind: decisions.EventReviewAsked, Users: []string{"UJONAS"}})
	a := h.create(d)
	err := h.db.Update(func(tx *bolt.Tx) error {
		idx := tx.Bucket([]byte(idxReview))
		if err := idx.Delete(append(reviewOwed("UJONAS"), idKey(a.ID)...)); err != nil {
			return err
		}
		if err := idx.Put(tsKey(t0, idKey(a.ID)), nil); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketMeta)).Put(metaSchema, u64(3))
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Store.Close()
	h.open()
	wantIDs(t, "due after migrating", got(h.ReviewsDue(time.Time{}, t0.Add(time.Hour), 0)))
	wantIDs(t, "owed after migrating", got(h.ReviewsOwedBy("UJONAS", 10)), a.ID)
}

func TestMisroutedNewestFirstBounded(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	var made []decisions.ID
	for i := range 5 {
		d := proposal("D", "UTOM", "finance", "UFATIMA")
		d.Misroutes = []decisions.Misroute{{At: t0.Add(time.Duration(i) * time.Hour), From: "finance", To: "product"}}
		made = append(made, h.create(d).ID)
	}
	wantIDs(t, "2 newest", got(h.Misrouted(time.Time{}, t0.AddDate(1, 0, 0), 2)), made[4], made[3])
	wantIDs(t, "since hour 3", got(h.Misrouted(t0.Add(3*time.Hour), t0.AddDate(1, 0, 0), 0)), made[4], made[3])
}
