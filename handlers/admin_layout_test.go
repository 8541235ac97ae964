package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"investportal/models"
	"investportal/models/dbtest"
)

// publicChrome reports what of the public site's header a page shows.
func publicChrome(doc *goquery.Document) []string {
	var found []string
	for what, selector := range map[string]string{
		"public header": "header.site-header",
		"public nav":    ".site-nav",
		"search box":    `form[role="search"][action$="/search"], #site-search, .search-box`,
		"language menu": ".lang-switch",
	} {
		if doc.Find(selector).Length() > 0 {
			found = append(found, what)
		}
	}
	return found
}

// staffFrame checks what every staff page and the sign-in page share: the
// skip link to the one <main>, the language, no public header, the one
// stylesheet and no indexing.
func staffFrame(t *testing.T, page string, doc *goquery.Document) {
	t.Helper()
	if found := publicChrome(doc); len(found) > 0 {
		t.Errorf("%s shows the public site's %v", page, found)
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-Hans" {
		t.Errorf("%s: lang %q", page, lang)
	}
	if skip, _ := doc.Find("a.skip-link").Attr("href"); skip != "#main" || doc.Find("main#main").Length() != 1 {
		t.Errorf("%s: skip link to %q, %d main#main", page, skip, doc.Find("main#main").Length())
	}
	if doc.Find(`meta[name="robots"][content="noindex"]`).Length() != 1 || doc.Find(`link[rel="stylesheet"]`).Length() != 1 {
		t.Errorf("%s: the head lacks noindex or the stylesheet", page)
	}
	if doc.Find(`link[rel="canonical"], meta[property^="og:"]`).Length() > 0 {
		t.Errorf("%s offers a public address to share", page)
	}
	if doc.Find("script").Length() > 0 {
		t.Errorf("%s needs a script; the staff pages work without", page)
	}
	if href, _ := doc.Find(`header [data-testid="view-site"]`).Attr("href"); href != "/" {
		t.Errorf("%s: link to the public site %q", page, href)
	}
}

// Staff pages have their own header: the staff navigation of the role,
// the signed-in user and sign-out, and none of the public site's
// navigation and search.
func TestStaffPagesHaveTheirOwnLayout(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	policy := fmt.Sprintf("/admin/policies/%d", policyIDBySlug(t, db, electronicsPolicy))

	type entries map[string]string // path: label it shows, "" for absent
	for i, tc := range []struct {
		role, roleName string
		pages          []string
		nav            entries
	}{
		{models.RoleAdmin, "管理员", []string{"/admin", "/admin/policies", policy + "/history", "/admin/users", "/admin/uploads", "/admin/audit", "/admin/password"},
			entries{"/admin": "概览", "/admin/policies": "政策", "/admin/inquiries": "投资咨询", "/admin/desk": "仪表盘", "/admin/calendar": "工作日历",
				"/admin/uploads": "图片", "/admin/audit": "修改记录", "/admin/users": "账户"}},
		{models.RoleOfficer, "招商专员", []string{"/admin", "/admin/policies", policy, "/admin/password"},
			entries{"/admin": "概览", "/admin/policies": "政策", "/admin/inquiries": "投资咨询", "/admin/desk": "", "/admin/calendar": "",
				"/admin/uploads": "", "/admin/audit": "修改记录", "/admin/users": ""}},
		{models.RoleEditor, "编辑", []string{"/admin", "/admin/policies/new"},
			entries{"/admin": "概览", "/admin/policies": "政策", "/admin/inquiries": "", "/admin/desk": "", "/admin/calendar": "",
				"/admin/uploads": "图片", "/admin/users": ""}},
	} {
		v := signedIn(t, db, e, tc.role, fmt.Sprintf("192.0.2.%d", 60+i))
		for _, page := range tc.pages {
			rec := v.get(page)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: GET %s = %d", tc.role, page, rec.Code)
			}
			doc := parse(t, rec)
			name := tc.role + "'s " + page
			staffFrame(t, name, doc)

			header := doc.Find("header.staff-header")
			if header.Length() != 1 {
				t.Fatalf("%s: %d staff headers", name, header.Length())
			}
			if user := header.Find(`[data-testid="staff-user"]`).Text(); !strings.Contains(user, tc.role+" 用户") || !strings.Contains(user, tc.roleName) {
				t.Errorf("%s: signed-in user %q", name, user)
			}
			signOut := header.Find(`form[method="post"][action="/admin/logout"]`)
			if token, _ := signOut.Find(`input[name="_csrf"]`).Attr("value"); token == "" || signOut.Find(`[data-testid="sign-out"]`).Length() != 1 {
				t.Errorf("%s: sign-out form without its token or button", name)
			}

			nav := header.Find(`nav[data-testid="staff-nav"]`)
			if label, _ := nav.Attr("aria-label"); label == "" {
				t.Errorf("%s: staff nav without a name", name)
			}
			for path, label := range tc.nav {
				link := nav.Find(`a[href="` + path + `"]`)
				switch {
				case label == "" && link.Length() > 0:
					t.Errorf("%s: nav links %s, which the role may not open", name, path)
				case label != "" && !strings.Contains(link.Text(), label):
					t.Errorf("%s: nav link to %s reads %q, want %q", name, path, link.Text(), label)
				}
			}
			// The page's entry is marked, and only it: a record's pages
			// belong to their type's list, the password to the account.
			want := page
			switch {
			case strings.HasPrefix(page, "/admin/policies"):
				want = "/admin/policies"
			case page == "/admin/users/new":
				want = "/admin/users"
			}
			current := header.Find(`a[aria-current="page"]`)
			if href, _ := current.Attr("href"); current.Length() != 1 || href != want {
				t.Errorf("%s: %d entries marked current, the first %q; want %s", name, current.Length(), href, want)
			}
		}
	}
}

// The sign-in page has the staff look, without the public search and
// navigation, and without a user, a staff menu or sign-out.
func TestSignInPageHasTheStaffLook(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))
	rec := get(t, e, http.MethodGet, "/admin/login")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /admin/login = %d", rec.Code)
	}
	doc := parse(t, rec)
	staffFrame(t, "the sign-in page", doc)
	if doc.Find("header.staff-header").Length() != 1 || doc.Find(`main [data-testid="login-form"]`).Length() != 1 {
		t.Error("the sign-in page lacks the staff header or the form")
	}
	for _, selector := range []string{`[data-testid="staff-nav"]`, `[data-testid="staff-user"]`, `[data-testid="sign-out"]`, `form[action="/admin/logout"]`} {
		if doc.Find(selector).Length() > 0 {
			t.Errorf("the sign-in page shows %s", selector)
		}
	}
}

// TestBrowserStaffLayoutFitsA360PxPhone opens the staff pages in Chromium
// on the narrowest phone the portal supports: nothing wider than the
// screen, and every entry of the staff navigation on it (they wrap).
func TestBrowserStaffLayoutFitsA360PxPhone(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	email := createStaff(t, db, models.RoleAdmin)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var login []byte
	if err := chromedp.Run(ctx,
		chromedp.EmulateViewport(360, 800),
		chromedp.Navigate(srv.URL+"/admin/login"),
		chromedp.WaitVisible(`#f-email`, chromedp.ByQuery),
		chromedp.FullScreenshot(&login, 100),
		chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#f-password`, staffPassword, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="staff-nav"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(screenshotDir, "admin-login-360.png"), login, 0o644)
	policy := fmt.Sprintf("/admin/policies/%d", policyIDBySlug(t, db, electronicsPolicy))
	for _, path := range []string{"/admin", "/admin/policies", policy, policy + "/history", "/admin/users", "/admin/uploads", "/admin/audit", "/admin/password"} {
		var overflow bool
		var offScreen []string
		var shot []byte
		if err := chromedp.Run(ctx,
			chromedp.Navigate(srv.URL+path),
			chromedp.WaitVisible(`main`, chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
			chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="staff-nav"] a, header [data-testid="sign-out"]')]
				.filter(a => { const r = a.getBoundingClientRect(); return r.width === 0 || r.left < 0 || r.right > window.innerWidth })
				.map(a => a.textContent)`, &offScreen),
			chromedp.FullScreenshot(&shot, 100),
		); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if overflow {
			t.Errorf("%s at 360 px is wider than the screen", path)
		}
		if len(offScreen) > 0 {
			t.Errorf("%s at 360 px: %v not on the screen", path, offScreen)
		}
		if path == "/admin" {
			_ = os.WriteFile(filepath.Join(screenshotDir, "admin-dashboard-360.png"), shot, 0o644)
		}
	}
}
