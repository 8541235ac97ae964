package models

import (
	"context"
	"strings"
	"time"

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

// SearchGroup is the hits of one content type with how many there are in all.
type SearchGroup struct {
	Kind  string
	Total int64
	Hits  []SearchHit
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

// textMatch is the condition "one of the columns contains one of the
// forms": the search documents' gram index (migration 00003) narrows the
// records, ILIKE keeps the exact matches.
func textMatch(table string, columns, forms []string) (string, []any) {
	grams := make([]string, len(forms))
	var likes []string
	args := []any{table}
	for i, form := range forms {
		grams[i] = "grams @> search_query_grams(?)"
		args = append(args, form)
	}
	for _, form := range forms {
		for _, col := range columns {
			likes = append(likes, table+"."+col+" ILIKE ?")
			args = append(args, likePattern(form))
		}
	}
	// = ANY(ARRAY(…)) rather than IN (…): the planner guesses ILIKE to be
	// very selective and would otherwise scan the table to test it first.
	return table + ".id = ANY(ARRAY(SELECT record_id FROM search_documents WHERE table_name = ? AND (" +
		strings.Join(grams, " OR ") + "))) AND (" + strings.Join(likes, " OR ") + ")", args
}

// SearchKinds lists the content types in the order results show them.
func SearchKinds() []string {
	kinds := make([]string, len(searchTargets))
	for i, t := range searchTargets {
		kinds[i] = t.kind
	}
	return kinds
}

// Search finds public content that contains any of the given forms of one
// query (the caller passes its Simplified and Traditional spellings), by
// content type, at most perGroup hits each.
func Search(ctx context.Context, db *gorm.DB, forms []string, perGroup int) ([]SearchGroup, error) {
	db = db.WithContext(ctx)
	var groups []SearchGroup
	for _, target := range searchTargets {
		condition, args := textMatch(target.table, target.columns, forms)
		match := func() *gorm.DB {
			return db.Table(target.table).Scopes(Public(target.table)).
				Where(target.table+".deleted_at IS NULL").
				Where(condition, args...)
		}
		g := SearchGroup{Kind: target.kind}
		if err := match().Count(&g.Total).Error; err != nil {
			return nil, err
		}
		if g.Total > 0 {
			err := match().Select(target.table + ".slug, " + target.table + "." + target.title + " AS title, " +
				target.table + "." + target.titleEn + " AS title_en, " + target.table + "." + target.summary + " AS summary").
				Order(target.table + ".updated_at DESC, " + target.table + ".id DESC").Limit(perGroup).
				Scan(&g.Hits).Error
			if err != nil {
				return nil, err
			}
			for i := range g.Hits {
				g.Hits[i].Kind = target.kind
			}
		}
		groups = append(groups, g)
	}
	return groups, nil
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
