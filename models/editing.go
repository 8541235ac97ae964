package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"investportal/models/calendar"
)

// The admin edits every content type through one path: a record is read as
// canonical text per column, changed, and written back in one transaction
// with its child rows, its optimistic lock and its audit entry. Because
// form values, stored values and audit diffs are all the same canonical
// text, "what changed" is a plain string comparison.

// ColumnKind says how a column's value is written as text.
type ColumnKind int

// Column kinds. Every kind but text and bool stores "" as NULL.
const (
	KindText    ColumnKind = iota // "" stays ''
	KindInt                       // integer
	KindMoney                     // whole yuan
	KindDecimal                   // numeric, trailing zeros trimmed: "130", "0.5"
	KindDate                      // YYYY-MM-DD
	KindTime                      // timestamptz as Beijing wall time: YYYY-MM-DDTHH:MM
	KindBool                      // "true" or "false"
	KindRef                       // id of another record
)

// TimeLayout is KindTime's canonical text (an HTML datetime-local value).
const TimeLayout = "2006-01-02T15:04"

// Column is an editable column.
type Column struct {
	Name string
	Kind ColumnKind
}

// ChildTable holds a record's repeatable rows (a region's key figures, a
// policy's benefit items), kept in the order of their position column.
type ChildTable struct {
	Table         string
	ParentKey     string
	FirstPosition int // the position of the first row (the schema starts some at 1)
	Columns       []Column
}

// EditableTable describes a content table to the admin.
type EditableTable struct {
	Table        string
	TitleColumn  string
	Columns      []Column
	Children     []ChildTable
	EnglishPairs []EnglishPair // the record's own columns kept in Chinese and English
}

// Record is one content record as canonical text.
type Record struct {
	ID          int64
	LockVersion int
	Values      map[string]string
	Children    map[string][]map[string]string
	UpdatedAt   time.Time
	DeletedAt   *time.Time
}

// Editing outcomes the admin tells apart.
var (
	ErrNoChange  = errors.New("nothing changed")
	ErrSlugTaken = errors.New("slug already used")
)

// EditConflict is returned when someone saved the record after the editor
// opened it: nothing was written, and Current is what is stored now.
type EditConflict struct {
	Current Record
	ByName  string // who saved last, from the audit log ("" if unknown)
}

func (e *EditConflict) Error() string { return "record changed since it was opened" }

// CheckViolation is a CHECK or foreign-key rule the database refused; the
// admin validates first, so this names a rule it did not foresee.
type CheckViolation struct{ Constraint string }

func (e *CheckViolation) Error() string { return "database refused the change: " + e.Constraint }

// Actor is who makes a change, for the audit log.
type Actor struct {
	StaffID   int64
	RequestID string
}

func selectExpr(c Column) string {
	switch c.Kind {
	case KindTime:
		return fmt.Sprintf(`COALESCE(to_char(%s AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI'), '')`, c.Name)
	case KindDate:
		return fmt.Sprintf(`COALESCE(to_char(%s, 'YYYY-MM-DD'), '')`, c.Name)
	default:
		return fmt.Sprintf(`COALESCE(%s::text, '')`, c.Name)
	}
}

func selectList(cols []Column) string {
	exprs := make([]string, len(cols))
	for i, c := range cols {
		exprs[i] = selectExpr(c)
	}
	return strings.Join(exprs, ", ")
}

// TrimDecimal writes a numeric without trailing zeros: 130.0000 → 130.
func TrimDecimal(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func scanValues(rows *sql.Rows, cols []Column, extra ...any) (map[string]string, error) {
	texts := make([]string, len(cols))
	dest := slices.Clone(extra)
	for i := range texts {
		dest = append(dest, &texts[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	values := make(map[string]string, len(cols))
	for i, c := range cols {
		if c.Kind == KindDecimal {
			texts[i] = TrimDecimal(texts[i])
		}
		values[c.Name] = texts[i]
	}
	return values, nil
}

// sqlValue turns canonical text into what the column stores.
func sqlValue(c Column, s string) (any, error) {
	if s == "" && c.Kind != KindText && c.Kind != KindBool {
		return nil, nil
	}
	switch c.Kind {
	case KindInt, KindMoney, KindRef:
		return strconv.ParseInt(s, 10, 64)
	case KindDate:
		return time.Parse(time.DateOnly, s)
	case KindTime:
		return time.ParseInLocation(TimeLayout, s, calendar.Beijing)
	case KindBool:
		return s == "true", nil
	default: // text and numeric go as text; PostgreSQL parses numeric exactly
		return s, nil
	}
}

// LoadRecord reads a record, deleted or not, with its child rows.
func LoadRecord(ctx context.Context, db *gorm.DB, t EditableTable, id int64) (Record, error) {
	return loadRecord(db.WithContext(ctx), t, id, false)
}

func loadRecord(db *gorm.DB, t EditableTable, id int64, forUpdate bool) (Record, error) {
	q := "SELECT id, lock_version, updated_at, deleted_at, " + selectList(t.Columns) + " FROM " + t.Table + " WHERE id = ?"
	if forUpdate {
		q += " FOR UPDATE"
	}
	rows, err := db.Raw(q, id).Rows()
	if err != nil {
		return Record{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Record{}, err
		}
		return Record{}, ErrNotFound
	}
	var r Record
	if r.Values, err = scanValues(rows, t.Columns, &r.ID, &r.LockVersion, &r.UpdatedAt, &r.DeletedAt); err != nil {
		return Record{}, err
	}
	if err := rows.Close(); err != nil {
		return Record{}, err
	}
	r.Children = map[string][]map[string]string{}
	for _, ct := range t.Children {
		if r.Children[ct.Table], err = loadChildren(db, ct, id); err != nil {
			return Record{}, err
		}
	}
	return r, nil
}

func loadChildren(db *gorm.DB, ct ChildTable, parentID int64) ([]map[string]string, error) {
	rows, err := db.Raw("SELECT "+selectList(ct.Columns)+" FROM "+ct.Table+" WHERE "+ct.ParentKey+" = ? ORDER BY position", parentID).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []map[string]string{}
	for rows.Next() {
		values, err := scanValues(rows, ct.Columns)
		if err != nil {
			return nil, err
		}
		list = append(list, values)
	}
	return list, rows.Err()
}

// CreateRecord inserts a record with its child rows and audits it.
func CreateRecord(ctx context.Context, db *gorm.DB, t EditableTable, r Record, by Actor) (int64, error) {
	var id int64
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		names, args, err := columnArgs(t.Columns, r.Values)
		if err != nil {
			return err
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
		err = tx.Raw("INSERT INTO "+t.Table+" ("+strings.Join(names, ", ")+") VALUES ("+marks+") RETURNING id", args...).Scan(&id).Error
		if err != nil {
			return err
		}
		if err := writeChildren(tx, t, id, r.Children); err != nil {
			return err
		}
		saved, err := loadRecord(tx, t, id, false)
		if err != nil {
			return err
		}
		return WriteAudit(tx, by, "create", t.Table, id, diff(t, Record{}, saved))
	})
	return id, editError(err)
}

// UpdateRecord saves a changed record if nobody saved it since r.LockVersion
// was read; otherwise it returns an *EditConflict and writes nothing.
// A change of status is audited as publish or unpublish.
func UpdateRecord(ctx context.Context, db *gorm.DB, t EditableTable, r Record, by Actor) error {
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		old, err := loadRecord(tx, t, r.ID, true)
		if err != nil {
			return err
		}
		if old.DeletedAt != nil {
			return ErrNotFound
		}
		if old.LockVersion != r.LockVersion {
			return &EditConflict{Current: old, ByName: lastEditor(tx, t.Table, r.ID)}
		}
		names, args, err := columnArgs(t.Columns, r.Values)
		if err != nil {
			return err
		}
		sets := make([]string, len(names))
		for i, n := range names {
			sets[i] = n + " = ?"
		}
		sets = append(sets, "lock_version = lock_version + 1", "updated_at = now()")
		if err := tx.Exec("UPDATE "+t.Table+" SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, r.ID)...).Error; err != nil {
			return err
		}
		if err := writeChildren(tx, t, r.ID, r.Children); err != nil {
			return err
		}
		saved, err := loadRecord(tx, t, r.ID, false)
		if err != nil {
			return err
		}
		changes := diff(t, old, saved)
		if len(changes) == 0 {
			return ErrNoChange // rolls back the lock_version bump
		}
		action := "update"
		switch oldStatus, newStatus := old.Values["status"], saved.Values["status"]; {
		case oldStatus != StatusPublished && newStatus == StatusPublished:
			action = "publish"
		case oldStatus == StatusPublished && newStatus != StatusPublished:
			action = "unpublish"
		}
		return WriteAudit(tx, by, action, t.Table, r.ID, changes)
	})
	return editError(err)
}

// DeleteRecord soft-deletes a record: its slug stays taken, so a public
// link never leads to another record, and it can be restored.
func DeleteRecord(ctx context.Context, db *gorm.DB, t EditableTable, id int64, by Actor) error {
	return setDeleted(ctx, db, t, id, by, true)
}

// RestoreRecord undoes DeleteRecord.
func RestoreRecord(ctx context.Context, db *gorm.DB, t EditableTable, id int64, by Actor) error {
	return setDeleted(ctx, db, t, id, by, false)
}

func setDeleted(ctx context.Context, db *gorm.DB, t EditableTable, id int64, by Actor, deleted bool) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		set, where, action := "deleted_at = now()", "deleted_at IS NULL", "delete"
		if !deleted {
			set, where, action = "deleted_at = NULL", "deleted_at IS NOT NULL", "restore"
		}
		res := tx.Exec("UPDATE "+t.Table+" SET "+set+", lock_version = lock_version + 1, updated_at = now() WHERE id = ? AND "+where, id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return WriteAudit(tx, by, action, t.Table, id, map[string]any{})
	})
}

func columnArgs(cols []Column, values map[string]string) ([]string, []any, error) {
	names := make([]string, 0, len(cols))
	args := make([]any, 0, len(cols))
	for _, c := range cols {
		v, err := sqlValue(c, values[c.Name])
		if err != nil {
			return nil, nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		names = append(names, c.Name)
		args = append(args, v)
	}
	return names, args, nil
}

// writeChildren replaces a record's child rows with the given ones, in order.
func writeChildren(tx *gorm.DB, t EditableTable, parentID int64, children map[string][]map[string]string) error {
	for _, ct := range t.Children {
		if err := tx.Exec("DELETE FROM "+ct.Table+" WHERE "+ct.ParentKey+" = ?", parentID).Error; err != nil {
			return err
		}
		for i, row := range children[ct.Table] {
			names, args, err := columnArgs(ct.Columns, row)
			if err != nil {
				return err
			}
			names = append(names, ct.ParentKey, "position")
			args = append(args, parentID, ct.FirstPosition+i)
			marks := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
			if err := tx.Exec("INSERT INTO "+ct.Table+" ("+strings.Join(names, ", ")+") VALUES ("+marks+")", args...).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// diff lists what changed: {"column": [old, new]} for columns, and
// {"child_table": [old rows, new rows]} when any child row changed.
// A created record's old values are null.
func diff(t EditableTable, old, saved Record) map[string]any {
	changes := map[string]any{}
	for _, c := range t.Columns {
		before, after := old.Values[c.Name], saved.Values[c.Name]
		if before == after {
			continue
		}
		if old.Values == nil {
			if after == "" {
				continue
			}
			changes[c.Name] = []any{nil, after}
		} else {
			changes[c.Name] = []any{before, after}
		}
	}
	for _, ct := range t.Children {
		before, after := old.Children[ct.Table], saved.Children[ct.Table]
		if !slices.EqualFunc(before, after, maps.Equal) {
			if before == nil {
				before = []map[string]string{}
			}
			changes[ct.Table] = []any{before, after}
		}
	}
	return changes
}

// WriteAudit records a change in the audit log, inside the change's own
// transaction so that one never lands without the other.
func WriteAudit(tx *gorm.DB, by Actor, action, entityType string, entityID int64, changes map[string]any) error {
	body, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	var actor *int64
	if by.StaffID != 0 {
		actor = &by.StaffID
	}
	return tx.Create(&AuditEntry{ActorID: actor, Action: action, EntityType: entityType, EntityID: entityID,
		Changes: body, RequestID: by.RequestID}).Error
}

func lastEditor(tx *gorm.DB, table string, id int64) string {
	var name string
	tx.Raw(`SELECT s.name FROM audit_log a JOIN staff_users s ON s.id = a.actor_id
		WHERE a.entity_type = ? AND a.entity_id = ? ORDER BY a.at DESC, a.id DESC LIMIT 1`, table, id).Scan(&name)
	return name
}

// editError turns the database's refusals into errors the admin can name.
func editError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "23505" && strings.Contains(pg.ConstraintName, "slug"):
			return ErrSlugTaken
		case pg.Code == "23514" || pg.Code == "23503" || pg.Code == "23502" || pg.Code == "23505":
			return &CheckViolation{Constraint: pg.ConstraintName}
		}
	}
	return err
}

// LiesBelow reports whether candidate is the record id itself or lies
// below it in a table's tree of parents: as id's parent it would close a
// loop. The walk goes up from candidate and stops at a repeat (UNION), so
// it ends even on a loop already stored. table and parentColumn come from
// the code, never from a request.
func LiesBelow(ctx context.Context, db *gorm.DB, table, parentColumn string, candidate, id int64) (bool, error) {
	var loops bool
	err := db.WithContext(ctx).Raw(`WITH RECURSIVE up(id) AS (
			SELECT ?::bigint
			UNION
			SELECT t.`+parentColumn+` FROM `+table+` t JOIN up ON t.id = up.id WHERE t.`+parentColumn+` IS NOT NULL
		) SELECT EXISTS (SELECT 1 FROM up WHERE id = ?)`, candidate, id).Scan(&loops).Error
	return loops, err
}

// SlugTaken reports whether a slug is used by another record of the table,
// deleted ones included (their public links must not change meaning).
func SlugTaken(ctx context.Context, db *gorm.DB, table, slug string, exceptID int64) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Table(table).Where("slug = ? AND id <> ?", slug, exceptID).Count(&n).Error
	return n > 0, err
}

// RecordState is a record's publishing state as the admin lists show it.
const (
	StateDraft     = "draft"
	StatePublished = "published"
	StateScheduled = "scheduled" // published, but its publish time is still ahead
	StateDeleted   = "deleted"
)

// State is a stored record's publishing state at a time; ListRecords
// computes the same in SQL.
func (r Record) State(now time.Time) string {
	switch {
	case r.DeletedAt != nil:
		return StateDeleted
	case r.Values["status"] != StatusPublished:
		return StateDraft
	case r.Values["publish_at"] != "" && r.Values["publish_at"] > now.In(calendar.Beijing).Format(TimeLayout):
		return StateScheduled
	}
	return StatePublished
}

// RecordListQuery selects one page of a content table for the admin.
type RecordListQuery struct {
	Text      string // in the title or slug
	State     string // one of the States, or "" for everything not deleted
	OfficerID int64  // projects only: those assigned to this account
	English   string // EnglishMissing or EnglishStale: only records of that parity
	Limit     int
	Offset    int
}

// RecordListItem is a line of an admin list.
type RecordListItem struct {
	ID        int64
	Title     string
	Slug      string
	State     string
	English   string // EnglishMissing, EnglishStale or ""
	PublishAt *time.Time
	UpdatedAt time.Time
}

// ListRecords reads one page of a content table, newest change first.
func ListRecords(ctx context.Context, db *gorm.DB, t EditableTable, q RecordListQuery) ([]RecordListItem, int64, error) {
	english := "''"
	var par parity
	if len(t.EnglishPairs) > 0 {
		par = parityOf(t.Table, t.EnglishPairs)
		english = par.state()
	}
	// Columns are named with their table: the parity join brings its own.
	col := func(name string) string { return t.Table + "." + name }
	scope := func() *gorm.DB {
		d := db.WithContext(ctx).Table(t.Table)
		if len(t.EnglishPairs) > 0 {
			d = par.filter(d.Joins(par.join), q.English)
		}
		switch q.State {
		case StateDeleted:
			d = d.Where(col("deleted_at") + " IS NOT NULL")
		case StateDraft:
			d = d.Where(col("deleted_at")+" IS NULL AND "+col("status")+" = ?", StatusDraft)
		case StatePublished:
			d = d.Where(col("deleted_at")+" IS NULL AND "+col("status")+" = ? AND ("+col("publish_at")+" IS NULL OR "+col("publish_at")+" <= now())", StatusPublished)
		case StateScheduled:
			d = d.Where(col("deleted_at")+" IS NULL AND "+col("status")+" = ? AND "+col("publish_at")+" > now()", StatusPublished)
		default:
			d = d.Where(col("deleted_at") + " IS NULL")
		}
		if q.OfficerID != 0 {
			d = d.Where(col("officer_id")+" = ?", q.OfficerID)
		}
		if q.Text != "" {
			p := likePattern(q.Text)
			d = d.Where("("+col(t.TitleColumn)+" ILIKE ? OR "+col("slug")+" ILIKE ?)", p, p)
		}
		return d
	}
	var total int64
	if err := scope().Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var items []RecordListItem
	err := scope().Select(col("id") + `, ` + col(t.TitleColumn) + ` AS title, ` + col("slug") + `, ` + col("publish_at") + `, ` + col("updated_at") + `,
		CASE WHEN ` + col("deleted_at") + ` IS NOT NULL THEN 'deleted' WHEN ` + col("status") + ` = 'draft' THEN 'draft'
			WHEN ` + col("publish_at") + ` > now() THEN 'scheduled' ELSE 'published' END AS state, ` + english + ` AS english`).
		Order(col("updated_at") + " DESC, " + col("id") + " DESC").Limit(q.Limit).Offset(q.Offset).Scan(&items).Error
	return items, total, err
}

// RefOption is a record another one can point at, for a select list.
type RefOption struct {
	ID    int64
	Title string
}

// RefOptions lists a table's records (drafts too, not deleted) by title.
func RefOptions(ctx context.Context, db *gorm.DB, table, titleColumn string) ([]RefOption, error) {
	var list []RefOption
	err := db.WithContext(ctx).Table(table).Where("deleted_at IS NULL").
		Select("id, " + titleColumn + " AS title").Order(titleColumn + ", id").Scan(&list).Error
	return list, err
}
