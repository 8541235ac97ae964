package models

import (
	"context"
	"strconv"

	"gorm.io/gorm"
)

// Enumerations in the order filters offer them.
var (
	ProjectStages     = []string{StageSigned, StagePreparing, StageStarted, StageUnderConstruction, StageCompleted, StageProducing}
	ProjectCategories = []string{CategoryAgriculture, CategoryIndustry, CategoryCommerceLogistics, CategoryInfrastructure, CategorySocial}
)

// Project sort orders.
const (
	ProjectSortNewest = "newest"
	ProjectSortAmount = "amount"
	ProjectSortName   = "name"
)

// ProjectFilter selects projects; zero fields select everything.
type ProjectFilter struct {
	RegionIDs  []int64 // a region and the regions below it
	ChainID    int64
	EventID    int64
	Category   string
	Stage      string
	MinYuan    *int64 // contracted amount bounds; a bound excludes projects without an amount
	MaxYuan    *int64
	SignedYear int
	Sort       string
	Limit      int
	Offset     int
}

// ProjectPage is one page of a project search with the count and totals of
// everything the filter selects.
type ProjectPage struct {
	Projects []Project // with Region
	Totals   ProjectTotals
}

func (f ProjectFilter) apply(q *gorm.DB) *gorm.DB {
	q = q.Scopes(Public("projects"))
	if len(f.RegionIDs) > 0 {
		q = q.Where("projects.region_id IN ?", f.RegionIDs)
	}
	if f.ChainID != 0 {
		q = q.Where("projects.chain_id = ?", f.ChainID)
	}
	if f.EventID != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM project_appearances a WHERE a.project_id = projects.id AND a.signing_event_id = ?)", f.EventID)
	}
	if f.Category != "" {
		q = q.Where("projects.category = ?", f.Category)
	}
	if f.Stage != "" {
		q = q.Where("projects.stage = ?", f.Stage)
	}
	if f.MinYuan != nil {
		q = q.Where("projects.contracted_amount_yuan >= ?", *f.MinYuan)
	}
	if f.MaxYuan != nil {
		q = q.Where("projects.contracted_amount_yuan <= ?", *f.MaxYuan)
	}
	if f.SignedYear != 0 {
		// A range, not extract(), so an index on signed_on can serve it.
		q = q.Where("projects.signed_on >= make_date(?, 1, 1) AND projects.signed_on < make_date(?, 1, 1)", f.SignedYear, f.SignedYear+1)
	}
	return q
}

// rollupBreakdown is the project_rollup breakdown and key that hold the
// totals of the filter, when one does: a region (or none) with at most one
// of year, chain, category and stage, and no amount bound or event.
func (f ProjectFilter) rollupBreakdown() (dim, key string, ok bool) {
	if f.EventID != 0 || f.MinYuan != nil || f.MaxYuan != nil {
		return "", "", false
	}
	dim, key = "all", ""
	set := 0
	if f.SignedYear != 0 {
		dim, key, set = "year", strconv.Itoa(f.SignedYear), set+1
	}
	if f.ChainID != 0 {
		dim, key, set = "chain", strconv.FormatInt(f.ChainID, 10), set+1
	}
	if f.Category != "" {
		dim, key, set = "category", f.Category, set+1
	}
	if f.Stage != "" {
		dim, key, set = "stage", f.Stage, set+1
	}
	return dim, key, set <= 1
}

// SearchProjects returns one page of the public projects a filter selects.
func SearchProjects(ctx context.Context, db *gorm.DB, f ProjectFilter) (ProjectPage, error) {
	var page ProjectPage
	db = db.WithContext(ctx)
	var err error
	if dim, key, ok := f.rollupBreakdown(); ok && !Previewing(ctx) {
		page.Totals, err = rollupTotals(db, f.RegionIDs, dim, key)
	} else {
		err = f.apply(db.Model(&Project{})).
			Select("count(*) AS count, coalesce(sum(contracted_amount_yuan), 0) AS contracted_yuan, coalesce(sum(completed_investment_yuan), 0) AS completed_yuan").
			Scan(&page.Totals).Error
	}
	if err != nil {
		return page, err
	}
	q := f.apply(db.Preload("Region"))
	switch f.Sort {
	case ProjectSortAmount:
		q = q.Order("contracted_amount_yuan DESC NULLS LAST, id DESC")
	case ProjectSortName:
		q = q.Order("name, id")
	default:
		q = q.Order("signed_on DESC NULLS LAST, id DESC")
	}
	err = q.Limit(f.Limit).Offset(f.Offset).Find(&page.Projects).Error
	return page, err
}

// PublicEventBySlug finds a published signing event.
func PublicEventBySlug(ctx context.Context, db *gorm.DB, slug string) (SigningEvent, error) {
	var e SigningEvent
	err := notFound(db.WithContext(ctx).Scopes(Public("signing_events")).Where("slug = ?", slug).Take(&e).Error)
	return e, err
}

// ProjectDetail is everything a project's page shows.
type ProjectDetail struct {
	Project       Project // with Region, Appearances (published events only), Managers and Reports
	Chain         *IndustryChain
	Park          *Park
	Contacts      []Contact
	SourceArticle *NewsArticle
}

// LoadProject reads a published project by slug.
func LoadProject(ctx context.Context, db *gorm.DB, slug string) (ProjectDetail, error) {
	var d ProjectDetail
	db = db.WithContext(ctx)
	err := notFound(db.Scopes(Public("projects")).Preload("Region").
		Preload("Appearances", func(q *gorm.DB) *gorm.DB {
			return q.Joins("JOIN signing_events ON signing_events.id = project_appearances.signing_event_id AND signing_events.deleted_at IS NULL").
				Scopes(Public("signing_events")).Order("signing_events.held_on, project_appearances.position")
		}).
		Preload("Appearances.Event").
		Preload("Managers", func(q *gorm.DB) *gorm.DB { return q.Order("position") }).
		Preload("Reports", func(q *gorm.DB) *gorm.DB { return q.Order("reported_on DESC, id DESC") }).
		Where("slug = ?", slug).Take(&d.Project).Error)
	if err != nil {
		return d, err
	}
	p := d.Project
	if p.ChainID != nil {
		var ch IndustryChain
		if err := db.Scopes(Public("industry_chains")).Take(&ch, *p.ChainID).Error; err == nil {
			d.Chain = &ch
		}
	}
	if p.ParkID != nil {
		var park Park
		if err := db.Scopes(Public("parks")).Take(&park, *p.ParkID).Error; err == nil {
			d.Park = &park
		}
	}
	if d.Contacts, err = nearestRegionContacts(ctx, db, p.RegionID); err != nil {
		return d, err
	}
	d.SourceArticle, err = sourceArticle(ctx, db, p.SourceArticleID)
	return d, err
}

// ProjectChoice is a project offered in a form's list.
type ProjectChoice struct {
	ID   int64
	Name string
}

// RecentProjectChoices lists the projects most recently created or
// changed, drafts included (a project is often entered just before the
// inquiry that led to it is marked signed).
func RecentProjectChoices(ctx context.Context, db *gorm.DB, limit int) ([]ProjectChoice, error) {
	var list []ProjectChoice
	err := db.WithContext(ctx).Model(&Project{}).Select("id, name").Where("deleted_at IS NULL").
		Order("updated_at DESC, id DESC").Limit(limit).Scan(&list).Error
	return list, err
}
