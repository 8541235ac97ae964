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

// EventDetail is a signing event with the projects linked to it.
type EventDetail struct {
	Event    SigningEvent
	Projects []Project
	Totals   ProjectTotals // of the linked projects, next to what the event announced
}

// LoadEvent reads a published signing event by slug.
func LoadEvent(ctx context.Context, db *gorm.DB, slug string) (EventDetail, error) {
	var d EventDetail
	db = db.WithContext(ctx)
	err := notFound(db.Scopes(Public("signing_events")).Preload("Region").Preload("SourceArticle").
		Where("slug = ?", slug).Take(&d.Event).Error)
	if err != nil {
		return d, err
	}
	linked := db.Model(&Project{}).Scopes(Public("projects")).Where("signing_event_id = ?", d.Event.ID)
	if err := linked.Session(&gorm.Session{}).Preload("Region").Order("id").Find(&d.Projects).Error; err != nil {
		return d, err
	}
	err = linked.Session(&gorm.Session{}).
		Select("count(*) AS count, coalesce(sum(contracted_amount_yuan), 0) AS contracted_yuan, coalesce(sum(completed_investment_yuan), 0) AS completed_yuan").
		Scan(&d.Totals).Error
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
