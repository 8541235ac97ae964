package handlers_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"investportal/models"
	"investportal/models/dbtest"
)

// TestBrowserInvestorToolsJourney is an investor's question answered in
// Chromium: from the home page's navigation to the matcher, a planned
// project, the awards it may get, a site, the brief, and the brief sent as
// an inquiry.
func TestBrowserInvestorToolsJourney(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	addSite(t, db, "hongshan-high-tech-park", "乙厂房", "standard_factory", "available", 6000, 12.5, nil, nil)
	srv := httptest.NewServer(newInquiryRouter(db))
	defer srv.Close()
	ctx := newBrowser(t)

	var estimate, siteCount, briefSite, briefEstimate, steps, received string
	var shots [][]byte
	shot := func() chromedp.Action {
		var buf []byte
		shots = append(shots, nil)
		i := len(shots) - 1
		return chromedp.ActionFunc(func(c2 context.Context) error {
			if err := chromedp.FullScreenshot(&buf, 80).Do(c2); err != nil {
				return err
			}
			shots[i] = buf
			return nil
		})
	}
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(390, 900),
		chromedp.Navigate(srv.URL+"/"),
		// 1. From the home page's navigation, the matcher; a project.
		chromedp.Click(`.site-nav a[href="/match"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`form[data-testid="match-form"]`, chromedp.ByQuery),
		chromedp.SetValue(`#f-region`, "chifeng", chromedp.ByQuery),
		chromedp.SetValue(`#f-chain`, "chifeng-electronics", chromedp.ByQuery),
		chromedp.SendKeys(`#f-amount`, "2", chromedp.ByQuery),
		chromedp.SetValue(`#f-unit`, "yi", chromedp.ByQuery),
		chromedp.SendKeys(`#f-space`, "5000", chromedp.ByQuery),
		chromedp.SetValue(`#f-innovation_centre`, "national", chromedp.ByQuery),
		chromedp.Submit(`#f-amount`, chromedp.ByQuery),
		// 2. The awards it may get.
		chromedp.WaitVisible(`[data-testid="match-estimate"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="match-estimate"]`, &estimate, chromedp.ByQuery),
		shot(),
		// 3. A site for it.
		chromedp.Click(`a[data-testid="match-sites"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="count"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="count"]`, &siteCount, chromedp.ByQuery),
		chromedp.Click(`[data-testid="site"] a[data-testid="site-brief"]`, chromedp.ByQuery),
		// 4. The brief.
		chromedp.WaitVisible(`button[data-testid="brief-create"]`, chromedp.ByQuery),
		chromedp.Click(`button[data-testid="brief-create"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="brief"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="brief-site"]`, &briefSite, chromedp.ByQuery),
		chromedp.Text(`[data-testid="brief-incentives"] [data-testid="match-estimate"]`, &briefEstimate, chromedp.ByQuery),
		chromedp.Text(`[data-testid="brief-steps"]`, &steps, chromedp.ByQuery),
		shot(),
		// 5. Sent to the bureau.
		chromedp.Click(`a[data-testid="brief-send"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#f-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#f-name`, "陈晨", chromedp.ByQuery),
		chromedp.SendKeys(`#f-email`, "chen.chen@example.com", chromedp.ByQuery),
		chromedp.Click(`#f-consent`, chromedp.ByQuery),
		chromedp.Click(`form[data-testid="inquiry-form"] button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="reference"]`, chromedp.ByQuery),
		chromedp.Text(`[data-testid="reference"]`, &received, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(estimate, "1000万元") || strings.Contains(estimate, "1500万元") {
		t.Errorf("matcher's estimate = %q", estimate)
	}
	if siteCount != "共 1 处" {
		t.Errorf("sites for 5000 m² of electronics = %q", siteCount)
	}
	if !strings.Contains(briefSite, "乙厂房") || !strings.Contains(briefEstimate, "1000万元") || !strings.Contains(steps, "承诺即开工") {
		t.Errorf("brief: site %q, estimate %q, steps %q", briefSite, briefEstimate, steps)
	}
	var stored models.Inquiry
	if err := db.Where("reference = ?", strings.TrimSpace(received)).Take(&stored).Error; err != nil {
		t.Fatalf("inquiry %q: %v", received, err)
	}
	if stored.BriefID == nil || stored.PlannedAmountYuan == nil || *stored.PlannedAmountYuan != 200_000_000 {
		t.Errorf("inquiry from the brief: brief %v, amount %v", stored.BriefID, stored.PlannedAmountYuan)
	}
	if err := os.MkdirAll(screenshotDir, 0o750); err == nil {
		for i, png := range shots {
			_ = os.WriteFile(filepath.Join(screenshotDir, "investor-journey-"+string(rune('1'+i))+".jpg"), png, 0o600)
		}
	}
}
