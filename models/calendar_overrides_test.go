package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
)

func beijingDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, s, calendar.Beijing)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// receivedWednesday stores an inquiry received on Wednesday 2 December 2026
// at 10:00 in Beijing, waiting for its first response: due Friday 17:00.
func receivedWednesday(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	in := storeInquiry(t, db, "calendar", "calendar@example.com")
	dbtest.MustExec(t, db, "UPDATE inquiries SET created_at = '2026-12-02 10:00+08', first_response_at = NULL WHERE id = ?", in.ID)
	if err := models.RefreshResponseDue(context.Background(), db, models.DefaultDeskRules); err != nil {
		t.Fatal(err)
	}
	return in.ID
}

func responseDue(t *testing.T, db *gorm.DB, id int64) string {
	t.Helper()
	var due time.Time
	if err := db.Raw("SELECT response_due_at FROM inquiries WHERE id = ?", id).Scan(&due).Error; err != nil {
		t.Fatal(err)
	}
	return due.In(calendar.Beijing).Format("2006-01-02 15:04")
}

func TestCalendarOverridesUpsertDeleteAuditAndMoveDueTimes(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	u, err := models.CreateStaffUser(ctx, db, "lead@bureau.example", "王主任", models.RoleAdmin, "a long test password")
	if err != nil {
		t.Fatal(err)
	}
	by := models.Actor{StaffID: u.ID, RequestID: "req-calendar"}
	rules := models.DefaultDeskRules
	inquiry := receivedWednesday(t, db)
	thursday := beijingDay(t, "2026-12-03")

	created, err := models.SaveCalendarOverride(ctx, db, thursday, false, "停电,停止办公", rules, by)
	if err != nil || !created {
		t.Fatalf("save: created %v, %v", created, err)
	}
	if due := responseDue(t, db, inquiry); due != "2026-12-07 17:00" {
		t.Errorf("due with Thursday closed = %s", due)
	}
	created, err = models.SaveCalendarOverride(ctx, db, thursday, false, "停电,停止办公", rules, by)
	if !errors.Is(err, models.ErrNoChange) || created {
		t.Errorf("the same again: created %v, %v; want ErrNoChange", created, err)
	}
	created, err = models.SaveCalendarOverride(ctx, db, thursday, true, "恢复办公", rules, by)
	if err != nil || created {
		t.Fatalf("update: created %v, %v", created, err)
	}
	if due := responseDue(t, db, inquiry); due != "2026-12-04 17:00" {
		t.Errorf("due with Thursday working again = %s", due)
	}
	o, err := models.CalendarOverrideOn(ctx, db, thursday)
	if err != nil || !o.Working || o.Note != "恢复办公" || o.UpdatedBy == nil || *o.UpdatedBy != u.ID {
		t.Errorf("stored %+v, %v", o, err)
	}

	// Listed newest date first, with who set it.
	if _, err := models.SaveCalendarOverride(ctx, db, beijingDay(t, "2027-01-04"), false, "", rules, models.Actor{}); err != nil {
		t.Fatal(err)
	}
	list, err := models.ListCalendarOverrides(ctx, db)
	if err != nil || len(list) != 2 {
		t.Fatalf("list %+v, %v", list, err)
	}
	if list[0].Day.Format(time.DateOnly) != "2027-01-04" || list[0].UpdatedByName != "" ||
		list[1].Day.Format(time.DateOnly) != "2026-12-03" || list[1].UpdatedByName != "王主任" {
		t.Errorf("list order or names: %+v", list)
	}

	if err := models.DeleteCalendarOverride(ctx, db, thursday, rules, by); err != nil {
		t.Fatal(err)
	}
	if err := models.DeleteCalendarOverride(ctx, db, thursday, rules, by); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := models.CalendarOverrideOn(ctx, db, thursday); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("deleted date still read: %v", err)
	}

	var audit []struct {
		Action    string
		ActorID   *int64
		RequestID string
		Changes   string
	}
	db.Raw("SELECT action, actor_id, request_id, changes::text FROM audit_log WHERE entity_type = 'calendar_overrides' AND entity_id = 20261203 ORDER BY id").Scan(&audit)
	if len(audit) != 3 || audit[0].Action != "create" || audit[1].Action != "update" || audit[2].Action != "delete" {
		t.Fatalf("audit %+v", audit)
	}
	for _, a := range audit {
		if a.ActorID == nil || *a.ActorID != u.ID || a.RequestID != "req-calendar" {
			t.Errorf("audit entry without its actor: %+v", a)
		}
	}
	if !strings.Contains(audit[1].Changes, `"working": ["否", "是"]`) || !strings.Contains(audit[1].Changes, "恢复办公") || strings.Contains(audit[1].Changes, `"day"`) {
		t.Errorf("update audited as %s", audit[1].Changes)
	}
}

// A save the database refuses stores nothing: no override, no audit entry,
// no due time moved.
func TestRefusedCalendarOverrideChangesNothing(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	inquiry := receivedWednesday(t, db)
	_, err := models.SaveCalendarOverride(ctx, db, beijingDay(t, "2026-12-03"), false, strings.Repeat("长", 201), models.DefaultDeskRules, models.Actor{})
	var check *models.CheckViolation
	if !errors.As(err, &check) {
		t.Fatalf("a 201-character note: %v, want a check violation", err)
	}
	if n := dbtest.Count(t, db, "calendar_overrides", "true"); n != 0 {
		t.Errorf("%d overrides stored", n)
	}
	if n := dbtest.Count(t, db, "audit_log", "true"); n != 0 {
		t.Errorf("%d audit entries", n)
	}
	if due := responseDue(t, db, inquiry); due != "2026-12-04 17:00" {
		t.Errorf("due moved to %s", due)
	}
}

// Two administrators closing two dates at once: the due times count both.
func TestConcurrentCalendarChangesBothCount(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	inquiry := receivedWednesday(t, db)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, day := range []string{"2026-12-03", "2026-12-04"} {
		wg.Go(func() {
			_, errs[i] = models.SaveCalendarOverride(ctx, db, beijingDay(t, day), false, "", models.DefaultDeskRules, models.Actor{})
		})
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if due := responseDue(t, db, inquiry); due != "2026-12-08 17:00" {
		t.Errorf("due with Thursday and Friday closed = %s, want Tuesday 2026-12-08 17:00", due)
	}
}

func TestOfficialScheduleGroupsHolidays(t *testing.T) {
	schedule := models.OfficialSchedule(2026)
	var national models.OfficialHoliday
	for _, h := range schedule {
		if h.Name == "国庆节" {
			national = h
		}
	}
	var off, work []string
	for _, d := range national.Days {
		if d.Working {
			work = append(work, d.Day.Format(time.DateOnly))
		} else {
			off = append(off, d.Day.Format(time.DateOnly))
		}
	}
	if national.Target.Format(time.DateOnly) != "2026-10-01" || len(off) != 7 || off[0] != "2026-10-01" ||
		strings.Join(work, " ") != "2026-09-20 2026-10-10" {
		t.Errorf("National Day 2026: target %s, off %v, make-up %v", national.Target, off, work)
	}
	if len(schedule) < 7 || schedule[0].Name != "元旦节" {
		t.Errorf("2026 schedule has %d holidays, first %q", len(schedule), schedule[0].Name)
	}
	if got := models.OfficialSchedule(2000); len(got) != 0 {
		t.Errorf("the library knows 2000: %v", got)
	}
	if name, working, ok := models.OfficialHolidayOn(beijingDay(t, "2026-10-10")); !ok || !working || name != "国庆节" {
		t.Errorf("2026-10-10: %q working %v ok %v", name, working, ok)
	}
	if _, _, ok := models.OfficialHolidayOn(beijingDay(t, "2026-12-03")); ok {
		t.Error("an ordinary Thursday is in the holiday schedule")
	}
}

// The next year's schedule is due from November, Beijing time.
func TestScheduleExpectedFromNovember(t *testing.T) {
	for _, c := range []struct {
		year int
		now  string
		want bool
	}{
		{2026, "2026-03-01T12:00:00+08:00", true},
		{2025, "2026-03-01T12:00:00+08:00", true},
		{2027, "2026-10-31T23:59:00+08:00", false},
		{2027, "2026-10-31T16:30:00Z", true}, // already 1 November in Beijing
		{2027, "2026-12-15T09:00:00+08:00", true},
		{2028, "2026-12-15T09:00:00+08:00", false},
	} {
		now, _ := time.Parse(time.RFC3339, c.now)
		if got := models.ScheduleExpected(c.year, now); got != c.want {
			t.Errorf("ScheduleExpected(%d, %s) = %v, want %v", c.year, c.now, got, c.want)
		}
	}
}
