package models_test

import (
	"context"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// searchIndexOn runs a content watch for the test and gives an index on
// db, warmed: every content type's text read into memory.
func searchIndexOn(t *testing.T, db *gorm.DB, url string) (*models.SearchIndex, *models.ContentWatch) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := models.NewContentWatch(url, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitUntil(t, "the content watch to listen", func() bool { return w.State().Current })
	x := models.NewSearchIndex(db, w, quiet)
	warm(t, x, db)
	return x, w
}

// warm searches until the index answers every type from memory.
func warm(t *testing.T, x *models.SearchIndex, db *gorm.DB) {
	t.Helper()
	waitUntil(t, "the search index to read every type", func() bool {
		if _, err := x.Search(context.Background(), db, []string{"电子"}, 10); err != nil {
			t.Fatal(err)
		}
		return x.InMemory()
	})
}

func waitUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !done(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// The index gives the database search's answer, hit for hit: the same
// records, counts, order and cap, for one and two characters, longer
// words, English in any case, spaces, both scripts at once, and records
// that are drafts, deleted, scheduled or past the count's cap.
func TestSearchIndexAnswersAsTheDatabaseDoes(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	dbtest.MustExec(t, db, `INSERT INTO projects (slug, name, investor, region_id, category, build_type, stage, summary, status, publish_at, deleted_at)
		SELECT 'extra-' || g, (ARRAY['常见词项目','電子项目','Zone Project','草稿项目'])[1 + g % 4] || g, '某公司', (SELECT min(id) FROM regions),
			'industry', 'new', 'signed', '摘要', CASE WHEN g % 4 = 3 THEN 'draft' ELSE 'published' END,
			CASE WHEN g % 7 = 0 THEN now() + interval '1 day' WHEN g % 11 = 0 THEN now() - interval '1 day' END,
			CASE WHEN g % 13 = 0 THEN now() END
		FROM generate_series(1, 3200) g`)
	x, _ := searchIndexOn(t, db, url)
	ctx := context.Background()
	cappedInMemory := false
	for _, forms := range [][]string{
		{"电"}, {"电子", "電子"}, {"电子"}, {"物流"}, {"赤峰市"}, {"chifeng"}, {"CHIFENG"}, {"Zone"}, {"zone project"},
		{"亿元 "}, {"新能源 汽车"}, {"一"}, {"常见词"}, {"草稿"}, {"无此词语"}, {"%"}, {"_"}, {"'"}, {"e"},
	} {
		want, err := models.Search(ctx, db, forms, 10)
		if err != nil {
			t.Fatal(err)
		}
		got, err := x.Search(ctx, db, forms, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !x.InMemory() {
			t.Fatal("the index left memory without an edit")
		}
		for i := range want {
			cappedInMemory = cappedInMemory || got[i].Capped
			if want[i].Capped {
				// The database stops at 501 candidates of any status and
				// counts the public among them: at least that many. The
				// index counts public records only, to 501.
				if got[i].Total < want[i].Total {
					t.Errorf("%q %s: index found %d (capped %v), the database %d+", forms, want[i].Kind, got[i].Total, got[i].Capped, want[i].Total)
				}
				got[i].Total, got[i].Capped = want[i].Total, want[i].Capped
			}
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("%q %s:\nindex    %+v\ndatabase %+v", forms, want[i].Kind, got[i], want[i])
			}
		}
	}
	if !cappedInMemory {
		t.Error("no search reached the count's cap in memory")
	}
}

// An edit sends that type's searches to the database at once, and the
// index serves again once it has read the new text; a change no version
// heard of (triggers off) shows the answers did come from memory.
func TestSearchIndexFollowsEdits(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	x, w := searchIndexOn(t, db, url)
	ctx := context.Background()
	hits := func(q string) int64 {
		t.Helper()
		groups, err := x.Search(ctx, db, []string{q}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return groups[4].Total // projects
	}
	if hits("无声改名") != 0 {
		t.Fatal("found before any change")
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		tx.Exec("SET LOCAL session_replication_role = replica") // no triggers: no version, no search document
		return tx.Exec("UPDATE projects SET name = '无声改名' WHERE id = (SELECT min(id) FROM projects)").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if hits("无声改名") != 0 {
		t.Fatal("a change no version heard of was found: the answer did not come from memory")
	}

	// A real edit: found at the next search, then from memory again.
	dbtest.MustExec(t, db, "UPDATE projects SET name = '有声改名' WHERE id = (SELECT min(id) FROM projects)")
	w.CatchUp(ctx, db)
	if hits("有声改名") != 1 {
		t.Fatal("an edit was not found at the next search")
	}
	warm(t, x, db)
	if hits("有声改名") != 1 || hits("无声改名") != 0 {
		t.Fatal("the index read again does not hold the edit")
	}

	// Unpublished: gone at the next search, and once read again.
	dbtest.MustExec(t, db, "UPDATE projects SET status = 'draft' WHERE name = '有声改名'")
	w.CatchUp(ctx, db)
	if hits("有声改名") != 0 {
		t.Fatal("an unpublished project was still found")
	}
	warm(t, x, db)
	if hits("有声改名") != 0 {
		t.Fatal("the index read again still finds the unpublished project")
	}
}

// A scheduled record is found once its time has come, without an edit.
func TestSearchIndexFindsScheduledRecordsOnTime(t *testing.T) {
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	dbtest.MustExec(t, db, `UPDATE news_articles SET title = '定时发布的新闻', publish_at = now() + interval '1500 milliseconds'
		WHERE id = (SELECT min(id) FROM news_articles)`)
	x, _ := searchIndexOn(t, db, url)
	news := func() int64 {
		groups, err := x.Search(context.Background(), db, []string{"定时发布"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		return groups[6].Total
	}
	if news() != 0 {
		t.Fatal("found before its time")
	}
	waitUntil(t, "the scheduled article to be found", func() bool { return news() == 1 })
	if !x.InMemory() {
		t.Fatal("the index left memory without an edit")
	}
	// Once the database no longer decides (a few seconds after the
	// publication), the index finds it by its publication time: a change
	// nobody hears of shows that the answer comes from memory.
	err := db.Transaction(func(tx *gorm.DB) error {
		tx.Exec("SET LOCAL session_replication_role = replica")
		return tx.Exec("UPDATE news_articles SET title = '改过的标题' WHERE title = '定时发布的新闻'").Error
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(6 * time.Second)
	if news() != 1 {
		t.Fatal("the index does not find the article published on time")
	}
}

// A type whose text is over the bound is searched in the database, with
// the same answer.
func TestSearchIndexLeavesATooLargeTypeToTheDatabase(t *testing.T) {
	defer models.SetSearchCorpusMaxBytes(2000)()
	db, url := dbtest.NewWithURL(t, dbtest.Seeded)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := models.NewContentWatch(url, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	waitUntil(t, "the content watch to listen", func() bool { return w.State().Current })
	x := models.NewSearchIndex(db, w, quiet)
	want, err := models.Search(ctx, db, []string{"赤峰"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		got, err := x.Search(ctx, db, []string{"赤峰"}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("index %+v\ndatabase %+v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if x.InMemory() {
		t.Fatal("the long texts were kept in memory over the bound")
	}
}
