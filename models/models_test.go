package models_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/seed"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// allTables lists every table of the schema, to compare row counts, but
// search_documents, which triggers derive from the others.
var allTables = []string{
	"news_articles", "regions", "region_figures", "business_measures", "industry_chains", "parks",
	"chain_parks", "park_sites", "contacts", "policies", "policy_chains", "benefit_items",
	"signing_events", "projects", "project_managers", "project_reports", "staff_users",
	"inquiries", "inquiry_notes", "audit_log", "outbox_messages",
}

func rowCounts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	for _, table := range allTables {
		var n int64
		if err := db.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		counts[table] = n
	}
	return counts
}

func TestMigrationsApplyToEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t, dbtest.Empty)

	applied, err := models.Migrate(ctx, db)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if applied == 0 {
		t.Fatal("no migration applied to an empty database")
	}
	states, err := models.MigrationStatus(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if !s.Applied {
			t.Errorf("migration %d (%s) still pending", s.Version, s.Source)
		}
	}
	for table, n := range rowCounts(t, db) {
		if n != 0 {
			t.Errorf("%s has %d rows after migrating, want 0", table, n)
		}
	}
	again, err := models.Migrate(ctx, db)
	if err != nil || again != 0 {
		t.Fatalf("second migrate applied %d, err %v; want 0, nil", again, err)
	}
}

func TestSeedTwiceGivesTheSameRows(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t, dbtest.Migrated)

	first, err := seed.Load(ctx, db)
	if err != nil {
		t.Fatalf("first load: %v", err)
	}
	afterFirst := rowCounts(t, db)
	second, err := seed.Load(ctx, db)
	if err != nil {
		t.Fatalf("second load: %v", err)
	}
	if len(second) != 0 {
		t.Errorf("second load inserted %v, want nothing", second)
	}
	afterSecond := rowCounts(t, db)
	for _, table := range allTables {
		if afterFirst[table] != afterSecond[table] {
			t.Errorf("%s: %d rows after the first load, %d after the second", table, afterFirst[table], afterSecond[table])
		}
		if int64(first[table]) != afterFirst[table] {
			t.Errorf("%s: load reported %d inserted, table holds %d", table, first[table], afterFirst[table])
		}
	}
	for _, table := range []string{"news_articles", "regions", "region_figures", "parks", "policies", "benefit_items", "signing_events", "projects", "contacts"} {
		if afterFirst[table] == 0 {
			t.Errorf("seed left %s empty", table)
		}
	}
}

func TestSeedKeepsStaffEdits(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t, dbtest.Seeded)
	if err := db.Exec("UPDATE regions SET summary = 'edited by staff' WHERE slug = 'chifeng'").Error; err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	var summary string
	db.Raw("SELECT summary FROM regions WHERE slug = 'chifeng'").Scan(&summary)
	if summary != "edited by staff" {
		t.Errorf("seeding again overwrote a staff edit: summary = %q", summary)
	}
}

func TestSeedHoldsTheElectronicsPolicyAwards(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	var rows []struct {
		Level, Recipient string
		AmountYuan       int64
	}
	err := db.Raw(`SELECT b.level, b.recipient, b.amount_yuan FROM benefit_items b
		JOIN policies p ON p.id = b.policy_id
		WHERE p.slug = 'chifeng-electronics-intelligent-manufacturing-support' AND b.kind = 'one_time_award'
		ORDER BY b.position`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		level, recipient string
		yuan             int64
	}{
		{"national", "制造业创新中心", 10_000_000}, {"provincial", "制造业创新中心", 5_000_000},
		{"national", "企业技术中心", 5_000_000}, {"provincial", "企业技术中心", 1_000_000},
		{"national", "工业设计中心", 1_000_000}, {"provincial", "工业设计中心", 500_000},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d one-time awards, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		if rows[i].Level != w.level || rows[i].Recipient != w.recipient || rows[i].AmountYuan != w.yuan {
			t.Errorf("award %d = %+v, want %+v", i, rows[i], w)
		}
	}
}

func TestSeedCitesSourcesAndKeepsTraditionalText(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	for _, table := range []string{"region_figures", "policies", "signing_events", "projects", "parks"} {
		var missing int64
		db.Table(table).Where("source_article_id IS NULL").Count(&missing)
		if missing != 0 {
			t.Errorf("%d rows of %s name no source article", missing, table)
		}
	}
	var body string
	if err := db.Raw("SELECT body FROM news_articles WHERE slug = '2021-taixin-economic-zone'").Scan(&body).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "太忻一體化經濟區") {
		t.Error("the Traditional article lost its Traditional text")
	}
	for _, debris := range []string{"(jīng)", "?", "�", "/p>"} {
		if strings.Contains(body, debris) {
			t.Errorf("the Traditional article still holds %q from the scraped source", debris)
		}
	}
	var total int64
	db.Raw("SELECT reported_total_yuan FROM signing_events WHERE slug = 'tongliao-spring-signing-2023'").Scan(&total)
	if total != 102_715_000_000 {
		t.Errorf("Tongliao 2023 signing total = %d yuan, want 102 715 000 000 (1027.15亿元)", total)
	}
}

func TestDatabaseRejectsBadRows(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	var regionID int64
	db.Raw("SELECT id FROM regions WHERE slug = 'chifeng'").Scan(&regionID)

	const project = `INSERT INTO projects (slug, name, region_id, category, build_type, stage, contracted_amount_yuan)
		VALUES (?, '测试项目', ?, 'industry', 'new', ?, ?)`
	cases := []struct {
		name string
		sql  string
		args []any
		want error  // a GORM-translated error, or
		code string // a PostgreSQL error code
	}{
		{"negative amount", project, []any{"negative-amount", regionID, "signed", -1}, gorm.ErrCheckConstraintViolated, ""},
		{"unknown stage", project, []any{"unknown-stage", regionID, "dreaming", 1}, gorm.ErrCheckConstraintViolated, ""},
		{"duplicate slug", project, []any{"huawei-emerging-industry-cloud", regionID, "signed", 1}, gorm.ErrDuplicatedKey, ""},
		{"bad slug", project, []any{"Not A Slug", regionID, "signed", 1}, gorm.ErrCheckConstraintViolated, ""},
		{"orphan region", project, []any{"orphan", 999999, "signed", 1}, gorm.ErrForeignKeyViolated, ""},
		{"missing name", `INSERT INTO regions (slug, kind) VALUES ('nameless', 'city')`, nil, nil, "23502"},
		{"figure without source", `INSERT INTO region_figures (region_id, position, label, value, year)
			VALUES (?, 999, '无来源', 1, 2021)`, []any{regionID}, gorm.ErrCheckConstraintViolated, ""},
		{"contact for two places", `INSERT INTO contacts (region_id, park_id, name, title, organisation)
			VALUES (?, (SELECT min(id) FROM parks), '某人', '职务', '单位')`, []any{regionID}, gorm.ErrCheckConstraintViolated, ""},
		{"policy expiring before it starts", `INSERT INTO policies (slug, region_id, title, issuing_body, effective_on, expires_on)
			VALUES ('backwards', ?, '倒序政策', '某局', '2024-01-01', '2023-01-01')`, []any{regionID}, gorm.ErrCheckConstraintViolated, ""},
		{"inquiry without email or phone", `INSERT INTO inquiries (reference, status_token_hash, name, message, language, consent_at)
			VALUES ('INQ-2026-000001', '\\x01', '投资人', '留言', 'zh-Hans', now())`, nil, gorm.ErrCheckConstraintViolated, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := db.Exec(tc.sql, tc.args...).Error
			if err == nil {
				t.Fatal("the database accepted the row")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var pgErr *pgconn.PgError
			if tc.code != "" && (!errors.As(err, &pgErr) || pgErr.Code != tc.code) {
				t.Fatalf("err = %v, want PostgreSQL code %s", err, tc.code)
			}
		})
	}
}

func TestHomeSummaryCountsOnlyPublicSignings(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t, dbtest.Seeded)
	before, err := models.LoadHomeSummary(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	// 84.8 + 591.95 + 1027.15 亿元; the construction start and the memorandum do not count.
	if before.Signings.TotalYuan != 170_390_000_000 || before.Signings.Projects != 198 || before.Signings.Events != 5 {
		t.Fatalf("signings = %+v, want 5 events, 198 projects, 170 390 000 000 yuan", before.Signings)
	}
	dbtest.MustExec(t, db, "UPDATE signing_events SET status = 'draft' WHERE slug = 'tongliao-spring-signing-2023'")
	dbtest.MustExec(t, db, "UPDATE signing_events SET publish_at = now() + interval '1 day' WHERE slug = 'tongliao-spring-online-signing-2022'")
	dbtest.MustExec(t, db, "UPDATE signing_events SET deleted_at = now() WHERE slug = 'chifeng-shenzhen-conference-2019'")
	after, err := models.LoadHomeSummary(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if after.Signings.Events != 2 || after.Signings.TotalYuan != 0 || after.Signings.Projects != 8 {
		t.Errorf("after hiding three events: %+v, want 2 events, 8 projects, 0 yuan", after.Signings)
	}
	for _, e := range after.LatestEvents {
		if e.Slug == "tongliao-spring-signing-2023" || e.Slug == "chifeng-shenzhen-conference-2019" {
			t.Errorf("hidden event %s still listed", e.Slug)
		}
	}
}

func TestOpenGivesUpAfterWaiting(t *testing.T) {
	start := time.Now()
	_, err := models.Open(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable",
		models.DefaultPool, 500*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil {
		t.Fatal("opened a database on a closed port")
	}
	if !strings.Contains(err.Error(), "attempts") || !models.Unavailable(err) {
		t.Errorf("err = %v, want a retry count and an 'unavailable' error", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("gave up after %v, want about the 500ms it was given", elapsed)
	}
}

// A server that comes up while Open is waiting is used: here a proxy to the
// test server starts listening only after Open's first attempts failed.
func TestOpenRetriesUntilTheServerAnswers(t *testing.T) {
	target, err := url.Parse(dbtest.URL(dbtest.NewDatabase(t, dbtest.Migrated)))
	if err != nil {
		t.Fatal(err)
	}
	reserve, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := reserve.Addr().String()
	reserve.Close()

	go func() {
		time.Sleep(400 * time.Millisecond)
		l, err := net.Listen("tcp", proxyAddr)
		if err != nil {
			return
		}
		t.Cleanup(func() { l.Close() })
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target.Host)
			if err != nil {
				client.Close()
				continue
			}
			go func() { _, _ = io.Copy(server, client); server.Close() }()
			go func() { _, _ = io.Copy(client, server); client.Close() }()
		}
	}()

	viaProxy := *target
	viaProxy.Host = proxyAddr
	var logged strings.Builder
	db, err := models.Open(context.Background(), viaProxy.String(), models.DefaultPool, 10*time.Second,
		slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatalf("Open did not wait for the server: %v", err)
	}
	defer models.Close(db)
	if !strings.Contains(logged.String(), "retrying") {
		t.Error("Open succeeded without a retry; the test proves nothing")
	}
}
