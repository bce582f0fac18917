package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replicas. Any number of processes share one database; exactly one of them
// leads: it holds a session advisory lock on a connection of its own, and
// runs the scheduled jobs and the outbox sender. A leader that dies closes
// its connection, PostgreSQL releases the lock at once, and the next
// follower to try (every DefaultCampaignEvery) takes over. Everything else (Slack's
// requests, proposals, enqueueing) runs on every replica.

// outboxChannel is the NOTIFY channel enqueue signals on commit.
const outboxChannel = "baton_outbox"

// DefaultCampaignEvery is how often a follower tries to become the leader, and how
// often the leader checks it still holds its connection: failover takes at
// most about this long after the leader's connection closes.
const DefaultCampaignEvery = 5 * time.Second

// ErrLostLead is returned by Lead when the leader's connection broke while
// leading: its in-memory outbox state can no longer be trusted, so the
// process should exit and start clean (another replica leads meanwhile).
var ErrLostLead = errors.New("lost the leader lock: the database connection broke")

// Lead campaigns for leadership until ctx ends. While this process leads it
// runs lead with a context that ends when ctx does or when leadership is
// lost; Lead returns once lead has returned. It returns nil when ctx ended,
// ErrLostLead when the lock's connection broke.
func (s *Store) Lead(ctx context.Context, log *slog.Logger, lead func(ctx context.Context)) error {
	for {
		conn, ok, err := s.tryLead(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("cannot campaign for leader; retrying", "err", err)
		}
		if ok {
			return s.holdLead(ctx, conn, log, lead)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.campaign):
		}
	}
}

// longLived configures a connection held for a long time (the leader's
// lock, LISTEN) so that a peer that vanished without closing TCP — a
// host that lost power, a partition — is noticed within seconds on both
// sides: the server drops the session, and with it the leader lock, so
// another replica can lead; the client's reads fail instead of hanging.
func longLived(base *pgx.ConnConfig) *pgx.ConnConfig {
	cfg := base.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["tcp_keepalives_idle"] = "5"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "2"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	cfg.RuntimeParams["tcp_user_timeout"] = "11000" // ms: unacknowledged data
	d := &net.Dialer{KeepAlive: 5 * time.Second, Timeout: 10 * time.Second}
	cfg.DialFunc = d.DialContext
	return cfg
}

// campaign tries the leader lock once, on a connection of its own.
func (s *Store) tryLead(ctx context.Context) (*pgx.Conn, bool, error) {
	cfg := longLived(s.pool.Config().ConnConfig)
	// The leader pings its lock session every campaign/4; a session idle
	// for longer belongs to a leader that is gone (or cut off), and the
	// server ends it, releasing the lock for another replica.
	cfg.RuntimeParams["idle_session_timeout"] = strconv.FormatInt(max(2*s.campaign, 10*time.Second).Milliseconds(), 10)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, false, fmt.Errorf("connect: %w", err)
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1::int4, hashtext(current_schema()))", lockLeader).Scan(&got); err != nil || !got {
		_ = conn.Close(context.Background())
		return nil, false, err
	}
	return conn, true, nil
}

func (s *Store) holdLead(ctx context.Context, conn *pgx.Conn, log *slog.Logger, lead func(ctx context.Context)) error {
	defer conn.Close(context.Background()) // closing releases the lock
	log.Info("leading: this replica runs the scheduled jobs and delivers the outbox")
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); lead(lctx) }()
	// Checked four times as often as followers campaign, to keep short the
	// overlap when this connection broke while the process lives on.
	t := time.NewTicker(s.campaign / 4)
	defer t.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			<-done
			return nil
		case <-t.C:
			pctx, pcancel := context.WithTimeout(ctx, s.campaign)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil && ctx.Err() == nil {
				log.Error("the leader's database connection broke; stopping jobs and delivery", "err", err)
				cancel()
				<-done
				return ErrLostLead
			}
		}
	}
}

// Listen calls wake whenever a replica commits outbox items, until ctx
// ends, so the leader's sender does not wait for its next poll. It
// reconnects after a broken connection; a wake missed meanwhile is only
// late (the sender polls too).
func (s *Store) Listen(ctx context.Context, log *slog.Logger, wake func()) {
	for ctx.Err() == nil {
		err := s.listen(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		log.Warn("outbox notifications interrupted; reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listen(ctx context.Context, wake func()) error {
	conn, err := pgx.ConnectConfig(ctx, longLived(s.pool.Config().ConnConfig))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+outboxChannel); err != nil {
		return err
	}
	wake() // anything committed before LISTEN took effect
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}

// Serving reports whether a replica leads on this store's schema now: a
// `baton serve` is running against it.
func (s *Store) Serving(ctx context.Context) (bool, error) {
	var held bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND classid = $1::int4::oid AND objid = hashtext(current_schema())::oid)`, lockLeader).Scan(&held)
	if err != nil {
		return false, fmt.Errorf("check for a serving replica: %w", err)
	}
	return held, nil
}
