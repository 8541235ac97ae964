package handlers_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// browserSignIn signs a member of staff in through the form.
func browserSignIn(base, email string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/admin/login"),
		chromedp.WaitVisible(`#f-email`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-email`, email, chromedp.ByQuery),
		chromedp.SendKeys(`#f-password`, staffPassword, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="login-form"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="admin-counts"]`, chromedp.ByQuery),
	}
}

// TestBrowserInquiryDesk is the desk's round trip in Chromium: an investor
// asks, the inquiry is due in 2 working days in the inbox, the desk lead
// assigns it, the officer finds it in their list and replies, the investor
// reads the reply, and the dashboard counts it as answered on time.
func TestBrowserInquiryDesk(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	adminEmail := createStaff(t, db, models.RoleAdmin)
	officerEmail := createStaff(t, db, models.RoleOfficer)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	// Each person in their own browser: their own cookies.
	investor, lead, officer := newBrowser(t), newBrowser(t), newBrowser(t)

	var reference, statusURL string
	err := chromedp.Run(investor,
		chromedp.EmulateViewport(390, 900),
		chromedp.Navigate(srv.URL+"/inquiries/new?policy="+electronicsPolicy),
		chromedp.WaitVisible(`#f-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-name`, "王芳", chromedp.ByQuery),
		chromedp.SendKeys(`#f-company`, "苏州某电子科技有限公司", chromedp.ByQuery),
		chromedp.SendKeys(`#f-email`, "wang.fang@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#f-message`, "计划投资2亿元建设电子装备工厂,需要约5000平方米标准厂房。", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="inquiry-form"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="received"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="reference"]`, &reference, chromedp.ByQuery),
		chromedp.Location(&statusURL),
	)
	if err != nil {
		t.Fatalf("investor: %v", err)
	}

	var remaining string
	var inbox [2][]byte
	err = chromedp.Run(lead, chromedp.EmulateViewport(1280, 900), browserSignIn(srv.URL, adminEmail),
		chromedp.Navigate(srv.URL+"/admin/inquiries"),
		chromedp.WaitVisible(`[data-testid="inbox"]`, chromedp.ByQuery),
		chromedp.Text(`[data-reference="`+reference+`"] [data-testid="remaining"]`, &remaining, chromedp.ByQuery),
		chromedp.FullScreenshot(&inbox[1], 100),
		chromedp.EmulateViewport(390, 900),
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="inbox"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&inbox[0], 100),
		chromedp.Click(`[data-reference="`+reference+`"] a`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="assign-form"]`, chromedp.ByQuery),
		chromedp.SetValue(`[data-testid="assign-form"] select[name="assignee"]`, officerID(t, db), chromedp.ByQuery),
		chromedp.Click(`[data-testid="save-assignee"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="notice"]`, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("desk lead: %v", err)
	}
	if remaining != "还有 2 个工作日" {
		t.Errorf("the new inquiry shows %q in the inbox, want due in 2 working days", remaining)
	}

	var timeline [2][]byte
	var notice string
	err = chromedp.Run(officer, chromedp.EmulateViewport(390, 900), browserSignIn(srv.URL, officerEmail),
		chromedp.Navigate(srv.URL+"/admin/inquiries?assignee=mine"),
		chromedp.WaitVisible(`[data-reference="`+reference+`"]`, chromedp.ByQuery),
		chromedp.Click(`[data-reference="`+reference+`"] a`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="note-form"]`, chromedp.ByQuery),
		chromedp.Click(`input[name="kind"][value="reply"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-body`, "王女士您好,红山区电子装备产业园有现成标准厂房,我们周一与您电话联系。", chromedp.ByQuery),
		chromedp.Click(`[data-testid="add-note"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="notice"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="notice"]`, &notice, chromedp.ByQuery),
		chromedp.FullScreenshot(&timeline[0], 100),
		chromedp.EmulateViewport(1280, 900),
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="timeline"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&timeline[1], 100),
	)
	if err != nil {
		t.Fatalf("officer: %v", err)
	}
	if !strings.Contains(notice, "回复已保存") {
		t.Errorf("after the reply: %q", notice)
	}

	var messages string
	err = chromedp.Run(investor,
		chromedp.Navigate(strings.SplitN(statusURL, "?", 2)[0]),
		chromedp.WaitVisible(`[data-testid="messages"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="messages"]`, &messages, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("status page: %v", err)
	}
	if !strings.Contains(messages, "现成标准厂房") {
		t.Errorf("the reply is not on the investor's page: %q", messages)
	}

	var onTime string
	var dashboard [2][]byte
	err = chromedp.Run(lead, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/admin/desk"),
		chromedp.WaitVisible(`[data-testid="on-time"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="on-time"]`, &onTime, chromedp.ByQuery),
		chromedp.FullScreenshot(&dashboard[1], 100),
		chromedp.EmulateViewport(390, 900),
		chromedp.Reload(),
		chromedp.WaitVisible(`[data-testid="on-time"]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&dashboard[0], 100),
	)
	if err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	if !strings.Contains(onTime, "100") {
		t.Errorf("the dashboard's on-time share: %q, want the one inquiry answered on time", onTime)
	}

	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, width := range []int{390, 1280} {
		for name, shot := range map[string][]byte{"inbox": inbox[i], "inquiry-timeline": timeline[i], "desk-dashboard": dashboard[i]} {
			_ = os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("admin-%s-%d.png", name, width)), shot, 0o644)
		}
	}
}

func officerID(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var id int64
	if err := db.Raw("SELECT id FROM staff_users WHERE role = 'officer' ORDER BY id LIMIT 1").Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("no officer: %v", err)
	}
	return strconv.FormatInt(id, 10)
}
