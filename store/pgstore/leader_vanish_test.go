package pgstore_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-app/baton/store/pgstore"
)

// blackhole proxies TCP to target until frozen; then it forwards nothing
// but keeps every socket open, as a host that lost power or its network does.
type blackhole struct {
	ln     net.Listener
	frozen atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newBlackhole(t *testing.T, target string) *blackhole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			b.mu.Lock()
			b.conns = append(b.conns, c, s)
			b.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if err != nil {
						return
					}
					if b.frozen.Load() {
						continue // swallow: never forward, never close
					}
					dst.Write(buf[:n])
				}
			}
			go pipe(s, c)
			go pipe(c, s)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for _, c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
	})
	return b
}

func TestLeaderWhoseHostVanishesIsTakenOver(t *testing.T) {
	if dsn == "" {
		t.SkipNow()
	}
	schema := newSchema(t)
	u, _ := url.Parse(dsn)
	bh := newBlackhole(t, u.Host)
	u2 := *u
	u2.Host = bh.ln.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := pgstore.Open(context.Background(), u2.String(), pgstore.Options{Schema: schema, CampaignEvery: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b := openFast(t, schema)
	var who atomic.Value
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errA := make(chan error, 1)
	go func() {
		errA <- a.Lead(ctx, log, func(ctx context.Context) { who.Store("a"); <-ctx.Done() })
	}()
	waitFor(t, func() bool { return who.Load() == "a" })
	go b.Lead(ctx, log, func(ctx context.Context) { who.Store("b"); <-ctx.Done() })
	time.Sleep(300 * time.Millisecond)
	bh.frozen.Store(true) // a's host is gone, without a FIN or RST
	select {
	case err := <-errA:
		t.Logf("a gave up leading: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("a did not notice")
	}
	// a's process exits (it returns ErrLostLead; serve exits).
	go a.Close()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if who.Load() == "b" {
			t.Logf("b took over")
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	var held int
	_ = b.Pool().QueryRow(context.Background(), `SELECT count(*) FROM pg_locks WHERE locktype='advisory' AND granted AND classid=$1`, 0x62740002).Scan(&held)
	t.Fatalf("no leader 15s after the old leader's host vanished: its session still holds the advisory lock (%d granted)", held)
}
