package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// BenefitKinds lists the benefit kinds in the order filters show them.
var BenefitKinds = []string{BenefitOneTimeAward, BenefitEquipment, BenefitLogistics, BenefitRent, BenefitTalent, BenefitTaxRelief, BenefitLand, BenefitService, BenefitOther}

// Policy validity filters.
const (
	PolicyInForce = "in_force"
	PolicyExpired = "expired"
)

// Policy sort orders.
const (
	PolicySortNewest = "newest"
	PolicySortTitle  = "title"
	PolicySortAward  = "award" // largest single benefit first
)

// PolicyFilter selects policies; zero fields select everything.
type PolicyFilter struct {
	RegionIDs []int64 // policies issued for any of these regions
	ChainID   int64
	Benefit   string   // a benefit kind the policy must offer
	Validity  string   // PolicyInForce or PolicyExpired
	Text      []string // spellings of a text (Simplified, Traditional) in the title, summary or body
	Sort      string
	Today     time.Time
	Limit     int
	Offset    int
}

// PolicyListItem is a policy with what a list shows of its benefits.
type PolicyListItem struct {
	Policy
	RegionName    string
	RegionNameEn  string
	BenefitCount  int
	MaxAmountYuan *int64
}

// likePattern escapes LIKE's wildcards so user text matches literally.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// SearchPolicies returns one page of the public policies a filter selects
// and how many it selects in all.
func SearchPolicies(ctx context.Context, db *gorm.DB, f PolicyFilter) ([]PolicyListItem, int64, error) {
	var total int64
	if err := f.apply(db.WithContext(ctx).Table("policies")).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	q := f.apply(db.WithContext(ctx).Table("policies")).
		Select(`policies.*, regions.name AS region_name, regions.name_en AS region_name_en,
			(SELECT count(*) FROM benefit_items b WHERE b.policy_id = policies.id) AS benefit_count,
			(SELECT max(amount_yuan) FROM benefit_items b WHERE b.policy_id = policies.id) AS max_amount_yuan`).
		Joins("JOIN regions ON regions.id = policies.region_id")
	switch f.Sort {
	case PolicySortTitle:
		q = q.Order("policies.title, policies.id")
	case PolicySortAward:
		q = q.Order("max_amount_yuan DESC NULLS LAST, policies.id DESC")
	default:
		q = q.Order("policies.issued_on DESC NULLS LAST, policies.id DESC")
	}
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var items []PolicyListItem
	err := q.Find(&items).Error
	return items, total, err
}

func (f PolicyFilter) apply(q *gorm.DB) *gorm.DB {
	q = q.Scopes(Public("policies")).Where("policies.deleted_at IS NULL")
	if len(f.RegionIDs) > 0 {
		q = q.Where("policies.region_id IN ?", f.RegionIDs)
	}
	if f.ChainID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM policy_chains pc WHERE pc.policy_id = policies.id AND pc.chain_id = ?)", f.ChainID)
	}
	if f.Benefit != "" {
		q = q.Where("EXISTS (SELECT 1 FROM benefit_items b WHERE b.policy_id = policies.id AND b.kind = ?)", f.Benefit)
	}
	switch f.Validity {
	case PolicyInForce:
		q = q.Where("(policies.effective_on IS NULL OR policies.effective_on <= ?) AND (policies.expires_on IS NULL OR policies.expires_on >= ?)", f.Today, f.Today)
	case PolicyExpired:
		q = q.Where("policies.expires_on < ?", f.Today)
	}
	if len(f.Text) > 0 {
		condition, args := textMatch("policies", policySearchColumns, f.Text)
		q = q.Where(condition, args...)
	}
	return q
}

// PolicyDetail is everything a policy's page shows.
type PolicyDetail struct {
	Policy        Policy // with Benefits and Chains
	Region        Region
	Projects      []Project // in the policy's chains and region (or below)
	Contacts      []Contact
	SourceArticle *NewsArticle
}

// LoadPolicy reads a published policy by slug.
func LoadPolicy(ctx context.Context, db *gorm.DB, slug string) (PolicyDetail, error) {
	var d PolicyDetail
	db = db.WithContext(ctx)
	err := notFound(db.Scopes(Public("policies")).
		Preload("Benefits", func(q *gorm.DB) *gorm.DB { return q.Order("position") }).
		Preload("Chains", func(q *gorm.DB) *gorm.DB { return q.Scopes(Public("industry_chains")).Order("id") }).
		Where("slug = ?", slug).Take(&d.Policy).Error)
	if err != nil {
		return d, err
	}
	if err := db.Take(&d.Region, d.Policy.RegionID).Error; err != nil {
		return d, err
	}
	if d.SourceArticle, err = sourceArticle(ctx, db, d.Policy.SourceArticleID); err != nil {
		return d, err
	}
	below, err := RegionIDsBelow(ctx, db, d.Region.ID)
	if err != nil {
		return d, err
	}
	if len(d.Policy.Chains) > 0 {
		chainIDs := make([]int64, len(d.Policy.Chains))
		for i, c := range d.Policy.Chains {
			chainIDs[i] = c.ID
		}
		err = db.Scopes(Public("projects")).Preload("Region").
			Where("chain_id IN ? AND region_id IN ?", chainIDs, below).
			Order("signed_on DESC NULLS LAST, id DESC").Limit(20).Find(&d.Projects).Error
		if err != nil {
			return d, err
		}
	}
	d.Contacts, err = nearestRegionContacts(ctx, db, d.Region.ID)
	return d, err
}

// nearestRegionContacts returns the officers of a region, else of the
// nearest region above it that has any.
func nearestRegionContacts(ctx context.Context, db *gorm.DB, regionID int64) ([]Contact, error) {
	var contacts []Contact
	err := db.WithContext(ctx).Raw(`
		WITH RECURSIVE up AS (
			SELECT id, parent_id, 0 AS depth FROM regions WHERE id = ?
			UNION ALL
			SELECT r.id, r.parent_id, up.depth + 1 FROM regions r JOIN up ON r.id = up.parent_id
		) CYCLE id SET in_cycle USING cycle_path, nearest AS (
			SELECT min(up.depth) AS depth FROM up JOIN contacts c ON c.region_id = up.id WHERE NOT up.in_cycle
		)
		SELECT c.* FROM contacts c JOIN up ON c.region_id = up.id JOIN nearest ON up.depth = nearest.depth
		WHERE NOT up.in_cycle
		ORDER BY c.position, c.id`, regionID).Scan(&contacts).Error
	return contacts, err
}
