package models

import (
	"time"

	"gorm.io/gorm"
)

// Publishing holds the columns every public content table shares.
type Publishing struct {
	Status      string     `gorm:"default:draft"` // StatusDraft or StatusPublished
	PublishAt   *time.Time // NULL: public as soon as it is published
	CreatedAt   time.Time
	UpdatedAt   time.Time
	DeletedAt   gorm.DeletedAt
	LockVersion int `gorm:"default:1"`
}

// Publishing states.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
)

// Public restricts a query on a content table to what visitors may see:
// published, due, and not deleted (GORM adds the deleted_at condition).
func Public(table string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		return db.Where(table+".status = ? AND ("+table+".publish_at IS NULL OR "+table+".publish_at <= now())", StatusPublished)
	}
}
