package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
)

// submitInquiry sends a valid inquiry from an investor's address and
// returns the stored inquiry.
func submitInquiry(t *testing.T, db *gorm.DB, e http.Handler, ip string) models.Inquiry {
	t.Helper()
	investor := newVisitor(t, e, ip)
	form, _ := investor.openForm("/inquiries/new?policy=" + electronicsPolicy)
	if rec := investor.post("/inquiries", validInquiry(form)); rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry = %d\n%s", rec.Code, rec.Body.String())
	}
	var in models.Inquiry
	if err := db.Order("id DESC").Take(&in).Error; err != nil {
		t.Fatal(err)
	}
	return in
}

// Viewers and editors see content and its history, never staff e-mail
// addresses, account changes, inquiry activity or inquiry counts; officers
// see inquiries but not accounts; administrators see everything.
func TestAdminShowsEachRoleOnlyWhatItNeeds(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.40")
	const staffEmail = "new.colleague@bureau.example"
	if rec := admin.post("/admin/users", url.Values{"_csrf": {admin.csrf()}, "email": {staffEmail}, "name": {"新同事"}, "role": {models.RoleViewer}}); rec.Code != http.StatusOK {
		t.Fatalf("create account = %d", rec.Code)
	}
	in := submitInquiry(t, db, e, "192.0.2.41")
	if rec := admin.post("/admin/inquiries/"+in.Reference+"/stage", url.Values{"_csrf": {admin.csrf()}, "stage": {"acknowledged"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry stage = %d", rec.Code)
	}

	type sight struct{ accounts, inquiries bool }
	for role, want := range map[string]sight{
		models.RoleViewer:  {},
		models.RoleEditor:  {},
		models.RoleOfficer: {inquiries: true},
		models.RoleAdmin:   {accounts: true, inquiries: true},
	} {
		v := admin
		if role != models.RoleAdmin {
			v = signedIn(t, db, e, role, "192.0.2.42")
		}
		dashboard := v.get("/admin")
		audit := v.get("/admin/audit")
		if dashboard.Code != http.StatusOK || audit.Code != http.StatusOK {
			t.Fatalf("%s: dashboard %d, audit %d", role, dashboard.Code, audit.Code)
		}
		for page, body := range map[string]string{"dashboard": dashboard.Body.String(), "audit log": audit.Body.String()} {
			if got := strings.Contains(body, staffEmail); got != want.accounts {
				t.Errorf("%s's %s shows the staff e-mail address: %v, want %v", role, page, got, want.accounts)
			}
			if got := strings.Contains(body, "账户 #"); got != want.accounts {
				t.Errorf("%s's %s lists account changes: %v, want %v", role, page, got, want.accounts)
			}
			if got := strings.Contains(body, "咨询 #"); got != want.inquiries {
				t.Errorf("%s's %s lists inquiry activity: %v, want %v", role, page, got, want.inquiries)
			}
		}
		doc := parse(t, dashboard)
		if got := doc.Find(`[data-testid="new-inquiries"]`).Length() > 0; got != want.inquiries {
			t.Errorf("%s's dashboard counts new inquiries: %v, want %v", role, got, want.inquiries)
		}
		if got := strings.Contains(dashboard.Body.String(), in.Reference); got != want.inquiries {
			t.Errorf("%s's dashboard lists the inquiry: %v, want %v", role, got, want.inquiries)
		}
		// The menu offers what the role may open, and nothing else.
		menu := doc.Find(`[data-testid="admin-bar"]`)
		for path, allowed := range map[string]bool{"/admin/inquiries": want.inquiries, "/admin/users": want.accounts,
			"/admin/uploads": role == models.RoleAdmin || role == models.RoleEditor, "/admin/policies": true} {
			if got := menu.Find(`a[href="`+path+`"]`).Length() > 0; got != allowed {
				t.Errorf("%s's menu links %s: %v, want %v", role, path, got, allowed)
			}
		}
		// Asking the audit log for a hidden type is refused, not answered.
		for typ, allowed := range map[string]bool{"staff_users": want.accounts, "inquiries": want.inquiries, "policies": true} {
			rec := v.get("/admin/audit?type=" + typ)
			if got := rec.Code == http.StatusOK; got != allowed {
				t.Errorf("%s: audit log of %s = %d", role, typ, rec.Code)
			}
		}
	}
}

// countingBody is a request body that counts what the server read of it.
type countingBody struct {
	r    *bytes.Reader
	read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

// Nothing of an admin form is read before the sender is known to be a
// member of staff who may use the route: not a big upload, not any form.
func TestAdminReadsNoBodyBeforeTheSessionIsChecked(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	var upload bytes.Buffer
	mw := multipart.NewWriter(&upload)
	part, _ := mw.CreateFormFile("file", "big.png")
	part.Write(bytes.Repeat([]byte{0}, 5<<20))
	mw.WriteField("_csrf", "anything")
	mw.Close()

	viewer := signedIn(t, db, e, models.RoleViewer, "192.0.2.43")
	send := func(v *visitor, path string) (int, int) {
		body := &countingBody{r: bytes.NewReader(upload.Bytes())}
		req := httptest.NewRequest(http.MethodPost, path, body)
		req.ContentLength = int64(upload.Len())
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return v.do(req).Code, body.read
	}
	for _, r := range adminRoutes(e) {
		if r.Method != http.MethodPost || r.Path == "/admin/login" {
			continue
		}
		path := strings.NewReplacer(":id", "1", ":ref", "INQ-2026-000001").Replace(r.Path)
		// 413 (the site-wide limit, from Content-Length alone) is as good as 403.
		if code, read := send(newVisitor(t, e, "192.0.2.44"), path); code != http.StatusForbidden && code != http.StatusRequestEntityTooLarge || read != 0 {
			t.Errorf("anonymous POST %s = %d after reading %d bytes, want 403 or 413 having read nothing", path, code, read)
		}
	}
	if code, read := send(viewer, "/admin/uploads"); code != http.StatusForbidden || read != 0 {
		t.Errorf("viewer's upload = %d after reading %d bytes, want 403 having read nothing", code, read)
	}
}

// The admin's form token belongs to the staff session: a token planted as
// a cookie (say by a sibling subdomain) or taken from another session is
// refused, and the public forms' cookie carries the __Host- prefix.
func TestAdminFormTokenIsTiedToTheSession(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.45")
	other := signedIn(t, db, e, models.RoleViewer, "192.0.2.46")
	change := func(token string) int {
		return editor.post("/admin/password", url.Values{"_csrf": {token}, "current": {"wrong"}, "new": {"x"}, "confirm": {"y"}}).Code
	}
	if code := change(editor.csrf()); code != http.StatusUnprocessableEntity {
		t.Fatalf("with the session's token = %d, want the form's own 422", code)
	}
	for _, name := range []string{"_csrf", "__Host-csrf"} {
		editor.cookies[name] = &http.Cookie{Name: name, Value: "planted-token-planted-token-12345"}
		if code := change("planted-token-planted-token-12345"); code != http.StatusForbidden {
			t.Errorf("token planted in cookie %s = %d, want 403", name, code)
		}
		delete(editor.cookies, name)
	}
	if code := change(other.csrf()); code != http.StatusForbidden {
		t.Errorf("another session's token = %d, want 403", code)
	}
	if code := change(""); code != http.StatusForbidden {
		t.Errorf("no token = %d, want 403", code)
	}
	// Signing in again starts a new token.
	before := editor.csrf()
	editor.signIn(models.RoleEditor+"@bureau.example", staffPassword)
	if after := editor.csrf(); after == before || change(before) != http.StatusForbidden {
		t.Error("the form token survived a new sign-in")
	}

	rec := get(t, e, http.MethodGet, "/inquiries/new")
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if strings.Contains(c.Name, "csrf") {
			cookie = c
		}
	}
	if cookie == nil || cookie.Name != "__Host-csrf" || !cookie.Secure || cookie.Path != "/" || cookie.Domain != "" {
		t.Errorf("public form cookie over https = %+v", cookie)
	}
	plain := routerWith(db, func(d *handlers.Deps) { d.BaseURL, _ = url.Parse("http://127.0.0.1:8080") })
	for _, c := range get(t, plain, http.MethodGet, "/inquiries/new").Result().Cookies() {
		if strings.Contains(c.Name, "csrf") && c.Name != "_csrf" {
			t.Errorf("over plain http the cookie is %s: browsers refuse __Host- cookies that are not Secure", c.Name)
		}
	}
}
