package models_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/models/dbtest"
)

// The site finder's search in memory gives the database's answer: the
// same sites, in the same order, counted alike, for every filter and sort,
// with ties, missing rents, prices and dates, a draft park and pages.
func TestPublicSitesFindAsTheDatabaseDoes(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	dbtest.MustExec(t, db, `INSERT INTO park_sites (park_id, position, name, kind, area_m2, rent_yuan_per_m2_month, sale_price_yuan, ready_on, status)
		SELECT p.id, 100 + g, '场地' || g, (ARRAY['land','standard_factory','office'])[1 + g % 3],
			(g % 17 + 1) * 250.5,
			CASE WHEN g % 4 <> 0 THEN g % 9 + 5.25 END,
			CASE WHEN g % 5 = 0 THEN (g % 11 + 1) * 100000 END,
			CASE WHEN g % 3 = 0 THEN date '2026-06-01' + (g % 13) * 61 END,
			(ARRAY['available','available','under_construction','reserved','taken'])[1 + g % 5]
		FROM generate_series(1, 400) g
		JOIN LATERAL (SELECT id FROM parks ORDER BY id OFFSET (g % 13) LIMIT 1) p ON true`)
	dbtest.MustExec(t, db, `UPDATE parks SET status = 'draft' WHERE id = (SELECT max(id) FROM parks)`)
	ctx := context.Background()
	all, err := models.LoadPublicSites(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var chifeng, park, chain int64
	db.Raw("SELECT id FROM regions WHERE slug = 'chifeng'").Scan(&chifeng)
	db.Raw("SELECT min(id) FROM parks").Scan(&park)
	db.Raw("SELECT min(chain_id) FROM chain_parks").Scan(&chain)
	below, err := models.RegionIDsBelow(ctx, db, chifeng)
	if err != nil {
		t.Fatal(err)
	}
	dec := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.RequireFromString(s)) }
	price := int64(500000)
	ready := time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	bounds := []models.SiteFilter{
		{}, {MinAreaM2: dec("1000")}, {MaxAreaM2: dec("2505")}, {MinAreaM2: dec("751.5"), MaxAreaM2: dec("3006")},
		{MaxRent: dec("9.25")}, {MaxPriceYuan: &price}, {ReadyBy: &ready}, {RegionIDs: below}, {RegionIDs: []int64{}},
		{ChainID: chain}, {ParkKind: "development_zone"}, {ParkID: park}, {SiteID: 3},
	}
	n := 0
	for _, b := range bounds {
		for _, status := range []string{"", models.SiteStatusAny, models.SiteReserved} {
			for _, kind := range []string{"", models.SiteStandardFactory} {
				for _, sort := range []string{"", models.SiteSortAreaDesc, models.SiteSortRent, models.SiteSortPrice, models.SiteSortReady} {
					for _, offset := range []int{0, 20} {
						f := b
						f.Status, f.Kind, f.Sort, f.Limit, f.Offset = status, kind, sort, 20, offset
						want, wantTotal, err := models.SearchSites(ctx, db, f)
						if err != nil {
							t.Fatal(err)
						}
						got, total := all.Find(f)
						if total != wantTotal || !reflect.DeepEqual(ids(got), ids(want)) || !reflect.DeepEqual(got, want) && len(want) > 0 {
							t.Errorf("%+v:\nmemory   %d %v\ndatabase %d %v", f, total, ids(got), wantTotal, ids(want))
						}
						n += int(wantTotal)
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no filter found anything")
	}
}

func ids(sites []models.SiteResult) string {
	out := ""
	for _, s := range sites {
		out += fmt.Sprint(s.ID, " ")
	}
	return out
}
