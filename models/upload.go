package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"investportal/models/storage"
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

// CreateUpload records an upload and stores its bytes, so that both land
// or neither does: the row is written in a transaction that commits only
// once the store holds the file, and if the commit then fails the file is
// removed again. (A process killed between the two leaves at most a file
// no row names, which is never served: serving reads the row first.)
func CreateUpload(ctx context.Context, db *gorm.DB, store storage.Store, u Upload, data []byte, by Actor) (Upload, error) {
	if by.StaffID != 0 {
		u.UploadedBy = &by.StaffID
	}
	stored := false
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Omit("CreatedAt").Create(&u).Error; err != nil {
			return err
		}
		if err := WriteAudit(tx, by, "create", "uploads", u.ID, map[string]any{"name": []any{nil, u.Name}, "original_name": []any{nil, u.OriginalName}}); err != nil {
			return err
		}
		if err := store.Put(ctx, u.Name, data); err != nil {
			return fmt.Errorf("storing the upload: %w", err)
		}
		stored = true
		return nil
	})
	if err != nil && stored {
		// The request's context may be what ended the commit. A commit
		// whose answer was lost may have happened: the file stays if the
		// row is there (or if that cannot be told).
		cleanup, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var rows int64
		if countErr := db.WithContext(cleanup).Model(&Upload{}).Where("name = ?", u.Name).Count(&rows).Error; countErr != nil || rows > 0 {
			return u, err
		}
		if removeErr := store.Delete(cleanup, u.Name); removeErr != nil {
			err = errors.Join(err, fmt.Errorf("removing the stored file of an upload not recorded: %w", removeErr))
		}
	}
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
