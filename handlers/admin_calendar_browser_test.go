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
	"investportal/models/calendar"
	"investportal/models/dbtest"
)

// TestBrowserAdminCalendarScreenshots sets dates of the working calendar in
// Chromium at both widths: the page with a few settings, a refused form,
// a saved date with its notice, deleted again from its row, and the
// warning for a year the calendar library lacks.
func TestBrowserAdminCalendarScreenshots(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	email := createStaff(t, db, models.RoleAdmin)
	var adminID int64
	db.Raw("SELECT id FROM staff_users WHERE email = ?", email).Scan(&adminID)
	for _, o := range []struct {
		day     string
		working bool
		note    string
	}{
		{"2026-12-31", false, "年末系统迁移,停止受理"},
		{"2026-10-10", false, "<b>市政府通知</b>:国庆节后调休日本地不上班"},
		{"2026-10-09", true, "核对:国庆节后第一个工作日"},
	} {
		day, _ := time.ParseInLocation(time.DateOnly, o.day, calendar.Beijing)
		if _, err := models.SaveCalendarOverride(context.Background(), db, day, o.working, o.note, models.DefaultDeskRules, models.Actor{StaffID: adminID}); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/admin/login"),
		chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#f-password`, staffPassword, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="admin-counts"]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	for _, width := range []int64{390, 1280} {
		var page, refused, saved, missing []byte
		var dayError, notice, rows string
		err := chromedp.Run(ctx,
			chromedp.EmulateViewport(width, 900),
			chromedp.Navigate(srv.URL+"/admin/calendar?year=2026"),
			chromedp.WaitVisible(`[data-testid="overrides"]`, chromedp.ByQuery),
			chromedp.FullScreenshot(&page, 100),

			// No date and no choice: refused, the messages beside the fields.
			chromedp.SetValue(`#f-note`, "台风停止办公", chromedp.ByQuery),
			chromedp.Click(`[data-testid="save"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="error-day"]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid="error-day"]`, &dayError, chromedp.ByQuery),
			chromedp.FullScreenshot(&refused, 100),

			chromedp.SetValue(`#f-day`, "2026-12-18", chromedp.ByQuery),
			chromedp.SetValue(`#f-working`, "closed", chromedp.ByQuery),
			chromedp.Click(`[data-testid="save"]`, chromedp.ByQuery),
			chromedp.WaitVisible(`[data-testid="notice"]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid="notice"]`, &notice, chromedp.ByQuery),
			chromedp.FullScreenshot(&saved, 100),

			chromedp.Click(`tr[data-day="2026-12-18"] [data-testid="delete"]`, chromedp.ByQuery),
			chromedp.WaitNotPresent(`tr[data-day="2026-12-18"]`, chromedp.ByQuery),
			chromedp.Text(`[data-testid="overrides"]`, &rows, chromedp.ByQuery),

			// A year the calendar library lacks, whose schedule is out.
			chromedp.Navigate(srv.URL+"/admin/calendar?year=2000"),
			chromedp.WaitVisible(`[data-testid="schedule-missing"]`, chromedp.ByQuery),
			chromedp.FullScreenshot(&missing, 100),
		)
		if err != nil {
			t.Fatalf("calendar at %d px: %v", width, err)
		}
		if !strings.Contains(dayError, "请填写") {
			t.Errorf("date message = %q", dayError)
		}
		if !strings.Contains(notice, "2026年12月18日(周五)设为休息日") {
			t.Errorf("notice = %q", notice)
		}
		if strings.Contains(rows, "12月18日") || !strings.Contains(rows, "12月31日") {
			t.Errorf("after the delete the list reads %q", rows)
		}
		for name, png := range map[string][]byte{"": page, "-refused": refused, "-saved": saved, "-missing": missing} {
			_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-calendar%s-%d.png", name, width)), png, 0o644)
		}
	}
}
