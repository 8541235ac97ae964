package handlers_test

import (
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

// TestBrowserProjectTurnsRedAndGreen: an officer files a report with a
// blocking problem; once it has been open too long the project is red on
// the leaders' view; the officer marks it solved and it is green again.
func TestBrowserProjectTurnsRedAndGreen(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	adminEmail := createStaff(t, db, models.RoleAdmin)
	officerEmail := createStaff(t, db, models.RoleOfficer)
	project := idOf(t, db, "projects", "harqin-smart-electronics-processing")
	today := calendar.Day(time.Now())
	dbtest.MustExec(t, db, `UPDATE projects SET officer_id = (SELECT id FROM staff_users WHERE email = ?), stage = 'started', signed_on = ?
		WHERE id = ?`, officerEmail, today.AddDate(0, -3, 0), project)
	dbtest.MustExec(t, db, "INSERT INTO project_reports (project_id, reported_on, stage, body) VALUES (?, ?, 'started', '上期进展')", project, today.AddDate(0, 0, -16))
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	officer, lead := newBrowser(t), newBrowser(t)

	var form, mine [2][]byte
	err := chromedp.Run(officer, chromedp.EmulateViewport(390, 900), browserSignIn(srv.URL, officerEmail),
		chromedp.Navigate(srv.URL+"/admin/my-projects"),
		chromedp.Click(`[data-testid="file-report"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="report-form"]`, chromedp.ByQuery),
		chromedp.SetValue(`#f-stage`, "under_construction", chromedp.ByQuery),
		chromedp.SetValue(`#f-completed`, "8000", chromedp.ByQuery),
		chromedp.SendKeys(`#f-body`, "主体厂房封顶,生产设备陆续进场。", chromedp.ByQuery),
		chromedp.SendKeys(`#f-problem1`, "35千伏变电站接入尚未批复", chromedp.ByQuery),
		chromedp.SendKeys(`#f-department1`, "市供电公司", chromedp.ByQuery),
		chromedp.Click(`input[name="blocking1"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&form[0], 100),
		chromedp.Click(`[data-testid="save-report"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="notice"]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("officer files: %v", err)
	}
	// Twenty days later the problem is still open.
	dbtest.MustExec(t, db, "UPDATE project_problems SET raised_on = ?", today.AddDate(0, 0, -20))
	dbtest.MustExec(t, db, `INSERT INTO project_commitments (project_id, kind, description, due_on, delivered_on) VALUES
		(?, 'land', '交付净地 80 亩', ?, ?), (?, 'utility', '35千伏线路接入', ?, NULL)`,
		project, today.AddDate(0, 0, -10), today.AddDate(0, 0, -12), project, today.AddDate(0, 1, 0))

	var red [2][]byte
	var reasons string
	err = chromedp.Run(lead, chromedp.EmulateViewport(1280, 900), browserSignIn(srv.URL, adminEmail),
		chromedp.Navigate(srv.URL+"/admin/red-projects"),
		chromedp.WaitVisible(`[data-testid="reasons"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="followed"]`, &reasons, chromedp.ByQuery),
		chromedp.FullScreenshot(&red[1], 100),
		chromedp.EmulateViewport(390, 900),
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="reasons"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&red[0], 100),
	)
	if err != nil {
		t.Fatalf("leaders' view: %v", err)
	}
	if !strings.Contains(reasons, "阻碍推进的问题超过期限") || !strings.Contains(reasons, "市供电公司") || !strings.Contains(reasons, "20 天") {
		t.Errorf("the leaders' view says: %s", reasons)
	}

	err = chromedp.Run(officer, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/admin/my-projects"),
		chromedp.WaitVisible(`[data-testid="solve"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&mine[1], 100),
		chromedp.EmulateViewport(390, 900),
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="solve"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&mine[0], 100),
		chromedp.Click(`[data-testid="solve"]`, chromedp.ByQuery),
		chromedp.WaitNotPresent(`[data-testid="solve"]`, chromedp.ByQuery),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/admin/my-projects/"+project+"/report"),
		chromedp.WaitVisible(`[data-testid="report-form"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&form[1], 100),
	)
	if err != nil {
		t.Fatalf("officer solves: %v", err)
	}
	var none string
	err = chromedp.Run(lead, chromedp.Navigate(srv.URL+"/admin/red-projects"),
		chromedp.WaitVisible(`[data-testid="no-projects"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="no-projects"]`, &none, chromedp.ByQuery))
	if err != nil {
		t.Fatalf("the project is still red once solved: %v", err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, width := range []int{390, 1280} {
		for name, shot := range map[string][]byte{"report-form": form[i], "my-projects": mine[i], "red-projects": red[i]} {
			_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-%s-%d.png", name, width)), shot, 0o644)
		}
	}
}
