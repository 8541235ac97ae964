// Package handlers turns HTTP requests into pages: it parses and checks
// input, asks models for data, shapes one view struct per page and renders
// it with views. All routes are registered in routes.go.
package handlers

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/projectflag"
	"investportal/models/storage"
)

// Deps are what the handlers need from the outside world.
type Deps struct {
	DB      *gorm.DB
	Log     *slog.Logger
	BaseURL *url.URL // public base URL for canonical links and e-mailed links
	// Secret keys the hashes behind status links and rate limits; at least
	// 32 bytes, the same on every instance.
	Secret    []byte
	Inquiries InquirySettings
	Uploads   storage.Store // where uploaded images are kept; nil: uploads answer 503
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Request-ID are believed (see proxy.go); none: only the connection's.
	TrustedProxies []*net.IPNet
	// RequestTimeout is the deadline of every request's context, so that a
	// request waiting for a busy database gets a 503 in time; 0: none.
	RequestTimeout time.Duration
	// BlockingDays is how long a blocking problem may stay open before its
	// project turns red; 0: 14.
	BlockingDays int
	// Watch tells when public content changes; nil: no page is kept in
	// memory, and memos read the content versions on each request.
	Watch *models.ContentWatch
	// Replicas are read replicas anonymous public pages may read from;
	// nil: the primary serves every read.
	Replicas *models.Replicas
	// Metrics, when set, gets the request and page-cache metrics.
	Metrics prometheus.Registerer
	// PageCacheBytes is the budget of rendered public pages kept in
	// memory (pagecache.go); 0: none are kept.
	PageCacheBytes int64
}

// Handler holds the dependencies every handler method uses.
type Handler struct {
	db            *gorm.DB
	log           *slog.Logger
	baseURL       *url.URL
	secret        []byte
	secureCookies bool // the portal is served over HTTPS
	inquiries     InquirySettings
	lastOptions   atomic.Pointer[inquiryOptionLists] // for forms re-shown while the database is down
	sessions      *scs.SessionManager                // staff sessions, kept in PostgreSQL
	uploads       storage.Store
	proxies       []*net.IPNet
	timeout       time.Duration // each request's deadline; 0: none
	projects      projectflag.Rules
	watch         *models.ContentWatch
	replicas      *models.Replicas
	pages         *pageCache
	metrics       *requestMetrics    // nil: none kept
	ready         singleflight.Group // one /readyz check at a time
	// statistics memoises what the statistics page and downloads are
	// computed from, per region filter, until their content changes.
	statistics *models.Memo[statisticsData]
	data       *models.Memo[any]                     // what public pages are made from (page_data.go)
	reported   *models.Memo[[]models.ReportedBeside] // a region page's, per region
	search     *models.SearchIndex                   // public text in memory, for search
}

// New builds the portal's router with its middleware and routes.
func New(d Deps) *echo.Echo {
	_, e := build(d)
	return e
}

func build(d Deps) (*Handler, *echo.Echo) {
	h := &Handler{db: d.DB, log: d.Log, baseURL: d.BaseURL, secret: d.Secret, inquiries: d.Inquiries, uploads: d.Uploads,
		secureCookies: d.BaseURL != nil && d.BaseURL.Scheme == "https", proxies: d.TrustedProxies, timeout: d.RequestTimeout}
	h.projects = followRules(d.BlockingDays)
	h.watch = d.Watch
	h.replicas = d.Replicas
	h.statistics = models.NewMemo[statisticsData](64, d.Watch)
	h.reported = models.NewMemo[[]models.ReportedBeside](64, d.Watch)
	h.data = models.NewMemo[any](pageDataEntries, d.Watch)
	h.search = models.NewSearchIndex(d.DB, d.Watch, d.Log)
	if h.inquiries.Desk == (models.DeskRules{}) {
		h.inquiries.Desk = models.DefaultDeskRules
	}
	h.sessions = h.newSessions()
	h.pages = newPageCache(d.Watch, d.PageCacheBytes, h.sessions.Cookie.Name)
	h.metrics = newRequestMetrics(d.Metrics, h.pages)
	e := echo.New()
	// Rate limits and sign-in throttling count by the client address.
	e.IPExtractor = clientAddressOf(d.TrustedProxies)
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	h.routes(e)
	return h, e
}

// WriteTimeout is the longest the server spends on one response; request
// deadlines must be shorter.
const WriteTimeout = 30 * time.Second

// NewServer wraps the router in an http.Server with timeouts, so that a slow
// or idle client cannot hold a connection forever.
func NewServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
