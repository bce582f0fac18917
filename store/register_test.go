package store

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/baton-app/baton/decisions"
)

func TestSearch(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	// Nothing stored, nothing asked: no results, no error.
	wantIDs(t, "empty store", got(h.Search("laptops", 10)))
	wantIDs(t, "stop words only", got(h.Search("the and of", 10)))

	laptops := h.create(proposal("Buy new laptops for the design team", "UTOM", "it", "UJONAS"))
	budget := h.create(proposal("Q1 budget", "UTOM", "finance", "UFATIMA"))
	h.create(proposal("Move standup to 10:00", "UTOM", "eng", "UJONAS"))
	detail := proposal("Hardware refresh", "UTOM", "it", "UJONAS")
	detail.Details = "mostly laptop screens"
	refresh := h.create(detail)

	wantIDs(t, "laptops", got(h.Search("Laptops", 10)), laptops.ID, refresh.ID) // the title match first
	wantIDs(t, "two words, one decision has both", got(h.Search("laptop design", 10)), laptops.ID, refresh.ID)
	wantIDs(t, "limit", got(h.Search("laptop", 1)), laptops.ID)
	wantIDs(t, "nothing matches", got(h.Search("espresso", 10)))

	// Rationales, advice and comments are found once written; the old
	// words of an edited title are not.
	h.update(budget.ID, func(d *decisions.Decision) {
		d.Title = "Q1 spending plan"
		d.Status, d.Rationale, d.DecidedAt = decisions.StatusApproved, "cheaper than leasing", t0
		d.Advice = append(d.Advice, decisions.Advice{By: "UBEN", Text: "check the espresso machine", At: t0})
		d.History = append(d.History, decisions.Event{At: t0, Actor: "UBEN", Kind: decisions.EventCommented, Note: "what about <@U1234> kombucha?"})
	})
	wantIDs(t, "rationale", got(h.Search("leasing", 10)), budget.ID)
	wantIDs(t, "advice", got(h.Search("espresso", 10)), budget.ID)
	wantIDs(t, "comment", got(h.Search("kombucha", 10)), budget.ID)
	wantIDs(t, "old title", got(h.Search("budget", 10)))
	wantIDs(t, "a mention is not a word", got(h.Search("u1234", 10)))

	h.reopen() // Check runs on close: every word entry matches a decision
	wantIDs(t, "after reopening", got(h.Search("laptops", 10)), laptops.ID, refresh.ID)
}

func TestReviewsBetween(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	a := h.create(proposal("A", "UTOM", "it", "UJONAS"))
	b := h.create(proposal("B", "UTOM", "it", "UJONAS"))
	h.update(a.ID, func(d *decisions.Decision) { d.ReviewOn = t0.AddDate(0, 6, 0) })
	h.update(b.ID, func(d *decisions.Decision) { d.ReviewOn = t0.AddDate(0, 1, 0) })
	wantIDs(t, "due within 2 months", got(h.ReviewsBetween(time.Time{}, t0.AddDate(0, 2, 0))), b.ID)
	wantIDs(t, "all", got(h.ReviewsBetween(time.Time{}, t0.AddDate(1, 0, 0))), b.ID, a.ID)
	h.update(b.ID, func(d *decisions.Decision) { d.ReviewOn = time.Time{} })
	wantIDs(t, "after the review", got(h.ReviewsBetween(time.Time{}, t0.AddDate(1, 0, 0))), a.ID)
}

// A store from before the register gets its decisions indexed on open.
func TestRegisterMigration(t *testing.T) {
	h := newTestDB(t)
	d := h.create(proposal("Buy new laptops", "UTOM", "it", "UJONAS"))
	err := h.db.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{idxWords, idxReview} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		return tx.Bucket([]byte(bucketMeta)).Put(metaSchema, u64(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	h.Store.Close()
	h.open()
	wantIDs(t, "after migrating", listed(t)(h.Search("laptop", 10)), d.ID)
}

func TestMisrouted(t *testing.T) {
	h := newTestDB(t)
	got := listed(t)
	a := h.create(proposal("A", "UTOM", "finance", "UFATIMA"))
	h.create(proposal("B", "UTOM", "it", "UJONAS"))
	wantIDs(t, "none yet", got(h.Misrouted(time.Time{}, t0.AddDate(1, 0, 0), 0)))
	h.update(a.ID, func(d *decisions.Decision) {
		d.Misroutes = append(d.Misroutes,
			decisions.Misroute{At: t0.Add(time.Hour), From: "finance", To: "product"},
			decisions.Misroute{At: t0.Add(2 * time.Hour), From: "product", To: "company"})
	})
	wantIDs(t, "twice misrouted, listed once", got(h.Misrouted(time.Time{}, t0.AddDate(1, 0, 0), 0)), a.ID)
	wantIDs(t, "before both", got(h.Misrouted(time.Time{}, t0.Add(time.Hour), 0)))
	h.reopen()
}
