package store

import (
	"time"

	"github.com/baton-app/baton/decisions"
)

// Backend is what Baton's callers (bot, shell, the commands) need from a
// store, and nothing more: the bbolt Store implements it, and so does the
// PostgreSQL store in store/pgstore. Both are held to it by one conformance
// suite (store/storetest), so they cannot drift. Methods that only make sense
// for one file (Backup, Check against pages, Path) stay off it.
type Backend interface {
	// Decisions.
	ReserveID() (id decisions.ID, release func())
	PeekNextID() (decisions.ID, error)
	CreateDecision(d decisions.Decision, build func(d decisions.Decision) ([]OutboxItem, error)) (decisions.Decision, error)
	CreateDecisionForEvent(eventID string, seenAt time.Time, d decisions.Decision, build func(d decisions.Decision) ([]OutboxItem, error)) (decisions.Decision, error)
	Decision(id decisions.ID) (decisions.Decision, error)
	UpdateDecision(id decisions.ID, fn func(d decisions.Decision) (decisions.Decision, []OutboxItem, error)) (decisions.Decision, error)
	UpdateDecisionIn(id decisions.ID, fn func(v View, d decisions.Decision) (decisions.Decision, []OutboxItem, error)) (decisions.Decision, error)
	PutBulk(ds []decisions.Decision) error
	SetNextChecks(checks []NextCheck) (int, error)
	Count() (int, error)
	Each(fn func(decisions.Decision) error) error

	// Queries.
	ByStatus(st decisions.Status, limit int) ([]decisions.Decision, error)
	ByStatusOldest(st decisions.Status, limit int) ([]decisions.Decision, error)
	ByDecider(user string, st decisions.Status, limit int) ([]decisions.Decision, error)
	ByProposer(user string, limit int) ([]decisions.Decision, error)
	Newest(limit int) ([]decisions.Decision, error)
	ByDomain(domain string, limit int) ([]decisions.Decision, error)
	ByDomainTree(domain string, limit int) ([]decisions.Decision, error)
	DueBetween(from, to time.Time) ([]decisions.Decision, error)
	DueBefore(t time.Time, limit int) ([]decisions.Decision, error)
	CheckDue(t time.Time, limit int) ([]decisions.Decision, error)
	DeferredUntilBefore(t time.Time) ([]decisions.Decision, error)
	DecidedBetween(from, to time.Time) ([]decisions.Decision, error)
	CreatedBetween(from, to time.Time) ([]decisions.Decision, error)
	CreatedSince(from, to time.Time, limit int) ([]decisions.Decision, error)
	ReviewsBetween(from, to time.Time) ([]decisions.Decision, error)
	ReviewsDue(from, to time.Time, limit int) ([]decisions.Decision, error)
	ReviewsOwedBy(user string, limit int) ([]decisions.Decision, error)
	Misrouted(from, to time.Time, limit int) ([]decisions.Decision, error)
	AdviceOwedBy(user string, limit int) ([]decisions.Decision, error)
	StuckOldest(limit int) ([]decisions.Decision, error)
	Search(query string, limit int) ([]decisions.Decision, error)
	OpenLoad() (map[string]int, error)
	PendingCounts(now time.Time) (map[string]Pending, error)

	// The outbox.
	Enqueue(items ...OutboxItem) error
	OutboxDue(now time.Time, limit int) ([]OutboxItem, error)
	OutboxAfter(seq uint64, limit int) ([]OutboxItem, error)
	OutboxNext() (next time.Time, ok bool, err error)
	OutboxAttempt(key string, at time.Time) error
	OutboxDone(key string, now time.Time, refs map[string]decisions.MessageRef) error
	OutboxRetry(key string, at time.Time, errText string) error
	OutboxPostpone(key string, at time.Time, why string) error
	OutboxPending(key string) (bool, error)
	Delivered(key string) (bool, error)
	OutboxLen() (int, error)

	// De-duplication of what Slack sends.
	MarkEvent(eventID string, now time.Time) (first bool, err error)
	EventSeen(eventID string) (bool, error)
	ExpireEvents(before time.Time) (int, error)
	// MarkRequest may return before the mark is durable, but it is
	// durable no later than any write the caller makes after it.
	MarkRequest(sig string, signedAt time.Time) (first bool, err error)
	RememberedRequests() (int, error)

	// Baton's own messages.
	Ref(key string) (decisions.MessageRef, bool, error)
	SetRef(key string, ref decisions.MessageRef) error
	RefsWithPrefix(p string) (map[string]decisions.MessageRef, error)

	// Scheduled jobs and people.
	LastRun(job string) (time.Time, error)
	CompleteRun(job string, at time.Time, items ...OutboxItem) error
	SetAway(a Away) error
	Aways() ([]Away, error)

	// Probe commits a tiny write, for readiness.
	Probe(now time.Time) error
	Close() error
}

var _ Backend = (*Store)(nil)

// ViewReader is what a View reads; another backend supplies one bound to its
// own transaction.
type ViewReader interface {
	Ref(key string) (decisions.MessageRef, bool, error)
	RefsWithPrefix(p string) (map[string]decisions.MessageRef, error)
	OutboxPending(key string) (bool, error)
}

// NewView is a View that reads through r, for backends other than bbolt.
func NewView(r ViewReader) View { return View{r: r} }
