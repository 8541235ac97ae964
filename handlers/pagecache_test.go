package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
)

// watched runs a content watch on the database at url for the length of
// the test, and waits until it listens.
func watched(t *testing.T, url string) *models.ContentWatch {
	t.Helper()
	w, err := models.NewContentWatch(url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, 10*time.Second, "the content watch to listen", func() bool { return w.State().Current })
	return w
}

func waitFor(t *testing.T, limit time.Duration, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !done(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
	}
}

func cachingDeps(db *gorm.DB, w *models.ContentWatch) handlers.Deps {
	d := inquiryDeps(db)
	d.Watch, d.PageCacheBytes = w, 16<<20
	return d
}

// cachingRouter is the portal with its page cache, and a look into it.
func cachingRouter(db *gorm.DB, w *models.ContentWatch) (*echo.Echo, func() handlers.PageCacheStats) {
	return handlers.NewWithPageCache(cachingDeps(db, w))
}

// fromMemory gets a page and reports whether it was served from memory.
func fromMemory(t *testing.T, e http.Handler, stats func() handlers.PageCacheStats, path string) (*httptest.ResponseRecorder, bool) {
	t.Helper()
	before := stats().Hits
	rec := get(t, e, http.MethodGet, path)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, rec.Code)
	}
	return rec, stats().Hits > before
}

// announcedEdit changes rows as any writer does, and waits, as a staff
// save does, until the watch has heard of it.
func announcedEdit(t *testing.T, db *gorm.DB, w *models.ContentWatch, sql string, args ...any) {
	t.Helper()
	dbtest.MustExec(t, db, sql, args...)
	w.CatchUp(context.Background(), db)
}

func heading(t *testing.T, e http.Handler, path string) string {
	t.Helper()
	rec := get(t, e, http.MethodGet, path)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, rec.Code)
	}
	return strings.TrimSpace(parse(t, rec).Find("h1").First().Text())
}

const policyPage = "/policies/" + electronicsPolicy

func TestAnAdminEditShowsAtTheNextRequest(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	e, stats := cachingRouter(db, watched(t, url))
	heading(t, e, policyPage)
	heading(t, e, "/zh-hant"+policyPage)
	if _, hit := fromMemory(t, e, stats, policyPage); !hit {
		t.Fatal("the second view was not served from memory")
	}

	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.90")
	path := "/admin/policies/" + strconv.FormatInt(policyIDBySlug(t, db, electronicsPolicy), 10)
	form := editor.openContentForm(path)
	form.Set("title", "赤峰市电子信息产业扶持政策(修订)")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", rec.Code, rec.Body.String())
	}
	if got := heading(t, e, policyPage); got != "赤峰市电子信息产业扶持政策(修订)" {
		t.Errorf("after the save the page says %q", got)
	}
	if got := heading(t, e, "/zh-hant"+policyPage); !strings.HasSuffix(got, "(修訂)") {
		t.Errorf("after the save the Traditional page says %q", got)
	}
}

func TestTwoInstancesSeeEachOthersEdits(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	a, _ := cachingRouter(db, watched(t, url))
	b, stats := cachingRouter(db, watched(t, url))
	heading(t, b, policyPage)
	if _, hit := fromMemory(t, b, stats, policyPage); !hit {
		t.Fatal("instance B's second view was not served from memory")
	}
	list := get(t, b, http.MethodGet, "/policies").Body.String()

	// Saved on A, the very next request to B shows it.
	editor := signedIn(t, db, a, models.RoleEditor, "192.0.2.91")
	path := "/admin/policies/" + strconv.FormatInt(policyIDBySlug(t, db, electronicsPolicy), 10)
	form := editor.openContentForm(path)
	form.Set("title", "在实例A上保存的标题")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save on A = %d", rec.Code)
	}
	if got := heading(t, b, policyPage); got != "在实例A上保存的标题" {
		t.Errorf("instance B shows %q after the save on A", got)
	}
	if got := get(t, b, http.MethodGet, "/policies").Body.String(); got == list || !strings.Contains(got, "在实例A上保存的标题") {
		t.Error("instance B's policy list does not show the title saved on A")
	}
}

// An edit ends the pages that read what it changed, and only those.
func TestAnEditEndsOnlyThePagesThatReadIt(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	w := watched(t, url)
	e, stats := cachingRouter(db, w)
	for _, path := range []string{"/news", policyPage, "/projects"} {
		get(t, e, http.MethodGet, path)
	}
	announcedEdit(t, db, w, "UPDATE projects SET name = '改名的项目' WHERE id = (SELECT min(id) FROM projects WHERE status = 'published')")
	if _, hit := fromMemory(t, e, stats, "/news"); !hit {
		t.Error("a project edit ended the news list, which shows no project")
	}
	if rec, hit := fromMemory(t, e, stats, "/projects"); hit || !strings.Contains(rec.Body.String(), "改名的项目") {
		t.Errorf("the project list after a project edit: from memory %v", hit)
	}
	announcedEdit(t, db, w, "UPDATE policies SET title = '改名的政策' WHERE slug = ?", electronicsPolicy)
	if rec, hit := fromMemory(t, e, stats, policyPage); hit || heading(t, e, policyPage) != "改名的政策" {
		t.Errorf("the policy page after its edit: from memory %v, %d", hit, rec.Code)
	}
	if _, hit := fromMemory(t, e, stats, "/news"); !hit {
		t.Error("a policy edit ended the news list")
	}
}

// Visitors who ask for a page at once, after an edit ended it, wait for
// one render of it.
func TestVisitorsAtOnceWaitForOneRender(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	w := watched(t, url)
	e, stats := cachingRouter(db, w)
	get(t, e, http.MethodGet, "/regions/chifeng")
	announcedEdit(t, db, w, "UPDATE regions SET summary = summary || '。' WHERE slug = 'chifeng'")
	before := stats().Renders
	const visitors = 16
	bodies := make([]string, visitors)
	var wg sync.WaitGroup
	for i := range visitors {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/regions/chifeng", nil))
			if rec.Code == http.StatusOK {
				bodies[i] = rec.Body.String()
			}
		})
	}
	wg.Wait()
	for i, b := range bodies {
		if b == "" || b != bodies[0] {
			t.Fatalf("visitor %d got another page, or none", i)
		}
	}
	if renders := stats().Renders - before; renders > 2 {
		t.Errorf("%d visitors at once caused %d renders", visitors, renders)
	}
}

func TestAPageIsNotServedFromMemoryOnceTheListenerIsCut(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	w := watched(t, url)
	e, stats := cachingRouter(db, w)
	heading(t, e, policyPage)
	if _, hit := fromMemory(t, e, stats, policyPage); !hit {
		t.Fatal("the second view was not served from memory")
	}

	// The listener's connection ends as an edit commits: whether its
	// notification got through or not, the next page shows the edit.
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE policies SET title = '断开之时的标题' WHERE slug = ?", electronicsPolicy).Error; err != nil {
			return err
		}
		return tx.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE application_name = 'portal-content-watch' AND datname = current_database()`).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := heading(t, e, policyPage); got != "断开之时的标题" {
		t.Errorf("after the cut the page says %q, the page kept from before", got)
	}

	// The watch notices, listens again, and pages are kept again.
	waitFor(t, 10*time.Second, "the watch to listen again", func() bool {
		return w.State().Current && dbtest.Count(t, db, "pg_stat_activity",
			"application_name = 'portal-content-watch' AND datname = current_database()") == 1
	})
	heading(t, e, policyPage)
	if _, hit := fromMemory(t, e, stats, policyPage); !hit {
		t.Error("after reconnecting the page is not kept")
	}
}

// A connection that goes silent, without closing, is noticed by the
// heartbeat: an edit whose notification it lost shows within the watch's
// two seconds.
func TestAPageIsNotServedFromMemoryOnceTheListenerGoesSilent(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	proxy := newFreezingProxy(t, url)
	w := watched(t, proxy.url)
	e, stats := cachingRouter(db, w)
	heading(t, e, policyPage)
	if _, hit := fromMemory(t, e, stats, policyPage); !hit {
		t.Fatal("the second view was not served from memory")
	}
	proxy.freeze()
	dbtest.MustExec(t, db, "UPDATE policies SET title = '静默之后的标题' WHERE slug = ?", electronicsPolicy)
	edited := time.Now()
	waitFor(t, 5*time.Second, "the edit to show", func() bool { return heading(t, e, policyPage) == "静默之后的标题" })
	if took := time.Since(edited); took > 2500*time.Millisecond {
		t.Errorf("the edit showed %s after it was committed, past the watch's two seconds", took.Round(time.Millisecond))
	} else {
		t.Logf("a lost notification was made up for after %s", took.Round(time.Millisecond))
	}
	if w.State().Current {
		t.Error("the watch still says it is current")
	}
}

func TestScheduledContentAppearsOnTime(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	w := watched(t, url)
	e, _ := cachingRouter(db, w)
	link := `a[href="/policies/` + electronicsPolicy + `"]`
	announcedEdit(t, db, w, "UPDATE policies SET publish_at = now() + interval '2 seconds' WHERE slug = ?", electronicsPolicy)
	var due time.Time
	if err := db.Raw("SELECT publish_at FROM policies WHERE slug = ?", electronicsPolicy).Scan(&due).Error; err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if parse(t, get(t, e, http.MethodGet, "/policies")).Find(link).Length() != 0 {
			t.Fatal("the policy is listed before its publish time")
		}
	}
	// No edit, no job: the list shows it once it is due.
	time.Sleep(time.Until(due))
	waitFor(t, time.Second, "the policy to be listed", func() bool {
		return parse(t, get(t, e, http.MethodGet, "/policies")).Find(link).Length() == 1
	})
	if late := time.Since(due); late > 500*time.Millisecond {
		t.Errorf("listed %s after its publish time", late)
	}
}

func TestEachLanguageIsKeptApart(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	e, _ := cachingRouter(db, watched(t, url))
	for range 2 {
		for prefix, lang := range map[string]string{"": "zh-Hans", "/zh-hant": "zh-Hant", "/en": "en"} {
			for _, path := range []string{"", "/policies", policyPage, "/search?q=%E7%94%B5%E5%AD%90"} {
				if prefix+path == "" {
					path = "/"
				}
				rec := get(t, e, http.MethodGet, prefix+path)
				if got, _ := parse(t, rec).Find("html").Attr("lang"); rec.Code != http.StatusOK || got != lang {
					t.Errorf("GET %s = %d in %q, want %q", prefix+path, rec.Code, got, lang)
				}
			}
		}
	}
}

func TestStaffAreNeverServedFromMemoryNorFillIt(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	e, stats := cachingRouter(db, watched(t, url))
	staff := signedIn(t, db, e, models.RoleViewer, "192.0.2.92")
	heading(t, e, policyPage)
	before := stats()
	rec := staff.get(policyPage)
	if rec.Code != http.StatusOK || stats() != before {
		t.Errorf("signed in: %d; the page cache went from %+v to %+v", rec.Code, before, stats())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "private, no-cache" {
		t.Errorf("signed in, Cache-Control = %q", cc)
	}
	if _, hit := fromMemory(t, e, stats, policyPage); !hit {
		t.Error("anonymous visitors are not served from memory")
	}

	// A page first opened by staff is not kept for others.
	staff.get("/regions/chifeng")
	if _, hit := fromMemory(t, e, stats, "/regions/chifeng"); hit {
		t.Error("an anonymous visitor got the page a member of staff opened")
	}
}

func TestPagesWithAFormCarryTheirVisitorsOwnToken(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	e, _ := cachingRouter(db, watched(t, url))
	tokens := map[string]bool{}
	for i := range 3 {
		v := newVisitor(t, e, "192.0.2.9"+strconv.Itoa(3+i))
		for range 2 {
			_, doc := v.openForm("/inquiries/new?policy=" + electronicsPolicy)
			token, _ := doc.Find(`input[name="_csrf"]`).Attr("value")
			if token == "" || token != v.cookies["__Host-csrf"].Value {
				t.Fatalf("visitor %d got token %q with cookie %q", i, token, v.cookies["__Host-csrf"].Value)
			}
			tokens[token] = true
		}
	}
	if len(tokens) != 3 {
		t.Errorf("3 visitors got %d tokens", len(tokens))
	}
	// Pages that are kept hold no token and set no cookie.
	for _, path := range []string{"/", policyPage, "/regions/chifeng", "/projects", "/search?q=x", "/en/policies"} {
		for range 2 {
			rec := get(t, e, http.MethodGet, path)
			if rec.Header().Get("Set-Cookie") != "" || parse(t, rec).Find(`input[name="_csrf"]`).Length() > 0 {
				t.Errorf("%s carries a form token or sets a cookie", path)
			}
		}
	}
}

func TestValidatorsCodingsAndANewBodyAfterAnEdit(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	w := watched(t, url)
	e, _ := cachingRouter(db, w)
	first := get(t, e, http.MethodGet, policyPage)
	etag := first.Header().Get("ETag")
	if etag == "" || first.Header().Get("Cache-Control") != "no-cache" || first.Header().Get("Vary") != "Accept-Encoding" {
		t.Fatalf("headers: %v", first.Header())
	}
	send := func(method string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, policyPage, nil)
		for i := 0; i < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	if rec := send(http.MethodGet, "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != etag {
		t.Errorf("unchanged: %d, %d bytes, ETag %q", rec.Code, rec.Body.Len(), rec.Header().Get("ETag"))
	}
	if rec := send(http.MethodHead); rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(first.Body.Len()) {
		t.Errorf("HEAD: %d, %d bytes, Content-Length %s", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}

	// Each coding, decoded, is the page; each has an ETag of its own,
	// which the page in any coding matches.
	decoders := map[string]func([]byte) ([]byte, error){
		"gzip": func(b []byte) ([]byte, error) {
			r, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, err
			}
			return io.ReadAll(r)
		},
		"zstd": func(b []byte) ([]byte, error) {
			d, err := zstd.NewReader(nil)
			if err != nil {
				return nil, err
			}
			defer d.Close()
			return d.DecodeAll(b, nil)
		},
	}
	for accept, coding := range map[string]string{"gzip": "gzip", "gzip, deflate, br, zstd": "zstd", "zstd;q=0.5, gzip": "gzip", "zstd;q=0, gzip;q=0": ""} {
		for range 2 { // compressed, then from memory
			rec := send(http.MethodGet, "Accept-Encoding", accept)
			if got := rec.Header().Get("Content-Encoding"); got != coding {
				t.Errorf("Accept-Encoding %q: coding %q, want %q", accept, got, coding)
				continue
			}
			body := rec.Body.Bytes()
			if coding != "" {
				var err error
				if body, err = decoders[coding](body); err != nil {
					t.Fatalf("%s: %v", coding, err)
				}
				if tag := rec.Header().Get("ETag"); tag != strings.TrimSuffix(etag, `"`)+"-"+coding+`"` {
					t.Errorf("%s ETag %q", coding, tag)
				}
			}
			if !bytes.Equal(body, first.Body.Bytes()) {
				t.Errorf("Accept-Encoding %q: the body differs from the page", accept)
			}
			if rec := send(http.MethodGet, "Accept-Encoding", accept, "If-None-Match", rec.Header().Get("ETag")); rec.Code != http.StatusNotModified {
				t.Errorf("Accept-Encoding %q with its own ETag: %d", accept, rec.Code)
			}
		}
	}

	announcedEdit(t, db, w, "UPDATE policies SET title = '编辑之后的标题' WHERE slug = ?", electronicsPolicy)
	rec := send(http.MethodGet, "If-None-Match", etag)
	if rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag || !strings.Contains(rec.Body.String(), "编辑之后的标题") {
		t.Errorf("after an edit: %d with ETag %q (was %q)", rec.Code, rec.Header().Get("ETag"), etag)
	}
}

func TestThePageCacheKeepsToItsBudget(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	d := cachingDeps(db, watched(t, url))
	const budget = 256 << 10
	d.PageCacheBytes = budget
	e, stats := handlers.NewWithPageCache(d)
	served := 0
	for i := range 300 {
		rec := get(t, e, http.MethodGet, "/search?q=%E5%90%88"+strconv.Itoa(i))
		if rec.Code != http.StatusOK {
			t.Fatalf("search %d = %d", i, rec.Code)
		}
		served += rec.Body.Len()
		if got := stats().Weight; got > budget {
			t.Fatalf("after %d pages the cache holds %d bytes, over its %d", i+1, got, budget)
		}
	}
	if served < 4*budget {
		t.Fatalf("only %d bytes served: the budget was never under pressure", served)
	}
	if stats().Weight < budget/2 {
		t.Errorf("the cache holds only %d bytes of its %d", stats().Weight, budget)
	}
}

// freezingProxy forwards TCP connections to PostgreSQL until it is
// frozen: then it keeps them open and forwards nothing, as a network
// that drops packets does.
type freezingProxy struct {
	url      string
	frozen   atomic.Bool
	closeAll func()
}

func newFreezingProxy(t *testing.T, target string) *freezingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &freezingProxy{}
	upstream := u.Host
	u.Host = l.Addr().String()
	p.url = u.String()
	var conns sync.WaitGroup
	var open sync.Map
	go func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", upstream)
			if err != nil {
				_ = client.Close()
				continue
			}
			open.Store(client, server)
			conns.Add(2)
			go func() { defer conns.Done(); p.pipe(server, client) }()
			go func() { defer conns.Done(); p.pipe(client, server) }()
		}
	}()
	p.closeAll = sync.OnceFunc(func() {
		_ = l.Close()
		open.Range(func(c, s any) bool {
			_ = c.(net.Conn).Close()
			_ = s.(net.Conn).Close()
			return true
		})
		conns.Wait()
	})
	t.Cleanup(p.closeAll)
	return p
}

func (p *freezingProxy) freeze() { p.frozen.Store(true) }

// cut ends every connection and refuses new ones, as a database that is
// down does.
func (p *freezingProxy) cut() { p.closeAll() }

func (p *freezingProxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil || p.frozen.Load() {
			if err == nil {
				// Hold on to the bytes, never deliver them: wait for the close.
				_, _ = io.Copy(io.Discard, src)
			}
			return
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}

func TestContentCodingAndValidatorsAreNegotiatedAsRFC9110Says(t *testing.T) {
	for accept, want := range map[string]string{
		"": "", "identity": "", "gzip": "gzip", "gzip, deflate, br, zstd": "zstd", "GZIP": "gzip",
		"zstd;q=0.5, gzip": "gzip", "gzip;q=0, *": "zstd", "*": "zstd", "*;q=0, gzip": "gzip",
		"gzip;q=0, zstd;q=0, *": "", "gzip;level=1;q=0.5, zstd;q=0.4": "gzip", "zstd;q=x": "",
	} {
		if got := handlers.PreferredCoding(accept); got != want {
			t.Errorf("Accept-Encoding %q: %q, want %q", accept, got, want)
		}
	}
	for header, want := range map[string]bool{
		`"abc-gzip"`: true, `W/"abc-gzip"`: true, `"x", "abc-gzip"`: true, `*`: true,
		`"abc"`: false, `"abc-zstd"`: false, ``: false, `abc-gzip`: false,
	} {
		if got := handlers.MatchesTag(header, `"abc-gzip"`); got != want {
			t.Errorf("If-None-Match %s against \"abc-gzip\": %v", header, got)
		}
	}
}

// A page that panics while it is rendered for the cache is the 500 page,
// not an empty 200.
func TestAPanicWhileRenderingIsA500Page(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	e, _ := cachingRouter(db, watched(t, url))
	e.GET("/boom", func(echo.Context) error { panic("boom") }, handlers.CachedPage[e])
	rec := get(t, e, http.MethodGet, "/boom")
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "</html>") {
		t.Errorf("a panic: %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

// With the database away, a page is the 503 page, also one that was kept:
// nothing is served from memory that the database cannot vouch for.
func TestPagesAreA503WhileTheDatabaseIsAway(t *testing.T) {
	_, url := dbtest.NewWithURL(t, dbtest.Seeded)
	proxy := newFreezingProxy(t, url)
	db, err := models.Open(context.Background(), proxy.url, models.DefaultPool, 5*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	w := watched(t, proxy.url)
	e, stats := cachingRouter(db, w)
	heading(t, e, policyPage)
	if _, hit := fromMemory(t, e, stats, policyPage); !hit {
		t.Fatal("the second view was not served from memory")
	}
	proxy.cut()
	waitFor(t, 5*time.Second, "the watch to notice", func() bool { return !w.State().Current })
	for _, path := range []string{policyPage, "/regions/chifeng"} {
		rec := get(t, e, http.MethodGet, path)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "</html>") {
			t.Errorf("GET %s with the database away: %d, %d bytes", path, rec.Code, rec.Body.Len())
		}
	}
}
