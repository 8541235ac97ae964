package models_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"investportal/models"
	"investportal/models/dbtest"
)

// Every table of the schema is known to memos: versioned (migration
// 00020), kept from versioned ones, or without a version (then a value
// read from it depends on everything). A new table must be added to one.
func TestMemosKnowEveryTable(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var tables, versioned []string
	db.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`).Scan(&tables)
	db.Raw(`SELECT table_name FROM content_versions WHERE table_name <> '*'`).Scan(&versioned)
	slices.Sort(versioned)
	if want := slices.Sorted(slices.Values(models.VersionedTables)); !slices.Equal(versioned, want) {
		t.Errorf("content_versions has %v, the memos know %v", versioned, want)
	}
	known := append(append(slices.Clone(models.VersionedTables), models.UnversionedTables...), slices.Collect(maps.Keys(models.DerivedTables))...)
	for _, table := range tables {
		if !slices.Contains(known, table) {
			t.Errorf("table %s is in none of the memos' lists (memo.go)", table)
		}
	}
	for _, table := range known {
		if !slices.Contains(tables, table) {
			t.Errorf("the memos' lists name %s, which is no table", table)
		}
	}
}

// A memo learns what a value was read from by watching its statements,
// through GORM and through a page's pgx batch alike: a change to one of
// them computes it again, a change to another table does not, and a read
// of a table kept from others depends on those.
func TestMemoLearnsWhatAValueWasReadFrom(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	computed := 0
	home := models.NewMemo[models.HomeSummary](4, nil)
	get := func() models.HomeSummary {
		t.Helper()
		s, err := home.Get(ctx, db, "home", func(ctx context.Context) (models.HomeSummary, error) {
			computed++
			return models.LoadHomeSummary(ctx, db)
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	get()
	dbtest.MustExec(t, db, `UPDATE policies SET summary = summary || '。' WHERE id = (SELECT min(id) FROM policies)`)
	if get(); computed != 1 {
		t.Errorf("a policy edit made the home page's data compute again (%d)", computed)
	}
	dbtest.MustExec(t, db, `UPDATE news_articles SET title = '改过的标题' WHERE id = (SELECT min(id) FROM news_articles)`)
	if s := get(); computed != 2 || !slices.ContainsFunc(s.LatestNews, func(n models.NewsArticle) bool { return n.Title == "改过的标题" }) {
		t.Errorf("a news edit was not seen (%d computations)", computed)
	}

	totals := models.NewMemo[int64](4, nil)
	count := func() int64 {
		t.Helper()
		n, err := totals.Get(ctx, db, "rollup", func(ctx context.Context) (n int64, err error) {
			computed++
			return n, db.WithContext(ctx).Raw(`WITH r AS (SELECT * FROM project_rollup) SELECT count(*) FROM r`).Scan(&n).Error
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	computed = 0
	count()
	dbtest.MustExec(t, db, `UPDATE projects SET stage = 'producing' WHERE id = (SELECT min(id) FROM projects WHERE stage <> 'producing')`)
	if count(); computed != 2 {
		t.Errorf("a project edit did not reach what was read from the rollup (%d computations)", computed)
	}
}

// A value computed from another memo's value depends on what that one was
// read from, even when it came from memory.
func TestMemoWithinAMemoDependsOnWhatTheInnerOneRead(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	inner, outer := models.NewMemo[int64](4, nil), models.NewMemo[int64](4, nil)
	count := func(ctx context.Context) (int64, error) {
		return inner.Get(ctx, db, "news", func(ctx context.Context) (n int64, err error) {
			return n, db.WithContext(ctx).Table("news_articles").Where("status = 'published'").Count(&n).Error
		})
	}
	if _, err := count(ctx); err != nil { // the inner value is memoised first
		t.Fatal(err)
	}
	get := func() int64 {
		t.Helper()
		n, err := outer.Get(ctx, db, "twice", func(ctx context.Context) (int64, error) {
			n, err := count(ctx)
			return 2 * n, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := get()
	dbtest.MustExec(t, db, `UPDATE news_articles SET status = 'draft' WHERE id = (SELECT min(id) FROM news_articles WHERE status = 'published')`)
	if got := get(); got != before-2 {
		t.Errorf("after unpublishing an article: %d, want %d", got, before-2)
	}
}

// A value read from a replica that had replayed less than the versions the
// memo keys on (the watch heard of a change after the replica was chosen)
// is returned but not kept; one read from a replica that has it all is.
func TestMemoKeepsNothingReadFromALaggingReplica(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	versions, err := models.LoadContentVersions(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	all := versions.All()
	memo := models.NewMemo[int](4, nil)
	computed := 0
	get := func(ctx context.Context) {
		t.Helper()
		if _, err := memo.Get(ctx, db, "k", func(context.Context) (int, error) { computed++; return computed, nil }); err != nil {
			t.Fatal(err)
		}
	}
	lagging := models.ReadFromReplicaAt(context.Background(), all-1)
	get(lagging)
	get(lagging)
	if computed != 2 {
		t.Errorf("computed %d times from a lagging replica, want 2 (nothing kept)", computed)
	}
	current := models.ReadFromReplicaAt(context.Background(), all)
	get(current)
	get(current)
	get(context.Background())
	if computed != 3 {
		t.Errorf("computed %d times, want 3 (kept once read from a current replica)", computed)
	}
}
