package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
)

// syncBuffer collects log lines written from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newProxiedRouter is a router that believes the given proxies, logging
// into logs.
func newProxiedRouter(db *gorm.DB, logs io.Writer, proxies ...string) *echo.Echo {
	return routerWith(db, func(d *handlers.Deps) {
		d.Log = slog.New(slog.NewTextHandler(logs, nil))
		for _, p := range proxies {
			_, n, err := net.ParseCIDR(p)
			if err != nil {
				panic(err)
			}
			d.TrustedProxies = append(d.TrustedProxies, n)
		}
	})
}

// loggedClient is the remote_ip the request log gave the request to uri.
func loggedClient(t *testing.T, logs fmt.Stringer, uri string) string {
	t.Helper()
	pattern := regexp.MustCompile(`uri="?` + regexp.QuoteMeta(uri) + `"? .*remote_ip=(\S+)`)
	m := pattern.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no request log line for %s in\n%s", uri, logs)
	}
	return m[1]
}

// X-Forwarded-For and X-Request-ID are believed from a trusted proxy and
// from nowhere else, and a malformed request id is never kept.
func TestClientAddressAndRequestIDComeOnlyFromTrustedProxies(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	logs := &syncBuffer{}
	e := newProxiedRouter(db, logs, "192.0.2.1/32")
	send := func(from, uri string, header map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, uri, nil)
		req.RemoteAddr = from + ":40000"
		for k, v := range header {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	for _, c := range []struct {
		from, xff, want string
	}{
		{"192.0.2.1", "203.0.113.5", "203.0.113.5"},
		{"192.0.2.1", "203.0.113.5, 192.0.2.1", "203.0.113.5"}, // a chain of trusted proxies
		{"198.51.100.9", "203.0.113.5", "198.51.100.9"},        // not a proxy: the header is anyone's
		{"127.0.0.1", "203.0.113.5", "127.0.0.1"},              // loopback is not trusted unless named
		{"192.0.2.1", "not an address", "192.0.2.1"},
	} {
		uri := "/healthz?from=" + c.from + "&xff=" + url.QueryEscape(c.xff)
		send(c.from, uri, map[string]string{"X-Forwarded-For": c.xff})
		if got := loggedClient(t, logs, uri); got != c.want {
			t.Errorf("from %s with X-Forwarded-For %q: client %s, want %s", c.from, c.xff, got, c.want)
		}
	}
	plainLogs := &syncBuffer{}
	plain := newRouterLogging(db, plainLogs)
	req := httptest.NewRequest(http.MethodGet, "/healthz?plain", nil)
	req.RemoteAddr, req.Header["X-Forwarded-For"] = "192.0.2.1:40000", []string{"203.0.113.5"}
	plain.ServeHTTP(httptest.NewRecorder(), req)
	if got := loggedClient(t, plainLogs, "/healthz?plain"); got != "192.0.2.1" {
		t.Errorf("without trusted proxies the client is %s, want the connection's 192.0.2.1", got)
	}

	for _, c := range []struct {
		from, id string
		kept     bool
	}{
		{"192.0.2.1", "0123456789abcdef0123456789abcdef", true},
		{"198.51.100.9", "0123456789abcdef0123456789abcdef", false},
		{"192.0.2.1", "<script>alert(1)</script>", false},
		{"192.0.2.1", strings.Repeat("a", 65), false},
		{"192.0.2.1", "short", false},
	} {
		got := send(c.from, "/healthz", map[string]string{"X-Request-ID": c.id}).Header().Get("X-Request-ID")
		if kept := got == c.id; kept != c.kept || got == "" {
			t.Errorf("X-Request-ID %q from %s: answered with %q (kept %v, want %v)", c.id, c.from, got, kept, c.kept)
		}
	}

	// The audit log records the id a trusted proxy gave the request.
	admin := newVisitor(t, e, "192.0.2.1")
	admin.signIn(createStaff(t, db, models.RoleAdmin), staffPassword)
	req = newRequest(http.MethodPost, "/admin/users", url.Values{"_csrf": {admin.csrf()}, "email": {"x@bureau.example"}, "name": {"某人"}, "role": {"viewer"}})
	req.Header.Set("X-Request-ID", "proxy-request-0001")
	admin.do(req)
	var recorded string
	db.Raw("SELECT request_id FROM audit_log WHERE entity_type = 'staff_users' ORDER BY id DESC LIMIT 1").Scan(&recorded)
	if recorded != "proxy-request-0001" {
		t.Errorf("audit log request id = %q", recorded)
	}
}

// nginxExample is the nginx location block the README recommends.
func nginxExample(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```nginx\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no ```nginx block")
	}
	return string(m[1])
}

// startNginx runs nginx on 127.0.0.1 with the README's block in front of
// the portal at upstream, and returns its address. It stops with the test.
func startNginx(t *testing.T, upstream string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			t.Fatal("nginx is not installed: run `make test`, which installs it with apt")
		}
		bin = "/usr/sbin/nginx"
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	location := strings.Replace(nginxExample(t), "http://127.0.0.1:8080", "http://"+upstream, 1)
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s;
        add_header X-Nginx-Request-ID $request_id always;
        %[3]s
    }
}
`, dir, addr, location)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not start: %s\n%s", stderr.String(), log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clientFrom is an HTTP client whose connections leave from a given
// loopback address, so that one machine can play several visitors.
func clientFrom(ip string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{
		Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       10 * time.Second,
	}
}

// The README's nginx example, run for real in front of the portal: each
// visitor keeps their own address (and their own rate limit) whatever they
// put in X-Forwarded-For, and the request id is nginx's.
func TestReadmeNginxExampleKeepsEachVisitorsAddress(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	logs := &syncBuffer{}
	portal := httptest.NewServer(newProxiedRouter(db, logs, "127.0.0.1/32"))
	defer portal.Close()
	proxy := "http://" + startNginx(t, strings.TrimPrefix(portal.URL, "http://"))

	get := func(client *http.Client, target string, header map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, target, nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	get(clientFrom("127.0.0.2"), proxy+"/healthz?visitor=2", nil)
	get(clientFrom("127.0.0.3"), proxy+"/healthz?visitor=3", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	get(clientFrom("127.0.0.4"), portal.URL+"/healthz?direct=4", map[string]string{"X-Forwarded-For": "203.0.113.9"})
	for uri, want := range map[string]string{"/healthz?visitor=2": "127.0.0.2", "/healthz?visitor=3": "127.0.0.3", "/healthz?direct=4": "127.0.0.4"} {
		if got := loggedClient(t, logs, uri); got != want {
			t.Errorf("%s: the portal saw %s, want %s", uri, got, want)
		}
	}

	res := get(clientFrom("127.0.0.2"), proxy+"/", map[string]string{"X-Request-ID": "chosen-by-the-visitor"})
	if id := res.Header.Get("X-Request-ID"); id != res.Header.Get("X-Nginx-Request-ID") || id == "" {
		t.Errorf("request id %q, nginx's %q", id, res.Header.Get("X-Nginx-Request-ID"))
	}
	if id := get(clientFrom("127.0.0.4"), portal.URL+"/", map[string]string{"X-Request-ID": "chosen-by-the-visitor"}).Header.Get("X-Request-ID"); id == "chosen-by-the-visitor" {
		t.Error("a visitor's own X-Request-ID was kept")
	}

	// Rate limits count per visitor, not for the proxy as a whole.
	post := func(client *http.Client) int {
		res, err := client.PostForm(proxy+"/inquiries", url.Values{"name": {"x"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	busy := clientFrom("127.0.0.5")
	codes := map[int]int{}
	for range 25 {
		codes[post(busy)]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("25 posts in a row from one visitor were never limited: %v", codes)
	}
	if code := post(clientFrom("127.0.0.6")); code == http.StatusTooManyRequests {
		t.Error("another visitor behind the same proxy was limited too")
	}
}
