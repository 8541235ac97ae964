package handlers_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"investportal/handlers"
	"investportal/models/dbtest"
)

func searchGroups(doc *goquery.Document) map[string][]string {
	groups := map[string][]string{}
	doc.Find(`[data-testid="search-group"]`).Each(func(_ int, g *goquery.Selection) {
		heading := strings.TrimSpace(g.Find("h2").Text())
		groups[heading] = g.Find("li a").Map(func(_ int, a *goquery.Selection) string { return a.Text() })
	})
	return groups
}

func TestSearch(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	search := func(prefix, q string) *goquery.Document {
		t.Helper()
		rec := get(t, e, http.MethodGet, prefix+"/search?q="+url.QueryEscape(q))
		if rec.Code != http.StatusOK {
			t.Fatalf("search %q = %d", q, rec.Code)
		}
		return parse(t, rec)
	}

	// Two Chinese characters find what contains them, grouped by type.
	groups := searchGroups(search("", "电子"))
	if !strings.Contains(strings.Join(groups["政策(2)"], "|"), "电子装备及智能制造") {
		t.Errorf("电子: policies group = %v (all: %v)", groups["政策(2)"], groups)
	}
	if len(groups["项目(9)"]) == 0 && len(groups["项目(10)"]) == 0 {
		found := false
		for h := range groups {
			found = found || strings.HasPrefix(h, "项目(")
		}
		if !found {
			t.Errorf("电子 finds no projects: %v", groups)
		}
	}
	groups = searchGroups(search("", "物流"))
	if len(groups["园区(2)"]) != 2 {
		t.Errorf("物流: parks = %v", groups)
	}

	// A Simplified query finds the Traditional article and the other way round.
	groups = searchGroups(search("", "太忻一体化"))
	if !strings.Contains(strings.Join(groups["新闻(1)"], ""), "太忻一体化经济区强势起步") {
		t.Errorf("太忻一体化 does not find the Traditional article: %v", groups)
	}
	groups = searchGroups(search("/zh-hant", "紅山區"))
	found := false
	for heading, hits := range groups {
		found = found || (strings.HasPrefix(heading, "地區") && strings.Contains(strings.Join(hits, ""), "紅山區"))
	}
	if !found {
		t.Errorf("紅山區 on the Traditional page finds no region: %v", groups)
	}

	// Drafts are not found.
	dbtest.MustExec(t, db, "UPDATE policies SET status = 'draft' WHERE slug = 'chifeng-talent-programmes'")
	for heading := range searchGroups(search("", "玉龙人才工程")) {
		if strings.HasPrefix(heading, "政策") {
			t.Errorf("a draft policy was found: %s", heading)
		}
	}
	// A literal % matches only text with a % in it, not everything.
	for heading := range searchGroups(search("", "%")) {
		if heading == "新闻(5)" || strings.HasPrefix(heading, "项目") {
			t.Errorf("%% acted as a wildcard: %s", heading)
		}
	}
	// Wildcards and SQL are only text.
	for _, q := range []string{"_", "' OR 1=1 --", "<script>alert(1)</script>"} {
		doc := search("", q)
		if n := doc.Find(`[data-testid="search-group"]`).Length(); n != 0 {
			t.Errorf("%q found %d groups, want none", q, n)
		}
		if doc.Find("main script").Length() != 0 {
			t.Errorf("%q became markup", q)
		}
	}
	if rec := get(t, e, http.MethodGet, "/search?q="+strings.Repeat("长", 101)); rec.Code != http.StatusBadRequest {
		t.Errorf("101-character query = %d, want 400", rec.Code)
	}
	if rec := get(t, e, http.MethodGet, "/search?q=%C3%28"); rec.Code != http.StatusBadRequest {
		t.Errorf("invalid UTF-8 query = %d, want 400", rec.Code)
	}
}

func TestSitemapAndRobots(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	dbtest.MustExec(t, db, "UPDATE projects SET status = 'draft' WHERE slug = 'victory-mall'")

	rec := get(t, e, http.MethodGet, "/sitemap.xml")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "xml") {
		t.Fatalf("sitemap = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	var set struct {
		URLs []struct {
			Loc string `xml:"loc"`
		} `xml:"url"`
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatalf("sitemap is not XML: %v", err)
	}
	locs := map[string]bool{}
	for _, u := range set.URLs {
		locs[u.Loc] = true
	}
	for _, want := range []string{
		"https://invest.example.gov.cn/", "https://invest.example.gov.cn/en",
		"https://invest.example.gov.cn/regions/chifeng", "https://invest.example.gov.cn/zh-hant/policies/chifeng-electronics-intelligent-manufacturing-support",
		"https://invest.example.gov.cn/en/news/2023-tongliao-projects",
	} {
		if !locs[want] {
			t.Errorf("sitemap lacks %s", want)
		}
	}
	if locs["https://invest.example.gov.cn/projects/victory-mall"] {
		t.Error("sitemap lists a draft")
	}
	robots := get(t, e, http.MethodGet, "/robots.txt").Body.String()
	if !strings.Contains(robots, "Sitemap: https://invest.example.gov.cn/sitemap.xml") {
		t.Errorf("robots.txt = %q", robots)
	}
}

func TestEveryNavigationLinkWorks(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))
	seen := map[string]bool{}
	queue := []string{"/", "/en", "/zh-hant"}
	// Follow every internal link of the seeded site once: none may be broken.
	for len(queue) > 0 && len(seen) < 600 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		rec := get(t, e, http.MethodGet, path)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d", path, rec.Code)
			continue
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
			continue
		}
		parse(t, rec).Find("a[href]").Each(func(_ int, a *goquery.Selection) {
			href, _ := a.Attr("href")
			if strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "//") && !strings.Contains(href, "#") {
				if !seen[href] {
					queue = append(queue, href)
				}
			}
		})
	}
	if len(seen) < 100 {
		t.Errorf("crawled only %d pages", len(seen))
	}
}

// A common term stops being counted past models.SearchCountCap, says so
// ("501+"), and still shows the newest hits first.
func TestSearchCapsTheCountOfACommonTerm(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	dbtest.MustExec(t, db, `INSERT INTO projects (slug, name, investor, region_id, category, build_type, stage, summary, status)
		SELECT 'common-' || g, '常见项目' || g, '某公司', (SELECT min(id) FROM regions), 'industry', 'new', 'signed', '', 'published'
		FROM generate_series(1, 700) g`)
	e := newRouter(db)
	doc := parse(t, get(t, e, http.MethodGet, "/search?q="+url.QueryEscape("常见")))
	groups := searchGroups(doc)
	hits, ok := groups["项目(501+)"]
	if !ok {
		t.Fatalf("groups = %v, want 项目(501+)", groups)
	}
	if len(hits) != 10 || !strings.Contains(hits[0], "常见项目700") {
		t.Errorf("the hits are not the newest ten: %v", hits)
	}
	if summary := doc.Find(`[data-testid="count"]`).Text(); !strings.Contains(summary, "+") {
		t.Errorf("the summary does not say the count is capped: %q", summary)
	}
	// A longer query is checked again with ILIKE. When the first
	// candidates of the gram index fail that check (their pairs are there,
	// the words are not), the newest hits still show, and the count says
	// at least as many.
	dbtest.MustExec(t, db, `INSERT INTO projects (slug, name, investor, region_id, category, build_type, stage, summary, status)
		SELECT 'near-' || g, '近似' || g, '某公司', (SELECT min(id) FROM regions), 'industry', 'new', 'signed', '罕见 见词 词组', 'published'
		FROM generate_series(1, 600) g`)
	dbtest.MustExec(t, db, `INSERT INTO projects (slug, name, investor, region_id, category, build_type, stage, summary, status)
		SELECT 'rare-' || g, '罕见词组项目' || g, '某公司', (SELECT min(id) FROM regions), 'industry', 'new', 'signed', '', 'published'
		FROM generate_series(1, 20) g`)
	groups = searchGroups(parse(t, get(t, e, http.MethodGet, "/search?q="+url.QueryEscape("罕见词组"))))
	found := false
	for heading, hits := range groups {
		found = found || strings.HasPrefix(heading, "项目")
		if strings.HasPrefix(heading, "项目") && (len(hits) != 10 || !strings.Contains(hits[0], "罕见词组项目20")) {
			t.Errorf("罕见词组: %s with %d hits %v", heading, len(hits), hits)
		}
	}
	if !found {
		t.Errorf("罕见词组 shows no projects: %v", groups)
	}
}

// A search page kept by the page cache while the index answered it from
// memory is dropped by an edit of what it found, and the next view shows
// the edit; the index's answers are then served from memory again.
func TestACachedSearchFollowsAnEdit(t *testing.T) {
	db, dbURL := dbtest.NewWithURL(t, dbtest.Seeded)
	w := watched(t, dbURL)
	e, stats := cachingRouter(db, w)
	index := handlers.SearchIndexOf[e]
	page := "/search?q=" + url.QueryEscape("赤峰")
	waitFor(t, 10*time.Second, "the search index to read every type", func() bool {
		get(t, e, http.MethodGet, "/search?q="+url.QueryEscape("预热"))
		return index.InMemory()
	})
	before := get(t, e, http.MethodGet, page).Body.String()
	if _, hit := fromMemory(t, e, stats, page); !hit {
		t.Fatal("the second view was not served from memory")
	}
	announcedEdit(t, db, w, "UPDATE news_articles SET title = '赤峰新闻的新标题' WHERE id = (SELECT min(id) FROM news_articles)")
	after, hit := fromMemory(t, e, stats, page)
	if hit || after.Body.String() == before || !strings.Contains(after.Body.String(), "赤峰新闻的新标题") {
		t.Fatal("the search page kept from before the edit was served")
	}
	waitFor(t, 10*time.Second, "the search index to read the edit", func() bool { return index.InMemory() })
	if !strings.Contains(get(t, e, http.MethodGet, "/search?q="+url.QueryEscape("新标题")).Body.String(), "赤峰新闻的新标题") {
		t.Fatal("the index read again does not find the edit")
	}
}
