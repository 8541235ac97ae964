package models

import (
	"context"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"gorm.io/gorm"

	"investportal/models/calendar"
)

// The bureau's corrections to the working calendar (calendar_overrides):
// dates the calendar library lacks or gets wrong, and local closures. Every
// change is audited and moves the due time of every inquiry still waiting
// for its first response, in the same transaction, so that the desk never
// sees a due time counted in a calendar that no longer holds.

// AuditCalendarOverrides is the overrides' entity type in the audit log;
// as the table's key is a date, a date's entity id is its digits:
// 2026-10-08 → 20261008.
const AuditCalendarOverrides = "calendar_overrides"

// CalendarAuditID is the audit log's entity id of a date's override.
func CalendarAuditID(day time.Time) int64 {
	return int64(day.Year()*10000 + int(day.Month())*100 + day.Day())
}

// CalendarOverrideRow is an override with the name of who set it last.
type CalendarOverrideRow struct {
	CalendarOverride
	UpdatedByName string
}

// ListCalendarOverrides reads every override, newest dates first (a small
// table, read whole).
func ListCalendarOverrides(ctx context.Context, db *gorm.DB) ([]CalendarOverrideRow, error) {
	var rows []CalendarOverrideRow
	err := db.WithContext(ctx).Raw(`SELECT o.day, o.working, o.note, o.updated_by, o.updated_at,
			COALESCE(s.name, '') AS updated_by_name
		FROM calendar_overrides o LEFT JOIN staff_users s ON s.id = o.updated_by
		ORDER BY o.day DESC`).Scan(&rows).Error
	return rows, err
}

// CalendarOverrideOn reads a date's override; ErrNotFound when it has none.
func CalendarOverrideOn(ctx context.Context, db *gorm.DB, day time.Time) (CalendarOverride, error) {
	var o CalendarOverride
	err := notFound(db.WithContext(ctx).Where("day = ?::date", day.Format(time.DateOnly)).Take(&o).Error)
	return o, err
}

// lockCalendar serialises changes of the calendar: each transaction
// recomputes due times from the whole table, so two at once must not each
// miss the other's date.
func lockCalendar(tx *gorm.DB) error {
	return tx.Exec("SELECT pg_advisory_xact_lock(hashtext('calendar_overrides'))").Error
}

// SaveCalendarOverride sets whether a date is a working day, with a note
// (an insert or an update of the date's override), audited, and moves the
// due times of the inquiries waiting for a first response. created reports
// a new override; ErrNoChange that the date already had this one. The day
// is the date as written in its own location.
func SaveCalendarOverride(ctx context.Context, db *gorm.DB, day time.Time, working bool, note string, rules DeskRules, by Actor) (created bool, err error) {
	key := day.Format(time.DateOnly)
	var updatedBy *int64
	if by.StaffID != 0 {
		updatedBy = &by.StaffID
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockCalendar(tx); err != nil {
			return err
		}
		var old []CalendarOverride
		if err := tx.Where("day = ?::date", key).Find(&old).Error; err != nil {
			return err
		}
		changes := map[string]any{}
		if len(old) == 0 {
			created = true
			changes["day"] = []any{nil, key}
			changes["working"] = []any{nil, boolText(working)}
			changes["calendar_note"] = []any{nil, note}
		} else {
			if old[0].Working != working {
				changes["working"] = []any{boolText(old[0].Working), boolText(working)}
			}
			if old[0].Note != note {
				changes["calendar_note"] = []any{old[0].Note, note}
			}
			if len(changes) == 0 {
				return ErrNoChange
			}
		}
		if err := tx.Exec(`INSERT INTO calendar_overrides (day, working, note, updated_by, updated_at)
			VALUES (?::date, ?, ?, ?, now())
			ON CONFLICT (day) DO UPDATE SET working = EXCLUDED.working, note = EXCLUDED.note,
				updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at`,
			key, working, note, updatedBy).Error; err != nil {
			return editError(err)
		}
		action := "update"
		if created {
			action = "create"
		}
		if err := WriteAudit(tx, by, action, AuditCalendarOverrides, CalendarAuditID(day), changes); err != nil {
			return err
		}
		return RefreshResponseDue(ctx, tx, rules)
	})
	return created, err
}

// DeleteCalendarOverride removes a date's override, so the official
// schedule applies to it again, audited, and moves the due times of the
// inquiries waiting for a first response. ErrNotFound: the date has none.
func DeleteCalendarOverride(ctx context.Context, db *gorm.DB, day time.Time, rules DeskRules, by Actor) error {
	key := day.Format(time.DateOnly)
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockCalendar(tx); err != nil {
			return err
		}
		var old CalendarOverride
		res := tx.Raw("DELETE FROM calendar_overrides WHERE day = ?::date RETURNING day, working, note", key).Scan(&old)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := WriteAudit(tx, by, "delete", AuditCalendarOverrides, CalendarAuditID(day), map[string]any{
			"day": []any{key, nil}, "working": []any{boolText(old.Working), nil}, "calendar_note": []any{old.Note, nil},
		}); err != nil {
			return err
		}
		return RefreshResponseDue(ctx, tx, rules)
	})
}

// OfficialDay is a date of the State Council's holiday schedule as the
// calendar library knows it: a day off, or a make-up working day (调休).
type OfficialDay struct {
	Day     time.Time // midnight in Beijing
	Working bool      // a make-up working day
}

// OfficialHoliday is one holiday of a year's schedule: its days off and the
// make-up working days that pay for them, in date order.
type OfficialHoliday struct {
	Name   string    // as the library names it: 春节, 国庆节
	Target time.Time // the holiday's own date (春节 2026: 2026-02-17)
	Days   []OfficialDay
}

// OfficialSchedule is the State Council's schedule for a year as the
// calendar library knows it, holiday by holiday in date order; none when
// the library knows nothing of that year.
func OfficialSchedule(year int) []OfficialHoliday {
	var out []OfficialHoliday
	index := map[string]int{} // name and target → position in out
	for e := HolidayUtil.GetHolidaysByYear(year).Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		day, err := time.ParseInLocation(time.DateOnly, h.GetDay(), calendar.Beijing)
		if err != nil || day.Year() != year {
			continue
		}
		target, err := time.ParseInLocation(time.DateOnly, h.GetTarget(), calendar.Beijing)
		if err != nil {
			target = day
		}
		key := h.GetName() + " " + h.GetTarget()
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, OfficialHoliday{Name: h.GetName(), Target: target})
		}
		out[i].Days = append(out[i].Days, OfficialDay{Day: day, Working: h.IsWork()})
	}
	return out
}

// OfficialHolidayOn names the holiday a date belongs to in the official
// schedule and whether it is a make-up working day; ok is false for an
// ordinary date, whose status is its weekday's.
func OfficialHolidayOn(day time.Time) (name string, working, ok bool) {
	h := HolidayUtil.GetHoliday(day.Format(time.DateOnly))
	if h == nil || h.GetDay() != day.Format(time.DateOnly) {
		return "", false, false
	}
	return h.GetName(), h.IsWork(), true
}

// ScheduleExpected reports whether the State Council's schedule for a year
// should be out by now: it publishes the next year's in about November, so
// from November on a library that lacks next year is behind, and the
// override table has to stand in until it is updated.
func ScheduleExpected(year int, now time.Time) bool {
	now = now.In(calendar.Beijing)
	return year <= now.Year() || year == now.Year()+1 && now.Month() >= time.November
}
