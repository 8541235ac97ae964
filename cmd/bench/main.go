// Command bench measures the public pages under load on a large synthetic
// dataset: it creates its own database next to the configured server,
// loads the demo content plus 100 000 projects and 10 000 policies, prints
// the query plans of the main list, filter and search queries (flagging any
// sequential scan of a large table), serves the portal on 127.0.0.1 and
// drives each page with wrk, printing requests per second and p50/p99
// latency. It drops its database when done. Run it through `make bench`.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/seed"
	"investportal/views/i18n"
)

const (
	benchDB      = "portal_bench"
	projectCount = 100_000
	policyCount  = 10_000
	eventCount   = 500
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	server, err := url.Parse(os.Getenv("DATABASE_URL"))
	if err != nil || server.Host == "" {
		return fmt.Errorf("DATABASE_URL must name a PostgreSQL server (make bench provides one)")
	}
	admin := *server
	admin.Path = "/postgres"
	benchURL := *server
	benchURL.Path = "/" + benchDB
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	if err := adminExec(ctx, admin.String(), "DROP DATABASE IF EXISTS "+benchDB+" WITH (FORCE)", "CREATE DATABASE "+benchDB); err != nil {
		return err
	}
	if os.Getenv("BENCH_KEEP_DB") == "" { // set it to look at the plans by hand afterwards
		defer func() { _ = adminExec(ctx, admin.String(), "DROP DATABASE IF EXISTS "+benchDB+" WITH (FORCE)") }()
	}

	db, err := models.Open(ctx, benchURL.String(), models.DefaultPool, 10*time.Second, quiet)
	if err != nil {
		return err
	}
	defer models.Close(db)
	start := time.Now()
	if _, err := models.Migrate(ctx, db); err != nil {
		return err
	}
	if _, err := seed.Load(ctx, db); err != nil {
		return err
	}
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{syntheticProjects, []any{projectCount}}, {syntheticEvents, []any{eventCount}},
		{syntheticAppearances, []any{eventCount, eventCount}},
		{syntheticPolicies, []any{policyCount}}, {syntheticBenefits, nil},
	} {
		if err := db.Exec(step.sql, step.args...).Error; err != nil {
			return fmt.Errorf("synthetic data: %w", err)
		}
	}
	// As autovacuum would by the time anyone visits: statistics, GIN's
	// pending list flushed, the visibility map set for index-only scans.
	if err := db.Exec("VACUUM ANALYZE").Error; err != nil {
		return err
	}
	var projects, policies int64
	db.Table("projects").Count(&projects)
	db.Table("policies").Count(&policies)
	fmt.Printf("dataset: %d projects, %d policies (built in %s)\n\n", projects, policies, time.Since(start).Round(time.Millisecond))

	if err := explainMainQueries(ctx, db); err != nil {
		return err
	}
	if err := i18n.Load(); err != nil {
		return err
	}
	return loadTest(db)
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
			memo := models.NewMemo[int](1, nil, "projects", "signing_events", "reported_statistics", "regions", "industry_chains", "news_articles")
			_, err := memo.Get(ctx, d, "bench", func() (int, error) { return 0, nil })
			return err
		}},
		{"search 电子 (and its Traditional spelling)", func(d *gorm.DB) error {
			_, err := models.Search(ctx, d, []string{"电子", "電子"}, 10)
			return err
		}},
	}
	seqScan := regexp.MustCompile(`Seq Scan on (projects|policies|benefit_items|search_documents|project_appearances)\b`)
	fmt.Println("== query plans")
	for _, c := range cases {
		// The plans printed are those of the SQL the pages really send.
		statements, err := dbtest.RecordSQL(db, c.run)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Printf("-- %s\n", c.name)
		for _, stmt := range statements {
			var plan []string
			if err := db.Raw("EXPLAIN " + stmt).Scan(&plan).Error; err != nil {
				return fmt.Errorf("explain %s: %w", c.name, err)
			}
			verdict := "ok: no sequential scan of a large table"
			if seqScan.MatchString(strings.Join(plan, "\n")) {
				verdict = "SEQUENTIAL SCAN of a large table"
			}
			fmt.Printf("%s\n   => %s\n\n", indent(strings.Join(plan, "\n")), verdict)
		}
	}
	return nil
}

func loadTest(db *gorm.DB) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk not installed (make bench installs it with apt)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	base, _ := url.Parse("http://" + l.Addr().String())
	// Server errors go to stderr, so a failing page says why.
	errorsOnly := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := handlers.NewServer(l.Addr().String(), handlers.New(handlers.Deps{DB: db, Log: errorsOnly, BaseURL: base}))
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	pages := []struct{ name, path string }{
		{"home", "/"},
		{"project list", "/projects"},
		{"project filter", "/projects?region=chifeng&stage=under_construction&min=10000"},
		{"project detail", "/projects/synthetic-project-4242"},
		{"policy list", "/policies"},
		{"policy filter", "/policies?benefit=rent_subsidy&validity=in_force"},
		{"policy detail", "/policies/chifeng-electronics-intelligent-manufacturing-support"},
		{"region detail", "/regions/chifeng"},
		{"search", "/search?q=" + url.QueryEscape("电子")},
		{"statistics", "/statistics"},
		{"statistics region", "/statistics?region=chifeng"},
		{"statistics csv", "/statistics/by-region.csv"},
		{"event funnel", "/events/synthetic-event-250"},
	}
	fmt.Println("== load: wrk, 2 threads, 8 connections, 5 s per page, on 127.0.0.1")
	fmt.Printf("%-16s %10s %10s %10s\n", "page", "req/s", "p50", "p99")
	for _, p := range pages {
		resp, err := http.Get(base.String() + p.path)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answers %d", p.path, resp.StatusCode)
		}
		out, err := exec.Command("wrk", "-t2", "-c8", "-d5s", "--latency", base.String()+p.path).CombinedOutput() // #nosec G204 -- wrk against the bench's own loopback server
		if err != nil {
			return fmt.Errorf("wrk %s: %w\n%s", p.path, err, out)
		}
		fmt.Printf("%-16s %10s %10s %10s\n", p.name, field(out, `Requests/sec:\s+(\S+)`), field(out, `\s50%\s+(\S+)`), field(out, `\s99%\s+(\S+)`))
	}
	return memoMisses(db, base)
}

// memoMisses times the memoised pages when their memo is stale: the first
// view after an edit. Before each request the projects' content version
// is raised, as any committed edit of a project does, and the page is
// fetched alone on one connection.
func memoMisses(db *gorm.DB, base *url.URL) error {
	const rounds = 40
	fmt.Printf("\n== memoised pages, first view after an edit: %d requests one at a time\n", rounds)
	fmt.Printf("%-16s %10s %10s\n", "page", "p50", "p90")
	for _, p := range []struct{ name, path string }{
		{"statistics", "/statistics"}, {"statistics region", "/statistics?region=chifeng"}, {"statistics csv", "/statistics/by-region.csv"},
	} {
		took := make([]time.Duration, 0, rounds)
		for range rounds {
			if err := db.Exec(`UPDATE content_versions SET version = version + 1 WHERE table_name = 'projects'`).Error; err != nil {
				return err
			}
			start := time.Now()
			resp, err := http.Get(base.String() + p.path)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s answers %d", p.path, resp.StatusCode)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		fmt.Printf("%-16s %10s %10s\n", p.name, took[rounds/2].Round(10*time.Microsecond), took[rounds*9/10].Round(10*time.Microsecond))
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
