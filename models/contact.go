package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Contact is the named officer responsible for exactly one region, park or
// industry chain.
type Contact struct {
	ID              int64
	RegionID        *int64
	ParkID          *int64
	ChainID         *int64
	Position        int
	Name            string
	NameEn          string
	Title           string
	TitleEn         string
	Organisation    string
	OrganisationEn  string
	Phone           string
	Email           string
	Languages       string // comma-separated BCP 47 tags: "zh,en"
	SourceArticleID *int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// PlacedContact is a named officer with the region, park or chain they
// are responsible for.
type PlacedContact struct {
	Contact
	PlaceKind                         string // "region", "park" or "chain"
	PlaceSlug, PlaceName, PlaceNameEn string
}

// ContactDirectory lists the named officers of every public region, park
// and industry chain: regions first, then parks, then chains, each in
// the order editors gave them.
func ContactDirectory(ctx context.Context, db *gorm.DB) ([]PlacedContact, error) {
	var rows []PlacedContact
	err := db.WithContext(ctx).Raw(`
SELECT c.*, pl.kind AS place_kind, pl.slug AS place_slug, pl.name AS place_name, pl.name_en AS place_name_en
FROM contacts c
JOIN LATERAL (
	SELECT 'region' AS kind, 1 AS rank, t.id, t.slug, t.name, t.name_en FROM regions t WHERE t.id = c.region_id AND ` + publicRow(ctx, "t", "regions") + `
	UNION ALL
	SELECT 'park', 2, t.id, t.slug, t.name, t.name_en FROM parks t WHERE t.id = c.park_id AND ` + publicRow(ctx, "t", "parks") + `
	UNION ALL
	SELECT 'chain', 3, t.id, t.slug, t.name, t.name_en FROM industry_chains t WHERE t.id = c.chain_id AND ` + publicRow(ctx, "t", "industry_chains") + `
) pl ON true
ORDER BY pl.rank, pl.id, c.position, c.id`).Scan(&rows).Error
	return rows, err
}
