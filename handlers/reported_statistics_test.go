package handlers_test

import (
	"encoding/json"
	"maps"
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

const reportedAdmin = "/admin/reported-statistics"

func init() {
	readers, editors := models.StaffRoles, []string{models.RoleAdmin, models.RoleEditor}
	adminAccess["GET "+reportedAdmin] = readers
	adminAccess["GET "+reportedAdmin+"/new"] = editors
	adminAccess["POST "+reportedAdmin] = editors
	adminAccess["GET "+reportedAdmin+"/:id"] = readers
	adminAccess["POST "+reportedAdmin+"/:id"] = editors
	adminAccess["GET "+reportedAdmin+"/:id/delete"] = editors
	adminAccess["POST "+reportedAdmin+"/:id/delete"] = editors
	adminAccess["POST "+reportedAdmin+"/:id/restore"] = editors
	adminAccess["GET "+reportedAdmin+"/:id/preview"] = readers
	adminAccess["GET "+reportedAdmin+"/:id/history"] = readers
}

// reportedRow finds a reported statistic's row on a page by its slug.
func reportedRow(t *testing.T, doc *goquery.Document, slug string) *goquery.Selection {
	t.Helper()
	row := doc.Find(`[data-testid="reported-statistics"] tr#` + slug)
	if row.Length() != 1 {
		t.Fatalf("no row %s in the reported statistics", slug)
	}
	return row
}

func cellText(row *goquery.Selection, testid string) string {
	return strings.Join(strings.Fields(row.Find(`[data-testid="`+testid+`"]`).Text()), " ")
}

func TestRegionPageShowsReportedBesideComputed(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	// One Hongshan project reported on in 2021 gets a planned investment
	// over the article's 100万元 threshold; the other three have none.
	dbtest.MustExec(t, db, "UPDATE projects SET planned_investment_yuan = 2000000 WHERE slug = 'jiutong-logistics-iot-warehouse'")
	e := newRouter(db)

	rec := get(t, e, http.MethodGet, "/regions/hongshan")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /regions/hongshan = %d", rec.Code)
	}
	doc := parse(t, rec)
	section := doc.Find(`section[aria-labelledby="reported"]`)
	if got := strings.TrimSpace(section.Find("h2").Text()); got != "公布数据与本站记录" {
		t.Errorf("section heading = %q", got)
	}
	headers := doc.Find(`[data-testid="reported-statistics"] thead th`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if strings.Join(headers, "|") != "指标|地区|统计期|公布数据|本站记录计算|差异" {
		t.Errorf("headers = %v: each side must be labelled for what it is", headers)
	}
	if n := doc.Find(`[data-testid="reported-row"]`).Length(); n != 25 {
		t.Errorf("%d rows, want Hongshan's 25 reported statistics", n)
	}

	// 181 projects reported; one on record here meets the threshold, three
	// more are on record without a planned investment and are not counted.
	row := reportedRow(t, doc, "hongshan-2021-projects")
	if got := cellText(row, "reported-value"); !strings.Contains(got, "181个") || !strings.Contains(got, "来源: 赤峰日报") {
		t.Errorf("reported cell = %q", got)
	}
	if href, _ := row.Find(`[data-testid="reported-value"] a`).Attr("href"); href != "/news/2021-hongshan-projects" {
		t.Errorf("source link = %q", href)
	}
	if got := cellText(row, "computed-value"); !strings.Contains(got, "1个") || !strings.Contains(got, "本站记录 1 个项目") ||
		!strings.Contains(got, "另有 3 个项目未录入计划总投资,无法判断是否达到门槛,未计入") {
		t.Errorf("computed cell = %q", got)
	}
	if got := cellText(row, "difference"); got != "本站记录比公布数据少 180个" {
		t.Errorf("difference = %q", got)
	}
	if got := cellText(row, "reported-scope"); got != "(计划总投资100万元以上)" {
		t.Errorf("scope = %q", got)
	}
	if got := strings.Join(strings.Fields(row.Find("td").Eq(1).Text()), " "); !strings.Contains(got, "2021年1月1日至2021年10月17日") {
		t.Errorf("period = %q", got)
	}
	// The one project is under construction: a start rate of 100%.
	row = reportedRow(t, doc, "hongshan-2021-start-rate")
	if got := cellText(row, "computed-value"); !strings.HasPrefix(got, "100%") {
		t.Errorf("computed start rate = %q", got)
	}
	if got := cellText(row, "difference"); got != "本站记录比公布数据多 38.7个百分点" {
		t.Errorf("start rate difference = %q", got)
	}
	// The computed side is memoised, and follows an edit at the next
	// request: the project back at signing, a start rate of 0%.
	var stage string
	db.Raw("SELECT stage FROM projects WHERE slug = 'jiutong-logistics-iot-warehouse'").Scan(&stage)
	dbtest.MustExec(t, db, "UPDATE projects SET stage = 'signed' WHERE slug = 'jiutong-logistics-iot-warehouse'")
	edited := parse(t, get(t, e, http.MethodGet, "/regions/hongshan"))
	if got := cellText(reportedRow(t, edited, "hongshan-2021-start-rate"), "computed-value"); !strings.HasPrefix(got, "0%") {
		t.Errorf("computed start rate after the edit = %q", got)
	}
	dbtest.MustExec(t, db, "UPDATE projects SET stage = ? WHERE slug = 'jiutong-logistics-iot-warehouse'", stage)
	row = reportedRow(t, doc, "hongshan-2021-completed")
	if got := cellText(row, "reported-value"); !strings.Contains(got, "35.7亿元") {
		t.Errorf("completed investment = %q", got)
	}
	// No industrial project meets the 5000万元 threshold: nothing to divide by.
	row = reportedRow(t, doc, "hongshan-2021-key-industrial-start-rate")
	if got := cellText(row, "computed-value"); got != "本站没有符合条件的项目记录,无法计算" || cellText(row, "difference") != "" {
		t.Errorf("key industrial start rate: computed %q, difference %q", got, cellText(row, "difference"))
	}

	// The city's page shows its districts' figures; Tongliao's funds in
	// place have no computed counterpart, and say so rather than show 0.
	doc = parse(t, get(t, e, http.MethodGet, "/regions/chifeng"))
	reportedRow(t, doc, "hongshan-2021-projects")
	if doc.Find(`tr#tongliao-2022-2023-funds-in-place`).Length() != 0 {
		t.Error("Tongliao's figures on Chifeng's page")
	}
	doc = parse(t, get(t, e, http.MethodGet, "/regions/tongliao"))
	row = reportedRow(t, doc, "tongliao-2022-2023-funds-in-place")
	if got := cellText(row, "computed-value"); got != "本站不记录此项,不作计算" || strings.Contains(got, "0") {
		t.Errorf("funds in place computed = %q", got)
	}
	row = reportedRow(t, doc, "tongliao-2022-2023-signed-amount")
	if got := cellText(row, "reported-value"); !strings.Contains(got, "3762.2亿元") {
		t.Errorf("Tongliao signed amount = %q", got)
	}
	if got := cellText(row, "reported-scope"); got != "(期内新签约 · 签约额1000万元以上)" {
		t.Errorf("Tongliao scope = %q", got)
	}
	// A region with no reported statistics has no such section.
	doc = parse(t, get(t, e, http.MethodGet, "/regions/yangqu"))
	if doc.Find(`section[aria-labelledby="reported"]`).Length() != 0 {
		t.Error("an empty reported-statistics section")
	}

	// Traditional and English.
	doc = parse(t, get(t, e, http.MethodGet, "/zh-hant/regions/hongshan"))
	if got := doc.Find(`section[aria-labelledby="reported"] h2`).Text(); got != "公佈數據與本站記錄" {
		t.Errorf("Traditional heading = %q", got)
	}
	doc = parse(t, get(t, e, http.MethodGet, "/en/regions/hongshan"))
	headers = doc.Find(`[data-testid="reported-statistics"] thead th`).Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if strings.Join(headers, "|") != "Indicator|Region|Period|Reported|Computed from our records|Difference" {
		t.Errorf("English headers = %v", headers)
	}
	row = reportedRow(t, doc, "hongshan-2021-completed")
	if got := cellText(row, "reported-value"); !strings.Contains(got, "3,570,000,000 yuan") {
		t.Errorf("English completed investment = %q", got)
	}
	if href, _ := row.Find(`[data-testid="reported-value"] a`).Attr("href"); href != "/en/news/2021-hongshan-projects" {
		t.Errorf("English source link = %q", href)
	}
}

// reportedForm is a complete, valid reported statistic as the admin form sends it.
func reportedForm(t *testing.T, db *gorm.DB, editor *visitor) url.Values {
	t.Helper()
	form := editor.openContentForm(reportedAdmin + "/new")
	form.Set("label", "已开复工项目")
	form.Set("region_id", regionID(t, db, "harqin"))
	form.Set("indicator", models.IndicatorStartedCount)
	form.Set("value", "12")
	form.Set("project_set", models.ProjectSetOnRecord)
	form.Set("period_from", "2021-01-01")
	form.Set("period_to", "2021-10-17")
	form.Set("as_of", "截至10月")
	form.Set("min_amount_yuan", "100")
	form.Set("min_amount_basis", models.BasisPlanned)
	form.Set("source_article_id", idOf(t, db, "news_articles", "2021-hongshan-projects"))
	form.Set("status", models.StatusPublished)
	return form
}

func TestEditorMaintainsReportedStatistics(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.150")
	if rec := editor.get(reportedAdmin); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "开复工率") {
		t.Fatalf("list = %d", rec.Code)
	}

	// Create: a threshold typed in 万元 is stored in yuan.
	rec := editor.post(reportedAdmin, reportedForm(t, db, editor))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d\n%s", rec.Code, rec.Body.String())
	}
	var stored struct {
		ID            int64
		Slug          string
		Value         string
		MinAmountYuan int64
	}
	db.Raw("SELECT id, slug, value::text, min_amount_yuan FROM reported_statistics WHERE label = '已开复工项目' AND region_id = ?",
		regionID(t, db, "harqin")).Scan(&stored)
	if stored.ID == 0 || stored.Slug != "yi-kai-fu-gong-xiang-mu" || stored.Value != "12.0000" || stored.MinAmountYuan != 1_000_000 {
		t.Fatalf("stored %+v", stored)
	}
	path := reportedAdmin + "/" + strconv.FormatInt(stored.ID, 10)
	if audit := auditOf(t, db, "reported_statistics", stored.ID); len(audit) != 1 || audit[0].Action != "create" {
		t.Errorf("audit = %+v", audit)
	}
	// Shown on the region's page at once, beside the computed figure.
	doc := parse(t, get(t, e, http.MethodGet, "/regions/harqin"))
	if got := cellText(reportedRow(t, doc, stored.Slug), "reported-value"); !strings.HasPrefix(got, "12个") {
		t.Errorf("new statistic on the region page = %q", got)
	}

	// Edit: audited with its diff.
	form := editor.openContentForm(path)
	form.Set("value", "13")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("update = %d\n%s", rec.Code, rec.Body.String())
	}
	audit := auditOf(t, db, "reported_statistics", stored.ID)
	var change []string
	if len(audit) != 2 || audit[1].Action != "update" || json.Unmarshal(audit[1].Changes["value"], &change) != nil ||
		strings.Join(change, ">") != "12>13" || len(audit[1].Changes) != 1 {
		t.Errorf("update audit = %+v", audit)
	}
	if _, ok := audit[0].Changes["scope_build_type"]; ok {
		t.Errorf("a new statistic was created with a scope nobody chose: %s", audit[0].Changes["scope_build_type"])
	}

	// Bad input: 422, the message beside the field, nothing stored.
	base := editor.openContentForm(path)
	var before string
	db.Raw("SELECT row_to_json(r)::text FROM reported_statistics r WHERE id = ?", stored.ID).Scan(&before)
	rows, audits := countRows(t, db, "reported_statistics"), countRows(t, db, "audit_log")
	cases := []struct {
		name       string
		set        map[string]string
		errorField string
	}{
		{"empty value", map[string]string{"value": ""}, "value"},
		{"value not a number", map[string]string{"value": "十二"}, "value"},
		{"script tags for a value", map[string]string{"value": "<script>alert(1)</script>"}, "value"},
		{"half a project", map[string]string{"value": "12.5"}, "value"},
		{"negative count", map[string]string{"value": "-1"}, "value"},
		{"rate over 100", map[string]string{"indicator": models.IndicatorStartRate, "value": "101"}, "value"},
		{"amount for a count", map[string]string{"amount_yuan": "100"}, "amount_yuan"},
		{"amount indicator without an amount", map[string]string{"indicator": models.IndicatorCompletedYuan}, "amount_yuan"},
		{"amount indicator with a value", map[string]string{"indicator": models.IndicatorCompletedYuan, "amount_yuan": "357000"}, "value"},
		{"amount with letters", map[string]string{"indicator": models.IndicatorCompletedYuan, "value": "", "amount_yuan": "三十五亿"}, "amount_yuan"},
		{"unknown indicator", map[string]string{"indicator": "happiness"}, "indicator"},
		{"period reversed", map[string]string{"period_from": "2021-10-17", "period_to": "2021-01-01"}, "period_to"},
		{"period end missing", map[string]string{"period_to": ""}, "period_to"},
		{"date not a date", map[string]string{"period_from": "2021-02-30"}, "period_from"},
		{"missing source", map[string]string{"source_article_id": ""}, "source_article_id"},
		{"unknown source", map[string]string{"source_article_id": "999999"}, "source_article_id"},
		{"unknown region", map[string]string{"region_id": "999999"}, "region_id"},
		{"threshold without basis", map[string]string{"min_amount_basis": ""}, "min_amount_basis"},
		{"basis without threshold", map[string]string{"min_amount_yuan": ""}, "min_amount_yuan"},
		{"unknown project set", map[string]string{"project_set": "all"}, "project_set"},
		{"note too long", map[string]string{"note": strings.Repeat("注", 1001)}, "note"},
		{"label too long", map[string]string{"label": strings.Repeat("项", 201)}, "label"},
		{"empty label", map[string]string{"label": ""}, "label"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := maps.Clone(base)
			for k, v := range tc.set {
				form.Set(k, v)
			}
			rec := editor.post(path, form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%s = %d, want 422", tc.name, rec.Code)
			}
			doc := parse(t, rec)
			if doc.Find(`[data-testid="error-`+tc.errorField+`"]`).Length() != 1 {
				t.Errorf("no message beside %s; errors: %s", tc.errorField, doc.Find(".field-error").Text())
			}
			// Creating with the same input stores nothing either.
			create := maps.Clone(form)
			create.Del("lock_version")
			create.Set("slug", "")
			if rec := editor.post(reportedAdmin, create); rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("create with %s = %d, want 422", tc.name, rec.Code)
			}
		})
	}
	var after string
	db.Raw("SELECT row_to_json(r)::text FROM reported_statistics r WHERE id = ?", stored.ID).Scan(&after)
	if after != before || countRows(t, db, "reported_statistics") != rows || countRows(t, db, "audit_log") != audits {
		t.Error("a refused form changed the database")
	}

	// Script tags in text are text: stored as typed, shown escaped.
	form = maps.Clone(base)
	form.Set("note", `<script>alert("x")</script>`)
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("note with markup = %d\n%s", rec.Code, rec.Body.String())
	}
	page := get(t, e, http.MethodGet, "/regions/harqin").Body.String()
	if strings.Contains(page, `<script>alert("x")`) || !strings.Contains(page, "&lt;script&gt;") {
		t.Error("a note with markup is not escaped on the region page")
	}
}

func TestViewerReadsReportedStatisticsButCannotEditThem(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	viewer := signedIn(t, db, e, models.RoleViewer, "192.0.2.151")
	id := idOf(t, db, "reported_statistics", "hongshan-2021-start-rate")
	path := reportedAdmin + "/" + id

	doc := parse(t, viewer.get(path))
	if doc.Find(`form[data-testid="content-form"] fieldset[disabled]`).Length() != 1 || doc.Find(`[data-testid="save"]`).Length() != 0 {
		t.Error("a viewer's form is editable")
	}
	form := formValues(doc)
	form.Set("value", "99")
	if rec := viewer.post(path, form); rec.Code != http.StatusForbidden {
		t.Errorf("viewer save = %d, want 403", rec.Code)
	}
	if rec := viewer.get(reportedAdmin + "/new"); rec.Code != http.StatusForbidden {
		t.Errorf("viewer new form = %d, want 403", rec.Code)
	}
	var value string
	db.Raw("SELECT value::text FROM reported_statistics WHERE id = ?", id).Scan(&value)
	if value != "61.3000" {
		t.Errorf("value = %s after a viewer's save", value)
	}
}

func TestReportedStatisticFormNeedsItsCSRFToken(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.152")
	form := reportedForm(t, db, editor)
	rows := countRows(t, db, "reported_statistics")
	for name, token := range map[string]string{"missing": "", "forged": "forged"} {
		f := maps.Clone(form)
		if token == "" {
			f.Del("_csrf")
		} else {
			f.Set("_csrf", token)
		}
		if rec := editor.post(reportedAdmin, f); rec.Code != http.StatusForbidden {
			t.Errorf("create with a %s CSRF token = %d, want 403", name, rec.Code)
		}
	}
	if countRows(t, db, "reported_statistics") != rows {
		t.Error("a form without its token stored a statistic")
	}
}
