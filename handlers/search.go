package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/views"
	"investportal/views/i18n"
)

const searchHitsPerGroup = 10

// kindPaths maps a content type to its pages' path prefix.
var kindPaths = map[string]string{"region": "/regions/", "park": "/parks/", "chain": "/chains/", "policy": "/policies/",
	"project": "/projects/", "event": "/events/", "news": "/news/"}

// Search finds content of every type that contains the query, grouped by
// type. Chinese queries of two characters work (a substring match, not
// word tokens), and Simplified and Traditional spellings find each other.
func (h *Handler) Search(c echo.Context) error {
	cx := ctx(c)
	r := newQueryReader(c)
	q := r.text("q", 100)
	if err := r.err(); err != nil {
		return err
	}
	page := h.page(c, "search", i18n.T(cx, "search.title"), i18n.T(cx, "search.lead"))
	page.Query = c.QueryString()
	page.NoIndex = true
	v := views.SearchView{Page: page, Query: q}
	if q == "" {
		return render(c, http.StatusOK, views.SearchPage(v))
	}
	groups, err := h.search.Search(cx, h.reads(cx), i18n.ScriptForms(q), searchHitsPerGroup)
	if err != nil {
		return err
	}
	var total int64
	capped := false
	for _, g := range groups {
		if g.Total == 0 {
			continue
		}
		total += g.Total
		capped = capped || g.Capped
		gv := views.SearchGroupView{Heading: i18n.T(cx, "search.group", map[string]any{"Kind": i18n.T(cx, "kind."+g.Kind), "N": hitCount(g.Total, g.Capped)})}
		for _, hit := range g.Hits {
			title, _ := i18n.Content(cx, hit.Title, hit.TitleEn)
			summary, _ := i18n.Content(cx, hit.Summary, "")
			gv.Hits = append(gv.Hits, views.LinkItem{Path: kindPaths[hit.Kind] + hit.Slug, Name: title, Text: summary})
		}
		if more := g.Total - int64(len(g.Hits)); more > 0 {
			gv.More = i18n.T(cx, "search.more", map[string]any{"N": hitCount(more, g.Capped)})
		}
		v.Groups = append(v.Groups, gv)
	}
	if total == 0 {
		v.Summary = i18n.T(cx, "search.none", map[string]any{"Q": q})
	} else {
		n := views.Count(total)
		if capped {
			n += "+"
		}
		v.Summary = i18n.T(cx, "search.results", map[string]any{"Q": q, "N": n})
	}
	return render(c, http.StatusOK, views.SearchPage(v))
}

// hitCount writes a number of hits; search stops counting a type's at
// a few hundred, and then says "at least": 501+.
func hitCount(n int64, atLeast bool) string {
	if atLeast {
		return views.Count(n) + "+"
	}
	return views.Count(n)
}
