package models

import (
	"encoding/json"
	"time"
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
