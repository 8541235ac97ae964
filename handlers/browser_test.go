package handlers_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"investportal/models"
	"investportal/models/dbtest"
)

// screenshotDir is git-ignored; look at what lands there.
const screenshotDir = "../screenshots"

// newBrowser starts headless Chromium (Debian's package; `make test`
// installs it) with a fresh profile and no background networking.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run `make test`, which installs it with apt")
	}
	// Chromium's helper processes may still write to the profile for a moment
	// after the browser exits, so the profile is removed with a few retries
	// rather than by t.TempDir, whose cleanup fails the test on that race.
	profile, err := os.MkdirTemp("", "portal-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 10 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(profile),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// TestBrowserJourney drives the real portal in Chromium the way an investor
// would: home, the policy list with a filter, a policy, the language switch,
// search.
func TestBrowserJourney(t *testing.T) {
	srv := httptest.NewServer(newRouter(dbtest.New(t, dbtest.Seeded)))
	defer srv.Close()
	ctx := newBrowser(t)

	var heading, count, title, lang, english, results string
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/"),
		chromedp.Text("h1", &heading, chromedp.ByQuery),

		// The navigation leads to the policies; the filter form works without script.
		chromedp.Click(`.site-nav a[href="/policies"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-benefit`, chromedp.ByQuery),
		chromedp.SetValue(`#f-benefit`, "one_time_award", chromedp.ByQuery),
		chromedp.Submit(`#f-benefit`, chromedp.ByQuery),
		// Only the filtered page marks the option selected in its HTML.
		chromedp.WaitReady(`#f-benefit option[value="one_time_award"][selected]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="count"]`, &count, chromedp.ByQuery),

		chromedp.Click(`[data-testid="policies"] h2 a`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="benefits"]`, chromedp.ByQuery),
		chromedp.Title(&title),

		// The language switch keeps the page.
		chromedp.Click(`.lang-switch a[hreflang="en"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="benefits"]`, chromedp.ByQuery),
		chromedp.AttributeValue("html", "lang", &lang, nil, chromedp.ByQuery),
		chromedp.Text(`[data-testid="benefits"]`, &english, chromedp.ByQuery),

		// Search from the header.
		chromedp.Navigate(srv.URL+"/"),
		chromedp.SendKeys(`#site-search`, "物流", chromedp.ByQuery),
		chromedp.Submit(`#site-search`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="count"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="count"]`, &results, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(heading, "投资") {
		t.Errorf("home h1 = %q", heading)
	}
	if count != "共1项政策" {
		t.Errorf("filtered count = %q, want 共1项政策", count)
	}
	if !strings.Contains(title, "电子装备及智能制造") {
		t.Errorf("policy page title = %q", title)
	}
	if lang != "en" || !strings.Contains(english, "10,000,000 yuan") {
		t.Errorf("after switching language: lang=%q, benefits %q", lang, english)
	}
	if !strings.Contains(results, "物流") {
		t.Errorf("search result line = %q", results)
	}
}

// TestBrowserInquiry is an investor's inquiry from a policy page: a
// mistake, its correction, the confirmation, and the private status link
// opened afresh.
func TestBrowserInquiry(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)

	var emailError, reference, statusURL, stage, keptMessage string
	var errorShot []byte
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 900),
		chromedp.Navigate(srv.URL+"/policies/"+electronicsPolicy),
		chromedp.Click(`[data-testid="inquiry-link"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-name`, "李娜", chromedp.ByQuery),
		chromedp.SendKeys(`#f-message`, "想了解电子装备补贴的申请流程。", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="inquiry-form"] button[type="submit"]`, chromedp.ByQuery),
		// No e-mail and no phone: the form comes back with a message there.
		chromedp.WaitVisible(`[data-testid="error-email"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="error-email"]`, &emailError, chromedp.ByQuery),
		chromedp.Value(`#f-message`, &keptMessage, chromedp.ByQuery),
		chromedp.FullScreenshot(&errorShot, 100),
		chromedp.SendKeys(`#f-email`, "li.na@example.com", chromedp.ByQuery),
		chromedp.Click(`form[data-testid="inquiry-form"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="received"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="reference"]`, &reference, chromedp.ByQuery),
		chromedp.Location(&statusURL),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(emailError, "至少填写") || keptMessage != "想了解电子装备补贴的申请流程。" {
		t.Errorf("after the mistake: error %q, message kept %q", emailError, keptMessage)
	}
	var stored models.Inquiry
	if err := db.Take(&stored).Error; err != nil || stored.Reference != reference || stored.PolicyID == nil {
		t.Fatalf("confirmation shows %q; stored %+v (%v)", reference, stored, err)
	}
	// The status link, opened later in a fresh tab, shows the inquiry.
	link := strings.SplitN(statusURL, "?", 2)[0]
	tab, cancel := chromedp.NewContext(ctx)
	defer cancel()
	var shot []byte
	err = chromedp.Run(tab,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(link),
		chromedp.WaitVisible(`[data-testid="stage"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="stage"]`, &stage, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	)
	if err != nil {
		t.Fatalf("status link: %v", err)
	}
	if stage != "已收到" {
		t.Errorf("stage %q, want 已收到", stage)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(screenshotDir, "inquiry-status-1280.png"), shot, 0o644)
		_ = os.WriteFile(filepath.Join(screenshotDir, "inquiry-error-390.png"), errorShot, 0o644)
	}
}

// TestScreenshots saves every kind of public page at phone and desktop
// width, in three languages for a region, for people to look at.
func TestScreenshots(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	// The policy carries an image wider than a phone, as staff may place one.
	wide := pngBytes(t, 1200, 300)
	name := fmt.Sprintf("%032x.png", time.Now().UnixNano())
	if err := os.WriteFile(filepath.Join(uploadDir, name), wide, 0o600); err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, db, `INSERT INTO uploads (name, original_name, content_type, size_bytes, width, height)
		VALUES (?, 'wide.png', 'image/png', ?, 1200, 300)`, name, len(wide))
	dbtest.MustExec(t, db, "UPDATE policies SET body = body || ? WHERE slug = ?", "\n\n![园区全景](/uploads/"+name+")", electronicsPolicy)
	srv := httptest.NewServer(newRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"home":         "/",
		"regions":      "/regions",
		"region":       "/regions/chifeng",
		"region-hant":  "/zh-hant/regions/hongshan",
		"region-en":    "/en/regions/tongliao",
		"parks":        "/parks",
		"park":         "/parks/chifeng-high-tech-zone",
		"chains":       "/chains",
		"chain":        "/chains/chifeng-electronics",
		"policies":     "/policies?region=hongshan",
		"policy":       "/policies/chifeng-electronics-intelligent-manufacturing-support",
		"projects":     "/projects",
		"project":      "/projects/yangqu-agricultural-tech-park",
		"events":       "/events",
		"event":        "/events/tongliao-spring-signing-2023",
		"news":         "/news",
		"news-article": "/news/2023-tongliao-projects",
		"search":       "/search?q=电子",
		"not-found":    "/no-such-page",
		"bad-filter":   "/projects?stage=dreaming",
		"inquiry":      "/inquiries/new?policy=" + electronicsPolicy,
		"inquiry-en":   "/en/inquiries/new?project=yangqu-agricultural-tech-park",
		"privacy":      "/privacy",
	}
	for name, path := range pages {
		for _, width := range []int64{390, 1280} {
			var shot []byte
			err := chromedp.Run(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(srv.URL+path),
				chromedp.WaitVisible("footer", chromedp.ByQuery),
				chromedp.FullScreenshot(&shot, 100), // 100: PNG
			)
			if err != nil {
				t.Fatalf("%s at %d px: %v", path, width, err)
			}
			file := filepath.Join(screenshotDir, fmt.Sprintf("%s-%d.png", name, width))
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			// A page wider than the phone scrolls sideways: a layout bug.
			var overflow bool
			if err := chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow)); err != nil {
				t.Fatal(err)
			}
			if overflow {
				t.Errorf("%s at %d px is wider than the screen", path, width)
			}
		}
	}
}

// TestBrowserAdminScreenshots signs in through the form in Chromium and
// saves the admin's sign-in page and dashboard at both widths.
func TestBrowserAdminScreenshots(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	email := createStaff(t, db, models.RoleOfficer)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var login, refused, dashboard [2][]byte
	var bar string
	for i, width := range []int64{390, 1280} {
		err := chromedp.Run(ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(srv.URL+"/admin/login"),
			chromedp.WaitVisible(`#f-email`, chromedp.ByQuery),
			chromedp.FullScreenshot(&login[i], 100),
			// A refused sign-in first: the one answer for every refusal.
			chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
			chromedp.SendKeys(`#f-password`, "not the password", chromedp.ByQuery),
			chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="login-message"]`, chromedp.ByQuery),
			chromedp.FullScreenshot(&refused[i], 100),
			chromedp.Navigate(srv.URL+"/admin/login"),
			chromedp.WaitVisible(`#f-email`, chromedp.ByQuery),
			chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
			chromedp.SendKeys(`#f-password`, staffPassword, chromedp.ByQuery),
			chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="admin-counts"]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid="admin-bar"]`, &bar, chromedp.ByQuery),
			chromedp.FullScreenshot(&dashboard[i], 100),
			chromedp.Click(`[data-testid="sign-out"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#f-email`, chromedp.ByQuery),
		)
		if err != nil {
			t.Fatalf("admin at %d px: %v", width, err)
		}
		if !strings.Contains(bar, "招商专员") {
			t.Errorf("admin bar %q does not name the role", bar)
		}
		_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-login-%d.png", width)), login[i], 0o644)
		_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-login-refused-%d.png", width)), refused[i], 0o644)
		_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-dashboard-%d.png", width)), dashboard[i], 0o644)
	}
}

// TestBrowserEditorPublishesANewBenefitAmount is the editor's round trip:
// sign in, find a draft policy, change a benefit amount, publish, see the
// amount on the public page and the change in the audit log.
func TestBrowserEditorPublishesANewBenefitAmount(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	email := createStaff(t, db, models.RoleEditor)
	dbtest.MustExec(t, db, "UPDATE policies SET status = 'draft' WHERE slug = ?", electronicsPolicy)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)

	var before, notice, public, history, status string
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/admin/login"),
		chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#f-password`, staffPassword, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="admin-counts"]`, chromedp.ByQuery),

		chromedp.Click(`.admin-bar a[href="/admin/policies"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-q`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-q`, "电子装备", chromedp.ByQuery),
		chromedp.Submit(`#f-q`, chromedp.ByQuery),
		// The attribute, unlike the typed property, exists only on the results page.
		chromedp.WaitVisible(`#f-q[value="电子装备"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="admin-list"] tbody a`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="content-form"]`, chromedp.ByQuery),
		chromedp.Value(`#f-benefit_items\.0\.amount_yuan`, &before, chromedp.ByQuery),
		chromedp.SetValue(`#f-benefit_items\.0\.amount_yuan`, "1200", chromedp.ByQuery),
		chromedp.SetValue(`#f-status`, "published", chromedp.ByQuery),
		chromedp.Click(`[data-testid="save"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="notice"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="notice"]`, &notice, chromedp.ByQuery),
		chromedp.Text(`.record-links .state`, &status, chromedp.ByQuery),

		chromedp.Navigate(srv.URL+"/policies/"+electronicsPolicy),
		chromedp.WaitVisible(`[data-testid="benefits"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="benefits"]`, &public, chromedp.ByQuery),

		chromedp.Navigate(srv.URL+"/admin/audit"),
		chromedp.WaitVisible(`[data-testid="audit"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="audit"] tbody tr`, &history, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if before != "1000" || notice != "已保存。" || status != "已发布" {
		t.Errorf("form showed %q, then notice %q and state %q", before, notice, status)
	}
	if !strings.Contains(public, "1200万元") || strings.Contains(public, "制造业创新中心1000万元") {
		t.Errorf("public benefits:\n%s", public)
	}
	for _, want := range []string{"editor 用户", "发布", "扶持条款 第 1 行 金额(万元)", "1000 万元", "1200 万元", "草稿"} {
		if !strings.Contains(history, want) {
			t.Errorf("latest audit entry lacks %q:\n%s", want, history)
		}
	}
}

// TestBrowserAdminContentScreenshots saves the content admin's pages at
// both widths, signed in as an administrator who sees every link.
func TestBrowserAdminContentScreenshots(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	email := createStaff(t, db, models.RoleAdmin)
	id := policyIDBySlug(t, db, electronicsPolicy)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/admin/login"),
		chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#f-password`, staffPassword, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="admin-counts"]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf("/admin/policies/%d", id)
	pages := map[string]string{
		"admin-policies":       "/admin/policies",
		"admin-policy-form":    policy,
		"admin-policy-preview": policy + "/preview",
		"admin-policy-history": policy + "/history",
		"admin-region-form":    "/admin/regions/4",
		"admin-new-project":    "/admin/projects/new",
		"admin-audit":          "/admin/audit",
		"admin-users":          "/admin/users",
		"admin-uploads":        "/admin/uploads",
		"admin-inquiries":      "/admin/inquiries",
	}
	for name, path := range pages {
		for _, width := range []int64{390, 1280} {
			var shot []byte
			if err := chromedp.Run(ctx,
				chromedp.EmulateViewport(width, 900),
				chromedp.Navigate(srv.URL+path),
				chromedp.WaitVisible(`main`, chromedp.ByQuery),
				chromedp.FullScreenshot(&shot, 100),
			); err != nil {
				t.Fatalf("%s at %d px: %v", path, width, err)
			}
			_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("%s-%d.png", name, width)), shot, 0o644)
		}
	}
	// A refused form, as the editor sees it.
	var shot []byte
	if err := chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/admin/policies/new"),
		chromedp.SetValue(`#f-benefit_items\.0\.amount_yuan`, "五千", chromedp.ByQuery),
		chromedp.Click(`[data-testid="save"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="error-summary"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100),
	); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(screenshotDir, "admin-policy-errors-1280.png"), shot, 0o644)

	// Chifeng placed under its own district: refused beside the field.
	for _, width := range []int64{390, 1280} {
		var message string
		if err := chromedp.Run(ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(srv.URL+"/admin/regions/"+idOf(t, db, "regions", "chifeng")),
			chromedp.SetValue(`#f-parent_id`, idOf(t, db, "regions", "hongshan"), chromedp.ByQuery),
			chromedp.Click(`[data-testid="save"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="error-parent_id"]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid="error-parent_id"]`, &message, chromedp.ByQuery),
			chromedp.FullScreenshot(&shot, 100),
		); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(message, "下级") {
			t.Errorf("the parent field says %q", message)
		}
		_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-region-parent-loop-%d.png", width)), shot, 0o644)
	}
}
