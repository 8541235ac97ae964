package models

import (
	"time"

	"github.com/shopspring/decimal"
)

// Project categories, as the statistics in the seeds group them.
const (
	CategoryAgriculture       = "agriculture"
	CategoryIndustry          = "industry"
	CategoryCommerceLogistics = "commerce_logistics"
	CategoryInfrastructure    = "infrastructure"
	CategorySocial            = "social"
)

// New or continuing (新建 / 续建).
const (
	BuildNew        = "new"
	BuildContinuing = "continuing"
)

// Stages a project moves through, in order.
const (
	StageSigned            = "signed"
	StagePreparing         = "preparing"
	StageStarted           = "started"
	StageUnderConstruction = "under_construction"
	StageCompleted         = "completed"
	StageProducing         = "producing"
)

// Red/green flag of a key project (红绿旗制度).
const (
	FlagNone  = "none"
	FlagGreen = "green"
	FlagRed   = "red"
)

// Project is a signed or tracked investment project.
type Project struct {
	ID                      int64
	Slug                    string
	Name                    string
	NameEn                  string
	Investor                string
	RegionID                int64
	ChainID                 *int64
	ParkID                  *int64
	Category                string
	BuildType               string
	ContractedAmountYuan    *int64              // converted at the signing's rate when signed in another currency
	ContractCurrency        string              `gorm:"default:CNY"`
	ContractAmountOriginal  decimal.NullDecimal // as signed, in ContractCurrency; null for yuan
	ContractRateToYuan      decimal.NullDecimal // yuan per unit of ContractCurrency, stored with the signing
	ContractRateOn          *time.Time          `gorm:"type:date"`
	PlannedInvestmentYuan   *int64
	CompletedInvestmentYuan int64
	Stage                   string
	Flag                    string     `gorm:"default:none"`
	SignedOn                *time.Time `gorm:"type:date"`
	LandAreaMu              decimal.NullDecimal
	Summary                 string
	SummaryEn               string
	Description             string
	SourceArticleID         *int64
	Publishing

	Region        *Region             `gorm:"foreignKey:RegionID"`
	Appearances   []ProjectAppearance `gorm:"foreignKey:ProjectID"`
	SourceArticle *NewsArticle        `gorm:"foreignKey:SourceArticleID"`
	Managers      []ProjectManager    `gorm:"foreignKey:ProjectID"`
	Reports       []ProjectReport     `gorm:"foreignKey:ProjectID"`
}

// CurrencyYuan is the currency of amounts that need no conversion.
const CurrencyYuan = "CNY"

// ContractCurrencies are the currencies a project may be signed in: yuan,
// the currencies of the usual foreign investors and Mongolia's, next door.
var ContractCurrencies = []string{CurrencyYuan, "USD", "EUR", "HKD", "JPY", "KRW", "GBP", "SGD", "MNT"}

// Roles of a project's appearance at an event.
const (
	RoleSigned            = "signed"
	RoleReSigned          = "re_signed"
	RoleConstructionStart = "construction_start"
)

// AppearanceRoles lists the roles in the order a project meets them.
var AppearanceRoles = []string{RoleSigned, RoleReSigned, RoleConstructionStart}

// ProjectAppearance is one event a project was announced at, with the role
// it had there. A project appears at an event at most once.
type ProjectAppearance struct {
	ID             int64
	ProjectID      int64
	Position       int
	SigningEventID int64
	Role           string

	Event *SigningEvent `gorm:"foreignKey:SigningEventID"`
}

// ProjectManager is one of a project's 项目管家.
type ProjectManager struct {
	ID        int64
	ProjectID int64
	Position  int
	Name      string
	Title     string
}

// ProjectReport is a dated progress report of a project.
type ProjectReport struct {
	ID                      int64
	ProjectID               int64
	ReportedOn              time.Time `gorm:"type:date"`
	Stage                   string
	Flag                    string `gorm:"default:none"`
	CompletedInvestmentYuan int64
	Body                    string
	AuthorID                *int64
	SourceArticleID         *int64
	CreatedAt               time.Time
}
