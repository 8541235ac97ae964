package models

import (
	"context"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// SearchIndex answers searches from memory. PostgreSQL's gram index
// finds a word in a few milliseconds, but a search then costs its
// statement's planning, eight content types' lookups and a round trip:
// about 2 ms of database time even on the demo content, against a few
// microseconds to scan the same text in memory. So each content type's
// public text is kept here, lower-cased, one string per type with its
// records newest first, and a search is strings.Index over it: the
// newest hits come first, and a common word stops the scan at the count
// cap.
//
// A type's text is used only while its table has the content version it
// was read under, as the ContentWatch knows it: an edit by any instance
// sends that type's searches back to the database (exact at the next
// request, as before) and starts reading the text again in the
// background, one reading per type at a time. Scheduled records are kept
// with their publication time and found once it has passed. Without a
// current watch, or in a staff preview, searches go to the database.
type SearchIndex struct {
	db      *gorm.DB // the primary: what it read is never behind the watch
	watch   *ContentWatch
	log     *slog.Logger
	corpora []atomic.Pointer[searchCorpus] // by searchTargets' order
	reading []atomic.Bool                  // a reading of that type is under way
	// retryAt is when a type whose reading failed, or whose text was over
	// the bound, may be read again (Unix nanoseconds): until then its
	// searches go to the database rather than start reading again.
	retryAt []atomic.Int64
}

// searchRetryAfter is how long a type waits after a failed reading, or
// one that found its text over the bound.
const searchRetryAfter = time.Minute

// A type with more text or records than these is searched in the
// database. A scan of memory beats the gram index while the text is a few
// megabytes (a portal's real sizes: hundreds of records of each type, a
// few thousand at most), but a rare word is looked for in all of it: on
// the bench's 100 000 projects (8.4 MB) a search took 5 to 10 ms of CPU
// that the gram index answers in under one. The record bound stops the
// reading of a large table early.
var (
	searchCorpusMaxBytes   = 4 << 20
	searchCorpusMaxRecords = 20_000
)

// searchCorpus is one content type's public records as of one version.
type searchCorpus struct {
	epoch   uint64 // the watch's, when the reading began
	version int64  // the table's content version, read with the rows
	tooBig  bool   // over searchCorpusMaxBytes or searchCorpusMaxRecords: search the database
	// text holds each record's searchable columns, lower-cased, each
	// followed by a NUL (which no text holds), records newest first;
	// starts[i] is where record i begins.
	text   string
	starts []int
	docs   []searchDoc
}

// searchDoc is what a hit shows, and when its record becomes public:
// a Unix time in nanoseconds, 0 when it is public already. (Small: the
// large bench dataset keeps 100 000 of them.)
type searchDoc struct {
	publishAt                     int64
	slug, title, titleEn, summary string
}

// NewSearchIndex makes an empty index that reads from db (the primary).
func NewSearchIndex(db *gorm.DB, watch *ContentWatch, log *slog.Logger) *SearchIndex {
	return &SearchIndex{db: db, watch: watch, log: log,
		corpora: make([]atomic.Pointer[searchCorpus], len(searchTargets)), reading: make([]atomic.Bool, len(searchTargets)),
		retryAt: make([]atomic.Int64, len(searchTargets))}
}

// Search finds public content holding any of forms, as the package's
// Search does (the same hits, counts and order), answering each content
// type from memory where its text is current and from db otherwise. A nil
// index searches db only.
func (x *SearchIndex) Search(ctx context.Context, db *gorm.DB, forms []string, perGroup int) ([]SearchGroup, error) {
	if x == nil || Previewing(ctx) {
		return Search(ctx, db, forms, perGroup)
	}
	state := x.watch.State()
	// Just after a scheduled record fell due, the database decides: its
	// clock, not this server's, says whether the record is public yet.
	if time.Since(state.Passed()) < boundaryGuard {
		return Search(ctx, db, forms, perGroup)
	}
	lowered := make([]string, 0, len(forms))
	for _, f := range forms {
		if f = strings.ToLower(f); f != "" && !strings.Contains(f, "\x00") {
			lowered = append(lowered, f)
		}
	}
	groups := make([]SearchGroup, len(searchTargets))
	var fromDatabase, stale []int
	now := time.Now().UnixNano()
	outer, _ := ctx.Value(readTablesKey{}).(*readTables)
	for i, target := range searchTargets {
		groups[i].Kind = target.kind
		c := x.corpora[i].Load()
		if !c.current(state, target.table) {
			stale = append(stale, i)
			fromDatabase = append(fromDatabase, i)
			continue
		}
		if c.tooBig {
			fromDatabase = append(fromDatabase, i)
			continue
		}
		// A page cache or memo keeping this answer depends on the table.
		outer.add(versionedAs(target.table))
		groups[i] = c.search(target.kind, lowered, perGroup, now)
	}
	if len(fromDatabase) == 0 {
		return groups, nil
	}
	found, err := searchDatabase(ctx, db, forms, perGroup, fromDatabase)
	// Read again after this search's own statement, not to compete with it.
	for _, i := range stale {
		x.read(i, state)
	}
	for _, g := range found {
		groups[slices.IndexFunc(groups, func(o SearchGroup) bool { return o.Kind == g.Kind })] = g
	}
	return groups, err
}

// InMemory reports whether every content type is answered from memory
// now: none has changed since it was read, and none is over the bound.
func (x *SearchIndex) InMemory() bool {
	state := x.watch.State()
	for i, target := range searchTargets {
		if c := x.corpora[i].Load(); !c.current(state, target.table) || c.tooBig {
			return false
		}
	}
	return true
}

// current reports whether the corpus is of the table's version as the
// watch knows it now.
func (c *searchCorpus) current(state ContentState, table string) bool {
	if c == nil || !state.Current || state.Epoch != c.epoch {
		return false
	}
	versions, ok := state.VersionsOf([]string{table})
	return ok && versions[0] == c.version
}

// search finds the records holding any of forms (lower-cased): the
// newest perGroup public ones and how many, counting to SearchCountCap+1
// at most, as the database search does.
func (c *searchCorpus) search(kind string, forms []string, perGroup int, now int64) SearchGroup {
	g := SearchGroup{Kind: kind}
	limit := SearchCountCap + 1
	// Each form's first matching public records, newest first; their
	// union's first `limit` are the union of the forms' first `limit`.
	var matched []int
	for _, form := range forms {
		matched = append(matched, c.matching(form, limit, now)...)
	}
	if len(forms) > 1 {
		slices.Sort(matched)
		matched = slices.Compact(matched)
	}
	if len(matched) >= limit {
		matched, g.Capped = matched[:limit], true
	}
	g.Total = int64(len(matched))
	for _, i := range matched[:min(perGroup, len(matched))] {
		d := c.docs[i]
		g.Hits = append(g.Hits, SearchHit{Kind: kind, Slug: d.slug, Title: d.title, TitleEn: d.titleEn, Summary: d.summary})
	}
	return g
}

// matching lists the first limit public records whose text holds form.
func (c *searchCorpus) matching(form string, limit int, now int64) []int {
	var out []int
	for at := 0; len(out) < limit; {
		found := strings.Index(c.text[at:], form)
		if found < 0 {
			break
		}
		// The record holding the match; the scan goes on after it.
		i := sort.SearchInts(c.starts, at+found+1) - 1
		if c.docs[i].publishAt <= now {
			out = append(out, i)
		}
		if i+1 == len(c.starts) {
			break
		}
		at = c.starts[i+1]
	}
	return out
}

// read starts reading target i's text in the background, unless a
// reading of it is under way. Only a current watch can date the reading.
func (x *SearchIndex) read(i int, state ContentState) {
	if !state.Current || time.Now().UnixNano() < x.retryAt[i].Load() || !x.reading[i].CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer x.reading[i].Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		began := time.Now()
		c, err := readSearchCorpus(ctx, x.db, searchTargets[i].table, i)
		if err != nil {
			x.retryAt[i].Store(time.Now().Add(searchRetryAfter).UnixNano())
			x.log.Warn("search index: reading failed; searches use the database", "table", searchTargets[i].table, "err", err)
			return
		}
		if c.tooBig {
			x.retryAt[i].Store(time.Now().Add(searchRetryAfter).UnixNano())
		}
		x.log.Debug("search index: read", "table", searchTargets[i].table, "records", len(c.docs), "bytes", len(c.text),
			"too_big", c.tooBig, "took", time.Since(began))
		c.epoch = state.Epoch
		x.corpora[i].Store(c)
	}()
}

// readSearchCorpus reads target i's public records and its table's
// version in one snapshot, so that the text is exactly that version's.
func readSearchCorpus(ctx context.Context, db *gorm.DB, table string, i int) (*searchCorpus, error) {
	target := searchTargets[i]
	c := &searchCorpus{}
	var text strings.Builder
	statement := "SELECT id, slug, " + target.title + ", " + target.titleEn + ", " + target.summary + ", publish_at, " +
		strings.Join(target.columns, ", ") + " FROM " + table + " WHERE status = 'published' AND deleted_at IS NULL ORDER BY id DESC LIMIT " + strconv.Itoa(searchCorpusMaxRecords+1) // #nosec G202 -- names from searchTargets only
	// Publication times are kept on this server's clock, measured from the
	// database's as the content watch measures its (readContentState).
	var dbNow, readAt time.Time
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
		b.Queue("SELECT statement_timestamp()").QueryRow(func(row pgx.Row) error {
			readAt = time.Now()
			return row.Scan(&dbNow)
		})
		b.Queue("SELECT version FROM content_versions WHERE table_name = $1", table).QueryRow(func(row pgx.Row) error {
			return row.Scan(&c.version)
		})
		b.Queue(statement).Query(func(rows pgx.Rows) error {
			columns := make([]string, len(target.columns))
			dest := []any{new(int64), nil, nil, nil, nil, nil}
			for j := range columns {
				dest = append(dest, &columns[j])
			}
			for rows.Next() {
				var d searchDoc
				var publishAt *time.Time
				dest[1], dest[2], dest[3], dest[4], dest[5] = &d.slug, &d.title, &d.titleEn, &d.summary, &publishAt
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				if publishAt != nil {
					d.publishAt = readAt.Add(publishAt.Sub(dbNow)).UnixNano()
				}
				c.starts = append(c.starts, text.Len())
				for _, col := range columns {
					text.WriteString(strings.ToLower(col))
					text.WriteByte(0)
				}
				c.docs = append(c.docs, d)
				if text.Len() > searchCorpusMaxBytes || len(c.docs) > searchCorpusMaxRecords {
					c.tooBig = true
					return nil
				}
			}
			return rows.Err()
		})
		b.Queue("COMMIT")
	})
	if err != nil {
		return nil, err
	}
	if c.tooBig {
		return &searchCorpus{version: c.version, tooBig: true}, nil
	}
	c.text = text.String()
	return c, nil
}
