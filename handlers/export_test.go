package handlers

import (
	"context"

	"github.com/labstack/echo/v4"

	"investportal/models"
)

// DecodeMemory lets the tests compare the estimate with what decoders
// really allocate.
var DecodeMemory = decodeMemory

// PageCacheStats is what the page cache holds and has done.
type PageCacheStats struct{ Weight, Hits, Misses, Renders uint64 }

// PreferredCoding and MatchesTag are the page cache's negotiation.
var PreferredCoding, MatchesTag = preferredCoding, matchesTag

// CachedPage is the page cache's middleware of a router NewWithPageCache
// made, for a test's own routes.
var CachedPage = map[*echo.Echo]echo.MiddlewareFunc{}

// NewWithPageCache is New, with a look into the page cache.
func NewWithPageCache(d Deps) (router *echo.Echo, stats func() PageCacheStats) {
	h, e := build(d)
	CachedPage[e] = h.pages.serve
	SearchIndexOf[e] = h.search
	dataMemoOf[e] = h.data
	return e, func() PageCacheStats {
		s := PageCacheStats{Hits: h.pages.hits.Load(), Misses: h.pages.misses.Load(), Renders: h.pages.renders.Load()}
		if h.pages.entries != nil {
			h.pages.entries.CleanUp()
			s.Weight = h.pages.entries.WeightedSize()
		}
		return s
	}
}

// SearchIndexOf is each router's search index.
var SearchIndexOf = map[*echo.Echo]*models.SearchIndex{}

var dataMemoOf = map[*echo.Echo]*models.Memo[any]{}

// SitesInMemory reports whether a router NewWithPageCache made holds the
// public sites in its data memo, current.
func SitesInMemory(e *echo.Echo) bool {
	_, ok := dataMemoOf[e].Current(context.Background(), publicSitesKey)
	return ok
}
