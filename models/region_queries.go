package models

import (
	"context"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// RegionProfile is everything a region's public page shows.
type RegionProfile struct {
	Region    Region   // with Figures (and their source articles) and Measures
	Ancestors []Region // from the top-level region down to the parent
	Children  []Region
	Parks     []Park
	Chains    []IndustryChain
	// Policies are the latest RegionPolicyLimit of those that apply there:
	// the region's own and those of the regions above it, PolicyCount in all.
	Policies    []Policy
	PolicyCount int64
	Contacts    []Contact // the region's officers, or the nearest region above's
	Projects    []Project // in the region and every region below it, newest first
	Totals      ProjectTotals
	SourceName  string // the article the profile was written from
}

// RegionPolicyLimit is how many policies a region's page lists; the
// policy list filtered by the region has them all.
const RegionPolicyLimit = 12

// ProjectTotals sums a set of projects.
type ProjectTotals struct {
	Count          int64
	ContractedYuan int64
	CompletedYuan  int64
}

// PublicRegions lists the published regions in tree order: each region
// after its parent, siblings by id.
func PublicRegions(ctx context.Context, db *gorm.DB) ([]Region, error) {
	var regions []Region
	err := db.WithContext(ctx).Raw(`
		WITH RECURSIVE tree AS (
			SELECT r.*, ARRAY[r.id] AS sort_path FROM regions r
			WHERE r.parent_id IS NULL
			UNION ALL
			SELECT r.*, tree.sort_path || r.id FROM regions r JOIN tree ON r.parent_id = tree.id
		) CYCLE id SET in_cycle USING cycle_path
		SELECT * FROM tree
		WHERE status = ? AND (publish_at IS NULL OR publish_at <= now()) AND deleted_at IS NULL AND NOT in_cycle
		ORDER BY sort_path`, StatusPublished).Scan(&regions).Error
	return regions, err
}

// RegionIDsBelow returns the ids of a region and every published region
// below it: the regions whose projects count towards it.
func RegionIDsBelow(ctx context.Context, db *gorm.DB, id int64) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Raw(`
		WITH RECURSIVE below AS (
			SELECT id FROM regions WHERE id = ?
			UNION ALL
			SELECT r.id FROM regions r JOIN below ON r.parent_id = below.id
			WHERE r.status = ? AND (r.publish_at IS NULL OR r.publish_at <= now()) AND r.deleted_at IS NULL
		) CYCLE id SET in_cycle USING cycle_path
		SELECT id FROM below WHERE NOT in_cycle`, id, StatusPublished).Scan(&ids).Error
	return ids, err
}

// regionAncestors returns the regions above id, top-level first.
func regionAncestors(ctx context.Context, db *gorm.DB, id int64) ([]Region, error) {
	var regions []Region
	err := db.WithContext(ctx).Raw(`
		WITH RECURSIVE above AS (
			SELECT parent_id, 0 AS depth FROM regions WHERE id = ?
			UNION ALL
			SELECT r.parent_id, above.depth + 1 FROM regions r JOIN above ON r.id = above.parent_id
		) CYCLE parent_id SET in_cycle USING cycle_path
		SELECT r.* FROM above JOIN regions r ON r.id = above.parent_id
		WHERE NOT above.in_cycle AND r.id <> ?
		ORDER BY above.depth DESC`, id, id).Scan(&regions).Error
	return regions, err
}

// LoadRegionProfile reads a published region's page by slug.
func LoadRegionProfile(ctx context.Context, db *gorm.DB, slug string) (RegionProfile, error) {
	var p RegionProfile
	db = db.WithContext(ctx)
	err := notFound(db.Scopes(Public("regions")).
		Preload("Figures", func(q *gorm.DB) *gorm.DB { return q.Order("position") }).
		Preload("Figures.SourceArticle").
		Preload("Measures", func(q *gorm.DB) *gorm.DB { return q.Order("position") }).
		Where("slug = ?", slug).Take(&p.Region).Error)
	if err != nil {
		return p, err
	}
	id := p.Region.ID

	if p.Ancestors, err = regionAncestors(ctx, db, id); err != nil {
		return p, err
	}
	below, err := RegionIDsBelow(ctx, db, id)
	if err != nil {
		return p, err
	}
	nearestFirst := []int64{id} // the region, its parent, its grandparent, …
	for i := len(p.Ancestors) - 1; i >= 0; i-- {
		nearestFirst = append(nearestFirst, p.Ancestors[i].ID)
	}

	steps := []func() error{
		func() error {
			return db.Scopes(Public("regions")).Where("parent_id = ?", id).Order("id").Find(&p.Children).Error
		},
		func() error {
			return db.Scopes(Public("parks")).Where("region_id IN ?", below).Order("parent_park_id NULLS FIRST, id").Find(&p.Parks).Error
		},
		func() error {
			return db.Scopes(Public("industry_chains")).Where("region_id IN ?", below).Order("id").Find(&p.Chains).Error
		},
		func() error {
			return db.Scopes(Public("policies")).Where("region_id IN ?", nearestFirst).
				Order("issued_on DESC NULLS LAST, id DESC").Limit(RegionPolicyLimit).Find(&p.Policies).Error
		},
		func() error {
			return db.Model(&Policy{}).Scopes(Public("policies")).Where("region_id IN ?", nearestFirst).Count(&p.PolicyCount).Error
		},
		func() error {
			return db.Scopes(Public("projects")).Preload("Region").Where("region_id IN ?", below).
				Order("signed_on DESC NULLS LAST, id DESC").Limit(20).Find(&p.Projects).Error
		},
		func() error { // from the rollup: a city's tens of thousands of projects are not summed per visit
			return readPage(ctx, db, func(b *pgx.Batch) { queueRollupTotals(b, below, "all", "", &p.Totals) })
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return p, err
		}
	}
	if p.Contacts, err = nearestRegionContacts(ctx, db, id); err != nil {
		return p, err
	}
	source, err := sourceArticle(ctx, db, p.Region.SourceArticleID)
	if source != nil {
		p.SourceName = source.SourceName
	}
	return p, err
}

// RegionIDsAbove returns a region's id and the ids of every region above it:
// the regions whose policies apply there.
func RegionIDsAbove(ctx context.Context, db *gorm.DB, regionID int64) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Raw(`
		WITH RECURSIVE up AS (
			SELECT id, parent_id FROM regions WHERE id = ?
			UNION ALL
			SELECT r.id, r.parent_id FROM regions r JOIN up ON r.id = up.parent_id
		) CYCLE id SET in_cycle USING cycle_path
		SELECT id FROM up WHERE NOT in_cycle`, regionID).Scan(&ids).Error
	return ids, err
}

// PublicRegionBySlug finds a published region.
func PublicRegionBySlug(ctx context.Context, db *gorm.DB, slug string) (Region, error) {
	var r Region
	err := notFound(db.WithContext(ctx).Scopes(Public("regions")).Where("slug = ?", slug).Take(&r).Error)
	return r, err
}
