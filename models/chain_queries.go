package models

import (
	"context"

	"gorm.io/gorm"
)

// ChainDetail is everything an industry chain's page shows.
type ChainDetail struct {
	Chain         IndustryChain // with Parks
	Region        Region
	Policies      []Policy
	Links         []ChainLink // upstream first, each stage in the editors' order
	Projects      []Project
	Contacts      []Contact
	SourceArticle *NewsArticle
}

// LoadChain reads a published industry chain by slug.
func LoadChain(ctx context.Context, db *gorm.DB, slug string) (ChainDetail, error) {
	var d ChainDetail
	db = db.WithContext(ctx)
	err := notFound(db.Scopes(Public("industry_chains")).
		Preload("Parks", func(q *gorm.DB) *gorm.DB { return q.Scopes(Public("parks")).Order("id") }).
		Where("slug = ?", slug).Take(&d.Chain).Error)
	if err != nil {
		return d, err
	}
	ch := d.Chain
	if err := db.Take(&d.Region, ch.RegionID).Error; err != nil {
		return d, err
	}
	steps := []func() error{
		func() error {
			return db.Scopes(Public("policies")).
				Where("id IN (SELECT policy_id FROM policy_chains WHERE chain_id = ?)", ch.ID).Order("id").Find(&d.Policies).Error
		},
		func() error {
			return db.Scopes(Public("projects")).Preload("Region").Where("chain_id = ?", ch.ID).
				Order("signed_on DESC NULLS LAST, id DESC").Limit(50).Find(&d.Projects).Error
		},
		func() error { return db.Where("chain_id = ?", ch.ID).Order("position, id").Find(&d.Contacts).Error },
		func() error {
			return db.Where("chain_id = ?", ch.ID).
				Order("array_position(ARRAY['upstream', 'midstream', 'downstream'], stage), position").Find(&d.Links).Error
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return d, err
		}
	}
	if len(d.Contacts) == 0 {
		if d.Contacts, err = nearestRegionContacts(ctx, db, ch.RegionID); err != nil {
			return d, err
		}
	}
	d.SourceArticle, err = sourceArticle(ctx, db, ch.SourceArticleID)
	return d, err
}

// PublicChainBySlug finds a published industry chain.
func PublicChainBySlug(ctx context.Context, db *gorm.DB, slug string) (IndustryChain, error) {
	var c IndustryChain
	err := notFound(db.WithContext(ctx).Scopes(Public("industry_chains")).Where("slug = ?", slug).Take(&c).Error)
	return c, err
}

// PublicChains lists the published industry chains with their region.
func PublicChains(ctx context.Context, db *gorm.DB) ([]IndustryChain, error) {
	var chains []IndustryChain
	err := db.WithContext(ctx).Scopes(Public("industry_chains")).Order("region_id, id").Find(&chains).Error
	return chains, err
}

// PublicChainLink finds a link of a published chain, with its chain.
func PublicChainLink(ctx context.Context, db *gorm.DB, id int64) (ChainLink, IndustryChain, error) {
	var link ChainLink
	var chain IndustryChain
	db = db.WithContext(ctx)
	if err := notFound(db.Take(&link, id).Error); err != nil {
		return link, chain, err
	}
	err := notFound(db.Scopes(Public("industry_chains")).Take(&chain, link.ChainID).Error)
	return link, chain, err
}
