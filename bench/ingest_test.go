package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store"
)

// BenchmarkProposeHandler is the ingest section's proposal through the
// handler without a network, from 200 goroutines on GOMAXPROCS cores: the
// server's CPU and allocations per proposal, for -cpuprofile and
// -memprofile (go test ./bench -run - -bench ProposeHandler -cpu 2).
func BenchmarkProposeHandler(b *testing.B) {
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig), nil)
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "b.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	app, err := benchApp(cfg, st, "http://127.0.0.1:9/api/")
	if err != nil {
		b.Fatal(err)
	}
	h := app.Handler(bot.HTTPOptions{SigningSecret: signingSecret})
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(100) // 200 senders, as the ingest section's busiest run
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			body := slashBody(fmt.Sprintf("UP%04d", i%200), "CBENCH01", fmt.Sprintf("Adopt plan %d for the next quarter", i), i)
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewReader(body))
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			mac := hmac.New(sha256.New, []byte(signingSecret))
			fmt.Fprintf(mac, "v0:%s:", ts)
			mac.Write(body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 200 || decisionID.Find(rec.Body.Bytes()) == nil {
				b.Errorf("HTTP %d: %s", rec.Code, rec.Body) // not Fatal: this is not the benchmark's goroutine
				return
			}
		}
	})
}
