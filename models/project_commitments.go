package models

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"

	"investportal/models/calendar"
)

// Commitment kinds.
var CommitmentKinds = []string{"land", "approval", "subsidy", "utility", "other"}

// Commitment states, computed from the dates.
const (
	CommitmentPending   = "pending"
	CommitmentLate      = "late"
	CommitmentDelivered = "delivered"
)

// ProjectCommitment is something the government side promised a project.
type ProjectCommitment struct {
	ID          int64
	ProjectID   int64
	Kind        string
	Description string
	DueOn       time.Time  `gorm:"type:date"`
	DeliveredOn *time.Time `gorm:"type:date"`
	CreatedBy   *int64
	DeliveredBy *int64
	CreatedAt   time.Time
}

// TableName keeps GORM on the schema's name.
func (ProjectCommitment) TableName() string { return "project_commitments" }

// State is pending, late (past its date, not delivered) or delivered, on
// the day of now.
func (c ProjectCommitment) State(now time.Time) string {
	switch {
	case c.DeliveredOn != nil:
		return CommitmentDelivered
	case calendar.Day(now).After(calendar.Day(c.DueOn)):
		return CommitmentLate
	}
	return CommitmentPending
}

// ProjectCommitments lists a project's commitments by due date.
func ProjectCommitments(ctx context.Context, db *gorm.DB, projectID int64) ([]ProjectCommitment, error) {
	var list []ProjectCommitment
	err := db.WithContext(ctx).Where("project_id = ?", projectID).Order("due_on, id").Find(&list).Error
	return list, err
}

// AddCommitment records a commitment to one of the officer's projects,
// audited; another project is ErrNotFound.
func AddCommitment(ctx context.Context, db *gorm.DB, c ProjectCommitment, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := officersProject(tx, c.ProjectID, by); err != nil {
			return err
		}
		c.CreatedBy = &by.StaffID
		if err := tx.Omit("ID", "CreatedAt", "DeliveredOn", "DeliveredBy").Create(&c).Error; err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "projects", c.ProjectID, map[string]any{
			"commitment": []any{"", c.Kind + " " + c.DueOn.Format(time.DateOnly)}})
	})
}

// DeliverCommitment marks a pending or late commitment of one of the
// officer's projects delivered on a date, audited.
func DeliverCommitment(ctx context.Context, db *gorm.DB, projectID, commitmentID int64, on time.Time, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := officersProject(tx, projectID, by); err != nil {
			return err
		}
		res := tx.Exec(`UPDATE project_commitments SET delivered_on = ?, delivered_by = ?
			WHERE id = ? AND project_id = ? AND delivered_on IS NULL`, on, by.StaffID, commitmentID, projectID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return WriteAudit(tx, by, "update", "projects", projectID, map[string]any{
			"commitment_delivered": []any{"", "#" + strconv.FormatInt(commitmentID, 10)}})
	})
}

// officersProject checks that a project exists and is followed by the
// actor, locking it against a concurrent reassignment.
func officersProject(tx *gorm.DB, projectID int64, by Actor) error {
	var id int64
	err := tx.Raw("SELECT id FROM projects WHERE id = ? AND officer_id = ? AND deleted_at IS NULL FOR UPDATE", projectID, by.StaffID).Scan(&id).Error
	if err == nil && id == 0 {
		return ErrNotFound
	}
	return err
}

// InvestorCommitments lists the commitments to the project an inquiry
// became, for the investor's status page; none when it became none.
func InvestorCommitments(ctx context.Context, db *gorm.DB, in Inquiry) ([]ProjectCommitment, error) {
	if in.SignedProjectID == nil {
		return nil, nil
	}
	return ProjectCommitments(ctx, db, *in.SignedProjectID)
}
