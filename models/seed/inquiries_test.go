package seed_test

import (
	"context"
	"os"
	"testing"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/seed"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestDemoInquiriesShowTheDeskAtWork(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	n, err := seed.DemoInquiries(ctx, db, models.DefaultDeskRules)
	if err != nil || n != 6 {
		t.Fatalf("stored %d, %v", n, err)
	}
	if n, err := seed.DemoInquiries(ctx, db, models.DefaultDeskRules); err != nil || n != 0 {
		t.Errorf("a second load stored %d, %v", n, err)
	}
	all := models.InquiryScope{All: true}
	for response, want := range map[string]int64{models.ResponseOverdue: 1, models.ResponseWaiting: 2, models.ResponseAnswered: 4} {
		_, total, err := models.ListInquiries(ctx, db, models.InquiryListQuery{Scope: all, Response: response, Rules: models.DefaultDeskRules})
		if err != nil || total != want {
			t.Errorf("%s: %d inquiries (%v), want %d", response, total, err, want)
		}
	}
	_, dormant, _ := models.ListInquiries(ctx, db, models.InquiryListQuery{Scope: all, Dormant: true, Rules: models.DefaultDeskRules})
	signed, _ := models.InquiriesSignedAs(ctx, db, all, mustProject(t, db))
	if dormant != 1 || len(signed) != 1 {
		t.Errorf("%d dormant, %d signed as the Harqin project; want 1 and 1", dormant, len(signed))
	}
}

func mustProject(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Raw("SELECT id FROM projects WHERE slug = 'harqin-smart-electronics-processing'").Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("no Harqin project: %v", err)
	}
	return id
}
