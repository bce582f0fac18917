package bot

import (
	"testing"
	"time"

	"github.com/baton-app/baton/store"
)

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func item(seq uint64, key string, m Message) *queued {
	p := &queued{it: store.OutboxItem{Key: key, Seq: seq, NotBefore: t0, Enqueued: t0}, msg: m, method: methodOf(m)}
	return p
}

func addAll(p *pacer, qs ...*queued) {
	for _, q := range qs {
		q.lane = p.laneOf(q.it.Key, q.msg, "")
		p.add(q)
	}
}

// TestPacerPausesOnlyTheMethod: a 429 on chat.postMessage holds every
// channel's posts until Retry-After, but not App Home publishes.
func TestPacerPausesOnlyTheMethod(t *testing.T) {
	p := newPacer(-1, 0, 0)
	p.rand = func() float64 { return 0 }
	a := item(1, "a", Message{Kind: KindPost, Channel: "C1"})
	b := item(2, "b", Message{Kind: KindPost, Channel: "C2"})
	h := item(3, "h", Message{Kind: KindHome, User: "U1"})
	addAll(p, a, b, h)
	q, _ := p.next(t0)
	if q != a {
		t.Fatalf("first = %v, want a (enqueued first)", q.it.Key)
	}
	p.done(result{q: a, out: outRateLimited, retryAfter: 30 * time.Second}, t0)
	q, _ = p.next(t0)
	if q != h {
		t.Fatalf("during the pause got %v, want the home publish", q)
	}
	p.done(result{q: h, out: outDone}, t0)
	if q, wake := p.next(t0.Add(29 * time.Second)); q != nil || !wake.Equal(t0.Add(30*time.Second)) {
		t.Fatalf("before Retry-After: %v, wake %v", q, wake)
	}
	if q, _ := p.next(t0.Add(30 * time.Second)); q != a {
		t.Fatalf("after Retry-After got %v, want a again first", q)
	}
}

// TestPacerOneInFlightPerLane: a channel's second message waits for the
// first to finish, and a reply waits for its parent in another lane.
func TestPacerOneInFlightPerLane(t *testing.T) {
	p := newPacer(-1, 0, 0)
	a1 := item(1, "D-1/announce", Message{Kind: KindPost, Channel: "C1"})
	a2 := item(2, "D-2/announce", Message{Kind: KindPost, Channel: "C1"})
	dm := item(3, "D-1/dm/U1", Message{Kind: KindDM, User: "U1"})
	up := item(4, "D-1/resolved/3/U1", Message{Kind: KindUpdate, UpdateRef: "D-1/dm/U1"})
	addAll(p, a1, a2, dm, up)
	first, _ := p.next(t0)
	second, _ := p.next(t0)
	if first != a1 || second != dm {
		t.Fatalf("got %v then %v, want D-1/announce and the DM", first.it.Key, second.it.Key)
	}
	if q, _ := p.next(t0); q != nil {
		t.Fatalf("%s went while its lane or its parent was busy", q.it.Key)
	}
	p.done(result{q: dm, out: outDone}, t0)
	if q, _ := p.next(t0); q != up {
		t.Fatalf("after the DM got %v, want its update", q)
	}
}

// TestPacerOutage: an unreachable Slack stops all lanes until the probe
// hears back, then every failed lane goes at once.
func TestPacerOutage(t *testing.T) {
	p := newPacer(-1, 0, 0)
	p.rand = func() float64 { return 0.5 }
	a := item(1, "a", Message{Kind: KindPost, Channel: "C1"})
	b := item(2, "b", Message{Kind: KindPost, Channel: "C2"})
	addAll(p, a, b)
	q, _ := p.next(t0)
	p.done(result{q: q, out: outUnreachable}, t0)
	now := t0.Add(time.Minute)
	if q, _ := p.next(now); q != nil {
		t.Fatal("a lane went while Slack was down")
	}
	if !p.probeDue(now) || p.probeDue(now) {
		t.Fatal("want exactly one probe at a time")
	}
	p.probed(true, now)
	got, _ := p.next(now)
	if got != a {
		t.Fatalf("after the probe got %v, want the failed lane at once", got)
	}
}
