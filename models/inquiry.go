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
	BriefID           *int64 // the investor's brief the inquiry was sent from
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
	ResponseDueAt     *time.Time // close of business on the last working day for a first response
	FirstResponseAt   *time.Time // the first staff reply or recorded call
	LastActivityAt    time.Time  `gorm:"default:now()"`
	CloseReason       *string
	DuplicateOfID     *int64
	SignedProjectID   *int64 // the project the inquiry became
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

// Reasons an inquiry is closed for.
const (
	CloseLost        = "lost"
	CloseWithdrawn   = "withdrawn"
	CloseNotEligible = "not_eligible"
	CloseDuplicate   = "duplicate"
	CloseSpam        = "spam"
)

// CloseReasons lists the reasons an inquiry can be closed for.
var CloseReasons = []string{CloseLost, CloseWithdrawn, CloseNotEligible, CloseDuplicate, CloseSpam}

// Note authors.
const (
	AuthorStaff    = "staff"
	AuthorInvestor = "investor"
)

// What a note is. The investor sees their own messages and staff replies;
// calls, meetings and internal notes are the desk's own record.
const (
	NoteMessage  = "message"
	NoteReply    = "reply"
	NoteCall     = "call"
	NoteMeeting  = "meeting"
	NoteInternal = "internal"
)

// StaffNoteKinds lists what staff can record, in the form's order.
var StaffNoteKinds = []string{NoteReply, NoteCall, NoteMeeting, NoteInternal}

// NoteCountsAsResponse reports whether a staff note of this kind is a
// response to the investor: a reply, or a call recorded with them.
func NoteCountsAsResponse(kind string) bool { return kind == NoteReply || kind == NoteCall }

// InquiryNote is a staff note or reply, or an investor's follow-up message.
type InquiryNote struct {
	ID                int64
	InquiryID         int64
	Kind              string
	AuthorKind        string
	AuthorID          *int64
	VisibleToInvestor bool
	Body              string
	CreatedAt         time.Time
}
