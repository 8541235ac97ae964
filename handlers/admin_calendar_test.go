package handlers_test

import "investportal/models"

func init() {
	for _, route := range []string{"GET /admin/calendar", "POST /admin/calendar", "POST /admin/calendar/:day/delete"} {
		adminAccess[route] = []string{models.RoleAdmin}
	}
}
