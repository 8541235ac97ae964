package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"investportal/models/calendar"
)

// The desk's reminders: on the morning an assigned inquiry's first
// response falls due its officer is reminded, and every administrator (the
// desk leads) gets one digest a day of the inquiries nobody works and the
// overdue ones. A scheduled job calls SendDeskReminders every minute or
// so, on whichever instance holds its lease; what makes each e-mail go out
// once is not the lease but a row under a primary key (inquiry_reminders,
// desk_digests) inserted in the transaction that enqueues it.

// RemindersFrom is the time of day, Beijing, from which a working day's
// reminders go out: before the office opens, so that they wait in the
// inbox when the day starts.
const RemindersFrom = 8*time.Hour + 30*time.Minute

// digestLimit caps the inquiries one digest lists (the most urgent first),
// so that a backlog makes a long e-mail, not an unreadable one.
const digestLimit = 100

// DueReminder is an officer's reminder of an inquiry whose first response
// is due today. It carries no more of the investor than the company: the
// officer opens the inquiry for the rest.
type DueReminder struct {
	InquiryID     int64
	Reference     string
	Company       string
	ResponseDueAt time.Time
	OfficerID     int64
	OfficerName   string
	OfficerEmail  string
}

// DigestInquiry is an inquiry in the desk lead's digest.
type DigestInquiry struct {
	InquiryID     int64
	Reference     string
	Company       string
	ResponseDueAt *time.Time // nil: not set yet
	AssigneeName  string     // "" when unassigned
	Unassigned    bool       // no assignee, or one who can no longer work it (disabled, another role)
	Overdue       bool       // no first response and past its due time
}

// DeskDigest is one administrator's digest of a day.
type DeskDigest struct {
	Day            time.Time // midnight, Beijing
	RecipientID    int64
	RecipientName  string
	RecipientEmail string
	Inquiries      []DigestInquiry
	Total          int // inquiries to list; more than len(Inquiries) when over the cap
}

// DeskMail writes the desk's e-mails, within the transaction that records
// them as sent.
type DeskMail struct {
	Reminder func(tx *gorm.DB, r DueReminder) error
	Digest   func(tx *gorm.DB, d DeskDigest) error
}

// DeskRemindersSent counts what one run enqueued.
type DeskRemindersSent struct {
	Reminders, Digests int
}

// SendDeskReminders sends what is due at now and not sent yet today:
// officers' reminders of inquiries due today, and administrators' digests.
// Running it again the same day, on this instance or another, sends
// nothing more, except reminders and digests that became due meanwhile
// (an inquiry assigned this afternoon, a first digest once there is
// something to list).
func SendDeskReminders(ctx context.Context, db *gorm.DB, now time.Time, mail DeskMail) (DeskRemindersSent, error) {
	var sent DeskRemindersSent
	cal, err := LoadWorkCalendar(ctx, db)
	if err != nil {
		return sent, err
	}
	day := calendar.Day(now)
	// Nothing goes out on a day off: no one is at the desk to act on it,
	// and no response falls due then (due times are counted in working
	// days), so the next working morning's run finds everything waiting.
	if !cal.IsWorkingDay(now) || now.Sub(day) < RemindersFrom {
		return sent, nil
	}
	reminders, err := dueReminders(ctx, db, day)
	if err != nil {
		return sent, err
	}
	for _, r := range reminders {
		ok, err := sendReminder(ctx, db, day, r, mail.Reminder)
		if err != nil {
			return sent, fmt.Errorf("reminder of inquiry %d: %w", r.InquiryID, err)
		}
		if ok {
			sent.Reminders++
		}
	}
	listed, total, err := digestInquiries(ctx, db, now)
	if err != nil || len(listed) == 0 {
		return sent, err // no digest when there is nothing to list
	}
	var leads []StaffUser
	if err := db.WithContext(ctx).Select("id", "name", "email").
		Where("role = ? AND disabled_at IS NULL", RoleAdmin).Order("id").Find(&leads).Error; err != nil {
		return sent, err
	}
	for _, lead := range leads {
		d := DeskDigest{Day: day, RecipientID: lead.ID, RecipientName: lead.Name, RecipientEmail: lead.Email,
			Inquiries: listed, Total: total}
		ok, err := sendDigest(ctx, db, d, mail.Digest)
		if err != nil {
			return sent, fmt.Errorf("digest to staff account %d: %w", lead.ID, err)
		}
		if ok {
			sent.Digests++
		}
	}
	return sent, nil
}

// workingRoles are the roles that work inquiries: the accounts that can
// be assigned one (Officers) and reminded of it.
var workingRoles = []string{RoleAdmin, RoleOfficer}

// dueReminders are the open inquiries still waiting for their first
// response whose due time falls on day, each with its active officer.
func dueReminders(ctx context.Context, db *gorm.DB, day time.Time) ([]DueReminder, error) {
	var list []DueReminder
	err := db.WithContext(ctx).Raw(`
		SELECT i.id AS inquiry_id, i.reference, i.company, i.response_due_at,
		       s.id AS officer_id, s.name AS officer_name, s.email AS officer_email
		FROM inquiries i JOIN staff_users s ON s.id = i.assignee_id
		WHERE i.stage IN ? AND i.anonymised_at IS NULL AND i.first_response_at IS NULL
		  AND i.response_due_at >= ? AND i.response_due_at < ?
		  AND s.disabled_at IS NULL AND s.role IN ?
		ORDER BY i.id`, openStages, day, day.AddDate(0, 0, 1), workingRoles).Scan(&list).Error
	return list, err
}

// sendReminder records and enqueues one reminder unless it was sent
// today already; false: it was.
func sendReminder(ctx context.Context, db *gorm.DB, day time.Time, r DueReminder, mail func(*gorm.DB, DueReminder) error) (bool, error) {
	inserted := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A second instance inserting the same row waits for this
		// transaction and then inserts nothing.
		res := tx.Exec(`INSERT INTO inquiry_reminders (inquiry_id, recipient_id, day) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, r.InquiryID, r.OfficerID, day.Format(time.DateOnly))
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		inserted = true
		if err := addInquiryEvent(tx, r.InquiryID, "reminder", nil, "", r.OfficerName); err != nil {
			return err
		}
		return mail(tx, r)
	})
	return inserted && err == nil, err
}

// digestInquiries are the open inquiries the desk lead should look at:
// those nobody works and those past their due time without a response,
// the earliest due first, at most digestLimit of them, with how many there
// are in all.
func digestInquiries(ctx context.Context, db *gorm.DB, now time.Time) ([]DigestInquiry, int, error) {
	var rows []struct {
		DigestInquiry
		Total int
	}
	err := db.WithContext(ctx).Raw(`
		SELECT inquiry_id, reference, company, response_due_at, assignee_name, unassigned, overdue, count(*) OVER () AS total
		FROM (SELECT i.id AS inquiry_id, i.reference, i.company, i.response_due_at, COALESCE(s.name, '') AS assignee_name,
		             (s.id IS NULL OR s.disabled_at IS NOT NULL OR s.role NOT IN @working) AS unassigned,
		             COALESCE(i.first_response_at IS NULL AND i.response_due_at < @now, false) AS overdue
		      FROM inquiries i LEFT JOIN staff_users s ON s.id = i.assignee_id
		      WHERE i.stage IN @open AND i.anonymised_at IS NULL) AS candidates
		WHERE unassigned OR overdue
		ORDER BY response_due_at NULLS LAST, inquiry_id
		LIMIT @limit`, map[string]any{"working": workingRoles, "now": now, "open": openStages, "limit": digestLimit}).
		Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, 0, err
	}
	list := make([]DigestInquiry, len(rows))
	for i, r := range rows {
		list[i] = r.DigestInquiry
	}
	return list, rows[0].Total, nil
}

// sendDigest records and enqueues one administrator's digest unless it
// was sent today already, with a timeline entry on every inquiry listed;
// false: it was sent.
func sendDigest(ctx context.Context, db *gorm.DB, d DeskDigest, mail func(*gorm.DB, DeskDigest) error) (bool, error) {
	inserted := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec("INSERT INTO desk_digests (recipient_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
			d.RecipientID, d.Day.Format(time.DateOnly))
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		inserted = true
		for _, in := range d.Inquiries {
			if err := addInquiryEvent(tx, in.InquiryID, "digest", nil, "", d.RecipientName); err != nil {
				return err
			}
		}
		return mail(tx, d)
	})
	return inserted && err == nil, err
}
