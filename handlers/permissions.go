package handlers

import (
	"slices"

	"github.com/labstack/echo/v4"

	"investportal/models"
)

// permission is one thing a member of staff may do in the admin. Every
// admin route names the permissions that open it (routes.go), and the
// menu, the dashboard, the audit log and the per-record checks ask the same
// table, so a role's reach is decided here and nowhere else.
type permission int

const (
	// permUseAdmin: sign in, the dashboard, one's own password.
	permUseAdmin permission = iota
	// permReadContent: content lists, forms (read only), previews,
	// histories, and the content part of the audit log.
	permReadContent
	// permEditContent: create, change, delete and restore any content;
	// upload images.
	permEditContent
	// permEditAssignedProjects: change the projects one follows as their
	// officer, checked per record (mayEdit).
	permEditAssignedProjects
	// permWorkInquiries: see and work the inquiries assigned to oneself and
	// the unassigned queue, and take one from the queue. Inquiries hold
	// investors' personal data: an officer sees no one else's. Also their
	// activity in the audit log, and the dashboard's inquiry counts.
	permWorkInquiries
	// permLeadDesk: the desk lead's reach: every inquiry, assigning them,
	// the pipeline dashboard, the daily digest and the working calendar.
	permLeadDesk
	// permLeadProjects: the leaders' view of every followed project's flag
	// and open problems.
	permLeadProjects
	// permManageAccounts: staff accounts and their e-mail addresses,
	// account changes in the audit log.
	permManageAccounts
)

// rolePermissions is the permissions table.
var rolePermissions = map[string][]permission{
	models.RoleAdmin:   {permUseAdmin, permReadContent, permEditContent, permWorkInquiries, permLeadDesk, permLeadProjects, permManageAccounts},
	models.RoleEditor:  {permUseAdmin, permReadContent, permEditContent},
	models.RoleOfficer: {permUseAdmin, permReadContent, permEditAssignedProjects, permWorkInquiries},
	models.RoleViewer:  {permUseAdmin, permReadContent},
}

// roleMay reports whether a role holds a permission.
func roleMay(role string, p permission) bool {
	return slices.Contains(rolePermissions[role], p)
}

// roleMayAny reports whether a role holds at least one of the permissions.
func roleMayAny(role string, ps []permission) bool {
	return slices.ContainsFunc(ps, func(p permission) bool { return roleMay(role, p) })
}

// may reports whether the signed-in member of staff holds a permission.
func may(c echo.Context, p permission) bool { return roleMay(currentStaff(c).Role, p) }
