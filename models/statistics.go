package models

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// startedStages are the stages of a project that has started or resumed
// construction (开复工), for the start rate.
var startedStages = []string{StageStarted, StageUnderConstruction, StageCompleted, StageProducing}

// Funnel is what the portal's own records say about a set of distinct
// projects: how many, how far they got, and the amounts on record. Every
// count is of projects, never of announcements, so a project announced at
// two events is counted once wherever both are summed.
type Funnel struct {
	Projects   int64 // distinct projects
	Started    int64 // started or resumed construction, or further
	Producing  int64
	WithAmount int64 // projects with a contracted amount on record
	Converted  int64 // of those, signed in another currency and converted to yuan
	WithPlan   int64 // projects with a planned investment on record

	ContractedYuan int64 // sum over WithAmount
	PlannedYuan    int64 // sum over WithPlan
	CompletedYuan  int64 // investment completed, all projects
	// CompletedOfContractedYuan is the investment completed by the
	// projects that have a contracted amount: the fair numerator when it is
	// set against ContractedYuan.
	CompletedOfContractedYuan int64
	// CompletedOfPlannedYuan likewise, against PlannedYuan.
	CompletedOfPlannedYuan int64
}

// StartRate is the share of projects started, 0–1, and false when there is
// no project to divide by.
func (f Funnel) StartRate() (float64, bool) { return ratio(f.Started, f.Projects) }

// ContractedDone is the investment completed against the amount contracted.
func (f Funnel) ContractedDone() (float64, bool) {
	return ratio(f.CompletedOfContractedYuan, f.ContractedYuan)
}

func ratio(n, d int64) (float64, bool) {
	if d <= 0 {
		return 0, false
	}
	return float64(n) / float64(d), true
}

// funnelColumns aggregates the public projects of a query into a Funnel,
// counting as project_rollup_rows does (migration 00016); funnelFields
// scans them.
var funnelColumns = `count(*) AS projects,
	count(*) FILTER (WHERE projects.stage IN ` + sqlList(startedStages) + `) AS started,
	count(*) FILTER (WHERE projects.stage = 'producing') AS producing,
	count(projects.contracted_amount_yuan) AS with_amount,
	count(*) FILTER (WHERE projects.contract_currency <> 'CNY') AS converted,
	count(projects.planned_investment_yuan) AS with_plan,
	coalesce(sum(projects.contracted_amount_yuan), 0) AS contracted_yuan,
	coalesce(sum(projects.planned_investment_yuan), 0) AS planned_yuan,
	coalesce(sum(projects.completed_investment_yuan), 0) AS completed_yuan,
	coalesce(sum(projects.completed_investment_yuan) FILTER (WHERE projects.contracted_amount_yuan IS NOT NULL), 0) AS completed_of_contracted_yuan,
	coalesce(sum(projects.completed_investment_yuan) FILTER (WHERE projects.planned_investment_yuan IS NOT NULL), 0) AS completed_of_planned_yuan`

// funnelFields are the fields of f in the order of funnelColumns.
func (f *Funnel) funnelFields() []any {
	return []any{&f.Projects, &f.Started, &f.Producing, &f.WithAmount, &f.Converted, &f.WithPlan,
		&f.ContractedYuan, &f.PlannedYuan, &f.CompletedYuan, &f.CompletedOfContractedYuan, &f.CompletedOfPlannedYuan}
}

// publicProject is Public("projects") with constants instead of
// parameters, so that the planner can match the partial covering indexes
// of public projects (migration 00019). Unlike Public it lets no staff
// preview through: aggregates count published projects only.
const publicProject = `status = 'published' AND deleted_at IS NULL AND (publish_at IS NULL OR publish_at <= now())`

// publicScheduled selects the published projects whose publish time is
// still ahead (projects_scheduled_idx): counted in the rollup, not yet
// public, so subtracted live.
const publicScheduled = `status = 'published' AND deleted_at IS NULL AND publish_at IS NOT NULL AND publish_at > now()`

// scheduledRollupRows are the rollup rows of the scheduled projects, with
// their sign turned: added to the rollup, they leave what is public now.
const scheduledRollupRows = `FROM projects p CROSS JOIN LATERAL project_rollup_rows(p.region_id, p.signed_on, p.chain_id,
	p.category, p.stage, p.contracted_amount_yuan, p.planned_investment_yuan, p.completed_investment_yuan,
	p.contract_currency, p.status::text, p.deleted_at, -1) x
	WHERE ` + publicScheduled // its columns are p's: x has none of those names

// EventFunnel is one event's funnel: of the distinct projects linked to it,
// how far they got. Roles counts them by their role at the event.
type EventFunnel struct {
	EventID int64
	Funnel
	Signed, ReSigned, ConstructionStart int64
}

// EventFunnels computes the funnel of each of the given events over their
// published projects, keyed by event id; an event with none is absent.
// It is read through pgx (readPage), as are the statistics' other
// aggregates: GORM's scanning was a good part of the statistics page's
// time after an edit.
func EventFunnels(ctx context.Context, db *gorm.DB, eventIDs []int64) (map[int64]EventFunnel, error) {
	out := map[int64]EventFunnel{}
	if len(eventIDs) == 0 {
		return out, nil
	}
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(eventFunnelsSQL, pgx.NamedArgs{"events": eventIDs}).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var r EventFunnel
				fields := append(append([]any{&r.EventID}, r.funnelFields()...), &r.Signed, &r.ReSigned, &r.ConstructionStart)
				if err := rows.Scan(fields...); err != nil {
					return err
				}
				out[r.EventID] = r
			}
			return rows.Err()
		})
	})
	return out, err
}

// eventFunnelsSQL computes the funnels of the @events. One lookup per
// appearance in the covering index of public projects (migration 00019;
// hence the constants): OFFSET 0 keeps the planner from turning the
// lateral join into a hash join over every project, which make bench
// measured as ten times slower for a dozen events.
var eventFunnelsSQL = `
	SELECT project_appearances.signing_event_id AS event_id, ` + funnelColumns + `,
		count(*) FILTER (WHERE project_appearances.role = 'signed') AS signed,
		count(*) FILTER (WHERE project_appearances.role = 're_signed') AS re_signed,
		count(*) FILTER (WHERE project_appearances.role = 'construction_start') AS construction_start
	FROM project_appearances
	CROSS JOIN LATERAL (SELECT stage, contracted_amount_yuan, planned_investment_yuan, completed_investment_yuan, contract_currency
		FROM projects WHERE id = project_appearances.project_id AND ` + publicProject + ` OFFSET 0) projects
	WHERE project_appearances.signing_event_id = ANY(@events)
	GROUP BY project_appearances.signing_event_id`

// StatisticsFilter narrows the statistics to a region and its sub-regions.
type StatisticsFilter struct {
	RegionIDs []int64 // empty: everywhere
}

// Statistics are the public aggregates of the projects on record, each
// breakdown over the same distinct projects.
type Statistics struct {
	Total      Funnel
	ByYear     []YearFunnel // by year signed; Year 0 holds the projects with no signing date
	ByRegion   []KeyFunnel  // by the project's own region; RollUpRegions adds sub-regions
	ByChain    []KeyFunnel  // ID 0: no chain
	ByCategory []NameFunnel
	ByStage    []NameFunnel
}

// YearFunnel is a Funnel of the projects signed in one year.
type YearFunnel struct {
	Year int
	Funnel
}

// KeyFunnel is a Funnel of the projects of one region or chain.
type KeyFunnel struct {
	ID int64
	Funnel
}

// NameFunnel is a Funnel of the projects of one category or stage.
type NameFunnel struct {
	Name string
	Funnel
}

// LoadStatistics reads every breakdown from project_rollup, which a
// trigger keeps current with each change to projects (migration 00016), less
// the published projects whose publish time is still ahead: one statement,
// a few hundred rollup rows and an index scan of the scheduled projects,
// however many projects there are.
func LoadStatistics(ctx context.Context, db *gorm.DB, f StatisticsFilter) (Statistics, error) {
	var rows []statisticsRow
	if err := readPage(ctx, db, func(b *pgx.Batch) { queueStatistics(b, f, &rows) }); err != nil {
		return Statistics{}, err
	}
	return statisticsOf(rows), nil
}

// StatisticsWithNames are the statistics with the public regions and
// chains that name their rows. Of each region only ID, ParentID, Slug,
// Name and NameEn are read, and of each chain ID, Slug, Name and NameEn:
// what the statistics show.
type StatisticsWithNames struct {
	Statistics
	Regions []Region        // in tree order, as PublicRegions lists them
	Chains  []IndustryChain // as PublicChains lists them
}

// LoadStatisticsWithNames is LoadStatistics with the regions and chains
// that name its rows, in one round trip through pgx: read one after the
// other through GORM, whole, they were a good part of the statistics'
// time after an edit.
func LoadStatisticsWithNames(ctx context.Context, db *gorm.DB, f StatisticsFilter) (StatisticsWithNames, error) {
	var out StatisticsWithNames
	var rows []statisticsRow
	q := statisticsNameStatements.get(ctx)
	err := readPage(ctx, db, func(b *pgx.Batch) {
		queueStatistics(b, f, &rows)
		b.Queue(q.regions).Query(collect(&out.Regions, func(rows pgx.Rows, r *Region) error {
			return rows.Scan(&r.ID, &r.ParentID, &r.Slug, &r.Name, &r.NameEn)
		}))
		b.Queue(q.chains).Query(collect(&out.Chains, func(rows pgx.Rows, c *IndustryChain) error {
			return rows.Scan(&c.ID, &c.Slug, &c.Name, &c.NameEn)
		}))
	})
	if err != nil {
		return out, err
	}
	out.Statistics = statisticsOf(rows)
	return out, nil
}

// statisticsNameStatements are PublicRegions' and PublicChains' queries,
// reading only the columns the statistics show.
var statisticsNameStatements = newStatements(func(ctx context.Context) (q struct{ regions, chains string }) {
	q.regions = publicRegionTreeSQL("r.id, r.parent_id, r.slug, r.name, r.name_en, r.status, r.publish_at, r.deleted_at", "id, parent_id, slug, name, name_en")
	q.chains = `SELECT c.id, c.slug, c.name, c.name_en FROM industry_chains c
		WHERE c.deleted_at IS NULL AND ` + publicRow(ctx, "c", "industry_chains") + ` ORDER BY c.region_id, c.id`
	return q
})

// statisticsRow is one row of queueStatistics: the funnel of a region (for
// dim 'all'), or of a breakdown key over the regions.
type statisticsRow struct {
	RegionID int64
	Dim, Key string
	Funnel
}

// queueStatistics queues LoadStatistics' statement, its rows into rows.
func queueStatistics(b *pgx.Batch, f StatisticsFilter, rows *[]statisticsRow) {
	rollup, scheduled := "", ""
	args := pgx.NamedArgs{}
	if len(f.RegionIDs) > 0 {
		rollup, scheduled = " WHERE region_id = ANY(@regions)", " AND p.region_id = ANY(@regions)"
		args["regions"] = f.RegionIDs
	}
	b.Queue(`
		SELECT CASE WHEN dim = 'all' THEN region_id ELSE 0 END AS region_id, dim, key, sum(projects) AS projects, sum(started) AS started, sum(producing) AS producing,
			sum(with_amount) AS with_amount, sum(converted) AS converted, sum(with_plan) AS with_plan,
			sum(contracted_yuan) AS contracted_yuan, sum(planned_yuan) AS planned_yuan, sum(completed_yuan) AS completed_yuan,
			sum(completed_of_contracted_yuan) AS completed_of_contracted_yuan, sum(completed_of_planned_yuan) AS completed_of_planned_yuan
		FROM (
			SELECT region_id, dim, key, projects, started, producing, with_amount, converted, with_plan, contracted_yuan,
				planned_yuan, completed_yuan, completed_of_contracted_yuan, completed_of_planned_yuan
			FROM project_rollup`+rollup+`
			UNION ALL
			SELECT x.* `+scheduledRollupRows+scheduled+`
		) u
		GROUP BY 1, dim, key -- per region for "all", over the regions for the breakdowns: a few dozen rows to scan
		HAVING sum(projects) > 0`, args).Query(collect(rows, func(rows pgx.Rows, r *statisticsRow) error {
		return rows.Scan(append([]any{&r.RegionID, &r.Dim, &r.Key}, r.funnelFields()...)...)
	}))
}

// statisticsOf sums the rows of queueStatistics into the breakdowns.
func statisticsOf(rows []statisticsRow) Statistics {
	var s Statistics
	years, chains, categories, stages := map[string]Funnel{}, map[string]Funnel{}, map[string]Funnel{}, map[string]Funnel{}
	for _, r := range rows {
		switch r.Dim {
		case "all":
			s.Total = s.Total.Add(r.Funnel)
			s.ByRegion = append(s.ByRegion, KeyFunnel{ID: r.RegionID, Funnel: r.Funnel})
		case "year":
			years[r.Key] = years[r.Key].Add(r.Funnel)
		case "chain":
			chains[r.Key] = chains[r.Key].Add(r.Funnel)
		case "category":
			categories[r.Key] = categories[r.Key].Add(r.Funnel)
		case "stage":
			stages[r.Key] = stages[r.Key].Add(r.Funnel)
		}
	}
	for key, f := range years {
		y, _ := strconv.Atoi(key) // "" (no signing date) is year 0
		s.ByYear = append(s.ByYear, YearFunnel{Year: y, Funnel: f})
	}
	for key, f := range chains {
		id, _ := strconv.ParseInt(key, 10, 64) // "" (no chain) is id 0
		s.ByChain = append(s.ByChain, KeyFunnel{ID: id, Funnel: f})
	}
	for key, f := range categories {
		s.ByCategory = append(s.ByCategory, NameFunnel{Name: key, Funnel: f})
	}
	for key, f := range stages {
		s.ByStage = append(s.ByStage, NameFunnel{Name: key, Funnel: f})
	}
	slices.SortFunc(s.ByYear, func(a, b YearFunnel) int { return a.Year - b.Year })
	slices.SortFunc(s.ByChain, func(a, b KeyFunnel) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(s.ByRegion, func(a, b KeyFunnel) int { return cmp.Compare(a.ID, b.ID) })
	sortByOrder(s.ByCategory, ProjectCategories)
	sortByOrder(s.ByStage, ProjectStages)
	return s
}

// CountPublicProjects is the number of public projects, from the rollup as
// LoadStatistics counts them (counting 100 000 rows took tens of ms).
func CountPublicProjects(ctx context.Context, db *gorm.DB) (int64, error) {
	var t ProjectTotals
	err := readPage(ctx, db, func(b *pgx.Batch) { queueRollupTotals(b, nil, "all", "", &t) })
	return t.Count, err
}

// queueRollupTotals sums one breakdown key of the rollup over the given
// regions (every region when empty), less the scheduled projects, as
// LoadStatistics counts: a list's totals without reading its projects.
func queueRollupTotals(b *pgx.Batch, regionIDs []int64, dim, key string, into *ProjectTotals) {
	args := pgx.NamedArgs{"dim": dim, "key": key}
	rollup, scheduled := "", ""
	if len(regionIDs) > 0 {
		rollup, scheduled = "region_id = ANY(@regions)", "p.region_id = ANY(@regions)"
		args["regions"] = regionIDs
	}
	b.Queue(rollupTotalsSQL(rollup, scheduled, "@dim", "@key"), args).QueryRow(func(row pgx.Row) error {
		return row.Scan(&into.Count, &into.ContractedYuan, &into.CompletedYuan)
	})
}

// rollupTotalsSQL selects the count, contracted and completed sums of one
// breakdown key (dim and key are SQL expressions) over the rollup rows
// that meet rollupRegions and the scheduled projects that meet
// scheduledRegions (conditions on p; empty: every region).
func rollupTotalsSQL(rollupRegions, scheduledRegions, dim, key string) string {
	if rollupRegions != "" {
		rollupRegions, scheduledRegions = " AND "+rollupRegions, " AND "+scheduledRegions
	}
	return `SELECT coalesce(sum(projects), 0), coalesce(sum(contracted_yuan), 0), coalesce(sum(completed_yuan), 0)
		FROM (
			SELECT projects, contracted_yuan, completed_yuan FROM project_rollup WHERE dim = ` + dim + ` AND key = ` + key + rollupRegions + `
			UNION ALL
			SELECT x.projects, x.contracted_yuan, x.completed_yuan ` + scheduledRollupRows + ` AND x.dim = ` + dim + ` AND x.key = ` + key + scheduledRegions + `
		) u`
}

// sortByOrder puts named funnels in the order of the enumeration.
func sortByOrder(list []NameFunnel, order []string) {
	slices.SortFunc(list, func(a, b NameFunnel) int {
		return slices.Index(order, a.Name) - slices.Index(order, b.Name)
	})
}

// Add sums two funnels of disjoint sets of projects.
func (f Funnel) Add(g Funnel) Funnel {
	return Funnel{
		Projects: f.Projects + g.Projects, Started: f.Started + g.Started, Producing: f.Producing + g.Producing,
		WithAmount: f.WithAmount + g.WithAmount, Converted: f.Converted + g.Converted, WithPlan: f.WithPlan + g.WithPlan,
		ContractedYuan: f.ContractedYuan + g.ContractedYuan, PlannedYuan: f.PlannedYuan + g.PlannedYuan,
		CompletedYuan:             f.CompletedYuan + g.CompletedYuan,
		CompletedOfContractedYuan: f.CompletedOfContractedYuan + g.CompletedOfContractedYuan,
		CompletedOfPlannedYuan:    f.CompletedOfPlannedYuan + g.CompletedOfPlannedYuan,
	}
}

// RegionTotal is one region's funnel including its sub-regions, at its
// depth in the tree.
type RegionTotal struct {
	Region Region
	Depth  int
	Funnel
}

// RollUpRegions turns per-region funnels into totals that include each
// region's sub-regions, in tree order (regions as PublicRegions lists
// them). Each project has one region, so the sums count it once at every
// level. Regions with no project anywhere below are left out.
func RollUpRegions(regions []Region, own []KeyFunnel) []RegionTotal {
	byID := map[int64]int{}
	totals := make([]RegionTotal, len(regions))
	for i, r := range regions {
		byID[r.ID] = i
		totals[i] = RegionTotal{Region: r}
	}
	for i, r := range regions { // parents come first, so depth is known
		if r.ParentID != nil {
			if p, ok := byID[*r.ParentID]; ok {
				totals[i].Depth = totals[p].Depth + 1
			}
		}
	}
	for _, k := range own {
		// At most one step per region: a parent loop (which migration 00010
		// forbids) could not make this spin.
		i, ok := byID[k.ID]
		for steps := 0; ok && steps < len(regions); steps++ {
			totals[i].Funnel = totals[i].Funnel.Add(k.Funnel)
			parent := totals[i].Region.ParentID
			if parent == nil {
				break
			}
			i, ok = byID[*parent]
		}
	}
	return slices.DeleteFunc(totals, func(t RegionTotal) bool { return t.Projects == 0 })
}

// deref is *p, or the zero value for nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
