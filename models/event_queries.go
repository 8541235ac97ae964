package models

import (
	"context"

	"gorm.io/gorm"
)

// PublicEvents lists the published signing events, newest first, with their
// region and source article.
func PublicEvents(ctx context.Context, db *gorm.DB) ([]SigningEvent, error) {
	var events []SigningEvent
	err := db.WithContext(ctx).Scopes(Public("signing_events")).
		Preload("Region").Preload("SourceArticle").
		Order("held_on DESC, id DESC").Find(&events).Error
	return events, err
}

// PublicEventChoices lists the published signing events as a filter
// offers them, newest first: the project filter offers every event, 500
// on the bench data, and reading them whole through GORM with their
// regions and sources was half of that page's first view.
func PublicEventChoices(ctx context.Context, db *gorm.DB) ([]Choice, error) {
	return publicChoices(ctx, db, "signing_events", "t.held_on DESC, t.id DESC")
}

// LatestEvents lists the newest published signing events, of the given
// regions when any are given.
func LatestEvents(ctx context.Context, db *gorm.DB, regionIDs []int64, limit int) ([]SigningEvent, error) {
	q := db.WithContext(ctx).Scopes(Public("signing_events"))
	if len(regionIDs) > 0 {
		q = q.Where("region_id IN ?", regionIDs)
	}
	var events []SigningEvent
	err := q.Order("held_on DESC, id DESC").Limit(limit).Find(&events).Error
	return events, err
}

// EventDetail is a signing event with the projects linked to it.
type EventDetail struct {
	Event    SigningEvent
	Projects []Project        // with Region, ordered as entered
	Roles    map[int64]string // project id -> its role at this event
	Funnel   EventFunnel      // of the linked projects, next to what the event announced
}

// LoadEvent reads a published signing event by slug, with its published
// projects and their funnel.
func LoadEvent(ctx context.Context, db *gorm.DB, slug string) (EventDetail, error) {
	d := EventDetail{Roles: map[int64]string{}}
	db = db.WithContext(ctx)
	err := notFound(db.Scopes(Public("signing_events")).Preload("Region").Preload("SourceArticle").
		Where("slug = ?", slug).Take(&d.Event).Error)
	if err != nil {
		return d, err
	}
	var appearances []ProjectAppearance
	if err := db.Where("signing_event_id = ?", d.Event.ID).Order("project_id").Find(&appearances).Error; err != nil {
		return d, err
	}
	if len(appearances) == 0 {
		return d, nil
	}
	ids := make([]int64, len(appearances))
	for i, a := range appearances {
		ids[i] = a.ProjectID
		d.Roles[a.ProjectID] = a.Role
	}
	if err := db.Scopes(Public("projects")).Preload("Region").Where("id IN ?", ids).Order("id").Find(&d.Projects).Error; err != nil {
		return d, err
	}
	funnels, err := EventFunnels(ctx, db, []int64{d.Event.ID})
	d.Funnel = funnels[d.Event.ID]
	return d, err
}

// PublicNews lists the published news articles, newest first.
func PublicNews(ctx context.Context, db *gorm.DB) ([]NewsArticle, error) {
	var news []NewsArticle
	err := db.WithContext(ctx).Scopes(Public("news_articles")).
		Omit("body").Order("published_on DESC NULLS LAST, id DESC").Find(&news).Error
	return news, err
}

// LoadNews reads a published news article by slug.
func LoadNews(ctx context.Context, db *gorm.DB, slug string) (NewsArticle, error) {
	var a NewsArticle
	err := notFound(db.WithContext(ctx).Scopes(Public("news_articles")).Where("slug = ?", slug).Take(&a).Error)
	return a, err
}
