package handlers_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
	"investportal/models/outbox"
)

// desk is a database with the desk's people and inquiries for the
// reminder e-mails: an officer with an inquiry due on Thursday 3 December
// 2026, and an administrator who should hear of an overdue and an
// unassigned one.
type desk struct {
	db                       *gorm.DB
	officerEmail, leadEmail  string
	due, overdue, unassigned models.Inquiry
	investorMessage          string
}

func newDesk(t *testing.T) desk {
	t.Helper()
	db := dbtest.New(t, dbtest.Migrated)
	d := desk{db: db, officerEmail: createStaff(t, db, models.RoleOfficer), leadEmail: createStaff(t, db, models.RoleAdmin),
		investorMessage: "我们计划投资十亿元建设新材料基地"}
	var officerID int64
	if err := db.Raw("SELECT id FROM staff_users WHERE email = ?", d.officerEmail).Scan(&officerID).Error; err != nil {
		t.Fatal(err)
	}
	store := func(company, due string, assignee *int64) models.Inquiry {
		key := sha256.Sum256([]byte(company))
		statusKey := "status " + company
		in, _, err := models.CreateInquiry(context.Background(), db, models.Inquiry{
			StatusTokenHash: key[:], SubmissionKeyHash: key[:], ClientKey: []byte("client"), StatusKey: &statusKey,
			Name: "王芳", Company: company, Email: "wang.fang@investor.example", Phone: "+8613800000000",
			Message: d.investorMessage, Language: "en", ConsentAt: time.Now(),
		}, func(*gorm.DB, models.Inquiry) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		dueAt, err := time.ParseInLocation("2006-01-02 15:04", due, calendar.Beijing)
		if err != nil {
			t.Fatal(err)
		}
		dbtest.MustExec(t, db, "UPDATE inquiries SET response_due_at = ?, assignee_id = ? WHERE id = ?", dueAt, assignee, in.ID)
		return in
	}
	d.due = store("赤峰新材料有限公司", "2026-12-03 17:00", &officerID)
	d.overdue = store("通辽风电设备有限公司", "2026-12-02 17:00", &officerID)
	d.unassigned = store("", "2026-12-07 17:00", nil)
	return d
}

// sentTo is the one message that went to an address.
func sentTo(t *testing.T, msgs []outbox.Message, address string) outbox.Message {
	t.Helper()
	var found []outbox.Message
	for _, m := range msgs {
		if m.ToAddress == address {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d messages to %s, want 1 (of %d sent)", len(found), address, len(msgs))
	}
	return found[0]
}

// The reminder says which inquiry, by when and where to work it, in
// Chinese; it carries nothing the investor wrote, nor their contact
// details, and its link opens the inquiry for the officer.
func TestDueReminderMail(t *testing.T) {
	d := newDesk(t)
	deps := inquiryDeps(d.db)
	wakes := 0
	deps.Inquiries.WakeOutbox = func() { wakes++ }
	run := handlers.DeskReminders(deps)

	if err := run(context.Background(), time.Date(2026, 12, 3, 0, 29, 0, 0, time.UTC)); err != nil || wakes != 0 {
		t.Fatalf("at 08:29 Beijing: err %v, %d wakes; want nothing queued", err, wakes)
	}
	if err := run(context.Background(), time.Date(2026, 12, 3, 0, 30, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if wakes != 1 {
		t.Errorf("mail worker woken %d times after queuing, want 1", wakes)
	}
	msgs := sendOutbox(t, d.db)
	m := sentTo(t, msgs, d.officerEmail)
	link := "https://invest.example.gov.cn/admin/inquiries/" + d.due.Reference
	for _, want := range []string{d.due.Reference, "赤峰新材料有限公司", "2026年12月3日 17:00(北京时间)", link, "officer 用户"} {
		if !strings.Contains(m.Subject+"\n"+m.Body, want) {
			t.Errorf("reminder lacks %q:\n%s\n\n%s", want, m.Subject, m.Body)
		}
	}
	if !strings.Contains(m.Subject, "今日到期") {
		t.Errorf("subject %q does not say it is due today", m.Subject)
	}
	for _, never := range []string{d.investorMessage, "wang.fang@investor.example", "13800000000", "王芳", d.overdue.Reference, "/inquiries/status/"} {
		if strings.Contains(m.Subject+m.Body, never) {
			t.Errorf("reminder contains %q:\n%s", never, m.Body)
		}
	}

	officer := newVisitor(t, newInquiryRouter(d.db), "192.0.2.40")
	officer.signIn(d.officerEmail, staffPassword)
	if rec := officer.get(strings.TrimPrefix(link, "https://invest.example.gov.cn")); rec.Code != http.StatusOK ||
		!strings.Contains(rec.Body.String(), d.due.Reference) {
		t.Errorf("the reminder's link answers %d", rec.Code)
	}

	if err := run(context.Background(), time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)); err != nil || wakes != 1 {
		t.Errorf("a later run the same morning: err %v, %d wakes; want nothing more queued", err, wakes)
	}
}

// The desk lead's digest lists the overdue inquiry and the unassigned one,
// each with its due time and link, and nothing the investors wrote.
func TestDeskDigestMail(t *testing.T) {
	d := newDesk(t)
	if err := handlers.DeskReminders(inquiryDeps(d.db))(context.Background(), time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	m := sentTo(t, sendOutbox(t, d.db), d.leadEmail)
	overdueAt, unassignedAt := strings.Index(m.Body, d.overdue.Reference), strings.Index(m.Body, d.unassigned.Reference)
	if overdueAt < 0 || unassignedAt < overdueAt {
		t.Errorf("digest should list %s (overdue) before %s (unassigned):\n%s", d.overdue.Reference, d.unassigned.Reference, m.Body)
	}
	for _, want := range []string{
		"2026-12-03", "逾期 1 条", "待分配 1 条", "admin 用户",
		"已逾期", "通辽风电设备有限公司", "2026年12月2日 17:00(北京时间)", "负责人:officer 用户",
		"尚未分配", "负责人:未分配", "2026年12月7日 17:00(北京时间)",
		"https://invest.example.gov.cn/admin/inquiries/" + d.overdue.Reference,
		"https://invest.example.gov.cn/admin/inquiries/" + d.unassigned.Reference,
	} {
		if !strings.Contains(m.Subject+"\n"+m.Body, want) {
			t.Errorf("digest lacks %q:\n%s\n\n%s", want, m.Subject, m.Body)
		}
	}
	for _, never := range []string{d.investorMessage, "wang.fang@investor.example", "13800000000", "王芳", d.due.Reference} {
		if strings.Contains(m.Body, never) {
			t.Errorf("digest contains %q:\n%s", never, m.Body)
		}
	}
	if m.InquiryID != nil {
		t.Errorf("the digest is about inquiry %d; it is about several", *m.InquiryID)
	}
	if n := dbtest.Count(t, d.db, "inquiry_events", fmt.Sprintf("kind = 'digest' AND inquiry_id IN (%d, %d)", d.overdue.ID, d.unassigned.ID)); n != 2 {
		t.Errorf("%d digest events on the listed inquiries' timelines, want 2", n)
	}
}
