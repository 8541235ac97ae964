package models

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"
)

// Indicators of a reported statistic. Each names one number of a Funnel
// where the portal can compute it from its own records.
const (
	IndicatorProjectCount     = "project_count"
	IndicatorStartedCount     = "started_count" // started or resumed construction (开复工)
	IndicatorStartRate        = "start_rate"    // per cent: 61.3 means 61.3%
	IndicatorCompletedYuan    = "completed_investment_yuan"
	IndicatorContractedYuan   = "contracted_amount_yuan"
	IndicatorPlannedYuan      = "planned_investment_yuan"
	IndicatorFundsInPlaceYuan = "funds_in_place_yuan" // 到位资金: the portal keeps no record of it
)

// Indicators lists the indicators in the order tables show them.
var Indicators = []string{
	IndicatorProjectCount, IndicatorStartedCount, IndicatorStartRate, IndicatorCompletedYuan,
	IndicatorContractedYuan, IndicatorPlannedYuan, IndicatorFundsInPlaceYuan,
}

// IndicatorIsAmount reports whether an indicator is an amount in yuan
// (kept in AmountYuan) rather than a count or a percentage (in Value).
func IndicatorIsAmount(indicator string) bool {
	switch indicator {
	case IndicatorCompletedYuan, IndicatorContractedYuan, IndicatorPlannedYuan, IndicatorFundsInPlaceYuan:
		return true
	}
	return false
}

// IndicatorIsComparable reports whether the portal computes an indicator
// from its own records; funds in place it does not.
func IndicatorIsComparable(indicator string) bool {
	return indicator != IndicatorFundsInPlaceYuan && slices.Contains(Indicators, indicator)
}

// What a reported threshold is measured on: "signed projects of 10 million
// yuan or more" (the signed amount) or "projects with a total investment of
// one million or more" (the planned investment).
const (
	BasisContracted = "contracted"
	BasisPlanned    = "planned"
)

// ThresholdBases lists the bases a threshold may have.
var ThresholdBases = []string{BasisContracted, BasisPlanned}

// The projects a reported figure counts: those on record for its period
// (signed in it, or with a progress report dated in it: a year's projects
// under way, continuing ones included), or only those signed in it (新签约).
const (
	ProjectSetOnRecord = "on_record"
	ProjectSetSigned   = "signed"
)

// ProjectSets lists the project sets a figure may count.
var ProjectSets = []string{ProjectSetOnRecord, ProjectSetSigned}

// ReportedStatistic is an aggregate a source article publishes, kept as
// published: the portal never recomputes or corrects it, it shows its own
// figure beside it.
type ReportedStatistic struct {
	ID         int64
	Slug       string
	Label      string // the article's own wording: 已开复工项目
	RegionID   int64
	Indicator  string
	Value      decimal.NullDecimal // counts and percentages
	AmountYuan *int64              // amounts
	// MinAmountYuan is the article's threshold ("100万元以上"), measured on
	// MinAmountBasis; nil when it counts every project.
	MinAmountYuan   *int64
	MinAmountBasis  string    // "" without a threshold
	ScopeCategory   string    // only projects of this category; "" for every category
	ScopeBuildType  string    // only new or only continuing projects; "" for both
	ProjectSet      string    `gorm:"default:on_record"`
	PeriodFrom      time.Time `gorm:"type:date"`
	PeriodTo        time.Time `gorm:"type:date"`
	AsOf            string    // the article's own words for the date: 截至10月
	Note            string
	SourceArticleID int64
	Publishing

	Region        *Region      `gorm:"foreignKey:RegionID"`
	SourceArticle *NewsArticle `gorm:"foreignKey:SourceArticleID"`
}

// Figure is the reported number: the amount in yuan for an amount, the
// count or percentage otherwise.
func (s ReportedStatistic) Figure() decimal.Decimal {
	if IndicatorIsAmount(s.Indicator) {
		if s.AmountYuan == nil {
			return decimal.Zero
		}
		return decimal.NewFromInt(*s.AmountYuan)
	}
	return s.Value.Decimal
}

// ReportedBeside is a reported statistic with what the portal's own
// records say about the same projects.
type ReportedBeside struct {
	Reported ReportedStatistic // with the slug and names of its Region and SourceArticle
	// Comparable is false for an indicator the portal keeps no record of;
	// Computed is then empty and means nothing (never a zero to show).
	Comparable bool
	// Computed is the Funnel, as on the statistics page, of the published
	// projects of the region and its published sub-regions that are in the
	// statistic's project set for its period, of the category and build
	// type reported, and meeting the threshold.
	Computed Funnel
	// AmountUnknown counts the projects on record for the period whose
	// amount on the threshold's basis is not on record: whether they meet
	// the threshold cannot be told, so they are left out of Computed.
	AmountUnknown int64
}

// ComputedValue is the portal's counterpart of the reported figure in the
// same unit (yuan, projects, per cent). It is false when the indicator has
// no counterpart, or when there is nothing to compute it from (a start
// rate of no projects).
func (b ReportedBeside) ComputedValue() (decimal.Decimal, bool) {
	if !b.Comparable {
		return decimal.Zero, false
	}
	f := b.Computed
	switch b.Reported.Indicator {
	case IndicatorProjectCount:
		return decimal.NewFromInt(f.Projects), true
	case IndicatorStartedCount:
		return decimal.NewFromInt(f.Started), true
	case IndicatorStartRate:
		if f.Projects == 0 {
			return decimal.Zero, false
		}
		return decimal.NewFromInt(f.Started).Mul(decimal.NewFromInt(100)).Div(decimal.NewFromInt(f.Projects)), true
	case IndicatorCompletedYuan:
		return decimal.NewFromInt(f.CompletedYuan), true
	case IndicatorContractedYuan:
		return decimal.NewFromInt(f.ContractedYuan), true
	case IndicatorPlannedYuan:
		return decimal.NewFromInt(f.PlannedYuan), true
	}
	return decimal.Zero, false
}

// PublicReportedStatistics lists the published reported statistics of the
// given regions (of every region when regionIDs is empty) whose region and
// source article are public too, each beside its computed counterpart:
// latest period first, then by region, by scope (every project before a
// part of them) and by indicator.
//
// A project is on record for a period when it was signed in it or has a
// progress report dated in it; a statistic of signings counts only the
// former. It counts with its current stage and amounts, exactly as on the
// statistics page (Funnel, funnelColumns).
//
// The statistics are read in one query (with their regions and sources:
// only the fields the table shows); then each region takes one statement
// that finds its sub-regions and computes every statistic of the region
// whatever its period and scope, the regions at once. Everything is read
// through pgx (readPage): GORM's scanning and a round trip more per
// region were a good part of the statistics page's time after an edit.
func PublicReportedStatistics(ctx context.Context, db *gorm.DB, regionIDs []int64) ([]ReportedBeside, error) {
	q := reportedStatements.get(ctx)
	var list []ReportedStatistic
	err := readPage(ctx, db, func(b *pgx.Batch) {
		query, args := q.list, pgx.NamedArgs{}
		if len(regionIDs) > 0 {
			query, args = q.listIn, pgx.NamedArgs{"regions": regionIDs}
		}
		b.Queue(query, args).Query(collect(&list, scanReported))
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, compareReported)

	out := make([]ReportedBeside, len(list))
	byRegion := map[int64][]int{} // indexes into out
	var regions []int64
	for i, s := range list {
		out[i] = ReportedBeside{Reported: s, Comparable: IndicatorIsComparable(s.Indicator)}
		if !out[i].Comparable {
			continue
		}
		if byRegion[s.RegionID] == nil {
			regions = append(regions, s.RegionID)
		}
		byRegion[s.RegionID] = append(byRegion[s.RegionID], i)
	}
	// The regions at once, each on a connection of its own: one after the
	// other they were most of the statistics page's time after an edit.
	// Each fills in only its own statistics of out.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(reportedAtOnce)
	for _, regionID := range regions {
		g.Go(func() error { return computeReported(gctx, db, out, byRegion[regionID], regionID) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// reportedAtOnce bounds the regions computed at once, each on a pooled
// connection: a province of dozens of regions must not take them all.
const reportedAtOnce = 4

// reportedStatements list the public reported statistics (listIn: of the
// @regions) whose region and source article are public too, with the
// names of both: only the columns the table shows (an article's body is
// long). A staff preview lets its one record through, unless deleted, as
// Public did.
var reportedStatements = newStatements(func(ctx context.Context) (q struct{ list, listIn string }) {
	q.list = `SELECT s.id, s.slug, s.label, s.region_id, s.indicator, s.value, s.amount_yuan, s.min_amount_yuan,
			s.min_amount_basis, s.scope_category, s.scope_build_type, s.project_set, s.period_from, s.period_to, s.as_of,
			s.note, s.source_article_id, s.status, s.publish_at, s.created_at, s.updated_at, s.deleted_at, s.lock_version,
			g.slug, g.name, g.name_en, a.slug, a.source_name, a.published_on
		FROM reported_statistics s
		JOIN regions g ON g.id = s.region_id AND g.deleted_at IS NULL AND ` + publicRow(ctx, "g", "regions") + `
		JOIN news_articles a ON a.id = s.source_article_id AND a.deleted_at IS NULL AND ` + publicRow(ctx, "a", "news_articles") + `
		WHERE s.deleted_at IS NULL AND ` + publicRow(ctx, "s", "reported_statistics")
	q.listIn = q.list + ` AND s.region_id = ANY(@regions)`
	return q
})

// scanReported scans a row of reportedStatements.
func scanReported(rows pgx.Rows, s *ReportedStatistic) error {
	g, a := &Region{}, &NewsArticle{}
	err := rows.Scan(&s.ID, &s.Slug, &s.Label, &s.RegionID, &s.Indicator, &s.Value, &s.AmountYuan, &s.MinAmountYuan,
		&s.MinAmountBasis, &s.ScopeCategory, &s.ScopeBuildType, &s.ProjectSet, &s.PeriodFrom, &s.PeriodTo, &s.AsOf,
		&s.Note, &s.SourceArticleID, &s.Status, &s.PublishAt, &s.CreatedAt, &s.UpdatedAt, &s.DeletedAt, &s.LockVersion,
		&g.Slug, &g.Name, &g.NameEn, &a.Slug, &a.SourceName, &a.PublishedOn)
	g.ID, a.ID = s.RegionID, s.SourceArticleID
	s.Region, s.SourceArticle = g, a
	return err
}

// thresholdAmount is the project column a threshold basis is measured on.
const thresholdAmount = `CASE s.min_amount_basis WHEN 'contracted' THEN projects.contracted_amount_yuan
	WHEN 'planned' THEN projects.planned_investment_yuan END`

// selection is what decides which projects a reported statistic counts.
// Statistics of one selection (a year's project count, started count,
// start rate and investment completed) share one computed funnel.
type selection struct {
	from, to            time.Time
	projectSet          string
	category, buildType string
	minAmount           int64 // -1: no threshold
	basis               string
}

func selectionOf(s ReportedStatistic) selection {
	min := int64(-1)
	if s.MinAmountYuan != nil {
		min = *s.MinAmountYuan
	}
	return selection{s.PeriodFrom, s.PeriodTo, s.ProjectSet, s.ScopeCategory, s.ScopeBuildType, min, s.MinAmountBasis}
}

// computeReported fills in the computed side of the statistics at the
// given indexes, which share a region, in one statement: each published
// project of the region and the published regions below it is joined to
// every selection it is on record for (its period, category and build
// type) and split by whether it meets that selection's threshold. One
// statistic of each selection stands for the others.
//
// 'published' and deleted_at are written out, not parameters, so that the
// planner can use the partial covering index of public projects by region
// and signing date (migration 00019): the projects are read from the index
// alone.
func computeReported(ctx context.Context, db *gorm.DB, out []ReportedBeside, at []int, regionID int64) error {
	members := map[int64][]int{} // a representative statistic's id: the indexes it stands for
	bySelection := map[selection]int64{}
	var ids []int64
	from, to := out[at[0]].Reported.PeriodFrom, out[at[0]].Reported.PeriodTo
	for _, idx := range at {
		r := out[idx].Reported
		from, to = minTime(from, r.PeriodFrom), maxTime(to, r.PeriodTo)
		sel := selectionOf(r)
		id, ok := bySelection[sel]
		if !ok {
			id = r.ID
			bySelection[sel] = id
			ids = append(ids, id)
		}
		members[id] = append(members[id], idx)
	}
	args := pgx.NamedArgs{"region": regionID, "from": from, "to": to, "statistics": ids}
	return readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(computeReportedSQL, args).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id int64
				var band string
				var f Funnel
				if err := rows.Scan(append([]any{&id, &band}, f.funnelFields()...)...); err != nil {
					return err
				}
				for _, idx := range members[id] {
					switch band {
					case "meets":
						out[idx].Computed = f
					case "unknown":
						out[idx].AmountUnknown = f.Projects
					}
				}
			}
			return rows.Err()
		})
	})
}

// computeReportedSQL is computeReported's statement. The regions are
// those RegionIDsBelow(@region) finds. The span of all the periods,
// @from to @to, comes first, so the join below meets only the projects
// that can be on record for one of them: those signed in it, a range of
// the index, and those reported on in it.
var computeReportedSQL = `
	WITH RECURSIVE ` + regionsBelowCTE + `,
	candidates AS (
		SELECT ` + candidateColumns + ` FROM projects
		WHERE region_id IN (SELECT id FROM below WHERE NOT in_cycle) AND signed_on BETWEEN @from AND @to AND ` + publicProject + `
		UNION
		SELECT ` + candidateColumns + ` FROM projects
		WHERE id IN (SELECT project_id FROM project_reports WHERE reported_on BETWEEN @from AND @to)
			AND region_id IN (SELECT id FROM below WHERE NOT in_cycle) AND ` + publicProject + `
	)
	SELECT s.id AS statistic_id,
		CASE WHEN s.min_amount_yuan IS NULL OR ` + thresholdAmount + ` >= s.min_amount_yuan THEN 'meets'
			WHEN ` + thresholdAmount + ` IS NULL THEN 'unknown' ELSE 'below' END AS band, ` + funnelColumns + `
	FROM candidates projects
	JOIN reported_statistics s ON s.id = ANY(@statistics)
		AND (s.scope_category = '' OR s.scope_category = projects.category)
		AND (s.scope_build_type = '' OR s.scope_build_type = projects.build_type)
		AND (projects.signed_on BETWEEN s.period_from AND s.period_to
			OR s.project_set = 'on_record' AND EXISTS (SELECT 1 FROM project_reports r
				WHERE r.project_id = projects.id AND r.reported_on BETWEEN s.period_from AND s.period_to))
	GROUP BY s.id, band`

// candidateColumns are the columns of a project that the computed side of
// a reported statistic reads: all of them in the covering index.
const candidateColumns = `id, signed_on, category, build_type, stage, contracted_amount_yuan,
	planned_investment_yuan, completed_investment_yuan, contract_currency`

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// compareReported orders reported statistics for a table: latest period
// first, then by region; then every project before new or continuing ones
// before those of one category; signings before the projects on record;
// every project before those above a threshold, lower thresholds first;
// and by indicator.
func compareReported(a, b ReportedStatistic) int {
	if c := b.PeriodTo.Compare(a.PeriodTo); c != 0 {
		return c
	}
	if c := a.PeriodFrom.Compare(b.PeriodFrom); c != 0 {
		return c
	}
	if c := cmp.Compare(a.RegionID, b.RegionID); c != 0 {
		return c
	}
	if c := cmp.Compare(min(len(a.ScopeCategory), 1), min(len(b.ScopeCategory), 1)); c != 0 { // every category first
		return c
	}
	builds := []string{"", BuildNew, BuildContinuing}
	if c := slices.Index(builds, a.ScopeBuildType) - slices.Index(builds, b.ScopeBuildType); c != 0 {
		return c
	}
	if c := slices.Index(ProjectCategories, a.ScopeCategory) - slices.Index(ProjectCategories, b.ScopeCategory); c != 0 { // "" is -1 in both
		return c
	}
	sets := []string{ProjectSetSigned, ProjectSetOnRecord}
	if c := slices.Index(sets, a.ProjectSet) - slices.Index(sets, b.ProjectSet); c != 0 {
		return c
	}
	if c := cmp.Compare(deref(a.MinAmountYuan), deref(b.MinAmountYuan)); c != 0 {
		return c
	}
	if c := slices.Index(Indicators, a.Indicator) - slices.Index(Indicators, b.Indicator); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// ReportedStatisticRegionSlug is the slug of the region a reported
// statistic (published or not, but not deleted) belongs to: the page that
// shows it.
func ReportedStatisticRegionSlug(ctx context.Context, db *gorm.DB, slug string) (string, error) {
	var s ReportedStatistic
	err := notFound(db.WithContext(ctx).Preload("Region").Where("slug = ?", slug).Take(&s).Error)
	if err != nil {
		return "", err
	}
	if s.Region == nil { // its region is deleted
		return "", ErrNotFound
	}
	return s.Region.Slug, nil
}
