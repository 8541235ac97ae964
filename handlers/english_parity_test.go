package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"investportal/models"
	"investportal/models/dbtest"
)

// The admin shows records whose English is missing or older than their
// last Chinese edit, in the list and counted on the dashboard; the warning
// goes when the English is written.
func TestEnglishParityWarnings(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.95")
	var id int64
	if err := db.Raw("SELECT id FROM regions WHERE slug = 'chifeng'").Scan(&id).Error; err != nil || id == 0 {
		t.Fatal(err)
	}
	path := "/admin/regions/" + strconv.FormatInt(id, 10)
	counts := func() (missing, stale string) {
		t.Helper()
		doc := parse(t, editor.get("/admin"))
		var row *goquery.Selection
		doc.Find(`[data-testid="admin-counts"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
			if s.Find(`a[href="/admin/regions"]`).Length() > 0 {
				row = s
			}
		})
		if row == nil {
			t.Fatal("no regions row on the dashboard")
		}
		return strings.TrimSpace(row.Find(`[data-testid="english-missing"]`).Text()), strings.TrimSpace(row.Find(`[data-testid="english-stale"]`).Text())
	}
	listed := func(filter string) []string {
		t.Helper()
		rec := editor.get("/admin/regions" + filter)
		if rec.Code != http.StatusOK {
			t.Fatalf("/admin/regions%s = %d", filter, rec.Code)
		}
		return parse(t, rec).Find(`tbody tr small`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	}
	parityOf := func(slug string) string {
		t.Helper()
		var state string
		parse(t, editor.get("/admin/regions")).Find("tbody tr").Each(func(_ int, s *goquery.Selection) {
			if s.Find("small").Text() == slug {
				state = s.Find(`[data-testid="english-parity"]`).Text()
			}
		})
		return state
	}

	// The seed writes English for every region.
	if m, s := counts(); m != "0" || s != "0" {
		t.Fatalf("seeded regions: %s missing, %s stale", m, s)
	}

	// A Chinese edit leaves the English behind.
	form := editor.openContentForm(path)
	form.Set("summary", form.Get("summary")+"新增一句。")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d", rec.Code)
	}
	if got := parityOf("chifeng"); got != "英文待更新" {
		t.Errorf("after a Chinese edit: %q", got)
	}
	if m, s := counts(); m != "0" || s != "1" {
		t.Errorf("after a Chinese edit: %s missing, %s stale", m, s)
	}
	if got := listed("?english=stale"); strings.Join(got, " ") != "chifeng" {
		t.Errorf("stale list = %v", got)
	}

	// The English written after it: the warning goes.
	form = editor.openContentForm(path)
	form.Set("summary_en", form.Get("summary_en")+" One more sentence.")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d", rec.Code)
	}
	if got := parityOf("chifeng"); got != "" {
		t.Errorf("after the English edit: %q", got)
	}
	if m, s := counts(); m != "0" || s != "0" {
		t.Errorf("after the English edit: %s missing, %s stale", m, s)
	}

	// English removed: missing, whatever the dates.
	form = editor.openContentForm(path)
	form.Set("name_en", "")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d", rec.Code)
	}
	if got := parityOf("chifeng"); got != "缺英文" {
		t.Errorf("without an English name: %q", got)
	}
	if m, _ := counts(); m != "1" {
		t.Errorf("without an English name: %s missing", m)
	}
	if got := listed("?english=missing&state=published"); strings.Join(got, " ") != "chifeng" {
		t.Errorf("missing list = %v", got)
	}
	if rec := editor.get("/admin/regions?english=%27%3B--"); rec.Code != http.StatusBadRequest {
		t.Errorf("a bad parity filter = %d, want 400", rec.Code)
	}
	// The list offers the filter.
	if parse(t, editor.get("/admin/regions")).Find(`select[name="english"]`).Length() != 1 {
		t.Errorf("regions list has no English filter")
	}
}
