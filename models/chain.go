package models

import "time"

// IndustryChain is a key industry chain (产业链) with its chain leader (链长).
type IndustryChain struct {
	ID              int64
	Slug            string
	RegionID        int64
	Name            string
	NameEn          string
	LeaderName      string
	LeaderTitle     string
	Summary         string
	SummaryEn       string
	Description     string
	SourceArticleID *int64
	Publishing

	Parks []Park `gorm:"many2many:chain_parks;joinForeignKey:ChainID;joinReferences:ParkID"`
}

// Where a link sits in its chain, in the order a chain is drawn.
var ChainStages = []string{"upstream", "midstream", "downstream"}

// Whether the region has a link: present, present but weak, or a gap it
// seeks investment for.
const (
	LinkPresent = "present"
	LinkWeak    = "weak"
	LinkGap     = "gap"
)

// ChainLink is one link of an industry chain (migration 00027).
type ChainLink struct {
	ID              int64
	ChainID         int64
	Position        int
	Stage           string
	Name, NameEn    string
	Presence        string
	Description     string
	LocalPlayers    string // the companies and projects in it here
	Sought          string // what the region wants in it
	SourceArticleID *int64
	UpdatedAt       time.Time
}

// TableName keeps GORM on the schema's name.
func (IndustryChain) TableName() string { return "industry_chains" }
