package models

import (
	"context"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// SigningKinds are the event kinds whose reported figures count as signings;
// construction starts and cooperation memoranda do not.
var SigningKinds = []string{EventCeremony, EventOnlineSigning, EventConference}

// SigningTotals sums what the public signing events announced.
type SigningTotals struct {
	Events    int64
	Projects  int64
	TotalYuan int64
}

// HomeSummary is what the home page shows, read in one place.
type HomeSummary struct {
	Signings     SigningTotals
	Featured     []RegionFigure // headline figures with region and source
	LatestEvents []SigningEvent
	Regions      []Region // top-level regions and economic zones
	LatestNews   []NewsArticle
}

// LoadHomeSummary reads the home page's figures and lists in one round trip.
func LoadHomeSummary(ctx context.Context, db *gorm.DB) (HomeSummary, error) {
	var s HomeSummary
	q := homeStatements.get(ctx)
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(q.signings).QueryRow(func(row pgx.Row) error {
			return row.Scan(&s.Signings.Events, &s.Signings.Projects, &s.Signings.TotalYuan)
		})
		b.Queue(q.featured).Query(collect(&s.Featured, scanFeaturedFigure))
		b.Queue(q.events).Query(collect(&s.LatestEvents, scanEventRow))
		b.Queue(q.regions).Query(collect(&s.Regions, scanRegionCard))
		b.Queue(q.news).Query(collect(&s.LatestNews, scanNewsRow))
	})
	return s, err
}

var homeStatements = newStatements(func(ctx context.Context) (q struct{ signings, featured, events, regions, news string }) {
	signingEvents := `FROM signing_events e WHERE ` + publicRow(ctx, "e", "signing_events") + ` AND e.kind IN ` + sqlList(SigningKinds)
	q.signings = `SELECT count(*), coalesce(sum(e.reported_project_count), 0), coalesce(sum(e.reported_total_yuan), 0) ` + signingEvents
	q.featured = `SELECT f.label, f.label_en, f.value, f.unit, f.qualifier, f.year, f.as_of, f.as_of_en, f.source_note, r.name, r.name_en, a.source_name
		FROM region_figures f JOIN regions r ON r.id = f.region_id
		LEFT JOIN news_articles a ON a.id = f.source_article_id AND a.deleted_at IS NULL
		WHERE f.featured AND ` + publicRow(ctx, "r", "regions") + ` ORDER BY f.region_id, f.position`
	q.events = `SELECT ` + eventRowColumns("e") + ` FROM (SELECT * ` + signingEvents + ` ORDER BY e.held_on DESC, e.id DESC LIMIT 5) e ` +
		eventRowJoins("e") + ` ORDER BY e.held_on DESC, e.id DESC`
	q.regions = `SELECT ` + regionCardColumns("r") + ` FROM regions r
		WHERE (r.parent_id IS NULL OR r.kind = '` + RegionCity + `') AND ` + publicRow(ctx, "r", "regions") + ` ORDER BY r.id`
	q.news = `SELECT ` + newsRowColumns("n") + ` FROM news_articles n WHERE ` + publicRow(ctx, "n", "news_articles") + `
		ORDER BY n.published_on DESC NULLS LAST, n.id DESC LIMIT 5`
	return q
})

func scanFeaturedFigure(rows pgx.Rows, f *RegionFigure) error {
	f.Region = &Region{}
	var source *string
	err := rows.Scan(&f.Label, &f.LabelEn, &f.Value, &f.Unit, &f.Qualifier, &f.Year, &f.AsOf, &f.AsOfEn, &f.SourceNote,
		&f.Region.Name, &f.Region.NameEn, &source)
	f.SourceArticle = sourceNamed(source)
	return err
}
