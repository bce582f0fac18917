package bot

import (
	"strconv"
	"testing"
	"time"
)

// A channel whose queue empties after each message keeps its pacing: a
// trickle of ten messages within a second gets the burst of three and
// about one more, not ten.
func TestPacingOutlivesAnEmptyLane(t *testing.T) {
	p := newPacer(time.Second, 0, 0) // 1/s per channel, burst 3
	now := t0
	sent := 0
	for i := 1; i <= 10; i++ {
		q := item(uint64(i), "k"+strconv.Itoa(i), Message{Kind: KindPost, Channel: "C1"})
		addAll(p, q)
		if got, _ := p.next(now); got == q {
			sent++
			p.done(result{q: q, out: outDone}, now)
		}
		now = now.Add(100 * time.Millisecond)
	}
	if sent > 4 {
		t.Fatalf("%d posts to one channel within a second; Slack allows a burst of 3 at 1/s", sent)
	}
}

// A conversation's bucket is forgotten once its queue is empty and it has
// refilled: keeping it would change nothing, and channels come and go.
func TestIdlePacesAreForgotten(t *testing.T) {
	p := newPacer(time.Second, 0, 0)
	send := func(key, channel string, at time.Time) {
		q := item(uint64(len(p.known)+1), key, Message{Kind: KindPost, Channel: channel})
		addAll(p, q)
		got, _ := p.next(at)
		if got != q {
			t.Fatalf("%s not sent at %v", key, at)
		}
		p.done(result{q: q, out: outDone}, at)
	}
	send("a", "C1", t0)
	if _, kept := p.paces["c:C1"]; !kept {
		t.Fatal("a bucket just used is forgotten: the next message would get a fresh burst")
	}
	send("b", "C2", t0.Add(time.Minute))
	if _, kept := p.paces["c:C1"]; kept {
		t.Error("an idle, refilled bucket is kept for ever")
	}
}

// While the outage probe is in flight nothing is due on time: the loop
// waits for the probe's answer instead of polling the store every
// millisecond.
func TestNoWakeWhileProbing(t *testing.T) {
	p := newPacer(-1, 0, 0)
	p.rand = func() float64 { return 0.5 }
	a := item(1, "a", Message{Kind: KindPost, Channel: "C1"})
	addAll(p, a)
	q, _ := p.next(t0)
	p.done(result{q: q, out: outUnreachable}, t0)
	now := t0.Add(10 * time.Second)
	if !p.probeDue(now) {
		t.Fatal("probe not due")
	}
	if got, wake := p.next(now.Add(2 * time.Second)); got != nil || !wake.IsZero() {
		t.Fatalf("while probing: next = %v, wake %v; want nothing and no wake time", got, wake)
	}
}
