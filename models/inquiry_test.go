package models_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
	"investportal/models/outbox"
)

// submissionHash stands in for the handlers' hash of a form's key.
func submissionHash(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}

func storeInquiry(t *testing.T, db *gorm.DB, key, email string) models.Inquiry {
	t.Helper()
	statusKey := "status " + key
	in := models.Inquiry{StatusTokenHash: submissionHash("token " + key), Name: "王芳", Email: email, Message: "咨询", Language: "zh-Hans",
		ConsentAt: time.Now(), StatusKey: &statusKey, SubmissionKeyHash: submissionHash(key), ClientKey: []byte("client")}
	stored, created, err := models.CreateInquiry(context.Background(), db, in, func(tx *gorm.DB, in models.Inquiry) error {
		return outbox.Enqueue(tx, "portal.example", outbox.Message{InquiryID: &in.ID, ToAddress: email, Subject: in.Reference, Body: "b"})
	})
	if err != nil || !created {
		t.Fatalf("store: created %v, err %v", created, err)
	}
	return stored
}

// referenceNumber is the number within the year of a reference.
func referenceNumber(t *testing.T, ref string) int64 {
	t.Helper()
	m := regexp.MustCompile(`^INQ-(\d{4})-(\d{6,})$`).FindStringSubmatch(ref)
	if m == nil || m[1] != strconv.Itoa(time.Now().In(calendar.Beijing).Year()) {
		t.Fatalf("reference %q is not INQ-<this year>-<number>", ref)
	}
	n, _ := strconv.ParseInt(m[2], 10, 64)
	return n
}

func TestInquiryReferencesAreReadableAndUnique(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	a, b := storeInquiry(t, db, "key-a", "a@example.com"), storeInquiry(t, db, "key-b", "b@example.com")
	if a.Reference == b.Reference || len(a.Reference) != len("INQ-2026-000001") {
		t.Errorf("references %q and %q", a.Reference, b.Reference)
	}
	// The same submission key again returns the first inquiry, writes no
	// mail and takes no number: the next inquiry's number follows b's.
	for range 3 {
		again, created, err := models.CreateInquiry(context.Background(), db, models.Inquiry{
			StatusTokenHash: []byte("other"), Name: "x", Email: "x@example.com", Message: "m", Language: "en",
			ConsentAt: time.Now(), SubmissionKeyHash: submissionHash("key-a"),
		}, func(*gorm.DB, models.Inquiry) error { t.Error("mail written for a duplicate"); return nil })
		if err != nil || created || again.ID != a.ID {
			t.Errorf("duplicate: created %v, id %d (want %d), err %v", created, again.ID, a.ID, err)
		}
	}
	c := storeInquiry(t, db, "key-c", "c@example.com")
	if referenceNumber(t, c.Reference) != referenceNumber(t, b.Reference)+1 {
		t.Errorf("after three resends, %s follows %s", c.Reference, b.Reference)
	}
	// Only a hash of the submission key is stored.
	var row string
	db.Raw("SELECT row_to_json(i)::text FROM inquiries i WHERE id = ?", a.ID).Scan(&row)
	if strings.Contains(strings.ReplaceAll(row, "status key-a", ""), "key-a") {
		t.Errorf("the submission key is stored: %s", row)
	}
}

// The numbering never runs out: past 999 999 in a year the number grows a
// digit, and each year starts again at 1.
func TestInquiryReferencesNeverRunOut(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	year := time.Now().In(calendar.Beijing).Year()
	dbtest.MustExec(t, db, "INSERT INTO inquiry_reference_counters (year, last_number) VALUES (?, 999999), (?, 5)", year, year-1)
	in := storeInquiry(t, db, "key-million", "m@example.com")
	if want := fmt.Sprintf("INQ-%d-1000000", year); in.Reference != want {
		t.Errorf("after 999 999: %s, want %s", in.Reference, want)
	}
	dbtest.MustExec(t, db, "DELETE FROM inquiry_reference_counters WHERE year = ?", year)
	if in := storeInquiry(t, db, "key-new-year", "n@example.com"); referenceNumber(t, in.Reference) != 1 {
		t.Errorf("a new year's first reference is %s", in.Reference)
	}
}

// Many requests with the same submission key at once store one inquiry,
// and the numbers the losers took are given back.
func TestInquiryResentConcurrentlyStoresOneAndBurnsNoNumber(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var wg sync.WaitGroup
	refs := make([]string, 8)
	for i := range refs {
		wg.Go(func() {
			key := "key-same"
			in, _, err := models.CreateInquiry(context.Background(), db, models.Inquiry{StatusTokenHash: submissionHash(fmt.Sprint("t", i)),
				Name: "王芳", Email: "w@example.com", Message: "咨询", Language: "zh-Hans", ConsentAt: time.Now(),
				StatusKey: &key, SubmissionKeyHash: submissionHash(key)}, func(*gorm.DB, models.Inquiry) error { return nil })
			if err != nil {
				t.Error(err)
			}
			refs[i] = in.Reference
		})
	}
	wg.Wait()
	var n, last int64
	db.Raw("SELECT count(*) FROM inquiries").Scan(&n)
	db.Raw("SELECT last_number FROM inquiry_reference_counters").Scan(&last)
	if n != 1 || last != 1 || len(slices.Compact(slices.Sorted(slices.Values(refs)))) != 1 {
		t.Errorf("%d inquiries, counter at %d, references %v; want one inquiry, 1, all equal", n, last, refs)
	}
}

func TestAnonymiseClosedInquiries(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	old := storeInquiry(t, db, "key-old", "old@example.com")
	recent := storeInquiry(t, db, "key-recent", "recent@example.com")
	open := storeInquiry(t, db, "key-open", "open@example.com")
	db.Create(&models.InquiryNote{InquiryID: old.ID, Kind: models.NoteMessage, AuthorKind: models.AuthorInvestor, VisibleToInvestor: true, Body: "我的电话是 138…"})
	db.Create(&models.InquiryNote{InquiryID: old.ID, Kind: models.NoteCall, AuthorKind: models.AuthorStaff, Body: "电话:王芳说预算两亿"})
	dbtest.MustExec(t, db, `INSERT INTO investor_briefs (token, answers, region_id)
		SELECT 'AAAAAAAAAAAAAAAAAAAAAA', '', id FROM regions LIMIT 1`)
	dbtest.MustExec(t, db, "UPDATE inquiries SET brief_id = (SELECT id FROM investor_briefs) WHERE id = ?", old.ID)
	dbtest.MustExec(t, db, "UPDATE inquiries SET stage = 'closed', close_reason = 'lost', updated_at = now() - interval '800 days' WHERE id = ?", old.ID)
	dbtest.MustExec(t, db, "UPDATE inquiries SET stage = 'closed', close_reason = 'spam' WHERE id = ?", recent.ID)
	dbtest.MustExec(t, db, "UPDATE inquiries SET updated_at = now() - interval '800 days' WHERE id = ?", open.ID)

	n, err := models.AnonymiseClosedInquiries(ctx, db, time.Now().AddDate(0, 0, -730))
	if err != nil || n != 1 {
		t.Fatalf("anonymised %d, err %v; want 1", n, err)
	}
	var got models.Inquiry
	db.Take(&got, old.ID)
	if got.AnonymisedAt == nil || got.Email != "" || got.Name == "王芳" || got.Message == "咨询" || got.ClientKey != nil || got.StatusKey != nil || got.SubmissionKeyHash != nil || got.BriefID != nil {
		t.Errorf("still personal: %+v", got)
	}
	var bodies []string
	db.Model(&models.InquiryNote{}).Where("inquiry_id = ?", old.ID).Pluck("body", &bodies)
	var mails int64
	db.Table("outbox_messages").Where("inquiry_id = ?", old.ID).Count(&mails)
	if len(bodies) != 2 || bodies[0] != "—" || bodies[1] != "—" || mails != 0 {
		t.Errorf("notes %q, %d e-mails left", bodies, mails)
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

// A day on, a form's submission key finds its inquiry no more, and the
// same form sent then is a new inquiry.
func TestSubmissionKeysAreForgottenAfterADay(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	old := storeInquiry(t, db, "key-old", "old@example.com")
	recent := storeInquiry(t, db, "key-recent", "recent@example.com")
	dbtest.MustExec(t, db, "UPDATE inquiries SET created_at = now() - interval '25 hours' WHERE id = ?", old.ID)
	if err := models.ForgetOldSubmissionKeys(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := models.InquiryBySubmission(ctx, db, submissionHash("key-old")); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("a day-old key still finds its inquiry: %v", err)
	}
	if got, err := models.InquiryBySubmission(ctx, db, submissionHash("key-recent")); err != nil || got.ID != recent.ID {
		t.Errorf("a fresh key: %v, %v", got.ID, err)
	}
	again, created, err := models.CreateInquiry(ctx, db, models.Inquiry{StatusTokenHash: submissionHash("another token"),
		Name: "王芳", Email: "old@example.com", Message: "咨询", Language: "zh-Hans", ConsentAt: time.Now(),
		SubmissionKeyHash: submissionHash("key-old")}, func(*gorm.DB, models.Inquiry) error { return nil })
	if err != nil || !created || again.ID == old.ID {
		t.Errorf("the day-old form sent again: created %v, id %d (old %d), %v", created, again.ID, old.ID, err)
	}
}
