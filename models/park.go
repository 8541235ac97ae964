package models

import (
	"time"

	"github.com/shopspring/decimal"
)

// Park kinds.
const (
	ParkHighTechZone     = "high_tech_zone"
	ParkDevelopmentZone  = "development_zone"
	ParkIndustrialPark   = "industrial_park"
	ParkAgriculturalZone = "agricultural_zone"
	ParkLogisticsPark    = "logistics_park"
	ParkIncubator        = "incubator"
)

// Park is an industrial park or platform; parks nest (a high-tech zone holds
// several parks).
type Park struct {
	ID                int64
	Slug              string
	RegionID          int64
	ParentParkID      *int64
	Kind              string
	Name              string
	NameEn            string
	AreaKm2           decimal.NullDecimal `gorm:"column:area_km2"`
	StandardFactoryM2 *int64              `gorm:"column:standard_factory_m2"`
	FocusIndustries   string
	Summary           string
	SummaryEn         string
	Description       string
	SourceArticleID   *int64
	Publishing

	Sites []ParkSite `gorm:"foreignKey:ParkID"`
}

// Site kinds and availability.
const (
	SiteLand            = "land"
	SiteStandardFactory = "standard_factory"
	SiteOffice          = "office"

	SiteAvailable         = "available"
	SiteReserved          = "reserved"
	SiteTaken             = "taken"
	SiteUnderConstruction = "under_construction"
)

// ParkSite is a land plot or factory unit that a park offers.
type ParkSite struct {
	ID                 int64
	ParkID             int64
	Position           int
	Name               string
	NameEn             string
	Kind               string
	AreaM2             decimal.Decimal     `gorm:"column:area_m2"`
	RentYuanPerM2Month decimal.NullDecimal `gorm:"column:rent_yuan_per_m2_month"`
	SalePriceYuan      *int64
	ReadyOn            *time.Time `gorm:"type:date"`
	Status             string
	Description        string
	DescriptionEn      string
	SourceArticleID    *int64
	UpdatedAt          time.Time
}
