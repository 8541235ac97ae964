package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// A public page's data is read in one round trip: the few statements it
// needs go to PostgreSQL together as one pgx batch, select only the
// columns the page shows, and are scanned straight into fields. Before,
// a page took up to fourteen round trips through GORM, several reading
// whole article bodies it never showed; the round trips and GORM's
// reflective scanning were most of the cost of a page in make bench.

// readPage runs the statements queue puts in a batch, in one round trip
// on one of the pool's connections, through pgx's own interface: binary
// results, each statement prepared once per connection. A callback's
// pgx.ErrNoRows is ErrNotFound.
func readPage(ctx context.Context, db *gorm.DB, queue func(*pgx.Batch)) error {
	pool, err := db.DB()
	if err != nil {
		return err
	}
	// A pooled connection the server closed while it was idle (a restart,
	// another request's cancelled statement) is dropped and another taken,
	// as database/sql does for its own queries; nothing was read from it.
	for attempt := 1; ; attempt++ {
		err = readPageOnce(ctx, db, pool, queue)
		if !errors.Is(err, driver.ErrBadConn) || attempt == 3 {
			break
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func readPageOnce(ctx context.Context, db *gorm.DB, pool *sql.DB, queue func(*pgx.Batch)) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		pgxConn := driverConn.(*stdlib.Conn).Conn()
		if pgxConn.IsClosed() {
			return driver.ErrBadConn
		}
		batch := &pgx.Batch{}
		queue(batch)
		began := time.Now()
		err := pgxConn.SendBatch(ctx, batch).Close()
		if err != nil && pgxConn.PgConn().TxStatus() != 'I' {
			// A batch that opened a transaction and failed leaves the
			// connection as a new one (the pool would drop it otherwise).
			rollback, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_, _ = pgxConn.Exec(rollback, "ROLLBACK")
			cancel()
		}
		for _, q := range batch.QueuedQueries {
			noteReads(ctx, q.SQL)
			// Seen by GORM's logger, as every other statement is (and
			// by dbtest.RecordSQL, which the bench's query plans use).
			db.Logger.Trace(ctx, began, func() (string, int64) { return loggable(db, q.SQL, q.Arguments), -1 }, err)
		}
		return err
	})
}

// loggable is a statement with its arguments written in, as GORM logs
// its own.
func loggable(db *gorm.DB, sql string, args []any) string {
	if len(args) == 1 {
		if named, ok := args[0].(pgx.NamedArgs); ok {
			var err error
			if sql, args, err = named.RewriteQuery(context.Background(), nil, sql, nil); err != nil {
				return sql
			}
		}
	}
	for i, a := range args {
		if ids, ok := a.([]int64); ok { // as PostgreSQL writes an array
			text := make([]string, len(ids))
			for j, id := range ids {
				text[j] = strconv.FormatInt(id, 10)
			}
			args[i] = "{" + strings.Join(text, ",") + "}"
		}
	}
	return db.Dialector.Explain(sql, args...)
}

// collect scans every row of a query into a new element of list.
func collect[T any](list *[]T, scan func(pgx.Rows, *T) error) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		for rows.Next() {
			var v T
			if err := scan(rows, &v); err != nil {
				return err
			}
			*list = append(*list, v)
		}
		return rows.Err()
	}
}

// publicRow is the SQL twin of Public: the condition that the row of
// table under alias is public, with the one record a staff preview shows
// let through. 'published' is a constant, so that partial indexes on
// public rows match.
func publicRow(ctx context.Context, alias, table string) string {
	cond := alias + ".status = 'published' AND " + alias + ".deleted_at IS NULL AND (" +
		alias + ".publish_at IS NULL OR " + alias + ".publish_at <= now())"
	if p, ok := ctx.Value(previewKey{}).(previewing); ok && p.table == table {
		// The id is a number the staff route parsed, never text.
		return "(" + cond + " OR " + alias + ".id = " + strconv.FormatInt(p.id, 10) + ")"
	}
	return cond
}

// Choice is a public record as a filter offers it: what it is called.
type Choice struct {
	ID           int64
	Slug         string
	Name, NameEn string
}

// publicChoices lists the public records of table (under the alias t) in
// order, read narrow; table and order are the code's own, never input.
func publicChoices(ctx context.Context, db *gorm.DB, table, order string) ([]Choice, error) {
	var list []Choice
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(`SELECT t.id, t.slug, t.name, t.name_en FROM ` + table + ` t WHERE ` + publicRow(ctx, "t", table) + ` ORDER BY ` + order). // #nosec G202 -- the code's own names
																			Query(collect(&list, func(rows pgx.Rows, c *Choice) error { return rows.Scan(&c.ID, &c.Slug, &c.Name, &c.NameEn) }))
	})
	return list, err
}

// sqlList writes constant strings as an SQL list: ('a', 'b').
func sqlList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}

// statements are the SQL behind one kind of page, built once (and again
// for each staff preview, which lets one more record through).
type statements[S any] struct {
	build  func(context.Context) S
	once   sync.Once
	public S
}

func newStatements[S any](build func(context.Context) S) *statements[S] {
	return &statements[S]{build: build}
}

func (s *statements[S]) get(ctx context.Context) S {
	if Previewing(ctx) {
		return s.build(ctx)
	}
	s.once.Do(func() { s.public = s.build(ctx) })
	return s.public
}

// The parts of records that lists show, read by the same columns and
// scans wherever they appear. Each names the aliases of its joins.

// eventRowColumns are a signing event as lists show it (handlers'
// eventRow), with its region's names and its source's, LEFT JOINed by
// eventRowJoins.
func eventRowColumns(e string) string {
	return e + ".id, " + e + ".slug, " + e + ".kind, " + e + ".name, " + e + ".name_en, " + e + ".held_on, " + e + ".place, " +
		e + ".region_id, " + e + ".reported_project_count, " + e + ".reported_total_yuan, er.name, er.name_en, ea.source_name"
}

func eventRowJoins(e string) string {
	return "LEFT JOIN regions er ON er.id = " + e + ".region_id AND er.deleted_at IS NULL " +
		"LEFT JOIN news_articles ea ON ea.id = " + e + ".source_article_id AND ea.deleted_at IS NULL"
}

func scanEventRow(rows pgx.Rows, e *SigningEvent) error {
	var regionName, regionNameEn, source *string
	err := rows.Scan(&e.ID, &e.Slug, &e.Kind, &e.Name, &e.NameEn, &e.HeldOn, &e.Place, &e.RegionID,
		&e.ReportedProjectCount, &e.ReportedTotalYuan, &regionName, &regionNameEn, &source)
	if regionName != nil {
		e.Region = &Region{ID: e.RegionID, Name: *regionName, NameEn: *regionNameEn}
	}
	e.SourceArticle = sourceNamed(source)
	return err
}

// sourceNamed is a source article known by its name only, nil without one.
func sourceNamed(name *string) *NewsArticle {
	if name == nil {
		return nil
	}
	return &NewsArticle{SourceName: *name}
}

// projectRowColumns are a project as lists show it (handlers'
// projectRow), with its region's names, LEFT JOINed by projectRowJoins.
func projectRowColumns(p string) string {
	return p + ".id, " + p + ".slug, " + p + ".name, " + p + ".name_en, " + p + ".investor, " + p + ".stage, " + p + ".category, " +
		p + ".contracted_amount_yuan, " + p + ".signed_on, " + p + ".region_id, pr.name, pr.name_en"
}

func projectRowJoins(p string) string {
	return "LEFT JOIN regions pr ON pr.id = " + p + ".region_id AND pr.deleted_at IS NULL"
}

func scanProjectRow(rows pgx.Rows, p *Project) error {
	var regionName, regionNameEn *string
	err := rows.Scan(&p.ID, &p.Slug, &p.Name, &p.NameEn, &p.Investor, &p.Stage, &p.Category,
		&p.ContractedAmountYuan, &p.SignedOn, &p.RegionID, &regionName, &regionNameEn)
	if regionName != nil {
		p.Region = &Region{ID: p.RegionID, Name: *regionName, NameEn: *regionNameEn}
	}
	return err
}

// regionCardColumns are a region as a card or list shows it.
func regionCardColumns(r string) string {
	return r + ".id, " + r + ".slug, " + r + ".parent_id, " + r + ".kind, " + r + ".name, " + r + ".name_en, " + r + ".summary, " + r + ".summary_en"
}

func scanRegionCard(rows pgx.Rows, r *Region) error {
	return rows.Scan(&r.ID, &r.Slug, &r.ParentID, &r.Kind, &r.Name, &r.NameEn, &r.Summary, &r.SummaryEn)
}

// newsRowColumns are a news article as lists show it (handlers' newsRow).
func newsRowColumns(n string) string {
	return n + ".id, " + n + ".slug, " + n + ".title, " + n + ".title_en, " + n + ".summary, " + n + ".source_name, " + n + ".published_on"
}

func scanNewsRow(rows pgx.Rows, n *NewsArticle) error {
	return rows.Scan(&n.ID, &n.Slug, &n.Title, &n.TitleEn, &n.Summary, &n.SourceName, &n.PublishedOn)
}
