package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// briefForm reads the confirmation page's form.
func briefForm(t *testing.T, v *visitor, target string) (url.Values, *goquery.Document) {
	t.Helper()
	rec := v.get(target)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d\n%s", target, rec.Code, rec.Body.String())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("confirmation page Cache-Control = %q: it holds a form token", cc)
	}
	doc := parse(t, rec)
	form := url.Values{}
	doc.Find(`form[data-testid="brief-form"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		form.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	if form.Get("_csrf") == "" || form.Get("answers") == "" {
		t.Fatalf("brief form lacks its token or answers: %v", form)
	}
	return form, doc
}

// makeBrief posts the form and returns the brief's token.
func makeBrief(t *testing.T, v *visitor, form url.Values) string {
	t.Helper()
	rec := v.post("/briefs", form)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/briefs/") {
		t.Fatalf("POST /briefs = %d %q\n%s", rec.Code, loc, rec.Body.String())
	}
	return strings.TrimPrefix(loc, "/briefs/")
}

func siteID(t *testing.T, db *gorm.DB, name string) int64 {
	t.Helper()
	var id int64
	if err := db.Raw("SELECT id FROM park_sites WHERE name = ?", name).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("site %s: %v", name, err)
	}
	return id
}

// The investor's path: the matcher's answer, a site from the finder, the
// brief, and the brief sent to the bureau with an inquiry.
func TestBriefFromMatcherAndSiteToInquiry(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	addSite(t, db, "hongshan-high-tech-park", "乙厂房", "standard_factory", "available", 6000, 12.5, nil, nil)
	e := newInquiryRouter(db)
	v := newVisitor(t, e, "203.0.113.20")

	rec := v.get("/match?region=chifeng&chain=chifeng-electronics&amount=2&unit=yi&space=5000&innovation_centre=national")
	if rec.Code != http.StatusOK {
		t.Fatalf("/match = %d", rec.Code)
	}
	match := parse(t, rec)
	sitesPath := match.Find(`a[data-testid="match-sites"]`).AttrOr("href", "")
	if !strings.Contains(sitesPath, "min_area=5000") || !strings.Contains(sitesPath, "brief=") {
		t.Fatalf("matcher's site link = %q", sitesPath)
	}
	if href := match.Find(`a[data-testid="match-brief"]`).AttrOr("href", ""); !strings.HasPrefix(href, "/briefs/new?") {
		t.Fatalf("matcher's brief link = %q", href)
	}
	sites := parse(t, v.get(sitesPath))
	briefPath := ""
	sites.Find(`[data-testid="site"]`).Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Find("h2").Text(), "乙厂房") {
			briefPath = s.Find(`a[data-testid="site-brief"]`).AttrOr("href", "")
		}
	})
	if !strings.Contains(briefPath, "site="+strconv.FormatInt(siteID(t, db, "乙厂房"), 10)) || !strings.Contains(briefPath, "innovation_centre=national") {
		t.Fatalf("the site's brief link keeps neither the site nor the answers: %q", briefPath)
	}

	form, confirm := briefForm(t, v, briefPath)
	if text := confirm.Find("main").Text(); !strings.Contains(text, "2亿元") || !strings.Contains(text, "乙厂房") {
		t.Errorf("confirmation page does not say what the brief holds:\n%s", text)
	}
	if n := countRows(t, db, "investor_briefs"); n != 0 {
		t.Fatalf("opening the confirmation stored %d briefs", n)
	}

	// No token: refused, nothing kept.
	noToken := url.Values{"answers": {form.Get("answers")}, "site": {form.Get("site")}}
	if rec := v.post("/briefs", noToken); rec.Code != http.StatusForbidden {
		t.Errorf("POST without CSRF token = %d, want 403", rec.Code)
	}
	token := makeBrief(t, v, form)
	if n := countRows(t, db, "investor_briefs"); n != 1 {
		t.Fatalf("%d briefs stored", n)
	}

	// The site changes after the brief was made: the brief keeps it as it was.
	if err := db.Exec("UPDATE park_sites SET name = '乙厂房(已出租)', status = 'taken' WHERE name = '乙厂房'").Error; err != nil {
		t.Fatal(err)
	}

	rec = v.get("/briefs/" + token)
	if rec.Code != http.StatusOK {
		t.Fatalf("brief = %d", rec.Code)
	}
	if rec.Header().Get("X-Robots-Tag") != "noindex" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("brief headers: %v", rec.Header())
	}
	doc := parse(t, rec)
	section := func(id string) string { return doc.Find(`[data-testid="` + id + `"]`).Text() }
	if h1 := doc.Find("h1").Text(); h1 != "投资简报:赤峰市" {
		t.Errorf("heading = %q", h1)
	}
	if addr := section("brief-address"); addr != "https://invest.example.gov.cn/briefs/"+token {
		t.Errorf("printed address = %q", addr)
	}
	figures := doc.Find(`[data-testid="brief-region"] [data-testid="figures"] tbody tr`)
	if figures.Length() == 0 || !strings.Contains(figures.First().Text(), "赤峰日报") {
		t.Errorf("region's figures with their sources missing: %q", section("brief-region"))
	}
	if place := section("brief-place"); !strings.Contains(place, "乙厂房") || strings.Contains(place, "已出租") ||
		doc.Find(`a[data-testid="brief-park"]`).AttrOr("href", "") != "/parks/hongshan-high-tech-park" {
		t.Errorf("brief's site is not the one chosen, as it was: %q", place)
	}
	if est := section("match-estimate"); !strings.Contains(est, "1000万元") || strings.Contains(est, "1500万元") {
		t.Errorf("brief's estimate = %q, want 1000万元", est)
	}
	if steps := section("brief-steps"); !strings.Contains(steps, "工业项目承诺即开工") || !strings.Contains(steps, "建设项目两月办") {
		t.Errorf("approval steps missing: %q", steps)
	}
	if doc.Find(`[data-testid="brief-contact"] .contact-name`).Length() == 0 {
		t.Errorf("no named contact: %q", section("brief-contact"))
	}
	send := doc.Find(`a[data-testid="brief-send"]`).AttrOr("href", "")
	if send != "/inquiries/new?brief="+token {
		t.Fatalf("send link = %q", send)
	}

	// In English, the same brief.
	en := parse(t, v.get("/en/briefs/"+token))
	if h1 := en.Find("h1").Text(); !strings.HasPrefix(h1, "Investor brief: ") {
		t.Errorf("English heading = %q", h1)
	}

	// Sent to the bureau: the form is pre-filled and the brief attached.
	inquiry, formDoc := v.openForm(send)
	if inquiry.Get("brief") != token || inquiry.Get("park") != "hongshan-high-tech-park" || inquiry.Get("region") != "chifeng" ||
		inquiry.Get("chain") != "chifeng-electronics" || inquiry.Get("unit") != "yi" {
		t.Errorf("inquiry form from the brief = %v", inquiry)
	}
	if amount := formDoc.Find(`input[name="amount"]`).AttrOr("value", ""); amount != "2" {
		t.Errorf("amount = %q", amount)
	}
	if msg := formDoc.Find(`textarea[name="message"]`).Text(); !strings.Contains(msg, "/briefs/"+token) {
		t.Errorf("message does not name the brief: %q", msg)
	}
	filled := validInquiry(inquiry)
	// A mistake elsewhere in the form keeps the brief attached.
	unnamed := validInquiry(inquiry)
	unnamed.Set("name", "")
	rec = v.post("/inquiries", unnamed)
	if rec.Code != http.StatusUnprocessableEntity || parse(t, rec).Find(`input[name="brief"]`).AttrOr("value", "") != token {
		t.Errorf("re-shown form lost its brief: %d", rec.Code)
	}
	if rec := v.post("/inquiries", filled); rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry = %d\n%s", rec.Code, rec.Body.String())
	}
	var stored models.Inquiry
	if err := db.Order("id DESC").Take(&stored).Error; err != nil {
		t.Fatal(err)
	}
	var brief models.InvestorBrief
	if err := db.Where("token = ?", token).Take(&brief).Error; err != nil {
		t.Fatal(err)
	}
	if stored.BriefID == nil || *stored.BriefID != brief.ID {
		t.Fatalf("inquiry's brief = %v, want %d", stored.BriefID, brief.ID)
	}

	// Staff see the brief beside the inquiry.
	staff, _ := staffAccount(t, db, e, models.RoleOfficer, "Zhao Lei", "198.51.100.7")
	page := parse(t, staff.get("/admin/inquiries/"+stored.Reference))
	if page.Find(`a[href="/briefs/`+token+`"]`).Length() == 0 {
		t.Errorf("staff inquiry page does not link the brief")
	}
}

func TestBriefBadInputs(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	addSite(t, db, "dingxiang-development-zone", "戊厂房", "standard_factory", "available", 5200, 8, nil, nil)
	e := newInquiryRouter(db)
	v := newVisitor(t, e, "203.0.113.30")
	codes := map[string]int{
		"/briefs/new": http.StatusUnprocessableEntity, // no region
		"/briefs/new?region=chifeng&amount=-3&unit=yi": http.StatusUnprocessableEntity,
		"/briefs/new?region=%3Cscript%3E":              http.StatusUnprocessableEntity,
		"/briefs/new?region=chifeng&site=abc":          http.StatusBadRequest,
		"/briefs/new?region=chifeng&site=-1":           http.StatusBadRequest,
		"/briefs/new?region=chifeng&site=999999":       http.StatusNotFound,
		"/briefs/not-a-token":                          http.StatusNotFound,
		"/briefs/AAAAAAAAAAAAAAAAAAAAAA":               http.StatusNotFound,
		"/briefs/%27%20OR%201%3D1--%20xxxxxxxxxxxx":    http.StatusNotFound,
	}
	for target, want := range codes {
		if rec := v.get(target); rec.Code != want {
			t.Errorf("GET %s = %d, want %d", target, rec.Code, want)
		}
	}
	doc := parse(t, v.get("/briefs/new?region=chifeng&amount=-3&unit=yi"))
	if doc.Find(`[data-testid="error-amount"]`).Length() != 1 {
		t.Errorf("the amount's message is not beside its field")
	}

	// A site outside the region asked about: the brief moves to the site's region.
	confirm := parse(t, v.get("/briefs/new?region=chifeng&site="+strconv.FormatInt(siteID(t, db, "戊厂房"), 10)))
	if text := confirm.Find(`[data-testid="facts"]`).First().Text(); !strings.Contains(text, "定襄") {
		t.Errorf("brief for a Dingxiang site is about %q", text)
	}

	form, _ := briefForm(t, v, "/briefs/new?region=chifeng")
	with := func(name, value string) url.Values {
		f := url.Values{}
		for k, vs := range form {
			f[k] = vs
		}
		f.Set(name, value)
		return f
	}
	posts := []struct {
		name, value string
		want        int
	}{
		{"answers", strings.Repeat("a", 2001), http.StatusBadRequest},
		{"answers", "region=chifeng&x=\xff", http.StatusBadRequest},
		{"answers", "%zz", http.StatusBadRequest},
		{"answers", "", http.StatusUnprocessableEntity},
		{"answers", "region=%3Cscript%3Ealert(1)%3C%2Fscript%3E", http.StatusUnprocessableEntity},
		{"answers", "region=chifeng&jobs=1e9", http.StatusUnprocessableEntity},
		{"site", "1 OR 1=1", http.StatusBadRequest},
		{"site", "99999999999999999999999", http.StatusBadRequest},
	}
	for _, p := range posts {
		rec := v.post("/briefs", with(p.name, p.value))
		if rec.Code != p.want {
			t.Errorf("POST %s=%.40q = %d, want %d", p.name, p.value, rec.Code, p.want)
		}
		if strings.Contains(rec.Body.String(), "<script>alert") {
			t.Errorf("POST %s=%.40q echoes a script", p.name, p.value)
		}
	}
	if n := countRows(t, db, "investor_briefs"); n != 0 {
		t.Fatalf("bad posts stored %d briefs", n)
	}

	// An inquiry naming a brief that does not exist is refused whole.
	inquiry, _ := v.openForm("/inquiries/new?brief=AAAAAAAAAAAAAAAAAAAAAA")
	if inquiry.Get("brief") != "" {
		t.Errorf("an unknown brief was put in the form")
	}
	for _, bad := range []string{"AAAAAAAAAAAAAAAAAAAAAA", "<script>", "' OR 1=1 --"} {
		f := validInquiry(inquiry)
		f.Set("brief", bad)
		if rec := v.post("/inquiries", f); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("inquiry with brief %q = %d, want 422", bad, rec.Code)
		}
	}
	if n := countRows(t, db, "inquiries"); n != 0 {
		t.Errorf("%d inquiries stored with a bad brief", n)
	}
}

func TestBriefsAreLimitedPerNetwork(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	v := newVisitor(t, e, "203.0.113.40")
	form, _ := briefForm(t, v, "/briefs/new?region=chifeng")
	makeBrief(t, v, form)
	// The network made the rest of its hour's briefs already.
	if err := db.Exec(`INSERT INTO investor_briefs (token, answers, region_id, client_key)
		SELECT substr(md5(g::text), 1, 22), answers, region_id, client_key FROM investor_briefs, generate_series(2, ?) g`,
		models.BriefsPerClientPerHour).Error; err != nil {
		t.Fatal(err)
	}
	rec := v.post("/briefs", form)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("brief over the limit = %d (Retry-After %q)", rec.Code, rec.Header().Get("Retry-After"))
	}
	if banner := parse(t, rec).Find(`[data-testid="banner"]`).Text(); banner == "" {
		t.Errorf("no message says why")
	}
	if n := countRows(t, db, "investor_briefs"); n != int64(models.BriefsPerClientPerHour) {
		t.Errorf("%d briefs after the limit", n)
	}
	// Another network is not held back.
	other := newVisitor(t, e, "198.51.100.40")
	otherForm, _ := briefForm(t, other, "/briefs/new?region=chifeng")
	makeBrief(t, other, otherForm)

	// An hour on, the network may make briefs again, and the keys of the
	// old ones are forgotten.
	dbtest.MustExec(t, db, "UPDATE investor_briefs SET created_at = created_at - interval '61 minutes'")
	makeBrief(t, v, form)
	var keyed int64
	db.Raw("SELECT count(*) FROM investor_briefs WHERE client_key IS NOT NULL").Scan(&keyed)
	if keyed != 1 {
		t.Errorf("%d briefs still keep their network, want only the newest", keyed)
	}
}
