package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
)

// addSite puts a site in a park, as an editor would.
func addSite(t *testing.T, db *gorm.DB, park, name, kind, status string, area float64, rent, priceWan any, ready any) {
	t.Helper()
	err := db.Exec(`INSERT INTO park_sites (park_id, position, name, kind, area_m2, rent_yuan_per_m2_month, sale_price_yuan, ready_on, status)
		SELECT p.id, coalesce((SELECT max(position) + 1 FROM park_sites WHERE park_id = p.id), 0), ?, ?, ?, ?, ? * 10000, CAST(? AS date), ?
		FROM parks p WHERE p.slug = ?`, name, kind, area, rent, priceWan, ready, status, park).Error
	if err != nil {
		t.Fatal(err)
	}
}

func siteNames(doc *goquery.Document) []string {
	return doc.Find(`[data-testid="site"] h2`).Map(func(_ int, s *goquery.Selection) string {
		return strings.Fields(s.Text())[0]
	})
}

func TestSiteFinder(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	addSite(t, db, "hongshan-high-tech-park", "甲地块", "land", "available", 20000, nil, 800, nil)
	addSite(t, db, "hongshan-high-tech-park", "乙厂房", "standard_factory", "available", 5000, 12.5, nil, nil)
	addSite(t, db, "chifeng-high-tech-zone", "丙厂房", "standard_factory", "under_construction", 6000, 9, nil, "2031-06-30")
	addSite(t, db, "hongshan-logistics-park", "丁仓储", "standard_factory", "available", 8000, 15, nil, nil)
	addSite(t, db, "dingxiang-development-zone", "戊厂房", "standard_factory", "available", 5200, 8, nil, "2027-03-01")
	addSite(t, db, "dingxiang-development-zone", "己办公", "office", "reserved", 300, 40, nil, nil)
	e := newRouter(db)
	find := func(query string) *goquery.Document {
		t.Helper()
		rec := get(t, e, http.MethodGet, "/sites?"+query)
		if rec.Code != http.StatusOK {
			t.Fatalf("/sites?%s = %d", query, rec.Code)
		}
		return parse(t, rec)
	}
	cases := []struct {
		query string
		want  string // names in order
	}{
		{"", "乙厂房 戊厂房 丁仓储 甲地块"}, // available only, smallest first
		{"status=any&sort=area_desc", "高新区标准化厂房(建设中) 专业园区标准化厂房 甲地块 丁仓储 丙厂房 戊厂房 乙厂房 己办公"},
		{"kind=standard_factory&min_area=5000&max_area=6000", "乙厂房 戊厂房"},
		{"region=chifeng", "乙厂房 丁仓储 甲地块"}, // Chifeng and the regions below it
		{"region=hongshan&status=under_construction", ""},
		{"chain=chifeng-electronics&status=any", "乙厂房 丙厂房 甲地块 专业园区标准化厂房 高新区标准化厂房(建设中)"},
		{"park_kind=development_zone&status=any", "己办公 戊厂房"},
		{"park=dingxiang-development-zone&status=any", "己办公 戊厂房"},
		{"park=hongshan-high-tech-park", "乙厂房 甲地块"},
		{"max_rent=12.5&sort=rent", "戊厂房 乙厂房"},
		{"max_price=1000", "甲地块"},
		{"max_price=799.99", ""},
		{"ready_by=2027-12-31&status=any&sort=ready", "乙厂房 丁仓储 甲地块 戊厂房"},
		{"ready_by=2031-12-31&status=under_construction", "丙厂房"},
	}
	for _, c := range cases {
		got := strings.Join(siteNames(find(c.query)), " ")
		if got != c.want {
			t.Errorf("/sites?%s = %q, want %q", c.query, got, c.want)
		}
	}

	// Each result: its park, region and contact, the policies in force
	// there, and links to the matcher and the inquiry form.
	doc := find("region=chifeng&kind=land&chain=chifeng-electronics")
	site := doc.Find(`[data-testid="site"]`).First()
	if site.Find(`a[data-testid="site-park"]`).AttrOr("href", "") != "/parks/hongshan-high-tech-park" ||
		!strings.Contains(site.Text(), "红山区") || !strings.Contains(site.Text(), "2万平方米") || !strings.Contains(site.Text(), "800万元") {
		t.Errorf("land result: %s", site.Text())
	}
	if !strings.Contains(site.Find(`[data-testid="site-policies"]`).Text(), "赤峰市") {
		t.Errorf("Chifeng's policies are not shown: %s", site.Find(`[data-testid="site-policies"]`).Text())
	}
	if href := site.Find(`a[data-testid="site-match"]`).AttrOr("href", ""); href != "/match?chain=chifeng-electronics&region=hongshan" {
		t.Errorf("matcher link %q", href)
	}
	if href := site.Find(`a[data-testid="site-inquiry"]`).AttrOr("href", ""); href != "/inquiries/new?park=hongshan-high-tech-park" {
		t.Errorf("inquiry link %q", href)
	}
	if !strings.Contains(find("park_kind=development_zone&status=any").Text(), "宋海平") {
		t.Error("the park's named officer is not shown")
	}
	// Nothing available: a link widens the search to every status.
	doc = find("region=hongshan&kind=office")
	if href := doc.Find(`a[data-testid="all-statuses"]`).AttrOr("href", ""); !strings.Contains(href, "status=any") || !strings.Contains(href, "kind=office") {
		t.Errorf("widen link %q", href)
	}
	// A draft park's sites are not shown.
	db.Exec(`UPDATE parks SET status = 'draft' WHERE slug = 'dingxiang-development-zone'`)
	if got := siteNames(parse(t, get(t, newRouter(db), http.MethodGet, "/sites?status=any"))); strings.Contains(strings.Join(got, " "), "戊厂房") {
		t.Errorf("a draft park's site is listed: %v", got)
	}

	for _, bad := range []string{"min_area=abc", "min_area=-1", "max_area=1.234", "min_area=9000&max_area=10", "max_rent=%3Cscript%3E",
		"max_price=1e9", "ready_by=31.12.2027", "ready_by=2027-02-30", "kind=castle", "status=gone", "sort=id%3BDROP%20TABLE%20parks",
		"region=atlantis", "region=%FF", "chain=nope", "park_kind=moon", "park=atlantis", "park=%3Cscript%3E", "park=%27%20OR%201%3D1--", "page=0", "page=x"} {
		rec := get(t, e, http.MethodGet, "/sites?"+bad)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("/sites?%s = %d, want 400", bad, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("/sites?%s echoes a script", bad)
		}
	}
	if rec := get(t, e, http.MethodGet, "/en/sites?status=any"); !strings.Contains(rec.Body.String(), "Site finder") {
		t.Error("English site finder")
	}
}

// A park with many sites lists the first, available first, and links to
// the site finder showing all of them; one with few lists them all.
func TestAParkPageListsItsFirstSites(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	for i := range 14 {
		status := "taken"
		if i%5 == 4 {
			status = "available"
		}
		addSite(t, db, "hongshan-logistics-park", "场地"+strconv.Itoa(i), "land", status, float64(1000+i), nil, nil, nil)
	}
	e := newRouter(db)
	doc := parse(t, get(t, e, http.MethodGet, "/parks/hongshan-logistics-park"))
	rows := doc.Find(`[data-testid="sites"] tbody tr`)
	if rows.Length() != models.ParkSitesShown || !strings.Contains(rows.First().Text(), "场地4") || !strings.Contains(rows.Eq(1).Text(), "场地9") {
		t.Errorf("%d rows, first %q, second %q: want %d, the available first", rows.Length(), rows.First().Text(), rows.Eq(1).Text(), models.ParkSitesShown)
	}
	all := doc.Find(`a[data-testid="all-sites"]`)
	if href := all.AttrOr("href", ""); href != "/sites?park=hongshan-logistics-park&status=any" || !strings.Contains(all.Text(), "14") {
		t.Fatalf("link to every site: %q %q", href, all.Text())
	}
	listed := parse(t, get(t, e, http.MethodGet, all.AttrOr("href", "")))
	if n := len(siteNames(listed)); n != 14 || !strings.Contains(listed.Find("main").Text(), "14") {
		t.Errorf("the site finder lists %d of the park's sites", n)
	}
	if doc := parse(t, get(t, e, http.MethodGet, "/parks/hongshan-high-tech-park")); doc.Find(`a[data-testid="all-sites"]`).Length() != 0 {
		t.Error("a park whose sites are all shown links to more")
	}
}

// Editors keep a park's sites in the admin; a site without area is refused.
func TestEditorKeepsParkSites(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.90")
	var id int64
	db.Raw(`SELECT id FROM parks WHERE slug = 'songshan-it-park'`).Scan(&id)
	path := "/admin/parks/" + strconv.FormatInt(id, 10)
	form := editor.openContentForm(path)
	site := url.Values{"park_sites.0.name": {"松山新建厂房"}, "park_sites.0.kind": {"standard_factory"}, "park_sites.0.area_m2": {"0"},
		"park_sites.0.rent_yuan_per_m2_month": {"10.5"}, "park_sites.0.ready_on": {"2027-05-01"}, "park_sites.0.status": {"available"}}
	for k, v := range site {
		form[k] = v
	}
	if rec := editor.post(path, form); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "大于 0") {
		t.Fatalf("area 0 = %d", rec.Code)
	}
	form.Set("park_sites.0.area_m2", "12,000")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", rec.Code, rec.Body.String())
	}
	doc := parse(t, get(t, e, http.MethodGet, "/sites?region=songshan"))
	if got := siteNames(doc); len(got) != 1 || got[0] != "松山新建厂房" {
		t.Fatalf("after the edit: %v", got)
	}
	if !strings.Contains(doc.Text(), "10.5元/平方米/月") || !strings.Contains(doc.Text(), "1.2万平方米") {
		t.Errorf("the site's figures: %s", doc.Find(`[data-testid="site"]`).Text())
	}
}

// With a content watch, the finder searches the sites in memory once it
// has read them, and an edit shows at the next search all the same.
func TestSiteFinderSearchesInMemoryAndFollowsEdits(t *testing.T) {
	db, dbURL := dbtest.NewWithURL(t, dbtest.Seeded)
	addSite(t, db, "hongshan-high-tech-park", "甲地块", "land", "available", 20000, nil, 800, nil)
	w := watched(t, dbURL)
	e, _ := cachingRouter(db, w)
	// Each search new, so that the page cache holds none of them.
	n := 0
	fresh := func(query string) string {
		t.Helper()
		n++
		rec := get(t, e, http.MethodGet, "/sites?"+query+"&min_area="+strconv.Itoa(n))
		if rec.Code != http.StatusOK {
			t.Fatalf("/sites?%s = %d", query, rec.Code)
		}
		return strings.Join(siteNames(parse(t, rec)), " ")
	}
	inMemory := func() bool { return handlers.SitesInMemory(e) }
	silently := func(sql string) { // triggers off: no version, nobody hears
		t.Helper()
		err := db.Transaction(func(tx *gorm.DB) error {
			tx.Exec("SET LOCAL session_replication_role = replica")
			return tx.Exec(sql).Error
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	if got := fresh("kind=land"); got != "甲地块" {
		t.Fatalf("first search: %q", got)
	}
	waitFor(t, 10*time.Second, "the sites to be read into memory", inMemory)
	silently("UPDATE park_sites SET name = '无声地块' WHERE name = '甲地块'")
	for range 3 {
		if got := fresh("kind=land"); got != "甲地块" {
			t.Fatalf("the answer did not come from memory: %q", got)
		}
	}

	// An edit heard of shows at the very next search, and from memory after.
	announcedEdit(t, db, w, "UPDATE park_sites SET name = '乙地块', area_m2 = 30000 WHERE name = '无声地块'")
	if got := fresh("kind=land&max_area=40000"); got != "乙地块" {
		t.Fatalf("the search after the edit: %q", got)
	}
	waitFor(t, 10*time.Second, "the sites to be read again", inMemory)
	if got := fresh("kind=land"); got != "乙地块" {
		t.Fatalf("from memory after the edit: %q", got)
	}
	announcedEdit(t, db, w, "UPDATE parks SET status = 'draft' WHERE slug = 'hongshan-high-tech-park'")
	if got := fresh("kind=land"); got != "" {
		t.Fatalf("a site of a park made a draft is still found: %q", got)
	}
}
