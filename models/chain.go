package models

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

// TableName keeps GORM on the schema's name.
func (IndustryChain) TableName() string { return "industry_chains" }
