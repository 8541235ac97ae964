package models_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// recordSQL runs fn and returns the statements it sent.
func recordSQL(t *testing.T, db *gorm.DB, fn func(*gorm.DB) error) []string {
	t.Helper()
	statements, err := dbtest.RecordSQL(db, fn)
	if err != nil {
		t.Fatal(err)
	}
	return statements
}

func plan(t *testing.T, db *gorm.DB, stmt string) string {
	t.Helper()
	var lines []string
	if err := db.Raw("EXPLAIN " + stmt).Scan(&lines).Error; err != nil {
		t.Fatalf("explain %s: %v", stmt, err)
	}
	return strings.Join(lines, "\n")
}

// addBulk gives projects and policies a few thousand unrelated rows, so the
// planner prices plans as on a real table rather than a seeded handful.
func addBulk(t *testing.T, db *gorm.DB) {
	t.Helper()
	for _, stmt := range []string{
		`INSERT INTO projects (slug, name, investor, region_id, category, build_type, stage, summary, status)
		 SELECT 'bulk-' || g, '批量项目' || g, '某公司', (SELECT min(id) FROM regions), 'industry', 'new', 'signed', '无关内容', 'published'
		 FROM generate_series(1, 5000) g`,
		`INSERT INTO policies (slug, region_id, title, issuing_body, summary, body, status)
		 SELECT 'bulk-' || g, (SELECT min(id) FROM regions), '批量政策' || g, '某机关', '无关内容', '无关正文', 'published'
		 FROM generate_series(1, 5000) g`,
		`VACUUM ANALYZE`, // as autovacuum would: flushes GIN's pending list, fills the visibility map
	} {
		if err := db.Exec(stmt).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// Search and the policy text filter find candidates through the gram
// index instead of reading every row.
func TestSearchUsesTheGramIndex(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	addBulk(t, db)
	ctx := context.Background()
	statements := recordSQL(t, db, func(d *gorm.DB) error {
		_, err := models.Search(ctx, d, []string{"电子", "電子"}, 10)
		return err
	})
	statements = append(statements, recordSQL(t, db, func(d *gorm.DB) error {
		_, _, err := models.SearchPolicies(ctx, d, models.PolicyFilter{Text: []string{"补贴"}, Limit: 20})
		return err
	})...)
	used := map[string]bool{}
	for _, stmt := range statements {
		if s := strings.TrimSpace(stmt); !strings.HasPrefix(s, "SELECT") && !strings.HasPrefix(s, "WITH") {
			continue // the transaction and its settings around a search
		}
		p := plan(t, db, stmt)
		for _, table := range []string{"policies", "projects"} {
			if (strings.Contains(stmt, `FROM `+table+` `) || strings.Contains(stmt, `JOIN `+table+` `)) && strings.Contains(p, "search_documents_"+table+"_idx") &&
				!strings.Contains(p, "Seq Scan on "+table) {
				used[table] = true
			}
		}
	}
	// The small tables are read whole, as they should be; the large ones not.
	for _, table := range []string{"policies", "projects"} {
		if !used[table] {
			t.Errorf("no search statement on %s uses the gram index without reading the whole table", table)
		}
	}
}

func TestSearchMatchesSubstringsExactly(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	total := func(kind string, forms ...string) int64 {
		t.Helper()
		groups, err := models.Search(ctx, db, forms, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range groups {
			if g.Kind == kind {
				return g.Total
			}
		}
		t.Fatalf("no group %s", kind)
		return 0
	}
	// The index narrows, ILIKE decides: the counts equal a plain scan's.
	for _, q := range []string{"电", "电子", "物流", "赤峰市", "chifeng", "CHIFENG", "Zone", "亿元 ", "新能源 汽车", "一"} {
		for _, target := range []struct{ kind, table, cols string }{
			{"region", "regions", "name, name_en, summary, description, business_environment"},
			{"policy", "policies", "title, title_en, summary, body, issuing_body"},
			{"project", "projects", "name, name_en, investor, summary, description"},
			{"news", "news_articles", "title, title_en, summary, body"},
		} {
			var want int64
			var likes []string
			for _, col := range strings.Split(target.cols, ", ") {
				likes = append(likes, col+" ILIKE '%' || ? || '%'")
			}
			args := make([]any, len(likes))
			for i := range args {
				args[i] = q
			}
			db.Table(target.table).Scopes(models.Public(target.table)).Where("deleted_at IS NULL").
				Where("("+strings.Join(likes, " OR ")+")", args...).Count(&want)
			if got := total(target.kind, q); got != want {
				t.Errorf("%s %q: search finds %d, a full scan %d", target.kind, q, got, want)
			}
		}
	}
	if total("region", "赤峰") == 0 || total("region", "CHIFENG") == 0 {
		t.Error("a region's Chinese or (upper-case) English name finds nothing")
	}
}
