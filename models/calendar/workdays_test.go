package calendar_test

import (
	"testing"
	"time"

	"investportal/models/calendar"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

func TestResponseDueInWorkingDays(t *testing.T) {
	official := calendar.NewWorkCalendar(nil)
	for _, c := range []struct{ name, received, due string }{
		{"a plain week", "2026-11-30 10:00", "2026-12-02 17:00"},
		{"over a weekend", "2026-12-04 16:00", "2026-12-08 17:00"},
		{"received on a Sunday", "2026-12-06 09:00", "2026-12-08 17:00"},
		// 2026 Spring Festival: 15–23 February closed, Saturdays 14 and 28
		// February are make-up working days.
		{"before the Spring Festival, over its make-up Saturday", "2026-02-13 10:00", "2026-02-24 17:00"},
		{"received during the Spring Festival", "2026-02-18 11:00", "2026-02-25 17:00"},
		{"onto the make-up Saturday after it", "2026-02-26 10:00", "2026-02-28 17:00"},
		// National Day and Mid-Autumn 2026: 1–7 October closed, Sunday 20
		// September and Saturday 10 October are make-up working days.
		{"before National Day", "2026-09-30 15:00", "2026-10-09 17:00"},
		{"onto the make-up Saturday after National Day", "2026-10-08 10:00", "2026-10-10 17:00"},
		{"over the make-up Sunday in September", "2026-09-18 10:00", "2026-09-21 17:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := official.ResponseDue(at(c.received), 2); !got.Equal(at(c.due)) {
				t.Errorf("received %s: due %s, want %s", c.received, got.In(calendar.Beijing).Format("2006-01-02 15:04 Mon"), c.due)
			}
		})
	}
	if got := official.ResponseDue(at("2026-11-30 10:00"), 1); !got.Equal(at("2026-12-01 17:00")) {
		t.Errorf("one working day: due %s", got)
	}
}

func TestOverridesCorrectTheOfficialSchedule(t *testing.T) {
	local := calendar.NewWorkCalendar(calendar.Overrides{
		"2026-10-09": false, // a local closure
		"2026-10-10": true,  // already a working day: no change
		"2026-12-05": true,  // a Saturday opened
	})
	if got := local.ResponseDue(at("2026-09-30 15:00"), 2); !got.Equal(at("2026-10-10 17:00")) {
		t.Errorf("closure: due %s", got)
	}
	if got := local.ResponseDue(at("2026-12-04 15:00"), 1); !got.Equal(at("2026-12-05 17:00")) {
		t.Errorf("opened Saturday: due %s", got)
	}
	if !local.IsWorkingDay(at("2026-12-05 00:00")) || local.IsWorkingDay(at("2026-10-09 12:00")) {
		t.Error("overrides are not applied")
	}
	closedForever := calendar.Overrides{}
	for d := at("2026-01-01 00:00"); d.Year() < 2028; d = d.AddDate(0, 0, 1) {
		closedForever[d.Format(time.DateOnly)] = false
	}
	// A table that closes every day ends the walk instead of hanging.
	_ = calendar.NewWorkCalendar(closedForever).ResponseDue(at("2026-01-01 00:00"), 2)
}

func TestWorkingDaysAndHours(t *testing.T) {
	official := calendar.NewWorkCalendar(nil)
	if n := official.WorkingDaysSince(at("2026-02-13 10:00"), at("2026-02-24 08:00")); n != 2 {
		t.Errorf("age across the Spring Festival: %d working days, want 2 (14 and 24 February)", n)
	}
	if n := official.WorkingDaysSince(at("2026-12-01 08:00"), at("2026-12-01 20:00")); n != 0 {
		t.Errorf("same day: %d", n)
	}
	for _, c := range []struct {
		from, to string
		want     time.Duration
	}{
		{"2026-12-01 10:00", "2026-12-01 12:30", 150 * time.Minute},
		{"2026-12-01 20:00", "2026-12-02 10:00", time.Hour},        // the night does not count
		{"2026-12-04 16:00", "2026-12-07 10:00", 2 * time.Hour},    // nor the weekend
		{"2026-09-30 16:00", "2026-10-08 09:30", 90 * time.Minute}, // nor National Day
		{"2026-10-09 16:30", "2026-10-10 09:15", 45 * time.Minute}, // a make-up Saturday does
		{"2026-12-01 12:00", "2026-12-01 11:00", 0},                // backwards
		{"2026-12-01 06:00", "2026-12-01 23:00", calendar.OfficeCloses - calendar.OfficeOpens},
	} {
		if got := official.WorkingHours(at(c.from), at(c.to)); got != c.want {
			t.Errorf("%s → %s: %s, want %s", c.from, c.to, got, c.want)
		}
	}
}
