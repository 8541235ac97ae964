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
