package models

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"
)

// AuditEntry records one change: who, when, which record, and which fields
// changed from what to what.
type AuditEntry struct {
	ID         int64
	At         time.Time `gorm:"default:now()"`
	ActorID    *int64
	Action     string
	EntityType string
	EntityID   int64
	Changes    json.RawMessage `gorm:"type:jsonb;default:'{}'"`
	RequestID  string
}

// TableName keeps GORM on the schema's name.
func (AuditEntry) TableName() string { return "audit_log" }

// AuditRow is an audit entry with the name of who made the change.
type AuditRow struct {
	AuditEntry
	ActorName string
}

// AuditQuery selects audit entries: all of them, one entity type's, or one
// record's, among the entity types the reader may see.
type AuditQuery struct {
	EntityTypes []string // the types the reader may see; none: nothing
	EntityType  string
	EntityID    int64
	// Inquiries limits inquiry entries to the reader's scope: an officer
	// reads the history of the inquiries they may open, no others.
	Inquiries InquiryScope
	Limit     int
	Offset    int
}

// AuditEntries reads audit entries, newest first, with how many there are.
func AuditEntries(ctx context.Context, db *gorm.DB, q AuditQuery) ([]AuditRow, int64, error) {
	scope := func() *gorm.DB {
		d := db.WithContext(ctx).Table("audit_log").Where("audit_log.entity_type IN ?", q.EntityTypes)
		if q.EntityType != "" {
			d = d.Where("audit_log.entity_type = ?", q.EntityType)
		}
		if q.EntityID != 0 {
			d = d.Where("audit_log.entity_id = ?", q.EntityID)
		}
		if !q.Inquiries.All {
			d = d.Where("(audit_log.entity_type <> 'inquiries' OR audit_log.entity_id IN (?))",
				q.Inquiries.where(db.Table("inquiries")).Select("inquiries.id"))
		}
		return d
	}
	if len(q.EntityTypes) == 0 {
		return nil, 0, nil
	}
	var total int64
	if err := scope().Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []AuditRow
	err := scope().Select("audit_log.*, COALESCE(staff_users.name, '') AS actor_name").
		Joins("LEFT JOIN staff_users ON staff_users.id = audit_log.actor_id").
		Order("audit_log.at DESC, audit_log.id DESC").Limit(q.Limit).Offset(q.Offset).Scan(&rows).Error
	return rows, total, err
}
