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

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
)

func init() {
	adminAccess["GET /admin/desk"] = []string{models.RoleAdmin}
}

// dashTime is a moment in Beijing time, "2026-03-02 10:00" or with seconds.
func dashTime(t *testing.T, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout += ":05"
	}
	v, err := time.ParseInLocation(layout, s, calendar.Beijing)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// dashInquiry is an inquiry of the dashboard's test data, stored as given.
type dashInquiry struct {
	ref                    string
	created, due, answered time.Time // answered zero: not answered
	stage, reason          string
	region, chain, project string // slugs, "" for none
	assignee               int64  // 0: unassigned
}

func insertDashInquiries(t *testing.T, db *gorm.DB, list []dashInquiry) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	nullable := func(table, slug string) any {
		if slug == "" {
			return nil
		}
		id, err := strconv.ParseInt(idOf(t, db, table, slug), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	for _, in := range list {
		var answered, reason, assignee any
		if !in.answered.IsZero() {
			answered = in.answered
		}
		if in.reason != "" {
			reason = in.reason
		}
		if in.assignee != 0 {
			assignee = in.assignee
		}
		var id int64
		err := db.Raw(`INSERT INTO inquiries (reference, status_token_hash, name, email, message, language, consent_at,
    stage, close_reason, region_id, chain_id, assignee_id, signed_project_id, created_at, response_due_at, first_response_at)
VALUES (?, ?, '测试', 't@example.com', '咨询', 'zh-Hans', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.ref, []byte(in.ref), in.created, in.stage, reason, nullable("regions", in.region), nullable("industry_chains", in.chain),
			assignee, nullable("projects", in.project), in.created, in.due, answered).Scan(&id).Error
		if err != nil {
			t.Fatalf("insert %s: %v", in.ref, err)
		}
		ids[in.ref] = id
	}
	return ids
}

func dashStaff(t *testing.T, db *gorm.DB, name, role string, disabled bool) int64 {
	t.Helper()
	var id int64
	err := db.Raw(`INSERT INTO staff_users (email, name, role, password_hash, disabled_at)
VALUES (?, ?, ?, 'not a hash', CASE WHEN ? THEN now() END) RETURNING id`, name+"."+role+"@bureau.example", name, role, disabled).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// deskFixture is the week of 2 to 10 March 2026 (no public holiday):
// nine inquiries inside it and one on either side, the not-yet-due ones
// due far in the future, as the page counts overdue against the clock.
func deskFixture(t *testing.T, db *gorm.DB) (ids map[string]int64, projectID int64) {
	t.Helper()
	at := func(s string) time.Time { return dashTime(t, s) }
	later := at("2099-01-01 17:00")
	li := dashStaff(t, db, "李专员", models.RoleOfficer, false)
	wang := dashStaff(t, db, "王专员", models.RoleOfficer, false)
	gone := dashStaff(t, db, "孙前同事", models.RoleOfficer, true)
	dbtest.MustExec(t, db, "UPDATE projects SET contracted_amount_yuan = 1250000000 WHERE slug = 'yangqu-agricultural-tech-park'")
	ids = insertDashInquiries(t, db, []dashInquiry{
		{ref: "INQ-2026-000001", created: at("2026-03-02 10:00"), due: at("2026-03-04 17:00"), answered: at("2026-03-02 12:00"),
			stage: "acknowledged", region: "chifeng", chain: "chifeng-electronics", assignee: li},
		// Friday 16:00 to Monday 10:00: 2 working hours, 66 on the clock.
		{ref: "INQ-2026-000002", created: at("2026-03-06 16:00"), due: at("2026-03-10 17:00"), answered: at("2026-03-09 10:00"),
			stage: "qualified", region: "hongshan", chain: "chifeng-electronics", assignee: li},
		// Answered late, after 26 working hours.
		{ref: "INQ-2026-000003", created: at("2026-03-02 09:00"), due: at("2026-03-04 17:00"), answered: at("2026-03-05 11:00"),
			stage: "negotiating", region: "tongliao", chain: "tongliao-new-energy", assignee: wang},
		// Never answered, overdue.
		{ref: "INQ-2026-000004", created: at("2026-03-03 14:00"), due: at("2026-03-05 17:00"),
			stage: "new", region: "chifeng", assignee: wang},
		{ref: "INQ-2026-000005", created: at("2026-03-04 09:30"), due: at("2026-03-06 17:00"), answered: at("2026-03-04 13:30"),
			stage: "signed", region: "chifeng", chain: "chifeng-logistics", assignee: wang, project: "yangqu-agricultural-tech-park"},
		{ref: "INQ-2026-000006", created: at("2026-03-05 10:00"), due: at("2026-03-09 17:00"), answered: at("2026-03-05 10:30"),
			stage: "closed", reason: "lost", region: "hongshan", chain: "chifeng-electronics", assignee: li},
		{ref: "INQ-2026-000007", created: at("2026-03-10 10:00"), due: later, stage: "new", region: "tongliao", assignee: wang},
		{ref: "INQ-2026-000008", created: at("2026-03-02 00:00:00"), due: at("2026-03-04 17:00"), answered: at("2026-03-02 09:15"),
			stage: "acknowledged"},
		{ref: "INQ-2026-000009", created: at("2026-03-10 23:59:59"), due: later, stage: "new", region: "chifeng", assignee: gone},
		// Outside the period.
		{ref: "INQ-2026-000010", created: at("2026-03-01 23:59:59"), due: at("2026-03-04 17:00"),
			stage: "closed", reason: "spam", region: "chifeng", assignee: li},
		{ref: "INQ-2026-000011", created: at("2026-03-11 00:00:00"), due: later, answered: at("2026-03-11 09:00"),
			stage: "signed", region: "chifeng", assignee: li, project: "huawei-emerging-industry-cloud"},
	})
	dbtest.MustExec(t, db, "INSERT INTO inquiry_events (inquiry_id, kind, from_value, to_value) VALUES (?, 'stage', 'site_visit', 'closed')",
		ids["INQ-2026-000006"])
	projectID, _ = strconv.ParseInt(idOf(t, db, "projects", "yangqu-agricultural-tech-park"), 10, 64)
	return ids, projectID
}

// tableRows reads a section's table: each row's heading and its cells.
func tableRows(section *goquery.Selection) map[string][]string {
	rows := map[string][]string{}
	section.Find("table tr").Each(func(_ int, tr *goquery.Selection) {
		head := strings.TrimSpace(tr.Find("th").First().Text())
		var cells []string
		tr.Find("td").Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
		if len(cells) > 0 {
			rows[head] = cells
		}
	})
	return rows
}

func wantRow(t *testing.T, section string, rows map[string][]string, head string, want ...string) {
	t.Helper()
	if got := rows[head]; strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("%s: row %q = %q, want %q (table: %v)", section, head, got, want, rows)
	}
}

func TestDeskDashboardShowsThePeriodsFigures(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	_, projectID := deskFixture(t, db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.200")

	rec := admin.get("/admin/desk?from=2026-03-02&to=2026-03-10")
	if rec.Code != http.StatusOK {
		t.Fatalf("dashboard = %d\n%s", rec.Code, rec.Body.String())
	}
	doc := parse(t, rec)
	if line := doc.Find(`[data-testid="desk-period-line"]`).Text(); !strings.Contains(line, "2026年3月2日至2026年3月10日") || !strings.Contains(line, "共9件") {
		t.Errorf("period line %q", line)
	}
	if doc.Find(`script`).Length() != 0 {
		t.Error("the dashboard has a script")
	}

	// Every chart is an image with a name, a description that is on the
	// page, text labels, and its table with a caption and headings.
	for _, id := range []string{"desk-funnel", "desk-closed", "desk-regions", "desk-chains", "desk-times", "desk-on-time", "desk-load"} {
		section := doc.Find(`[data-testid="` + id + `"]`)
		svg := section.Find(`svg[role="img"]`)
		if svg.Length() != 1 {
			t.Errorf("%s: %d charts", id, svg.Length())
			continue
		}
		title, _ := svg.Attr("aria-labelledby")
		desc, _ := svg.Attr("aria-describedby")
		if strings.TrimSpace(svg.Find("title#"+title).Text()) == "" || strings.TrimSpace(section.Find("#"+desc).Text()) == "" {
			t.Errorf("%s: chart named by %q, described by %q, one of them empty", id, title, desc)
		}
		if _, ok := svg.Attr("viewBox"); !ok || svg.Find("text").Length() == 0 {
			t.Errorf("%s: chart without a viewBox or text labels", id)
		}
		if section.Find("table caption").Length() != 1 || section.Find(`table thead th[scope="col"]`).Length() < 2 ||
			section.Find(`table tbody th[scope="row"]`).Length() == 0 {
			t.Errorf("%s: no table with a caption and headings", id)
		}
	}

	funnel := doc.Find(`[data-testid="desk-funnel"]`)
	rows := tableRows(funnel)
	wantRow(t, "funnel", rows, "已收到", "9", "100%", "3")
	wantRow(t, "funnel", rows, "已受理", "6", "66.7%", "2")
	wantRow(t, "funnel", rows, "已确认需求", "4", "44.4%", "1")
	wantRow(t, "funnel", rows, "实地考察", "3", "33.3%", "0") // the closed one, by its history
	wantRow(t, "funnel", rows, "洽谈中", "2", "22.2%", "1")
	wantRow(t, "funnel", rows, "已签约", "1", "11.1%", "1")
	if bars := funnel.Find("svg rect.chart-bar").Length(); bars != 6 {
		t.Errorf("funnel draws %d bars, want 6", bars)
	}
	if labels := funnel.Find("svg text").Text(); !strings.Contains(labels, "实地考察 3件 · 33.3%") {
		t.Errorf("funnel labels %q", labels)
	}
	if s := funnel.Find(`[data-testid="summary"]`).Text(); !strings.Contains(s, "收到9件") || !strings.Contains(s, "6件(66.7%)") {
		t.Errorf("funnel summary %q", s)
	}
	closed := tableRows(doc.Find(`[data-testid="desk-closed"]`))
	wantRow(t, "closed", closed, "未能落地", "1", "100%")
	wantRow(t, "closed", closed, "无效信息", "0", "0%") // the spam one is before the period
	wantRow(t, "closed", closed, "合计", "1", "100%")

	regions := tableRows(doc.Find(`[data-testid="desk-regions"]`))
	wantRow(t, "regions", regions, "赤峰市", "4", "44.4%")
	wantRow(t, "regions", regions, "未选地区", "1", "11.1%")
	wantRow(t, "regions", regions, "合计", "9", "100%")
	chains := tableRows(doc.Find(`[data-testid="desk-chains"]`))
	wantRow(t, "chains", chains, "电子信息与智能制造 · 赤峰市", "3", "33.3%")
	wantRow(t, "chains", chains, "未选产业链", "4", "44.4%")

	// Response times: ¼, ½, 2, 2, 4 and 26 working hours.
	times := doc.Find(`[data-testid="desk-times"]`)
	if s := times.Find(`[data-testid="summary"]`).Text(); !strings.Contains(s, "中位数2.0小时") || !strings.Contains(s, "90分位15.0小时") ||
		!strings.Contains(s, "按6件") || !strings.Contains(s, "另有3件尚未回复") {
		t.Errorf("response time summary %q", s)
	}
	bands := tableRows(times)
	wantRow(t, "times", bands, "1小时以内", "2", "33.3%")
	wantRow(t, "times", bands, "1–4小时", "3", "50%") // the weekend one among them
	wantRow(t, "times", bands, "超过16小时", "1", "16.7%")
	onTime := doc.Find(`[data-testid="desk-on-time"]`)
	if s := onTime.Find(`[data-testid="summary"]`).Text(); !strings.Contains(s, "71.4%") || !strings.Contains(s, "7件中5件") {
		t.Errorf("on-time summary %q", s)
	}
	if note := onTime.Find(".chart-note").Text(); !strings.Contains(note, "9件中的7件") || !strings.Contains(note, "其余2件") {
		t.Errorf("on-time denominator not explained: %q", note)
	}
	outcomes := tableRows(onTime)
	wantRow(t, "on time", outcomes, "按时回复", "5", "71.4%")
	wantRow(t, "on time", outcomes, "超时回复", "1", "14.3%")
	wantRow(t, "on time", outcomes, "逾期未回复", "1", "14.3%")

	load := doc.Find(`[data-testid="desk-load"]`)
	loads := tableRows(load)
	wantRow(t, "load", loads, "李专员(招商专员)", "2", "0")
	wantRow(t, "load", loads, "王专员(招商专员)", "3", "1")
	wantRow(t, "load", loads, "admin 用户(管理员)", "0", "0")
	wantRow(t, "load", loads, "孙前同事(账户已停用)", "1", "0")
	wantRow(t, "load", loads, "未分配", "1", "0")
	wantRow(t, "load", loads, "合计", "7", "1")
	if labels := load.Find("svg text").Text(); !strings.Contains(labels, "逾期 1") || !strings.Contains(labels, "办理中 3") {
		t.Errorf("load bars do not say what they count: %q", labels)
	}
	if hatched := load.Find(`svg rect.chart-series-2[fill^="url(#"]`).Length(); hatched == 0 {
		t.Error("overdue bars are not hatched")
	}

	signed := doc.Find(`[data-testid="desk-signed"]`)
	link := signed.Find(`a[href="/admin/projects/` + strconv.FormatInt(projectID, 10) + `"]`)
	if link.Length() != 1 || !strings.Contains(link.Text(), "阳曲农投现代农业科技产业园") {
		t.Errorf("signed project link: %q", signed.Text())
	}
	if s := signed.Find(`[data-testid="summary"]`).Text(); !strings.Contains(s, "1件咨询签约") || !strings.Contains(s, "12.5亿元") {
		t.Errorf("signed summary %q", s)
	}
	if v := doc.Find(`[data-testid="on-time"] .stat-value`).Text(); v != "71.4%" {
		t.Errorf("on-time headline %q", v)
	}
	figures := doc.Find(`[data-testid="desk-figures"]`).Text()
	for _, want := range []string{"9", "2.0小时", "71.4%", "12.5亿元"} {
		if !strings.Contains(figures, want) {
			t.Errorf("headline figures lack %q: %s", want, figures)
		}
	}
}

// Without a period the page shows the last 30 days up to today, Beijing
// time; the period's first and last days are both in it.
func TestDeskDashboardDefaultsToTheLast30Days(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	today := calendar.Day(time.Now())
	first := today.AddDate(0, 0, -29)
	insertDashInquiries(t, db, []dashInquiry{
		{ref: "INQ-2026-000101", created: time.Now().Add(-time.Minute), due: time.Now().Add(48 * time.Hour), stage: "new"},
		{ref: "INQ-2026-000102", created: first, due: first.Add(56 * time.Hour), stage: "new"},
		{ref: "INQ-2026-000103", created: first.Add(-time.Second), due: first.Add(56 * time.Hour), stage: "new"},
	})
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.201")
	rec := admin.get("/admin/desk")
	if rec.Code != http.StatusOK {
		t.Fatalf("dashboard = %d", rec.Code)
	}
	doc := parse(t, rec)
	from, _ := doc.Find("#f-from").Attr("value")
	to, _ := doc.Find("#f-to").Attr("value")
	if from != first.Format(time.DateOnly) || to != today.Format(time.DateOnly) {
		t.Errorf("default period %s to %s, want %s to %s", from, to, first.Format(time.DateOnly), today.Format(time.DateOnly))
	}
	if rows := tableRows(doc.Find(`[data-testid="desk-funnel"]`)); rows["已收到"] == nil || rows["已收到"][0] != "2" {
		t.Errorf("received in the last 30 days: %v, want 2", rows["已收到"])
	}
	// The form is a plain GET form: it works without script.
	if method, _ := doc.Find(`form[data-testid="desk-period"]`).Attr("method"); method != "get" {
		t.Errorf("period form method %q", method)
	}

	// A period with nothing in it says so.
	empty := parse(t, admin.get("/admin/desk?from=2020-01-01&to=2020-01-31"))
	if empty.Find(`[data-testid="desk-empty"]`).Length() != 1 || empty.Find("svg").Length() != 0 {
		t.Error("an empty period shows charts, or no message")
	}
}

func TestDeskDashboardRefusesBadPeriods(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.202")
	for _, c := range []struct {
		query, field, says string
	}{
		{"from=yesterday&to=2026-03-10", "from", "不是有效日期"},
		{"from=2026-03-02&to=2026-13-01", "to", "不是有效日期"},
		{"from=2026-02-30&to=2026-03-10", "from", "不是有效日期"},
		{"from=2026-03-11&to=2026-03-10", "to", "不能早于"},
		{"from=2023-03-01&to=2026-03-01", "from", "最长3年"},
		{"from=" + url.QueryEscape("<b>\xff"), "from", "不是有效日期"},
	} {
		rec := admin.get("/admin/desk?" + c.query)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s = %d, want 422", c.query, rec.Code)
			continue
		}
		doc := parse(t, rec)
		msg := doc.Find(`[data-testid="error-` + c.field + `"]`).Text()
		if !strings.Contains(msg, c.says) {
			t.Errorf("%s: message beside %s = %q, want %q", c.query, c.field, msg, c.says)
		}
		if invalid, _ := doc.Find("#f-" + c.field).Attr("aria-invalid"); invalid != "true" {
			t.Errorf("%s: the %s field is not marked invalid", c.query, c.field)
		}
		if described, _ := doc.Find("#f-" + c.field).Attr("aria-describedby"); described != "e-"+c.field {
			t.Errorf("%s: the %s field is not described by its message", c.query, c.field)
		}
		if doc.Find("svg").Length() != 0 {
			t.Errorf("%s: figures shown for a refused period", c.query)
		}
	}
	// Exactly three years is allowed.
	if rec := admin.get("/admin/desk?from=2023-03-02&to=2026-03-01"); rec.Code != http.StatusOK {
		t.Errorf("three years = %d, want 200", rec.Code)
	}
	// The refused value comes back as typed.
	if v, _ := parse(t, admin.get("/admin/desk?from=2026-03-11&to=2026-03-10")).Find("#f-from").Attr("value"); v != "2026-03-11" {
		t.Errorf("refused form keeps from = %q", v)
	}
}

// Only the desk lead's role (administrators) sees the dashboard; others
// are refused, and a visitor who is not signed in is sent to sign in.
func TestDeskDashboardIsForAdministratorsOnly(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	for i, role := range []string{models.RoleOfficer, models.RoleEditor, models.RoleViewer} {
		v := signedIn(t, db, e, role, "192.0.2."+strconv.Itoa(210+i))
		if rec := v.get("/admin/desk"); rec.Code != http.StatusForbidden {
			t.Errorf("%s = %d, want 403", role, rec.Code)
		}
	}
	rec := newVisitor(t, e, "192.0.2.220").get("/admin/desk?from=2026-03-02")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/login?next="+url.QueryEscape("/admin/desk?from=2026-03-02") {
		t.Errorf("signed out = %d to %q, want a redirect to sign in", rec.Code, rec.Header().Get("Location"))
	}
}
