package models

import (
	"context"
	"maps"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
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

// conditions writes the filter as conditions on projects p, with their
// arguments.
func (f ProjectFilter) conditions(ctx context.Context) (string, pgx.NamedArgs) {
	conds := []string{publicRow(ctx, "p", "projects")}
	args := pgx.NamedArgs{}
	add := func(cond, name string, value any) {
		conds = append(conds, cond)
		args[name] = value
	}
	if len(f.RegionIDs) > 0 {
		add("p.region_id = ANY(@regions)", "regions", f.RegionIDs)
	}
	if f.ChainID != 0 {
		add("p.chain_id = @chain", "chain", f.ChainID)
	}
	if f.EventID != 0 {
		add("EXISTS (SELECT 1 FROM project_appearances a WHERE a.project_id = p.id AND a.signing_event_id = @event)", "event", f.EventID)
	}
	if f.Category != "" {
		add("p.category = @category", "category", f.Category)
	}
	if f.Stage != "" {
		add("p.stage = @stage", "stage", f.Stage)
	}
	if f.MinYuan != nil {
		add("p.contracted_amount_yuan >= @min", "min", *f.MinYuan)
	}
	if f.MaxYuan != nil {
		add("p.contracted_amount_yuan <= @max", "max", *f.MaxYuan)
	}
	if f.SignedYear != 0 {
		// A range, not extract(), so an index on signed_on can serve it.
		add("p.signed_on >= make_date(@year, 1, 1) AND p.signed_on < make_date(@year + 1, 1, 1)", "year", f.SignedYear)
	}
	return strings.Join(conds, " AND "), args
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

// SearchProjects returns one page of the public projects a filter
// selects, and the totals of all of them, in one round trip.
func SearchProjects(ctx context.Context, db *gorm.DB, f ProjectFilter) (ProjectPage, error) {
	var page ProjectPage
	where, args := f.conditions(ctx)
	order := "p.signed_on DESC NULLS LAST, p.id DESC"
	switch f.Sort {
	case ProjectSortAmount:
		order = "p.contracted_amount_yuan DESC NULLS LAST, p.id DESC"
	case ProjectSortName:
		order = "p.name, p.id"
	}
	err := readPage(ctx, db, func(b *pgx.Batch) {
		if dim, key, ok := f.rollupBreakdown(); ok && !Previewing(ctx) {
			queueRollupTotals(b, f.RegionIDs, dim, key, &page.Totals)
		} else {
			b.Queue(`SELECT count(*), coalesce(sum(p.contracted_amount_yuan), 0), coalesce(sum(p.completed_investment_yuan), 0)
				FROM projects p WHERE `+where, args).QueryRow(func(row pgx.Row) error {
				return row.Scan(&page.Totals.Count, &page.Totals.ContractedYuan, &page.Totals.CompletedYuan)
			})
		}
		list := maps.Clone(args)
		list["limit"], list["offset"] = f.Limit, f.Offset
		b.Queue(`SELECT `+projectRowColumns("p")+` FROM projects p `+projectRowJoins("p")+`
			WHERE `+where+` ORDER BY `+order+` LIMIT @limit OFFSET @offset`, list).Query(collect(&page.Projects, scanProjectRow))
	})
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
