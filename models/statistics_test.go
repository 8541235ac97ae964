package models_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// projectStatsFixture is a small dataset whose totals are computed by hand: a city
// with a district, two chains, two events, and projects that are
// published, drafted, deleted, scheduled and signed in dollars.
type projectStatsFixture struct {
	city, district, chain int64
	spring, autumn        int64
}

func newProjectStatsFixture(t *testing.T, db *gorm.DB) projectStatsFixture {
	t.Helper()
	var f projectStatsFixture
	db.Raw(`INSERT INTO regions (slug, kind, name, status) VALUES ('t-city', 'city', '测试市', 'published') RETURNING id`).Scan(&f.city)
	db.Raw(`INSERT INTO regions (slug, parent_id, kind, name, status) VALUES ('t-district', ?, 'district', '测试区', 'published') RETURNING id`, f.city).Scan(&f.district)
	db.Raw(`INSERT INTO industry_chains (slug, region_id, name, status) VALUES ('t-chain', ?, '测试链', 'published') RETURNING id`, f.city).Scan(&f.chain)
	db.Raw(`INSERT INTO signing_events (slug, region_id, kind, name, held_on, reported_project_count, reported_total_yuan, status)
		VALUES ('t-spring', ?, 'ceremony', '春季签约', '2021-03-01', 5, 900000000, 'published') RETURNING id`, f.city).Scan(&f.spring)
	db.Raw(`INSERT INTO signing_events (slug, region_id, kind, name, held_on, status)
		VALUES ('t-autumn', ?, 'ceremony', '秋季签约', '2021-09-01', 'published') RETURNING id`, f.city).Scan(&f.autumn)
	if f.city == 0 || f.district == 0 || f.chain == 0 || f.spring == 0 || f.autumn == 0 {
		t.Fatal("fixture not inserted")
	}
	// project inserts a project with the given columns and their values.
	project := func(slug, values string, regionID int64, columns string, args ...any) int64 {
		var id int64
		err := db.Raw(`INSERT INTO projects (slug, name, region_id, category, build_type, `+columns+`)
			VALUES (?, ?, ?, 'industry', 'new', `+values+`) RETURNING id`, append([]any{slug, slug, regionID}, args...)...).Scan(&id).Error
		if err != nil || id == 0 {
			t.Fatalf("project %s: %v", slug, err)
		}
		return id
	}
	// a: city, chain, signed 2021 for 3亿, started, 1亿 done of 2亿 planned; at both events.
	a := project("t-a", "?, 'published', ?, ?, ?, ?, ?", f.city, "stage, status, chain_id, signed_on, contracted_amount_yuan, planned_investment_yuan, completed_investment_yuan",
		"started", f.chain, "2021-03-01", 300000000, 200000000, 100000000)
	// b: district, no chain, signed 2022 in dollars (1000万美元 at 7.1 = 7100万元), producing.
	b := project("t-b", "?, 'published', ?, 'USD', ?, 7.1, '2022-05-01', ?", f.district,
		"stage, status, signed_on, contract_currency, contract_amount_original, contract_rate_to_yuan, contract_rate_on, contracted_amount_yuan",
		"producing", "2022-05-01", 10000000, 71000000)
	// c: district, no date, no amount, signed stage.
	project("t-c", "?, 'published'", f.district, "stage, status", "signed")
	// Not counted: a draft, a deleted project, one scheduled for next year.
	project("t-draft", "?, 'draft', ?", f.city, "stage, status, contracted_amount_yuan", "started", 500000000)
	deleted := project("t-deleted", "?, 'published', ?", f.city, "stage, status, contracted_amount_yuan", "started", 500000000)
	dbtest.MustExec(t, db, "UPDATE projects SET deleted_at = now() WHERE id = ?", deleted)
	project("t-later", "?, 'published', now() + interval '1 year'", f.city, "stage, status, publish_at", "started")

	dbtest.MustExec(t, db, `INSERT INTO project_appearances (project_id, position, signing_event_id, role) VALUES
		(?, 1, ?, 'signed'), (?, 2, ?, 're_signed'), (?, 1, ?, 'signed')`, a, f.spring, a, f.autumn, b, f.spring)
	return f
}

func TestStatisticsCountEachProjectOnce(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	f := newProjectStatsFixture(t, db)

	s, err := models.LoadStatistics(ctx, db, models.StatisticsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := models.Funnel{Projects: 3, Started: 2, Producing: 1, WithAmount: 2, Converted: 1, WithPlan: 1,
		ContractedYuan: 371000000, PlannedYuan: 200000000, CompletedYuan: 100000000,
		CompletedOfContractedYuan: 100000000, CompletedOfPlannedYuan: 100000000}
	if s.Total != want {
		t.Errorf("total\n got %+v\nwant %+v", s.Total, want)
	}
	if rate, ok := s.Total.StartRate(); !ok || rate < 0.666 || rate > 0.667 {
		t.Errorf("start rate %v %v", rate, ok)
	}
	years := map[int]int64{}
	for _, y := range s.ByYear {
		years[y.Year] = y.Projects
	}
	if len(years) != 3 || years[2021] != 1 || years[2022] != 1 || years[0] != 1 {
		t.Errorf("by year %v", years)
	}
	chains := map[int64]int64{}
	for _, c := range s.ByChain {
		chains[c.ID] = c.Projects
	}
	if len(chains) != 2 || chains[f.chain] != 1 || chains[0] != 2 {
		t.Errorf("by chain %v", chains)
	}
	stages := map[string]int64{}
	for _, st := range s.ByStage {
		stages[st.Name] = st.Projects
	}
	if len(stages) != 3 || stages["started"] != 1 || stages["producing"] != 1 || stages["signed"] != 1 || s.ByStage[0].Name != "signed" {
		t.Errorf("by stage %+v", s.ByStage)
	}

	// The city's total includes its district's; each project once.
	regions, err := models.PublicRegions(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	rolled := models.RollUpRegions(regions, s.ByRegion)
	if len(rolled) != 2 || rolled[0].Region.ID != f.city || rolled[0].Projects != 3 || rolled[0].Depth != 0 ||
		rolled[1].Region.ID != f.district || rolled[1].Projects != 2 || rolled[1].Depth != 1 {
		t.Errorf("rolled up %+v", rolled)
	}

	// With the names, in one round trip: the same statistics, and the
	// regions and chains as PublicRegions and PublicChains list them.
	named, err := models.LoadStatisticsWithNames(ctx, db, models.StatisticsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if named.Total != s.Total || len(named.ByRegion) != len(s.ByRegion) || len(named.ByChain) != len(s.ByChain) {
		t.Errorf("with names %+v, without %+v", named.Statistics, s)
	}
	public, err := models.PublicChains(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(named.Regions) != len(regions) || len(named.Chains) != len(public) {
		t.Fatalf("names: %d regions, %d chains; want %d, %d", len(named.Regions), len(named.Chains), len(regions), len(public))
	}
	for i, r := range regions {
		g := named.Regions[i]
		if g.ID != r.ID || g.Slug != r.Slug || g.Name != r.Name || g.NameEn != r.NameEn || (g.ParentID == nil) != (r.ParentID == nil) ||
			(g.ParentID != nil && *g.ParentID != *r.ParentID) {
			t.Errorf("region %d: %+v, want %+v", i, g, r)
		}
	}
	for i, c := range public {
		if g := named.Chains[i]; g.ID != c.ID || g.Slug != c.Slug || g.Name != c.Name || g.NameEn != c.NameEn {
			t.Errorf("chain %d: %+v, want %+v", i, g, c)
		}
	}

	// The district alone.
	d, err := models.LoadStatistics(ctx, db, models.StatisticsFilter{RegionIDs: []int64{f.district}})
	if err != nil || d.Total.Projects != 2 || d.Total.ContractedYuan != 71000000 || d.Total.Converted != 1 {
		t.Errorf("district %+v (%v)", d.Total, err)
	}

	// Project a is at both events, and counted once at each; the spring
	// funnel holds a and b.
	funnels, err := models.EventFunnels(ctx, db, []int64{f.spring, f.autumn})
	if err != nil {
		t.Fatal(err)
	}
	spring, autumn := funnels[f.spring], funnels[f.autumn]
	if spring.Projects != 2 || spring.Started != 2 || spring.Producing != 1 || spring.ContractedYuan != 371000000 ||
		spring.Signed != 2 || spring.ReSigned != 0 || spring.Converted != 1 {
		t.Errorf("spring %+v", spring)
	}
	if autumn.Projects != 1 || autumn.ReSigned != 1 || autumn.CompletedOfContractedYuan != 100000000 {
		t.Errorf("autumn %+v", autumn)
	}
	if done, ok := autumn.ContractedDone(); !ok || done < 0.333 || done > 0.334 {
		t.Errorf("autumn done %v %v", done, ok)
	}

	// The same project cannot appear twice at an event, nor be first
	// signed twice.
	if err := db.Exec(`INSERT INTO project_appearances (project_id, position, signing_event_id, role)
		SELECT id, 3, ?, 'construction_start' FROM projects WHERE slug = 't-a'`, f.spring).Error; err == nil {
		t.Error("a second appearance at the same event was stored")
	}
	if err := db.Exec(`INSERT INTO project_appearances (project_id, position, signing_event_id, role)
		SELECT p.id, 2, ?, 'signed' FROM projects p WHERE slug = 't-b'`, f.autumn).Error; err == nil {
		t.Error("a second first signing was stored")
	}
}

// The rollup follows every kind of change, in the same transaction.
func TestStatisticsFollowEveryChange(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	f := newProjectStatsFixture(t, db)
	total := func() models.Funnel {
		t.Helper()
		s, err := models.LoadStatistics(ctx, db, models.StatisticsFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return s.Total
	}
	// The reference: the same sums straight from the table.
	direct := func() models.Funnel {
		var fn models.Funnel
		db.Raw(`SELECT count(*) AS projects, coalesce(sum(contracted_amount_yuan), 0) AS contracted_yuan,
			count(*) FILTER (WHERE stage IN ('started', 'under_construction', 'completed', 'producing')) AS started
			FROM projects WHERE status = 'published' AND deleted_at IS NULL AND (publish_at IS NULL OR publish_at <= now())`).Scan(&fn)
		return fn
	}
	check := func(step string) {
		t.Helper()
		got, want := total(), direct()
		if got.Projects != want.Projects || got.ContractedYuan != want.ContractedYuan || got.Started != want.Started {
			t.Errorf("%s: rollup %+v, table %+v", step, got, want)
		}
	}
	check("start")
	dbtest.MustExec(t, db, "UPDATE projects SET status = 'published' WHERE slug = 't-draft'")
	check("draft published")
	dbtest.MustExec(t, db, "UPDATE projects SET stage = 'preparing', contracted_amount_yuan = 1 WHERE slug = 't-a'")
	check("stage and amount changed")
	dbtest.MustExec(t, db, "UPDATE projects SET deleted_at = NULL WHERE slug = 't-deleted'")
	check("restored")
	dbtest.MustExec(t, db, "UPDATE projects SET publish_at = now() - interval '1 minute' WHERE slug = 't-later'")
	check("schedule reached")
	dbtest.MustExec(t, db, "UPDATE projects SET region_id = ? WHERE slug = 't-c'", f.city)
	check("moved region")
	dbtest.MustExec(t, db, "DELETE FROM projects WHERE slug = 't-b'")
	check("deleted for good")
	// A rolled-back change leaves the rollup as it was.
	before := total()
	_ = db.Transaction(func(tx *gorm.DB) error {
		tx.Exec("UPDATE projects SET status = 'draft'")
		return gorm.ErrInvalidTransaction
	})
	if after := total(); after != before {
		t.Errorf("after a rollback %+v, before %+v", after, before)
	}
}

// The home page's project count comes from the rollup and agrees with a
// count of the table, a scheduled project included only from its time on.
func TestCountPublicProjectsFromTheRollup(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	dbtest.MustExec(t, db, `UPDATE projects SET publish_at = now() + interval '1 day' WHERE id = (SELECT min(id) FROM projects WHERE status = 'published')`)
	dbtest.MustExec(t, db, `UPDATE projects SET status = 'draft' WHERE id = (SELECT max(id) FROM projects WHERE status = 'published')`)
	var want int64
	db.Model(&models.Project{}).Scopes(models.Public("projects")).Count(&want)
	got, err := models.CountPublicProjects(ctx, db)
	if err != nil || got != want {
		t.Errorf("CountPublicProjects = %d, %v; the table has %d public projects", got, err, want)
	}
}

// The project list's totals come from the rollup where one breakdown holds
// them, and agree with a count of the table for every such filter.
func TestProjectTotalsFromTheRollupMatchTheTable(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	dbtest.MustExec(t, db, `UPDATE projects SET publish_at = now() + interval '1 day' WHERE id = (SELECT min(id) FROM projects WHERE status = 'published' AND contracted_amount_yuan IS NOT NULL)`)
	var chifeng, chain int64
	db.Raw(`SELECT id FROM regions WHERE slug = 'chifeng'`).Scan(&chifeng)
	db.Raw(`SELECT chain_id FROM projects WHERE chain_id IS NOT NULL LIMIT 1`).Scan(&chain)
	below, err := models.RegionIDsBelow(ctx, db, chifeng)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]models.ProjectFilter{
		"everything": {}, "a region": {RegionIDs: below}, "a chain": {ChainID: chain},
		"a region's stage": {RegionIDs: below, Stage: models.StageStarted}, "a category": {Category: "industry"},
		"a year": {SignedYear: 2019}, "a region's year": {RegionIDs: below, SignedYear: 2021},
	} {
		page, err := models.SearchProjects(ctx, db, f)
		if err != nil {
			t.Fatal(err)
		}
		// The same filter counted from the table: preview mode skips the rollup.
		live, err := models.SearchProjects(models.WithPreview(ctx, "projects", 0), db, f)
		if err != nil {
			t.Fatal(err)
		}
		if page.Totals != live.Totals || page.Totals.Count == 0 && name == "everything" {
			t.Errorf("%s: rollup %+v, table %+v", name, page.Totals, live.Totals)
		}
	}
	// And the rollup is what answers: a filter with two breakdowns is
	// counted from the table.
	for f, want := range map[*models.ProjectFilter]bool{{RegionIDs: below}: true, {Stage: models.StageStarted, Category: "industry"}: false} {
		statements, err := dbtest.RecordSQL(db, func(d *gorm.DB) error { _, err := models.SearchProjects(ctx, d, *f); return err })
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(strings.Join(statements, "\n"), "project_rollup"); got != want {
			t.Errorf("filter %+v: read the rollup %v, want %v", *f, got, want)
		}
	}
}
