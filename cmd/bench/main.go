// Command bench measures the public pages, each against the same bytes
// served from memory by plain net/http (the reference), first on the demo
// content and then on a large synthetic dataset (the demo content plus
// 100 000 projects, 500 signing events and 10 000 policies).
//
// For each dataset it creates its own database next to the configured
// server, runs the real portal binary twice on 127.0.0.1 (with its page
// cache, and with none, so that every request is a miss), drives every
// page with wrk against the reference and both portals in turn, and
// prints requests per second, p99 and each portal's ratio to the
// reference measured in the same run. It then times each page on its
// first view after an edit, one request at a time, and reports the
// portals' peak memory. On the large dataset it first prints the query
// plans of the main list, filter and search queries, flagging any
// sequential scan of a large table. It drops its databases when done.
// Run it through `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/seed"
)

const (
	projectCount = 100_000
	policyCount  = 10_000
	eventCount   = 500
	siteCount    = 10_000
)

func main() {
	portal := flag.String("portal", "bin/portal", "the portal binary to measure")
	which := flag.String("dataset", "both", "demo, large or both")
	loadOnly := flag.Bool("load-only", false, "load the datasets, keep them and measure nothing (to profile by hand)")
	flag.Parse()
	keepDatabases = *loadOnly || os.Getenv("BENCH_KEEP_DB") != ""
	if err := run(*portal, *which, *loadOnly); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(portal, which string, loadOnly bool) error {
	ctx := context.Background()
	server, err := url.Parse(os.Getenv("DATABASE_URL"))
	if err != nil || server.Host == "" {
		return fmt.Errorf("DATABASE_URL must name a PostgreSQL server (make bench provides one)")
	}
	fmt.Printf("machine: %s\n\n", machine())

	if which != "large" {
		demo, err := newDataset(ctx, server, "portal_bench_demo", false)
		if err != nil {
			return err
		}
		defer demo.close()
		fmt.Printf("== demo content: %d projects, %d policies\n", demo.projects, demo.policies)
		if loadOnly {
			fmt.Println("kept:", demo.url)
		} else if err := measure(ctx, portal, demo, demoPages(ctx, demo.db)); err != nil {
			return err
		}
	}
	if which == "demo" {
		return nil
	}

	large, err := newDataset(ctx, server, "portal_bench", true)
	if err != nil {
		return err
	}
	defer large.close()
	fmt.Printf("\n== large dataset: %d projects, %d policies (built in %s)\n\n", large.projects, large.policies, large.built)
	if loadOnly {
		fmt.Println("kept:", large.url)
		return nil
	}
	if err := explainMainQueries(ctx, large.db); err != nil {
		return err
	}
	return measure(ctx, portal, large, largePages(ctx, large.db))
}

// dataset is a database of the bench's own, dropped when done unless
// BENCH_KEEP_DB is set or -load-only given (to study plans by hand).
var keepDatabases bool

type dataset struct {
	db                 *gorm.DB
	url                string
	projects, policies int64
	built              time.Duration
	close              func()
}

func newDataset(ctx context.Context, server *url.URL, name string, synthetic bool) (*dataset, error) {
	admin, target := *server, *server
	admin.Path, target.Path = "/postgres", "/"+name
	if err := adminExec(ctx, admin.String(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)", "CREATE DATABASE "+name); err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := models.Open(ctx, target.String(), models.DefaultPool, 10*time.Second, quiet)
	if err != nil {
		return nil, err
	}
	d := &dataset{db: db, url: target.String(), close: func() {
		_ = models.Close(db)
		if !keepDatabases {
			_ = adminExec(ctx, admin.String(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		}
	}}
	start := time.Now()
	err = load(ctx, db, synthetic)
	if err == nil {
		err = db.Table("projects").Count(&d.projects).Error
	}
	if err == nil {
		err = db.Table("policies").Count(&d.policies).Error
	}
	if err != nil {
		d.close()
		return nil, err
	}
	d.built = time.Since(start).Round(time.Millisecond)
	return d, nil
}

func load(ctx context.Context, db *gorm.DB, synthetic bool) error {
	if _, err := models.Migrate(ctx, db); err != nil {
		return err
	}
	if _, err := seed.Load(ctx, db); err != nil {
		return err
	}
	if synthetic {
		for _, step := range []struct {
			sql  string
			args []any
		}{
			{syntheticProjects, []any{projectCount}}, {syntheticEvents, []any{eventCount}},
			{syntheticAppearances, []any{eventCount, eventCount}},
			{syntheticPolicies, []any{policyCount}}, {syntheticBenefits, nil}, {syntheticSites, []any{siteCount}},
		} {
			if err := db.Exec(step.sql, step.args...).Error; err != nil {
				return fmt.Errorf("synthetic data: %w", err)
			}
		}
	}
	// As autovacuum would by the time anyone visits: statistics, GIN's
	// pending list flushed, the visibility map set for index-only scans.
	return db.Exec("VACUUM ANALYZE").Error
}

// machine describes the CPU the figures came from.
func machine() string {
	info, err := os.ReadFile("/proc/cpuinfo")
	model := "unknown CPU"
	if m := regexp.MustCompile(`model name\s*:\s*(.+)`).FindSubmatch(info); err == nil && m != nil {
		model = strings.TrimSpace(string(m[1]))
	}
	return fmt.Sprintf("%s, %d logical CPUs shared by wrk, the portal and PostgreSQL", model, strings.Count(string(info), "processor\t:"))
}

// The synthetic data: projects and policies spread over the seeded regions,
// chains and stages, with amounts, dates and searchable names.
const syntheticProjects = `
INSERT INTO projects (slug, name, investor, region_id, chain_id, category, build_type, stage,
	contracted_amount_yuan, planned_investment_yuan, completed_investment_yuan, signed_on, summary, status,
	contract_currency, contract_amount_original, contract_rate_to_yuan, contract_rate_on)
SELECT 'synthetic-project-' || g,
	(ARRAY['电子','物流','新能源','农畜产品','装备','云计算','医药','文旅'])[1 + g % 8] || '合成项目' || g,
	'合成投资企业' || (g % 997),
	r.id, c.id,
	(ARRAY['agriculture','industry','commerce_logistics','infrastructure','social'])[1 + g % 5],
	(ARRAY['new','continuing'])[1 + g % 2],
	(ARRAY['signed','preparing','started','under_construction','completed','producing'])[1 + g % 6],
	CASE WHEN g % 50 = 0 THEN (g % 5000 + 1)::bigint * 725000 ELSE (g % 5000 + 1)::bigint * 1000000 END,
	CASE WHEN g % 7 <> 0 THEN (g % 4000 + 1)::bigint * 1500000 END,
	(g % 300)::bigint * 1000000,
	date '2015-01-01' + (g % 4000),
	'合成数据,用于压力测试。', 'published',
	CASE WHEN g % 50 = 0 THEN 'USD' ELSE 'CNY' END,
	CASE WHEN g % 50 = 0 THEN (g % 5000 + 1)::bigint * 100000 END,
	CASE WHEN g % 50 = 0 THEN 7.25 END,
	CASE WHEN g % 50 = 0 THEN date '2015-01-01' + (g % 4000) END
FROM generate_series(1, ?) g
JOIN LATERAL (SELECT id FROM regions ORDER BY id OFFSET (g % 16) LIMIT 1) r ON true
JOIN LATERAL (SELECT id FROM industry_chains ORDER BY id OFFSET (g % 19) LIMIT 1) c ON true`

// Signing events, with every second project signed at one and every tenth
// signed again at the next: the funnels count each project once.
const syntheticEvents = `
INSERT INTO signing_events (slug, region_id, kind, name, held_on, reported_project_count, reported_total_yuan, summary, status)
SELECT 'synthetic-event-' || g, r.id, 'ceremony', '合成签约活动' || g, date '2015-01-01' + g * 8, 100, g::bigint * 1000000000, '合成数据。', 'published'
FROM generate_series(1, ?) g
JOIN LATERAL (SELECT id FROM regions ORDER BY id OFFSET (g % 16) LIMIT 1) r ON true`

const syntheticAppearances = `
INSERT INTO project_appearances (project_id, position, signing_event_id, role)
SELECT p.id, 1, e.id, 'signed'
FROM projects p JOIN signing_events e ON e.slug = 'synthetic-event-' || (1 + p.id % ?)
WHERE p.slug LIKE 'synthetic-project-%' AND p.id % 2 = 0
UNION ALL
SELECT p.id, 2, e.id, 're_signed'
FROM projects p JOIN signing_events e ON e.slug = 'synthetic-event-' || (1 + (p.id + 1) % ?)
WHERE p.slug LIKE 'synthetic-project-%' AND p.id % 10 = 0`

const syntheticPolicies = `
INSERT INTO policies (slug, region_id, title, issuing_body, issued_on, effective_on, expires_on, summary, body, status)
SELECT 'synthetic-policy-' || g, r.id,
	(ARRAY['电子信息','现代物流','人才引进','新能源','农畜产品加工'])[1 + g % 5] || '合成扶持政策第' || g || '号',
	'合成发布机关', date '2018-01-01' + (g % 2000), date '2018-01-01' + (g % 2000),
	CASE WHEN g % 3 = 0 THEN date '2018-01-01' + (g % 2000) + 1000 END,
	'合成政策摘要。', '合成政策正文,含设备补贴与租金补贴等条款。', 'published'
FROM generate_series(1, ?) g
JOIN LATERAL (SELECT id FROM regions ORDER BY id OFFSET (g % 16) LIMIT 1) r ON true`

const syntheticBenefits = `
INSERT INTO benefit_items (policy_id, position, kind, level, recipient, amount_yuan, condition)
SELECT p.id, k, (ARRAY['one_time_award','equipment_subsidy','rent_subsidy'])[k], 'city', '合成对象', (p.id % 100 + 1) * 100000 * k, ''
FROM policies p CROSS JOIN generate_series(1, 3) k
WHERE p.slug LIKE 'synthetic-policy-%'`

// Sites spread over the seeded parks: every kind and status, areas from
// 100 to 50 000 m², rents or sale prices, some with a ready date.
const syntheticSites = `
INSERT INTO park_sites (park_id, position, name, kind, area_m2, rent_yuan_per_m2_month, sale_price_yuan, ready_on, status)
SELECT p.id, 1000 + g, '合成场地' || g, (ARRAY['land','standard_factory','office'])[1 + g % 3],
	(g % 500 + 1) * 100,
	CASE WHEN g % 3 <> 0 THEN g % 40 + 5 END,
	CASE WHEN g % 3 = 0 THEN (g % 900 + 100)::bigint * 10000 END,
	CASE WHEN g % 4 = 0 THEN date '2026-01-01' + (g % 1500) END,
	(ARRAY['available','available','under_construction','reserved','taken'])[1 + g % 5]
FROM generate_series(1, ?) g
JOIN LATERAL (SELECT id FROM parks ORDER BY id OFFSET (g % 13) LIMIT 1) p ON true`

func explainMainQueries(ctx context.Context, db *gorm.DB) error {
	var chifeng models.Region
	if err := db.Where("slug = ?", "chifeng").Take(&chifeng).Error; err != nil {
		return err
	}
	below, err := models.RegionIDsBelow(ctx, db, chifeng.ID)
	if err != nil {
		return err
	}
	cases := []struct {
		name string
		run  func(*gorm.DB) error
	}{
		{"home (headline figures and counts)", func(d *gorm.DB) error {
			_, err := models.LoadHomeSummary(ctx, d)
			return err
		}},
		{"region profile (Chifeng, with sub-regions)", func(d *gorm.DB) error {
			_, err := models.LoadRegionProfile(ctx, d, "chifeng")
			return err
		}},
		{"project list (page 1, newest)", func(d *gorm.DB) error {
			_, err := models.SearchProjects(ctx, d, models.ProjectFilter{Limit: 20})
			return err
		}},
		{"project filter (region with sub-regions, stage, amount)", func(d *gorm.DB) error {
			min := int64(100_000_000)
			_, err := models.SearchProjects(ctx, d, models.ProjectFilter{RegionIDs: below, Stage: models.StageUnderConstruction, MinYuan: &min, Limit: 20})
			return err
		}},
		{"policy filter (benefit kind, in force)", func(d *gorm.DB) error {
			_, _, err := models.SearchPolicies(ctx, d, models.PolicyFilter{Benefit: models.BenefitRent, Validity: models.PolicyInForce, Today: time.Now(), Limit: 20})
			return err
		}},
		{"policy text filter 补贴", func(d *gorm.DB) error {
			_, _, err := models.SearchPolicies(ctx, d, models.PolicyFilter{Text: []string{"补贴", "補貼"}, Limit: 20})
			return err
		}},
		{"statistics (every breakdown in one pass)", func(d *gorm.DB) error {
			_, err := models.LoadStatistics(ctx, d, models.StatisticsFilter{})
			return err
		}},
		{"statistics for a region with sub-regions", func(d *gorm.DB) error {
			_, err := models.LoadStatistics(ctx, d, models.StatisticsFilter{RegionIDs: below})
			return err
		}},
		{"reported statistics beside computed (every region)", func(d *gorm.DB) error {
			_, err := models.PublicReportedStatistics(ctx, d, nil)
			return err
		}},
		{"funnels of the latest events", func(d *gorm.DB) error {
			var ids []int64
			if err := d.Table("signing_events").Order("held_on DESC").Limit(12).Pluck("id", &ids).Error; err != nil {
				return err
			}
			_, err := models.EventFunnels(ctx, d, ids)
			return err
		}},
		{"memo lookup: content versions and the next scheduled publication", func(d *gorm.DB) error {
			memo := models.NewMemo[int64](1, nil)
			_, err := memo.Get(ctx, d, "bench", func(ctx context.Context) (n int64, err error) {
				return n, d.WithContext(ctx).Table("signing_events").Count(&n).Error
			})
			return err
		}},
		{"site finder (available factories of 2,000 to 10,000 m², by rent)", func(d *gorm.DB) error {
			_, _, err := models.SearchSites(ctx, d, models.SiteFilter{Kind: models.SiteStandardFactory, Sort: models.SiteSortRent,
				MinAreaM2: decimal.NewNullDecimal(decimal.NewFromInt(2000)), MaxAreaM2: decimal.NewNullDecimal(decimal.NewFromInt(10_000)), Limit: 20})
			return err
		}},
		{"site finder (a region with sub-regions, ready by a date)", func(d *gorm.DB) error {
			ready := time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
			_, _, err := models.SearchSites(ctx, d, models.SiteFilter{RegionIDs: below, ReadyBy: &ready, Sort: models.SiteSortReady, Limit: 20})
			return err
		}},
		{"incentive matcher candidates (Hongshan)", func(d *gorm.DB) error {
			var hongshan int64
			if err := d.Table("regions").Where("slug = ?", "hongshan").Pluck("id", &hongshan).Error; err != nil {
				return err
			}
			c, err := models.LoadMatchCandidates(ctx, d, hongshan, time.Now())
			if err == nil {
				_, err = models.MatchBenefits(ctx, d, c, models.MatchAnswers{}, time.Now(), 50)
			}
			return err
		}},
		{"search 电子 (and its Traditional spelling)", func(d *gorm.DB) error {
			_, err := models.Search(ctx, d, []string{"电子", "電子"}, 10)
			return err
		}},
	}
	// Where a sequential scan is the right plan on the bench data, and why.
	expectedScans := map[string]string{
		"incentive matcher candidates (Hongshan)": "the matcher weighs every item of every policy in force in, above and below " +
			"Hongshan: on the bench data half of the 10 000 policies and their 15 000 items, where reading the tables beats any index",
	}
	seqScan := regexp.MustCompile(`Seq Scan on (projects|policies|benefit_items|search_documents|project_appearances|park_sites)\b`)
	fmt.Println("== query plans")
	for _, c := range cases {
		// The plans printed are those of the SQL the pages really send.
		statements, err := dbtest.RecordSQL(db, c.run)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Printf("-- %s\n", c.name)
		for _, stmt := range statements {
			if s := strings.TrimSpace(stmt); !strings.HasPrefix(s, "SELECT") && !strings.HasPrefix(s, "WITH") {
				continue // a transaction around statements, or a setting
			}
			var plan []string
			if err := db.Raw("EXPLAIN " + stmt).Scan(&plan).Error; err != nil {
				return fmt.Errorf("explain %s: %w", c.name, err)
			}
			verdict := "ok: no sequential scan of a large table"
			switch {
			case seqScan.MatchString(strings.Join(plan, "\n")) && expectedScans[c.name] != "":
				verdict = "ok, a sequential scan is expected: " + expectedScans[c.name]
			case seqScan.MatchString(strings.Join(plan, "\n")):
				verdict = "SEQUENTIAL SCAN of a large table"
			}
			fmt.Printf("%s\n   => %s\n\n", indent(strings.Join(plan, "\n")), verdict)
		}
	}
	return nil
}

func field(out []byte, pattern string) string {
	m := regexp.MustCompile(pattern).FindSubmatch(out)
	if m == nil {
		return "?"
	}
	return string(m[1])
}

func indent(s string) string { return "   " + strings.ReplaceAll(s, "\n", "\n   ") }

func adminExec(ctx context.Context, url string, statements ...string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}
