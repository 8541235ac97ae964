package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"investportal/models/dbtest"
)

// Every page's navigation and the home page lead to the contact page,
// which leads to the general inquiry form and names the team.
func TestContactEntry(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	for path, prefix := range map[string]string{"/": "", "/policies": "", "/en": "/en", "/zh-hant/regions/chifeng": "/zh-hant"} {
		doc := parse(t, get(t, e, http.MethodGet, path))
		if doc.Find(`nav.site-nav a[href="`+prefix+`/contact"]`).Length() != 1 || doc.Find(`nav.site-nav a[href="`+prefix+`/match"]`).Length() != 1 {
			t.Errorf("%s: the navigation lacks the contact page or the matcher", path)
		}
	}
	home := parse(t, get(t, e, http.MethodGet, "/"))
	block := home.Find(`[data-testid="home-contact"]`)
	for _, href := range []string{"/inquiries/new", "/match", "/contact"} {
		if block.Find(`a[href="`+href+`"]`).Length() != 1 {
			t.Errorf("home contact block lacks %s", href)
		}
	}

	rec := get(t, e, http.MethodGet, "/contact")
	if rec.Code != http.StatusOK {
		t.Fatalf("/contact = %d", rec.Code)
	}
	doc := parse(t, rec)
	if doc.Find(`a[data-testid="contact-inquiry"][href="/inquiries/new"]`).Length() != 1 {
		t.Error("no link to the general inquiry form")
	}
	team := doc.Find(`[data-testid="contact-team"]`).Text()
	for _, want := range []string{"王利", "赤峰市区域经济合作局", "常红勤", "阳曲现代农业产业示范区"} {
		if !strings.Contains(team, want) {
			t.Errorf("the team lacks %s", want)
		}
	}
	// A region that is not public hides its officer.
	if err := db.Exec(`UPDATE regions SET status = 'draft' WHERE slug = 'chifeng'`).Error; err != nil {
		t.Fatal(err)
	}
	if team := parse(t, get(t, newRouter(db), http.MethodGet, "/contact")).Find(`[data-testid="contact-team"]`).Text(); strings.Contains(team, "王利") {
		t.Error("the officer of a draft region is listed")
	}
	en := get(t, e, http.MethodGet, "/en/contact").Body.String()
	if !strings.Contains(en, "Talk to the investment promotion team") {
		t.Error("English contact page")
	}
}
