package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/baton-app/baton/decisions"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// crashResult is what the crash loop found.
type crashResult struct {
	Kills             int `json:"kills"`
	KilledInPost      int `json:"killed_between_post_and_answer"`
	Acked             int `json:"acknowledged"`
	AckedLost         int `json:"acknowledged_lost"`
	DuplicateDecision int `json:"duplicate_decisions"`
	Messages          int `json:"messages_posted"`
	DuplicateMessages int `json:"duplicate_messages"`
	LostMessages      int `json:"lost_messages"`
	// Queued are messages not posted yet but waiting in the outbox: Slack's
	// allowance (about 5 a second per workspace) is far below the rate
	// the load creates them at.
	Queued int `json:"still_queued"`
}

// benchCrash runs `baton serve` under a steady load of proposals and
// SIGKILLs it at random moments, o.trials times, restarting it each time.
// Then it lets the outbox drain and counts what was lost or doubled:
// acknowledged proposals missing from the store, decisions stored twice,
// and each decision's DMs and announcement posted twice or never.
func benchCrash(ctx context.Context, o options, dir string, f *figures, w io.Writer) (crashResult, error) {
	r, err := crashLoop(ctx, dir, o.trials, 20)
	if err != nil {
		return r, err
	}
	fmt.Fprintf(w, "crash: %d × SIGKILL under load (%d of them between Slack accepting a post and Baton hearing back): %d proposals acknowledged, %d lost, %d stored twice; %d messages posted, %d twice, %d lost, %d still queued in the outbox\n",
		r.Kills, r.KilledInPost, r.Acked, r.AckedLost, r.DuplicateDecision, r.Messages, r.DuplicateMessages, r.LostMessages, r.Queued)
	f.info("crash", "kills (SIGKILL under load)", float64(r.Kills), "")
	f.info("crash", "of which right after Slack accepted a post", float64(r.KilledInPost), "")
	f.zero("crash", "acknowledged proposals lost", r.AckedLost)
	f.zero("crash", "duplicate decisions", r.DuplicateDecision)
	f.zero("crash", "duplicate messages", r.DuplicateMessages)
	f.zero("crash", "lost messages", r.LostMessages)
	f.info("crash", "messages still queued at the end", float64(r.Queued), "")
	return r, nil
}

// crashLoop is the crash loop itself, also run (short) by the tests.
func crashLoop(ctx context.Context, dir string, trials, senders int) (crashResult, error) {
	var r crashResult
	bin, err := buildBaton(ctx, dir)
	if err != nil {
		return r, err
	}
	fake, api := fakeSlack()
	defer fake.Close()
	storePath := filepath.Join(dir, "crash.db")
	cfg, base, err := serveConfig(dir, api, storePath)
	if err != nil {
		return r, err
	}
	logPath := filepath.Join(dir, "crash-serve.log")
	srv, _, err := startServe(ctx, bin, cfg, base, logPath)
	if err != nil {
		return r, err
	}

	// The load: each sender proposes, again and again, until told to stop.
	var mu sync.Mutex
	acked := map[string]bool{} // titles acknowledged
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}, Timeout: 5 * time.Second}
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				title := fmt.Sprintf("Crash proposal %d-%d", s, i)
				if _, err := proposeID(ctx, client, base, s, i, title); err != nil {
					time.Sleep(10 * time.Millisecond) // serve is down: try the next one shortly
					continue
				}
				mu.Lock()
				acked[title] = true
				mu.Unlock()
			}
		}()
	}
	// Every other kill lands in the worst moment: Slack has just accepted a
	// post and Baton has not heard back, so it cannot have recorded it.
	var armed atomic.Bool
	posted, released := make(chan struct{}), make(chan struct{})
	fake.OnPost(func(slackfake.Post) {
		if armed.CompareAndSwap(true, false) {
			posted <- struct{}{}
			<-released
		}
	})
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	for trial := range trials {
		inPost := false
		if trial%2 == 1 {
			armed.Store(true)
			select {
			case <-posted:
				inPost = true
			case <-time.After(3 * time.Second): // nothing posted: kill anyway
				if !armed.CompareAndSwap(true, false) {
					<-posted // armed and fired at the last moment
					inPost = true
				}
			case <-ctx.Done():
			}
		} else {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(200+rng.IntN(800)) * time.Millisecond):
			}
		}
		srv.kill()
		if inPost {
			released <- struct{}{}
			r.KilledInPost++
		}
		if ctx.Err() != nil {
			break
		}
		r.Kills++
		if srv, _, err = startServe(ctx, bin, cfg, base, logPath); err != nil {
			close(stop)
			wg.Wait()
			return r, err
		}
	}
	close(stop)
	wg.Wait()
	// Let the outbox work a little; what it has not sent by then must
	// still be in the store's outbox, or it was lost.
	last, since, drain := -1, time.Now(), time.Now()
	for time.Since(since) < 2*time.Second && time.Since(drain) < 5*time.Second && ctx.Err() == nil {
		if n := len(fake.Posts()); n != last {
			last, since = n, time.Now()
		}
		time.Sleep(100 * time.Millisecond)
	}
	srv.stop()

	st, err := store.Open(storePath, store.Options{ReadOnly: true})
	if err != nil {
		return r, err
	}
	defer st.Close()
	titles := map[string]int{}
	var ds []decisions.Decision
	if err := st.Each(func(d decisions.Decision) error {
		titles[d.Title]++
		ds = append(ds, d)
		return nil
	}); err != nil {
		return r, err
	}
	r.Acked = len(acked)
	for t := range acked {
		if titles[t] == 0 {
			r.AckedLost++
		}
	}
	for _, n := range titles {
		r.DuplicateDecision += n - 1
	}
	sent := map[string]int{}
	for _, p := range fake.Posts() {
		if p.Method != "chat.postMessage" {
			continue
		}
		r.Messages++
		sent[metadataKey(p)]++
	}
	for _, n := range sent {
		r.DuplicateMessages += n - 1
	}
	for _, d := range ds {
		want := []string{d.ID.String() + "/announce"}
		for _, u := range d.Deciders {
			want = append(want, d.ID.String()+"/dm/"+u)
		}
		for _, k := range want {
			if sent[k] > 0 {
				continue
			}
			if queued, err := st.OutboxPending(k); err != nil {
				return r, err
			} else if queued {
				r.Queued++
			} else {
				r.LostMessages++
			}
		}
	}
	return r, nil
}

func metadataKey(p slackfake.Post) string {
	var md struct {
		EventPayload struct {
			Key string `json:"key"`
		} `json:"event_payload"`
	}
	_ = json.Unmarshal(p.Metadata, &md)
	return md.EventPayload.Key
}
