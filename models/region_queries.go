package models

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// RegionProfile is everything a region's public page shows.
type RegionProfile struct {
	Region    Region   // with Figures (and their source articles) and Measures
	Ancestors []Region // from the top-level region down to the parent
	Children  []Region
	Parks     []Park
	Chains    []IndustryChain
	// Policies are the latest RegionPolicyLimit of those that apply there:
	// the region's own and those of the regions above it, PolicyCount in all.
	Policies    []Policy
	PolicyCount int64
	Contacts    []Contact // the region's officers, or the nearest region above's
	Projects    []Project // in the region and every region below it, newest first
	Totals      ProjectTotals
	SourceName  string // the article the profile was written from
}

// RegionPolicyLimit is how many policies a region's page lists; the
// policy list filtered by the region has them all.
const RegionPolicyLimit = 12

// ProjectTotals sums a set of projects.
type ProjectTotals struct {
	Count          int64
	ContractedYuan int64
	CompletedYuan  int64
}

// PublicRegions lists the published regions in tree order: each region
// after its parent, siblings by id.
func PublicRegions(ctx context.Context, db *gorm.DB) ([]Region, error) {
	var regions []Region
	err := db.WithContext(ctx).Raw(publicRegionTreeSQL("r.*", "*")).Scan(&regions).Error
	return regions, err
}

// publicRegionTreeSQL selects the published regions in tree order (each
// after its parent, siblings by id): inner names the columns of regions
// r the tree carries (with status, publish_at and deleted_at), outer those
// it returns. A loop of parents an editor made ends where it closes.
func publicRegionTreeSQL(inner, outer string) string {
	return `
		WITH RECURSIVE tree AS (
			SELECT ` + inner + `, ARRAY[r.id] AS sort_path FROM regions r
			WHERE r.parent_id IS NULL
			UNION ALL
			SELECT ` + inner + `, tree.sort_path || r.id FROM regions r JOIN tree ON r.parent_id = tree.id
		) CYCLE id SET in_cycle USING cycle_path
		SELECT ` + outer + ` FROM tree
		WHERE status = 'published' AND (publish_at IS NULL OR publish_at <= now()) AND deleted_at IS NULL AND NOT in_cycle
		ORDER BY sort_path`
}

// RegionIDsBelow returns the ids of a region and every published region
// below it: the regions whose projects count towards it.
func RegionIDsBelow(ctx context.Context, db *gorm.DB, id int64) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Raw(`WITH RECURSIVE `+regionsBelowCTE+` SELECT id FROM below WHERE NOT in_cycle`, sql.Named("region", id)).Scan(&ids).Error
	return ids, err
}

// regionsBelowCTE is the common table expression below: the region
// @region and every published region below it, those with in_cycle false
// (a parent loop an editor made ends there), for WITH RECURSIVE.
const regionsBelowCTE = `below AS (
		SELECT id FROM regions WHERE id = @region
		UNION ALL
		SELECT r.id FROM regions r JOIN below ON r.parent_id = below.id
		WHERE r.status = 'published' AND (r.publish_at IS NULL OR r.publish_at <= now()) AND r.deleted_at IS NULL
	) CYCLE id SET in_cycle USING cycle_path`

// LoadRegionProfile reads a published region's page by slug, in one
// round trip: every statement finds the region by its slug itself.
func LoadRegionProfile(ctx context.Context, db *gorm.DB, slug string) (RegionProfile, error) {
	var p RegionProfile
	q := regionStatements.get(ctx)
	args := pgx.NamedArgs{"slug": slug, "limit": RegionPolicyLimit}
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(q.region, args).QueryRow(func(row pgx.Row) error {
			r := &p.Region
			var source *string
			err := row.Scan(&r.ID, &r.Slug, &r.ParentID, &r.Kind, &r.Name, &r.NameEn, &r.Summary, &r.SummaryEn, &r.Description,
				&r.Transport, &r.Talent, &r.BusinessEnvironment, &r.UpdatedAt, &r.SourceArticleID, &source)
			if source != nil {
				p.SourceName = *source
			}
			return err
		})
		b.Queue(q.figures, args).Query(collect(&p.Region.Figures, func(rows pgx.Rows, f *RegionFigure) error {
			var source *string
			err := rows.Scan(&f.Label, &f.LabelEn, &f.Value, &f.Unit, &f.Qualifier, &f.Year, &f.AsOf, &f.AsOfEn, &f.SourceNote, &source)
			f.SourceArticle = sourceNamed(source)
			return err
		}))
		b.Queue(q.measures, args).Query(collect(&p.Region.Measures, func(rows pgx.Rows, m *BusinessMeasure) error {
			return rows.Scan(&m.Title, &m.TitleEn, &m.Description, &m.DescriptionEn)
		}))
		b.Queue(q.ancestors, args).Query(collect(&p.Ancestors, func(rows pgx.Rows, r *Region) error {
			return rows.Scan(&r.ID, &r.Slug, &r.Name, &r.NameEn)
		}))
		b.Queue(q.children, args).Query(collect(&p.Children, scanRegionCard))
		b.Queue(q.parks, args).Query(collect(&p.Parks, func(rows pgx.Rows, k *Park) error {
			return rows.Scan(&k.Slug, &k.Kind, &k.Name, &k.NameEn, &k.Summary, &k.SummaryEn)
		}))
		b.Queue(q.chains, args).Query(collect(&p.Chains, func(rows pgx.Rows, c *IndustryChain) error {
			return rows.Scan(&c.Slug, &c.Name, &c.NameEn, &c.Summary, &c.SummaryEn)
		}))
		b.Queue(q.policies, args).Query(collect(&p.Policies, func(rows pgx.Rows, c *Policy) error {
			return rows.Scan(&c.Slug, &c.Title, &c.TitleEn, &c.IssuingBody)
		}))
		b.Queue(q.policyCount, args).QueryRow(func(row pgx.Row) error { return row.Scan(&p.PolicyCount) })
		b.Queue(q.projects, args).Query(collect(&p.Projects, scanProjectRow))
		b.Queue(q.totals, args).QueryRow(func(row pgx.Row) error {
			return row.Scan(&p.Totals.Count, &p.Totals.ContractedYuan, &p.Totals.CompletedYuan)
		})
		b.Queue(q.contacts, args).Query(collect(&p.Contacts, scanContact))
	})
	return p, err
}

// regionStatements find the region by @slug, and the regions below it
// (those whose projects count towards it, published ones only) and above
// it (those whose policies apply there) with recursive queries that stop
// at a loop of parents.
var regionStatements = newStatements(func(ctx context.Context) (q struct {
	region, figures, measures, ancestors, children, parks, chains, policies, policyCount, projects, totals, contacts string
}) {
	region := `SELECT r.id FROM regions r WHERE r.slug = @slug AND ` + publicRow(ctx, "r", "regions")
	below := `WITH RECURSIVE below AS (` + region + `
			UNION ALL
			SELECT c.id FROM regions c JOIN below ON c.parent_id = below.id WHERE ` + publicRow(ctx, "c", "regions") + `
		) CYCLE id SET in_cycle USING cycle_path `
	belowIDs := `(SELECT id FROM below WHERE NOT in_cycle)`
	above := `WITH RECURSIVE up AS (
			SELECT r.id, r.parent_id, 0 AS depth FROM regions r WHERE r.slug = @slug AND ` + publicRow(ctx, "r", "regions") + `
			UNION ALL
			SELECT r.id, r.parent_id, up.depth + 1 FROM regions r JOIN up ON r.id = up.parent_id
		) CYCLE id SET in_cycle USING cycle_path `
	q.region = `SELECT r.id, r.slug, r.parent_id, r.kind, r.name, r.name_en, r.summary, r.summary_en, r.description,
			r.transport, r.talent, r.business_environment, r.updated_at, r.source_article_id, a.source_name
		FROM regions r LEFT JOIN news_articles a ON a.id = r.source_article_id AND a.deleted_at IS NULL
		WHERE r.slug = @slug AND ` + publicRow(ctx, "r", "regions")
	q.figures = `SELECT f.label, f.label_en, f.value, f.unit, f.qualifier, f.year, f.as_of, f.as_of_en, f.source_note, a.source_name
		FROM region_figures f LEFT JOIN news_articles a ON a.id = f.source_article_id AND a.deleted_at IS NULL
		WHERE f.region_id = (` + region + `) ORDER BY f.position`
	q.measures = `SELECT m.title, m.title_en, m.description, m.description_en FROM business_measures m WHERE m.region_id = (` + region + `) ORDER BY m.position`
	q.ancestors = above + `SELECT r.id, r.slug, r.name, r.name_en FROM up JOIN regions r ON r.id = up.parent_id
		WHERE NOT up.in_cycle AND r.id <> (` + region + `) ORDER BY up.depth DESC`
	q.children = `SELECT ` + regionCardColumns("r") + ` FROM regions r WHERE r.parent_id = (` + region + `) AND ` +
		publicRow(ctx, "r", "regions") + ` ORDER BY r.id`
	q.parks = below + `SELECT k.slug, k.kind, k.name, k.name_en, k.summary, k.summary_en FROM parks k
		WHERE k.region_id IN ` + belowIDs + ` AND ` + publicRow(ctx, "k", "parks") + ` ORDER BY k.parent_park_id NULLS FIRST, k.id`
	q.chains = below + `SELECT c.slug, c.name, c.name_en, c.summary, c.summary_en FROM industry_chains c
		WHERE c.region_id IN ` + belowIDs + ` AND ` + publicRow(ctx, "c", "industry_chains") + ` ORDER BY c.id`
	applying := `FROM policies p WHERE p.region_id IN (SELECT id FROM up WHERE NOT in_cycle) AND ` + publicRow(ctx, "p", "policies")
	q.policies = above + `SELECT p.slug, p.title, p.title_en, p.issuing_body ` + applying + `
		ORDER BY p.issued_on DESC NULLS LAST, p.id DESC LIMIT @limit`
	q.policyCount = above + `SELECT count(*) ` + applying
	q.projects = below + `SELECT ` + projectRowColumns("p") + ` FROM projects p ` + projectRowJoins("p") + `
		WHERE p.region_id IN ` + belowIDs + ` AND ` + publicRow(ctx, "p", "projects") + `
		ORDER BY p.signed_on DESC NULLS LAST, p.id DESC LIMIT 20`
	// From the rollup: a city's tens of thousands of projects are not
	// summed per visit.
	q.totals = below + rollupTotalsSQL("region_id = ANY(ARRAY"+belowIDs+")", "p.region_id = ANY(ARRAY"+belowIDs+")", "'all'", "''")
	q.contacts = nearestContactsSQL(`(` + region + `)`)
	return q
})

// RegionIDsAbove returns a region's id and the ids of every region above it:
// the regions whose policies apply there.
func RegionIDsAbove(ctx context.Context, db *gorm.DB, regionID int64) ([]int64, error) {
	var ids []int64
	err := db.WithContext(ctx).Raw(`
		WITH RECURSIVE up AS (
			SELECT id, parent_id FROM regions WHERE id = ?
			UNION ALL
			SELECT r.id, r.parent_id FROM regions r JOIN up ON r.id = up.parent_id
		) CYCLE id SET in_cycle USING cycle_path
		SELECT id FROM up WHERE NOT in_cycle`, regionID).Scan(&ids).Error
	return ids, err
}

// PublicRegionBySlug finds a published region.
func PublicRegionBySlug(ctx context.Context, db *gorm.DB, slug string) (Region, error) {
	var r Region
	err := notFound(db.WithContext(ctx).Scopes(Public("regions")).Where("slug = ?", slug).Take(&r).Error)
	return r, err
}
