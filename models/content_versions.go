package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ContentVersions are the versions of the content tables at one moment,
// as migration 00020 keeps them: every committed change to a table raises
// its version in the same transaction.
type ContentVersions struct {
	versions map[string]int64
	now      time.Time // the database's clock when they were read
	readAt   time.Time // the local clock then
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
	v := ContentVersions{versions: make(map[string]int64, len(rows)), readAt: time.Now()}
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

// nextPublication is the earliest time after the versions were read at
// which a published row of one of the tables becomes public (Public), on
// the local clock, zero when none is scheduled: what was computed from
// them after the versions were read is current until then. Measured from
// the reading, not from now, so that a row falling due while the value was
// computed ends it at once rather than at the next one.
func nextPublication(ctx context.Context, db *gorm.DB, tables []string, v ContentVersions) (time.Time, error) {
	query := nextPublicationSQL(tables, "@since")
	if query == "" {
		return time.Time{}, nil
	}
	// Null when none is scheduled: then the zero time.
	var next sql.NullTime
	if err := db.WithContext(ctx).Raw(query, sql.Named("since", v.now)).Row().Scan(&next); err != nil || !next.Valid {
		return time.Time{}, err
	}
	return v.readAt.Add(next.Time.Sub(v.now)), nil
}

// nextPublicationSQL selects the earliest publication time after since (an
// SQL expression) among the given tables' published rows (null when there
// is none), or is empty when none of them can be scheduled.
func nextPublicationSQL(tables []string, since string) string {
	var parts []string
	for _, t := range tables {
		if slices.Contains(scheduledTables, t) { // a fixed list: the names are never input
			parts = append(parts, fmt.Sprintf(`SELECT min(publish_at) AS at FROM %s
				WHERE status = 'published' AND deleted_at IS NULL AND publish_at > %s`, t, since))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return `SELECT min(at) FROM (` + strings.Join(parts, " UNION ALL ") + `) scheduled` // #nosec G202 -- table names from scheduledTables only
}
