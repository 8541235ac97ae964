package models

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"
)

// InvestorBrief is a planned project's answers to the incentive matcher
// with the region, park and site chosen (migration 00026).
type InvestorBrief struct {
	ID        int64
	Token     string
	Answers   string // the matcher's form as a URL query
	RegionID  int64
	ParkID    *int64
	Site      []byte `gorm:"type:jsonb"` // a BriefSite, or NULL
	ClientKey []byte
	CreatedAt time.Time
}

// TableName keeps GORM on the schema's name.
func (InvestorBrief) TableName() string { return "investor_briefs" }

// BriefSite is a site as it was when the brief was made.
type BriefSite struct {
	Name, Kind, Status, Description string
	NameEn, DescriptionEn           string
	AreaM2                          string
	RentYuanPerM2Month              string // "" when not published
	SalePriceYuan                   *int64
	ReadyOn                         *time.Time
}

// ChosenSite is the brief's site, nil when none was chosen.
func (b InvestorBrief) ChosenSite() (*BriefSite, error) {
	if len(b.Site) == 0 {
		return nil, nil
	}
	var s BriefSite
	return &s, json.Unmarshal(b.Site, &s)
}

// ChooseSite keeps a site in the brief as it is now.
func (b *InvestorBrief) ChooseSite(s ParkSite) error {
	bs := BriefSite{Name: s.Name, NameEn: s.NameEn, Kind: s.Kind, Status: s.Status, Description: s.Description,
		DescriptionEn: s.DescriptionEn, AreaM2: s.AreaM2.String(),
		SalePriceYuan: s.SalePriceYuan, ReadyOn: s.ReadyOn}
	if s.RentYuanPerM2Month.Valid {
		bs.RentYuanPerM2Month = s.RentYuanPerM2Month.Decimal.String()
	}
	var err error
	b.ParkID = &s.ParkID
	b.Site, err = json.Marshal(bs)
	return err
}

// BriefsPerClientPerHour limits how many briefs one network makes.
const BriefsPerClientPerHour = 30

// ErrTooManyBriefs is returned when a network made too many briefs lately.
var ErrTooManyBriefs = errors.New("too many briefs from this network")

// CreateBrief stores a brief unless its creator's network made
// BriefsPerClientPerHour of them in the last hour.
func CreateBrief(ctx context.Context, db *gorm.DB, b *InvestorBrief) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// One creator at a time per network, so the count holds.
		if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", "brief:"+hex.EncodeToString(b.ClientKey)).Error; err != nil {
			return err
		}
		var recent int64
		if err := tx.Model(&InvestorBrief{}).Where("client_key = ? AND created_at > now() - interval '1 hour'", b.ClientKey).
			Count(&recent).Error; err != nil {
			return err
		}
		if recent >= BriefsPerClientPerHour {
			return ErrTooManyBriefs
		}
		// Past the limit's hour a brief's network is of no use: forget it.
		if err := tx.Exec(`UPDATE investor_briefs SET client_key = NULL
			WHERE client_key IS NOT NULL AND created_at <= now() - interval '1 hour'`).Error; err != nil {
			return err
		}
		return tx.Create(b).Error
	})
}

// BriefByToken finds a brief by its address.
func BriefByToken(ctx context.Context, db *gorm.DB, token string) (InvestorBrief, error) {
	var b InvestorBrief
	err := db.WithContext(ctx).Where("token = ?", token).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, ErrNotFound
	}
	return b, err
}

// PlacedMeasure is a business-environment measure with its region.
type PlacedMeasure struct {
	BusinessMeasure
	RegionName, RegionNameEn string
}

// MeasuresAt lists the business-environment measures of the given regions
// (a region and those above it), in the order given, each region's in its
// own order.
func MeasuresAt(ctx context.Context, db *gorm.DB, regionIDs []int64) ([]PlacedMeasure, error) {
	var rows []PlacedMeasure
	err := db.WithContext(ctx).Raw(`
SELECT m.*, r.name AS region_name, r.name_en AS region_name_en
FROM business_measures m JOIN regions r ON r.id = m.region_id
WHERE m.region_id IN @regions AND `+publicRow(ctx, "r", "regions")+`
ORDER BY m.position, m.id`, map[string]any{"regions": regionIDs}).Scan(&rows).Error
	slices.SortStableFunc(rows, func(a, b PlacedMeasure) int {
		return slices.Index(regionIDs, a.RegionID) - slices.Index(regionIDs, b.RegionID)
	})
	return rows, err
}

// BriefPlaces are the current addresses of a brief's region and park.
type BriefPlaces struct {
	RegionSlug string
	ParkSlug   string // "" when no park was chosen or it is no longer public
}

// LoadBriefPlaces finds where a brief's region and park are published now;
// ErrNotFound when the region is not.
func LoadBriefPlaces(ctx context.Context, db *gorm.DB, b InvestorBrief) (BriefPlaces, error) {
	var p BriefPlaces
	err := db.WithContext(ctx).Raw(`
SELECT r.slug AS region_slug, coalesce(k.slug, '') AS park_slug
FROM regions r LEFT JOIN parks k ON k.id = @park AND `+publicRow(ctx, "k", "parks")+`
WHERE r.id = @region AND `+publicRow(ctx, "r", "regions"),
		map[string]any{"region": b.RegionID, "park": b.ParkID}).Scan(&p).Error
	if err == nil && p.RegionSlug == "" {
		err = ErrNotFound
	}
	return p, err
}

// ParkSite is the kept site in the shape of a park's site, to show it alike.
func (s BriefSite) ParkSite() ParkSite {
	p := ParkSite{Name: s.Name, NameEn: s.NameEn, Kind: s.Kind, Status: s.Status, Description: s.Description,
		DescriptionEn: s.DescriptionEn, SalePriceYuan: s.SalePriceYuan, ReadyOn: s.ReadyOn}
	p.AreaM2, _ = decimal.NewFromString(s.AreaM2)
	if rent, err := decimal.NewFromString(s.RentYuanPerM2Month); err == nil {
		p.RentYuanPerM2Month = decimal.NewNullDecimal(rent)
	}
	return p
}
