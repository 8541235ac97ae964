package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"investportal/models"
	"investportal/models/dbtest"
)

// withStatementTimeout is a pool on which a query that ran away fails in
// seconds instead of holding the test until the database runs out.
func withStatementTimeout() models.PoolConfig {
	pool := models.DefaultPool
	pool.StatementTimeout = 3 * time.Second
	return pool
}

func TestDatabaseRefusesParentLoops(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	for _, c := range []struct{ name, sql string }{
		{"region under its district", "UPDATE regions SET parent_id = (SELECT id FROM regions WHERE slug = 'hongshan') WHERE slug = 'chifeng'"},
		{"region under its grandchild", "UPDATE regions SET parent_id = (SELECT id FROM regions WHERE slug = 'hongshan') WHERE slug = 'inner-mongolia'"},
		{"region its own parent", "UPDATE regions SET parent_id = id WHERE slug = 'tongliao'"},
		{"park under its own park", "UPDATE parks SET parent_park_id = (SELECT id FROM parks WHERE slug = 'dongshan-industrial-park') WHERE slug = 'chifeng-high-tech-zone'"},
	} {
		err := db.Exec(c.sql).Error
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "23514" || pg.ConstraintName == "" {
			t.Errorf("%s: %v, want a check violation naming the rule", c.name, err)
		}
	}
	// A legal move still works.
	dbtest.MustExec(t, db, "UPDATE regions SET parent_id = (SELECT id FROM regions WHERE slug = 'tongliao') WHERE slug = 'harqin'")

	// Two changes at once that together would close a loop: the second
	// waits for the first and then sees it.
	ctx := context.Background()
	first := db.WithContext(ctx).Begin()
	defer first.Rollback()
	if err := first.Exec("UPDATE regions SET parent_id = (SELECT id FROM regions WHERE slug = 'gujiao') WHERE slug = 'yangqu'").Error; err != nil {
		t.Fatal(err)
	}
	second := make(chan error, 1)
	go func() {
		second <- db.Exec("UPDATE regions SET parent_id = (SELECT id FROM regions WHERE slug = 'yangqu') WHERE slug = 'gujiao'").Error
	}()
	time.Sleep(200 * time.Millisecond) // let the second reach the lock
	if err := first.Commit().Error; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err == nil {
		t.Error("two concurrent changes closed a loop")
	}
}

// Even a loop stored before the trigger existed (or with it switched off)
// cannot make the tree queries run away.
func TestTreeQueriesEndOnAStoredLoop(t *testing.T) {
	db := dbtest.NewWithPool(t, dbtest.Seeded, withStatementTimeout())
	ctx := context.Background()
	dbtest.MustExec(t, db, "ALTER TABLE regions DISABLE TRIGGER regions_parent_cycle")
	dbtest.MustExec(t, db, "UPDATE regions SET parent_id = (SELECT id FROM regions WHERE slug = 'hongshan') WHERE slug = 'chifeng'")
	if _, err := models.LoadRegionProfile(ctx, db, "chifeng"); err != nil {
		t.Errorf("region profile: %v", err)
	}
	if _, err := models.LoadRegionProfile(ctx, db, "hongshan"); err != nil {
		t.Errorf("region profile below the loop: %v", err)
	}
	var id int64
	db.Raw("SELECT id FROM regions WHERE slug = 'chifeng'").Scan(&id)
	if ids, err := models.RegionIDsBelow(ctx, db, id); err != nil || len(ids) == 0 {
		t.Errorf("regions below: %v, %v", ids, err)
	}
	if ids, err := models.RegionIDsAbove(ctx, db, id); err != nil || len(ids) == 0 {
		t.Errorf("regions above: %v, %v", ids, err)
	}
	if _, err := models.LoadPolicy(ctx, db, "chifeng-electronics-intelligent-manufacturing-support"); err != nil {
		t.Errorf("policy with its region's contacts: %v", err)
	}
	if _, err := models.PublicRegions(ctx, db); err != nil {
		t.Errorf("region tree: %v", err)
	}
}
