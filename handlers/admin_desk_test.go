package handlers_test

import "investportal/models"

func init() {
	adminAccess["GET /admin/desk"] = []string{models.RoleAdmin}
}
