package models

import (
	"context"
	"github.com/jackc/pgx/v5"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"investportal/models/calendar"
)

// Site finder (智慧选址) sorts.
const (
	SiteSortArea     = "area"      // smallest first
	SiteSortAreaDesc = "area_desc" // largest first
	SiteSortRent     = "rent"      // cheapest rent first; sites without a published rent last
	SiteSortPrice    = "price"     // cheapest sale price first; without one last
	SiteSortReady    = "ready"     // ready soonest first; ready now (no date) first of all
)

// SiteStatusAny asks for sites of every status; an empty status asks for
// the available ones.
const SiteStatusAny = "any"

// SiteFilter is what an investor looks for across the parks.
type SiteFilter struct {
	RegionIDs            []int64 // the region and the ones below it; nil: anywhere
	ParkKind             string
	ChainID              int64 // parks the chain is based in
	Kind                 string
	Status               string // "" available, SiteStatusAny, or one status
	MinAreaM2, MaxAreaM2 decimal.NullDecimal
	MaxRent              decimal.NullDecimal // yuan per m² and month
	MaxPriceYuan         *int64
	ReadyBy              *time.Time // ready on or before; an available site without a date is ready now
	SiteID               int64      // one site only
	ParkID               int64      // one park's sites only
	Sort                 string
	Limit, Offset        int
}

// SiteResult is one site with its park, region and the park's first
// named officer.
type SiteResult struct {
	ParkSite
	ParkSlug, ParkName, ParkNameEn        string
	ParkKind                              string
	RegionID                              int64
	RegionSlug, RegionName, RegionNameEn  string
	ContactName, ContactNameEn            string
	ContactTitle, ContactOrganisation     string
	ContactTitleEn, ContactOrganisationEn string
	ContactPhone, ContactEmail, Languages string
}

// SearchSites finds the sites of public parks that the filter selects, a
// page of them in the order asked, and how many there are in all.
func SearchSites(ctx context.Context, db *gorm.DB, f SiteFilter) ([]SiteResult, int64, error) {
	conds := []string{publicRow(ctx, "pk", "parks")}
	args := pgx.NamedArgs{}
	switch f.Status {
	case "":
		conds = append(conds, "s.status = 'available'")
	case SiteStatusAny:
	default:
		conds, args["status"] = append(conds, "s.status = @status"), f.Status
	}
	if f.Kind != "" {
		conds, args["kind"] = append(conds, "s.kind = @kind"), f.Kind
	}
	if f.SiteID != 0 {
		conds, args["site"] = append(conds, "s.id = @site"), f.SiteID
	}
	if f.ParkID != 0 {
		conds, args["park"] = append(conds, "s.park_id = @park"), f.ParkID
	}
	if f.RegionIDs != nil {
		conds, args["regions"] = append(conds, "pk.region_id = ANY(@regions)"), f.RegionIDs
	}
	if f.ParkKind != "" {
		conds, args["park_kind"] = append(conds, "pk.kind = @park_kind"), f.ParkKind
	}
	if f.ChainID != 0 {
		conds, args["chain"] = append(conds, "EXISTS (SELECT 1 FROM chain_parks cp WHERE cp.park_id = pk.id AND cp.chain_id = @chain)"), f.ChainID
	}
	if f.MinAreaM2.Valid {
		conds, args["min_area"] = append(conds, "s.area_m2 >= @min_area"), f.MinAreaM2.Decimal
	}
	if f.MaxAreaM2.Valid {
		conds, args["max_area"] = append(conds, "s.area_m2 <= @max_area"), f.MaxAreaM2.Decimal
	}
	if f.MaxRent.Valid {
		conds, args["max_rent"] = append(conds, "s.rent_yuan_per_m2_month <= @max_rent"), f.MaxRent.Decimal
	}
	if f.MaxPriceYuan != nil {
		conds, args["max_price"] = append(conds, "s.sale_price_yuan <= @max_price"), *f.MaxPriceYuan
	}
	if f.ReadyBy != nil {
		conds = append(conds, "(s.ready_on <= CAST(@ready_by AS date) OR (s.ready_on IS NULL AND s.status = 'available'))")
		args["ready_by"] = f.ReadyBy.In(calendar.Beijing).Format(time.DateOnly)
	}
	from := `FROM park_sites s JOIN parks pk ON pk.id = s.park_id WHERE ` + strings.Join(conds, " AND ")

	order := map[string]string{
		SiteSortArea:     "s.area_m2, s.id",
		SiteSortAreaDesc: "s.area_m2 DESC, s.id",
		SiteSortRent:     "s.rent_yuan_per_m2_month NULLS LAST, s.area_m2, s.id",
		SiteSortPrice:    "s.sale_price_yuan NULLS LAST, s.area_m2, s.id",
		SiteSortReady:    "s.ready_on NULLS FIRST, s.area_m2, s.id",
	}[f.Sort]
	if order == "" {
		order = "s.area_m2, s.id"
	}
	args["limit"], args["offset"] = f.Limit, f.Offset
	var rows []SiteResult
	var total int64
	// One round trip, scanned by pgx: GORM's reflective scanning of the
	// rows was a third of a site search.
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue("SELECT count(*) "+from, args).QueryRow(func(row pgx.Row) error { return row.Scan(&total) })
		b.Queue(`
SELECT s.id, s.park_id, s.position, s.name, s.name_en, s.kind, s.status, s.description, s.description_en, s.area_m2, s.rent_yuan_per_m2_month,
	s.sale_price_yuan, s.ready_on, s.updated_at, pk.slug, pk.name, pk.name_en, pk.kind,
	r.id, r.slug, r.name, r.name_en,
	coalesce(c.name, ''), coalesce(c.name_en, ''), coalesce(c.title, ''), coalesce(c.title_en, ''),
	coalesce(c.organisation, ''), coalesce(c.organisation_en, ''), coalesce(c.phone, ''), coalesce(c.email, ''), coalesce(c.languages, '')
FROM (SELECT s.* `+from+` ORDER BY `+order+` LIMIT @limit OFFSET @offset) s
JOIN parks pk ON pk.id = s.park_id
JOIN regions r ON r.id = pk.region_id
LEFT JOIN LATERAL (SELECT * FROM contacts c WHERE c.park_id = pk.id ORDER BY c.position, c.id LIMIT 1) c ON true
ORDER BY `+order, args).Query(collect(&rows, scanSiteResult))
	})
	return rows, total, err
}

// scanSiteResult scans the columns SearchSites and LoadPublicSites select.
func scanSiteResult(rows pgx.Rows, r *SiteResult) error {
	return rows.Scan(&r.ID, &r.ParkID, &r.Position, &r.Name, &r.NameEn, &r.Kind, &r.Status, &r.Description, &r.DescriptionEn,
		&r.AreaM2, &r.RentYuanPerM2Month, &r.SalePriceYuan, &r.ReadyOn, &r.UpdatedAt, &r.ParkSlug, &r.ParkName, &r.ParkNameEn,
		&r.ParkKind, &r.RegionID, &r.RegionSlug, &r.RegionName, &r.RegionNameEn, &r.ContactName, &r.ContactNameEn,
		&r.ContactTitle, &r.ContactTitleEn, &r.ContactOrganisation, &r.ContactOrganisationEn, &r.ContactPhone,
		&r.ContactEmail, &r.Languages)
}

// PolicyTitle names a policy.
type PolicyTitle struct {
	Slug, Title, TitleEn string
}

// PoliciesInForce are the first of the policies in force at a place, and
// how many there are in all.
type PoliciesInForce struct {
	First []PolicyTitle
	Total int
}

// PoliciesInForceAt gives, for each region given (nil: each region with
// a public park), the first few (newest first) of the public policies in
// force there today in Beijing, its own and those of the regions above
// it, and their number. Only the first are read: a city may have
// thousands.
func PoliciesInForceAt(ctx context.Context, db *gorm.DB, regionIDs []int64, now time.Time, first int) (map[int64]PoliciesInForce, error) {
	var rows []struct {
		Start int64
		Total int
		PolicyTitle
	}
	starts, args := "r.id IN (SELECT pk.region_id FROM parks pk WHERE "+publicRow(ctx, "pk", "parks")+")", map[string]any{}
	if regionIDs != nil {
		starts, args["regions"] = "r.id IN @regions", regionIDs
	}
	args["today"], args["first"] = now.In(calendar.Beijing).Format(time.DateOnly), first
	inForce := publicRow(ctx, "p", "policies") + `
	AND (p.effective_on IS NULL OR p.effective_on <= CAST(@today AS date))
	AND (p.expires_on IS NULL OR p.expires_on >= CAST(@today AS date))`
	// The newest few of each region on the way up, from the index on
	// (region, effective date), then the newest of those; the count reads
	// only the validity index.
	err := db.WithContext(ctx).Raw(`
WITH RECURSIVE up AS (
	SELECT r.id AS start, r.id, r.parent_id FROM regions r WHERE `+starts+`
	UNION ALL SELECT u.start, r.id, r.parent_id FROM regions r JOIN up u ON r.id = u.parent_id
), counted AS (
	SELECT u.start, count(*) AS total FROM up u JOIN policies p ON p.region_id = u.id
	WHERE `+inForce+`
	GROUP BY u.start
), newest AS (
	SELECT u.start, f.* FROM up u CROSS JOIN LATERAL (
		SELECT p.id, p.effective_on, p.slug, p.title, p.title_en FROM policies p
		WHERE p.region_id = u.id AND `+inForce+`
		ORDER BY p.effective_on DESC NULLS LAST, p.id DESC LIMIT @first
	) f
)
SELECT start, total, slug, title, title_en FROM (
	SELECT w.*, row_number() OVER (PARTITION BY w.start ORDER BY w.effective_on DESC NULLS LAST, w.id DESC) AS n
	FROM newest w
) ranked JOIN counted USING (start)
WHERE n <= @first
ORDER BY start, n`, args).Scan(&rows).Error
	out := map[int64]PoliciesInForce{}
	for _, r := range rows {
		p := out[r.Start]
		p.First, p.Total = append(p.First, r.PolicyTitle), r.Total
		out[r.Start] = p
	}
	return out, err
}
