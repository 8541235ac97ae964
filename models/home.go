package models

import (
	"context"

	"gorm.io/gorm"
)

// SigningKinds are the event kinds whose reported figures count as signings;
// construction starts and cooperation memoranda do not.
var SigningKinds = []string{EventCeremony, EventOnlineSigning, EventConference}

// SigningTotals sums what the public signing events announced.
type SigningTotals struct {
	Events    int64
	Projects  int64
	TotalYuan int64
}

// HomeSummary is what the home page shows, read in one place.
type HomeSummary struct {
	Signings     SigningTotals
	Featured     []RegionFigure // headline figures with region and source
	LatestEvents []SigningEvent
	Regions      []Region // top-level regions and economic zones
	LatestNews   []NewsArticle
	RegionCount  int64
	ParkCount    int64
	PolicyCount  int64
	ProjectCount int64
}

// LoadHomeSummary reads the home page's figures and lists from the database.
func LoadHomeSummary(ctx context.Context, db *gorm.DB) (HomeSummary, error) {
	var s HomeSummary
	db = db.WithContext(ctx)

	err := db.Model(&SigningEvent{}).Scopes(Public("signing_events")).
		Where("kind IN ?", SigningKinds).
		Select("count(*) AS events, coalesce(sum(reported_project_count), 0) AS projects, coalesce(sum(reported_total_yuan), 0) AS total_yuan").
		Scan(&s.Signings).Error
	if err != nil {
		return s, err
	}

	err = db.Joins("JOIN regions ON regions.id = region_figures.region_id").
		Scopes(Public("regions")).Where("regions.deleted_at IS NULL").
		Where("region_figures.featured").
		Preload("Region").Preload("SourceArticle").
		Order("regions.id, region_figures.position").
		Find(&s.Featured).Error
	if err != nil {
		return s, err
	}

	err = db.Scopes(Public("signing_events")).Where("kind IN ?", SigningKinds).
		Preload("Region").Preload("SourceArticle").
		Order("held_on DESC, id DESC").Limit(5).Find(&s.LatestEvents).Error
	if err != nil {
		return s, err
	}

	err = db.Scopes(Public("regions")).
		Where("parent_id IS NULL OR kind = ?", RegionCity).
		Order("id").Find(&s.Regions).Error
	if err != nil {
		return s, err
	}

	err = db.Scopes(Public("news_articles")).
		Order("published_on DESC NULLS LAST, id DESC").Limit(5).Find(&s.LatestNews).Error
	if err != nil {
		return s, err
	}

	counts := []struct {
		model any
		table string
		into  *int64
	}{
		{&Region{}, "regions", &s.RegionCount},
		{&Park{}, "parks", &s.ParkCount},
		{&Policy{}, "policies", &s.PolicyCount},
	}
	for _, c := range counts {
		if err := db.Model(c.model).Scopes(Public(c.table)).Count(c.into).Error; err != nil {
			return s, err
		}
	}
	s.ProjectCount, err = CountPublicProjects(ctx, db)
	return s, err
}
