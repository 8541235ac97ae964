package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// NewInquiryMail writes the e-mails that announce a stored inquiry; it runs
// inside the storing transaction, once the reference is known.
type NewInquiryMail func(tx *gorm.DB, in Inquiry) error

// errResent rolls back a transaction that lost the race to store the same
// submission key, giving back the reference number it took.
var errResent = errors.New("the same form was stored meanwhile")

// CreateInquiry stores an inquiry and its e-mails in one transaction, with
// the next reference of the year. The same submission key twice (a double
// click, a resent form) stores one inquiry: the second call returns the
// first one with created false, and takes no reference number.
func CreateInquiry(ctx context.Context, db *gorm.DB, in Inquiry, mail NewInquiryMail) (Inquiry, bool, error) {
	db = db.WithContext(ctx)
	if existing, err := InquiryBySubmission(ctx, db, in.SubmissionKeyHash); err == nil {
		return existing, false, nil
	} else if !errors.Is(err, ErrNotFound) {
		return in, false, err
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		// The year's counter row is locked until commit: numbers are handed
		// out in order, and one rolled back is handed out again.
		var next struct {
			Year   int
			Number int64
		}
		if err := tx.Raw(`INSERT INTO inquiry_reference_counters AS c (year, last_number)
			VALUES (extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::integer, 1)
			ON CONFLICT (year) DO UPDATE SET last_number = c.last_number + 1
			RETURNING year, last_number AS number`).Scan(&next).Error; err != nil {
			return err
		}
		in.Reference = fmt.Sprintf("INQ-%04d-%06d", next.Year, next.Number)
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "submission_key_hash"}}, DoNothing: true}).
			Omit("Stage", "AssigneeID", "AnonymisedAt", "CreatedAt", "UpdatedAt").Create(&in)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errResent
		}
		return mail(tx, in)
	})
	if errors.Is(err, errResent) {
		existing, err := InquiryBySubmission(ctx, db, in.SubmissionKeyHash)
		return existing, false, err
	}
	return in, err == nil, err
}

// InquiryStatusKey reads what an e-mail's status link is made of: the
// inquiry's status key and language, and the investor's address (only a
// message to it may carry the link). An inquiry whose personal data was
// removed has no key: ErrNotFound.
func InquiryStatusKey(ctx context.Context, db *gorm.DB, id int64) (statusKey, language, email string, err error) {
	var in Inquiry
	err = notFound(db.WithContext(ctx).Select("status_key", "language", "email").Where("status_key IS NOT NULL").Take(&in, id).Error)
	if err != nil {
		return "", "", "", err
	}
	return *in.StatusKey, in.Language, in.Email, nil
}

// InquiryBySubmission finds the inquiry a form with this submission key
// hash stored, if any.
func InquiryBySubmission(ctx context.Context, db *gorm.DB, submissionKeyHash []byte) (Inquiry, error) {
	var in Inquiry
	if len(submissionKeyHash) == 0 {
		return in, ErrNotFound
	}
	err := notFound(db.WithContext(ctx).Where("submission_key_hash = ?", submissionKeyHash).Take(&in).Error)
	return in, err
}

// RecentInquiries counts the inquiries received since a time from one
// client address and from one e-mail address, and says when the oldest of
// each was received (zero when there is none).
type RecentInquiries struct {
	FromClient, FromEmail     int64
	OldestClient, OldestEmail time.Time
}

// CountRecentInquiries reads what the rate limits need.
func CountRecentInquiries(ctx context.Context, db *gorm.DB, clientKey []byte, email string, since time.Time) (RecentInquiries, error) {
	var r RecentInquiries
	db = db.WithContext(ctx)
	var row struct {
		N      int64
		Oldest *time.Time
	}
	if len(clientKey) > 0 {
		if err := db.Model(&Inquiry{}).Select("count(*) AS n, min(created_at) AS oldest").
			Where("client_key = ? AND created_at > ?", clientKey, since).Scan(&row).Error; err != nil {
			return r, err
		}
		r.FromClient = row.N
		if row.Oldest != nil {
			r.OldestClient = *row.Oldest
		}
	}
	if email != "" {
		row.Oldest = nil
		if err := db.Model(&Inquiry{}).Select("count(*) AS n, min(created_at) AS oldest").
			Where("email <> '' AND lower(email) = lower(?) AND created_at > ?", email, since).Scan(&row).Error; err != nil {
			return r, err
		}
		r.FromEmail = row.N
		if row.Oldest != nil {
			r.OldestEmail = *row.Oldest
		}
	}
	return r, nil
}

// InquiryStatus is what the investor's private status page shows: their
// own inquiry and the messages meant for them, never internal notes.
type InquiryStatus struct {
	Inquiry Inquiry
	Region  *Region
	Chain   *IndustryChain
	Policy  *Policy
	Project *Project
	Park    *Park
	Brief   *InvestorBrief // the investor's brief it was sent from
	Notes   []InquiryNote  // staff replies and the investor's own messages, oldest first
}

// LoadInquiryStatus finds an inquiry by the hash of its status token.
func LoadInquiryStatus(ctx context.Context, db *gorm.DB, tokenHash []byte) (InquiryStatus, error) {
	return loadInquiry(db.WithContext(ctx), "status_token_hash = ?", tokenHash, "inquiry_id = ? AND visible_to_investor")
}

// loadInquiry reads an inquiry, what it is about and the notes the notes
// condition selects.
func loadInquiry(db *gorm.DB, where string, key any, notes string) (InquiryStatus, error) {
	var s InquiryStatus
	err := notFound(db.Where(where, key).Take(&s.Inquiry).Error)
	if err != nil {
		return s, err
	}
	in := s.Inquiry
	// What the inquiry came from, if it still exists (drafts included: the
	// investor saw it when they wrote).
	if s.Region, err = takeIfSet[Region](db, in.RegionID); err != nil {
		return s, err
	}
	if s.Chain, err = takeIfSet[IndustryChain](db, in.ChainID); err != nil {
		return s, err
	}
	if s.Policy, err = takeIfSet[Policy](db, in.PolicyID); err != nil {
		return s, err
	}
	if s.Project, err = takeIfSet[Project](db, in.ProjectID); err != nil {
		return s, err
	}
	if s.Park, err = takeIfSet[Park](db, in.ParkID); err != nil {
		return s, err
	}
	if s.Brief, err = takeIfSet[InvestorBrief](db, in.BriefID); err != nil {
		return s, err
	}
	err = db.Where(notes, in.ID).Order("created_at, id").Find(&s.Notes).Error
	return s, err
}

// AddInvestorMessage stores a follow-up message from the investor, with
// the e-mail that tells staff about it, in one transaction.
func AddInvestorMessage(ctx context.Context, db *gorm.DB, inquiryID int64, body string, mail func(tx *gorm.DB) error) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		note := InquiryNote{InquiryID: inquiryID, Kind: NoteMessage, AuthorKind: AuthorInvestor, VisibleToInvestor: true, Body: body}
		if err := tx.Omit("CreatedAt").Create(&note).Error; err != nil {
			return err
		}
		if err := tx.Model(&Inquiry{}).Where("id = ?", inquiryID).
			Updates(map[string]any{"updated_at": gorm.Expr("now()"), "last_activity_at": gorm.Expr("now()")}).Error; err != nil {
			return err
		}
		return mail(tx)
	})
}

// SubmissionKeyLife is how long a form's submission key finds its
// inquiry: long enough for any double click or retry, short enough that a
// key found later in a browser's history opens nothing.
const SubmissionKeyLife = 24 * time.Hour

// ForgetOldSubmissionKeys drops the submission key hashes of inquiries
// received more than SubmissionKeyLife ago.
func ForgetOldSubmissionKeys(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec(`UPDATE inquiries SET submission_key_hash = NULL
		WHERE submission_key_hash IS NOT NULL AND created_at < now() - make_interval(secs => ?)`, SubmissionKeyLife.Seconds()).Error
}

// AnonymiseClosedInquiries removes the personal data of inquiries closed
// and untouched since before a time: contact details, message, every
// note's text, the rate-limit key and the e-mails about them.
// What remains (stage, sector, region, amount, dates) still counts in
// statistics. It returns how many inquiries it anonymised.
func AnonymiseClosedInquiries(ctx context.Context, db *gorm.DB, closedBefore time.Time) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Model(&Inquiry{}).Where("stage = ? AND anonymised_at IS NULL AND updated_at < ?", InquiryClosed, closedBefore).
			Clauses(clause.Locking{Strength: "UPDATE"}).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		n = int64(len(ids))
		if err := tx.Model(&Inquiry{}).Where("id IN ?", ids).Updates(map[string]any{
			"name": "—", "company": "", "origin": "", "email": "", "phone": "", "message": "—",
			"client_key": nil, "status_key": nil, "submission_key_hash": nil, "brief_id": nil, "anonymised_at": gorm.Expr("now()"),
		}).Error; err != nil {
			return err
		}
		// Every note: replies, calls and internal notes quote the investor too.
		if err := tx.Model(&InquiryNote{}).Where("inquiry_id IN ?", ids).Update("body", "—").Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM outbox_messages WHERE inquiry_id IN ?", ids).Error
	})
	return n, err
}

// takeIfSet reads the record an optional foreign key points to; nil when
// the key is unset or the record is gone.
func takeIfSet[T any](db *gorm.DB, id *int64) (*T, error) {
	if id == nil {
		return nil, nil
	}
	var v T
	err := db.Take(&v, *id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// InquirySubject is a published record an inquiry can be about, with the
// region and industry chain it belongs to (to pre-fill the form).
type InquirySubject struct {
	ID         int64
	Slug       string
	Name       string
	NameEn     string
	RegionSlug string
	ChainSlug  string
}

// inquirySubjectQueries read one kind of subject by slug; each yields the
// record's id, slug, names, and its region's and first chain's slugs.
var inquirySubjectQueries = map[string]string{
	"region": `SELECT r.id, r.slug, r.name, r.name_en, r.slug AS region_slug, '' AS chain_slug
		FROM regions r WHERE r.slug = ? AND ` + publicSQL("r"),
	"chain": `SELECT c.id, c.slug, c.name, c.name_en, coalesce(r.slug, '') AS region_slug, c.slug AS chain_slug
		FROM industry_chains c LEFT JOIN regions r ON r.id = c.region_id WHERE c.slug = ? AND ` + publicSQL("c"),
	"park": `SELECT p.id, p.slug, p.name, p.name_en, r.slug AS region_slug,
			coalesce((SELECT c.slug FROM chain_parks cp JOIN industry_chains c ON c.id = cp.chain_id
				WHERE cp.park_id = p.id ORDER BY c.id LIMIT 1), '') AS chain_slug
		FROM parks p JOIN regions r ON r.id = p.region_id WHERE p.slug = ? AND ` + publicSQL("p"),
	"policy": `SELECT p.id, p.slug, p.title AS name, p.title_en AS name_en, r.slug AS region_slug,
			coalesce((SELECT c.slug FROM policy_chains pc JOIN industry_chains c ON c.id = pc.chain_id
				WHERE pc.policy_id = p.id ORDER BY c.id LIMIT 1), '') AS chain_slug
		FROM policies p JOIN regions r ON r.id = p.region_id WHERE p.slug = ? AND ` + publicSQL("p"),
	"project": `SELECT p.id, p.slug, p.name, p.name_en, r.slug AS region_slug, coalesce(c.slug, '') AS chain_slug
		FROM projects p JOIN regions r ON r.id = p.region_id LEFT JOIN industry_chains c ON c.id = p.chain_id
		WHERE p.slug = ? AND ` + publicSQL("p"),
}

// publicSQL is Public's condition for raw SQL on an aliased table.
func publicSQL(alias string) string {
	return alias + ".status = 'published' AND (" + alias + ".publish_at IS NULL OR " + alias + ".publish_at <= now()) AND " + alias + ".deleted_at IS NULL"
}

// InquirySubjectKinds are the kinds of record an inquiry can be about.
var InquirySubjectKinds = []string{"region", "chain", "park", "policy", "project"}

// PublicInquirySubject finds a published subject of a kind by slug.
func PublicInquirySubject(ctx context.Context, db *gorm.DB, kind, slug string) (InquirySubject, error) {
	var rows []InquirySubject
	query, ok := inquirySubjectQueries[kind]
	if !ok {
		return InquirySubject{}, ErrNotFound
	}
	if err := db.WithContext(ctx).Raw(query, slug).Scan(&rows).Error; err != nil {
		return InquirySubject{}, err
	}
	if len(rows) == 0 {
		return InquirySubject{}, ErrNotFound
	}
	return rows[0], nil
}
