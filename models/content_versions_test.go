package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// countingMemo memoises the number of published projects and counts how
// often it had to compute it.
type countingMemo struct {
	memo     *models.Memo[int64]
	computed int
}

func (m *countingMemo) get(t *testing.T, ctx context.Context, db *gorm.DB) int64 {
	t.Helper()
	n, err := m.memo.Get(ctx, db, "projects", func(ctx context.Context) (int64, error) {
		m.computed++
		var n int64
		err := db.WithContext(ctx).Model(&models.Project{}).Scopes(models.Public("projects")).Count(&n).Error
		return n, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMemoIsCurrentAtTheNextRead(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	m := &countingMemo{memo: models.NewMemo[int64](8, nil)}
	published := m.get(t, ctx, db)
	if m.get(t, ctx, db); m.computed != 1 {
		t.Fatalf("computed %d times for two reads of unchanged content", m.computed)
	}

	// A change to a table it was not computed from keeps it.
	dbtest.MustExec(t, db, `UPDATE policies SET summary = summary || '。' WHERE id = (SELECT min(id) FROM policies)`)
	if m.get(t, ctx, db); m.computed != 1 {
		t.Error("a policy edit made the projects' memo compute again")
	}

	// Unpublishing a project is seen at the next read.
	dbtest.MustExec(t, db, `UPDATE projects SET status = 'draft' WHERE id = (SELECT min(id) FROM projects WHERE status = 'published')`)
	if got := m.get(t, ctx, db); got != published-1 {
		t.Errorf("after unpublishing one: %d projects, want %d", got, published-1)
	}

	// An edit rolled back changes nothing, and neither does a transaction
	// still open: its version is raised only when it commits.
	_ = db.Transaction(func(tx *gorm.DB) error {
		dbtest.MustExec(t, tx, `UPDATE projects SET status = 'draft' WHERE status = 'published'`)
		return errors.New("roll back")
	})
	computed := m.computed
	tx := db.Begin()
	dbtest.MustExec(t, tx, `DELETE FROM project_appearances`)
	dbtest.MustExec(t, tx, `UPDATE projects SET deleted_at = now() WHERE status = 'published'`)
	if got := m.get(t, ctx, db); got != published-1 || m.computed != computed {
		t.Errorf("with a rollback and an open transaction: %d projects, computed %d more times", got, m.computed-computed)
	}
	var before, beforeAll int64
	db.Raw(`SELECT version FROM content_versions WHERE table_name = 'projects'`).Scan(&before)
	db.Raw(`SELECT version FROM content_versions WHERE table_name = '*'`).Scan(&beforeAll)
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if got := m.get(t, ctx, db); got != 0 {
		t.Errorf("after the commit: %d projects, want 0", got)
	}
	// Each table is raised once per transaction, however many rows changed.
	var after, afterAll int64
	db.Raw(`SELECT version FROM content_versions WHERE table_name = 'projects'`).Scan(&after)
	db.Raw(`SELECT version FROM content_versions WHERE table_name = '*'`).Scan(&afterAll)
	if after != before+1 || afterAll != beforeAll+2 {
		t.Errorf("projects version %d → %d, all %d → %d; want +1 and +2 (two tables)", before, after, beforeAll, afterAll)
	}

	// A staff preview is never memoised.
	computed = m.computed
	preview := models.WithPreview(ctx, "projects", 1)
	m.get(t, preview, db)
	m.get(t, preview, db)
	if m.computed != computed+2 {
		t.Error("a preview was served from the memo")
	}
}

// A project scheduled for later counts from its publish time on, though
// nothing is written at that time.
func TestMemoEndsAtTheNextScheduledPublication(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	m := &countingMemo{memo: models.NewMemo[int64](8, nil)}
	dbtest.MustExec(t, db, `UPDATE projects SET publish_at = now() + interval '1.5 seconds'
		WHERE id = (SELECT min(id) FROM projects WHERE status = 'published')`)
	before := m.get(t, ctx, db)
	if m.get(t, ctx, db); m.computed != 1 {
		t.Fatalf("computed %d times before the publish time", m.computed)
	}
	time.Sleep(1600 * time.Millisecond)
	if got := m.get(t, ctx, db); got != before+1 {
		t.Errorf("after its publish time: %d projects, want %d", got, before+1)
	}
	if m.get(t, ctx, db); m.computed != 2 {
		t.Errorf("computed %d times; once more after the publication, then memoised again", m.computed)
	}
}

// Writers that change the same tables in opposite orders, at the same
// time, never deadlock on the versions (each takes the '*' row first, at
// commit), and every transaction is counted.
func TestContentVersionsNeverDeadlockWriters(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	var before int64
	db.Raw(`SELECT version FROM content_versions WHERE table_name = '*'`).Scan(&before)
	orders := [][]string{
		{`UPDATE projects SET summary = summary WHERE id = (SELECT min(id) FROM projects)`, `UPDATE policies SET summary = summary WHERE id = (SELECT min(id) FROM policies)`},
		{`UPDATE policies SET summary = summary WHERE id = (SELECT max(id) FROM policies)`, `UPDATE projects SET summary = summary WHERE id = (SELECT max(id) FROM projects)`},
	}
	const rounds = 40
	errs := make(chan error, len(orders))
	for _, statements := range orders {
		go func() {
			for range rounds {
				if err := db.Transaction(func(tx *gorm.DB) error {
					for _, s := range statements {
						if err := tx.Exec(s).Error; err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range orders {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var after int64
	db.Raw(`SELECT version FROM content_versions WHERE table_name = '*'`).Scan(&after)
	if want := before + 2*int64(len(orders)*rounds); after != want {
		t.Errorf("'*' version %d, want %d (two tables per transaction)", after, want)
	}
}

// After a restore from a backup the versions go back and may climb to a
// stamp the memo holds from before: a lower '*' version empties the memo.
// Without the rows, nothing is memoised.
func TestMemoForgetsEverythingWhenVersionsGoBack(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	ctx := context.Background()
	m := &countingMemo{memo: models.NewMemo[int64](8, nil)}
	published := m.get(t, ctx, db)
	// The restore: an older state, one project fewer, versions lower.
	dbtest.MustExec(t, db, `UPDATE content_versions SET version = version - 3 WHERE table_name = '*'`)
	dbtest.MustExec(t, db, `UPDATE content_versions SET version = version - 1 WHERE table_name = 'projects'`)
	// An edit then brings projects back to the stamp the memo holds.
	dbtest.MustExec(t, db, `UPDATE projects SET status = 'draft' WHERE id = (SELECT min(id) FROM projects WHERE status = 'published')`)
	if got := m.get(t, ctx, db); got != published-1 {
		t.Errorf("after the restore and an edit: %d projects, want %d", got, published-1)
	}

	dbtest.MustExec(t, db, `DELETE FROM content_versions`)
	if _, err := m.memo.Get(ctx, db, "projects", func(context.Context) (int64, error) { return 0, nil }); err == nil {
		t.Error("an empty content_versions was taken for unchanged content")
	}
}
