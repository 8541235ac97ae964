package models

import "time"

// Staff roles.
const (
	RoleAdmin   = "admin"
	RoleEditor  = "editor"
	RoleOfficer = "officer"
	RoleViewer  = "viewer"
)

// StaffUser is a bureau staff account.
type StaffUser struct {
	ID                int64
	Email             string
	Name              string
	Role              string
	PasswordHash      string
	DisabledAt        *time.Time
	SessionEpoch      int `gorm:"default:1"` // raised when the password, role or state changes: other sessions end
	PasswordChangedAt time.Time
	LastSignInAt      *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}
