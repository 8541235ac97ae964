package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"investportal/models/dbtest"
)

func policyTitles(doc *goquery.Document) []string {
	return doc.Find(`[data-testid="policies"] h2`).Map(func(_ int, s *goquery.Selection) string { return strings.TrimSpace(s.Text()) })
}

func TestPolicyFilters(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	// A Tongliao policy, to see that region filters tell regions apart.
	dbtest.MustExec(t, db, `INSERT INTO policies (slug, region_id, title, issuing_body, status, expires_on)
		SELECT 'tongliao-test-policy', id, '通辽市测试政策', '通辽市', 'published', '2020-12-31' FROM regions WHERE slug = 'tongliao'`)

	cases := []struct {
		query string
		want  int
		has   string
	}{
		{"", 5, ""},
		{"region=hongshan", 4, "电子装备及智能制造"}, // the city's policies apply in its districts
		{"region=tongliao", 1, "通辽市测试政策"},
		{"chain=chifeng-logistics", 1, "50多项"},
		{"benefit=one_time_award", 1, "电子装备及智能制造"},
		{"benefit=talent_award", 2, "人才引进政策"},
		{"validity=expired", 1, "通辽市测试政策"},
		{"validity=in_force", 4, ""},
		{"q=" + "%E7%89%A9%E6%B5%81", 2, "50多项"}, // 物流: two characters, in one title and one body
		{"q=%25", 0, ""},                   // a literal %, not a wildcard
		{"q=%27%20OR%201%3D1%20--", 0, ""}, // SQL metacharacters are only text
		{"sort=award", 5, ""},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			rec := get(t, e, http.MethodGet, "/policies?"+tc.query)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			titles := policyTitles(parse(t, rec))
			if len(titles) != tc.want {
				t.Fatalf("got %d policies %v, want %d", len(titles), titles, tc.want)
			}
			if tc.has != "" && !strings.Contains(strings.Join(titles, "|"), tc.has) {
				t.Errorf("%v lacks %q", titles, tc.has)
			}
		})
	}

	awards := policyTitles(parse(t, get(t, e, http.MethodGet, "/policies?sort=award")))
	if !strings.Contains(awards[0], "电子装备及智能制造") {
		t.Errorf("sorted by award, the first policy is %q", awards[0])
	}

	// The filter form keeps what was chosen, escaped.
	doc := parse(t, get(t, e, http.MethodGet, "/policies?q=%3Cscript%3E&region=hongshan"))
	if v, _ := doc.Find("#f-q").Attr("value"); v != "<script>" {
		t.Errorf("search box holds %q", v)
	}
	if v, _ := doc.Find("#f-region option[selected]").Attr("value"); v != "hongshan" {
		t.Errorf("selected region = %q", v)
	}
	if doc.Find("main script").Length() != 0 {
		t.Error("query text became markup")
	}
	if v, _ := doc.Find(`meta[name="robots"]`).Attr("content"); v != "noindex" {
		t.Error("a filtered list is open to search engines")
	}
}

func TestPolicyFiltersRejectBadValues(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))
	cases := map[string]string{
		"region=nowhere":                "找不到地区“nowhere”",
		"region=Not%20A%20Slug":         "“地区”的值",
		"benefit=cash":                  "“扶持方式”的值“cash”",
		"validity=forever":              "“有效状态”的值“forever”",
		"sort=random":                   "“排序”的值“random”",
		"q=%FF%FE":                      "“关键词”",
		"q=a%00b":                       "“关键词”",
		"q=" + strings.Repeat("x", 101): "最多100个字",
		"chain=nope&benefit=cash":       "找不到产业链“nope”",
	}
	for query, want := range cases {
		rec := get(t, e, http.MethodGet, "/policies?"+query)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", query, rec.Code)
			continue
		}
		if msg := parse(t, rec).Find(`[data-testid="error-page"]`).Text(); !strings.Contains(msg, want) {
			t.Errorf("%s: page says %q, want it to mention %q", query, strings.TrimSpace(msg), want)
		}
	}
	rec := get(t, e, http.MethodGet, "/en/policies?benefit=cash")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "is not understood") {
		t.Error("English filter error not in English")
	}
}

func TestPolicyPage(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))
	rec := get(t, e, http.MethodGet, "/policies/chifeng-electronics-intelligent-manufacturing-support")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	doc := parse(t, rec)
	rows := doc.Find(`[data-testid="benefits"] tbody tr`)
	if rows.Length() != 10 {
		t.Errorf("%d benefit rows, want 10", rows.Length())
	}
	first := rows.First().Text()
	for _, want := range []string{"制造业创新中心", "一次性奖励", "国家级", "1000万元"} {
		if !strings.Contains(first, want) {
			t.Errorf("first benefit row %q lacks %q", first, want)
		}
	}
	if !strings.Contains(doc.Find(`[data-testid="contacts"]`).Text(), "王利") {
		t.Error("no contact")
	}
	if doc.Find(`[data-testid="projects"] tbody tr`).Length() == 0 {
		t.Error("no related projects of the electronics chain")
	}
	en := get(t, e, http.MethodGet, "/en/policies/chifeng-electronics-intelligent-manufacturing-support").Body.String()
	if !strings.Contains(en, "10,000,000 yuan") || !strings.Contains(en, "One-time award") {
		t.Error("English policy page lacks the award in yuan")
	}
}

func TestParkAndChainPages(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	dbtest.MustExec(t, db, `INSERT INTO park_sites (park_id, position, name, kind, area_m2, rent_yuan_per_m2_month, status)
		SELECT id, 9, '3号标准厂房', 'standard_factory', 5000, 12.5, 'available' FROM parks WHERE slug = 'chifeng-high-tech-zone'`)

	doc := parse(t, get(t, e, http.MethodGet, "/parks"))
	if n := doc.Find(`[data-testid="parks"] li`).Length(); n != 13 {
		t.Errorf("parks index lists %d parks, want 13", n)
	}
	doc = parse(t, get(t, e, http.MethodGet, "/parks/chifeng-high-tech-zone"))
	sites := doc.Find(`[data-testid="sites"] tbody tr`)
	if sites.Length() != 2 || !strings.Contains(sites.First().Text(), "3号标准厂房") {
		t.Errorf("available site not listed first: %q", sites.First().Text())
	}
	if !strings.Contains(sites.First().Text(), "12.5元/平方米/月") {
		t.Errorf("rent not shown: %q", sites.First().Text())
	}
	if n := doc.Find(`[data-testid="children"] li`).Length(); n != 4 {
		t.Errorf("high-tech zone lists %d parks within, want 4", n)
	}
	// A park with its own officer shows that officer.
	doc = parse(t, get(t, e, http.MethodGet, "/parks/dingxiang-development-zone"))
	if got := doc.Find(`[data-testid="contacts"] .contact-name`).Text(); got != "宋海平" {
		t.Errorf("park contact = %q", got)
	}

	doc = parse(t, get(t, e, http.MethodGet, "/chains"))
	if n := doc.Find(`[data-testid="chains"] li`).Length(); n != 19 {
		t.Errorf("chains index lists %d chains, want 19", n)
	}
	doc = parse(t, get(t, e, http.MethodGet, "/chains/chifeng-electronics"))
	if n := doc.Find(`[data-testid="projects"] tbody tr`).Length(); n != 9 {
		t.Errorf("electronics chain lists %d projects, want 9", n)
	}
	if !strings.Contains(doc.Find(`[data-testid="policies"]`).Text(), "电子装备及智能制造") {
		t.Error("chain page does not link its policy")
	}
	for _, path := range []string{"/parks/none", "/chains/none", "/policies/none"} {
		if rec := get(t, e, http.MethodGet, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, rec.Code)
		}
	}
}

func TestPolicyListPages(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	dbtest.MustExec(t, db, `INSERT INTO policies (slug, region_id, title, issuing_body, status)
		SELECT 'extra-policy-' || g, (SELECT id FROM regions WHERE slug = 'tongliao'), '补充政策' || g, '通辽市', 'published'
		FROM generate_series(1, 30) g`)
	doc := parse(t, get(t, e, http.MethodGet, "/policies?region=tongliao"))
	if n := len(policyTitles(doc)); n != 20 {
		t.Errorf("first page shows %d policies, want 20", n)
	}
	if got := doc.Find(`[data-testid="count"]`).Text(); got != "共30项政策" {
		t.Errorf("count = %q, want the total of all pages", got)
	}
	next, _ := doc.Find(`[data-testid="pager"] a[rel="next"]`).Attr("href")
	if next != "/policies?page=2&region=tongliao" {
		t.Fatalf("next = %q", next)
	}
	if n := len(policyTitles(parse(t, get(t, e, http.MethodGet, next)))); n != 10 {
		t.Errorf("second page shows %d policies, want 10", n)
	}
	if rec := get(t, e, http.MethodGet, "/policies?region=tongliao&page=3"); rec.Code != http.StatusNotFound {
		t.Errorf("page past the end = %d, want 404", rec.Code)
	}
}

// The filters' choices are written once and kept; an edit to what they
// offer shows at the next request, with the visitor's choice still
// selected, in each language.
func TestKeptFilterChoicesFollowEdits(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	option := func(path, selectName string) (names []string, selected string) {
		t.Helper()
		doc := parse(t, get(t, e, http.MethodGet, path))
		doc.Find(`select[name="` + selectName + `"] option`).Each(func(_ int, o *goquery.Selection) {
			names = append(names, strings.TrimSpace(o.Text()))
			if _, ok := o.Attr("selected"); ok {
				selected = o.AttrOr("value", "")
			}
		})
		return names, selected
	}
	for _, path := range []string{"/policies?chain=chifeng-electronics", "/projects?chain=chifeng-electronics&min=1", "/sites?chain=chifeng-electronics&min_area=1"} {
		names, selected := option(path, "chain")
		if selected != "chifeng-electronics" || !slices.Contains(names, "电子信息与智能制造") {
			t.Fatalf("%s: chain choices %v, selected %q", path, names, selected)
		}
		option(path, "chain") // kept now
	}
	dbtest.MustExec(t, db, "UPDATE industry_chains SET name = '电子信息产业链(改名)' WHERE slug = 'chifeng-electronics'")
	for _, path := range []string{"/policies?chain=chifeng-electronics", "/projects?chain=chifeng-electronics&min=2", "/sites?chain=chifeng-electronics&min_area=2"} {
		names, selected := option(path, "chain")
		if selected != "chifeng-electronics" || !slices.Contains(names, "电子信息产业链(改名)") || slices.Contains(names, "电子信息与智能制造") {
			t.Errorf("%s after the edit: chain choices %v, selected %q", path, names, selected)
		}
		if names, _ := option("/zh-hant"+path, "chain"); !slices.Contains(names, "電子信息產業鏈(改名)") {
			t.Errorf("%s in Traditional after the edit: %v", path, names)
		}
	}
	if _, selected := option("/policies", "chain"); selected != "" {
		t.Errorf("another visitor's choice is selected: %q", selected)
	}
}
