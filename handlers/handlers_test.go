package handlers_test

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/storage"
)

// uploadDir is the upload store of every router the tests build.
var uploadDir string

func TestMain(m *testing.M) {
	var err error
	if uploadDir, err = os.MkdirTemp("", "portal-uploads-"); err != nil {
		panic(err)
	}
	code := dbtest.Main(m)
	os.RemoveAll(uploadDir)
	os.Exit(code)
}

func newRouter(db *gorm.DB) *echo.Echo { return newRouterLogging(db, io.Discard) }

func newRouterLogging(db *gorm.DB, logs io.Writer) *echo.Echo {
	base, _ := url.Parse("https://invest.example.gov.cn")
	return handlers.New(handlers.Deps{DB: db, Log: slog.New(slog.NewTextHandler(logs, nil)), BaseURL: base,
		Uploads: storage.Folder{Dir: uploadDir}})
}

// routerWith is the inquiry tests' router with some settings changed.
func routerWith(db *gorm.DB, change func(*handlers.Deps)) *echo.Echo {
	d := inquiryDeps(db)
	change(&d)
	return handlers.New(d)
}

// get sends a request through the real router and returns the recorder.
func get(t *testing.T, e http.Handler, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func parse(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return doc
}

func statValues(doc *goquery.Document) []string {
	var values []string
	doc.Find(`[data-testid="stat"] .stat-value`).Each(func(_ int, s *goquery.Selection) {
		values = append(values, strings.TrimSpace(s.Text()))
	})
	return values
}

func contains(list []string, want string) bool {
	for _, v := range list {
		if v == want {
			return true
		}
	}
	return false
}

func TestHomeShowsFiguresFromTheDatabase(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)

	rec := get(t, e, http.MethodGet, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	doc := parse(t, rec)
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hans" {
		t.Errorf(`<html lang=%q>, want "zh-Hans"`, lang)
	}
	values := statValues(doc)
	for _, want := range []string{"5场", "198个", "1703.9亿元", "130平方公里", "53.1%", "61.3%", "35.7亿元", "3762.2亿元"} {
		if !contains(values, want) {
			t.Errorf("headline figures %v lack %q", values, want)
		}
	}
	if n := doc.Find(`[data-testid="events"] tbody tr`).Length(); n == 0 {
		t.Error("no signing events listed")
	}
	if !strings.Contains(doc.Find("#news").Text(), "通辽日报") {
		t.Error("news list does not attribute the Tongliao article to its source")
	}
	if href, _ := doc.Find(`link[rel="canonical"]`).Attr("href"); href != "https://invest.example.gov.cn/" {
		t.Errorf("canonical = %q", href)
	}

	// The page follows the database: change a figure and hide an event.
	dbtest.MustExec(t, db, "UPDATE region_figures SET value = 60.2 WHERE label = '常住人口城镇化率'")
	dbtest.MustExec(t, db, "UPDATE signing_events SET status = 'draft' WHERE slug = 'chifeng-shenzhen-conference-2019'")
	values = statValues(parse(t, get(t, e, http.MethodGet, "/")))
	for _, want := range []string{"4场", "182个", "1619.1亿元", "60.2%"} {
		if !contains(values, want) {
			t.Errorf("after the edit, headline figures %v lack %q", values, want)
		}
	}
	if contains(values, "53.1%") {
		t.Error("the old figure is still shown")
	}
}

func TestHomeOnAnEmptyDatabase(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Migrated))
	rec := get(t, e, http.MethodGet, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	doc := parse(t, rec)
	if values := statValues(doc); !contains(values, "0场") || !contains(values, "0元") {
		t.Errorf("empty database shows %v, want zero totals", values)
	}
	if doc.Find(".empty").Length() == 0 {
		t.Error("no 'nothing published yet' message")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	name := dbtest.NewDatabase(t, dbtest.Seeded)
	db, err := models.Open(context.Background(), dbtest.URL(name), models.DefaultPool, time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	e := newRouter(db)

	for _, path := range []string{"/healthz", "/readyz"} {
		if rec := get(t, e, http.MethodGet, path); rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d, want 200", path, rec.Code)
		}
	}
	// Profiles live on their own loopback listener (PORTAL_DEBUG_ADDR),
	// never on the public router.
	if rec := get(t, e, http.MethodGet, "/debug/pprof/profile"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/profile on the public router = %d, want 404", rec.Code)
	}

	// The database goes away: the process is still healthy, but not ready,
	// and pages say "try again later" rather than "server error".
	if err := dbtest.Drop(name); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, e, http.MethodGet, "/healthz"); rec.Code != http.StatusOK {
		t.Errorf("GET /healthz without a database = %d, want 200", rec.Code)
	}
	rec := get(t, e, http.MethodGet, "/readyz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz without a database = %d, want 503", rec.Code)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("readiness Cache-Control = %q, want no-store", cc)
	}
	rec = get(t, e, http.MethodGet, "/")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET / without a database = %d, want 503", rec.Code)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

func TestErrorPages(t *testing.T) {
	var logs strings.Builder
	e := newRouterLogging(dbtest.New(t, dbtest.Migrated), &logs)
	e.GET("/test-panic", func(echo.Context) error { panic("secret internal detail") })

	cases := []struct {
		method, path string
		status       int
		heading      string
	}{
		{http.MethodGet, "/no-such-page", http.StatusNotFound, "页面不存在"},
		{http.MethodGet, "/static/css/site.css", http.StatusNotFound, "页面不存在"}, // only hashed names are served
		{http.MethodPost, "/", http.StatusMethodNotAllowed, "不支持的请求方式"},
		{http.MethodGet, "/test-panic", http.StatusInternalServerError, "服务器出错了"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := get(t, e, tc.method, tc.path)
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d", rec.Code, tc.status)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want HTML", ct)
			}
			doc := parse(t, rec)
			if h := strings.TrimSpace(doc.Find(`[data-testid="error-page"] h1`).Text()); h != tc.heading {
				t.Errorf("heading = %q, want %q", h, tc.heading)
			}
			id := doc.Find(`[data-testid="request-id"]`).Text()
			if id == "" || id != rec.Header().Get(echo.HeaderXRequestID) {
				t.Errorf("page request id %q, header %q", id, rec.Header().Get(echo.HeaderXRequestID))
			}
			if strings.Contains(rec.Body.String(), "secret internal detail") {
				t.Error("the page shows the internal error")
			}
		})
	}
	// The panic is logged with its request id and stack, for the operator.
	if !strings.Contains(logs.String(), `msg=panic`) || !strings.Contains(logs.String(), "secret internal detail") ||
		!strings.Contains(logs.String(), "request_id=") || !strings.Contains(logs.String(), "stack=") {
		t.Errorf("panic not logged with request id and stack:\n%s", logs.String())
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Migrated))
	for _, path := range []string{"/", "/no-such-page"} {
		h := get(t, e, http.MethodGet, path).Header()
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		for header, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "strict-origin-when-cross-origin",
		} {
			if got := h.Get(header); got != want {
				t.Errorf("%s: %s = %q, want %q", path, header, got, want)
			}
		}
	}
}

func TestStaticAssetsAreHashedAndCachedForAYear(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Migrated))
	doc := parse(t, get(t, e, http.MethodGet, "/"))
	href, ok := doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if !ok || !strings.HasPrefix(href, "/static/css/site.") || href == "/static/css/site.css" {
		t.Fatalf("stylesheet href = %q, want a content-hashed name", href)
	}
	rec := get(t, e, http.MethodGet, href)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", href, rec.Code)
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control = %q", cc)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	if !strings.Contains(rec.Body.String(), ".stat") {
		t.Error("stylesheet body missing")
	}
}

func TestHeadRequestsHaveNoBody(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))
	rec := get(t, e, http.MethodHead, "/")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with %d bytes, want 200 and no body", rec.Code, rec.Body.Len())
	}
}

// A list page and its stylesheet must stay under 60 KB together, so the
// portal loads fast on a weak mobile connection.
func TestListPagesWeighUnder60KB(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))
	for _, path := range []string{"/", "/regions", "/parks", "/chains", "/policies", "/projects", "/events", "/news",
		"/search?q=" + url.QueryEscape("电子"), "/en/projects", "/zh-hant/policies"} {
		rec := get(t, e, http.MethodGet, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, rec.Code)
		}
		css, ok := parse(t, rec).Find(`link[rel="stylesheet"]`).Attr("href")
		if !ok {
			t.Fatalf("%s links no stylesheet", path)
		}
		cssRec := get(t, e, http.MethodGet, css)
		if total := rec.Body.Len() + cssRec.Body.Len(); total > 60*1024 {
			t.Errorf("%s weighs %d bytes with its stylesheet, over 60 KB", path, total)
		}
	}
}

// Nor when the statement cut short by the visitor leaving ends as "bad
// connection" rather than as cancelled: a load test's last requests
// logged 503s that nobody received.
func TestVisitorLeavingMidStatementIsNotLoggedAsAnError(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var logs strings.Builder
	e := routerWith(db, func(d *handlers.Deps) {
		d.Log = slog.New(slog.NewTextHandler(&logs, nil))
		d.RequestTimeout = 10 * time.Second
	})
	cx, leave := context.WithCancel(context.Background())
	e.GET("/test/visitor-leaves", func(echo.Context) error {
		leave()
		return fmt.Errorf("reading the page: %w", driver.ErrBadConn)
	})
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/test/visitor-leaves", nil).WithContext(cx))
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "client went away") {
		t.Errorf("logs for a request whose visitor left:\n%s", logs.String())
	}
	// An error the visitor's leaving cannot cause is still logged as one.
	logs.Reset()
	cx, leave = context.WithCancel(context.Background())
	e.GET("/test/visitor-leaves-bug", func(echo.Context) error {
		leave()
		return fmt.Errorf("rendering the page: %w", errors.New("a bug"))
	})
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/test/visitor-leaves-bug", nil).WithContext(cx))
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a bug hidden because the visitor left:\n%s", logs.String())
	}
	// A visitor still there gets the 503, and it is logged.
	logs.Reset()
	e.GET("/test/bad-connection", func(echo.Context) error { return fmt.Errorf("reading the page: %w", driver.ErrBadConn) })
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/test/bad-connection", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a failed statement for a visitor still there: %d\n%s", rec.Code, logs.String())
	}
}

// A visitor who leaves mid-request is not a server fault: no error is
// logged (a load test stopping logged one per open connection).
func TestClientGoneIsNotLoggedAsAnError(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	var logs strings.Builder
	e := newRouterLogging(db, &logs)
	cx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodGet, "/projects", nil).WithContext(cx)
	e.ServeHTTP(httptest.NewRecorder(), req)
	if strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "client went away") {
		t.Errorf("logs for a request whose visitor left:\n%s", logs.String())
	}
}
