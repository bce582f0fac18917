package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/slack-go/slack"

	"github.com/baton-app/baton/bot"
	"github.com/baton-app/baton/config"
	"github.com/baton-app/baton/store/pgstore"
)

// ingestPGRun is the PostgreSQL ingest section's figures.
type ingestPGRun struct {
	Raw      float64   `json:"raw_commits_per_second"`
	One      ingestRun `json:"one_replica"`
	Two      ingestRun `json:"two_replicas"`
	Database string    `json:"database"`
}

// benchIngestPG is ingest on PostgreSQL: 200 senders' signed proposals
// through the real handler into the PostgreSQL store, on one replica and
// spread over two, against raw single-row INSERT-and-COMMIT round trips on
// the same database in the same run. It needs BATON_TEST_POSTGRES (a
// database it may create a schema in) and is skipped without it.
func benchIngestPG(ctx context.Context, o options, f *figures, w io.Writer) (*ingestPGRun, error) {
	dsn := os.Getenv("BATON_TEST_POSTGRES")
	if dsn == "" {
		fmt.Fprintln(w, "ingest-pg: skipped; set BATON_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test to measure it")
		return nil, nil
	}
	dur := 5 * time.Second
	if o.quick {
		dur = 2 * time.Second
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	defer conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	raw, err := rawPGCommits(ctx, conn, schema, dur)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "ingest-pg: raw single-row INSERT+COMMIT round trips (6.6 KB rows, one connection): %.0f/s\n", raw)
	r := &ingestPGRun{Raw: raw, Database: conn.Config().Database}
	for _, replicas := range []int{1, 2} {
		run, err := ingestPG(ctx, dsn, schema, replicas, 200, dur)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "ingest-pg: 200 senders, %d replica(s): %6d proposals acknowledged, %6.0f/s (%.2f× raw), p50 %s, p99 %s\n",
			replicas, run.Acked, run.Rate, run.Rate/raw, ms(run.P50), ms(run.P99))
		if replicas == 1 {
			r.One = run
			f.add("ingest-pg", "200 senders: rate vs raw single-row commits", run.Rate/raw, "×", ingestRatioGoal, true)
			f.info("ingest-pg", "200 senders: p99 ack", float64(run.P99)/float64(time.Millisecond), "ms")
		} else {
			r.Two = run
			f.info("ingest-pg", "200 senders, 2 replicas: rate vs raw", run.Rate/raw, "×")
		}
	}
	f.info("ingest-pg", "raw single-row commits", raw, "/s")
	return r, nil
}

// rawPGCommits is the baseline: one connection inserting one row of a
// proposal's size per autocommitted statement, for dur.
func rawPGCommits(ctx context.Context, conn *pgx.Conn, schema string, dur time.Duration) (float64, error) {
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return 0, err
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE "+schema+".raw (id bigserial PRIMARY KEY, body bytea NOT NULL)"); err != nil {
		return 0, err
	}
	body := make([]byte, 6600)
	_, _ = rand.Read(body)
	n := 0
	start := time.Now()
	for time.Since(start) < dur {
		if _, err := conn.Exec(ctx, "INSERT INTO "+schema+".raw (body) VALUES ($1)", body); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func ingestPG(ctx context.Context, dsn, schema string, replicas, senders int, dur time.Duration) (ingestRun, error) {
	cfg, err := config.Parse("bench.yaml", []byte(benchConfig), nil)
	if err != nil {
		return ingestRun{}, err
	}
	var urls []string
	for range replicas {
		st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
		if err != nil {
			return ingestRun{}, err
		}
		defer st.Close()
		app, err := bot.New(bot.Options{
			Config: cfg, Store: st, Clock: bot.SystemClock{},
			Slack:  slack.New("xoxb-bench", slack.OptionAPIURL("http://127.0.0.1:9/api/")), // the outbox is not run
			Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			return ingestRun{}, err
		}
		srv := httptest.NewServer(app.Handler(bot.HTTPOptions{SigningSecret: signingSecret}))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders + 1}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	return drive(ctx, senders, dur, func(s, i int) error {
		return propose(ctx, client, urls[(s+i)%len(urls)], s+replicas*1000, i, fmt.Sprintf("Adopt plan %d-%d for the next quarter", s, i))
	})
}
