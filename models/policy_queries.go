package models

import (
	"context"
	"maps"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"investportal/models/calendar"
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
	Today     time.Time // whose date in Beijing decides what is in force
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
// and how many it selects in all, in one round trip.
func SearchPolicies(ctx context.Context, db *gorm.DB, f PolicyFilter) ([]PolicyListItem, int64, error) {
	where, args := f.conditions(ctx)
	order := "p.issued_on DESC NULLS LAST, p.id DESC"
	switch f.Sort {
	case PolicySortTitle:
		order = "p.title, p.id"
	case PolicySortAward:
		order = "max_amount_yuan DESC NULLS LAST, p.id DESC"
	}
	limit := ""
	list := maps.Clone(args)
	if f.Limit > 0 {
		limit = " LIMIT @limit OFFSET @offset"
		list["limit"], list["offset"] = f.Limit, f.Offset
	}
	var items []PolicyListItem
	var total int64
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(`SELECT count(*) FROM policies p WHERE `+where, args).QueryRow(func(row pgx.Row) error { return row.Scan(&total) })
		b.Queue(`SELECT p.id, p.slug, p.region_id, p.title, p.title_en, p.issuing_body, p.issued_on, p.summary, p.summary_en,
				r.name, r.name_en, b.benefits, b.max_amount_yuan
			FROM policies p JOIN regions r ON r.id = p.region_id
			CROSS JOIN LATERAL (SELECT count(*) AS benefits, max(amount_yuan) AS max_amount_yuan FROM benefit_items WHERE policy_id = p.id) b
			WHERE `+where+` ORDER BY `+order+limit, list).Query(collect(&items, func(rows pgx.Rows, p *PolicyListItem) error {
			return rows.Scan(&p.ID, &p.Slug, &p.RegionID, &p.Title, &p.TitleEn, &p.IssuingBody, &p.IssuedOn, &p.Summary, &p.SummaryEn,
				&p.RegionName, &p.RegionNameEn, &p.BenefitCount, &p.MaxAmountYuan)
		}))
	})
	return items, total, err
}

// conditions writes the filter as conditions on policies p, with their
// arguments.
func (f PolicyFilter) conditions(ctx context.Context) (string, pgx.NamedArgs) {
	conds := []string{publicRow(ctx, "p", "policies")}
	args := pgx.NamedArgs{}
	if len(f.RegionIDs) > 0 {
		conds, args["regions"] = append(conds, "p.region_id = ANY(@regions)"), f.RegionIDs
	}
	if f.ChainID != 0 {
		conds, args["chain"] = append(conds, "EXISTS (SELECT 1 FROM policy_chains pc WHERE pc.policy_id = p.id AND pc.chain_id = @chain)"), f.ChainID
	}
	if f.Benefit != "" {
		conds, args["benefit"] = append(conds, "EXISTS (SELECT 1 FROM benefit_items bk WHERE bk.policy_id = p.id AND bk.kind = @benefit)"), f.Benefit
	}
	today := f.Today.In(calendar.Beijing).Format(time.DateOnly)
	switch f.Validity {
	case PolicyInForce:
		conds, args["today"] = append(conds, "(p.effective_on IS NULL OR p.effective_on <= @today::date) AND (p.expires_on IS NULL OR p.expires_on >= @today::date)"), today
	case PolicyExpired:
		conds, args["today"] = append(conds, "p.expires_on < @today::date"), today
	}
	if len(f.Text) > 0 {
		conds = append(conds, textCondition("p", "policies", policySearchColumns, f.Text, args))
	}
	return strings.Join(conds, " AND "), args
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
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(nearestContactsSQL("@region"), pgx.NamedArgs{"region": regionID}).Query(collect(&contacts, scanContact))
	})
	return contacts, err
}

// nearestContactsSQL selects the contacts of the region whose id is the
// expression region, else of the nearest region above it that has any.
func nearestContactsSQL(region string) string {
	return `WITH RECURSIVE up AS (
			SELECT id, parent_id, 0 AS depth FROM regions WHERE id = ` + region + `
			UNION ALL
			SELECT r.id, r.parent_id, up.depth + 1 FROM regions r JOIN up ON r.id = up.parent_id
		) CYCLE id SET in_cycle USING cycle_path, nearest AS (
			SELECT min(up.depth) AS depth FROM up JOIN contacts c ON c.region_id = up.id WHERE NOT up.in_cycle
		)
		SELECT ` + contactColumns + ` FROM contacts c JOIN up ON c.region_id = up.id JOIN nearest ON up.depth = nearest.depth
		WHERE NOT up.in_cycle
		ORDER BY c.position, c.id`
}

// contactColumns are a contact as pages show it (handlers' contactCard).
const contactColumns = `c.id, c.name, c.name_en, c.title, c.title_en, c.organisation, c.organisation_en, c.phone, c.email, c.languages`

func scanContact(rows pgx.Rows, c *Contact) error {
	return rows.Scan(&c.ID, &c.Name, &c.NameEn, &c.Title, &c.TitleEn, &c.Organisation, &c.OrganisationEn, &c.Phone, &c.Email, &c.Languages)
}
