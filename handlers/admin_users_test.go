package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"investportal/models"
	"investportal/models/dbtest"
)

func init() {
	admin := []string{models.RoleAdmin}
	for _, route := range []string{"GET /admin/users", "GET /admin/users/new", "POST /admin/users",
		"GET /admin/users/:id", "POST /admin/users/:id", "POST /admin/users/:id/password"} {
		adminAccess[route] = admin
	}
}

func TestAdministratorManagesAccounts(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.80")
	accounts, audits := countRows(t, db, "staff_users"), countRows(t, db, "audit_log")

	bad := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"no name", url.Values{"email": {"li@bureau.example"}, "name": {""}, "role": {"editor"}}, "name"},
		{"bad e-mail", url.Values{"email": {"li at bureau"}, "name": {"李明"}, "role": {"editor"}}, "email"},
		{"script e-mail", url.Values{"email": {"<script>@x.cn"}, "name": {"李明"}, "role": {"editor"}}, "email"},
		{"taken e-mail", url.Values{"email": {"ADMIN@bureau.example"}, "name": {"李明"}, "role": {"editor"}}, "email"},
		{"unknown role", url.Values{"email": {"li@bureau.example"}, "name": {"李明"}, "role": {"root"}}, "role"},
		{"long name", url.Values{"email": {"li@bureau.example"}, "name": {strings.Repeat("李", 101)}, "role": {"editor"}}, "name"},
	}
	for _, tc := range bad {
		tc.form.Set("_csrf", admin.csrf())
		rec := admin.post("/admin/users", tc.form)
		if rec.Code != http.StatusUnprocessableEntity || parse(t, rec).Find(`[data-testid="error-`+tc.field+`"]`).Length() != 1 {
			t.Errorf("%s = %d, want 422 with a message beside %s", tc.name, rec.Code, tc.field)
		}
	}
	if countRows(t, db, "staff_users") != accounts || countRows(t, db, "audit_log") != audits {
		t.Fatal("a refused account form stored something")
	}

	rec := admin.post("/admin/users", url.Values{"_csrf": {admin.csrf()}, "email": {"Li.Ming@Bureau.example"}, "name": {"李明"}, "role": {"editor"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("create = %d\n%s", rec.Code, rec.Body.String())
	}
	password := parse(t, rec).Find(`[data-testid="new-password"]`).Text()
	if len(password) < 20 || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("new password %q shown with Cache-Control %q", password, rec.Header().Get("Cache-Control"))
	}
	var hash string
	db.Raw("SELECT password_hash FROM staff_users WHERE lower(email) = 'li.ming@bureau.example'").Scan(&hash)
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, password) {
		t.Errorf("stored %q", hash)
	}
	li := newVisitor(t, e, "192.0.2.81")
	li.signIn("li.ming@bureau.example", password)
	if rec := li.get("/admin/policies/new"); rec.Code != http.StatusOK {
		t.Errorf("new editor cannot open a content form: %d", rec.Code)
	}

	var id string
	db.Raw("SELECT id::text FROM staff_users WHERE lower(email) = 'li.ming@bureau.example'").Scan(&id)
	path := "/admin/users/" + id

	// Demoted to viewer: the session ends; signed in again, the role is the new one.
	rec = admin.post(path, url.Values{"_csrf": {admin.csrf()}, "name": {"李明"}, "role": {"viewer"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("demote = %d", rec.Code)
	}
	if rec := li.get("/admin/policies/new"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/admin/login") {
		t.Errorf("demoted session = %d, want sent to sign in", rec.Code)
	}
	li.signIn("li.ming@bureau.example", password)
	if rec := li.get("/admin/policies/new"); rec.Code != http.StatusForbidden {
		t.Errorf("viewer opens a content form: %d", rec.Code)
	}
	// Disabled: signed out at the next request.
	admin.post(path, url.Values{"_csrf": {admin.csrf()}, "name": {"李明"}, "role": {"viewer"}, "disabled": {"1"}})
	if rec := li.get("/admin"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/admin/login") {
		t.Errorf("disabled account still in: %d", rec.Code)
	}

	// Reset: the old password stops working, the new one works.
	admin.post(path, url.Values{"_csrf": {admin.csrf()}, "name": {"李明"}, "role": {"editor"}})
	rec = admin.post(path+"/password", url.Values{"_csrf": {admin.csrf()}})
	fresh := parse(t, rec).Find(`[data-testid="new-password"]`).Text()
	if rec.Code != http.StatusOK || fresh == "" || fresh == password {
		t.Fatalf("reset = %d, %q", rec.Code, fresh)
	}
	if _, err := models.Authenticate(context.Background(), db, "li.ming@bureau.example", password, models.SignInKeys{Account: []byte("test account"), Client: []byte("test client")}); err == nil {
		t.Error("old password still works")
	}
	if _, err := models.Authenticate(context.Background(), db, "li.ming@bureau.example", fresh, models.SignInKeys{Account: []byte("test account"), Client: []byte("test client")}); err != nil {
		t.Errorf("new password: %v", err)
	}

	// An administrator cannot lock themselves out.
	var self string
	db.Raw("SELECT id::text FROM staff_users WHERE email = 'admin@bureau.example'").Scan(&self)
	for _, form := range []url.Values{{"name": {"admin"}, "role": {"editor"}}, {"name": {"admin"}, "role": {"admin"}, "disabled": {"1"}}} {
		form.Set("_csrf", admin.csrf())
		if rec := admin.post("/admin/users/"+self, form); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("self-demotion %v = %d, want 422", form, rec.Code)
		}
	}

	// Every change is in the audit log, without passwords or hashes.
	log := parse(t, admin.get("/admin/audit?type=staff_users")).Find(`[data-testid="audit"]`).Text()
	for _, want := range []string{"李明", "编辑", "只读用户", "已重置"} {
		if !strings.Contains(log, want) {
			t.Errorf("account audit lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, password) || strings.Contains(log, fresh) || strings.Contains(log, "argon2") {
		t.Error("the audit log shows a password")
	}
}
