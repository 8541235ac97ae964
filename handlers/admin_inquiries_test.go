package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"investportal/models"
	"investportal/models/dbtest"
)

func init() {
	workers := []string{models.RoleAdmin, models.RoleOfficer}
	adminAccess["GET /admin/inquiries/:ref"] = workers
	adminAccess["POST /admin/inquiries/:ref"] = workers
	adminAccess["POST /admin/inquiries/:ref/notes"] = workers
	adminAccess["POST /admin/inquiries/:ref/take"] = workers
	adminAccess["GET /admin/inquiries.csv"] = workers
}

func TestOfficerWorksAnInquiry(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	investor := newVisitor(t, e, "192.0.2.90")
	form, _ := investor.openForm("/en/inquiries/new?policy=" + electronicsPolicy)
	inquiry := validInquiry(form)
	inquiry.Set("language", "en")
	rec := investor.post("/en/inquiries", inquiry)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry = %d", rec.Code)
	}
	statusURL := strings.SplitN(rec.Header().Get("Location"), "?", 2)[0]
	var in models.Inquiry
	db.Take(&in)
	path := "/admin/inquiries/" + in.Reference

	officer := signedIn(t, db, e, models.RoleOfficer, "192.0.2.91")
	list := parse(t, officer.get("/admin/inquiries?stage=new&assignee=none")).Find(`[data-testid="admin-inquiries"]`).Text()
	if !strings.Contains(list, in.Reference) || !strings.Contains(list, "张伟") {
		t.Fatalf("new unassigned inquiries:\n%s", list)
	}
	page := parse(t, officer.get(path))
	if facts := page.Find(`[data-testid="inquiry-facts"]`).Text(); !strings.Contains(facts, "zhang.wei@example.com") || !strings.Contains(facts, "赤峰市电子装备") {
		t.Errorf("inquiry facts:\n%s", facts)
	}

	// Take it on and move it along.
	var officerID int64
	db.Raw("SELECT id FROM staff_users WHERE role = 'officer'").Scan(&officerID)
	work := url.Values{"_csrf": {officer.csrf()}, "stage": {"acknowledged"}, "assignee": {strconv.FormatInt(officerID, 10)}}
	if rec := officer.post(path, work); rec.Code != http.StatusSeeOther {
		t.Fatalf("work = %d\n%s", rec.Code, rec.Body.String())
	}
	if list := parse(t, officer.get("/admin/inquiries?assignee=mine")).Find(`[data-testid="admin-inquiries"]`).Text(); !strings.Contains(list, in.Reference) {
		t.Errorf("assigned inquiry not among mine:\n%s", list)
	}
	audit := auditOf(t, db, "inquiries", in.ID)
	if len(audit) != 1 || !strings.Contains(string(audit[0].Changes["stage"]), "acknowledged") || !strings.Contains(string(audit[0].Changes["assignee"]), "officer 用户") {
		t.Errorf("inquiry audit = %+v", audit)
	}
	for name, bad := range map[string]url.Values{
		"unknown stage":         {"stage": {"won"}, "assignee": {""}},
		"viewer as owner":       {"stage": {"new"}, "assignee": {"999999"}},
		"assignee not a number": {"stage": {"new"}, "assignee": {"1 OR 1=1"}},
	} {
		bad.Set("_csrf", officer.csrf())
		if rec := officer.post(path, bad); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s = %d, want 422", name, rec.Code)
		}
	}

	// An internal note stays internal; a reply reaches the investor.
	mails := countRows(t, db, "outbox_messages")
	if rec := officer.post(path+"/notes", url.Values{"_csrf": {officer.csrf()}, "body": {"内部:企业规模待核实"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("note = %d", rec.Code)
	}
	if rec := officer.post(path+"/notes", url.Values{"_csrf": {officer.csrf()}, "body": {"Thank you. <b>We</b> will call you on Monday."}, "reply": {"1"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("reply = %d", rec.Code)
	}
	for name, body := range map[string]string{"empty": "  ", "too long": strings.Repeat("长", 5001), "invalid UTF-8": "\xff\xfe"} {
		rec := officer.post(path+"/notes", url.Values{"_csrf": {officer.csrf()}, "body": {body}, "reply": {"1"}})
		if rec.Code != http.StatusUnprocessableEntity || parse(t, rec).Find(`[data-testid="error-body"]`).Length() != 1 {
			t.Errorf("%s note = %d, want 422 with a message", name, rec.Code)
		}
	}
	if countRows(t, db, "inquiry_notes") != 2 {
		t.Errorf("notes stored: %d, want 2", countRows(t, db, "inquiry_notes"))
	}
	status := investor.get(statusURL).Body.String()
	if !strings.Contains(status, "We</b> will call you") && !strings.Contains(status, "&lt;b&gt;We&lt;/b&gt; will call you") {
		t.Errorf("the reply is not on the status page")
	}
	if strings.Contains(status, "企业规模待核实") {
		t.Error("an internal note is on the investor's status page")
	}
	if countRows(t, db, "outbox_messages") != mails+1 {
		t.Errorf("%d e-mails queued for the reply, want 1", countRows(t, db, "outbox_messages")-mails)
	}
	sent := sendOutbox(t, db)
	reply := sent[len(sent)-1]
	if reply.ToAddress != "zhang.wei@example.com" || !strings.Contains(reply.Subject, "New reply") ||
		!strings.Contains(reply.Body, "https://invest.example.gov.cn"+statusURL) {
		t.Errorf("reply mail = %+v", reply)
	}
	thread := parse(t, officer.get(path)).Find(`[data-testid="thread"]`).Text()
	if !strings.Contains(thread, "内部备注") || !strings.Contains(thread, "回复投资者") {
		t.Errorf("thread:\n%s", thread)
	}

	for _, p := range []string{"/admin/inquiries/INQ-2026-999999", "/admin/inquiries/INQ-1", "/admin/inquiries/x';--"} {
		if rec := officer.get(p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
	if rec := officer.get("/admin/inquiries?assignee=abc"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad assignee filter = %d", rec.Code)
	}
}
