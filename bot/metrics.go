package bot

import "github.com/prometheus/client_golang/prometheus"

// metrics are Baton's Prometheus series, registered on an injected
// Registerer so tests get a fresh registry.
type metrics struct {
	requests      *prometheus.CounterVec
	commands      *prometheus.CounterVec
	proposals     *prometheus.CounterVec
	transitions   *prometheus.CounterVec
	outboxSent    *prometheus.CounterVec
	outboxRetries *prometheus.CounterVec
	outboxFailed  *prometheus.CounterVec
	jobs          *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_slack_requests_total", Help: "Requests received from Slack, by endpoint and result.",
		}, []string{"endpoint", "result"}),
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
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.commands, m.proposals, m.transitions, m.outboxSent, m.outboxRetries, m.outboxFailed, m.jobs)
	}
	return m
}
