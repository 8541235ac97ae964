package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// English parity: whether a record's English keeps up with its Chinese.
// A record *lacks English* when a Chinese column is written and its
// English one is empty; its English is *stale* when the last change to a
// Chinese column, as the audit log records it, came after the last change
// to its English one. Records loaded by the seed have no audit entries and
// so are judged by emptiness alone until someone edits them.
const (
	EnglishMissing = "missing"
	EnglishStale   = "stale"
)

// EnglishPair is a Chinese column with its English beside it.
type EnglishPair struct{ Chinese, English string }

// parity is the SQL that judges a table's records: a join that brings each
// record's last Chinese and English edits, and conditions on the table's
// row and that join. Table and column names come from the content types
// (handlers/admin_content_types.go), never from a request.
type parity struct {
	join, missing, stale string
}

func parityOf(table string, pairs []EnglishPair) parity {
	var edits, missing, stale []string
	for i, p := range pairs {
		edits = append(edits, fmt.Sprintf(
			"max(at) FILTER (WHERE jsonb_exists(changes, '%s')) AS zh_%d, max(at) FILTER (WHERE jsonb_exists(changes, '%s')) AS en_%d",
			p.Chinese, i, p.English, i))
		missing = append(missing, fmt.Sprintf("(%[1]s.%[2]s <> '' AND %[1]s.%[3]s = '')", table, p.Chinese, p.English))
		stale = append(stale, fmt.Sprintf("(%s.%s <> '' AND english_edits.zh_%d > coalesce(english_edits.en_%d, '-infinity'))", table, p.English, i, i))
	}
	return parity{
		join: fmt.Sprintf(`LEFT JOIN (SELECT entity_id, %s FROM audit_log WHERE entity_type = '%s' GROUP BY entity_id) english_edits
			ON english_edits.entity_id = %s.id`, strings.Join(edits, ", "), table, table),
		missing: "(" + strings.Join(missing, " OR ") + ")",
		stale:   "(" + strings.Join(stale, " OR ") + ")",
	}
}

// state is the SQL of a record's parity: missing, stale or the empty string.
func (p parity) state() string {
	return "CASE WHEN " + p.missing + " THEN 'missing' WHEN " + p.stale + " THEN 'stale' ELSE '' END"
}

// filter keeps the records of one parity state.
func (p parity) filter(d *gorm.DB, state string) *gorm.DB {
	switch state {
	case EnglishMissing:
		return d.Where(p.missing)
	case EnglishStale:
		return d.Where("NOT " + p.missing + " AND " + p.stale)
	}
	return d
}

// EnglishCounts are how many records of a table lack English and how many
// have stale English.
type EnglishCounts struct {
	Missing, Stale int64
}

// CountEnglishParity counts, among a table's records that are not deleted,
// those lacking English and those whose English is stale.
func CountEnglishParity(ctx context.Context, db *gorm.DB, t EditableTable) (EnglishCounts, error) {
	var c EnglishCounts
	if len(t.EnglishPairs) == 0 {
		return c, nil
	}
	p := parityOf(t.Table, t.EnglishPairs)
	err := db.WithContext(ctx).Raw(`SELECT count(*) FILTER (WHERE ` + p.missing + `) AS missing,
		count(*) FILTER (WHERE NOT ` + p.missing + ` AND ` + p.stale + `) AS stale
		FROM ` + t.Table + ` ` + p.join + ` WHERE ` + t.Table + `.deleted_at IS NULL`).Scan(&c).Error
	return c, err
}
