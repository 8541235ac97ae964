package models

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"
)

// Memo keeps values computed from public content, by key, for as long as
// the content they were computed from is unchanged. It watches each
// computation's statements to learn which tables the value was read from
// (nothing to declare, so nothing to forget), and keeps the value until
// one of those tables changes, or until the next scheduled row of them
// becomes public. With a ContentWatch that is current, a lookup costs no
// query; otherwise each lookup reads the content versions, one small
// query. Either way a change committed by any instance is seen at the
// very next request (with a watch, as soon as its notification arrives);
// nothing waits for a timer. Staff previews are never memoised.
//
// Values are shared between requests: callers must not modify them.
type Memo[V any] struct {
	watch *ContentWatch // nil: read the versions on each lookup
	cache *otter.Cache[string, memoEntry[V]]
	// highest is the highest '*' version seen. Versions only grow, unless
	// the database was restored from a backup: then they may climb back
	// to stamps held here from before, so a lower one empties the memo.
	highest atomic.Int64
	// refreshing computes values in the background, one per key at a time.
	refreshing singleflight.Group
}

type memoEntry[V any] struct {
	tables []string // what the value was read from
	stamp  string   // their versions then
	until  time.Time
	value  V
}

// NewMemo makes a memo of at most size values; watch may be nil.
func NewMemo[V any](size int, watch *ContentWatch) *Memo[V] {
	return &Memo[V]{watch: watch, cache: otter.Must(&otter.Options[string, memoEntry[V]]{MaximumSize: size})}
}

// Get returns the value for key, computing it when there is none or when
// its content changed since. The versions are known before computing, so
// a change committed meanwhile makes the next Get compute again. compute
// must read through the context it is given.
func (m *Memo[V]) Get(ctx context.Context, db *gorm.DB, key string, compute func(context.Context) (V, error)) (V, error) {
	var zero V
	if Previewing(ctx) {
		return compute(ctx)
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
	// A value computed inside another memo's computation depends on what
	// it was read from, memoised or not.
	outer, _ := ctx.Value(readTablesKey{}).(*readTables)
	if e, ok := m.cache.GetIfPresent(key); ok && e.stamp == versions.stamp(e.tables) && (e.until.IsZero() || time.Now().Before(e.until)) {
		outer.add(e.tables)
		return e.value, nil
	}
	reads := &readTables{}
	v, err := compute(context.WithValue(ctx, readTablesKey{}, reads))
	if err != nil {
		return v, err
	}
	tables := reads.list()
	outer.add(tables)
	if until.IsZero() {
		// As the watch would: the next scheduled publication, or the
		// next day in Beijing (pages filter policies by today's date).
		if until, err = nextPublication(ctx, db, tables, versions); err != nil {
			return v, err
		}
		if midnight := nextBeijingMidnight(time.Now()); until.IsZero() || midnight.Before(until) {
			until = midnight
		}
	}
	if !MayKeep(ctx, versions.versions["*"]) {
		return v, nil
	}
	m.cache.Set(key, memoEntry[V]{tables: tables, stamp: versions.stamp(tables), until: until, value: v})
	return v, nil
}

// Current returns the value for key if it is kept and current, without
// computing anything (and records its tables, as Get does); false when
// there is none, it is out of date, or no current watch can tell. A
// caller that has a cheaper way to answer one request than computing the
// whole value then answers that way, and calls Refresh.
func (m *Memo[V]) Current(ctx context.Context, key string) (V, bool) {
	var zero V
	s := m.watch.State()
	if Previewing(ctx) || !s.Current || s.versions == nil || s.versions.versions["*"] < m.highest.Load() {
		return zero, false
	}
	e, ok := m.cache.GetIfPresent(key)
	if !ok || e.stamp != s.versions.stamp(e.tables) || !e.until.IsZero() && !time.Now().Before(e.until) {
		return zero, false
	}
	outer, _ := ctx.Value(readTablesKey{}).(*readTables)
	outer.add(e.tables)
	return e.value, true
}

// Refresh computes the value for key in the background, as Get would,
// unless that is under way or no current watch would let Current use it;
// compute reads from db (the primary: what it reads is never behind the
// watch). Errors are the next Get's to meet.
func (m *Memo[V]) Refresh(db *gorm.DB, key string, compute func(context.Context) (V, error)) {
	if !m.watch.State().Current {
		return
	}
	// DoChan runs one computation per key; a call while it runs returns.
	m.refreshing.DoChan(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return m.Get(ctx, db, key, compute)
	})
}

// RecordingReads gives a context under which the tables read are
// recorded (as a memo's computation's are), and a function that lists
// them once done: the page cache keeps a page for as long as they do not
// change.
func RecordingReads(ctx context.Context) (context.Context, func() []string) {
	reads := &readTables{}
	return context.WithValue(ctx, readTablesKey{}, reads), reads.list
}

// readTables collects the tables a computation's statements read.
type readTables struct {
	mu    sync.Mutex
	names map[string]bool
}

type readTablesKey struct{}

// list is the content tables read, each with a version of its own; a
// table without one stands for all of them ('*').
func (r *readTables) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for name := range r.names {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// add records tables read; a nil collector records nothing.
func (r *readTables) add(tables []string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = map[string]bool{}
	}
	for _, t := range tables {
		r.names[t] = true
	}
}

// noteReads records the tables a statement reads, if ctx is computing a
// memoised value.
func noteReads(ctx context.Context, sql string) {
	r, ok := ctx.Value(readTablesKey{}).(*readTables)
	if !ok {
		return
	}
	r.add(tablesReadBy(sql))
}

// tablesReadBy is the versions a statement's rows change with. Statements
// come from the code, so there are few of them: each is parsed once (the
// regular expression was two fifths of a search's CPU) and kept, up to
// maxParsedStatements; past that (GORM's IN lists vary in length) it is
// parsed each time.
func tablesReadBy(sql string) []string {
	if tables, ok := parsedStatements.Load(sql); ok {
		return tables.([]string)
	}
	var tables []string
	for _, m := range tableNames.FindAllStringSubmatch(sql, -1) {
		for _, t := range versionedAs(strings.ToLower(strings.Trim(m[1], `"`))) {
			if !slices.Contains(tables, t) {
				tables = append(tables, t)
			}
		}
	}
	if parsedCount.Load() < maxParsedStatements {
		if _, loaded := parsedStatements.LoadOrStore(sql, tables); !loaded {
			parsedCount.Add(1)
		}
	}
	return tables
}

const maxParsedStatements = 2048

var (
	parsedStatements sync.Map // statement text → []string
	parsedCount      atomic.Int64
)

// tableNames finds the names after FROM and JOIN: the tables a statement
// reads, and also the names of its subqueries and common table
// expressions, which versionedAs ignores.
var tableNames = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+("?[a-z_][a-z0-9_]*"?)`)

// versionedTables are the content tables migration 00020 keeps a version
// of; models_test checks the list against the database.
var versionedTables = []string{"benefit_items", "business_measures", "chain_links", "chain_parks", "contacts", "industry_chains",
	"news_articles", "park_sites", "parks", "policies", "policy_chains", "project_appearances",
	"project_managers", "project_reports", "projects", "region_figures", "regions",
	"reported_statistics", "signing_events", "uploads"}

// derivedTables are kept by triggers from content tables, and change with
// them: a read of one is a read of its sources.
var derivedTables = map[string][]string{
	"project_rollup":   {"projects"},
	"search_documents": {"regions", "parks", "industry_chains", "policies", "projects", "signing_events", "news_articles"},
}

// unversionedTables exist but have no version of their own; a value read
// from one is kept only while nothing at all changes ('*'). Public pages
// read none of them today; models_test checks that every table of the
// schema is in one of these three lists.
var unversionedTables = []string{"audit_log", "calendar_overrides", "content_versions", "desk_digests", "form_attempts", "goose_db_version",
	"inquiries", "inquiry_events", "inquiry_notes", "inquiry_reference_counters", "inquiry_reminders", "investor_briefs",
	"job_leases", "outbox_messages", "project_commitments", "project_flag_changes", "project_problems",
	"sessions", "sign_in_failures", "staff_users"}

// versionedAs is the versions a table's rows change with: its own, its
// sources', '*' for a table without one, none for a name that is no
// table (a subquery's or a common table expression's).
func versionedAs(name string) []string {
	switch {
	case slices.Contains(versionedTables, name):
		return []string{name}
	case derivedTables[name] != nil:
		return derivedTables[name]
	case slices.Contains(unversionedTables, name):
		return []string{"*"}
	}
	return nil
}
