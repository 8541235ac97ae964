package models_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// insertID runs an INSERT … RETURNING id.
func insertID(t *testing.T, db *gorm.DB, sql string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := db.Raw(sql+" RETURNING id", args...).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("%s: id %d, %v", sql, id, err)
	}
	return id
}

// reportedFixture is a small region tree with projects in and out of 2022,
// and reported statistics about them; the tests compare the computed side
// with what was worked out by hand.
type reportedFixture struct {
	city, district, hidden int64
	stats                  map[string]int64 // slug -> id
}

func newReportedFixture(t *testing.T, db *gorm.DB) reportedFixture {
	t.Helper()
	f := reportedFixture{stats: map[string]int64{}}
	region := `INSERT INTO regions (slug, parent_id, kind, name, status) VALUES (?, ?, ?, ?, ?)`
	f.city = insertID(t, db, region, "test-city", nil, "city", "测试市", "published")
	f.district = insertID(t, db, region, "test-district", f.city, "district", "测试区", "published")
	// A draft district: its projects count nowhere until it is published.
	f.hidden = insertID(t, db, region, "test-draft-district", f.city, "district", "未发布区", "draft")

	type project struct {
		slug                           string
		region                         int64
		signed                         string
		stage, category, build, status string
		contracted, planned            *int64
		completed                      int64
		reportedOn                     string
		deleted                        bool
	}
	yuan := func(n int64) *int64 { return &n }
	const published, draft = "published", "draft"
	for _, p := range []project{
		// On record for 2022 (signed in it): P1 meets every threshold.
		{"p1", f.city, "2022-03-01", "started", "industry", "new", published, yuan(20_000_000), yuan(30_000_000), 5_000_000, "", false},
		// In the sub-region, signed in 2022, below the 10M signing threshold, no plan.
		{"p2", f.district, "2022-06-01", "producing", "industry", "new", published, yuan(8_000_000), nil, 2_000_000, "", false},
		// Signed before 2022 but reported on in it: on record, not a 2022 signing.
		{"p3", f.district, "2021-05-01", "under_construction", "infrastructure", "continuing", published, yuan(50_000_000), yuan(60_000_000), 10_000_000, "2022-07-01", false},
		// Signed in 2022 with no signed amount on record, planned below 5M.
		{"p6", f.city, "2022-04-01", "signed", "commerce_logistics", "new", published, nil, yuan(4_000_000), 0, "", false},
		// Not on record for 2022: signed and reported before it.
		{"p4", f.city, "2021-01-01", "started", "industry", "new", published, yuan(100_000_000), yuan(100_000_000), 1, "2021-12-31", false},
		// Unpublished, deleted, or in an unpublished region: excluded.
		{"p5", f.city, "2022-02-01", "started", "industry", "new", draft, yuan(100_000_000), yuan(100_000_000), 1, "", false},
		{"p8", f.city, "2022-09-01", "started", "industry", "new", published, yuan(100_000_000), yuan(100_000_000), 1, "", true},
		{"p7", f.hidden, "2022-05-01", "started", "industry", "new", published, yuan(100_000_000), yuan(100_000_000), 1, "", false},
		// 2023 only.
		{"p9", f.city, "2023-02-01", "started", "industry", "new", published, yuan(15_000_000), nil, 0, "", false},
	} {
		id := insertID(t, db, `INSERT INTO projects (slug, name, region_id, signed_on, stage, category, build_type, status,
			contracted_amount_yuan, planned_investment_yuan, completed_investment_yuan, deleted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN now() END)`,
			"reported-test-"+p.slug, "测试项目 "+p.slug, p.region, p.signed, p.stage, p.category, p.build, p.status,
			p.contracted, p.planned, p.completed, p.deleted)
		if p.reportedOn != "" {
			dbtest.MustExec(t, db, `INSERT INTO project_reports (project_id, reported_on, stage, body) VALUES (?, ?, ?, '进展')`,
				id, p.reportedOn, p.stage)
		}
	}

	var source int64
	db.Raw("SELECT id FROM news_articles WHERE slug = '2021-hongshan-projects'").Scan(&source)
	type stat struct {
		slug, indicator string
		region          int64
		value           *string
		amount          *int64
		min             *int64
		basis           string
		category, build string
		set             string
		from, to        string
		status          string
	}
	v := func(s string) *string { return &s }
	for _, s := range []stat{
		{"count", "project_count", f.city, v("4"), nil, nil, "", "", "", "on_record", "2022-01-01", "2022-12-31", published},
		{"started", "started_count", f.city, v("3"), nil, nil, "", "", "", "on_record", "2022-01-01", "2022-12-31", published},
		{"rate", "start_rate", f.city, v("61.3"), nil, nil, "", "", "", "on_record", "2022-01-01", "2022-12-31", published},
		{"completed", "completed_investment_yuan", f.city, nil, yuan(17_000_000), nil, "", "", "", "on_record", "2022-01-01", "2022-12-31", published},
		{"signed-amount", "contracted_amount_yuan", f.city, nil, yuan(1), yuan(10_000_000), "contracted", "", "", "signed", "2022-01-01", "2022-12-31", published},
		{"signed-count", "project_count", f.city, v("9"), nil, yuan(10_000_000), "contracted", "", "", "signed", "2022-01-01", "2022-12-31", published},
		{"planned", "planned_investment_yuan", f.city, nil, yuan(1), yuan(5_000_000), "planned", "", "", "on_record", "2022-01-01", "2022-12-31", published},
		{"funds", "funds_in_place_yuan", f.city, nil, yuan(1), nil, "", "", "", "on_record", "2022-01-01", "2022-12-31", published},
		{"new-industry-started", "started_count", f.city, v("2"), nil, nil, "", "industry", "new", "on_record", "2022-01-01", "2022-12-31", published},
		{"count-2023", "project_count", f.city, v("1"), nil, nil, "", "", "", "on_record", "2023-01-01", "2023-12-31", published},
		{"rate-2020", "start_rate", f.city, v("50"), nil, nil, "", "", "", "on_record", "2020-01-01", "2020-12-31", published},
		{"district-count", "project_count", f.district, v("2"), nil, nil, "", "", "", "on_record", "2022-01-01", "2022-12-31", published},
		{"draft", "project_count", f.city, v("1"), nil, nil, "", "", "", "on_record", "2022-01-01", "2022-12-31", draft},
	} {
		f.stats[s.slug] = insertID(t, db, `INSERT INTO reported_statistics (slug, label, region_id, indicator, value, amount_yuan,
			min_amount_yuan, min_amount_basis, scope_category, scope_build_type, project_set, period_from, period_to, source_article_id, status)
			VALUES (?, ?, ?, ?, ?::numeric, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			"test-"+s.slug, "测试 "+s.slug, s.region, s.indicator, s.value, s.amount, s.min, s.basis, s.category, s.build, s.set,
			s.from, s.to, source, s.status)
	}
	return f
}

func besideBySlug(list []models.ReportedBeside) map[string]models.ReportedBeside {
	out := map[string]models.ReportedBeside{}
	for _, b := range list {
		out[b.Reported.Slug] = b
	}
	return out
}

func TestReportedStatisticsBesideWhatTheRecordsSay(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	f := newReportedFixture(t, db)
	list, err := models.PublicReportedStatistics(context.Background(), db, []int64{f.city})
	if err != nil {
		t.Fatal(err)
	}
	got := besideBySlug(list)
	if len(list) != 11 {
		t.Errorf("listed %d statistics, want the city's 11 published ones", len(list))
	}
	if _, ok := got["test-draft"]; ok {
		t.Error("a draft statistic is listed")
	}
	if _, ok := got["test-district-count"]; ok {
		t.Error("the district's statistic is listed for the city alone")
	}
	if list[0].Reported.Slug != "test-count-2023" || list[len(list)-1].Reported.Slug != "test-rate-2020" {
		t.Errorf("order: first %s, last %s; want the latest period first", list[0].Reported.Slug, list[len(list)-1].Reported.Slug)
	}

	// Worked out by hand. On record for 2022 in the city and its published
	// district: p1, p2, p3 (reported in 2022), p6. Signed in 2022: p1, p2, p6.
	cases := []struct {
		slug                 string
		value                string // computed counterpart; "" when there is none
		projects, unknown    int64
		withAmount, withPlan int64
	}{
		{"count", "4", 4, 0, 3, 3},
		{"started", "3", 4, 0, 3, 3}, // p1 started, p2 producing, p3 under construction
		{"rate", "75", 4, 0, 3, 3},
		{"completed", "17000000", 4, 0, 3, 3},
		// Signings of 10M or more: p1; p2 is below; p6 has no amount to tell.
		{"signed-amount", "20000000", 1, 1, 1, 1},
		{"signed-count", "1", 1, 1, 1, 1},
		// Planned 5M or more, on record: p1 and p3; p2 has no plan; p6 is below.
		{"planned", "90000000", 2, 1, 2, 2},
		{"new-industry-started", "2", 2, 0, 2, 1}, // p1 and p2
		{"count-2023", "1", 1, 0, 1, 0},           // p9
		{"rate-2020", "", 0, 0, 0, 0},             // no project to divide by
		{"funds", "", 0, 0, 0, 0},                 // no counterpart at all
	}
	for _, c := range cases {
		b, ok := got["test-"+c.slug]
		if !ok {
			t.Errorf("%s not listed", c.slug)
			continue
		}
		value, has := b.ComputedValue()
		switch {
		case c.value == "" && has:
			t.Errorf("%s: computed %s, want none", c.slug, value)
		case c.value != "" && (!has || !value.Equal(decimal.RequireFromString(c.value))):
			t.Errorf("%s: computed %s (%v), want %s", c.slug, value, has, c.value)
		}
		if b.Computed.Projects != c.projects || b.AmountUnknown != c.unknown ||
			b.Computed.WithAmount != c.withAmount || b.Computed.WithPlan != c.withPlan {
			t.Errorf("%s: %d projects (%d with an amount, %d with a plan), %d unknown; want %d (%d, %d), %d",
				c.slug, b.Computed.Projects, b.Computed.WithAmount, b.Computed.WithPlan, b.AmountUnknown,
				c.projects, c.withAmount, c.withPlan, c.unknown)
		}
		if b.Reported.Region == nil || b.Reported.Region.ID != f.city || b.Reported.SourceArticle == nil ||
			b.Reported.SourceArticle.Slug != "2021-hongshan-projects" {
			t.Errorf("%s: region or source not loaded: %+v", c.slug, b.Reported)
		}
	}
	if got["test-funds"].Comparable || !got["test-count"].Comparable {
		t.Error("funds in place must be the one indicator without a counterpart")
	}

	// The district's own statistic, asked for with the city: p2 and p3.
	list, err = models.PublicReportedStatistics(context.Background(), db, []int64{f.city, f.district})
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := besideBySlug(list)["test-district-count"]; !ok || b.Computed.Projects != 2 {
		t.Errorf("district statistic: listed %v, %d projects; want 2", ok, b.Computed.Projects)
	}

	// A statistic of an unpublished region, or whose source is not public, is not shown.
	dbtest.MustExec(t, db, "UPDATE regions SET status = 'draft' WHERE id = ?", f.district)
	dbtest.MustExec(t, db, "UPDATE reported_statistics SET source_article_id = ? WHERE slug = 'test-count'",
		insertID(t, db, "INSERT INTO news_articles (slug, title, source_name, body) VALUES ('draft-source', '草稿', '某报', '正文')"))
	list, err = models.PublicReportedStatistics(context.Background(), db, []int64{f.city, f.district})
	if err != nil {
		t.Fatal(err)
	}
	got = besideBySlug(list)
	if _, ok := got["test-district-count"]; ok {
		t.Error("a statistic of a draft region is listed")
	}
	if _, ok := got["test-count"]; ok {
		t.Error("a statistic whose source article is a draft is listed")
	}
}

func TestSeedHoldsTheReportedStatisticsWithTheirSources(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	var hongshan, tongliao int64
	db.Raw("SELECT id FROM regions WHERE slug = 'hongshan'").Scan(&hongshan)
	db.Raw("SELECT id FROM regions WHERE slug = 'tongliao'").Scan(&tongliao)
	all, err := models.PublicReportedStatistics(context.Background(), db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 32 {
		t.Errorf("seed holds %d public reported statistics, want 32", len(all))
	}
	got := besideBySlug(all)
	want := []struct {
		slug, indicator, figure string
		region                  int64
		min                     int64
		basis, article          string
	}{
		{"hongshan-2021-projects", "project_count", "181", hongshan, 1_000_000, "planned", "2021-hongshan-projects"},
		{"hongshan-2021-started", "started_count", "111", hongshan, 1_000_000, "planned", "2021-hongshan-projects"},
		{"hongshan-2021-start-rate", "start_rate", "61.3", hongshan, 1_000_000, "planned", "2021-hongshan-projects"},
		{"hongshan-2021-completed", "completed_investment_yuan", "3570000000", hongshan, 1_000_000, "planned", "2021-hongshan-projects"},
		{"hongshan-2021-planned", "planned_investment_yuan", "29040000000", hongshan, 1_000_000, "planned", "2021-hongshan-projects"},
		{"tongliao-2022-2023-signed-projects", "project_count", "762", tongliao, 10_000_000, "contracted", "2023-tongliao-projects"},
		{"tongliao-2022-2023-signed-amount", "contracted_amount_yuan", "376220000000", tongliao, 10_000_000, "contracted", "2023-tongliao-projects"},
		{"tongliao-2022-2023-signed-projects-100m", "project_count", "304", tongliao, 100_000_000, "contracted", "2023-tongliao-projects"},
		{"tongliao-2022-2023-signed-amount-100m", "contracted_amount_yuan", "360047000000", tongliao, 100_000_000, "contracted", "2023-tongliao-projects"},
		{"tongliao-2022-2023-started", "started_count", "330", tongliao, 10_000_000, "planned", "2023-tongliao-projects"},
		{"tongliao-2022-2023-funds-in-place", "funds_in_place_yuan", "33638000000", tongliao, 0, "", "2023-tongliao-projects"},
	}
	for _, w := range want {
		b, ok := got[w.slug]
		if !ok {
			t.Errorf("%s missing", w.slug)
			continue
		}
		s := b.Reported
		var min int64
		if s.MinAmountYuan != nil {
			min = *s.MinAmountYuan
		}
		if s.Indicator != w.indicator || !s.Figure().Equal(decimal.RequireFromString(w.figure)) || s.RegionID != w.region ||
			min != w.min || s.MinAmountBasis != w.basis || s.SourceArticle == nil || s.SourceArticle.Slug != w.article {
			t.Errorf("%s = %s %s (min %d on %q) in region %d from %v; want %s %s (min %d on %q) in %d from %s",
				w.slug, s.Indicator, s.Figure(), min, s.MinAmountBasis, s.RegionID, s.SourceArticle,
				w.indicator, w.figure, w.min, w.basis, w.region, w.article)
		}
	}
	if got["tongliao-2022-2023-funds-in-place"].Comparable {
		t.Error("funds in place has no computed counterpart")
	}
	// The parts add up to the whole, as in the article.
	sum := func(slugs ...string) decimal.Decimal {
		total := decimal.Zero
		for _, s := range slugs {
			total = total.Add(got[s].Reported.Figure())
		}
		return total
	}
	if n := sum("hongshan-2021-new-projects", "hongshan-2021-continuing-projects"); !n.Equal(decimal.NewFromInt(181)) {
		t.Errorf("new + continuing = %s, want 181", n)
	}
	if n := sum("hongshan-2021-agriculture-started", "hongshan-2021-industry-started", "hongshan-2021-commerce-started",
		"hongshan-2021-infrastructure-started", "hongshan-2021-social-started"); !n.Equal(decimal.NewFromInt(111)) {
		t.Errorf("started by category = %s, want 111", n)
	}
	if n := sum("hongshan-2021-agriculture-completed", "hongshan-2021-industry-completed", "hongshan-2021-commerce-completed",
		"hongshan-2021-infrastructure-completed", "hongshan-2021-social-completed"); !n.Equal(decimal.NewFromInt(3_570_000_000)) {
		t.Errorf("completed by category = %s, want 35.7亿元", n)
	}
	// The seeded Hongshan projects have no planned investment on record, so
	// none can be said to reach 100万元: they are counted as unknown, not as zero.
	if b := got["hongshan-2021-projects"]; b.Computed.Projects != 0 || b.AmountUnknown != 4 {
		t.Errorf("Hongshan 2021 computed %d projects, %d of unknown amount; want 0 and the 4 reported on in 2021",
			b.Computed.Projects, b.AmountUnknown)
	}
	if _, has := got["hongshan-2021-start-rate"].ComputedValue(); has {
		t.Error("a start rate over no projects must have no computed value")
	}
}

func TestDatabaseRefusesBadReportedStatistics(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	var region, source int64
	db.Raw("SELECT id FROM regions WHERE slug = 'hongshan'").Scan(&region)
	db.Raw("SELECT id FROM news_articles WHERE slug = '2021-hongshan-projects'").Scan(&source)
	const insert = `INSERT INTO reported_statistics (slug, label, region_id, indicator, value, amount_yuan,
		min_amount_yuan, min_amount_basis, period_from, period_to, source_article_id)
		VALUES ('bad', '坏数据', ?, ?, ?::numeric, ?, ?, ?, ?, ?, ?)`
	ok := func(n int64) *int64 { return &n }
	num := func(s string) *string { return &s }
	for _, c := range []struct {
		name      string
		indicator string
		value     *string
		amount    *int64
		min       *int64
		basis     string
		from, to  string
		source    *int64
	}{
		{"period reversed", "project_count", num("1"), nil, nil, "", "2022-12-31", "2022-01-01", &source},
		{"no source", "project_count", num("1"), nil, nil, "", "2022-01-01", "2022-12-31", nil},
		{"amount in value", "completed_investment_yuan", num("35.7"), nil, nil, "", "2022-01-01", "2022-12-31", &source},
		{"count in amount", "project_count", nil, ok(181), nil, "", "2022-01-01", "2022-12-31", &source},
		{"both", "project_count", num("1"), ok(1), nil, "", "2022-01-01", "2022-12-31", &source},
		{"half a project", "project_count", num("1.5"), nil, nil, "", "2022-01-01", "2022-12-31", &source},
		{"rate over 100", "start_rate", num("100.1"), nil, nil, "", "2022-01-01", "2022-12-31", &source},
		{"threshold without basis", "project_count", num("1"), nil, ok(1_000_000), "", "2022-01-01", "2022-12-31", &source},
		{"basis without threshold", "project_count", num("1"), nil, nil, "planned", "2022-01-01", "2022-12-31", &source},
		{"unknown indicator", "happiness", num("1"), nil, nil, "", "2022-01-01", "2022-12-31", &source},
	} {
		err := db.Exec(insert, region, c.indicator, c.value, c.amount, c.min, c.basis, c.from, c.to, c.source).Error
		if err == nil {
			t.Errorf("%s: stored", c.name)
		} else if !errors.Is(err, gorm.ErrCheckConstraintViolated) && c.name != "no source" {
			t.Errorf("%s: %v, want a CHECK violation", c.name, err)
		}
	}
}
