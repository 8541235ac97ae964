package models

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/shopspring/decimal"
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
	Reported ReportedStatistic // with Region and SourceArticle
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
// The statistics are read in one query (with their regions and sources);
// then each region takes two: its sub-regions, and one statement that
// computes every statistic of the region whatever its period and scope.
func PublicReportedStatistics(ctx context.Context, db *gorm.DB, regionIDs []int64) ([]ReportedBeside, error) {
	db = db.WithContext(ctx)
	q := db.Scopes(Public("reported_statistics")).
		Joins("JOIN regions ON regions.id = reported_statistics.region_id AND regions.deleted_at IS NULL").
		Scopes(Public("regions")).
		Joins("JOIN news_articles ON news_articles.id = reported_statistics.source_article_id AND news_articles.deleted_at IS NULL").
		Scopes(Public("news_articles")).
		Preload("Region").Preload("SourceArticle")
	if len(regionIDs) > 0 {
		q = q.Where("reported_statistics.region_id IN ?", regionIDs)
	}
	var list []ReportedStatistic
	if err := q.Find(&list).Error; err != nil {
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
	for _, regionID := range regions {
		below, err := RegionIDsBelow(ctx, db, regionID)
		if err != nil {
			return nil, err
		}
		if err := computeReported(db, out, byRegion[regionID], below); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// thresholdAmount is the project column a threshold basis is measured on.
const thresholdAmount = `CASE s.min_amount_basis WHEN 'contracted' THEN projects.contracted_amount_yuan
	WHEN 'planned' THEN projects.planned_investment_yuan END`

// computeReported fills in the computed side of the statistics at the
// given indexes, which share a region, in one statement: each published
// project of the region and the regions below it is joined to every
// statistic it is on record for (its period, category and build type) and
// split by whether it meets that statistic's threshold.
func computeReported(db *gorm.DB, out []ReportedBeside, at []int, regionIDs []int64) error {
	ids := make([]int64, len(at))
	byID := map[int64]int{}
	from, to := out[at[0]].Reported.PeriodFrom, out[at[0]].Reported.PeriodTo
	for i, idx := range at {
		ids[i] = out[idx].Reported.ID
		byID[ids[i]] = idx
		from, to = minTime(from, out[idx].Reported.PeriodFrom), maxTime(to, out[idx].Reported.PeriodTo)
	}
	var rows []struct {
		StatisticID int64
		Band        string
		Funnel
	}
	err := db.Model(&Project{}).Scopes(Public("projects")).
		Joins(`JOIN reported_statistics s ON s.id IN ?
			AND (s.scope_category = '' OR s.scope_category = projects.category)
			AND (s.scope_build_type = '' OR s.scope_build_type = projects.build_type)`, ids).
		Where("projects.region_id IN ?", regionIDs).
		// The span of all the periods first, by index, so the join below
		// meets only the projects that can be on record for one of them.
		Where(`(projects.signed_on BETWEEN ? AND ?
			OR projects.id IN (SELECT project_id FROM project_reports WHERE reported_on BETWEEN ? AND ?))`, from, to, from, to).
		Where(`(projects.signed_on BETWEEN s.period_from AND s.period_to
			OR s.project_set = 'on_record' AND EXISTS (SELECT 1 FROM project_reports r
				WHERE r.project_id = projects.id AND r.reported_on BETWEEN s.period_from AND s.period_to))`).
		Select(`s.id AS statistic_id,
			CASE WHEN s.min_amount_yuan IS NULL OR `+thresholdAmount+` >= s.min_amount_yuan THEN 'meets'
				WHEN `+thresholdAmount+` IS NULL THEN 'unknown' ELSE 'below' END AS band, `+funnelColumns, startedStages).
		Group("s.id, band").Scan(&rows).Error
	if err != nil {
		return err
	}
	for _, r := range rows {
		b := &out[byID[r.StatisticID]]
		switch r.Band {
		case "meets":
			b.Computed = r.Funnel
		case "unknown":
			b.AmountUnknown = r.Projects
		}
	}
	return nil
}

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
