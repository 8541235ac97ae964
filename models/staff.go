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
	FailedSignIns     int
	LockedUntil       *time.Time
	PasswordChangedAt time.Time
	LastSignInAt      *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}
