package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"investportal/models"
)

// newMetrics is the registry /metrics serves: the Go runtime and the
// process, the database pools, the replicas, and the backlog read from
// the database at each scrape. The handlers add requests and the page
// cache (handlers/metrics.go).
func newMetrics(db *gorm.DB, replicas *models.Replicas) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	primary, err := db.DB()
	if err != nil {
		return nil, err
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(primary, "primary"), backlogCollector{db: db}, replicaCollector{replicas})
	for i, pool := range replicas.Pools() {
		reg.MustRegister(collectors.NewDBStatsCollector(pool, "replica"+strconv.Itoa(i+1)))
	}
	return reg, nil
}

var (
	outboxPendingDesc = prometheus.NewDesc("portal_outbox_pending", "E-mails in the outbox not sent yet and still to be tried.", nil, nil)
	outboxFailedDesc  = prometheus.NewDesc("portal_outbox_failed", "E-mails the outbox gave up on after its last attempt.", nil, nil)
	outboxOldestDesc  = prometheus.NewDesc("portal_outbox_oldest_pending_seconds", "How long the oldest e-mail still to be sent has waited.", nil, nil)
	overdueDesc       = prometheus.NewDesc("portal_inquiries_overdue", "Inquiries without a first response past their due time.", nil, nil)
	backlogUpDesc     = prometheus.NewDesc("portal_backlog_read_ok", "1 when the backlog figures could be read from the database at this scrape.", nil, nil)
	replicaUpDesc     = prometheus.NewDesc("portal_replica_up", "1 while the read replica answers.", []string{"replica"}, nil)
	replicaVerDesc    = prometheus.NewDesc("portal_replica_content_version", "The content version the replica had replayed at its last check.", []string{"replica"}, nil)
)

// backlogCollector reads the outbox and the overdue inquiries at each
// scrape, in one statement with a short deadline.
type backlogCollector struct{ db *gorm.DB }

func (b backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{outboxPendingDesc, outboxFailedDesc, outboxOldestDesc, overdueDesc, backlogUpDesc} {
		ch <- d
	}
}

func (b backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	backlog, err := models.ReadBacklog(ctx, b.db)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(backlogUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(backlogUpDesc, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(outboxPendingDesc, prometheus.GaugeValue, float64(backlog.OutboxPending))
	ch <- prometheus.MustNewConstMetric(outboxFailedDesc, prometheus.GaugeValue, float64(backlog.OutboxFailed))
	ch <- prometheus.MustNewConstMetric(outboxOldestDesc, prometheus.GaugeValue, backlog.OutboxOldestSeconds)
	ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(backlog.InquiriesOverdue))
}

// replicaCollector reports what the replicas' poller knows.
type replicaCollector struct{ replicas *models.Replicas }

func (r replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicaUpDesc
	ch <- replicaVerDesc
}

func (r replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for i, s := range r.replicas.Status() {
		name, up := "replica"+strconv.Itoa(i+1), 0.0
		if s.Up {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(replicaUpDesc, prometheus.GaugeValue, up, name)
		ch <- prometheus.MustNewConstMetric(replicaVerDesc, prometheus.GaugeValue, float64(s.Version), name)
	}
}

// serveMetrics serves /metrics on its own listener until ctx ends; the
// configuration only accepts a loopback address, so the figures are read
// from the machine itself (a Prometheus agent there, or an SSH tunnel).
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("metrics served", "url", "http://"+addr+"/metrics")
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Error("metrics listener stopped", "err", err)
	}
}
