package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// requestMetrics counts requests and their latencies by route: the
// route's pattern (/policies/:slug), never the URL, so that slugs and
// query strings cannot multiply the series.
type requestMetrics struct {
	latency *prometheus.HistogramVec
}

func newRequestMetrics(reg prometheus.Registerer, pages *pageCache) *requestMetrics {
	if reg == nil {
		return nil
	}
	m := &requestMetrics{latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "portal_http_request_duration_seconds",
		Help: "Time to answer a request, by route pattern, method and status; its _count is the number of requests.",
		// Pages from memory take well under a millisecond.
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 15},
	}, []string{"route", "method", "code"})}
	reg.MustRegister(m.latency,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portal_page_cache_hits_total",
			Help: "Anonymous page views served from the rendered-page cache."},
			func() float64 { return float64(pages.hits.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "portal_page_cache_misses_total",
			Help: "Anonymous page views the rendered-page cache did not hold."},
			func() float64 { return float64(pages.misses.Load()) }),
	)
	return m
}

// observe records one answered request. route is empty when no route
// matched.
func (m *requestMetrics) observe(route, method string, status int, latency time.Duration) {
	if m == nil {
		return
	}
	if route == "" || status == http.StatusNotFound && route == "/*" {
		route = "unmatched"
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		method = "other" // any token is a method: they must not make series
	}
	m.latency.WithLabelValues(route, method, strconv.Itoa(status)).Observe(latency.Seconds())
}
