package models

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Account-management outcomes the admin tells apart.
var (
	ErrEmailTaken     = errors.New("e-mail address already has an account")
	ErrLastAdmin      = errors.New("the last active administrator cannot be demoted or disabled")
	ErrOwnAccountLock = errors.New("administrators cannot demote or disable themselves")
)

// NewPassword is a random password for a new or reset account, shown once.
func NewPassword() string { return rand.Text() }

// ListStaffUsers reads every account, administrators first.
func ListStaffUsers(ctx context.Context, db *gorm.DB) ([]StaffUser, error) {
	var list []StaffUser
	err := db.WithContext(ctx).Order("disabled_at NULLS FIRST, array_position(ARRAY['admin','editor','officer','viewer'], role), lower(email)").Find(&list).Error
	return list, err
}

// StaffUserByID reads an account, disabled or not.
func StaffUserByID(ctx context.Context, db *gorm.DB, id int64) (StaffUser, error) {
	var u StaffUser
	err := notFound(db.WithContext(ctx).Take(&u, id).Error)
	return u, err
}

// AddStaffUser creates an account with a random password, audited; the
// password is returned to be shown once and is stored only as a hash.
func AddStaffUser(ctx context.Context, db *gorm.DB, email, name, role string, by Actor) (StaffUser, string, error) {
	password := NewPassword()
	var u StaffUser
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if u, err = CreateStaffUser(ctx, tx, email, name, role, password); err != nil {
			return err
		}
		return WriteAudit(tx, by, "create", "staff_users", u.ID, map[string]any{
			"email": []any{nil, u.Email}, "name": []any{nil, u.Name}, "role": []any{nil, u.Role}})
	})
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return StaffUser{}, "", ErrEmailTaken
	}
	return u, password, err
}

// StaffChange is what an administrator may change of an account.
type StaffChange struct {
	Name     string
	Role     string
	Disabled bool
}

// UpdateStaffUser changes an account's name, role or state, audited. An
// administrator cannot demote or disable their own account, and the last
// active administrator stays one, so the admin never locks itself out.
func UpdateStaffUser(ctx context.Context, db *gorm.DB, id int64, change StaffChange, by Actor) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u StaffUser
		// Serialise changes of administrators, so two demotions at once
		// cannot both see another active administrator.
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("role = ?", RoleAdmin).Find(&[]StaffUser{}).Error; err != nil {
			return err
		}
		if err := notFound(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&u, id).Error); err != nil {
			return err
		}
		wasActive := u.DisabledAt == nil
		losesAdmin := u.Role == RoleAdmin && wasActive && (change.Role != RoleAdmin || change.Disabled)
		if losesAdmin && id == by.StaffID {
			return ErrOwnAccountLock
		}
		if losesAdmin {
			var admins int64
			if err := tx.Model(&StaffUser{}).Where("role = ? AND disabled_at IS NULL AND id <> ?", RoleAdmin, id).Count(&admins).Error; err != nil {
				return err
			}
			if admins == 0 {
				return ErrLastAdmin
			}
		}
		changes := map[string]any{}
		updates := map[string]any{}
		if name := strings.TrimSpace(change.Name); name != u.Name {
			changes["name"], updates["name"] = []any{u.Name, name}, name
		}
		if change.Role != u.Role {
			changes["role"], updates["role"] = []any{u.Role, change.Role}, change.Role
		}
		if change.Disabled == wasActive {
			changes["disabled"] = []any{boolText(!wasActive), boolText(change.Disabled)}
			updates["disabled_at"] = gorm.Expr("CASE WHEN ? THEN now() END", change.Disabled)
		}
		if len(updates) == 0 {
			return ErrNoChange
		}
		if _, roleChanged := changes["role"]; roleChanged || change.Disabled == wasActive {
			// Sessions signed in under the old rights end at their next request.
			updates["session_epoch"] = gorm.Expr("session_epoch + 1")
		}
		updates["updated_at"] = gorm.Expr("now()")
		if err := tx.Model(&u).Updates(updates).Error; err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "staff_users", id, changes)
	})
}

// ResetStaffPassword gives an account a new random password, returned to be
// shown once, ends its sessions (it returns the new session epoch, for when
// administrators reset their own) and lifts every sign-in lock on it.
func ResetStaffPassword(ctx context.Context, db *gorm.DB, id int64, accountKey []byte, by Actor) (string, int, error) {
	password := NewPassword()
	hash, err := HashPassword(password)
	if err != nil {
		return "", 0, err
	}
	var epoch int
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Raw(`UPDATE staff_users SET password_hash = ?, password_changed_at = now(), updated_at = now(),
			session_epoch = session_epoch + 1 WHERE id = ? RETURNING session_epoch`, hash, id).Scan(&epoch)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Exec("DELETE FROM sign_in_failures WHERE account_key = ?", accountKey).Error; err != nil {
			return err
		}
		return WriteAudit(tx, by, "update", "staff_users", id, map[string]any{"password": []any{"", "已重置"}})
	})
	return password, epoch, err
}

func boolText(b bool) string {
	if b {
		return "是"
	}
	return "否"
}
