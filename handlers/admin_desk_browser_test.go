package handlers_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"investportal/models"
	"investportal/models/dbtest"
)

// TestBrowserDeskDashboardScreenshots signs an administrator in through
// the form in Chromium and saves the pipeline dashboard, with inquiries in
// several stages, at phone and desktop width, and a refused period: look at
// what lands in screenshots/.
func TestBrowserDeskDashboardScreenshots(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	email := createStaff(t, db, models.RoleAdmin)
	deskFixture(t, db)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/admin/login"),
		chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#f-password`, staffPassword, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
		// The dashboard, not just any staff page: the sign-in's redirect
		// must land before the next navigation starts.
		chromedp.WaitVisible(`[data-testid="admin-counts"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	for _, width := range []int64{390, 1280} {
		var shot, refused []byte
		var heading, funnelWidth string
		var overflow bool
		step, cancel := context.WithTimeout(ctx, time.Minute)
		err := chromedp.Run(step,
			chromedp.EmulateViewport(width, 900),
			// The period form, filled and sent as a visitor would, without script.
			chromedp.Navigate(srv.URL+"/admin/desk"),
			chromedp.WaitVisible(`#f-from`, chromedp.ByQuery),
			chromedp.SetValue(`#f-from`, "2026-03-02", chromedp.ByQuery),
			chromedp.SetValue(`#f-to`, "2026-03-10", chromedp.ByQuery),
			chromedp.Submit(`#f-to`, chromedp.ByQuery),
			// Only the answer to the form carries the dates in its HTML.
			chromedp.WaitReady(`#f-from[value="2026-03-02"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="desk-signed"]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid="desk-period-line"]`, &heading, chromedp.ByQuery),
			chromedp.Evaluate(`String(document.querySelector('[data-testid="desk-funnel"] svg').getBoundingClientRect().width)`, &funnelWidth),
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
			chromedp.FullScreenshot(&shot, 100),
			chromedp.Navigate(srv.URL+"/admin/desk?from=2026-03-11&to=2026-03-10"),
			chromedp.WaitVisible(`[data-testid="error-to"]`, chromedp.ByQuery),
			chromedp.FullScreenshot(&refused, 100),
		)
		cancel()
		if err != nil {
			// Keep what the browser showed when it got stuck.
			var loc string
			var stuck []byte
			_ = chromedp.Run(ctx, chromedp.Location(&loc), chromedp.FullScreenshot(&stuck, 100))
			_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-desk-failed-%d.png", width)), stuck, 0o644)
			t.Fatalf("dashboard at %d px: %v (the browser was at %s)", width, err, loc)
		}
		if !strings.Contains(heading, "共9件") {
			t.Errorf("at %d px the period line says %q", width, heading)
		}
		// The page does not scroll sideways; the charts fit the screen.
		if overflow {
			t.Errorf("the dashboard at %d px is wider than the screen", width)
		}
		if funnelWidth == "0" || funnelWidth == "" {
			t.Errorf("at %d px the funnel is %s px wide", width, funnelWidth)
		}
		_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-desk-%d.png", width)), shot, 0o644)
		_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-desk-refused-%d.png", width)), refused, 0o644)
	}
}
