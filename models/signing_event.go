package models

import "time"

// Signing event kinds.
const (
	EventCeremony       = "ceremony"
	EventOnlineSigning  = "online_signing"
	EventConference     = "conference"
	EventGroundbreaking = "groundbreaking"
	EventCooperation    = "cooperation"
)

// SigningEvent is a signing ceremony, online signing or promotion
// conference. The reported figures are those announced at the event.
type SigningEvent struct {
	ID                   int64
	Slug                 string
	RegionID             int64
	Kind                 string
	Name                 string
	NameEn               string
	HeldOn               time.Time `gorm:"type:date"`
	Place                string
	Organiser            string
	ReportedProjectCount *int
	ReportedCompanyCount *int
	ReportedTotalYuan    *int64
	Summary              string
	SummaryEn            string
	SourceArticleID      *int64
	Publishing

	Region        *Region      `gorm:"foreignKey:RegionID"`
	SourceArticle *NewsArticle `gorm:"foreignKey:SourceArticleID"`
}
