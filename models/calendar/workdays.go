package calendar

import (
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// China's working calendar is not weekdays alone: the State Council closes
// public holidays and opens some Saturdays and Sundays as make-up working
// days (调休). The lunar-go library carries that official schedule year by
// year; Overrides correct it where it lacks a year, gets a date wrong, or
// the bureau closes locally.

// Office hours, Beijing time: a response due on a day is due when the office
// closes, and working hours are counted between these times.
const (
	OfficeOpens  = 9 * time.Hour
	OfficeCloses = 17 * time.Hour
)

// Overrides maps a date ("2026-02-14") to whether it is a working day.
type Overrides map[string]bool

// WorkCalendar answers which days are working days.
type WorkCalendar struct {
	overrides Overrides
}

// NewWorkCalendar is the official schedule with the bureau's overrides.
func NewWorkCalendar(overrides Overrides) *WorkCalendar {
	return &WorkCalendar{overrides: overrides}
}

// Day is the start of t's day in Beijing.
func Day(t time.Time) time.Time {
	t = t.In(Beijing)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Beijing)
}

// IsWorkingDay reports whether the Beijing date of t is a working day: an
// override first, then the official schedule (a holiday, or a make-up
// working day), then Monday to Friday.
func (w *WorkCalendar) IsWorkingDay(t time.Time) bool {
	key := t.In(Beijing).Format(time.DateOnly)
	if working, ok := w.overrides[key]; ok {
		return working
	}
	if h := HolidayUtil.GetHoliday(key); h != nil && h.GetDay() == key {
		return h.IsWork()
	}
	wd := t.In(Beijing).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// maxSearch bounds the walk to the next working day: an override table that
// closed every day would otherwise never end it. No real calendar closes
// more than a few weeks in a row.
const maxSearch = 366

// NextWorkingDay is the first working day strictly after t's day.
func (w *WorkCalendar) NextWorkingDay(t time.Time) time.Time {
	d := Day(t)
	for range maxSearch {
		d = d.AddDate(0, 0, 1)
		if w.IsWorkingDay(d) {
			return d
		}
	}
	return d
}

// ResponseDue is when a response to something received at t is due: when
// the office closes on the n-th working day after the day of receipt. A
// message that arrives on a holiday starts counting at the next working day
// like one that arrives on a working day.
func (w *WorkCalendar) ResponseDue(received time.Time, n int) time.Time {
	d := Day(received)
	for range max(n, 1) {
		d = w.NextWorkingDay(d)
	}
	return d.Add(OfficeCloses)
}

// WorkingDaysSince counts the working days after since's day up to and
// including now's day: an inquiry received today is 0 working days old,
// one received yesterday (a working day or not) is 1 old if today works.
func (w *WorkCalendar) WorkingDaysSince(since, now time.Time) int {
	n := 0
	end := Day(now)
	for d := Day(since).AddDate(0, 0, 1); !d.After(end); d = d.AddDate(0, 0, 1) {
		if w.IsWorkingDay(d) {
			n++
		}
	}
	return n
}

// WorkingHours is the time between from and to that falls within office
// hours on working days.
func (w *WorkCalendar) WorkingHours(from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	var total time.Duration
	for d := Day(from); d.Before(to); d = d.AddDate(0, 0, 1) {
		if !w.IsWorkingDay(d) {
			continue
		}
		open, closes := d.Add(OfficeOpens), d.Add(OfficeCloses)
		start, end := maxTime(open, from), minTime(closes, to)
		if end.After(start) {
			total += end.Sub(start)
		}
	}
	return total
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
