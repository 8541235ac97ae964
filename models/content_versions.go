package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"gorm.io/gorm"
)

// ContentVersions are the versions of the content tables at one moment,
// as migration 00020 keeps them: every committed change to a table raises
// its version in the same transaction.
type ContentVersions struct {
	versions map[string]int64
	now      time.Time // the database's clock when they were read
}

// LoadContentVersions reads every content table's version, and the
// database's time, in one small query.
func LoadContentVersions(ctx context.Context, db *gorm.DB) (ContentVersions, error) {
	var rows []struct {
		TableName string
		Version   int64
		Now       time.Time
	}
	err := db.WithContext(ctx).Raw(`SELECT table_name, version, statement_timestamp() AS now FROM content_versions`).Scan(&rows).Error
	v := ContentVersions{versions: make(map[string]int64, len(rows))}
	for _, r := range rows {
		v.versions[r.TableName], v.now = r.Version, r.Now
	}
	if err == nil && v.versions["*"] == 0 {
		// Without the rows every stamp would match forever.
		return v, errors.New("content_versions has no '*' row: migration 00020 is missing or its rows were deleted")
	}
	return v, err
}

// stamp names the versions of the given tables: equal stamps, unchanged
// tables.
func (v ContentVersions) stamp(tables []string) string {
	var b strings.Builder
	for _, t := range tables {
		b.WriteString(strconv.FormatInt(v.versions[t], 10))
		b.WriteByte('.')
	}
	return b.String()
}

// scheduledTables are the content tables whose rows can be published
// ahead (publish_at), each with an index that finds the next one cheaply
// where the table is large.
var scheduledTables = []string{"industry_chains", "news_articles", "parks", "policies", "projects",
	"regions", "reported_statistics", "signing_events"}

// nextPublication is the earliest time still ahead at which a published
// row of one of the tables becomes public (Public), on the local clock
// (read against the database's clock at the versions' reading), zero when
// none is scheduled: what was computed from them is current until then.
func nextPublication(ctx context.Context, db *gorm.DB, tables []string, v ContentVersions) (time.Time, error) {
	query := nextPublicationSQL(tables)
	if query == "" {
		return time.Time{}, nil
	}
	// Null when none is scheduled: then the zero time.
	var next sql.NullTime
	if err := db.WithContext(ctx).Raw(query).Row().Scan(&next); err != nil || !next.Valid {
		return time.Time{}, err
	}
	return time.Now().Add(next.Time.Sub(v.now)), nil
}

// nextPublicationSQL selects the earliest publication time still ahead
// among the given tables' published rows (null when there is none), or is
// empty when none of them can be scheduled.
func nextPublicationSQL(tables []string) string {
	var parts []string
	for _, t := range tables {
		if slices.Contains(scheduledTables, t) { // a fixed list: the names are never input
			parts = append(parts, fmt.Sprintf(`SELECT min(publish_at) AS at FROM %s
				WHERE status = 'published' AND deleted_at IS NULL AND publish_at > now()`, t))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return `SELECT min(at) FROM (` + strings.Join(parts, " UNION ALL ") + `) scheduled` // #nosec G202 -- table names from scheduledTables only
}

// Memo keeps values computed from public content, by key, for as long as
// the content they were computed from is unchanged: until one of its
// tables changes, or until the next scheduled row of them becomes public.
// With a ContentWatch that is current, a lookup costs no query; otherwise
// each lookup reads the content versions, one small query. Either way a
// change committed by any instance is seen at the very next request (with
// a watch, as soon as its notification arrives); nothing waits for a
// timer. Staff previews are never memoised.
//
// Values are shared between requests: callers must not modify them.
type Memo[V any] struct {
	tables []string
	watch  *ContentWatch // nil: read the versions on each lookup
	cache  *otter.Cache[string, memoEntry[V]]
	// highest is the highest '*' version seen. Versions only grow, unless
	// the database was restored from a backup: then they may climb back
	// to stamps held here from before, so a lower one empties the memo.
	highest atomic.Int64
}

type memoEntry[V any] struct {
	stamp string
	until time.Time // local clock; zero: no scheduled publication ahead
	value V
}

// NewMemo makes a memo of at most size values computed from the given
// content tables; watch may be nil.
func NewMemo[V any](size int, watch *ContentWatch, tables ...string) *Memo[V] {
	return &Memo[V]{tables: tables, watch: watch, cache: otter.Must(&otter.Options[string, memoEntry[V]]{MaximumSize: size})}
}

// Get returns the value for key, computing it when there is none or when
// its content changed since. The versions are known before computing, so
// a change committed meanwhile makes the next Get compute again.
func (m *Memo[V]) Get(ctx context.Context, db *gorm.DB, key string, compute func() (V, error)) (V, error) {
	var zero V
	if Previewing(ctx) {
		return compute()
	}
	versions, until := ContentVersions{}, time.Time{}
	if s := m.watch.State(); s.Current && s.versions != nil {
		versions, until = *s.versions, s.until
	} else {
		var err error
		if versions, err = LoadContentVersions(ctx, db); err != nil {
			return zero, err
		}
	}
	if all := versions.versions["*"]; all < m.highest.Load() {
		m.cache.InvalidateAll()
		m.highest.Store(all)
	} else if all > m.highest.Load() {
		// Racing requests may store a lower one, or read one from just
		// before a commit after another stored the newer: either only
		// empties the memo once more, never keeps a stale value.
		m.highest.Store(all)
	}
	stamp := versions.stamp(m.tables)
	if e, ok := m.cache.GetIfPresent(key); ok && e.stamp == stamp && (e.until.IsZero() || time.Now().Before(e.until)) {
		return e.value, nil
	}
	if until.IsZero() {
		var err error
		if until, err = nextPublication(ctx, db, m.tables, versions); err != nil {
			return zero, err
		}
	}
	v, err := compute()
	if err == nil {
		m.cache.Set(key, memoEntry[V]{stamp: stamp, until: until, value: v})
	}
	return v, err
}
