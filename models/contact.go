package models

import "time"

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
	Organisation    string
	Phone           string
	Email           string
	Languages       string // comma-separated BCP 47 tags: "zh,en"
	SourceArticleID *int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}
