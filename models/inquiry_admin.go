package models

import (
	"context"
	"errors"
	"strconv"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Inquiry pipeline work for staff: lists by stage and assignee, the whole
// inquiry with internal notes, stage and assignee changes, and replies.

// Assignee filters beyond an account id.
const (
	AssigneeAny  int64 = 0
	AssigneeNone int64 = -1
)

// InquiryListQuery selects inquiries for staff.
type InquiryListQuery struct {
	Stage      string
	AssigneeID int64 // an account, AssigneeAny or AssigneeNone
	Text       string
	Limit      int
	Offset     int
}

// InquiryListItem is an inquiry in a staff list.
type InquiryListItem struct {
	Inquiry
	AssigneeName string
}

// ListInquiries reads one page of inquiries, newest first, with the total.
func ListInquiries(ctx context.Context, db *gorm.DB, q InquiryListQuery) ([]InquiryListItem, int64, error) {
	scope := func() *gorm.DB {
		d := db.WithContext(ctx).Table("inquiries")
		if q.Stage != "" {
			d = d.Where("inquiries.stage = ?", q.Stage)
		}
		switch {
		case q.AssigneeID == AssigneeNone:
			d = d.Where("inquiries.assignee_id IS NULL")
		case q.AssigneeID > 0:
			d = d.Where("inquiries.assignee_id = ?", q.AssigneeID)
		}
		if q.Text != "" {
			p := likePattern(q.Text)
			d = d.Where("(inquiries.reference ILIKE ? OR inquiries.name ILIKE ? OR inquiries.company ILIKE ? OR inquiries.email ILIKE ?)", p, p, p, p)
		}
		return d
	}
	var total int64
	if err := scope().Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var items []InquiryListItem
	err := scope().Select("inquiries.*, COALESCE(staff_users.name, '') AS assignee_name").
		Joins("LEFT JOIN staff_users ON staff_users.id = inquiries.assignee_id").
		Order("inquiries.created_at DESC, inquiries.id DESC").Limit(q.Limit).Offset(q.Offset).Scan(&items).Error
	return items, total, err
}

// StaffInquiry is an inquiry as staff see it: every note, with authors.
type StaffInquiry struct {
	InquiryStatus
	Authors map[int64]string // staff names by id
}

// LoadStaffInquiry reads an inquiry by its reference with all its notes.
func LoadStaffInquiry(ctx context.Context, db *gorm.DB, reference string) (StaffInquiry, error) {
	s, err := loadInquiry(db.WithContext(ctx), "reference = ?", reference, "inquiry_id = ?")
	if err != nil {
		return StaffInquiry{}, err
	}
	out := StaffInquiry{InquiryStatus: s, Authors: map[int64]string{}}
	var staff []StaffUser
	if err := db.WithContext(ctx).Select("id, name").Find(&staff).Error; err != nil {
		return out, err
	}
	for _, u := range staff {
		out.Authors[u.ID] = u.Name
	}
	return out, nil
}

// ErrInquiryAnonymised is returned for work on an inquiry whose personal
// data is gone.
var ErrInquiryAnonymised = errors.New("inquiry anonymised")

// UpdateInquiryWork sets an inquiry's stage and assignee, audited.
func UpdateInquiryWork(ctx context.Context, db *gorm.DB, id int64, stage string, assigneeID *int64, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var in Inquiry
		if err := notFound(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&in, id).Error); err != nil {
			return err
		}
		changes := map[string]any{}
		if in.Stage != stage {
			changes["stage"] = []any{in.Stage, stage}
		}
		if !sameID(in.AssigneeID, assigneeID) {
			changes["assignee"] = []any{staffName(tx, in.AssigneeID), staffName(tx, assigneeID)}
		}
		if len(changes) == 0 {
			return ErrNoChange
		}
		err := tx.Model(&Inquiry{}).Where("id = ?", id).Updates(map[string]any{
			"stage": stage, "assignee_id": assigneeID, "updated_at": gorm.Expr("now()")}).Error
		if err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "inquiries", id, changes)
	})
}

// AddStaffNote stores what staff record on an inquiry: a reply the
// investor sees on their status page (and is e-mailed about, by mail, in the
// same transaction), a call or meeting with the investor, or an internal
// note. A reply or a call is a response: the first one stops the response
// clock. The audit entry records that a note was written, not its text:
// the text is personal correspondence.
func AddStaffNote(ctx context.Context, db *gorm.DB, in Inquiry, kind, body string, by Actor, mail func(tx *gorm.DB) error) error {
	if in.AnonymisedAt != nil {
		return ErrInquiryAnonymised
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		visible := kind == NoteReply
		note := InquiryNote{InquiryID: in.ID, Kind: kind, AuthorKind: AuthorStaff, AuthorID: &by.StaffID, VisibleToInvestor: visible, Body: body}
		if err := tx.Omit("CreatedAt").Create(&note).Error; err != nil {
			return err
		}
		touch := map[string]any{"updated_at": gorm.Expr("now()"), "last_activity_at": gorm.Expr("now()")}
		if NoteCountsAsResponse(kind) {
			touch["first_response_at"] = gorm.Expr("coalesce(first_response_at, now())")
		}
		if err := tx.Model(&Inquiry{}).Where("id = ?", in.ID).Updates(touch).Error; err != nil {
			return err
		}
		if visible {
			if err := mail(tx); err != nil {
				return err
			}
		}
		return WriteAudit(tx, by, "update", "inquiries", in.ID, map[string]any{kind: []any{"", "#" + strconv.FormatInt(note.ID, 10)}})
	})
}

func sameID(a, b *int64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func staffName(tx *gorm.DB, id *int64) string {
	if id == nil {
		return ""
	}
	var name string
	tx.Model(&StaffUser{}).Where("id = ?", *id).Select("name").Scan(&name)
	return name
}

// Officers lists the accounts inquiries can be assigned to: active
// administrators and officers.
func Officers(ctx context.Context, db *gorm.DB) ([]StaffUser, error) {
	var list []StaffUser
	err := db.WithContext(ctx).Where("disabled_at IS NULL AND role IN ?", []string{RoleAdmin, RoleOfficer}).Order("name, id").Find(&list).Error
	return list, err
}
