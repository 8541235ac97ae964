package models

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"investportal/models/calendar"
)

// Inquiry pipeline work for staff: the inbox, the whole inquiry with its
// timeline, stage changes along the pipeline, assignments, and notes.

// Assignee filters beyond an account id.
const (
	AssigneeAny  int64 = 0
	AssigneeNone int64 = -1
)

// InquiryScope is who is asking: the desk lead sees every inquiry, an
// officer only those assigned to them and the queue: the open inquiries
// nobody has yet (an ended one nobody took is the desk lead's to see). Inquiries
// hold investors' personal data; need-to-know is enforced in the queries,
// so no page or export can show more.
type InquiryScope struct {
	All     bool
	StaffID int64
}

// where limits a query on inquiries to the scope.
func (s InquiryScope) where(d *gorm.DB) *gorm.DB {
	if s.All {
		return d
	}
	return d.Where("(inquiries.assignee_id = ? OR (inquiries.assignee_id IS NULL AND inquiries.stage NOT IN ('signed', 'closed')))", s.StaffID)
}

// Inbox orders.
const (
	SortDue      = "due"      // the first response due soonest first; answered ones after
	SortPriority = "priority" // the highest screening priority first
	SortReceived = "received" // newest first
)

// InboxSorts lists the inbox's orders, the default first.
var InboxSorts = []string{SortDue, SortPriority, SortReceived}

// Response filters.
const (
	ResponseOverdue  = "overdue"  // waiting past the due time
	ResponseDueToday = "today"    // waiting, due later today (Beijing)
	ResponseWaiting  = "waiting"  // waiting for a first response
	ResponseAnswered = "answered" // answered
)

// ResponseFilters lists the response filters.
var ResponseFilters = []string{ResponseOverdue, ResponseDueToday, ResponseWaiting, ResponseAnswered}

// InquiryListQuery selects inquiries for staff.
type InquiryListQuery struct {
	Scope      InquiryScope
	Stage      string // a stage, "open" for every open stage, or "" for all
	AssigneeID int64  // an account, AssigneeAny or AssigneeNone
	Text       string
	Response   string // one of ResponseFilters, or ""
	Dormant    bool   // only dormant inquiries
	Sort       string // one of InboxSorts; "" is SortDue
	Rules      DeskRules
	Limit      int // 0: no limit (exports)
	Offset     int
}

// Screening priorities: a planned amount of 10亿元 or more, or 1亿元 or
// more in one of the key industry chains, is high; 1亿元 or more, or any
// key chain, is medium; the rest is normal. Every chain on the portal is a
// key industry chain the regions recruit for.
const (
	PriorityNormal = 1
	PriorityMedium = 2
	PriorityHigh   = 3
)

// prioritySQL computes the priority from the inquiry and its chain (joined
// as key_chains: a chain that still exists).
const prioritySQL = `CASE
	WHEN inquiries.planned_amount_yuan >= 1000000000
		OR (inquiries.planned_amount_yuan >= 100000000 AND key_chains.id IS NOT NULL) THEN 3
	WHEN inquiries.planned_amount_yuan >= 100000000 OR key_chains.id IS NOT NULL THEN 2
	ELSE 1 END`

// waitingSQL is true for an open inquiry still waiting for its first response.
const waitingSQL = `(inquiries.first_response_at IS NULL AND inquiries.stage NOT IN ('signed', 'closed'))`

// dormantSQL is true for an open inquiry without activity since the
// parameter (a time).
const dormantSQL = `(inquiries.stage NOT IN ('signed', 'closed') AND inquiries.last_activity_at < ?)`

// InquiryListItem is an inquiry in a staff list.
type InquiryListItem struct {
	Inquiry
	AssigneeName string
	RegionName   string
	RegionNameEn string
	ChainName    string
	ChainNameEn  string
	Priority     int
	Dormant      bool
}

// inquiryListScope is the list's filter, shared by its count, its page and
// the export.
func inquiryListScope(db *gorm.DB, q InquiryListQuery, now time.Time) *gorm.DB {
	d := q.Scope.where(db.Table("inquiries").
		Joins("LEFT JOIN industry_chains key_chains ON key_chains.id = inquiries.chain_id AND key_chains.deleted_at IS NULL"))
	switch q.Stage {
	case "":
	case "open":
		d = d.Where("inquiries.stage IN ?", openStages)
	default:
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
	today := calendar.Day(now)
	switch q.Response {
	case ResponseOverdue:
		d = d.Where(waitingSQL+" AND inquiries.response_due_at < ?", now)
	case ResponseDueToday:
		d = d.Where(waitingSQL+" AND inquiries.response_due_at >= ? AND inquiries.response_due_at < ?", now, today.AddDate(0, 0, 1))
	case ResponseWaiting:
		d = d.Where(waitingSQL)
	case ResponseAnswered:
		d = d.Where("inquiries.first_response_at IS NOT NULL")
	}
	if q.Dormant {
		d = d.Where(dormantSQL, now.Add(-q.Rules.DormantAfter))
	}
	return d
}

// ListInquiries reads one page of inquiries with the total, in the
// query's order.
func ListInquiries(ctx context.Context, db *gorm.DB, q InquiryListQuery) ([]InquiryListItem, int64, error) {
	now := time.Now()
	var total int64
	if err := inquiryListScope(db.WithContext(ctx), q, now).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var items []InquiryListItem
	d := inquiryListRows(inquiryListScope(db.WithContext(ctx), q, now), q, now)
	if q.Limit > 0 {
		d = d.Limit(q.Limit).Offset(q.Offset)
	}
	err := d.Scan(&items).Error
	return items, total, err
}

// EachInquiry calls fn for every inquiry the query selects, in its order,
// reading them as a stream (an export of any size in constant memory).
func EachInquiry(ctx context.Context, db *gorm.DB, q InquiryListQuery, fn func(InquiryListItem) error) error {
	now := time.Now()
	rows, err := inquiryListRows(inquiryListScope(db.WithContext(ctx), q, now), q, now).Rows()
	if err != nil {
		return err
	}
	defer func() { _ = rows.Close() }()
	for rows.Next() {
		var it InquiryListItem
		if err := db.ScanRows(rows, &it); err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return rows.Err()
}

func inquiryListRows(d *gorm.DB, q InquiryListQuery, now time.Time) *gorm.DB {
	d = d.Select(`inquiries.*, COALESCE(staff_users.name, '') AS assignee_name,
			COALESCE(regions.name, '') AS region_name, COALESCE(regions.name_en, '') AS region_name_en,
			COALESCE(key_chains.name, '') AS chain_name, COALESCE(key_chains.name_en, '') AS chain_name_en,
			`+prioritySQL+` AS priority, `+dormantSQL+` AS dormant`, now.Add(-q.Rules.DormantAfter)).
		Joins("LEFT JOIN staff_users ON staff_users.id = inquiries.assignee_id").
		Joins("LEFT JOIN regions ON regions.id = inquiries.region_id")
	switch q.Sort {
	case SortPriority:
		d = d.Order("priority DESC, inquiries.created_at DESC, inquiries.id DESC")
	case SortReceived:
		d = d.Order("inquiries.created_at DESC, inquiries.id DESC")
	default:
		d = d.Order(waitingSQL + " DESC, inquiries.response_due_at ASC NULLS LAST, inquiries.created_at DESC, inquiries.id DESC")
	}
	return d
}

// StaffInquiry is an inquiry as staff see it: every note, with authors,
// and what it led to.
type StaffInquiry struct {
	InquiryStatus
	Authors       map[int64]string // staff names by id
	DuplicateOf   string           // the reference of the inquiry it duplicates
	SignedProject *Project         // the project it became
}

// LoadStaffInquiry reads an inquiry in the scope by its reference with
// all its notes; an inquiry outside the scope is ErrNotFound.
func LoadStaffInquiry(ctx context.Context, db *gorm.DB, scope InquiryScope, reference string) (StaffInquiry, error) {
	db = db.WithContext(ctx)
	var id int64
	if err := scope.where(db.Table("inquiries").Where("inquiries.reference = ?", reference)).
		Limit(1).Pluck("inquiries.id", &id).Error; err != nil {
		return StaffInquiry{}, err
	}
	if id == 0 {
		return StaffInquiry{}, ErrNotFound
	}
	s, err := loadInquiry(db, "id = ?", id, "inquiry_id = ?")
	if err != nil {
		return StaffInquiry{}, err
	}
	out := StaffInquiry{InquiryStatus: s, Authors: map[int64]string{}}
	var staff []StaffUser
	if err := db.Select("id, name").Find(&staff).Error; err != nil {
		return out, err
	}
	for _, u := range staff {
		out.Authors[u.ID] = u.Name
	}
	if s.Inquiry.DuplicateOfID != nil {
		if err := db.Model(&Inquiry{}).Where("id = ?", *s.Inquiry.DuplicateOfID).Pluck("reference", &out.DuplicateOf).Error; err != nil {
			return out, err
		}
	}
	if out.SignedProject, err = takeIfSet[Project](db, s.Inquiry.SignedProjectID); err != nil {
		return out, err
	}
	return out, nil
}

// InquiriesSignedAs lists the references of the inquiries that became a
// project, for the project's admin page.
func InquiriesSignedAs(ctx context.Context, db *gorm.DB, scope InquiryScope, projectID int64) ([]string, error) {
	var refs []string
	err := scope.where(db.WithContext(ctx).Table("inquiries").Where("inquiries.signed_project_id = ?", projectID)).
		Order("inquiries.created_at").Pluck("inquiries.reference", &refs).Error
	return refs, err
}

// ErrInquiryAnonymised is returned for work on an inquiry whose personal
// data is gone.
var ErrInquiryAnonymised = errors.New("inquiry anonymised")

// ErrAlreadyTaken is returned when an officer takes an inquiry someone
// else took first.
var ErrAlreadyTaken = errors.New("inquiry already assigned")

// inquiryTransitions are the stage changes the pipeline allows. An inquiry
// moves forward, may go back for another site visit, is closed from any
// open stage, and a closed one can be reopened. Signed is final: the
// project it became is followed from then on.
var inquiryTransitions = map[string][]string{
	InquiryNew:          {InquiryAcknowledged, InquiryQualified, InquiryClosed},
	InquiryAcknowledged: {InquiryQualified, InquirySiteVisit, InquiryClosed},
	InquiryQualified:    {InquirySiteVisit, InquiryNegotiating, InquiryClosed},
	InquirySiteVisit:    {InquiryNegotiating, InquiryClosed},
	InquiryNegotiating:  {InquirySiteVisit, InquirySigned, InquiryClosed},
	InquirySigned:       {},
	InquiryClosed:       {InquiryAcknowledged},
}

// NextStages lists the stages an inquiry in a stage may move to.
func NextStages(stage string) []string { return inquiryTransitions[stage] }

// StageChange is a move of an inquiry along the pipeline, with what its
// end needs: a close reason (and, for a duplicate, the other inquiry's
// reference) or the project signed.
type StageChange struct {
	Stage           string
	CloseReason     string
	DuplicateOf     string // a reference
	SignedProjectID int64
}

// StageError says why a stage change was refused, for the form field it
// concerns: "stage" (not allowed from here; Allowed lists what is),
// "close_reason", "duplicate_of" or "project".
type StageError struct {
	Field   string
	Allowed []string
}

func (e *StageError) Error() string { return "stage change refused: " + e.Field }

// lockInScope reads an inquiry for a change, locked until commit, if it is
// in the scope: the scope checked when the page was opened may have changed
// (a reassignment) by the time the change is written.
func lockInScope(tx *gorm.DB, scope InquiryScope, id int64) (Inquiry, error) {
	var in Inquiry
	err := scope.where(tx.Model(&Inquiry{})).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("inquiries.id = ?", id).Take(&in).Error
	return in, notFound(err)
}

// ChangeInquiryStage moves an inquiry in the scope along the pipeline,
// recorded on its timeline and audited. A refused change is a *StageError
// and writes nothing; an anonymised inquiry stays where it is.
func ChangeInquiryStage(ctx context.Context, db *gorm.DB, scope InquiryScope, id int64, ch StageChange, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		in, err := lockInScope(tx, scope, id)
		if err != nil {
			return err
		}
		if in.AnonymisedAt != nil {
			return ErrInquiryAnonymised
		}
		if in.Stage == ch.Stage {
			return ErrNoChange
		}
		if !slices.Contains(inquiryTransitions[in.Stage], ch.Stage) {
			return &StageError{Field: "stage", Allowed: inquiryTransitions[in.Stage]}
		}
		set := map[string]any{"stage": ch.Stage, "close_reason": nil, "duplicate_of_id": nil,
			"signed_project_id": nil, "updated_at": gorm.Expr("now()"), "last_activity_at": gorm.Expr("now()")}
		changes := map[string]any{"stage": []any{in.Stage, ch.Stage}}
		switch ch.Stage {
		case InquiryClosed:
			if !slices.Contains(CloseReasons, ch.CloseReason) {
				return &StageError{Field: "close_reason"}
			}
			set["close_reason"] = ch.CloseReason
			changes["close_reason"] = []any{"", ch.CloseReason}
			if ch.CloseReason == CloseDuplicate {
				// Only an inquiry the member of staff may see can be named.
				var other int64
				if err := scope.where(tx.Model(&Inquiry{})).Where("inquiries.reference = ? AND inquiries.id <> ?", ch.DuplicateOf, id).
					Pluck("inquiries.id", &other).Error; err != nil {
					return err
				}
				if other == 0 {
					return &StageError{Field: "duplicate_of"}
				}
				set["duplicate_of_id"] = other
				changes["duplicate_of"] = []any{"", ch.DuplicateOf}
			}
		case InquirySigned:
			var project struct {
				ID   int64
				Name string
			}
			if err := tx.Model(&Project{}).Select("id, name").Where("id = ? AND deleted_at IS NULL", ch.SignedProjectID).
				Scan(&project).Error; err != nil {
				return err
			}
			if project.ID == 0 {
				return &StageError{Field: "project"}
			}
			set["signed_project_id"] = project.ID
			changes["signed_project"] = []any{"", project.Name}
		}
		if err := tx.Model(&Inquiry{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return err
		}
		if err := addInquiryEvent(tx, id, "stage", &by.StaffID, in.Stage, ch.Stage); err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "inquiries", id, changes)
	})
}

// AssignInquiry gives an inquiry to an officer, or back to the queue (nil),
// recorded on its timeline and audited.
func AssignInquiry(ctx context.Context, db *gorm.DB, id int64, assigneeID *int64, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var in Inquiry
		if err := notFound(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&in, id).Error); err != nil {
			return err
		}
		if sameID(in.AssigneeID, assigneeID) {
			return ErrNoChange
		}
		before, after := staffName(tx, in.AssigneeID), staffName(tx, assigneeID)
		if err := tx.Model(&Inquiry{}).Where("id = ?", id).
			Updates(map[string]any{"assignee_id": assigneeID, "updated_at": gorm.Expr("now()")}).Error; err != nil {
			return err
		}
		if err := addInquiryEvent(tx, id, "assigned", &by.StaffID, before, after); err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "inquiries", id, map[string]any{"assignee": []any{before, after}})
	})
}

// TakeInquiry assigns an unassigned inquiry to the officer taking it. When
// two take it at once, one gets it and the other ErrAlreadyTaken.
func TakeInquiry(ctx context.Context, db *gorm.DB, id int64, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Inquiry{}).Where("id = ? AND assignee_id IS NULL", id).
			Updates(map[string]any{"assignee_id": by.StaffID, "updated_at": gorm.Expr("now()")})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrAlreadyTaken
		}
		name := staffName(tx, &by.StaffID)
		if err := addInquiryEvent(tx, id, "taken", &by.StaffID, "", name); err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "inquiries", id, map[string]any{"assignee": []any{"", name}})
	})
}

// addInquiryEvent writes a timeline entry; actor nil is the portal itself.
func addInquiryEvent(tx *gorm.DB, inquiryID int64, kind string, actor *int64, from, to string) error {
	return tx.Exec("INSERT INTO inquiry_events (inquiry_id, kind, actor_id, from_value, to_value) VALUES (?, ?, ?, ?, ?)",
		inquiryID, kind, actor, from, to).Error
}

// TimelineEntry is one thing that happened to an inquiry: a note (Kind is
// the note's kind) or an event (stage, assigned, taken, reminder, digest).
type TimelineEntry struct {
	At       time.Time
	Kind     string
	ActorID  *int64
	Investor bool   // written by the investor
	Body     string // a note's text
	From, To string // an event's values
}

// InquiryTimeline is everything that happened to an inquiry, oldest first:
// its notes (already loaded with it) and its events.
func InquiryTimeline(ctx context.Context, db *gorm.DB, s StaffInquiry) ([]TimelineEntry, error) {
	var events []struct {
		Kind, FromValue, ToValue string
		ActorID                  *int64
		At                       time.Time
	}
	if err := db.WithContext(ctx).Raw(`SELECT kind, from_value, to_value, actor_id, at FROM inquiry_events
		WHERE inquiry_id = ? ORDER BY at, id`, s.Inquiry.ID).Scan(&events).Error; err != nil {
		return nil, err
	}
	out := make([]TimelineEntry, 0, len(s.Notes)+len(events))
	for _, n := range s.Notes {
		out = append(out, TimelineEntry{At: n.CreatedAt, Kind: n.Kind, ActorID: n.AuthorID, Investor: n.AuthorKind == AuthorInvestor, Body: n.Body})
	}
	for _, e := range events {
		out = append(out, TimelineEntry{At: e.At, Kind: e.Kind, ActorID: e.ActorID, From: e.FromValue, To: e.ToValue})
	}
	slices.SortStableFunc(out, func(a, b TimelineEntry) int { return a.At.Compare(b.At) })
	return out, nil
}

// AddStaffNote stores what staff record on an inquiry: a reply the
// investor sees on their status page (and is e-mailed about, by mail, in the
// same transaction), a call or meeting with the investor, or an internal
// note. A reply or a call is a response: the first one stops the response
// clock. The audit entry records that a note was written, not its text:
// the text is personal correspondence.
func AddStaffNote(ctx context.Context, db *gorm.DB, scope InquiryScope, in Inquiry, kind, body string, by Actor, mail func(tx *gorm.DB) error) error {
	if in.AnonymisedAt != nil {
		return ErrInquiryAnonymised
	}
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := lockInScope(tx, scope, in.ID); err != nil {
			return err
		}
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
