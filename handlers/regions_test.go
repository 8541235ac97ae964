package handlers_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"investportal/models/dbtest"
)

func TestRegionPages(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)

	rec := get(t, e, http.MethodGet, "/regions")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /regions = %d", rec.Code)
	}
	doc := parse(t, rec)
	if n := doc.Find(`[data-testid="regions"] li`).Length(); n != 16 {
		t.Errorf("regions index lists %d regions, want the 16 seeded", n)
	}

	rec = get(t, e, http.MethodGet, "/regions/hongshan")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /regions/hongshan = %d", rec.Code)
	}
	doc = parse(t, rec)
	if got := strings.TrimSpace(doc.Find("h1").First().Contents().First().Text()); got != "红山区" {
		t.Errorf("h1 = %q", got)
	}
	crumbs := doc.Find(".breadcrumbs li").Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
	if strings.Join(crumbs, ">") != "地区>内蒙古自治区>赤峰市>红山区" {
		t.Errorf("breadcrumbs = %v", crumbs)
	}
	figures := doc.Find(`[data-testid="figures"]`).Text()
	for _, want := range []string{"开复工率", "61.3%", "赤峰日报"} {
		if !strings.Contains(figures, want) {
			t.Errorf("figures table lacks %q", want)
		}
	}
	// Hongshan has no officer of its own: the city's officer is shown.
	if got := doc.Find(`[data-testid="contacts"] .contact-name`).Text(); got != "王利" {
		t.Errorf("contact = %q, want the nearest region's officer 王利", got)
	}
	// The city's policies apply to its districts.
	if !strings.Contains(doc.Find(`[data-testid="policies"]`).Text(), "电子装备及智能制造产业扶持政策") {
		t.Error("the city's policy is not listed on the district's page")
	}
	if !strings.Contains(doc.Find(`[data-testid="project-totals"]`).Text(), "共") {
		t.Error("no project totals")
	}
	if doc.Find(`[data-testid="updated"] time[datetime]`).Length() != 1 {
		t.Error("no last-updated date")
	}

	// A city's projects include those of its districts.
	doc = parse(t, get(t, e, http.MethodGet, "/regions/chifeng"))
	if n := doc.Find(`[data-testid="projects"] tbody tr`).Length(); n < 10 {
		t.Errorf("Chifeng lists %d projects, want its districts' projects too", n)
	}
}

func TestRegionPagesInOtherLanguages(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))

	doc := parse(t, get(t, e, http.MethodGet, "/zh-hant/regions/taiyuan-xinzhou-zone"))
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hant" {
		t.Errorf("lang = %q", lang)
	}
	if got := doc.Find("h1").First().Text(); !strings.Contains(got, "太忻一體化經濟區") {
		t.Errorf("Traditional h1 = %q", got)
	}
	if got := doc.Find(".site-nav a").First().Text(); got != "首頁" {
		t.Errorf("Traditional navigation = %q", got)
	}

	doc = parse(t, get(t, e, http.MethodGet, "/en/regions/chifeng"))
	if got := doc.Find("h1").First().Contents().First().Text(); strings.TrimSpace(got) != "Chifeng" {
		t.Errorf("English h1 = %q", got)
	}
	if doc.Find(`[data-testid="partly-chinese"]`).Length() != 1 || doc.Find(".fallback-notice").Length() != 1 {
		t.Error("English page with Chinese descriptions does not say which parts are Chinese")
	}
	labels := strings.Join(doc.Find(`[data-testid="figures"] th[scope="row"]`).Map(func(_ int, s *goquery.Selection) string {
		return s.Contents().First().Text() // the label, without its source's name
	}), " | ")
	if regexp.MustCompile(`\p{Han}`).MatchString(labels) {
		t.Errorf("English figure labels hold Chinese: %q", labels)
	}
	if !strings.Contains(doc.Find(`[data-testid="figures"]`).Text(), "over 1 million people") {
		t.Error("English figures are not converted")
	}
	alternates := map[string]string{}
	doc.Find(`link[rel="alternate"]`).Each(func(_ int, s *goquery.Selection) {
		lang, _ := s.Attr("hreflang")
		href, _ := s.Attr("href")
		alternates[lang] = href
	})
	want := map[string]string{
		"zh-Hans":   "https://invest.example.gov.cn/regions/chifeng",
		"zh-Hant":   "https://invest.example.gov.cn/zh-hant/regions/chifeng",
		"en":        "https://invest.example.gov.cn/en/regions/chifeng",
		"x-default": "https://invest.example.gov.cn/regions/chifeng",
	}
	for lang, href := range want {
		if alternates[lang] != href {
			t.Errorf("hreflang %s = %q, want %q", lang, alternates[lang], href)
		}
	}
}

func TestRegionNotFound(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	dbtest.MustExec(t, db, "UPDATE regions SET status = 'draft' WHERE slug = 'harqin'")
	for _, path := range []string{"/regions/no-such-region", "/regions/UPPER", "/regions/a'or'1'='1", "/en/regions/harqin", "/regions/" + strings.Repeat("a", 200)} {
		rec := get(t, e, http.MethodGet, path)
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
	if rec := get(t, e, http.MethodGet, "/en/regions/no-such-region"); !strings.Contains(rec.Body.String(), "Page not found") {
		t.Error("the English 404 page is not in English")
	}
}

// A region with many policies lists the latest of them and links to the
// policy list filtered by the region, which has them all.
func TestRegionPageListsTheLatestPolicies(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	dbtest.MustExec(t, db, `INSERT INTO policies (slug, region_id, title, issuing_body, issued_on, summary, body, status)
		SELECT 'many-' || g, r.id, '测试政策第' || g || '号', '测试机关', date '2030-01-01' + g, '摘要', '正文', 'published'
		FROM generate_series(1, 20) g, regions r WHERE r.slug = 'chifeng'`)
	var applying int64
	db.Raw(`SELECT count(*) FROM policies p JOIN regions r ON r.id = p.region_id
		WHERE r.slug IN ('hongshan', 'chifeng', 'inner-mongolia') AND p.status = 'published' AND p.deleted_at IS NULL`).Scan(&applying)

	doc := parse(t, get(t, e, http.MethodGet, "/regions/hongshan"))
	items := doc.Find(`[data-testid="policies"] li`)
	if items.Length() != 12 {
		t.Errorf("%d policies listed, want the latest 12", items.Length())
	}
	if first := items.First().Find("a").Text(); first != "测试政策第20号" {
		t.Errorf("first listed %q, want the latest issued", first)
	}
	all := doc.Find(`[data-testid="all-policies"]`)
	if href, _ := all.Attr("href"); href != "/policies?region=hongshan" || !strings.Contains(all.Text(), "全部") {
		t.Errorf("link to all policies %q %q", href, all.Text())
	}
	if !strings.Contains(all.Text(), strconv.FormatInt(applying, 10)) {
		t.Errorf("link %q does not count the %d policies", all.Text(), applying)
	}
	if en, _ := parse(t, get(t, e, http.MethodGet, "/en/regions/hongshan")).Find(`[data-testid="all-policies"]`).Attr("href"); en != "/en/policies?region=hongshan" {
		t.Errorf("English link %q", en)
	}
}

// A region's article is written once and kept, but only while everything
// it shows is unchanged: an edit to a project, a contact, a policy or a
// figure of the region shows at the very next request, in every language.
func TestRegionArticleFollowsEveryEdit(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	for _, path := range []string{"/regions/chifeng", "/en/regions/chifeng"} {
		get(t, e, http.MethodGet, path) // written and kept
	}
	edits := []struct{ sql, want string }{
		{`UPDATE projects SET name = '改名的赤峰项目' WHERE id = (SELECT p.id FROM projects p JOIN regions r ON r.id = p.region_id
			WHERE r.slug = 'hongshan' AND p.status = 'published' ORDER BY p.signed_on DESC NULLS LAST, p.id DESC LIMIT 1)`, "改名的赤峰项目"},
		{`UPDATE contacts SET name = '新联系人', name_en = 'New Contact' WHERE region_id = (SELECT id FROM regions WHERE slug = 'chifeng')`, "新联系人"},
		{`UPDATE policies SET title = '改名的赤峰政策' WHERE id = (SELECT id FROM policies
			WHERE region_id = (SELECT id FROM regions WHERE slug = 'chifeng') ORDER BY issued_on DESC NULLS LAST, id DESC LIMIT 1)`, "改名的赤峰政策"},
		{`UPDATE region_figures SET label = '改名的指标' WHERE id = (SELECT min(id) FROM region_figures
			WHERE region_id = (SELECT id FROM regions WHERE slug = 'chifeng'))`, "改名的指标"},
	}
	for _, edit := range edits {
		dbtest.MustExec(t, db, edit.sql)
		if body := get(t, e, http.MethodGet, "/regions/chifeng").Body.String(); !strings.Contains(body, edit.want) {
			t.Errorf("after %q the region page does not show %q", edit.sql, edit.want)
		}
	}
	// The English page follows too.
	if body := get(t, e, http.MethodGet, "/en/regions/chifeng").Body.String(); !strings.Contains(body, "New Contact") {
		t.Error("the English region page kept the old contact")
	}
}
