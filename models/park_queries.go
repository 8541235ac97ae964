package models

import (
	"context"

	"gorm.io/gorm"
)

// ParkListItem is a park with what the parks index shows.
type ParkListItem struct {
	Park
	RegionName, RegionNameEn string
	AvailableSites           int
}

// PublicParks lists the published parks, each after its parent park.
func PublicParks(ctx context.Context, db *gorm.DB) ([]ParkListItem, error) {
	var parks []ParkListItem
	err := db.WithContext(ctx).Table("parks").Scopes(Public("parks")).Where("parks.deleted_at IS NULL").
		Select(`parks.*, regions.name AS region_name, regions.name_en AS region_name_en,
			(SELECT count(*) FROM park_sites s WHERE s.park_id = parks.id AND s.status = ?) AS available_sites`, SiteAvailable).
		Joins("JOIN regions ON regions.id = parks.region_id").
		Order("coalesce(parks.parent_park_id, parks.id), parks.parent_park_id NULLS FIRST, parks.id").
		Find(&parks).Error
	return parks, err
}

// PublicParkChoices lists the published parks as a filter offers them,
// in PublicParks' order (which counts every park's available sites,
// thousands on the bench data).
func PublicParkChoices(ctx context.Context, db *gorm.DB) ([]Choice, error) {
	return publicChoices(ctx, db, "parks", "coalesce(t.parent_park_id, t.id), t.parent_park_id NULLS FIRST, t.id")
}

// ParkDetail is everything a park's page shows.
type ParkDetail struct {
	// Park with its first ParkSitesShown sites, available first, of
	// SiteCount in all (the site finder lists them all, by park).
	Park      Park
	SiteCount int64
	Region    Region
	Parent    *Park
	Children  []Park
	Chains    []IndustryChain
	// Policies are the latest RegionPolicyLimit of those of the park's
	// region and the regions above it, PolicyCount in all.
	Policies      []Policy
	PolicyCount   int64
	Projects      []Project
	Contacts      []Contact // the park's officers, else the region's
	SourceArticle *NewsArticle
}

// ParkSitesShown is how many sites a park's page lists: a park may have
// hundreds, which the site finder pages and filters.
const ParkSitesShown = 10

// LoadPark reads a published park by slug.
func LoadPark(ctx context.Context, db *gorm.DB, slug string) (ParkDetail, error) {
	var d ParkDetail
	db = db.WithContext(ctx)
	err := notFound(db.Scopes(Public("parks")).
		Preload("Sites", func(q *gorm.DB) *gorm.DB {
			return q.Order("CASE status WHEN 'available' THEN 0 WHEN 'under_construction' THEN 1 WHEN 'reserved' THEN 2 ELSE 3 END, position").
				Limit(ParkSitesShown)
		}).
		Where("slug = ?", slug).Take(&d.Park).Error)
	if err != nil {
		return d, err
	}
	p := d.Park
	if err := db.Take(&d.Region, p.RegionID).Error; err != nil {
		return d, err
	}
	if p.ParentParkID != nil {
		var parent Park
		if err := db.Scopes(Public("parks")).Take(&parent, *p.ParentParkID).Error; err == nil {
			d.Parent = &parent
		}
	}
	above, err := RegionIDsAbove(ctx, db, p.RegionID)
	if err != nil {
		return d, err
	}
	steps := []func() error{
		func() error {
			return db.Scopes(Public("parks")).Where("parent_park_id = ?", p.ID).Order("id").Find(&d.Children).Error
		},
		func() error {
			return db.Scopes(Public("industry_chains")).
				Where("id IN (SELECT chain_id FROM chain_parks WHERE park_id = ?)", p.ID).Order("id").Find(&d.Chains).Error
		},
		func() error {
			return db.Scopes(Public("policies")).Where("region_id IN ?", above).
				Order("issued_on DESC NULLS LAST, id DESC").Limit(RegionPolicyLimit).Find(&d.Policies).Error
		},
		func() error {
			return db.Model(&Policy{}).Scopes(Public("policies")).Where("region_id IN ?", above).Count(&d.PolicyCount).Error
		},
		func() error {
			return db.Scopes(Public("projects")).Preload("Region").
				// An array, not an OR: with an OR the planner walked every
				// project from the newest, looking for twenty in the park.
				Where("park_id = ANY(ARRAY[?::bigint] || ARRAY(SELECT id FROM parks WHERE parent_park_id = ?))", p.ID, p.ID).
				Order("signed_on DESC NULLS LAST, id DESC").Limit(20).Find(&d.Projects).Error
		},
		func() error { return db.Where("park_id = ?", p.ID).Order("position, id").Find(&d.Contacts).Error },
		func() error { return db.Model(&ParkSite{}).Where("park_id = ?", p.ID).Count(&d.SiteCount).Error },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return d, err
		}
	}
	if len(d.Contacts) == 0 {
		if d.Contacts, err = nearestRegionContacts(ctx, db, p.RegionID); err != nil {
			return d, err
		}
	}
	d.SourceArticle, err = sourceArticle(ctx, db, p.SourceArticleID)
	return d, err
}

// sourceArticle loads the article a record cites, without its body.
func sourceArticle(ctx context.Context, db *gorm.DB, id *int64) (*NewsArticle, error) {
	// A dangling citation hides the source line, nothing more.
	return takeIfSet[NewsArticle](db.WithContext(ctx).Omit("body"), id)
}
