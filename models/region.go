package models

import (
	"github.com/shopspring/decimal"
)

// Region kinds; regions nest (a city holds districts and banners).
const (
	RegionProvince     = "province"
	RegionCity         = "city"
	RegionDistrict     = "district"
	RegionBanner       = "banner"
	RegionCounty       = "county"
	RegionEconomicZone = "economic_zone"
)

// Region is a prefecture city, a district or banner, or an economic zone.
type Region struct {
	ID                  int64
	Slug                string
	ParentID            *int64
	Kind                string
	Name                string
	NameEn              string
	Summary             string
	SummaryEn           string
	Description         string // Markdown
	Transport           string
	Talent              string
	BusinessEnvironment string
	SourceArticleID     *int64
	Publishing

	Figures  []RegionFigure    `gorm:"foreignKey:RegionID"`
	Measures []BusinessMeasure `gorm:"foreignKey:RegionID"`
}

// Figure qualifiers: 突破/余 reads "over", 约 reads "about".
const (
	QualifierNone  = ""
	QualifierOver  = "over"
	QualifierAbout = "about"
)

// RegionFigure is one key figure of a region with its year and source.
type RegionFigure struct {
	ID              int64
	RegionID        int64
	Position        int
	Label           string
	LabelEn         string
	Value           decimal.Decimal
	Unit            string
	Qualifier       string
	Year            int
	AsOf            string
	AsOfEn          string
	SourceArticleID *int64
	SourceNote      string
	Featured        bool

	Region        *Region      `gorm:"foreignKey:RegionID"`
	SourceArticle *NewsArticle `gorm:"foreignKey:SourceArticleID"`
}

// BusinessMeasure is one business-environment measure of a region.
type BusinessMeasure struct {
	ID              int64
	RegionID        int64
	Position        int
	Title           string
	TitleEn         string
	Description     string
	DescriptionEn   string
	SourceArticleID *int64
}
