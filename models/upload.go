package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Upload is an image staff uploaded; its bytes are in the upload store.
type Upload struct {
	ID           int64
	Name         string // random, with the extension of the checked type
	OriginalName string
	ContentType  string
	SizeBytes    int
	Width        int
	Height       int
	UploadedBy   *int64
	CreatedAt    time.Time `gorm:"default:now()"`
}

// CreateUpload records an upload and stores its bytes with store, in one
// transaction: if storing fails, no row points at a missing file.
func CreateUpload(ctx context.Context, db *gorm.DB, u Upload, by Actor, store func() error) (Upload, error) {
	if by.StaffID != 0 {
		u.UploadedBy = &by.StaffID
	}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("CreatedAt").Create(&u).Error; err != nil {
			return err
		}
		if err := WriteAudit(tx, by, "create", "uploads", u.ID, map[string]any{"name": []any{nil, u.Name}, "original_name": []any{nil, u.OriginalName}}); err != nil {
			return err
		}
		return store()
	})
	return u, err
}

// UploadByName finds an upload by its stored name.
func UploadByName(ctx context.Context, db *gorm.DB, name string) (Upload, error) {
	var u Upload
	err := notFound(db.WithContext(ctx).Where("name = ?", name).Take(&u).Error)
	return u, err
}

// ListUploads reads one page of uploads, newest first, with the total.
func ListUploads(ctx context.Context, db *gorm.DB, limit, offset int) ([]Upload, int64, error) {
	var total int64
	if err := db.WithContext(ctx).Model(&Upload{}).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var list []Upload
	err := db.WithContext(ctx).Order("created_at DESC, id DESC").Limit(limit).Offset(offset).Find(&list).Error
	return list, total, err
}
