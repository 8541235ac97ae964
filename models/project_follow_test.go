package models_test

import (
	"context"
	"testing"
	"time"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
	"investportal/models/projectflag"
)

// The stored flag follows the computed one, each change recorded with its
// reasons; a project nobody follows any more goes back to none.
func TestStoredFlagsFollowTheRecord(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	rules := projectflag.Rules{BlockingDays: 14}
	officer, err := models.CreateStaffUser(ctx, db, "flag.officer@bureau.example", "旗专员", models.RoleOfficer, "a long test password")
	if err != nil {
		t.Fatal(err)
	}
	var project int64
	db.Raw("SELECT id FROM projects WHERE slug = 'harqin-smart-electronics-processing'").Scan(&project)
	today := calendar.Day(time.Now())
	dbtest.MustExec(t, db, "UPDATE projects SET officer_id = ?, stage = 'started', signed_on = ? WHERE id = ?", officer.ID, today.AddDate(0, -2, 0), project)
	flag := func() string {
		var f string
		db.Raw("SELECT flag FROM projects WHERE id = ?", project).Scan(&f)
		return f
	}

	// Signed two months ago and never reported: red.
	if n, err := models.RefreshProjectFlags(ctx, db, rules, time.Now(), 0); err != nil || n != 1 || flag() != models.FlagRed {
		t.Fatalf("refresh changed %d (%v), flag %s; want red", n, err, flag())
	}
	if n, _ := models.RefreshProjectFlags(ctx, db, rules, time.Now(), 0); n != 0 {
		t.Errorf("a second refresh changed %d", n)
	}
	err = models.FileProgressReport(ctx, db, project, models.ProgressReport{ReportedOn: today, Stage: "started", Body: "进展"},
		models.Actor{StaffID: officer.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.RefreshProjectFlags(ctx, db, rules, time.Now(), project); err != nil || flag() != models.FlagGreen {
		t.Fatalf("after the report: %s (%v)", flag(), err)
	}
	history, err := models.FlagHistory(ctx, db, project, 10)
	if err != nil || len(history) != 2 || history[0].Flag != models.FlagGreen || history[1].Flag != models.FlagRed ||
		len(history[1].Reasons) != 1 || history[1].Reasons[0] != projectflag.ReasonReportOverdue {
		t.Errorf("history %+v (%v)", history, err)
	}
	dbtest.MustExec(t, db, "UPDATE projects SET officer_id = NULL WHERE id = ?", project)
	if _, err := models.RefreshProjectFlags(ctx, db, rules, time.Now(), 0); err != nil || flag() != models.FlagNone {
		t.Errorf("unfollowed: %s (%v)", flag(), err)
	}
}
