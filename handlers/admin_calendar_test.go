package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	for _, route := range []string{"GET /admin/calendar", "POST /admin/calendar", "POST /admin/calendar/:day/delete"} {
		adminAccess[route] = []string{models.RoleAdmin}
	}
}

// waitingInquiry is an inquiry received on Wednesday 2 December 2026 at
// 10:00 in Beijing and not yet answered: with two working days allowed,
// its first response is due on Friday 4 December at 17:00.
func waitingInquiry(t *testing.T, db *gorm.DB, e http.Handler) int64 {
	t.Helper()
	in := submitInquiry(t, db, e, "192.0.2.200")
	dbtest.MustExec(t, db, `UPDATE inquiries SET created_at = '2026-12-02 10:00+08', first_response_at = NULL,
		response_due_at = NULL, stage = 'new' WHERE id = ?`, in.ID)
	if err := models.RefreshResponseDue(t.Context(), db, models.DefaultDeskRules); err != nil {
		t.Fatal(err)
	}
	return in.ID
}

func dueOf(t *testing.T, db *gorm.DB, id int64) string {
	t.Helper()
	var due time.Time
	if err := db.Raw("SELECT response_due_at FROM inquiries WHERE id = ?", id).Scan(&due).Error; err != nil {
		t.Fatal(err)
	}
	return due.In(calendar.Beijing).Format("2006-01-02 15:04")
}

// overrideRow is the listed setting of a date.
func overrideRow(doc *goquery.Document, day string) *goquery.Selection {
	return doc.Find(`[data-testid="overrides"] tr[data-day="` + day + `"]`)
}

// change is an audited field's old and new value, "—" for none.
func change(a auditLine, field string) string {
	var pair [2]*string
	if err := json.Unmarshal(a.Changes[field], &pair); err != nil {
		return "unreadable: " + string(a.Changes[field])
	}
	show := func(s *string) string {
		if s == nil {
			return "—"
		}
		return *s
	}
	return show(pair[0]) + "→" + show(pair[1])
}

func (v *visitor) saveDay(day, working, note string) int {
	v.t.Helper()
	return v.post("/admin/calendar", url.Values{"_csrf": {v.csrf()}, "day": {day}, "working": {working}, "note": {note}}).Code
}

// An administrator closes a working day locally: it is listed, the due
// times of waiting inquiries move past it, and the change is audited; set
// back to working it matches the official schedule and says so; deleted,
// the official schedule applies again.
func TestAdministratorSetsTheWorkingCalendar(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.201")
	inquiry := waitingInquiry(t, db, e)
	if due := dueOf(t, db, inquiry); due != "2026-12-04 17:00" {
		t.Fatalf("due before any setting = %s", due)
	}

	rec := admin.get("/admin/calendar?year=2026")
	doc := parse(t, rec)
	if rec.Code != http.StatusOK || doc.Find(`[data-testid="no-overrides"]`).Length() != 1 || doc.Find(`form[data-testid="calendar-form"]`).Length() != 1 {
		t.Fatalf("empty calendar = %d\n%s", rec.Code, rec.Body.String())
	}
	// The official schedule of this year and the next, date by date.
	for day, want := range map[string]string{"2026-10-01": "closed", "2026-10-10": "working", "2026-02-14": "working", "2027-02-06": "closed"} {
		if got, _ := doc.Find(`[data-testid^="schedule-"] [data-day="` + day + `"]`).Attr("data-effective"); got != want {
			t.Errorf("official schedule shows %s as %q, want %q", day, got, want)
		}
	}
	if national := doc.Find(`[data-testid="schedule-2026"] tr:contains("国庆节")`).Text(); !strings.Contains(national, "10月1日(周四)") || !strings.Contains(national, "9月20日(周日)") {
		t.Errorf("National Day 2026 row = %q", national)
	}
	if doc.Find(`[data-testid="schedule-missing"]`).Length() != 0 {
		t.Error("a warning that the library lacks a year it has")
	}

	// A local closure, with a note that is only text.
	const note = `市政府通知:停止办公 <script>alert("x")</script> '; DROP TABLE calendar_overrides; --`
	rec = admin.post("/admin/calendar", url.Values{"_csrf": {admin.csrf()}, "day": {"2026-12-03"}, "working": {"closed"}, "note": {note}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/calendar?saved=2026-12-03" {
		t.Fatalf("save = %d, to %q\n%s", rec.Code, rec.Header().Get("Location"), rec.Body.String())
	}
	rec = admin.get(rec.Header().Get("Location"))
	doc = parse(t, rec)
	row := overrideRow(doc, "2026-12-03")
	if notice := doc.Find(`[data-testid="notice"]`).Text(); !strings.Contains(notice, "2026年12月3日(周四)设为休息日") {
		t.Errorf("notice = %q", notice)
	}
	if doc.Find(`[data-testid="notice-matches"]`).Length() != 0 || row.Find(`[data-testid="matches"]`).Length() != 0 {
		t.Error("a closure of a working day said to match the official schedule")
	}
	if got := row.Find(`[data-testid="override-status"]`).Text(); got != "休息日" {
		t.Errorf("listed status = %q", got)
	}
	if got := row.Find(`[data-testid="override-note"]`).Text(); got != note {
		t.Errorf("listed note = %q, want %q", got, note)
	}
	if body := rec.Body.String(); strings.Contains(body, `<script>alert`) || !strings.Contains(body, "&lt;script&gt;") {
		t.Error("the note is not shown escaped")
	}
	for _, want := range []string{"2026年12月3日(周四)", "工作日", "admin 用户", "北京时间"} {
		if !strings.Contains(row.Text(), want) {
			t.Errorf("listed row %q lacks %q", row.Text(), want)
		}
	}
	var stored struct {
		Working bool
		Note    string
		By      string
	}
	db.Raw(`SELECT o.working, o.note, s.email AS by FROM calendar_overrides o JOIN staff_users s ON s.id = o.updated_by
		WHERE o.day = '2026-12-03'`).Scan(&stored)
	if stored.Working || stored.Note != note || stored.By != "admin@bureau.example" {
		t.Errorf("stored %+v", stored)
	}
	if due := dueOf(t, db, inquiry); due != "2026-12-07 17:00" {
		t.Errorf("due after closing Thursday = %s, want Monday 2026-12-07 17:00", due)
	}
	audit := auditOf(t, db, "calendar_overrides", 20261203)
	if len(audit) != 1 || audit[0].Action != "create" || audit[0].Actor != "admin@bureau.example" ||
		change(audit[0], "working") != "—→否" || change(audit[0], "day") != "—→2026-12-03" {
		t.Errorf("audit after create = %+v", audit)
	}

	// Its edit link fills the form with the setting.
	edit, _, _ := strings.Cut(row.Find(`[data-testid="edit"]`).AttrOr("href", ""), "#") // browsers keep the fragment
	doc = parse(t, admin.get(edit))
	if got := doc.Find(`#f-note`).AttrOr("value", ""); got != note {
		t.Errorf("edit form note = %q", got)
	}
	if got := doc.Find(`#f-working option[selected]`).AttrOr("value", ""); got != "closed" || doc.Find(`[data-testid="editing"]`).Length() != 1 {
		t.Errorf("edit form working = %q, editing notice %d", got, doc.Find(`[data-testid="editing"]`).Length())
	}

	// Changed to working, which is what the official schedule says anyway.
	if code := admin.saveDay("2026-12-03", "working", "改回上班"); code != http.StatusSeeOther {
		t.Fatalf("change = %d", code)
	}
	doc = parse(t, admin.get("/admin/calendar?saved=2026-12-03"))
	row = overrideRow(doc, "2026-12-03")
	if row.Find(`[data-testid="override-status"]`).Text() != "工作日" || row.Find(`[data-testid="matches"]`).Length() != 1 ||
		doc.Find(`[data-testid="notice-matches"]`).Length() != 1 {
		t.Errorf("a setting that changes nothing is not said to match the official schedule: %q", row.Text())
	}
	if n := doc.Find(`[data-testid="override"]`).Length(); n != 1 {
		t.Errorf("%d overrides listed after an update, want 1", n)
	}
	if due := dueOf(t, db, inquiry); due != "2026-12-04 17:00" {
		t.Errorf("due after reopening = %s", due)
	}
	audit = auditOf(t, db, "calendar_overrides", 20261203)
	if len(audit) != 2 || audit[1].Action != "update" || change(audit[1], "working") != "否→是" || audit[1].Changes["day"] != nil {
		t.Errorf("audit after update = %+v", audit)
	}
	// The same again changes nothing and writes nothing.
	rec = admin.post("/admin/calendar", url.Values{"_csrf": {admin.csrf()}, "day": {"2026-12-03"}, "working": {"working"}, "note": {"改回上班"}})
	if rec.Code != http.StatusOK || !strings.Contains(parse(t, rec).Find(`[data-testid="notice"]`).Text(), "没有修改") {
		t.Errorf("unchanged save = %d", rec.Code)
	}
	if n := len(auditOf(t, db, "calendar_overrides", 20261203)); n != 2 {
		t.Errorf("%d audit entries after an unchanged save, want 2", n)
	}

	// A make-up working day closed: the official schedule shows it as it counts.
	if code := admin.saveDay("2026-10-10", "closed", strings.Repeat("调", 200)); code != http.StatusSeeOther {
		t.Fatalf("save a 200-character note = %d", code)
	}
	doc = parse(t, admin.get("/admin/calendar?year=2026"))
	day := doc.Find(`[data-testid="schedule-2026"] [data-day="2026-10-10"]`)
	if day.AttrOr("data-effective", "") != "closed" || !strings.Contains(day.Text(), "本局设为休息") {
		t.Errorf("closed make-up day in the schedule: %q, %q", day.AttrOr("data-effective", ""), day.Text())
	}
	if got := overrideRow(doc, "2026-10-10").Find("td").Eq(1).Text(); !strings.Contains(got, "国庆节调休上班") {
		t.Errorf("official status of 2026-10-10 = %q", got)
	}
	var order []string
	doc.Find(`[data-testid="override"]`).Each(func(_ int, s *goquery.Selection) { order = append(order, s.AttrOr("data-day", "")) })
	if strings.Join(order, " ") != "2026-12-03 2026-10-10" {
		t.Errorf("overrides listed %v, want the newest date first", order)
	}

	// Deleted: the official schedule applies again.
	form := overrideRow(doc, "2026-12-03").Find("form")
	action := form.AttrOr("action", "")
	token := form.Find(`input[name="_csrf"]`).AttrOr("value", "")
	rec = admin.post(action, url.Values{"_csrf": {token}})
	if action != "/admin/calendar/2026-12-03/delete" || rec.Code != http.StatusSeeOther {
		t.Fatalf("delete via %q = %d", action, rec.Code)
	}
	doc = parse(t, admin.get(rec.Header().Get("Location")))
	if overrideRow(doc, "2026-12-03").Length() != 0 || !strings.Contains(doc.Find(`[data-testid="notice"]`).Text(), "恢复按官方安排:工作日") {
		t.Errorf("after delete: row %d, notice %q", overrideRow(doc, "2026-12-03").Length(), doc.Find(`[data-testid="notice"]`).Text())
	}
	if n := dbtest.Count(t, db, "calendar_overrides", "day = '2026-12-03'"); n != 0 {
		t.Errorf("%d rows left", n)
	}
	audit = auditOf(t, db, "calendar_overrides", 20261203)
	if len(audit) != 3 || audit[2].Action != "delete" || change(audit[2], "working") != "是→—" || change(audit[2], "day") != "2026-12-03→—" {
		t.Errorf("audit after delete = %+v", audit)
	}
	// Closing and deleting moves the due time both ways.
	admin.saveDay("2026-12-04", "closed", "")
	if due := dueOf(t, db, inquiry); due != "2026-12-07 17:00" {
		t.Errorf("due after closing Friday = %s", due)
	}
	admin.post("/admin/calendar/2026-12-04/delete", url.Values{"_csrf": {admin.csrf()}})
	if due := dueOf(t, db, inquiry); due != "2026-12-04 17:00" {
		t.Errorf("due after deleting the closure = %s", due)
	}
	// A date without a setting, or no date at all, is not found.
	for _, path := range []string{"/admin/calendar/2026-12-03/delete", "/admin/calendar/2026-02-30/delete", "/admin/calendar/today/delete"} {
		if rec := admin.post(path, url.Values{"_csrf": {admin.csrf()}}); rec.Code != http.StatusNotFound {
			t.Errorf("%s = %d, want 404", path, rec.Code)
		}
	}
}

func TestCalendarFormRefusesBadInput(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.210")
	overrides, audits := countRows(t, db, "calendar_overrides"), countRows(t, db, "audit_log")
	for _, tc := range []struct {
		name, day, working, note, field string
	}{
		{"no date", "", "closed", "", "day"},
		{"blank date", "   ", "closed", "", "day"},
		{"not a date", "next friday", "closed", "", "day"},
		{"no such day", "2026-02-30", "closed", "", "day"},
		{"month 13", "2026-13-01", "closed", "", "day"},
		{"another format", "08/10/2026", "closed", "", "day"},
		{"before 2000", "1999-12-31", "closed", "", "day"},
		{"after 2100", "2101-01-01", "closed", "", "day"},
		{"not text", "2026-12-0\xff", "closed", "", "day"},
		{"no choice", "2026-12-03", "", "", "working"},
		{"unknown choice", "2026-12-03", "maybe", "", "working"},
		{"long note", "2026-12-03", "closed", strings.Repeat("停", 201), "note"},
		{"note not text", "2026-12-03", "closed", "停止办公\xff\xfe", "note"},
		{"note with a control character", "2026-12-03", "closed", "停止\x00办公", "note"},
	} {
		rec := admin.post("/admin/calendar", url.Values{"_csrf": {admin.csrf()}, "day": {tc.day}, "working": {tc.working}, "note": {tc.note}})
		doc := parse(t, rec)
		if rec.Code != http.StatusUnprocessableEntity || doc.Find(`.field.has-error [data-testid="error-`+tc.field+`"]`).Length() != 1 {
			t.Errorf("%s = %d, want 422 with a message beside %s\n%s", tc.name, rec.Code, tc.field, doc.Find("form .field-error").Text())
		}
		if tc.field != "note" && doc.Find(`#f-note`).AttrOr("value", "") != tc.note {
			t.Errorf("%s: the note typed is not shown again", tc.name)
		}
	}
	// Both wrong at once: both said.
	rec := admin.post("/admin/calendar", url.Values{"_csrf": {admin.csrf()}, "day": {"2026-12-03"}, "note": {strings.Repeat("停", 201)}})
	if doc := parse(t, rec); rec.Code != http.StatusUnprocessableEntity || doc.Find(`.field-error`).Length() != 2 {
		t.Errorf("two mistakes = %d with %d messages", rec.Code, doc.Find(`.field-error`).Length())
	}
	if countRows(t, db, "calendar_overrides") != overrides || countRows(t, db, "audit_log") != audits {
		t.Fatal("a refused calendar form stored something")
	}
	// Links to the page with a bad year or date are the visitor's mistake.
	for _, path := range []string{"/admin/calendar?year=abc", "/admin/calendar?year=1999", "/admin/calendar?year=2100", "/admin/calendar?day=2026-02-30"} {
		if rec := admin.get(path); rec.Code != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400", path, rec.Code)
		}
	}
}

// Only administrators see or change the calendar; a change needs the form
// token; signed out, the page sends to sign in.
func TestCalendarPermissionsAndFormToken(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.220")
	if code := admin.saveDay("2026-12-24", "closed", "年末停止办公"); code != http.StatusSeeOther {
		t.Fatalf("save = %d", code)
	}
	rows, audits := countRows(t, db, "calendar_overrides"), countRows(t, db, "audit_log")
	form := url.Values{"day": {"2026-12-25"}, "working": {"closed"}, "note": {"x"}}

	for i, role := range []string{models.RoleOfficer, models.RoleEditor, models.RoleViewer} {
		v := signedIn(t, db, e, role, "192.0.2.22"+string(rune('1'+i)))
		form.Set("_csrf", v.csrf())
		for path, rec := range map[string]*httptest.ResponseRecorder{
			"GET /admin/calendar":                    v.get("/admin/calendar"),
			"POST /admin/calendar":                   v.post("/admin/calendar", form),
			"POST /admin/calendar/2026-12-24/delete": v.post("/admin/calendar/2026-12-24/delete", url.Values{"_csrf": {v.csrf()}}),
		} {
			if code := rec.Code; code != http.StatusForbidden {
				t.Errorf("%s as %s = %d, want 403", path, role, code)
			}
		}
		if strings.Contains(v.get("/admin").Body.String(), `href="/admin/calendar"`) {
			t.Errorf("the %s's menu links the calendar", role)
		}
	}

	anon := newVisitor(t, e, "192.0.2.229")
	rec := anon.get("/admin/calendar?year=2026")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/login?next="+url.QueryEscape("/admin/calendar?year=2026") {
		t.Errorf("signed out = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	form.Set("_csrf", anon.csrf())
	if rec := anon.post("/admin/calendar", form); rec.Code != http.StatusForbidden {
		t.Errorf("signed-out save = %d, want 403", rec.Code)
	}

	// The administrator without the form token, or with another's.
	for name, token := range map[string]string{"no token": "", "a wrong token": "not-the-token", "the sign-in form's token": anon.csrf()} {
		f := url.Values{"day": {"2026-12-25"}, "working": {"closed"}, "note": {"x"}}
		if token != "" {
			f.Set("_csrf", token)
		}
		if rec := admin.post("/admin/calendar", f); rec.Code != http.StatusForbidden {
			t.Errorf("save with %s = %d, want 403", name, rec.Code)
		}
		if rec := admin.post("/admin/calendar/2026-12-24/delete", url.Values{"_csrf": {token}}); rec.Code != http.StatusForbidden {
			t.Errorf("delete with %s = %d, want 403", name, rec.Code)
		}
	}
	if countRows(t, db, "calendar_overrides") != rows || countRows(t, db, "audit_log") != audits {
		t.Error("a refused request changed the calendar")
	}
}

// The official schedule of a year the library lacks: a warning once the
// State Council's schedule should be out, a plain note before.
func TestCalendarSaysWhenTheLibraryLacksAYear(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.230")

	doc := parse(t, admin.get("/admin/calendar?year=2000")) // the library starts at the end of 2001
	warning := doc.Find(`[data-testid="schedule-missing"]`)
	if warning.Length() != 1 || warning.AttrOr("role", "") != "alert" || !strings.Contains(warning.Text(), "日历库没有2000年的放假安排") {
		t.Errorf("warning for a past year the library lacks: %q", warning.Text())
	}
	if doc.Find(`[data-testid="schedule-2000"] [data-testid="schedule-unknown"]`).Length() != 1 || doc.Find(`[data-testid="earlier"]`).Length() != 0 {
		t.Error("2000 should say it is unknown, with no link to earlier years")
	}

	doc = parse(t, admin.get("/admin/calendar?year=2098"))
	if doc.Find(`[data-testid="schedule-missing"]`).Length() != 0 {
		t.Error("a warning for years whose schedule nobody has published yet")
	}
	for _, year := range []string{"2098", "2099"} {
		if note := doc.Find(`[data-testid="schedule-` + year + `"] [data-testid="schedule-unknown"]`).Text(); !strings.Contains(note, "尚未") && !strings.Contains(note, "还没有") {
			t.Errorf("%s: %q", year, note)
		}
	}
	if later := doc.Find(`[data-testid="later"]`).AttrOr("href", ""); later != "/admin/calendar?year=2099" {
		t.Errorf("2098's link to later years = %q", later)
	}
	if doc := parse(t, admin.get("/admin/calendar?year=2099")); doc.Find(`[data-testid="later"]`).Length() != 0 {
		t.Error("a link to years past 2100")
	}
}
