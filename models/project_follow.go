package models

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"investportal/models/calendar"
	"investportal/models/projectflag"
)

// Following signed projects: the officer's projects with their computed
// flags, the progress reports they file, the problems those raise.

// ProjectProblem is a problem a progress report raised.
type ProjectProblem struct {
	ID          int64
	ProjectID   int64
	ReportID    int64
	Description string
	Blocking    bool
	Department  string
	RaisedOn    time.Time  `gorm:"type:date"`
	SolvedOn    *time.Time `gorm:"type:date"`
	SolvedBy    *int64
	CreatedAt   time.Time
}

// TableName keeps GORM on the schema's name.
func (ProjectProblem) TableName() string { return "project_problems" }

// FollowedProject is a project with its flag as computed today.
type FollowedProject struct {
	followedRow
	Flag         projectflag.Flag
	OpenProblems []ProjectProblem
	Commitments  []ProjectCommitment
}

// followedRow is what the list reads of each project.
type followedRow struct {
	ID                      int64
	Slug                    string
	Name                    string
	Stage                   string
	SignedOn                *time.Time
	CreatedAt               time.Time
	CompletedInvestmentYuan int64
	OfficerID               *int64
	LastReportOn            *time.Time
	StoredFlag              string // projects.flag as last refreshed
}

// FollowScope selects projects to follow: one officer's, or (OfficerID 0)
// every project still being followed; ProjectID narrows it to one.
type FollowScope struct {
	OfficerID int64
	ProjectID int64
	RedOnly   bool
}

// FollowedProjects lists the projects in the scope that are not deleted,
// with their flags computed for now.
func FollowedProjects(ctx context.Context, db *gorm.DB, scope FollowScope, rules projectflag.Rules, now time.Time) ([]FollowedProject, error) {
	db = db.WithContext(ctx)
	q := db.Table("projects").Select(`projects.id, projects.slug, projects.name, projects.stage, projects.signed_on,
			projects.created_at, projects.completed_investment_yuan, projects.officer_id, projects.flag AS stored_flag,
			(SELECT max(r.reported_on) FROM project_reports r WHERE r.project_id = projects.id) AS last_report_on`).
		Where("projects.deleted_at IS NULL")
	if scope.ProjectID != 0 {
		q = q.Where("projects.id = ?", scope.ProjectID)
	}
	if scope.OfficerID != 0 {
		q = q.Where("projects.officer_id = ?", scope.OfficerID)
	} else {
		// The leaders follow the projects someone follows day to day.
		q = q.Where("projects.officer_id IS NOT NULL")
	}
	var rows []followedRow
	if err := q.Order("projects.name, projects.id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	list := make([]FollowedProject, len(rows))
	for i, r := range rows {
		list[i].followedRow = r
	}
	ids := make([]int64, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	var reports []struct {
		ProjectID  int64
		ReportedOn time.Time
	}
	if err := db.Raw("SELECT project_id, reported_on FROM project_reports WHERE project_id IN ? AND reported_on >= ?",
		ids, calendar.Day(now).AddDate(0, -2, 0)).Scan(&reports).Error; err != nil {
		return nil, err
	}
	var problems []ProjectProblem
	if err := db.Where("project_id IN ? AND solved_on IS NULL", ids).Order("raised_on, id").Find(&problems).Error; err != nil {
		return nil, err
	}
	facts := map[int64]*projectflag.Facts{}
	for _, p := range list {
		signed := p.CreatedAt
		if p.SignedOn != nil {
			signed = *p.SignedOn
		}
		facts[p.ID] = &projectflag.Facts{Producing: p.Stage == "producing", Signed: signed}
	}
	for _, r := range reports {
		facts[r.ProjectID].ReportDates = append(facts[r.ProjectID].ReportDates, r.ReportedOn)
	}
	var commitments []ProjectCommitment
	if err := db.Where("project_id IN ?", ids).Order("due_on, id").Find(&commitments).Error; err != nil {
		return nil, err
	}
	promised := map[int64][]ProjectCommitment{}
	for _, c := range commitments {
		promised[c.ProjectID] = append(promised[c.ProjectID], c)
		facts[c.ProjectID].Commitments = append(facts[c.ProjectID].Commitments, projectflag.Commitment{Due: c.DueOn, Delivered: c.DeliveredOn})
	}
	open := map[int64][]ProjectProblem{}
	for _, pr := range problems {
		open[pr.ProjectID] = append(open[pr.ProjectID], pr)
		facts[pr.ProjectID].Problems = append(facts[pr.ProjectID].Problems, projectflag.Problem{Raised: pr.RaisedOn, Blocking: pr.Blocking})
	}
	out := list[:0]
	for _, p := range list {
		p.Flag = projectflag.Compute(*facts[p.ID], rules, now)
		p.OpenProblems = open[p.ID]
		p.Commitments = promised[p.ID]
		if scope.RedOnly && !p.Flag.Red {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// NewProblem is a problem a report raises.
type NewProblem struct {
	Description string
	Blocking    bool
	Department  string
}

// ProgressReport is what an officer files.
type ProgressReport struct {
	ReportedOn              time.Time
	Stage                   string
	CompletedInvestmentYuan int64
	Body                    string
	Problems                []NewProblem
}

// FileProgressReport stores a report and the problems it raises, moves the
// project to the stage reached with the investment completed so far, and
// audits it, in one transaction. Only the project's officer files: another
// project is ErrNotFound.
func FileProgressReport(ctx context.Context, db *gorm.DB, projectID int64, r ProgressReport, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := officersProject(tx, projectID, by); err != nil {
			return err
		}
		var p Project
		if err := tx.Take(&p, projectID).Error; err != nil {
			return err
		}
		report := ProjectReport{ProjectID: projectID, ReportedOn: r.ReportedOn, Stage: r.Stage,
			CompletedInvestmentYuan: r.CompletedInvestmentYuan, Body: r.Body, AuthorID: &by.StaffID}
		if err := tx.Omit("CreatedAt", "Flag").Create(&report).Error; err != nil {
			return err
		}
		for _, np := range r.Problems {
			pr := ProjectProblem{ProjectID: projectID, ReportID: report.ID, Description: np.Description,
				Blocking: np.Blocking, Department: np.Department, RaisedOn: r.ReportedOn}
			if err := tx.Omit("CreatedAt", "SolvedOn", "SolvedBy").Create(&pr).Error; err != nil {
				return err
			}
		}
		changes := map[string]any{"report": []any{"", r.ReportedOn.Format(time.DateOnly)}}
		if p.Stage != r.Stage {
			changes["stage"] = []any{p.Stage, r.Stage}
		}
		if p.CompletedInvestmentYuan != r.CompletedInvestmentYuan {
			changes["completed_investment_yuan"] = []any{p.CompletedInvestmentYuan, r.CompletedInvestmentYuan}
		}
		// The edit form's optimistic lock sees the change.
		if err := tx.Exec(`UPDATE projects SET stage = ?, completed_investment_yuan = ?, updated_at = now(),
			lock_version = lock_version + 1 WHERE id = ?`, r.Stage, r.CompletedInvestmentYuan, projectID).Error; err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "projects", projectID, changes)
	})
}

// SolveProblem marks an open problem of one of the officer's projects
// solved on a date, audited. A solved or unknown one is ErrNotFound.
func SolveProblem(ctx context.Context, db *gorm.DB, projectID, problemID int64, solvedOn time.Time, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE project_problems SET solved_on = ?, solved_by = ?
			WHERE id = ? AND project_id = ? AND solved_on IS NULL AND raised_on <= ?
			AND project_id IN (SELECT id FROM projects WHERE officer_id = ? AND deleted_at IS NULL)`,
			solvedOn, by.StaffID, problemID, projectID, solvedOn, by.StaffID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return WriteAudit(tx, by, "update", "projects", projectID, map[string]any{"problem_solved": []any{"", "#" + strconv.FormatInt(problemID, 10)}})
	})
}

// FlagChange is one change of a project's flag, with why.
type FlagChange struct {
	At      time.Time
	Flag    string
	Reasons []string
}

// RefreshProjectFlags computes the flag of every followed project (or of
// one, projectID > 0), stores it where it changed and records the change
// with its reasons. Projects nobody follows are "none". It runs as a
// scheduled job (a flag turns red when a day passes, not only when someone
// files something) and after every report, solved problem and commitment.
func RefreshProjectFlags(ctx context.Context, db *gorm.DB, rules projectflag.Rules, now time.Time, projectID int64) (int, error) {
	list, err := FollowedProjects(ctx, db, FollowScope{ProjectID: projectID}, rules, now)
	if err != nil {
		return 0, err
	}
	changed := 0
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, p := range list {
			flag := FlagGreen
			if p.Flag.Red {
				flag = FlagRed
			}
			if flag == p.StoredFlag {
				continue
			}
			if err := setFlag(tx, p.ID, flag, p.Flag.Reasons); err != nil {
				return err
			}
			changed++
		}
		// A project whose officer was taken away is followed no more.
		// ('none' written out: projects_unfollowed_flagged_idx, migration 00021.)
		var unfollowed []int64
		q := tx.Model(&Project{}).Where("officer_id IS NULL AND flag <> '" + FlagNone + "' AND deleted_at IS NULL")
		if projectID != 0 {
			q = q.Where("id = ?", projectID)
		}
		if err := q.Pluck("id", &unfollowed).Error; err != nil {
			return err
		}
		for _, id := range unfollowed {
			if err := setFlag(tx, id, FlagNone, nil); err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	return changed, err
}

func setFlag(tx *gorm.DB, projectID int64, flag string, reasons []string) error {
	if err := tx.Exec("UPDATE projects SET flag = ? WHERE id = ?", flag, projectID).Error; err != nil {
		return err
	}
	// Reason codes are fixed words without commas.
	return tx.Exec("INSERT INTO project_flag_changes (project_id, flag, reasons) VALUES (?, ?, string_to_array(?, ','))",
		projectID, flag, strings.Join(reasons, ",")).Error
}

// FlagHistory lists a project's flag changes, newest first.
func FlagHistory(ctx context.Context, db *gorm.DB, projectID int64, limit int) ([]FlagChange, error) {
	var rows []struct {
		At      time.Time
		Flag    string
		Reasons string
	}
	if err := db.WithContext(ctx).Raw(`SELECT at, flag, array_to_string(reasons, ',') AS reasons FROM project_flag_changes WHERE project_id = ?
		ORDER BY at DESC, id DESC LIMIT ?`, projectID, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]FlagChange, len(rows))
	for i, r := range rows {
		out[i] = FlagChange{At: r.At, Flag: r.Flag}
		if r.Reasons != "" {
			out[i].Reasons = strings.Split(r.Reasons, ",")
		}
	}
	return out, nil
}
