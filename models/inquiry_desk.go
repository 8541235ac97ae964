package models

import (
	"context"
	"time"

	"gorm.io/gorm"

	"investportal/models/calendar"
)

// The inquiry desk's rules and clock: when a first response is due, when an
// open inquiry counts as dormant, and the working calendar both are
// counted in.

// DeskRules are the desk's settings (PORTAL_RESPONSE_DAYS and
// PORTAL_DORMANT_DAYS).
type DeskRules struct {
	ResponseDays int           // working days allowed for the first response
	DormantAfter time.Duration // an open inquiry without activity this long is dormant
}

// DefaultDeskRules answer within two working days, the most investors
// expect, and call an inquiry dormant after two weeks of silence.
var DefaultDeskRules = DeskRules{ResponseDays: 2, DormantAfter: 14 * 24 * time.Hour}

// CalendarOverride is a date whose working status the bureau sets itself.
type CalendarOverride struct {
	Day       time.Time `gorm:"primaryKey;type:date"`
	Working   bool
	Note      string
	UpdatedBy *int64
	UpdatedAt time.Time
}

// TableName keeps GORM on the schema's name.
func (CalendarOverride) TableName() string { return "calendar_overrides" }

// LoadWorkCalendar is the official working calendar with the bureau's
// overrides (a small table, read whole).
func LoadWorkCalendar(ctx context.Context, db *gorm.DB) (*calendar.WorkCalendar, error) {
	var rows []struct {
		Day     string
		Working bool
	}
	if err := db.WithContext(ctx).Raw("SELECT to_char(day, 'YYYY-MM-DD') AS day, working FROM calendar_overrides").Scan(&rows).Error; err != nil {
		return nil, err
	}
	o := calendar.Overrides{}
	for _, r := range rows {
		o[r.Day] = r.Working
	}
	return calendar.NewWorkCalendar(o), nil
}

// openStages are the stages an inquiry is still being worked in.
var openStages = []string{InquiryNew, InquiryAcknowledged, InquiryQualified, InquirySiteVisit, InquiryNegotiating}

// IsOpenStage reports whether an inquiry in this stage is still worked.
func IsOpenStage(stage string) bool { return stage != InquirySigned && stage != InquiryClosed }

// RefreshResponseDue sets the due time of every inquiry still waiting for
// its first response from the calendar as it is now: after the bureau
// changes the calendar, and at start for inquiries that have none.
func RefreshResponseDue(ctx context.Context, db *gorm.DB, rules DeskRules) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The calendar as of this transaction, with no change to it in
		// between: a start-up refresh must not write back due times from a
		// calendar an administrator has just changed.
		if err := lockCalendar(tx); err != nil {
			return err
		}
		cal, err := LoadWorkCalendar(ctx, tx)
		if err != nil {
			return err
		}
		var waiting []Inquiry
		if err := tx.Select("id", "created_at", "response_due_at").
			Where("first_response_at IS NULL AND stage IN ?", openStages).Find(&waiting).Error; err != nil {
			return err
		}
		for _, in := range waiting {
			due := cal.ResponseDue(in.CreatedAt, rules.ResponseDays)
			if in.ResponseDueAt != nil && in.ResponseDueAt.Equal(due) {
				continue
			}
			if err := tx.Model(&Inquiry{}).Where("id = ?", in.ID).UpdateColumn("response_due_at", due).Error; err != nil {
				return err
			}
		}
		return nil
	})
}
