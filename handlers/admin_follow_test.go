package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
)

func init() {
	officers := []string{models.RoleOfficer}
	for _, route := range []string{"GET /admin/my-projects", "GET /admin/my-projects/:id/report",
		"POST /admin/my-projects/:id/report", "POST /admin/my-projects/:id/problems/:pid/solve",
		"POST /admin/my-projects/:id/commitments", "POST /admin/my-projects/:id/commitments/:cid/deliver"} {
		adminAccess[route] = officers
	}
	adminAccess["GET /admin/red-projects"] = []string{models.RoleAdmin}
}

// An officer files a report with a blocking problem; left open past the
// limit, it turns the project red on the leaders' view; solved, green.
func TestOfficerReportsAndTheFlagFollows(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	officer, officerID := staffAccount(t, db, e, models.RoleOfficer, "Zhou Officer", "192.0.2.110")
	other, _ := staffAccount(t, db, e, models.RoleOfficer, "Sun Officer", "192.0.2.111")
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.112")
	project := idOf(t, db, "projects", "harqin-smart-electronics-processing")
	today := calendar.Day(time.Now())
	// Signed long ago and reported in this half month and the last.
	dbtest.MustExec(t, db, "UPDATE projects SET officer_id = ?, stage = 'started', signed_on = ? WHERE id = ?", officerID, today.AddDate(0, -3, 0), project)
	dbtest.MustExec(t, db, "INSERT INTO project_reports (project_id, reported_on, stage, body) VALUES (?, ?, 'started', '上期进展'), (?, ?, 'started', '更早')",
		project, today.AddDate(0, 0, -16), project, today.AddDate(0, 0, -31))

	base := "/admin/my-projects/" + project
	page := parse(t, officer.get("/admin/my-projects"))
	if n := page.Find(`[data-testid="followed-project"]`).Length(); n != 1 {
		t.Fatalf("the officer follows %d projects, want 1", n)
	}
	if rec := other.get(base + "/report"); rec.Code != http.StatusNotFound {
		t.Errorf("another officer's report form = %d, want 404", rec.Code)
	}

	form := func() url.Values {
		return url.Values{"_csrf": {officer.csrf()}, "date": {today.Format(time.DateOnly)}, "stage": {"under_construction"},
			"completed": {"12000.5"}, "body": {"主体厂房封顶,设备进场。"},
			"problem1": {"35千伏变电站接入尚未批复"}, "department1": {"市供电公司"}, "blocking1": {"1"},
			"problem2": {"员工宿舍配套"}, "department2": {"园区管委会"}}
	}
	reports, audits := countRows(t, db, "project_reports"), countRows(t, db, "audit_log")
	for name, change := range map[string]func(url.Values){
		"no date":              func(f url.Values) { f.Set("date", "") },
		"a date in the future": func(f url.Values) { f.Set("date", today.AddDate(0, 0, 2).Format(time.DateOnly)) },
		"not a date":           func(f url.Values) { f.Set("date", "2026-02-30") },
		"unknown stage":        func(f url.Values) { f.Set("stage", "done'; --") },
		"negative amount":      func(f url.Values) { f.Set("completed", "-1") },
		"amount as text":       func(f url.Values) { f.Set("completed", "一万") },
		"no text":              func(f url.Values) { f.Set("body", " ") },
		"invalid UTF-8":        func(f url.Values) { f.Set("body", "\xff") },
		"too long":             func(f url.Values) { f.Set("body", strings.Repeat("长", 5001)) },
		"no department":        func(f url.Values) { f.Set("department1", "") },
		"department too long":  func(f url.Values) { f.Set("department2", strings.Repeat("部", 101)) },
	} {
		f := form()
		change(f)
		rec := officer.post(base+"/report", f)
		if rec.Code != http.StatusUnprocessableEntity || parse(t, rec).Find(".field-error").Length() == 0 {
			t.Errorf("%s = %d, want 422 with a message beside the field", name, rec.Code)
		}
	}
	f := form()
	f.Del("_csrf")
	if rec := officer.post(base+"/report", f); rec.Code != http.StatusForbidden {
		t.Errorf("without CSRF = %d", rec.Code)
	}
	f = form()
	f.Set("_csrf", other.csrf())
	if rec := other.post(base+"/report", f); rec.Code != http.StatusNotFound {
		t.Errorf("another officer filing = %d, want 404", rec.Code)
	}
	if countRows(t, db, "project_reports") != reports || countRows(t, db, "audit_log") != audits || countRows(t, db, "project_problems") != 0 {
		t.Fatal("a refused report stored something")
	}

	if rec := officer.post(base+"/report", form()); rec.Code != http.StatusSeeOther {
		t.Fatalf("report = %d\n%s", rec.Code, rec.Body.String())
	}
	var p models.Project
	db.Take(&p, project)
	if p.Stage != "under_construction" || p.CompletedInvestmentYuan != 120_005_000 {
		t.Errorf("project after the report: stage %s, completed %d", p.Stage, p.CompletedInvestmentYuan)
	}
	if countRows(t, db, "project_reports") != reports+1 || countRows(t, db, "project_problems") != 2 {
		t.Error("the report and its two problems are not stored")
	}
	if audit := auditOf(t, db, "projects", p.ID); len(audit) == 0 || !strings.Contains(string(audit[len(audit)-1].Changes["stage"]), "under_construction") {
		t.Errorf("the report is not audited: %+v", audit)
	}
	flag := func(v *visitor, path string) string {
		return parse(t, v.get(path)).Find(`[data-name="电子智能产品加工制造项目"] [data-testid="flag"]`).Text()
	}
	if got := flag(officer, "/admin/my-projects"); !strings.Contains(got, "绿旗") {
		t.Errorf("freshly reported: flag %q, want green", got)
	}
	if parse(t, admin.get("/admin/red-projects")).Find(`[data-testid="followed-project"]`).Length() != 0 {
		t.Error("the leaders' view lists a green project")
	}

	// The blocking problem was raised 20 days ago: past the 14-day limit.
	dbtest.MustExec(t, db, "UPDATE project_problems SET raised_on = ? WHERE blocking", today.AddDate(0, 0, -20))
	red := parse(t, admin.get("/admin/red-projects")).Find(`[data-testid="followed-project"]`)
	if red.Length() != 1 || !strings.Contains(red.Find(`[data-testid="reasons"]`).Text(), "阻碍推进的问题") ||
		!strings.Contains(red.Find(`[data-testid="problems"]`).Text(), "市供电公司") || !strings.Contains(red.Find(`[data-testid="problems"]`).Text(), "20 天") {
		t.Fatalf("the leaders' view: %s", red.Text())
	}
	var problem int64
	db.Raw("SELECT id FROM project_problems WHERE blocking").Scan(&problem)
	solve := base + "/problems/" + strconv.FormatInt(problem, 10) + "/solve"
	for _, bad := range []string{"", "tomorrow", today.AddDate(0, 0, 1).Format(time.DateOnly), today.AddDate(0, 0, -30).Format(time.DateOnly)} {
		if rec := officer.post(solve, url.Values{"_csrf": {officer.csrf()}, "solved_on": {bad}}); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("solved on %q = %d, want 422", bad, rec.Code)
		}
	}
	if rec := other.post(solve, url.Values{"_csrf": {other.csrf()}, "solved_on": {today.Format(time.DateOnly)}}); rec.Code != http.StatusNotFound {
		t.Errorf("another officer solving = %d, want 404", rec.Code)
	}
	if rec := officer.post(solve, url.Values{"_csrf": {officer.csrf()}, "solved_on": {today.Format(time.DateOnly)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("solve = %d", rec.Code)
	}
	if got := flag(officer, "/admin/my-projects"); !strings.Contains(got, "绿旗") {
		t.Errorf("once solved: flag %q, want green", got)
	}
	if rec := officer.post(solve, url.Values{"_csrf": {officer.csrf()}, "solved_on": {today.Format(time.DateOnly)}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("solving it twice = %d, want 422", rec.Code)
	}
	// Reports are history: both earlier ones are still there.
	if n := countRows(t, db, "project_reports"); n != reports+1 {
		t.Errorf("%d reports, want %d", n, reports+1)
	}
}

// What was promised to a project: an overdue commitment turns it red; the
// investor whose inquiry became the project sees each commitment and
// whether it was kept, and no other investor does.
func TestCommitmentsAreKeptInTheOpen(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	officer, officerID := staffAccount(t, db, e, models.RoleOfficer, "Qian Officer", "192.0.2.120")
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.121")
	project := idOf(t, db, "projects", "harqin-smart-electronics-processing")
	today := calendar.Day(time.Now())
	dbtest.MustExec(t, db, "UPDATE projects SET officer_id = ?, stage = 'started', signed_on = ? WHERE id = ?", officerID, today, project)

	investor := newVisitor(t, e, "192.0.2.122")
	form, _ := investor.openForm("/inquiries/new")
	rec := investor.post("/inquiries", validInquiry(form))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry = %d", rec.Code)
	}
	status := strings.SplitN(rec.Header().Get("Location"), "?", 2)[0]
	dbtest.MustExec(t, db, "UPDATE inquiries SET stage = 'signed', signed_project_id = ?", project)
	stranger := newVisitor(t, e, "192.0.2.123")
	form, _ = stranger.openForm("/inquiries/new")
	f := validInquiry(form)
	f.Set("email", "someone.else@example.com")
	rec = stranger.post("/inquiries", f)
	strangerStatus := strings.SplitN(rec.Header().Get("Location"), "?", 2)[0]

	add := base(project) + "/commitments"
	for name, bad := range map[string]url.Values{
		"no kind":           {"kind": {""}, "description": {"土地交付"}, "due_on": {"2026-12-01"}},
		"unknown kind":      {"kind": {"bribe"}, "description": {"土地交付"}, "due_on": {"2026-12-01"}},
		"no text":           {"kind": {"land"}, "description": {" "}, "due_on": {"2026-12-01"}},
		"text too long":     {"kind": {"land"}, "description": {strings.Repeat("地", 501)}, "due_on": {"2026-12-01"}},
		"invalid UTF-8":     {"kind": {"land"}, "description": {"\xff"}, "due_on": {"2026-12-01"}},
		"no date":           {"kind": {"land"}, "description": {"土地交付"}, "due_on": {""}},
		"not a date":        {"kind": {"land"}, "description": {"土地交付"}, "due_on": {"2026-02-30"}},
		"date out of range": {"kind": {"land"}, "description": {"土地交付"}, "due_on": {"1999-12-31"}},
	} {
		bad.Set("_csrf", officer.csrf())
		if rec := officer.post(add, bad); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s = %d, want 422", name, rec.Code)
		}
	}
	if n := countRows(t, db, "project_commitments"); n != 0 {
		t.Fatalf("%d commitments stored from bad forms", n)
	}
	if rec := officer.post(add, url.Values{"_csrf": {officer.csrf()}, "kind": {"land"},
		"description": {"<b>交付</b>净地 80 亩"}, "due_on": {today.AddDate(0, 0, -1).Format(time.DateOnly)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("add = %d\n%s", rec.Code, rec.Body.String())
	}
	red := parse(t, admin.get("/admin/red-projects")).Find(`[data-testid="followed-project"]`)
	if !strings.Contains(red.Find(`[data-testid="reasons"]`).Text(), "承诺已逾期") {
		t.Errorf("an overdue commitment does not turn the project red: %s", red.Text())
	}
	page := investor.get(status).Body.String()
	if !strings.Contains(page, "&lt;b&gt;交付&lt;/b&gt;净地 80 亩") || !strings.Contains(page, "已逾期") {
		t.Error("the investor does not see the late commitment, escaped")
	}
	if strings.Contains(stranger.get(strangerStatus).Body.String(), "净地 80 亩") {
		t.Error("another investor sees the commitment")
	}

	var id int64
	db.Raw("SELECT id FROM project_commitments").Scan(&id)
	deliver := add + "/" + strconv.FormatInt(id, 10) + "/deliver"
	for _, bad := range []string{"", today.AddDate(0, 0, 1).Format(time.DateOnly), "x"} {
		if rec := officer.post(deliver, url.Values{"_csrf": {officer.csrf()}, "delivered_on": {bad}}); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("delivered on %q = %d, want 422", bad, rec.Code)
		}
	}
	if rec := officer.post(deliver, url.Values{"_csrf": {officer.csrf()}, "delivered_on": {today.Format(time.DateOnly)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("deliver = %d", rec.Code)
	}
	if n := parse(t, admin.get("/admin/red-projects")).Find(`[data-testid="followed-project"]`).Length(); n != 0 {
		t.Error("still red once the commitment was delivered")
	}
	if !strings.Contains(investor.get(status).Body.String(), "已兑现") {
		t.Error("the investor does not see that it was kept")
	}
	if rec := officer.post(deliver, url.Values{"_csrf": {officer.csrf()}, "delivered_on": {today.Format(time.DateOnly)}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("delivering twice = %d, want 422", rec.Code)
	}
	if audit := auditOf(t, db, "projects", mustInt(t, project)); len(audit) != 2 {
		t.Errorf("%d audit entries for the commitment and its delivery, want 2", len(audit))
	}
}

func base(project string) string { return "/admin/my-projects/" + project }

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
