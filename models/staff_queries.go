package models

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// StaffRoles lists the roles from most to least powerful.
var StaffRoles = []string{RoleAdmin, RoleEditor, RoleOfficer, RoleViewer}

// Sign-in throttling: after this many wrong passwords in a row an account
// is locked for a while, whoever tries.
const (
	MaxFailedSignIns = 5
	SignInLockout    = 15 * time.Minute
	MinPasswordRunes = 12
	maxPasswordBytes = 1024 // argon2 hashes anything, but not megabytes per guess
)

// Sign-in outcomes the caller must tell apart.
var (
	ErrBadCredentials = errors.New("wrong e-mail address or password")
	ErrAccountLocked  = errors.New("account locked after repeated wrong passwords")
	ErrWeakPassword   = errors.New("password too short or too long")
)

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

// dummyHash is compared against when the e-mail address is unknown, so an
// unknown address takes as long as a wrong password. It is made on first
// use: hashing costs 19 MiB and tens of milliseconds, which binaries that
// never check a password should not pay at start.
var dummyHash = sync.OnceValue(func() string {
	hash, err := argon2id.CreateHash("not-a-real-password", argonParams)
	if err != nil {
		panic(err) // only a broken random source fails here
	}
	return hash
})

// Authenticate checks an e-mail address and password. A wrong password
// counts towards the account's lock; a right one clears the count. A
// locked or disabled account cannot sign in even with the right password.
func Authenticate(ctx context.Context, db *gorm.DB, email, password string) (StaffUser, error) {
	db = db.WithContext(ctx)
	if len(password) > maxPasswordBytes {
		return StaffUser{}, ErrBadCredentials
	}
	var u StaffUser
	var refused error // decided inside, returned after the transaction commits the counters
	err := db.Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("lower(email) = lower(?)", strings.TrimSpace(email)).Take(&u).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			_, _ = argon2id.ComparePasswordAndHash(password, dummyHash())
			refused = ErrBadCredentials
			return nil
		}
		if err != nil {
			return err
		}
		if u.LockedUntil != nil && u.LockedUntil.After(time.Now()) {
			refused = ErrAccountLocked
			return nil
		}
		ok, err := argon2id.ComparePasswordAndHash(password, u.PasswordHash)
		if err != nil {
			return err
		}
		if !ok || u.DisabledAt != nil {
			failed := u.FailedSignIns + 1
			update := map[string]any{"failed_sign_ins": failed}
			if failed >= MaxFailedSignIns {
				update = map[string]any{"failed_sign_ins": 0, "locked_until": time.Now().Add(SignInLockout)}
			}
			refused = ErrBadCredentials
			return tx.Model(&u).UpdateColumns(update).Error
		}
		return tx.Model(&u).UpdateColumns(map[string]any{
			"failed_sign_ins": 0, "locked_until": nil, "last_sign_in_at": gorm.Expr("now()"),
		}).Error
	})
	if err != nil {
		return StaffUser{}, err
	}
	if refused != nil {
		return StaffUser{}, refused
	}
	return u, nil
}

// ChangePassword replaces an account's password after checking the
// current one.
func ChangePassword(ctx context.Context, db *gorm.DB, userID int64, current, next string) error {
	var u StaffUser
	if err := db.WithContext(ctx).Take(&u, userID).Error; err != nil {
		return err
	}
	ok, err := argon2id.ComparePasswordAndHash(current, u.PasswordHash)
	if err != nil {
		return err
	}
	if !ok {
		return ErrBadCredentials
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return db.WithContext(ctx).Model(&u).Updates(map[string]any{
		"password_hash": hash, "password_changed_at": gorm.Expr("now()"),
	}).Error
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

// RecentInquiryList reads the newest inquiries for staff, with how many
// are still new.
func RecentInquiryList(ctx context.Context, db *gorm.DB, limit int) ([]Inquiry, int64, error) {
	var list []Inquiry
	var fresh int64
	db = db.WithContext(ctx)
	if err := db.Model(&Inquiry{}).Where("stage = ?", InquiryNew).Count(&fresh).Error; err != nil {
		return nil, 0, err
	}
	err := db.Order("created_at DESC, id DESC").Limit(limit).Find(&list).Error
	return list, fresh, err
}

// DeleteExpiredSessions removes sessions past their expiry.
func DeleteExpiredSessions(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec("DELETE FROM sessions WHERE expiry < now()").Error
}
