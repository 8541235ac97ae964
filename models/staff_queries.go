package models

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"gorm.io/gorm"
)

// StaffRoles lists the roles from most to least powerful.
var StaffRoles = []string{RoleAdmin, RoleEditor, RoleOfficer, RoleViewer}

// Password rules.
const (
	MinPasswordRunes = 12
	maxPasswordBytes = 1024 // argon2 hashes anything, but not megabytes per guess
)

// ErrWeakPassword refuses a password that is too short or too long.
var ErrWeakPassword = errors.New("password too short or too long")

// argonParams are argon2id's settings: OWASP's recommendation of 19 MiB
// memory and 2 passes.
var argonParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword hashes a password with argon2id, after checking its length.
func HashPassword(password string) (string, error) {
	if utf8.RuneCountInString(password) < MinPasswordRunes || len(password) > maxPasswordBytes {
		return "", ErrWeakPassword
	}
	return argon2id.CreateHash(password, argonParams)
}

// CreateStaffUser adds an account with a hashed password.
func CreateStaffUser(ctx context.Context, db *gorm.DB, email, name, role, password string) (StaffUser, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return StaffUser{}, err
	}
	u := StaffUser{Email: strings.TrimSpace(email), Name: strings.TrimSpace(name), Role: role, PasswordHash: hash}
	err = db.WithContext(ctx).Omit("CreatedAt", "UpdatedAt", "PasswordChangedAt").Create(&u).Error
	return u, err
}

// ActiveStaffUser reads an account that may still use the admin.
func ActiveStaffUser(ctx context.Context, db *gorm.DB, id int64) (StaffUser, error) {
	var u StaffUser
	err := notFound(db.WithContext(ctx).Where("disabled_at IS NULL").Take(&u, id).Error)
	return u, err
}

// CountStaffUsers says how many accounts exist.
func CountStaffUsers(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&StaffUser{}).Count(&n).Error
	return n, err
}

// ContentCount is how many records of one content type are published and
// how many wait as drafts (deleted ones not counted).
type ContentCount struct {
	Table                        string
	Published, Scheduled, Drafts int64
}

// ContentTables are the content types staff edit, in dashboard order.
var ContentTables = []string{"regions", "parks", "industry_chains", "policies", "signing_events", "projects", "news_articles"}

// CountContent counts each content type by state for the dashboard.
func CountContent(ctx context.Context, db *gorm.DB) ([]ContentCount, error) {
	var counts []ContentCount
	for _, table := range ContentTables {
		c := ContentCount{Table: table}
		err := db.WithContext(ctx).Table(table).Where("deleted_at IS NULL").
			Select(`count(*) FILTER (WHERE status = 'published' AND (publish_at IS NULL OR publish_at <= now())) AS published,
				count(*) FILTER (WHERE status = 'published' AND publish_at > now()) AS scheduled,
				count(*) FILTER (WHERE status = 'draft') AS drafts`).
			Scan(&c).Error
		if err != nil {
			return nil, err
		}
		c.Table = table
		counts = append(counts, c)
	}
	return counts, nil
}

// RecentInquiryList reads the newest inquiries in the scope, with how many
// are still new.
func RecentInquiryList(ctx context.Context, db *gorm.DB, scope InquiryScope, limit int) ([]Inquiry, int64, error) {
	var list []Inquiry
	var fresh int64
	db = db.WithContext(ctx)
	if err := scope.where(db.Model(&Inquiry{})).Where("inquiries.stage = ?", InquiryNew).Count(&fresh).Error; err != nil {
		return nil, 0, err
	}
	err := scope.where(db.Model(&Inquiry{})).Order("created_at DESC, id DESC").Limit(limit).Find(&list).Error
	return list, fresh, err
}

// DeleteExpiredSessions removes sessions past their expiry.
func DeleteExpiredSessions(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec("DELETE FROM sessions WHERE expiry < now()").Error
}
