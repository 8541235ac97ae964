package models_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/outbox"
)

func storeInquiry(t *testing.T, db *gorm.DB, key, email string) models.Inquiry {
	t.Helper()
	in := models.Inquiry{StatusTokenHash: []byte(key), Name: "王芳", Email: email, Message: "咨询", Language: "zh-Hans",
		ConsentAt: time.Now(), SubmissionKey: &key, ClientKey: []byte("client")}
	stored, created, err := models.CreateInquiry(context.Background(), db, in, func(tx *gorm.DB, in models.Inquiry) error {
		return outbox.Enqueue(tx, "portal.example", outbox.Message{InquiryID: &in.ID, ToAddress: email, Subject: in.Reference, Body: "b"})
	})
	if err != nil || !created {
		t.Fatalf("store: created %v, err %v", created, err)
	}
	return stored
}

func TestInquiryReferencesAreReadableAndUnique(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	a, b := storeInquiry(t, db, "key-a", "a@example.com"), storeInquiry(t, db, "key-b", "b@example.com")
	if a.Reference == b.Reference || len(a.Reference) != len("INQ-2026-000001") {
		t.Errorf("references %q and %q", a.Reference, b.Reference)
	}
	// The same submission key again returns the first inquiry and writes no mail.
	again, created, err := models.CreateInquiry(context.Background(), db, models.Inquiry{
		StatusTokenHash: []byte("other"), Name: "x", Email: "x@example.com", Message: "m", Language: "en",
		ConsentAt: time.Now(), SubmissionKey: a.SubmissionKey,
	}, func(*gorm.DB, models.Inquiry) error { t.Error("mail written for a duplicate"); return nil })
	if err != nil || created || again.ID != a.ID {
		t.Errorf("duplicate: created %v, id %d (want %d), err %v", created, again.ID, a.ID, err)
	}
}

func TestAnonymiseClosedInquiries(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	old := storeInquiry(t, db, "key-old", "old@example.com")
	recent := storeInquiry(t, db, "key-recent", "recent@example.com")
	open := storeInquiry(t, db, "key-open", "open@example.com")
	db.Create(&models.InquiryNote{InquiryID: old.ID, AuthorKind: models.AuthorInvestor, VisibleToInvestor: true, Body: "我的电话是 138…"})
	dbtest.MustExec(t, db, "UPDATE inquiries SET stage = 'closed', updated_at = now() - interval '800 days' WHERE id = ?", old.ID)
	dbtest.MustExec(t, db, "UPDATE inquiries SET stage = 'closed' WHERE id = ?", recent.ID)
	dbtest.MustExec(t, db, "UPDATE inquiries SET updated_at = now() - interval '800 days' WHERE id = ?", open.ID)

	n, err := models.AnonymiseClosedInquiries(ctx, db, time.Now().AddDate(0, 0, -730))
	if err != nil || n != 1 {
		t.Fatalf("anonymised %d, err %v; want 1", n, err)
	}
	var got models.Inquiry
	db.Take(&got, old.ID)
	if got.AnonymisedAt == nil || got.Email != "" || got.Name == "王芳" || got.Message == "咨询" || got.ClientKey != nil || got.SubmissionKey != nil {
		t.Errorf("still personal: %+v", got)
	}
	var note models.InquiryNote
	db.Where("inquiry_id = ?", old.ID).Take(&note)
	var mails int64
	db.Table("outbox_messages").Where("inquiry_id = ?", old.ID).Count(&mails)
	if note.Body != "—" || mails != 0 {
		t.Errorf("note %q, %d e-mails left", note.Body, mails)
	}
	for _, id := range []int64{recent.ID, open.ID} {
		var got models.Inquiry
		db.Take(&got, id)
		if got.AnonymisedAt != nil || got.Email == "" {
			t.Errorf("inquiry %d anonymised too early", id)
		}
	}
	// Running again changes nothing.
	if n, _ := models.AnonymiseClosedInquiries(ctx, db, time.Now().AddDate(0, 0, -730)); n != 0 {
		t.Errorf("second run anonymised %d", n)
	}
}
