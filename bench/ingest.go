package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"
	bolt "go.etcd.io/bbolt"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/slackfake"
	"github.com/baton-app/baton/store"
)

// Ingest goals from the issue.
const (
	ingestRatioGoal = 1.0 // × raw serial bbolt commits
	ingestP99Goal   = 50 * time.Millisecond
	signingSecret   = "bench-signing-secret"
)

// ingestRun is one sender count's figures.
type ingestRun struct {
	Senders int           `json:"senders"`
	Acked   int           `json:"acked"`
	Rate    float64       `json:"per_second"`
	P50     time.Duration `json:"p50_ns"`
	P99     time.Duration `json:"p99_ns"`
	Commits int64         `json:"-"`
}

// benchIngest sends signed /decide proposals through the real HTTP handler
// into a real store, from 1, 10 and 200 concurrent senders, and compares
// the rate with raw serial bbolt commits of a proposal's size.
func benchIngest(ctx context.Context, o options, dir string, f *figures, w io.Writer) ([]ingestRun, error) {
	dur := 5 * time.Second
	switch {
	case o.tiny:
		dur = 300 * time.Millisecond
	case o.quick:
		dur = 2 * time.Second
	}
	raw, err := rawCommits(filepath.Join(dir, "raw.db"), dur)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "ingest: raw serial bbolt commits of a proposal's size (18 puts in 12 buckets, 6.6 KB): %.0f/s\n", raw)
	var runs []ingestRun
	for _, senders := range []int{1, 10, 200} {
		r, err := ingestWith(ctx, filepath.Join(dir, fmt.Sprintf("ingest-%d.db", senders)), senders, dur)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "ingest: %3d sender(s): %6d proposals acknowledged, %6.0f/s (%.2f× raw), p50 %s, p99 %s\n",
			senders, r.Acked, r.Rate, r.Rate/raw, ms(r.P50), ms(r.P99))
		runs = append(runs, r)
		name := fmt.Sprintf("%d senders", senders)
		if senders == 1 {
			name = "1 sender"
		}
		if senders == 200 {
			f.add("ingest", name+": rate vs raw serial bbolt", r.Rate/raw, "×", ingestRatioGoal, true)
			f.add("ingest", name+": p99 ack", float64(r.P99)/float64(time.Millisecond), "ms", float64(ingestP99Goal)/float64(time.Millisecond), false)
		} else {
			f.info("ingest", name+": rate vs raw serial bbolt", r.Rate/raw, "×")
			f.info("ingest", name+": p99 ack", float64(r.P99)/float64(time.Millisecond), "ms")
		}
	}
	f.info("ingest", "raw serial bbolt commits", raw, "/s")
	return runs, nil
}

func benchApp(cfg *config.Config, st *store.Store, api string) (*bot.App, error) {
	return bot.New(bot.Options{
		Config: cfg, Store: st, Clock: bot.SystemClock{},
		Slack:  slack.New("xoxb-bench", slack.OptionAPIURL(api)),
		Logger: slog.New(slog.DiscardHandler),
	})
}

func ingestWith(ctx context.Context, path string, senders int, dur time.Duration) (ingestRun, error) {
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig), nil)
	if err != nil {
		return ingestRun{}, err
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return ingestRun{}, err
	}
	defer st.Close()
	app, err := benchApp(cfg, st, "http://127.0.0.1:9/api/") // the outbox is not run
	if err != nil {
		return ingestRun{}, err
	}
	srv := httptest.NewServer(app.Handler(bot.HTTPOptions{SigningSecret: signingSecret}))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders + 1}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	return drive(ctx, senders, dur, func(s, i int) error {
		return propose(ctx, client, srv.URL, s, i, fmt.Sprintf("Adopt plan %d-%d for the next quarter", s, i))
	})
}

// drive runs senders goroutines calling send for dur, and measures the
// acknowledged rate and latencies; any failed send fails the run.
func drive(ctx context.Context, senders int, dur time.Duration, send func(s, i int) error) (ingestRun, error) {
	var mu sync.Mutex
	var lat []time.Duration
	var failed atomic.Int64
	deadline := time.Now().Add(dur)
	start := time.Now()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				if err := send(s, i); err != nil {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		return ingestRun{}, fmt.Errorf("%d of %d proposals failed", n, int64(len(lat))+n)
	}
	if len(lat) == 0 {
		return ingestRun{}, fmt.Errorf("no proposal acknowledged")
	}
	slices.Sort(lat)
	return ingestRun{
		Senders: senders, Acked: len(lat), Rate: float64(len(lat)) / elapsed.Seconds(),
		P50: lat[len(lat)/2], P99: lat[len(lat)*99/100],
	}, nil
}

// decisionID finds the id in a proposal's acknowledgement.
var decisionID = regexp.MustCompile(`D-[0-9]+`)

// slashBody is a /decide command as Slack sends it.
func slashBody(user, channel, text string, n int) []byte {
	v := url.Values{
		"token": {"bench"}, "team_id": {slackfake.TeamID}, "team_domain": {"bench"},
		"channel_id": {channel}, "channel_name": {"bench"}, "user_id": {user}, "user_name": {"bench"},
		"command": {"/decide"}, "text": {text}, "api_app_id": {slackfake.AppID},
		"response_url": {"http://127.0.0.1:9/response_url/" + strconv.Itoa(n)}, "trigger_id": {"1337." + strconv.Itoa(n)},
	}
	return []byte(v.Encode())
}

// propose sends one signed slash command and checks it was acknowledged
// with a decision id.
func propose(ctx context.Context, client *http.Client, base string, sender, i int, text string) error {
	_, err := proposeID(ctx, client, base, sender, i, text)
	return err
}

// proposeID is propose returning the decision id in the acknowledgement.
func proposeID(ctx context.Context, client *http.Client, base string, sender, i int, text string) (string, error) {
	body := slashBody(fmt.Sprintf("UP%04d", sender), "CBENCH01", text, sender*1_000_000+i)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/slack/commands", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(signingSecret))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	m := decisionID.Find(b)
	if m == nil {
		return "", fmt.Errorf("no decision id in the acknowledgement: %s", b)
	}
	return string(m), nil
}

// rawCommits is the rate of serial bbolt write transactions, each the size
// of one proposal's: a 2.4 KB decision, three 1.3 KB messages and 14 small
// index keys, 18 puts in 12 buckets, fsynced as bbolt does by default.
func rawCommits(path string, dur time.Duration) (float64, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, err
	}
	defer os.Remove(path)
	defer db.Close()
	names := make([][]byte, 12)
	for i := range names {
		names[i] = []byte(fmt.Sprintf("b%02d", i))
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		for _, n := range names {
			if _, err := tx.CreateBucketIfNotExists(n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return 0, err
	}
	decision, message := bytes.Repeat([]byte("d"), 2400), bytes.Repeat([]byte("m"), 1300)
	n := 0
	start := time.Now()
	for time.Since(start) < dur {
		n++
		id := make([]byte, 8)
		binary.BigEndian.PutUint64(id, uint64(n))
		err := db.Update(func(tx *bolt.Tx) error {
			puts := []struct {
				b    int
				k, v []byte
			}{{0, id, decision}, {1, append([]byte("D/announce/"), id...), message}, {1, append([]byte("D/dm/"), id...), message}, {1, append([]byte("D/dm2/"), id...), message}}
			for i := range 14 {
				puts = append(puts, struct {
					b    int
					k, v []byte
				}{2 + i%10, append([]byte(fmt.Sprintf("k%02d\x00", i)), id...), nil})
			}
			for _, p := range puts {
				if err := tx.Bucket(names[p.b]).Put(p.k, p.v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
