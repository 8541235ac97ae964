package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
)

func idOf(t *testing.T, db *gorm.DB, table, slug string) string {
	t.Helper()
	var id int64
	if err := db.Raw("SELECT id FROM "+table+" WHERE slug = ?", slug).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("%s %s: %v", table, slug, err)
	}
	return strconv.FormatInt(id, 10)
}

// The form names a parent at or below the record beside its field, and
// stores nothing.
func TestContentFormRefusesAParentBelowTheRecord(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.130")
	for _, c := range []struct{ table, key, slug, field, parent string }{
		{"regions", "regions", "chifeng", "parent_id", "hongshan"},
		{"regions", "regions", "inner-mongolia", "parent_id", "harqin"},
		{"regions", "regions", "tongliao", "parent_id", "tongliao"},
		{"parks", "parks", "chifeng-high-tech-zone", "parent_park_id", "songshan-it-park"},
	} {
		path := "/admin/" + c.key + "/" + idOf(t, db, c.table, c.slug)
		form := editor.openContentForm(path)
		form.Set(c.field, idOf(t, db, c.table, c.parent))
		var before string
		db.Raw("SELECT row_to_json(r)::text FROM "+c.table+" r WHERE slug = ?", c.slug).Scan(&before)
		rec := editor.post(path, form)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s under %s = %d, want 422", c.slug, c.parent, rec.Code)
			continue
		}
		if msg := parse(t, rec).Find(`[data-testid="error-` + c.field + `"]`).Text(); msg == "" {
			t.Errorf("%s under %s: no message beside %s", c.slug, c.parent, c.field)
		}
		var after string
		db.Raw("SELECT row_to_json(r)::text FROM "+c.table+" r WHERE slug = ?", c.slug).Scan(&after)
		if after != before {
			t.Errorf("%s under %s: the record changed", c.slug, c.parent)
		}
	}
	// A parent elsewhere in the tree is fine.
	path := "/admin/regions/" + idOf(t, db, "regions", "harqin")
	form := editor.openContentForm(path)
	form.Set("parent_id", idOf(t, db, "regions", "tongliao"))
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Errorf("a legal move = %d", rec.Code)
	}
}

// routerOn is the portal's router on a database pool of its own settings.
func routerOn(db *gorm.DB, requestTimeout time.Duration) *echo.Echo {
	return routerWith(db, func(d *handlers.Deps) { d.RequestTimeout = requestTimeout })
}

// A loop of parents stored behind the trigger's back (or before it
// existed) cannot hang the public pages that walk the tree.
func TestPublicPagesSurviveAStoredParentLoop(t *testing.T) {
	pool := models.DefaultPool
	pool.StatementTimeout = 3 * time.Second // a query that ran away fails the test in seconds
	db := dbtest.NewWithPool(t, dbtest.Seeded, pool)
	dbtest.MustExec(t, db, "ALTER TABLE regions DISABLE TRIGGER regions_parent_cycle")
	dbtest.MustExec(t, db, "UPDATE regions SET parent_id = (SELECT id FROM regions WHERE slug = 'hongshan') WHERE slug = 'chifeng'")
	e := routerOn(db, 0)
	for _, path := range []string{"/regions", "/regions/chifeng", "/regions/hongshan", "/projects?region=chifeng",
		"/policies?region=hongshan", "/policies/" + electronicsPolicy, "/parks/hongshan-high-tech-park", "/en/regions/chifeng"} {
		if rec := get(t, e, http.MethodGet, path); rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", path, rec.Code)
		}
	}
}

// A statement that runs past the timeout, and a request that waits too long
// for a free connection, become a 503 with Retry-After, not a hang.
func TestSlowDatabaseIsA503InTime(t *testing.T) {
	pool := models.DefaultPool
	pool.StatementTimeout = 200 * time.Millisecond
	db := dbtest.NewWithPool(t, dbtest.Seeded, pool)
	e := routerOn(db, 0)
	// Another session holds the regions table: every query on it waits.
	tx := db.Begin()
	if err := tx.Exec("SET LOCAL statement_timeout = 0; LOCK TABLE regions IN ACCESS EXCLUSIVE MODE").Error; err != nil {
		t.Fatal(err)
	}
	rec := get(t, e, http.MethodGet, "/regions")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("GET /regions while the table is locked = %d (Retry-After %q), want 503", rec.Code, rec.Header().Get("Retry-After"))
	}
	tx.Rollback()
	if rec := get(t, e, http.MethodGet, "/regions"); rec.Code != http.StatusOK {
		t.Errorf("after the lock = %d", rec.Code)
	}

	// One connection, held by someone else: a request waits for it only
	// until its deadline.
	single := models.DefaultPool
	single.MaxOpenConns, single.MaxIdleConns = 1, 1
	narrow := dbtest.NewWithPool(t, dbtest.Seeded, single)
	held, err := narrow.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := held.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rec = get(t, routerOn(narrow, 300*time.Millisecond), http.MethodGet, "/regions")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("GET /regions with the pool exhausted = %d, want 503", rec.Code)
	}
	conn.Close()
	if rec := get(t, routerOn(narrow, 300*time.Millisecond), http.MethodGet, "/regions"); rec.Code != http.StatusOK {
		t.Errorf("after the connection came back = %d", rec.Code)
	}
}

// The request's deadline ends when the route returns, before the error
// page is rendered: error pages must still be whole pages, in the
// visitor's language, not the plain-text fallback.
func TestErrorPagesRenderUnderARequestDeadline(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := routerOn(db, 15*time.Second)
	for _, path := range []string{"/no-such-page", "/en/regions/no-such-region", "/admin/inquiries/INQ-1"} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusSeeOther {
			t.Errorf("%s = %d", path, rec.Code)
		}
		if rec.Code == http.StatusNotFound && !strings.Contains(rec.Body.String(), "<html") {
			t.Errorf("%s: the error page fell back to plain text: %q", path, rec.Body.String())
		}
	}
}
