package projectflag_test

import (
	"slices"
	"testing"
	"time"

	"investportal/models/calendar"
	"investportal/models/projectflag"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, calendar.Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

func TestHalfMonthsAcrossMonthEnds(t *testing.T) {
	for _, c := range []struct{ on, start, end string }{
		{"2026-01-01", "2026-01-01", "2026-01-15"},
		{"2026-01-15", "2026-01-01", "2026-01-15"},
		{"2026-01-16", "2026-01-16", "2026-01-31"},
		{"2026-02-16", "2026-02-16", "2026-02-28"}, // February of a common year
		{"2028-02-29", "2028-02-16", "2028-02-29"}, // and of a leap year
		{"2026-04-30", "2026-04-16", "2026-04-30"},
		{"2026-12-31", "2026-12-16", "2026-12-31"},
	} {
		p := projectflag.PeriodOf(day(c.on))
		if !p.Start.Equal(day(c.start)) || !p.End.Equal(day(c.end)) {
			t.Errorf("%s is in %s–%s, want %s–%s", c.on, p.Start.Format(time.DateOnly), p.End.Format(time.DateOnly), c.start, c.end)
		}
	}
	// Late in the evening UTC is already the next day in Beijing.
	if p := projectflag.PeriodOf(time.Date(2026, 1, 15, 17, 0, 0, 0, time.UTC)); !p.Start.Equal(day("2026-01-16")) {
		t.Errorf("15 January 17:00 UTC (01:00 on the 16th in Beijing) is in %v", p)
	}
	p := projectflag.PeriodOf(day("2026-01-05"))
	if prev := p.Previous(); !prev.Start.Equal(day("2025-12-16")) || !prev.End.Equal(day("2025-12-31")) {
		t.Errorf("before 1–15 January 2026: %v", prev)
	}
	if next := projectflag.PeriodOf(day("2028-02-20")).Next(); !next.Start.Equal(day("2028-03-01")) {
		t.Errorf("after the second half of February 2028: %v", next)
	}
}

func TestFlagTurnsRedAndBackToGreen(t *testing.T) {
	rules := projectflag.Rules{BlockingDays: 30}
	signed := day("2026-01-10")
	compute := func(f projectflag.Facts, on string) projectflag.Flag {
		f.Signed = signed
		return projectflag.Compute(f, rules, day(on).Add(10*time.Hour))
	}
	red := func(f projectflag.Flag, reason string) bool { return f.Red && slices.Contains(f.Reasons, reason) }

	// Signed on 10 January: the report for 1–15 January may be filed until
	// the 15th; on the 16th without one the project is red.
	if f := compute(projectflag.Facts{}, "2026-01-15"); f.Red || !f.ReportDue.Equal(day("2026-01-15")) {
		t.Errorf("within the first half month: %+v", f)
	}
	if f := compute(projectflag.Facts{}, "2026-01-16"); !red(f, projectflag.ReasonReportOverdue) {
		t.Errorf("the first report overdue: %+v", f)
	}
	// A report filed late, in the next half month, puts it right.
	late := projectflag.Facts{ReportDates: []time.Time{day("2026-01-17")}}
	if f := compute(late, "2026-01-20"); f.Red {
		t.Errorf("after the late report: %+v", f)
	}
	// Across February's end in a common year: the report for 16–28
	// February is overdue on 1 March.
	feb := projectflag.Facts{ReportDates: []time.Time{day("2026-02-10")}}
	if f := compute(feb, "2026-02-28"); f.Red {
		t.Errorf("on 28 February: %+v", f)
	}
	if f := compute(feb, "2026-03-01"); !red(f, projectflag.ReasonReportOverdue) {
		t.Errorf("on 1 March without a report for 16–28 February: %+v", f)
	}
	// In a leap year, 29 February is still in time.
	leap := projectflag.Facts{ReportDates: []time.Time{day("2028-02-10")}}
	if f := projectflag.Compute(leap, rules, day("2028-02-29")); f.Red {
		t.Errorf("on 29 February 2028: %+v", f)
	}
	if f := projectflag.Compute(leap, rules, day("2028-03-01")); !red(f, projectflag.ReasonReportOverdue) {
		t.Errorf("on 1 March 2028: %+v", f)
	}
	// A producing project owes no reports.
	if f := compute(projectflag.Facts{Producing: true}, "2026-06-01"); f.Red || !f.ReportDue.IsZero() {
		t.Errorf("producing: %+v", f)
	}

	// A blocking problem open longer than the rule allows turns it red;
	// solving it turns it green. A problem that does not block never does.
	reported := []time.Time{day("2026-03-02")}
	open := projectflag.Facts{ReportDates: reported, Problems: []projectflag.Problem{{Raised: day("2026-02-01"), Blocking: true}}}
	if f := compute(open, "2026-03-03"); f.Red {
		t.Errorf("a blocking problem 30 days old: %+v", f)
	}
	if f := compute(open, "2026-03-04"); !red(f, projectflag.ReasonBlockingProblem) {
		t.Errorf("a blocking problem 31 days old: %+v", f)
	}
	solved := day("2026-03-04")
	open.Problems[0].Solved = &solved
	if f := compute(open, "2026-03-05"); f.Red {
		t.Errorf("once solved: %+v", f)
	}
	minor := projectflag.Facts{ReportDates: reported, Problems: []projectflag.Problem{{Raised: day("2025-12-01")}}}
	if f := compute(minor, "2026-03-05"); f.Red {
		t.Errorf("an old problem that does not block: %+v", f)
	}

	// A commitment past its date turns it red until delivered.
	promise := projectflag.Facts{ReportDates: reported, Commitments: []projectflag.Commitment{{Due: day("2026-03-05")}}}
	if f := compute(promise, "2026-03-05"); f.Red {
		t.Errorf("on the promised day: %+v", f)
	}
	if f := compute(promise, "2026-03-06"); !red(f, projectflag.ReasonCommitmentOverdue) {
		t.Errorf("the day after: %+v", f)
	}
	delivered := day("2026-03-07")
	promise.Commitments[0].Delivered = &delivered
	if f := compute(promise, "2026-03-08"); f.Red {
		t.Errorf("once delivered: %+v", f)
	}

	// Every reason at once is listed.
	all := projectflag.Facts{Problems: []projectflag.Problem{{Raised: day("2026-01-01"), Blocking: true}},
		Commitments: []projectflag.Commitment{{Due: day("2026-02-01")}}}
	if f := compute(all, "2026-03-20"); len(f.Reasons) != 3 {
		t.Errorf("every reason: %+v", f)
	}
}
