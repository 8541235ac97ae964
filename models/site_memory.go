package models

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"investportal/models/calendar"
)

// PublicSites is every site of the public parks, with what a result
// shows, to be searched in memory (Find) rather than by a statement per
// search. Parks hold hundreds of sites at most, thousands across a city
// (the bench's 10 000 take about 6 MB): the site finder's typed filters
// (areas, rents, prices, dates) make every search new, and a statement
// and its round trip were most of each one's cost. The handlers keep the
// value in the data memo, so it is read again after any change to the
// tables it comes from, or once the next scheduled park falls due.
type PublicSites struct {
	sites  []ParkSite
	parks  map[int64]*SiteResult // by park id: the park, region and contact fields of its sites' results
	chains map[int64][]int64     // park id → the chains based there
}

// LoadPublicSites reads every site of the public parks in one round trip:
// the sites, and apart their parks with region and first contact, which
// hundreds of sites share (scanning them into every site was most of the
// reading's cost).
func LoadPublicSites(ctx context.Context, db *gorm.DB) (PublicSites, error) {
	all := PublicSites{parks: map[int64]*SiteResult{}, chains: map[int64][]int64{}}
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(`
SELECT pk.id, pk.slug, pk.name, pk.name_en, pk.kind, r.id, r.slug, r.name, r.name_en,
	coalesce(c.name, ''), coalesce(c.name_en, ''), coalesce(c.title, ''), coalesce(c.title_en, ''),
	coalesce(c.organisation, ''), coalesce(c.organisation_en, ''), coalesce(c.phone, ''), coalesce(c.email, ''), coalesce(c.languages, '')
FROM parks pk
JOIN regions r ON r.id = pk.region_id
LEFT JOIN LATERAL (SELECT * FROM contacts c WHERE c.park_id = pk.id ORDER BY c.position, c.id LIMIT 1) c ON true
WHERE ` + publicRow(ctx, "pk", "parks")).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				r := &SiteResult{}
				err := rows.Scan(&r.ParkID, &r.ParkSlug, &r.ParkName, &r.ParkNameEn, &r.ParkKind, &r.RegionID, &r.RegionSlug, &r.RegionName,
					&r.RegionNameEn, &r.ContactName, &r.ContactNameEn, &r.ContactTitle, &r.ContactTitleEn, &r.ContactOrganisation,
					&r.ContactOrganisationEn, &r.ContactPhone, &r.ContactEmail, &r.Languages)
				if err != nil {
					return err
				}
				all.parks[r.ParkID] = r
			}
			return rows.Err()
		})
		b.Queue(`
SELECT s.id, s.park_id, s.position, s.name, s.name_en, s.kind, s.status, s.description, s.description_en, s.area_m2, s.rent_yuan_per_m2_month,
	s.sale_price_yuan, s.ready_on, s.updated_at
FROM park_sites s JOIN parks pk ON pk.id = s.park_id
WHERE ` + publicRow(ctx, "pk", "parks")).Query(func(rows pgx.Rows) error {
			var area, rent pgtype.Numeric
			for rows.Next() {
				var s ParkSite
				err := rows.Scan(&s.ID, &s.ParkID, &s.Position, &s.Name, &s.NameEn, &s.Kind, &s.Status, &s.Description, &s.DescriptionEn,
					&area, &rent, &s.SalePriceYuan, &s.ReadyOn, &s.UpdatedAt)
				if err != nil {
					return err
				}
				if !finite(area) || rent.Valid && !finite(rent) {
					return fmt.Errorf("park site %d: area or rent is not a finite number", s.ID)
				}
				// pgx's own numeric, not the decimal's text scanner: a
				// third of the reading's time went to parsing text.
				s.AreaM2 = decimal.NewFromBigInt(area.Int, area.Exp)
				if rent.Valid {
					s.RentYuanPerM2Month = decimal.NewNullDecimal(decimal.NewFromBigInt(rent.Int, rent.Exp))
				} else {
					s.RentYuanPerM2Month = decimal.NullDecimal{}
				}
				all.sites = append(all.sites, s)
			}
			return rows.Err()
		})
		b.Queue(`SELECT park_id, chain_id FROM chain_parks`).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var park, chain int64
				if err := rows.Scan(&park, &chain); err != nil {
					return err
				}
				all.chains[park] = append(all.chains[park], chain)
			}
			return rows.Err()
		})
	})
	return all, err
}

func finite(n pgtype.Numeric) bool {
	return n.Valid && !n.NaN && n.InfinityModifier == pgtype.Finite && n.Int != nil
}

// Find is SearchSites on the sites in memory: the same results in the
// same order, and their number.
func (all PublicSites) Find(f SiteFilter) ([]SiteResult, int64) {
	var regions map[int64]bool
	if f.RegionIDs != nil {
		regions = make(map[int64]bool, len(f.RegionIDs))
		for _, id := range f.RegionIDs {
			regions[id] = true
		}
	}
	readyBy := ""
	if f.ReadyBy != nil {
		readyBy = f.ReadyBy.In(calendar.Beijing).Format(time.DateOnly)
	}
	var found []*ParkSite
	for i := range all.sites {
		s := &all.sites[i]
		park := all.parks[s.ParkID]
		switch {
		case park == nil, // read apart from its sites, and not public then
			f.Status == "" && s.Status != SiteAvailable,
			f.Status != "" && f.Status != SiteStatusAny && s.Status != f.Status,
			f.Kind != "" && s.Kind != f.Kind,
			f.SiteID != 0 && s.ID != f.SiteID,
			f.ParkID != 0 && s.ParkID != f.ParkID,
			regions != nil && !regions[park.RegionID],
			f.ParkKind != "" && park.ParkKind != f.ParkKind,
			f.ChainID != 0 && !slices.Contains(all.chains[s.ParkID], f.ChainID),
			f.MinAreaM2.Valid && s.AreaM2.LessThan(f.MinAreaM2.Decimal),
			f.MaxAreaM2.Valid && s.AreaM2.GreaterThan(f.MaxAreaM2.Decimal),
			f.MaxRent.Valid && (!s.RentYuanPerM2Month.Valid || s.RentYuanPerM2Month.Decimal.GreaterThan(f.MaxRent.Decimal)),
			f.MaxPriceYuan != nil && (s.SalePriceYuan == nil || *s.SalePriceYuan > *f.MaxPriceYuan),
			readyBy != "" && !(s.ReadyOn != nil && s.ReadyOn.Format(time.DateOnly) <= readyBy || s.ReadyOn == nil && s.Status == SiteAvailable):
			continue
		}
		found = append(found, s)
	}
	slices.SortFunc(found, siteOrder(f.Sort))
	page := found[min(f.Offset, len(found)):min(f.Offset+f.Limit, len(found))]
	out := make([]SiteResult, len(page))
	for i, s := range page {
		out[i] = *all.parks[s.ParkID]
		out[i].ParkSite = *s
	}
	return out, int64(len(found))
}

// siteOrder is SearchSites' ORDER BY for each sort: the sort's key, then
// the area and the id.
func siteOrder(sort string) func(a, b *ParkSite) int {
	byArea := func(a, b *ParkSite) int { return cmp.Or(a.AreaM2.Cmp(b.AreaM2), cmp.Compare(a.ID, b.ID)) }
	switch sort {
	case SiteSortAreaDesc:
		return func(a, b *ParkSite) int { return cmp.Or(b.AreaM2.Cmp(a.AreaM2), cmp.Compare(a.ID, b.ID)) }
	case SiteSortRent:
		return func(a, b *ParkSite) int {
			return cmp.Or(nullsLast(a.RentYuanPerM2Month.Valid, b.RentYuanPerM2Month.Valid, func() int {
				return a.RentYuanPerM2Month.Decimal.Cmp(b.RentYuanPerM2Month.Decimal)
			}), byArea(a, b))
		}
	case SiteSortPrice:
		return func(a, b *ParkSite) int {
			return cmp.Or(nullsLast(a.SalePriceYuan != nil, b.SalePriceYuan != nil, func() int {
				return cmp.Compare(*a.SalePriceYuan, *b.SalePriceYuan)
			}), byArea(a, b))
		}
	case SiteSortReady:
		return func(a, b *ParkSite) int {
			return cmp.Or(-nullsLast(a.ReadyOn != nil, b.ReadyOn != nil, func() int { return 0 }), readyCmp(a.ReadyOn, b.ReadyOn), byArea(a, b))
		}
	}
	return byArea
}

// nullsLast orders a missing value after a present one, and two present
// ones by compare.
func nullsLast(aSet, bSet bool, compare func() int) int {
	switch {
	case aSet && bSet:
		return compare()
	case aSet:
		return -1
	case bSet:
		return 1
	}
	return 0
}

func readyCmp(a, b *time.Time) int {
	if a == nil || b == nil {
		return 0
	}
	return a.Compare(*b)
}
