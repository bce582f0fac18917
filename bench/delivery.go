package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sync"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// Delivery goals from the issue.
const shareGoal = 0.95

// deliveryResult is what the delivery section measured.
type deliveryResult struct {
	Messages    int     `json:"messages"`
	Channels    int     `json:"channels"`
	Seconds     float64 `json:"seconds"`
	MinSeconds  float64 `json:"min_seconds"`
	Share       float64 `json:"share_of_allowed_rate"`
	Lost        int     `json:"lost"`
	Duplicated  int     `json:"duplicated"`
	Inversions  int     `json:"order_inversions"`
	RateLimited int     `json:"http_429s"`
}

// benchDelivery drains a backlog of messages to many channels into a fake
// Slack that enforces one message a second per channel with bursts of
// three and a workspace limit, answering 429s past either, and compares the
// time taken with the least those limits allow.
func benchDelivery(ctx context.Context, o options, dir string, f *figures, w io.Writer) (deliveryResult, error) {
	n, channels, wsRate, wsBurst := 1000, 70, 50.0, 50
	switch {
	case o.tiny:
		n, channels = 120, 20
	case o.quick:
		n, channels = 300, 30
	}
	lim := slackfake.RateLimit{PerChannel: 1, ChannelBurst: 3, Workspace: wsRate, WorkspaceBurst: wsBurst}
	fake := slackfake.New(slackfake.WithRateLimit(lim))
	api := fake.Start()
	defer fake.Close()
	type seen struct {
		at   time.Time
		text string
	}
	var mu sync.Mutex
	var posts []seen
	fake.OnPost(func(p slackfake.Post) {
		mu.Lock()
		posts = append(posts, seen{time.Now(), p.Text})
		mu.Unlock()
	})

	cfg, err := config.Parse("bench.yaml", []byte(benchConfig), nil)
	if err != nil {
		return deliveryResult{}, err
	}
	st, err := store.Open(filepath.Join(dir, "delivery.db"), store.Options{})
	if err != nil {
		return deliveryResult{}, err
	}
	defer st.Close()
	app, err := benchApp(cfg, st, api)
	if err != nil {
		return deliveryResult{}, err
	}
	app.Outbox().SetWorkspaceLimit(wsRate, wsBurst)

	want := map[string][]string{} // channel → texts in enqueue order
	perChannel := map[string]int{}
	items := make([]store.OutboxItem, 0, n)
	for i := range n {
		ch := fmt.Sprintf("CD%04d", (i*7+i/13)%channels)
		key := fmt.Sprintf("m%05d", i)
		body, err := json.Marshal(bot.Message{Kind: bot.KindPost, Channel: ch, Text: key})
		if err != nil {
			return deliveryResult{}, err
		}
		items = append(items, store.OutboxItem{Key: key, Body: body})
		want[ch] = append(want[ch], key)
		perChannel[ch]++
	}
	if err := st.Enqueue(items...); err != nil {
		return deliveryResult{}, err
	}
	// The least time the limits allow: the workspace's rate after its
	// burst, or the busiest channel's after its own.
	minSec := float64(n-wsBurst) / wsRate
	for _, c := range perChannel {
		minSec = max(minSec, float64(c-lim.ChannelBurst)/lim.PerChannel)
	}

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() { defer close(done); app.Outbox().Run(rctx) }()
	limit := time.Now().Add(time.Duration(3*minSec+10) * time.Second)
	for time.Now().Before(limit) {
		if len(fake.Posts()) >= n {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
		if ctx.Err() != nil {
			break
		}
	}
	cancel()
	<-done

	mu.Lock()
	defer mu.Unlock()
	r := deliveryResult{Messages: n, Channels: channels, MinSeconds: minSec, RateLimited: fake.RateLimited()}
	got := map[string][]string{}
	count := map[string]int{}
	var last time.Time
	for _, p := range fake.Posts() {
		got[p.Channel] = append(got[p.Channel], p.Text)
		count[p.Text]++
	}
	for _, s := range posts {
		last = s.at
	}
	for _, its := range want {
		for _, k := range its {
			switch c := count[k]; {
			case c == 0:
				r.Lost++
			case c > 1:
				r.Duplicated += c - 1
			}
		}
	}
	for _, texts := range got {
		for i := 1; i < len(texts); i++ {
			if texts[i] < texts[i-1] {
				r.Inversions++
			}
		}
	}
	if !last.IsZero() {
		r.Seconds = last.Sub(start).Seconds()
		r.Share = minSec / r.Seconds
	}
	fmt.Fprintf(w, "delivery: %d messages to %d channels (Slack: 1/s per channel, bursts of 3; workspace %.0f/s, bursts of %d): %.1f s, least possible %.1f s: %.2f of the allowed rate; %d lost, %d duplicated, %d order inversions, %d HTTP 429s\n",
		n, channels, wsRate, wsBurst, r.Seconds, minSec, r.Share, r.Lost, r.Duplicated, r.Inversions, r.RateLimited)
	f.add("delivery", "share of the allowed rate", r.Share, "", shareGoal, true)
	f.zero("delivery", "messages lost", r.Lost)
	f.zero("delivery", "messages duplicated", r.Duplicated)
	f.zero("delivery", "order inversions", r.Inversions)
	f.info("delivery", "HTTP 429s", float64(r.RateLimited), "")
	return r, nil
}
