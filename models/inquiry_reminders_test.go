package models_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
	"investportal/models/jobs"
	"investportal/models/outbox"
)

// beijingTime reads "2026-12-03 08:30" as Beijing time.
func beijingTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Beijing)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// deskMailbox is a DeskMail that enqueues a short message per e-mail, as
// the portal's does, and keeps what it was asked to write.
type deskMailbox struct {
	mu        sync.Mutex
	reminders []models.DueReminder
	digests   []models.DeskDigest
}

func (b *deskMailbox) mail() models.DeskMail {
	return models.DeskMail{
		Reminder: func(tx *gorm.DB, r models.DueReminder) error {
			b.mu.Lock()
			b.reminders = append(b.reminders, r)
			b.mu.Unlock()
			return outbox.Enqueue(tx, "portal.example", outbox.Message{InquiryID: &r.InquiryID, ToAddress: r.OfficerEmail, Subject: "提醒 " + r.Reference, Body: "b"})
		},
		Digest: func(tx *gorm.DB, d models.DeskDigest) error {
			b.mu.Lock()
			b.digests = append(b.digests, d)
			b.mu.Unlock()
			return outbox.Enqueue(tx, "portal.example", outbox.Message{ToAddress: d.RecipientEmail, Subject: "汇总", Body: "b"})
		},
	}
}

// sendAt runs the reminders for a moment and fails the test on an error.
func sendAt(t *testing.T, db *gorm.DB, b *deskMailbox, now time.Time) models.DeskRemindersSent {
	t.Helper()
	sent, err := models.SendDeskReminders(context.Background(), db, now, b.mail())
	if err != nil {
		t.Fatalf("reminders at %s: %v", now, err)
	}
	return sent
}

// deskStaff adds an account; disabled ones are switched off.
func deskStaff(t *testing.T, db *gorm.DB, name, role string, disabled bool) int64 {
	t.Helper()
	var id int64
	err := db.Raw(`INSERT INTO staff_users (email, name, role, password_hash, disabled_at)
		VALUES (?, ?, ?, 'not a hash', CASE WHEN ? THEN now() END) RETURNING id`,
		fmt.Sprintf("desk%d@bureau.example", time.Now().UnixNano()), name, role, disabled).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// deskInquiry stores an inquiry from company, due at due and assigned to
// assignee (0: nobody), then applies the SQL assignments in set, if any.
func deskInquiry(t *testing.T, db *gorm.DB, company string, due time.Time, assignee int64, set string) models.Inquiry {
	t.Helper()
	key := fmt.Sprintf("desk %s %d", company, time.Now().UnixNano())
	statusKey := "status " + key
	in := models.Inquiry{StatusTokenHash: submissionHash("token " + key), Name: "王芳", Company: company, Email: "wang@example.com",
		Message: "我们计划投资十亿元,请致电 13800000000", Language: "zh-Hans", ConsentAt: time.Now(), StatusKey: &statusKey,
		SubmissionKeyHash: submissionHash(key), ClientKey: []byte("client")}
	stored, _, err := models.CreateInquiry(context.Background(), db, in, func(*gorm.DB, models.Inquiry) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	var assigneeID *int64
	if assignee != 0 {
		assigneeID = &assignee
	}
	dbtest.MustExec(t, db, "UPDATE inquiries SET response_due_at = ?, assignee_id = ? WHERE id = ?", due, assigneeID, stored.ID)
	if set != "" {
		dbtest.MustExec(t, db, "UPDATE inquiries SET "+set+" WHERE id = ?", stored.ID)
	}
	stored.ResponseDueAt, stored.AssigneeID = &due, assigneeID
	return stored
}

func references(reminders []models.DueReminder) []string {
	var refs []string
	for _, r := range reminders {
		refs = append(refs, r.Reference)
	}
	slices.Sort(refs)
	return refs
}

// An officer hears of an inquiry on the morning it falls due, from 08:30
// Beijing time, once.
func TestOfficerIsRemindedOnceOnTheDueMorning(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	officer := deskStaff(t, db, "李明", models.RoleOfficer, false)
	// Thursday 3 December 2026, a plain working day.
	in := deskInquiry(t, db, "赤峰新材料有限公司", beijingTime(t, "2026-12-03 17:00"), officer, "")
	b := &deskMailbox{}

	for _, early := range []string{"2026-12-02 09:00", "2026-12-02 18:00", "2026-12-03 08:29"} {
		if sent := sendAt(t, db, b, beijingTime(t, early)); sent.Reminders != 0 {
			t.Errorf("at %s: %d reminders, want none before the due morning's 08:30", early, sent.Reminders)
		}
	}
	// 00:30 UTC is 08:30 in Beijing: the zone of now does not matter.
	if sent := sendAt(t, db, b, time.Date(2026, 12, 3, 0, 30, 0, 0, time.UTC)); sent.Reminders != 1 || sent.Digests != 0 {
		t.Fatalf("at 08:30: sent %+v, want one reminder and no digest (nothing unassigned or overdue)", sent)
	}
	for _, later := range []string{"2026-12-03 08:31", "2026-12-03 16:00"} {
		if sent := sendAt(t, db, b, beijingTime(t, later)); sent.Reminders != 0 {
			t.Errorf("at %s: %d more reminders", later, sent.Reminders)
		}
	}
	if len(b.reminders) != 1 {
		t.Fatalf("%d reminders written", len(b.reminders))
	}
	r := b.reminders[0]
	if r.InquiryID != in.ID || r.Reference != in.Reference || r.Company != "赤峰新材料有限公司" || r.OfficerID != officer ||
		r.OfficerName != "李明" || !r.ResponseDueAt.Equal(beijingTime(t, "2026-12-03 17:00")) {
		t.Errorf("reminder %+v", r)
	}
	if n := dbtest.Count(t, db, "inquiry_reminders", fmt.Sprintf("inquiry_id = %d AND recipient_id = %d AND day = '2026-12-03'", in.ID, officer)); n != 1 {
		t.Errorf("%d inquiry_reminders rows for the day, want 1", n)
	}
	if n := dbtest.Count(t, db, "inquiry_events", fmt.Sprintf("inquiry_id = %d AND kind = 'reminder' AND to_value = '李明' AND actor_id IS NULL", in.ID)); n != 1 {
		t.Errorf("%d reminder events on the timeline, want 1 by the portal naming the officer", n)
	}
	if n := dbtest.Count(t, db, "outbox_messages", "true"); n != 1 {
		t.Errorf("%d messages in the outbox, want 1", n)
	}
}

// Only an open inquiry still waiting for its first response, with an active
// officer, is reminded of.
func TestNoReminderForAnsweredClosedAnonymisedUnassignedOrDisabled(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	officer := deskStaff(t, db, "李明", models.RoleOfficer, false)
	lead := deskStaff(t, db, "张主任", models.RoleAdmin, false)
	gone := deskStaff(t, db, "离职者", models.RoleOfficer, true)
	viewer := deskStaff(t, db, "只读", models.RoleViewer, false)
	due := beijingTime(t, "2026-12-03 17:00")
	deskInquiry(t, db, "待答复", due, officer, "")
	deskInquiry(t, db, "由主任负责", due, lead, "stage = 'qualified'")
	deskInquiry(t, db, "已答复", due, officer, "first_response_at = now()")
	deskInquiry(t, db, "已关闭", due, officer, "stage = 'closed', close_reason = 'withdrawn'")
	deskInquiry(t, db, "已匿名", due, officer, "anonymised_at = now()")
	deskInquiry(t, db, "未分配", due, 0, "")
	deskInquiry(t, db, "负责人已停用", due, gone, "")
	deskInquiry(t, db, "只读账号", due, viewer, "")
	deskInquiry(t, db, "明天到期", beijingTime(t, "2026-12-04 17:00"), officer, "")
	b := &deskMailbox{}
	sendAt(t, db, b, beijingTime(t, "2026-12-03 09:00"))
	var got []string
	for _, r := range b.reminders {
		got = append(got, r.Company)
	}
	slices.Sort(got)
	if want := []string{"待答复", "由主任负责"}; !slices.Equal(got, want) {
		t.Errorf("reminded of %q, want %q", got, want)
	}
}

// Two portal instances on one database, each with its runner, started at
// the same moment (and, for good measure, two calls that skip the lease):
// one reminder per inquiry and one digest per desk lead a day, then the
// next day's.
func TestTwoInstancesSendEachReminderOnceADay(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	officer := deskStaff(t, db, "李明", models.RoleOfficer, false)
	deskStaff(t, db, "张主任", models.RoleAdmin, false)
	deskStaff(t, db, "王副主任", models.RoleAdmin, false)
	var dueToday []string
	for i := range 5 {
		dueToday = append(dueToday, deskInquiry(t, db, fmt.Sprintf("企业%d", i), beijingTime(t, "2026-12-03 17:00"), officer, "").Reference)
	}
	dueTomorrow := deskInquiry(t, db, "明天到期", beijingTime(t, "2026-12-04 17:00"), officer, "")
	deskInquiry(t, db, "未分配", beijingTime(t, "2026-12-07 17:00"), 0, "")

	b := &deskMailbox{}
	send := func(ctx context.Context, now time.Time) error {
		_, err := models.SendDeskReminders(ctx, db, now, b.mail())
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	instances := []*jobs.Runner{jobs.New(db, quiet, jobs.Job{Name: "desk-reminders", Run: send}),
		jobs.New(db, quiet, jobs.Job{Name: "desk-reminders", Run: send})}
	runDay := func(now time.Time) {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, r := range instances {
			wg.Go(func() {
				<-start
				if _, err := r.RunOnce(context.Background(), now); err != nil {
					t.Error(err)
				}
			})
		}
		for range 2 {
			wg.Go(func() {
				<-start
				if err := send(context.Background(), now); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
	}

	runDay(beijingTime(t, "2026-12-03 08:30"))
	if got := references(b.reminders); !slices.Equal(got, dueToday) {
		t.Errorf("reminders on the 3rd: %q, want each of %q once", got, dueToday)
	}
	if len(b.digests) != 2 {
		t.Errorf("%d digests on the 3rd, want one per desk lead", len(b.digests))
	}
	if n := dbtest.Count(t, db, "outbox_messages", "true"); n != 5+2 {
		t.Errorf("%d messages in the outbox, want 7", n)
	}
	if n := dbtest.Count(t, db, "inquiry_events", "kind = 'reminder'"); n != 5 {
		t.Errorf("%d reminder events, want 5", n)
	}

	b.reminders, b.digests = nil, nil
	runDay(beijingTime(t, "2026-12-04 08:30"))
	if got := references(b.reminders); !slices.Equal(got, []string{dueTomorrow.Reference}) {
		t.Errorf("reminders on the 4th: %q, want only %s's", got, dueTomorrow.Reference)
	}
	if len(b.digests) != 2 {
		t.Fatalf("%d digests on the 4th, want one per desk lead again", len(b.digests))
	}
	// Yesterday's five, unanswered, are overdue now, and the unassigned one.
	if d := b.digests[0]; d.Total != 6 || len(d.Inquiries) != 6 || !d.Day.Equal(beijingTime(t, "2026-12-04 00:00")) {
		t.Errorf("digest of the 4th: total %d, %d listed, day %s", d.Total, len(d.Inquiries), d.Day)
	}
	if n := dbtest.Count(t, db, "desk_digests", "true"); n != 4 {
		t.Errorf("%d desk_digests rows after two days, want 4", n)
	}
}

// The digest lists every open inquiry nobody works and every one past its
// due time unanswered, to each active administrator, and puts it on each
// inquiry's timeline.
func TestDigestListsUnassignedAndOverdueInquiries(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	officer := deskStaff(t, db, "李明", models.RoleOfficer, false)
	gone := deskStaff(t, db, "离职者", models.RoleOfficer, true)
	deskStaff(t, db, "张主任", models.RoleAdmin, false)
	deskStaff(t, db, "王副主任", models.RoleAdmin, false)
	deskStaff(t, db, "退休主任", models.RoleAdmin, true)
	deskStaff(t, db, "编辑", models.RoleEditor, false)
	now := beijingTime(t, "2026-12-03 09:00")
	overdue := deskInquiry(t, db, "逾期未答复", beijingTime(t, "2026-12-02 17:00"), officer, "")
	overdueUnassigned := deskInquiry(t, db, "逾期且未分配", beijingTime(t, "2026-12-01 17:00"), 0, "")
	unassigned := deskInquiry(t, db, "未分配", beijingTime(t, "2026-12-07 17:00"), 0, "stage = 'acknowledged'")
	orphaned := deskInquiry(t, db, "负责人已停用", beijingTime(t, "2026-12-08 17:00"), gone, "")
	deskInquiry(t, db, "逾期但已答复", beijingTime(t, "2026-12-02 17:00"), officer, "first_response_at = now()")
	deskInquiry(t, db, "按期处理中", beijingTime(t, "2026-12-07 17:00"), officer, "")
	deskInquiry(t, db, "未分配但已关闭", beijingTime(t, "2026-12-01 17:00"), 0, "stage = 'closed', close_reason = 'spam'")
	deskInquiry(t, db, "未分配但已匿名", beijingTime(t, "2026-12-01 17:00"), 0, "anonymised_at = now()")

	b := &deskMailbox{}
	if sent := sendAt(t, db, b, now); sent.Digests != 2 {
		t.Fatalf("sent %+v, want a digest to each of the two active administrators", sent)
	}
	var recipients []string
	for _, d := range b.digests {
		recipients = append(recipients, d.RecipientName)
	}
	slices.Sort(recipients)
	if !slices.Equal(recipients, []string{"张主任", "王副主任"}) {
		t.Errorf("digests to %q", recipients)
	}
	d := b.digests[0]
	type row struct {
		Reference           string
		Unassigned, Overdue bool
		Assignee            string
	}
	var got []row
	for _, in := range d.Inquiries {
		got = append(got, row{in.Reference, in.Unassigned, in.Overdue, in.AssigneeName})
	}
	want := []row{ // the earliest due first
		{overdueUnassigned.Reference, true, true, ""},
		{overdue.Reference, false, true, "李明"},
		{unassigned.Reference, true, false, ""},
		{orphaned.Reference, true, false, "离职者"},
	}
	if !slices.Equal(got, want) || d.Total != 4 {
		t.Errorf("digest lists (total %d)\n%+v\nwant\n%+v", d.Total, got, want)
	}
	for _, in := range []models.Inquiry{overdue, overdueUnassigned, unassigned, orphaned} {
		if n := dbtest.Count(t, db, "inquiry_events", fmt.Sprintf("inquiry_id = %d AND kind = 'digest' AND actor_id IS NULL", in.ID)); n != 2 {
			t.Errorf("%s: %d digest events, want one per digest it was in", in.Company, n)
		}
	}
	if n := dbtest.Count(t, db, "inquiry_events", "kind = 'digest' AND to_value = '张主任'"); n != 4 {
		t.Errorf("%d digest events naming 张主任, want 4", n)
	}
	if sent := sendAt(t, db, b, now.Add(time.Hour)); sent.Digests != 0 {
		t.Errorf("an hour later: %d more digests", sent.Digests)
	}
}

// A backlog makes a digest of the hundred most urgent and says how many
// there are; only those listed get a timeline entry.
func TestDigestListsAtMostAHundred(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	deskStaff(t, db, "张主任", models.RoleAdmin, false)
	dbtest.MustExec(t, db, `INSERT INTO inquiries (reference, status_token_hash, name, email, message, language, consent_at, response_due_at)
		SELECT format('INQ-2025-%s', lpad(g::text, 6, '0')), sha256(g::text::bytea), '投资者', 'x@example.com', '留言', 'zh-Hans', now(),
		       timestamptz '2026-11-02 17:00+08' + g * interval '1 hour'
		FROM generate_series(1, 130) g`)
	b := &deskMailbox{}
	sendAt(t, db, b, beijingTime(t, "2026-12-03 09:00"))
	if len(b.digests) != 1 {
		t.Fatalf("%d digests", len(b.digests))
	}
	d := b.digests[0]
	if d.Total != 130 || len(d.Inquiries) != 100 || d.Inquiries[0].Reference != "INQ-2025-000001" || d.Inquiries[99].Reference != "INQ-2025-000100" {
		t.Errorf("digest of a backlog: total %d, %d listed, from %s", d.Total, len(d.Inquiries), d.Inquiries[0].Reference)
	}
	if n := dbtest.Count(t, db, "inquiry_events", "kind = 'digest'"); n != 100 {
		t.Errorf("%d digest events, want one per listed inquiry", n)
	}
}

// With nothing to list, no digest goes out and none is recorded.
func TestNoDigestWhenNothingIsWaiting(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	officer := deskStaff(t, db, "李明", models.RoleOfficer, false)
	deskStaff(t, db, "张主任", models.RoleAdmin, false)
	deskInquiry(t, db, "按期处理中", beijingTime(t, "2026-12-07 17:00"), officer, "")
	b := &deskMailbox{}
	if sent := sendAt(t, db, b, beijingTime(t, "2026-12-03 09:00")); sent != (models.DeskRemindersSent{}) {
		t.Errorf("sent %+v, want nothing", sent)
	}
	if n := dbtest.Count(t, db, "desk_digests", "true") + dbtest.Count(t, db, "outbox_messages", "true"); n != 0 {
		t.Errorf("%d digests or messages recorded", n)
	}
}

// Weekends, public holidays and the bureau's own closures send nothing; a
// make-up working day sends as any working day.
func TestNothingIsSentOnDaysOff(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	officer := deskStaff(t, db, "李明", models.RoleOfficer, false)
	deskStaff(t, db, "张主任", models.RoleAdmin, false)
	deskInquiry(t, db, "未分配", beijingTime(t, "2026-09-30 17:00"), 0, "")
	dbtest.MustExec(t, db, "INSERT INTO calendar_overrides (day, working, note) VALUES ('2026-12-07', false, '局内停电')")
	b := &deskMailbox{}
	for _, day := range []string{
		"2026-10-01", "2026-10-03", "2026-10-07", // National Day
		"2026-12-05", "2026-12-06", // a weekend
		"2026-12-07", // a Monday the bureau closed
	} {
		// Even an inquiry due that very day (a calendar since changed).
		deskInquiry(t, db, "当天到期 "+day, beijingTime(t, day+" 17:00"), officer, "")
		if sent := sendAt(t, db, b, beijingTime(t, day+" 10:00")); sent != (models.DeskRemindersSent{}) {
			t.Errorf("%s: sent %+v on a day off", day, sent)
		}
	}
	// Saturday 10 October 2026 is a make-up working day.
	deskInquiry(t, db, "调休日到期", beijingTime(t, "2026-10-10 17:00"), officer, "")
	if sent := sendAt(t, db, b, beijingTime(t, "2026-10-10 10:00")); sent.Reminders != 1 || sent.Digests != 1 {
		t.Errorf("on the make-up Saturday: sent %+v, want a reminder and a digest", sent)
	}
}
