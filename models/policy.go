package models

import "time"

// Policy is an incentive policy with its structured benefit items.
type Policy struct {
	ID              int64
	Slug            string
	RegionID        int64
	Title           string
	TitleEn         string
	IssuingBody     string
	DocumentNumber  string
	IssuedOn        *time.Time `gorm:"type:date"`
	EffectiveOn     *time.Time `gorm:"type:date"`
	ExpiresOn       *time.Time `gorm:"type:date"`
	Summary         string
	SummaryEn       string
	Body            string // Markdown
	SourceArticleID *int64
	Publishing

	Benefits []BenefitItem   `gorm:"foreignKey:PolicyID"`
	Chains   []IndustryChain `gorm:"many2many:policy_chains;joinForeignKey:PolicyID;joinReferences:ChainID"`
}

// TableName keeps GORM on the schema's name.
func (Policy) TableName() string { return "policies" }

// Benefit kinds and levels.
const (
	BenefitOneTimeAward = "one_time_award"
	BenefitEquipment    = "equipment_subsidy"
	BenefitLogistics    = "logistics_subsidy"
	BenefitRent         = "rent_subsidy"
	BenefitTalent       = "talent_award"
	BenefitTaxRelief    = "tax_relief"
	BenefitLand         = "land"
	BenefitService      = "service"
	BenefitOther        = "other"
	LevelNational       = "national"
	LevelProvincial     = "provincial" // 省级 / 自治区级
	LevelCity           = "city"
	LevelDistrict       = "district"
)

// BenefitItem is one thing a policy gives: kind, level, amount and condition.
type BenefitItem struct {
	ID          int64
	PolicyID    int64
	Position    int
	Kind        string
	Level       string
	Recipient   string // who or what qualifies
	RecipientEn string
	AmountYuan  *int64 // nil where the source gives no amount
	Condition   string
	ConditionEn string

	// Eligibility, read by the incentive matcher; empty asks nothing.
	ChainID            *int64 // the industry chain the item is for
	MinInvestmentYuan  *int64 // planned investment at least this
	Qualification      string // one of Qualifications
	QualificationLevel string // LevelNational or LevelProvincial, for the centres
	ExclusiveGroup     string // items of a policy in one group are not granted together
}

// The qualifications benefit items ask for. The three centres come at a
// national or provincial level; a national one also meets a provincial
// requirement.
const (
	QualInnovationCentre = "innovation_centre" // 制造业创新中心
	QualTechCentre       = "tech_centre"       // 企业技术中心
	QualDesignCentre     = "design_centre"     // 工业设计中心
	QualHighTech         = "high_tech"         // 高新技术企业
	QualRelocation       = "relocation"        // 从外地迁入
)

// Qualifications lists them in the order forms show them.
var Qualifications = []string{QualInnovationCentre, QualTechCentre, QualDesignCentre, QualHighTech, QualRelocation}

// LeveledQualification reports whether q comes at a national or provincial level.
func LeveledQualification(q string) bool {
	return q == QualInnovationCentre || q == QualTechCentre || q == QualDesignCentre
}
