package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/views"
	"investportal/views/i18n"
)

// The working calendar the inquiry desk counts due times in: the official
// schedule as the calendar library knows it, and the dates the bureau sets
// itself where the library lacks a year, gets a date wrong, or the office
// closes locally. The page shows the official schedule of two years beside
// the settings, so that what needs correcting is in sight.

const (
	calendarPath = adminPrefix + "/calendar"
	// Dates outside these years are typing mistakes, not calendar settings.
	calendarFirstYear = 2000
	calendarLastYear  = 2100
	maxCalendarNote   = 200 // the schema's CHECK
)

// holidayKeys name the calendar library's holidays in the catalog; a name
// the library adds later is shown as the library writes it.
var holidayKeys = map[string]string{
	"元旦节": "new_year", "春节": "spring_festival", "清明节": "qingming", "劳动节": "labour_day",
	"端午节": "dragon_boat", "中秋节": "mid_autumn", "国庆节": "national_day", "国庆中秋": "national_day_mid_autumn",
	"抗战胜利日": "victory_day",
}

// calendarForm is the form to set a date: as typed, and what it means.
type calendarForm struct {
	typedDay, typedWorking, note string
	day                          time.Time
	working                      bool
}

// AdminCalendar lists the working calendar's overrides with a form to add one.
func (h *Handler) AdminCalendar(c echo.Context) error {
	cx := ctx(c)
	year, err := calendarYearParam(c)
	if err != nil {
		return err
	}
	var form calendarForm
	if raw := c.QueryParam("day"); raw != "" {
		// Asked to change a date: the form starts from its setting.
		day, ok := parseCalendarDay(raw)
		if !ok {
			return badRequest(i18n.T(cx, "calendar.err.day"))
		}
		form.typedDay = raw
		o, err := models.CalendarOverrideOn(cx, h.db, day)
		switch {
		case err == nil:
			form.typedWorking, form.note = workingValue(o.Working), o.Note
		case !errors.Is(err, models.ErrNotFound):
			return err
		}
	}
	notice, hint, err := h.calendarNotice(c)
	if err != nil {
		return err
	}
	return h.renderCalendar(c, http.StatusOK, year, form, nil, notice, hint)
}

// calendarNotice says what the save or delete the page was sent back from
// did, from the calendar as it is now.
func (h *Handler) calendarNotice(c echo.Context) (notice, hint string, err error) {
	cx := ctx(c)
	if day, ok := parseCalendarDay(c.QueryParam("saved")); ok {
		o, err := models.CalendarOverrideOn(cx, h.db, day)
		if errors.Is(err, models.ErrNotFound) {
			return "", "", nil // deleted meanwhile: the list shows it
		} else if err != nil {
			return "", "", err
		}
		notice = i18n.T(cx, "calendar.saved", map[string]any{"Date": calendarDate(cx, day), "Status": statusLabel(cx, o.Working)})
		if officialWorking(day) == o.Working {
			hint = i18n.T(cx, "calendar.saved_matches")
		}
		return notice, hint, nil
	}
	if day, ok := parseCalendarDay(c.QueryParam("deleted")); ok {
		notice = i18n.T(cx, "calendar.deleted", map[string]any{"Date": calendarDate(cx, day), "Status": officialLabel(cx, day)})
	}
	return notice, "", nil
}

// AdminSaveCalendarDay sets whether a date is a working day.
func (h *Handler) AdminSaveCalendarDay(c echo.Context) error {
	cx := ctx(c)
	form, errs := readCalendarForm(c)
	year := time.Now().In(calendar.Beijing).Year()
	if len(errs) > 0 {
		return h.renderCalendar(c, http.StatusUnprocessableEntity, year, form, errs, "", "")
	}
	_, err := models.SaveCalendarOverride(cx, h.db, form.day, form.working, form.note, h.inquiries.Desk, actor(c))
	if errors.Is(err, models.ErrNoChange) {
		notice := i18n.T(cx, "calendar.unchanged", map[string]any{"Date": calendarDate(cx, form.day)})
		return h.renderCalendar(c, http.StatusOK, year, form, nil, notice, "")
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, calendarPath+"?saved="+form.day.Format(time.DateOnly))
}

// AdminDeleteCalendarDay removes an override: the official schedule applies again.
func (h *Handler) AdminDeleteCalendarDay(c echo.Context) error {
	day, ok := parseCalendarDay(c.Param("day"))
	if !ok {
		return echo.ErrNotFound
	}
	err := models.DeleteCalendarOverride(ctx(c), h.db, day, h.inquiries.Desk, actor(c))
	if errors.Is(err, models.ErrNotFound) {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, calendarPath+"?deleted="+day.Format(time.DateOnly))
}

// readCalendarForm checks the form to set a date.
func readCalendarForm(c echo.Context) (calendarForm, fieldErrors) {
	errs := fieldErrors{}
	f := calendarForm{typedDay: strings.TrimSpace(c.FormValue("day")), typedWorking: c.FormValue("working"),
		note: strings.TrimSpace(c.FormValue("note"))}
	if err := checkText(f.typedDay, 10, true, false); err != nil {
		errs["day"] = *err
	} else if d, err := time.ParseInLocation(time.DateOnly, f.typedDay, calendar.Beijing); err != nil {
		errs["day"] = fieldError{ID: "calendar.err.day"}
	} else if d.Year() < calendarFirstYear || d.Year() > calendarLastYear {
		errs["day"] = fieldError{ID: "calendar.err.day_range"}
	} else {
		f.day = d
	}
	switch f.typedWorking {
	case "working", "closed":
		f.working = f.typedWorking == "working"
	default:
		errs["working"] = fieldError{ID: "form.err.choice"}
	}
	if err := checkText(f.note, maxCalendarNote, false, false); err != nil {
		errs["note"] = *err
	}
	// What is typed is shown again; bytes that are not text are not.
	f.typedDay, f.typedWorking, f.note = strings.ToValidUTF8(f.typedDay, "�"), strings.ToValidUTF8(f.typedWorking, ""), strings.ToValidUTF8(f.note, "�")
	return f, errs
}

// parseCalendarDay reads a date of the years the calendar may set.
func parseCalendarDay(raw string) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, raw, calendar.Beijing)
	if err != nil || d.Year() < calendarFirstYear || d.Year() > calendarLastYear {
		return time.Time{}, false
	}
	return d, true
}

// calendarYearParam is the first year of the official schedule shown: this
// year in Beijing, or ?year=.
func calendarYearParam(c echo.Context) (int, error) {
	raw := c.QueryParam("year")
	if raw == "" {
		return time.Now().In(calendar.Beijing).Year(), nil
	}
	y, err := strconv.Atoi(raw)
	if err != nil || y < calendarFirstYear || y >= calendarLastYear {
		value := []rune(strings.ToValidUTF8(raw, "�"))
		if len(value) > 20 {
			value = append(value[:20], '…')
		}
		return 0, badRequest(i18n.T(ctx(c), "calendar.err.year", map[string]any{"Value": string(value)}))
	}
	return y, nil
}

func (h *Handler) renderCalendar(c echo.Context, status, year int, f calendarForm, errs fieldErrors, notice, hint string) error {
	cx := ctx(c)
	list, err := models.ListCalendarOverrides(cx, h.db)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	for _, o := range list {
		set[o.Day.Format(time.DateOnly)] = o.Working
	}
	v := views.AdminCalendarView{Page: h.adminPage(c, i18n.T(cx, "calendar.title")), Nav: h.adminNav(c),
		Notice: notice, Hint: hint,
		Form: views.AdminCalendarForm{Day: f.typedDay, Note: f.note, Errors: map[string]string{}},
	}
	// The schedule moves a year at a time.
	if year > calendarFirstYear {
		v.Earlier = views.AdminCalendarLink{Path: calendarPath + "?year=" + strconv.Itoa(year-1),
			Label: i18n.T(cx, "calendar.schedule.earlier", map[string]any{"From": year - 1, "To": year})}
	}
	if year+1 < calendarLastYear {
		v.Later = views.AdminCalendarLink{Path: calendarPath + "?year=" + strconv.Itoa(year+1),
			Label: i18n.T(cx, "calendar.schedule.later", map[string]any{"From": year + 1, "To": year + 2})}
	}
	for name, e := range errs {
		v.Form.Errors[name] = i18n.T(cx, e.ID, e.Data)
	}
	v.Form.Working = []views.Option{{Value: "", Label: i18n.T(cx, "calendar.choose")}}
	for _, w := range []string{"closed", "working"} {
		v.Form.Working = append(v.Form.Working, views.Option{Value: w, Label: i18n.T(cx, "calendar.choice."+w), Selected: w == f.typedWorking})
	}
	if d, ok := parseCalendarDay(f.typedDay); ok && len(errs) == 0 {
		if _, exists := set[d.Format(time.DateOnly)]; exists {
			v.Form.Editing = i18n.T(cx, "calendar.editing", map[string]any{"Date": calendarDate(cx, d)})
		}
	}
	for _, o := range list {
		day := time.Date(o.Day.Year(), o.Day.Month(), o.Day.Day(), 0, 0, 0, 0, calendar.Beijing)
		iso := day.Format(time.DateOnly)
		row := views.AdminCalendarOverride{ISO: iso, Date: calendarDate(cx, day), Closed: !o.Working,
			Status: statusLabel(cx, o.Working), Official: officialLabel(cx, day), Matches: officialWorking(day) == o.Working,
			Note: o.Note, By: o.UpdatedByName, At: views.DateTime(cx, o.UpdatedAt),
			EditPath: calendarPath + "?day=" + iso + "#set", DeletePath: calendarPath + "/" + iso + "/delete"}
		if row.By == "" {
			row.By = i18n.T(cx, "admin.audit.system")
		}
		v.Overrides = append(v.Overrides, row)
	}
	now := time.Now()
	for _, y := range []int{year, year + 1} {
		v.Years = append(v.Years, calendarYear(cx, y, now, set))
	}
	return render(c, status, views.AdminCalendar(v))
}

// calendarYear is a year of the official schedule, each date with its
// status as it counts.
func calendarYear(cx context.Context, year int, now time.Time, set map[string]bool) views.AdminCalendarYear {
	y := views.AdminCalendarYear{Year: year, Heading: i18n.T(cx, "calendar.schedule.year", map[string]any{"Year": year})}
	schedule := models.OfficialSchedule(year)
	if len(schedule) == 0 {
		y.Overdue = models.ScheduleExpected(year, now)
		id := "calendar.schedule.unpublished"
		if y.Overdue {
			id = "calendar.schedule.missing"
		}
		y.Missing = i18n.T(cx, id, map[string]any{"Year": year})
		return y
	}
	for _, hol := range schedule {
		row := views.AdminCalendarHoliday{Name: holidayName(cx, hol.Name)}
		for _, d := range hol.Days {
			iso := d.Day.Format(time.DateOnly)
			day := views.AdminCalendarDay{ISO: iso, Date: calendarShortDate(cx, d.Day), Closed: !d.Working}
			if working, ok := set[iso]; ok && working != d.Working {
				day.Closed = !working
				day.Changed = i18n.T(cx, "calendar.schedule.set_"+workingValue(working))
			}
			if d.Working {
				row.Work = append(row.Work, day)
			} else {
				row.Off = append(row.Off, day)
			}
		}
		y.Holidays = append(y.Holidays, row)
	}
	return y
}

// officialWorking is whether the official schedule alone makes a date a
// working day.
func officialWorking(day time.Time) bool {
	return calendar.NewWorkCalendar(nil).IsWorkingDay(day)
}

// officialLabel says what the official schedule makes of a date.
func officialLabel(cx context.Context, day time.Time) string {
	if name, working, ok := models.OfficialHolidayOn(day); ok {
		id := "calendar.official.off"
		if working {
			id = "calendar.official.work"
		}
		return i18n.T(cx, id, map[string]any{"Name": holidayName(cx, name)})
	}
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return i18n.T(cx, "calendar.official.weekend")
	}
	return i18n.T(cx, "calendar.official.weekday")
}

func holidayName(cx context.Context, name string) string {
	if key, ok := holidayKeys[name]; ok {
		return i18n.T(cx, "calendar.holiday."+key)
	}
	return i18n.Chinese(cx, name)
}

func workingValue(working bool) string {
	if working {
		return "working"
	}
	return "closed"
}

func statusLabel(cx context.Context, working bool) string {
	return i18n.T(cx, "calendar.status."+workingValue(working))
}

// calendarDate is a date with its weekday: 2026年10月8日(周四).
func calendarDate(cx context.Context, day time.Time) string {
	return i18n.T(cx, "calendar.date", map[string]any{"Date": views.Date(cx, day), "Weekday": weekday(cx, day)})
}

// calendarShortDate is a date within a year's schedule: 10月8日(周四).
func calendarShortDate(cx context.Context, day time.Time) string {
	return i18n.T(cx, "calendar.date.short", map[string]any{"Month": int(day.Month()), "Day": day.Day(),
		"MonthName": day.Format("Jan"), "Weekday": weekday(cx, day)})
}

func weekday(cx context.Context, day time.Time) string {
	return i18n.T(cx, "calendar.weekday."+strconv.Itoa(int(day.Weekday())))
}
