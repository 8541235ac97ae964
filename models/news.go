package models

import "time"

// NewsArticle is a news item with its source attribution. The seed articles
// are also the sources that figures, policies and projects cite.
type NewsArticle struct {
	ID          int64
	Slug        string
	Title       string
	TitleEn     string
	SourceName  string // the publication, e.g. 赤峰日报
	SourceURL   string `gorm:"column:source_url"`
	Author      string
	PublishedOn *time.Time `gorm:"type:date"` // nil where the source gives no date
	Script      string     // zh-Hans, zh-Hant or en: the script it was written in
	Summary     string
	SummaryEn   string // an English summary of the Chinese article
	Body        string
	Publishing
}
