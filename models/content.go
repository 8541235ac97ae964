package models

import (
	"context"
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
// Under WithPreview the one record being previewed is visible as well, so
// a draft shows exactly as its public page will, among public neighbours.
func Public(table string) func(*gorm.DB) *gorm.DB {
	return func(db *gorm.DB) *gorm.DB {
		public := "(" + table + ".status = ? AND (" + table + ".publish_at IS NULL OR " + table + ".publish_at <= now()))"
		if p, ok := db.Statement.Context.Value(previewKey{}).(previewing); ok && p.table == table {
			return db.Where("("+public+" OR "+table+".id = ?)", StatusPublished, p.id)
		}
		return db.Where(public, StatusPublished)
	}
}

type previewKey struct{}

type previewing struct {
	table string
	id    int64
}

// Previewing reports whether a request shows a staff preview.
func Previewing(ctx context.Context) bool {
	_, ok := ctx.Value(previewKey{}).(previewing)
	return ok
}

// WithPreview makes Public let one record of a table through, whatever its
// state, for the admin's preview of a draft.
func WithPreview(ctx context.Context, table string, id int64) context.Context {
	return context.WithValue(ctx, previewKey{}, previewing{table, id})
}
