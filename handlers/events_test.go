package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"investportal/models/dbtest"
)

func TestEventPages(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)

	doc := parse(t, get(t, e, http.MethodGet, "/events"))
	if n := doc.Find(`[data-testid="events"] tbody tr`).Length(); n != 7 {
		t.Errorf("events index lists %d events, want the 7 seeded", n)
	}

	rec := get(t, e, http.MethodGet, "/events/chifeng-shenzhen-conference-2019")
	if rec.Code != http.StatusOK {
		t.Fatalf("event page = %d", rec.Code)
	}
	doc = parse(t, rec)
	reported := doc.Find(`[data-testid="reported"]`).Text()
	if !strings.Contains(reported, "签约项目16个") || !strings.Contains(reported, "84.8亿元") {
		t.Errorf("announced figures = %q", reported)
	}
	if n := doc.Find(`[data-testid="projects"] tbody tr`).Length(); n != 9 {
		t.Errorf("event lists %d linked projects, want 9", n)
	}
	if href, _ := doc.Find(`a[href^="/news/"]`).Last().Attr("href"); href != "/news/2019-chifeng-shenzhen-signing" {
		t.Errorf("source link = %q", href)
	}

	rec = get(t, e, http.MethodGet, "/en/events/tongliao-spring-signing-2023")
	if !strings.Contains(rec.Body.String(), "102,715,000,000 yuan") || !strings.Contains(rec.Body.String(), "143 projects signed") {
		t.Error("English event page lacks the amount in yuan or the project count")
	}

	dbtest.MustExec(t, db, "UPDATE signing_events SET deleted_at = now() WHERE slug = 'tongliao-spring-signing-2023'")
	if rec := get(t, e, http.MethodGet, "/events/tongliao-spring-signing-2023"); rec.Code != http.StatusNotFound {
		t.Errorf("deleted event = %d, want 404", rec.Code)
	}
}

func TestNewsPages(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)

	doc := parse(t, get(t, e, http.MethodGet, "/news"))
	if n := doc.Find(`[data-testid="news"] li`).Length(); n != 5 {
		t.Errorf("news index lists %d articles, want 5", n)
	}

	// A Traditional article: converted on the Simplified page, as written on the Traditional one.
	hans := parse(t, get(t, e, http.MethodGet, "/news/2021-taixin-economic-zone"))
	if body := hans.Find(".article-body").Text(); !strings.Contains(body, "太忻一体化经济区") {
		t.Error("Simplified page does not show the article in Simplified characters")
	}
	hant := parse(t, get(t, e, http.MethodGet, "/zh-hant/news/2021-taixin-economic-zone"))
	if body := hant.Find(".article-body").Text(); !strings.Contains(body, "太忻一體化經濟區") {
		t.Error("Traditional page does not show the article in Traditional characters")
	}
	attribution := parse(t, get(t, e, http.MethodGet, "/news/2021-hongshan-projects")).Find(`[data-testid="attribution"]`).Text()
	for _, want := range []string{"赤峰日报", "凤军", "2021年10月17日"} {
		if !strings.Contains(attribution, want) {
			t.Errorf("attribution %q lacks %q", attribution, want)
		}
	}

	// Stored Markdown cannot inject markup.
	dbtest.MustExec(t, db, `UPDATE news_articles SET body = '<script>alert(1)</script>

[x](javascript:alert(2)) <img src=x onerror=alert(3)>' WHERE slug = '2021-hongshan-projects'`)
	doc = parse(t, get(t, e, http.MethodGet, "/news/2021-hongshan-projects"))
	if doc.Find(".article-body script, .article-body img[onerror], .article-body a[href^='javascript']").Length() != 0 {
		t.Error("stored markup reached the page")
	}
}

// The events list comes a page at a time: a province holds hundreds.
func TestEventListPages(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	dbtest.MustExec(t, db, `INSERT INTO signing_events (slug, region_id, kind, name, held_on, status)
		SELECT 'paged-event-' || g, (SELECT id FROM regions WHERE slug = 'chifeng'), 'ceremony', '分页测试签约' || g,
			date '2030-01-01' + g, 'published'
		FROM generate_series(1, 20) g`)
	e := newRouter(db)
	doc := parse(t, get(t, e, http.MethodGet, "/events"))
	rows := doc.Find(`[data-testid="events"] tbody tr`)
	if rows.Length() != 20 || !strings.Contains(rows.First().Text(), "分页测试签约20") {
		t.Errorf("page 1 lists %d events, first %q; want 20, the newest first", rows.Length(), rows.First().Text())
	}
	if doc.Find(`a[href="/events?page=2"]`).Length() == 0 {
		t.Error("page 1 does not link page 2")
	}
	page2 := parse(t, get(t, e, http.MethodGet, "/events?page=2"))
	if n := page2.Find(`[data-testid="events"] tbody tr`).Length(); n != 7 {
		t.Errorf("page 2 lists %d events, want the 7 seeded", n)
	}
	if page2.Find(`a[href="/en/events?page=2"]`).Length() == 0 {
		t.Error("page 2's language links do not keep the page")
	}
	for target, want := range map[string]int{"/events?page=3": http.StatusNotFound, "/events?page=x": http.StatusBadRequest,
		"/events?page=0": http.StatusBadRequest} {
		if rec := get(t, e, http.MethodGet, target); rec.Code != want {
			t.Errorf("GET %s = %d, want %d", target, rec.Code, want)
		}
	}
}
