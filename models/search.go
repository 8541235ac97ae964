package models

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// SearchHit is one record a search found.
type SearchHit struct {
	Kind    string // the content type: region, park, chain, policy, project, event, news
	Slug    string
	Title   string
	TitleEn string
	Summary string
}

// SearchGroup is the hits of one content type with how many there are in
// all, or, when Capped, at least.
type SearchGroup struct {
	Kind   string
	Total  int64
	Capped bool
	Hits   []SearchHit
}

// searchTargets says where each content type keeps its text. The body
// columns let a two-character query such as 物流 find a policy that only
// mentions it in its text. Each column list is also what the table's
// search_documents trigger indexes (migration 00003): change both together.
var searchTargets = []struct {
	kind, table, title, titleEn, summary string
	columns                              []string
}{
	{"region", "regions", "name", "name_en", "summary", []string{"name", "name_en", "summary", "description", "business_environment"}},
	{"park", "parks", "name", "name_en", "summary", []string{"name", "name_en", "summary", "focus_industries", "description"}},
	{"chain", "industry_chains", "name", "name_en", "summary", []string{"name", "name_en", "summary", "description"}},
	{"policy", "policies", "title", "title_en", "summary", policySearchColumns},
	{"project", "projects", "name", "name_en", "summary", []string{"name", "name_en", "investor", "summary", "description"}},
	{"event", "signing_events", "name", "name_en", "summary", []string{"name", "name_en", "summary", "place"}},
	{"news", "news_articles", "title", "title_en", "summary", []string{"title", "title_en", "summary", "body"}},
}

// policySearchColumns is shared by search and the policy list's text filter.
var policySearchColumns = []string{"title", "title_en", "summary", "body", "issuing_body"}

// textCondition is the condition "one of the columns of table (under
// alias) contains one of the forms", its arguments added to args: the
// search documents' gram index (migration 00003) finds the records
// holding all of a form's character pairs, or its one character. For a
// form of one or two characters that is exactly the substring match (the
// grams are made per text, lower-cased, and a pair across two columns
// holds the space between them); a longer one is checked again with ILIKE.
func textCondition(alias, table string, columns, forms []string, args pgx.NamedArgs) string {
	cond := alias + ".id = ANY(ARRAY(SELECT sd.record_id FROM search_documents sd WHERE sd.table_name = '" + table + "' AND " +
		gramsMatch(forms, args) + "))"
	// = ANY(ARRAY(…)) rather than IN (…): the planner guesses ILIKE to be
	// very selective and would otherwise scan the table to test it first.
	if recheck := recheckText(alias, columns, forms, args); recheck != "" {
		cond += " AND " + recheck
	}
	return cond
}

// gramsMatch is the condition that a search document sd holds the grams
// of one of the forms: search_query_grams computed once per statement
// (an initplan), not once per row (a quarter of a millisecond a call).
func gramsMatch(forms []string, args pgx.NamedArgs) string {
	var contains []string
	for _, form := range forms {
		name := "text" + strconv.Itoa(len(args))
		args[name] = form
		contains = append(contains, "sd.grams @> (SELECT search_query_grams(@"+name+"))")
	}
	return "(" + strings.Join(contains, " OR ") + ")"
}

// recheckText is the ILIKE check of the forms of more than two
// characters (or with a space), which the grams alone do not decide;
// empty when there are none.
func recheckText(alias string, columns, forms []string, args pgx.NamedArgs) string {
	var likes []string
	for _, form := range forms {
		if utf8.RuneCountInString(form) > 2 || strings.ContainsFunc(form, unicode.IsSpace) {
			pattern := "like" + strconv.Itoa(len(args))
			args[pattern] = likePattern(form)
			for _, col := range columns {
				likes = append(likes, alias+"."+col+" ILIKE @"+pattern)
			}
		}
	}
	if len(likes) == 0 {
		return ""
	}
	return "(" + strings.Join(likes, " OR ") + ")"
}

// SearchKinds lists the content types in the order results show them.
func SearchKinds() []string {
	kinds := make([]string, len(searchTargets))
	for i, t := range searchTargets {
		kinds[i] = t.kind
	}
	return kinds
}

// SearchCountCap is where search stops looking for a content type's
// hits: "500+" tells an investor as much as 12,500, and finding all of
// them took most of a search's time.
const SearchCountCap = 500

// Search finds public content that contains any of the given forms of one
// query (the caller passes its Simplified and Traditional spellings), by
// content type: the newest perGroup hits each, and how many there are. It
// takes at most SearchCountCap+1 candidates of a type from the gram index;
// when there are fewer, it counts and sorts those, and when there are
// more, Capped is set, Total counts the public ones among the first of
// them, and the newest hits are found walking the table from its newest
// record, testing each (a term that common is met within a few dozen).
// Reading every candidate of a common term was most of the time of a
// search on a large site. One statement with a generic plan: planning it
// for each query's grams took longer than running it.
func Search(ctx context.Context, db *gorm.DB, forms []string, perGroup int) ([]SearchGroup, error) {
	all := make([]int, len(searchTargets))
	for i := range all {
		all[i] = i
	}
	return searchDatabase(ctx, db, forms, perGroup, all)
}

// searchDatabase is Search of the content types at the given indexes of
// searchTargets; the groups are in the same order.
func searchDatabase(ctx context.Context, db *gorm.DB, forms []string, perGroup int, which []int) ([]SearchGroup, error) {
	args := pgx.NamedArgs{"cap": SearchCountCap + 1, "hits": perGroup}
	var grams []string
	for i, form := range forms {
		name := "text" + strconv.Itoa(i)
		args[name] = form
		grams = append(grams, "search_query_grams(@"+name+") AS g"+strconv.Itoa(i))
	}
	var match []string
	for i := range forms {
		match = append(match, "sd.grams @> (SELECT g"+strconv.Itoa(i)+" FROM query)")
	}
	matches := "(" + strings.Join(match, " OR ") + ")"
	ctes := []string{"query AS MATERIALIZED (SELECT " + strings.Join(grams, ", ") + ")"}
	var parts []string
	for _, i := range which {
		target := searchTargets[i]
		n := strconv.Itoa(i)
		public := publicRow(ctx, "t", target.table)
		if recheck := recheckText("t", target.columns, forms, args); recheck != "" {
			public += " AND " + recheck
		}
		columns := "t.id, t.slug, t." + target.title + " AS title, t." + target.titleEn + " AS title_en, t." + target.summary + " AS summary"
		ctes = append(ctes,
			"c"+n+" AS MATERIALIZED (SELECT sd.record_id FROM search_documents sd WHERE sd.table_name = '"+target.table+"' AND "+matches+" LIMIT @cap)",
			// A lookup per candidate, not a join the planner may make a
			// scan of the whole table.
			"h"+n+" AS MATERIALIZED (SELECT h.* FROM c"+n+" JOIN LATERAL (SELECT "+columns+" FROM "+target.table+" t WHERE t.id = c"+n+".record_id AND "+public+" OFFSET 0) h ON true)",
			"n"+n+" AS MATERIALIZED (SELECT (SELECT count(*) FROM h"+n+") AS found, (SELECT count(*) FROM c"+n+") >= @cap AS capped)")
		head := "SELECT '" + target.kind + "', (SELECT found FROM n" + n + "), (SELECT capped FROM n" + n + "), "
		parts = append(parts,
			"("+head+"h.slug, h.title, h.title_en, h.summary FROM h"+n+" h WHERE NOT (SELECT capped FROM n"+n+") ORDER BY h.id DESC LIMIT @hits)",
			"("+head+"t.slug, t."+target.title+", t."+target.titleEn+", t."+target.summary+" FROM "+target.table+` t
				JOIN LATERAL (SELECT 1 FROM search_documents sd WHERE sd.table_name = '`+target.table+`' AND sd.record_id = t.id AND `+matches+` OFFSET 0) m ON true
				WHERE (SELECT capped FROM n`+n+`) AND `+public+` ORDER BY t.id DESC LIMIT @hits)`)
	}
	statement := "WITH " + strings.Join(ctes, ",\n") + "\n" + strings.Join(parts, "\nUNION ALL\n")
	groups := make([]SearchGroup, len(which))
	for j, i := range which {
		groups[j].Kind = searchTargets[i].kind
	}
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue("BEGIN READ ONLY")
		b.Queue("SET LOCAL plan_cache_mode = force_generic_plan")
		b.Queue(statement, args).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var h SearchHit
				var found int64
				var capped bool
				if err := rows.Scan(&h.Kind, &found, &capped, &h.Slug, &h.Title, &h.TitleEn, &h.Summary); err != nil {
					return err
				}
				g := &groups[slices.IndexFunc(groups, func(g SearchGroup) bool { return g.Kind == h.Kind })]
				g.Capped, g.Hits = capped, append(g.Hits, h)
				// Capped, the count is of the first candidates only, and
				// a longer query's check may have kept fewer of them than
				// the hits the walk found: at least both.
				g.Total = max(found, int64(len(g.Hits)))
			}
			return rows.Err()
		})
		b.Queue("COMMIT")
	})
	return groups, err
}

// SitemapEntry is one public page for sitemap.xml.
type SitemapEntry struct {
	Path      string
	UpdatedAt time.Time
}

// SitemapEntries lists every public content page with its last change.
func SitemapEntries(ctx context.Context, db *gorm.DB) ([]SitemapEntry, error) {
	prefixes := map[string]string{"region": "/regions/", "park": "/parks/", "chain": "/chains/", "policy": "/policies/",
		"project": "/projects/", "event": "/events/", "news": "/news/"}
	var entries []SitemapEntry
	for _, target := range searchTargets {
		var rows []struct {
			Slug      string
			UpdatedAt time.Time
		}
		err := db.WithContext(ctx).Table(target.table).Scopes(Public(target.table)).
			Where(target.table + ".deleted_at IS NULL").Select("slug, updated_at").Order("id").Scan(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			entries = append(entries, SitemapEntry{Path: prefixes[target.kind] + r.Slug, UpdatedAt: r.UpdatedAt})
		}
	}
	return entries, nil
}
