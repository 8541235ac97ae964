// Package projectflag computes a key project's red or green flag (红绿旗制度)
// from what is on record, so that no one types it: a project not yet
// producing owes a progress report every half month (the 1st to the 15th,
// the 16th to the month's end), and it is red when the last finished half
// month passed without one, when a blocking problem has stayed open too
// long, or when a commitment made to it is overdue.
package projectflag

import (
	"time"

	"investportal/models/calendar"
)

// Period is one half month, as dates in Beijing: Start and End inclusive.
type Period struct {
	Start, End time.Time
}

// PeriodOf is the half month a moment falls in (Beijing dates).
func PeriodOf(t time.Time) Period {
	d := calendar.Day(t)
	if d.Day() <= 15 {
		return Period{Start: d.AddDate(0, 0, 1-d.Day()), End: time.Date(d.Year(), d.Month(), 15, 0, 0, 0, 0, calendar.Beijing)}
	}
	first := time.Date(d.Year(), d.Month(), 16, 0, 0, 0, 0, calendar.Beijing)
	// The day before the next month's first: 28, 29, 30 or 31.
	last := time.Date(d.Year(), d.Month()+1, 1, 0, 0, 0, 0, calendar.Beijing).AddDate(0, 0, -1)
	return Period{Start: first, End: last}
}

// Previous is the half month before this one.
func (p Period) Previous() Period { return PeriodOf(p.Start.AddDate(0, 0, -1)) }

// Next is the half month after this one.
func (p Period) Next() Period { return PeriodOf(p.End.AddDate(0, 0, 1)) }

// Contains reports whether a moment's Beijing date is in the period.
func (p Period) Contains(t time.Time) bool {
	d := calendar.Day(t)
	return !d.Before(p.Start) && !d.After(p.End)
}

// Problem is an issue a report raised that needs help from a department.
type Problem struct {
	Raised   time.Time  // the date of the report that raised it
	Solved   *time.Time // nil while open
	Blocking bool
}

// Commitment is something the government side promised the project.
type Commitment struct {
	Due       time.Time  // the date it was promised for
	Delivered *time.Time // nil until delivered
}

// Facts are what the flag is computed from.
type Facts struct {
	Producing   bool        // a producing project owes no more reports
	Signed      time.Time   // when the project was signed (reports are owed from its half month on)
	ReportDates []time.Time // the dates of its progress reports
	Problems    []Problem
	Commitments []Commitment
}

// Rules are the bureau's thresholds.
type Rules struct {
	// BlockingDays is how long a blocking problem may stay open before the
	// project turns red.
	BlockingDays int
}

// Reasons a project is red.
const (
	ReasonReportOverdue     = "report_overdue"
	ReasonBlockingProblem   = "blocking_problem"
	ReasonCommitmentOverdue = "commitment_overdue"
)

// Flag is the computed flag: red with its reasons, or green (no reasons).
type Flag struct {
	Red     bool
	Reasons []string
	// ReportDue is the last day of the half month whose report is owed
	// next; zero when none is owed (producing).
	ReportDue time.Time
}

// Compute works out the flag on a day. A report owed for a half month may
// be filed until that half month's last day; from the next day on the
// project is red until a report for it (or a later one) is filed.
func Compute(f Facts, rules Rules, now time.Time) Flag {
	var out Flag
	today := calendar.Day(now)
	if !f.Producing {
		current := PeriodOf(now)
		out.ReportDue = current.End
		if current.Start.After(calendar.Day(f.Signed)) {
			// The last finished half month: was it reported?
			last := current.Previous()
			if !reportedSince(f.ReportDates, last.Start) {
				out.Reasons = append(out.Reasons, ReasonReportOverdue)
			}
		}
	}
	for _, p := range f.Problems {
		if p.Blocking && p.Solved == nil && today.Sub(calendar.Day(p.Raised)) > time.Duration(rules.BlockingDays)*24*time.Hour {
			out.Reasons = append(out.Reasons, ReasonBlockingProblem)
			break
		}
	}
	for _, c := range f.Commitments {
		if c.Delivered == nil && today.After(calendar.Day(c.Due)) {
			out.Reasons = append(out.Reasons, ReasonCommitmentOverdue)
			break
		}
	}
	out.Red = len(out.Reasons) > 0
	return out
}

// reportedSince reports whether any report is dated on or after a day.
func reportedSince(dates []time.Time, day time.Time) bool {
	for _, d := range dates {
		if !calendar.Day(d).Before(day) {
			return true
		}
	}
	return false
}
