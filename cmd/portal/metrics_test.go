package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"investportal/handlers"
	"investportal/models/dbtest"
	"investportal/models/storage"
)

// /metrics, on its own loopback listener, reports requests by route (never
// by URL), the page cache, the database pool, the outbox and the overdue
// inquiries, each with the value the database holds.
func TestMetricsServedOnTheirOwnListener(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	dbtest.MustExec(t, db, `INSERT INTO outbox_messages (message_id, to_address, subject, body, created_at)
		VALUES ('<m1@test>', 'a@example.com', 's', 'b', now() - interval '90 seconds'),
		       ('<m2@test>', 'b@example.com', 's', 'b', now())`)
	dbtest.MustExec(t, db, `INSERT INTO outbox_messages (message_id, to_address, subject, body, failed_at) VALUES ('<m3@test>', 'c@example.com', 's', 'b', now())`)
	reg, err := newMetrics(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://127.0.0.1:8080")
	e := handlers.New(handlers.Deps{DB: db, Log: slog.New(slog.DiscardHandler), BaseURL: base, Metrics: reg,
		Uploads: storage.Folder{Dir: t.TempDir()}})
	for _, path := range []string{"/policies/chifeng-electronics-intelligent-manufacturing-support", "/policies/no-such-policy", "/no/such/page", "/en/regions"} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/", nil))

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { serveMetrics(ctx, addr, reg, slog.New(slog.DiscardHandler)); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	var resp *http.Response
	for range 50 {
		if resp, err = http.Get("http://" + addr + "/metrics"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`portal_http_request_duration_seconds_count{code="200",method="GET",route="/policies/:slug"} 1`,
		`portal_http_request_duration_seconds_count{code="404",method="GET",route="/policies/:slug"} 1`,
		`portal_http_request_duration_seconds_count{code="200",method="GET",route="/en/regions"} 1`,
		`portal_page_cache_misses_total`,
		`portal_page_cache_hits_total 0`,
		`go_sql_max_open_connections{db_name="primary"}`,
		`portal_outbox_pending 2`,
		`portal_outbox_failed 1`,
		`portal_inquiries_overdue 0`,
		`portal_backlog_read_ok 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	oldest := regexp.MustCompile(`(?m)^portal_outbox_oldest_pending_seconds (\S+)$`).FindStringSubmatch(text)
	if seconds, err := strconv.ParseFloat(oldest[len(oldest)-1], 64); err != nil || seconds < 89 || seconds > 600 {
		t.Errorf("oldest pending e-mail waited %v seconds, want about 90", oldest)
	}
	for _, never := range []string{"chifeng-electronics", "no-such-policy", "/no/such/page", "BREW"} {
		if strings.Contains(text, never) {
			t.Errorf("/metrics names %q: a URL or method made a series", never)
		}
	}
	if !strings.Contains(text, `method="other"`) || !strings.Contains(text, `route="unmatched"`) {
		t.Errorf("unknown methods and unmatched routes are not pooled:\n%s", grepLines(text, "portal_http_request_duration_seconds_count"))
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
