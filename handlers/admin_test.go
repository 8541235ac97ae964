package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// adminAccess is who may use each admin route. Every route registered
// under /admin must be listed: a route added without thinking about who
// may use it fails TestEveryAdminRouteChecksTheRole.
var adminAccess = map[string][]string{
	"GET /admin/login":     nil, // public
	"POST /admin/login":    nil, // public
	"POST /admin/logout":   models.StaffRoles,
	"GET /admin":           models.StaffRoles,
	"GET /admin/password":  models.StaffRoles,
	"POST /admin/password": models.StaffRoles,
	"GET /admin/inquiries": {models.RoleAdmin, models.RoleOfficer},
}

const staffPassword = "a long test password"

func createStaff(t *testing.T, db *gorm.DB, role string) string {
	t.Helper()
	email := role + "@bureau.example"
	if _, err := models.CreateStaffUser(context.Background(), db, email, role+" 用户", role, staffPassword); err != nil {
		t.Fatal(err)
	}
	return email
}

// signIn signs a visitor in through the form and returns the session cookie.
func (v *visitor) signIn(email, password string) *http.Cookie {
	v.t.Helper()
	doc := parse(v.t, v.get("/admin/login"))
	token, _ := doc.Find(`form input[name="_csrf"]`).Attr("value")
	rec := v.post("/admin/login", url.Values{"_csrf": {token}, "email": {email}, "password": {password}})
	if rec.Code != http.StatusSeeOther {
		v.t.Fatalf("sign-in as %s = %d\n%s", email, rec.Code, rec.Body.String())
	}
	return v.sessionCookie()
}

// sessionCookie is the visitor's staff session cookie (the test portal
// is served over https, so it carries the __Host- prefix).
func (v *visitor) sessionCookie() *http.Cookie { return v.cookies["__Host-portal_admin"] }

// csrf is the form token a visitor's admin pages carry: the staff
// session's once signed in, the sign-in form's before.
func (v *visitor) csrf() string {
	v.t.Helper()
	rec := v.get("/admin/password")
	if rec.Code != http.StatusOK {
		rec = v.get("/admin/login")
	}
	token, _ := parse(v.t, rec).Find(`form input[name="_csrf"]`).Attr("value")
	return token
}

func adminRoutes(e *echo.Echo) []*echo.Route {
	var routes []*echo.Route
	for _, r := range e.Routes() {
		// Echo's own catch-all for the group answers 404 for unknown paths.
		if r.Method == echo.RouteNotFound {
			continue
		}
		if r.Path == "/admin" || strings.HasPrefix(r.Path, "/admin/") {
			routes = append(routes, r)
		}
	}
	return routes
}

func TestEveryAdminRouteChecksTheRole(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	visitors := map[string]*visitor{}
	for i, role := range models.StaffRoles {
		email := createStaff(t, db, role)
		visitors[role] = newVisitor(t, e, "192.0.2."+string(rune('1'+i)))
		visitors[role].signIn(email, staffPassword)
	}
	dbtest.MustExec(t, db, "UPDATE projects SET officer_id = (SELECT id FROM staff_users WHERE role = 'officer') WHERE id = 1")
	routes := adminRoutes(e)
	if len(routes) < len(adminAccess) {
		t.Fatalf("found %d admin routes, the table lists %d", len(routes), len(adminAccess))
	}
	for _, r := range routes {
		key := r.Method + " " + r.Path
		allowed, listed := adminAccess[key]
		if !listed {
			t.Errorf("%s is not in adminAccess: decide who may use it", key)
			continue
		}
		if allowed == nil {
			continue
		}
		path := strings.ReplaceAll(r.Path, ":id", "1")
		// Anonymous: sent to sign in, or refused; never served.
		anon := newVisitor(t, e, "192.0.2.99")
		var rec = anon.do(newRequest(r.Method, path, url.Values{"_csrf": {anon.csrf()}}))
		if rec.Code != http.StatusSeeOther && rec.Code != http.StatusForbidden {
			t.Errorf("anonymous %s = %d", key, rec.Code)
		}
		if rec.Code == http.StatusSeeOther && !strings.HasPrefix(rec.Header().Get("Location"), "/admin/login") {
			t.Errorf("anonymous %s redirected to %s", key, rec.Header().Get("Location"))
		}
		for _, role := range models.StaffRoles {
			if r.Method == http.MethodPost && r.Path == "/admin/logout" {
				continue // would end the session the loop relies on
			}
			v := visitors[role]
			rec := v.do(newRequest(r.Method, path, url.Values{"_csrf": {v.csrf()}}))
			if slices.Contains(allowed, role) {
				if rec.Code == http.StatusForbidden || rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/admin/login") {
					t.Errorf("%s refused to %s (%d)", key, role, rec.Code)
				}
			} else if rec.Code != http.StatusForbidden {
				t.Errorf("%s = %d for %s, want 403", key, rec.Code, role)
			}
		}
	}
}

func newRequest(method, target string, form url.Values) *http.Request {
	req, _ := http.NewRequest(method, target, strings.NewReader(form.Encode()))
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

func TestStaffSignInSessionAndSignOut(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	email := createStaff(t, db, models.RoleOfficer)
	v := newVisitor(t, e, "192.0.2.60")

	// A session id from before sign-in is not the one after it.
	v.get("/admin/login")
	before := v.sessionCookie()
	after := v.signIn(email, staffPassword)
	if after == nil || !after.HttpOnly || after.SameSite != http.SameSiteLaxMode || !after.Secure || after.Path != "/" || after.Domain != "" {
		t.Fatalf("session cookie %+v", after)
	}
	if before != nil && before.Value == after.Value {
		t.Error("the session id did not change at sign-in")
	}
	rec := v.get("/admin")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "officer 用户") || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("dashboard = %d", rec.Code)
	}
	// Sessions live in PostgreSQL, so a second instance knows this one.
	other := newVisitor(t, newInquiryRouter(db), "192.0.2.60")
	other.cookies = v.cookies
	if rec := other.get("/admin"); rec.Code != http.StatusOK {
		t.Errorf("another instance does not know the session: %d", rec.Code)
	}
	// Sign-in form: wrong password, CSRF missing.
	w := newVisitor(t, e, "192.0.2.61")
	if rec := w.post("/admin/login", url.Values{"_csrf": {w.csrf()}, "email": {email}, "password": {"wrong"}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong password = %d, want 401", rec.Code)
	}
	if rec := w.post("/admin/login", url.Values{"email": {email}, "password": {staffPassword}}); rec.Code != http.StatusForbidden {
		t.Errorf("sign-in without CSRF token = %d, want 403", rec.Code)
	}
	// Expired sessions (idle or absolute) are gone from the store.
	dbtest.MustExec(t, db, "UPDATE sessions SET expiry = now() - interval '1 second'")
	if rec := other.get("/admin"); rec.Code != http.StatusSeeOther {
		t.Errorf("expired session = %d, want a redirect to sign in", rec.Code)
	}
	v.signIn(email, staffPassword)
	// Disabling an account ends its sessions at the next request.
	dbtest.MustExec(t, db, "UPDATE staff_users SET disabled_at = now()")
	if rec := v.get("/admin"); rec.Code != http.StatusSeeOther {
		t.Errorf("disabled account = %d, want a redirect to sign in", rec.Code)
	}
	dbtest.MustExec(t, db, "UPDATE staff_users SET disabled_at = NULL")
	v.signIn(email, staffPassword)
	if rec := v.post("/admin/logout", url.Values{"_csrf": {v.csrf()}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-out = %d", rec.Code)
	}
	if rec := v.get("/admin"); rec.Code != http.StatusSeeOther {
		t.Errorf("after sign-out = %d", rec.Code)
	}
}

// A locked address, an unknown address and a wrong password get the same
// answer, and the lock holds one address out of one account: the member
// of staff signing in from elsewhere is not locked out.
func TestStaffSignInRefusalsLookAlikeAndLockOnlyTheGuesser(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	email := createStaff(t, db, models.RoleEditor)
	attacker := newVisitor(t, e, "198.51.100.7")
	try := func(v *visitor, email, password string) *httptest.ResponseRecorder {
		return v.post("/admin/login", url.Values{"_csrf": {v.csrf()}, "email": {email}, "password": {password}})
	}
	answer := func(rec *httptest.ResponseRecorder) string {
		return fmt.Sprintf("%d %q Retry-After=%q", rec.Code, parse(t, rec).Find(`[data-testid="login-message"]`).Text(), rec.Header().Get("Retry-After"))
	}
	wrong := answer(try(attacker, email, "guess"))
	for range models.MaxFailedSignIns - 1 {
		try(attacker, email, "guess")
	}
	locked := answer(try(attacker, email, staffPassword))
	unknown := answer(try(attacker, "nobody@bureau.example", staffPassword))
	if !strings.HasPrefix(wrong, "401 ") || !strings.Contains(wrong, "尝试次数过多") || locked != wrong || unknown != wrong {
		t.Errorf("answers differ:\nwrong password  %s\nlocked address  %s\nunknown address %s", wrong, locked, unknown)
	}
	office := newVisitor(t, e, "192.0.2.70")
	office.signIn(email, staffPassword)
	if rec := office.get("/admin"); rec.Code != http.StatusOK {
		t.Errorf("the office after someone else's guesses = %d", rec.Code)
	}
	// An administrator's reset lifts the lock.
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.71")
	var id int64
	db.Raw("SELECT id FROM staff_users WHERE email = ?", email).Scan(&id)
	admin.post("/admin/users/"+strconv.FormatInt(id, 10)+"/password", url.Values{"_csrf": {admin.csrf()}})
	if n := countRows(t, db, "sign_in_failures"); n != 1 { // the unknown address's row stays
		t.Errorf("%d failure rows after the reset, want only the unknown address's", n)
	}
}

func TestChangeOwnPassword(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	email := createStaff(t, db, models.RoleViewer)
	v := newVisitor(t, e, "192.0.2.80")
	v.signIn(email, staffPassword)
	token := v.csrf()
	for _, c := range []struct {
		current, next, confirm string
		status                 int
	}{
		{"wrong", "a new long password", "a new long password", 422},
		{staffPassword, "short", "short", 422},
		{staffPassword, "a new long password", "something else!!", 422},
		{staffPassword, "a new long password", "a new long password", 200},
	} {
		rec := v.post("/admin/password", url.Values{"_csrf": {token}, "current": {c.current}, "new": {c.next}, "confirm": {c.confirm}})
		if rec.Code != c.status {
			t.Errorf("change %q → %q = %d, want %d", c.current, c.next, rec.Code, c.status)
		}
	}
	newVisitor(t, e, "192.0.2.81").signIn(email, "a new long password")
}

// A password change, a reset by an administrator, a role change and a
// disable end every other session of the account at its next request; the
// session that changed its own password goes on under a new id.
func TestOtherSessionsEndWhenCredentialsOrRightsChange(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	signedOut := func(v *visitor) bool {
		rec := v.get("/admin")
		return rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/admin/login")
	}
	accountID := func(email string) string {
		var id int64
		db.Raw("SELECT id FROM staff_users WHERE email = ?", email).Scan(&id)
		return strconv.FormatInt(id, 10)
	}
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.120")
	adminElsewhere := newVisitor(t, e, "192.0.2.121")
	adminElsewhere.signIn(models.RoleAdmin+"@bureau.example", staffPassword)

	// Own password change: the other session ends, this one stays.
	before := admin.sessionCookie().Value
	rec := admin.post("/admin/password", url.Values{"_csrf": {admin.csrf()}, "current": {staffPassword}, "new": {"a new long password"}, "confirm": {"a new long password"}})
	if rec.Code != http.StatusOK {
		t.Fatalf("password change = %d", rec.Code)
	}
	if !signedOut(adminElsewhere) {
		t.Error("the other session survived a password change")
	}
	if signedOut(admin) || admin.sessionCookie().Value == before {
		t.Error("the session that changed the password should go on, under a new id")
	}

	// Reset by an administrator: every session of that account ends.
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.122")
	editorElsewhere := newVisitor(t, e, "192.0.2.123")
	editorElsewhere.signIn(models.RoleEditor+"@bureau.example", staffPassword)
	admin.post("/admin/users/"+accountID(models.RoleEditor+"@bureau.example")+"/password", url.Values{"_csrf": {admin.csrf()}})
	if !signedOut(editor) || !signedOut(editorElsewhere) {
		t.Error("sessions survived a reset by an administrator")
	}
	// Administrators resetting their own password keep that session.
	adminElsewhere.signIn(models.RoleAdmin+"@bureau.example", "a new long password")
	admin.post("/admin/users/"+accountID(models.RoleAdmin+"@bureau.example")+"/password", url.Values{"_csrf": {admin.csrf()}})
	if signedOut(admin) || !signedOut(adminElsewhere) {
		t.Errorf("own reset: this session signed out %v, the other %v; want false, true", signedOut(admin), signedOut(adminElsewhere))
	}

	// A role change and a disable end the account's sessions.
	for _, change := range []url.Values{{"role": {models.RoleViewer}}, {"role": {models.RoleOfficer}, "disabled": {"1"}}} {
		officer := newVisitor(t, e, "192.0.2.124")
		dbtest.MustExec(t, db, "UPDATE staff_users SET disabled_at = NULL, role = 'officer' WHERE email = 'officer@bureau.example'")
		if dbtest.Count(t, db, "staff_users", "email = 'officer@bureau.example'") == 0 {
			createStaff(t, db, models.RoleOfficer)
		}
		officer.signIn(models.RoleOfficer+"@bureau.example", staffPassword)
		change.Set("_csrf", admin.csrf())
		change.Set("name", "officer 用户")
		if rec := admin.post("/admin/users/"+accountID(models.RoleOfficer+"@bureau.example"), change); rec.Code != http.StatusSeeOther {
			t.Fatalf("account change %v = %d", change, rec.Code)
		}
		if !signedOut(officer) {
			t.Errorf("the session survived %v", change)
		}
	}
	// Renaming changes no rights: the session goes on.
	officer := newVisitor(t, e, "192.0.2.125")
	dbtest.MustExec(t, db, "UPDATE staff_users SET disabled_at = NULL WHERE email = 'officer@bureau.example'")
	officer.signIn(models.RoleOfficer+"@bureau.example", staffPassword)
	admin.post("/admin/users/"+accountID(models.RoleOfficer+"@bureau.example"), url.Values{"_csrf": {admin.csrf()}, "name": {"改名"}, "role": {models.RoleOfficer}})
	if signedOut(officer) {
		t.Error("a rename ended the session")
	}
}

// Throttles count an IPv6 client by its /64, so that one line cannot take a
// fresh address for every guess; and the change-password form is rate
// limited like sign-in.
func TestThrottlesCountIPv6ByNetworkAndLimitPasswordChecks(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	email := createStaff(t, db, models.RoleEditor)
	for i := range models.MaxFailedSignIns + 1 {
		v := newVisitor(t, e, fmt.Sprintf("[2001:db8:0:7::%x]", i+1))
		v.post("/admin/login", url.Values{"_csrf": {v.csrf()}, "email": {email}, "password": {"guess"}})
	}
	same := newVisitor(t, e, "[2001:db8:0:7:ffff::1]")
	if rec := same.post("/admin/login", url.Values{"_csrf": {same.csrf()}, "email": {email}, "password": {staffPassword}}); rec.Code != http.StatusUnauthorized {
		t.Errorf("another address of the same /64 = %d, want 401 (locked)", rec.Code)
	}
	newVisitor(t, e, "[2001:db8:0:8::1]").signIn(email, staffPassword) // another /64

	v := signedIn(t, db, e, models.RoleViewer, "192.0.2.150")
	codes := map[int]int{}
	for range 25 {
		codes[v.post("/admin/password", url.Values{"_csrf": {v.csrf()}, "current": {"x"}, "new": {"y"}, "confirm": {"y"}}).Code]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Errorf("25 password checks in a row were never limited: %v", codes)
	}
}

// The sessions table holds hashes of the session tokens: a copy of it signs
// nobody in.
func TestStoredSessionsDoNotSignAnyoneIn(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	v := signedIn(t, db, e, models.RoleAdmin, "192.0.2.160")
	var stored []string
	db.Raw("SELECT token FROM sessions").Scan(&stored)
	cookie := v.sessionCookie().Value
	if len(stored) == 0 || slices.Contains(stored, cookie) {
		t.Fatalf("sessions table %v holds the cookie's token %q", stored, cookie)
	}
	thief := newVisitor(t, e, "198.51.100.160")
	for _, token := range stored {
		thief.cookies["__Host-portal_admin"] = &http.Cookie{Name: "__Host-portal_admin", Value: token}
		if rec := thief.get("/admin"); rec.Code != http.StatusSeeOther {
			t.Errorf("a stored token signs in: %d", rec.Code)
		}
	}
}
