package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"investportal/models"
	"investportal/models/dbtest"
)

// The policies in force at a site's region: its own and those of the
// regions above it, newest first, without drafts, deleted, expired or
// future ones, and counted in full though only the first are named; for
// several regions at once, each with its own.
func TestPoliciesInForceAt(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var city, district, other int64
	db.Raw(`INSERT INTO regions (slug, kind, name, status) VALUES ('t-city', 'city', '测试市', 'published') RETURNING id`).Scan(&city)
	db.Raw(`INSERT INTO regions (slug, parent_id, kind, name, status) VALUES ('t-district', ?, 'district', '测试区', 'published') RETURNING id`, city).Scan(&district)
	db.Raw(`INSERT INTO regions (slug, kind, name, status) VALUES ('t-other', 'city', '别市', 'published') RETURNING id`).Scan(&other)
	policy := func(slug string, region int64, effective, expires any, status string, deleted bool) {
		t.Helper()
		err := db.Exec(`INSERT INTO policies (slug, region_id, title, issuing_body, effective_on, expires_on, status, deleted_at)
			VALUES (?, ?, ?, '测试机关', ?, ?, ?, CASE WHEN ? THEN now() END)`, slug, region, slug, effective, expires, status, deleted).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	policy("city-2020", city, "2020-01-01", nil, "published", false)
	policy("city-2024", city, "2024-05-01", "2030-12-31", "published", false)
	policy("city-undated", city, nil, nil, "published", false)
	policy("city-expired", city, "2019-01-01", "2021-12-31", "published", false)
	policy("city-future", city, "2027-06-01", nil, "published", false)
	policy("city-draft", city, "2025-01-01", nil, "draft", false)
	policy("city-deleted", city, "2025-02-01", nil, "published", true)
	policy("district-2023", district, "2023-03-01", nil, "published", false)
	policy("district-2025", district, "2025-09-01", nil, "published", false)
	policy("other-2022", other, "2022-01-01", nil, "published", false)

	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	got, err := models.PoliciesInForceAt(context.Background(), db, []int64{district, city, other}, now, 3)
	if err != nil {
		t.Fatal(err)
	}
	slugs := func(p models.PoliciesInForce) (out []string) {
		for _, t := range p.First {
			out = append(out, t.Slug)
		}
		return out
	}
	cases := []struct {
		region int64
		first  []string
		total  int
	}{
		{district, []string{"district-2025", "city-2024", "district-2023"}, 5},
		{city, []string{"city-2024", "city-2020", "city-undated"}, 3},
		{other, []string{"other-2022"}, 1},
	}
	for _, c := range cases {
		p := got[c.region]
		if p.Total != c.total || !slices.Equal(slugs(p), c.first) {
			t.Errorf("region %d: %v of %d, want %v of %d", c.region, slugs(p), p.Total, c.first, c.total)
		}
	}

	// No regions given: each region with a public park, and no other.
	dbtest.MustExec(t, db, `INSERT INTO parks (slug, region_id, kind, name, status) VALUES ('t-park', ?, 'industrial_park', '测试园区', 'published'),
		('t-draft-park', ?, 'industrial_park', '草稿园区', 'draft')`, district, other)
	got, err = models.PoliciesInForceAt(context.Background(), db, nil, now, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[district].Total != 5 {
		t.Errorf("at the parks' regions: %+v, want the district's 5 only", got)
	}
}
