package models

import "time"

// Inquiry is an investor's inquiry, worked by staff as a pipeline.
type Inquiry struct {
	ID                int64
	Reference         string // INQ-2026-000123: year of receipt, number within the year
	StatusTokenHash   []byte
	Name              string
	Company           string
	Origin            string
	Email             string
	Phone             string
	ChainID           *int64
	RegionID          *int64
	ParkID            *int64
	PolicyID          *int64
	ProjectID         *int64
	PlannedAmountYuan *int64
	Message           string
	Language          string
	ConsentAt         time.Time
	Stage             string `gorm:"default:new"`
	AssigneeID        *int64
	StatusKey         *string // with the server's secret, makes the status link; NULL once anonymised
	SubmissionKeyHash []byte  // SHA-256 of the form's submission key: a resent form finds its inquiry
	ClientKey         []byte  // keyed hash of the sender's address, for rate limits
	AnonymisedAt      *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// TableName keeps GORM on the schema's name.
func (Inquiry) TableName() string { return "inquiries" }

// Inquiry stages, in pipeline order.
const (
	InquiryNew          = "new"
	InquiryAcknowledged = "acknowledged"
	InquiryQualified    = "qualified"
	InquirySiteVisit    = "site_visit"
	InquiryNegotiating  = "negotiating"
	InquirySigned       = "signed"
	InquiryClosed       = "closed"
)

// InquiryStages lists the stages in pipeline order.
var InquiryStages = []string{InquiryNew, InquiryAcknowledged, InquiryQualified, InquirySiteVisit, InquiryNegotiating, InquirySigned, InquiryClosed}

// Note authors.
const (
	AuthorStaff    = "staff"
	AuthorInvestor = "investor"
)

// InquiryNote is a staff note or reply, or an investor's follow-up message.
type InquiryNote struct {
	ID                int64
	InquiryID         int64
	AuthorKind        string
	AuthorID          *int64
	VisibleToInvestor bool
	Body              string
	CreatedAt         time.Time
}
