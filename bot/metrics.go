package bot

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-app/baton/bot/command"
	"github.com/baton-app/baton/decisions"
)

// metrics are Baton's Prometheus series, registered on an injected
// Registerer so tests get a fresh registry.
type metrics struct {
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	commands      *prometheus.CounterVec
	proposals     *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	outboxSent    *prometheus.CounterVec
	outboxRetries *prometheus.CounterVec
	outboxFailed  *prometheus.CounterVec
	jobs          *prometheus.CounterVec
	socketUp      prometheus.Gauge
	reconnects    prometheus.Counter
}

// ackBuckets straddle Slack's 3-second deadline, finely below it.
var ackBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5, 10}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_slack_requests_total", Help: "Requests received from Slack, by endpoint and result.",
		}, []string{"endpoint", "result"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "baton_request_duration_seconds", Help: "Time from receiving a Slack request to acknowledging it, by endpoint. Slack gives up after 3 s.",
			Buckets: ackBuckets,
		}, []string{"endpoint"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_commands_total", Help: "Slash commands handled, by verb.",
		}, []string{"verb"}),
		proposals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_proposals_total", Help: "Decisions proposed, by domain.",
		}, []string{"domain"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_transitions_total", Help: "Decision lifecycle transitions, by verb.",
		}, []string{"verb"}),
		outboxSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_outbox_delivered_total", Help: "Messages delivered to Slack, by kind.",
		}, []string{"kind"}),
		outboxRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_outbox_retries_total", Help: "Delivery attempts postponed, by reason.",
		}, []string{"reason"}),
		outboxFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_outbox_dropped_total", Help: "Messages Slack refused permanently, by kind.",
		}, []string{"kind"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_jobs_total", Help: "Scheduled job runs, by job.",
		}, []string{"job"}),
		socketUp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "baton_socket_mode_connected", Help: "1 while the Socket Mode connection is open (always 0 in HTTP mode).",
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "baton_socket_mode_reconnects_total", Help: "Socket Mode connections opened after the first.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.commands, m.proposals, m.transitions, m.outboxSent, m.outboxRetries,
			m.outboxFailed, m.jobs, m.socketUp, m.reconnects)
	}
	return m
}

// Endpoints and results of baton_slack_requests_total, so every series
// exists (at 0) from the start: rate() and absent() need them.
var (
	httpEndpoints   = []string{"commands", "events", "interactions"}
	socketEndpoints = []string{"socket_commands", "socket_events", "socket_interactions"}
	requestResults  = []string{"ok", "unauthorized", "too_large", "bad_body", "replay", "duplicate", "bad_payload", "error", "panic"}
	retryReasons    = []string{"rate_limited", "error"}
	// stale_reminder: a reminder dropped because the decision moved on.
	messageKinds = []string{KindPost, KindDM, KindEphemeral, KindUpdate, KindHome, KindTask, "stale_reminder"}
	// systemVerbs are the transitions the jobs make, which no command names.
	systemVerbs = []decisions.Verb{decisions.VerbRemind, decisions.VerbEscalate, decisions.VerbStuck, decisions.VerbConsent,
		decisions.VerbReopen, decisions.VerbEdit, decisions.VerbComment, decisions.VerbDecline, decisions.VerbReview}
)

// initLabels creates every label set Baton knows at start: the endpoints,
// verbs, domains, message kinds and jobs.
func (m *metrics) initLabels(domains []string, jobs []string) {
	for _, e := range append(append([]string{}, httpEndpoints...), socketEndpoints...) {
		m.latency.WithLabelValues(e)
		for _, r := range requestResults {
			m.requests.WithLabelValues(e, r)
		}
	}
	m.requests.WithLabelValues("socket", "bad_payload") // a Socket Mode frame of no known type
	m.commands.WithLabelValues("invalid")
	for _, v := range systemVerbs {
		m.transitions.WithLabelValues(string(v))
	}
	for _, s := range command.Specs() {
		m.commands.WithLabelValues(string(s.Verb))
		m.transitions.WithLabelValues(string(s.Verb))
	}
	for _, d := range domains {
		m.proposals.WithLabelValues(d)
	}
	for _, k := range messageKinds {
		m.outboxSent.WithLabelValues(k)
		m.outboxFailed.WithLabelValues(k)
	}
	for _, r := range retryReasons {
		m.outboxRetries.WithLabelValues(r)
	}
	for _, j := range jobs {
		m.jobs.WithLabelValues(j)
	}
}

// stateCollector reads gauges from the store at scrape time, so they are
// right however many replicas or restarts wrote the store.
type stateCollector struct {
	a                              *App
	pending, oldest, open, overdue *prometheus.Desc
	writable, lastRun              *prometheus.Desc
	jobs                           []string
}

func newStateCollector(a *App, jobs []string) *stateCollector {
	return &stateCollector{
		a:        a,
		jobs:     jobs,
		lastRun:  prometheus.NewDesc("baton_job_last_success_timestamp_seconds", "When each scheduled job last completed, as recorded in the store (Unix time).", []string{"job"}, nil),
		pending:  prometheus.NewDesc("baton_outbox_pending", "Messages waiting in the outbox.", nil, nil),
		oldest:   prometheus.NewDesc("baton_outbox_oldest_due_age_seconds", "How long the most overdue outbox message has been due (0 when none is).", nil, nil),
		open:     prometheus.NewDesc("baton_decisions_open", "Open decisions, by domain.", []string{"domain"}, nil),
		overdue:  prometheus.NewDesc("baton_decisions_overdue", "Open decisions past their due date, by domain.", []string{"domain"}, nil),
		writable: prometheus.NewDesc("baton_store_writable", "1 if the store took a write at the last readiness probe.", nil, nil),
	}
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.oldest
	ch <- c.open
	ch <- c.overdue
	ch <- c.writable
	ch <- c.lastRun
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	a := c.a
	now := a.clock.Now()
	if n, err := a.store.OutboxLen(); err == nil {
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(n))
	}
	if next, ok, err := a.store.OutboxNext(); err == nil {
		age := 0.0
		if ok && next.Before(now) {
			age = now.Sub(next).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
	}
	if counts, err := a.store.PendingCounts(now); err == nil {
		for _, d := range a.domainNames() {
			p := counts[d]
			ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(p.Open), d)
			ch <- prometheus.MustNewConstMetric(c.overdue, prometheus.GaugeValue, float64(p.Overdue), d)
		}
	}
	for _, j := range c.jobs {
		if last, err := a.store.LastRun(j); err == nil {
			ts := 0.0
			if !last.IsZero() {
				ts = float64(last.Unix())
			}
			ch <- prometheus.MustNewConstMetric(c.lastRun, prometheus.GaugeValue, ts, j)
		}
	}
	w := 0.0
	if a.storeWritable() == nil {
		w = 1
	}
	ch <- prometheus.MustNewConstMetric(c.writable, prometheus.GaugeValue, w)
}

// domainNames are the configured domains, for per-domain series.
func (a *App) domainNames() []string {
	cfg := a.liveConfig()
	names := make([]string, 0, len(cfg.Domains))
	for _, d := range cfg.Domains {
		names = append(names, d.Name)
	}
	return names
}

// initMetrics creates the start-up label sets and the store-reading gauges.
func (a *App) initMetrics(reg prometheus.Registerer) {
	var jobs []string
	if js, err := a.sched.Jobs(); err == nil {
		for _, j := range js {
			jobs = append(jobs, j.Name)
		}
	}
	if a.cfg.Store.BackupSchedule != "" {
		jobs = append(jobs, JobBackup)
	}
	a.metrics.initLabels(a.domainNames(), jobs)
	if reg != nil {
		reg.MustRegister(newStateCollector(a, jobs))
	}
}

// observe records how long a Slack request took to answer.
func (m *metrics) observe(endpoint string, since time.Time) {
	m.latency.WithLabelValues(endpoint).Observe(time.Since(since).Seconds())
}

// JobBackup is the scheduled backup's name in the store's job records and
// in baton_job_last_success_timestamp_seconds; serve runs it.
const JobBackup = "backup"

// slackAPIMethods are the Web API methods Baton calls, created at start.
var slackAPIMethods = []string{
	"auth.test", "chat.postMessage", "chat.postEphemeral", "chat.update", "conversations.open",
	"conversations.history", "conversations.replies", "views.open", "views.publish", "users.info",
	"users.lookupByEmail", "usergroups.users.list", "apps.connections.open",
}

// InstrumentSlackAPI wraps next (nil: http.DefaultTransport) so every Web
// API call is timed as baton_slack_api_duration_seconds{method,result}.
func InstrumentSlackAPI(reg prometheus.Registerer, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "baton_slack_api_duration_seconds", Help: "Slack Web API call latency, by method and result (ok, http_error, failed).",
		Buckets: ackBuckets,
	}, []string{"method", "result"})
	for _, m := range slackAPIMethods {
		for _, r := range []string{"ok", "http_error", "failed"} {
			h.WithLabelValues(m, r)
		}
	}
	if reg != nil {
		reg.MustRegister(h)
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		start := time.Now()
		resp, err := next.RoundTrip(r)
		result := "ok"
		switch {
		case err != nil:
			result = "failed"
		case resp.StatusCode >= 400:
			result = "http_error"
		}
		h.WithLabelValues(apiMethod(r.URL.Path), result).Observe(time.Since(start).Seconds())
		return resp, err
	})
}

// apiMethod is the Web API method a request path ends with; only names
// shaped like Slack's (letters and dots) are used as labels.
func apiMethod(path string) string {
	m := path[strings.LastIndexByte(path, '/')+1:]
	if m == "" || len(m) > 64 || strings.Trim(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.") != "" {
		return "other"
	}
	return m
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
