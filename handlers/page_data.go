package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// pageData reads what a public page is made from through h.data, a memo
// shared by every public page (models.Memo). The data is the same in
// every language, so the three languages of a page read it once; and it
// is kept until a table it was read from changes, so that after an edit
// the pages that do not show the edited content are rendered again
// without reading the database (the page cache keeps nothing across an
// edit). key names the page and what selects its data. Lists filtered by
// what a visitor types are read afresh (see listData).
func pageData[V any](h *Handler, cx context.Context, key string, load func(context.Context) (V, error)) (V, error) {
	v, err := h.data.Get(cx, h.reads(cx), key, func(cx context.Context) (any, error) { return load(cx) })
	if err != nil {
		var zero V
		return zero, err
	}
	return v.(V), nil
}

// keptHTML renders a part of a page once per key and language and keeps
// the HTML in the data memo, until a table it was read from changes: for
// parts whose writing costs more than reading their memoised data (a
// region's profile, the statistics' charts). Everything the part shows
// must be read inside part, through the context it is given (a memo hit
// counts), so that the memo learns every table it depends on; and the
// part must hold nothing of the visitor's.
func keptHTML(h *Handler, cx context.Context, key string, part func(context.Context) (templ.Component, error)) (string, error) {
	return pageData(h, cx, key+"/"+string(i18n.FromContext(cx)), func(cx context.Context) (string, error) {
		c, err := part(cx)
		if err != nil {
			return "", err
		}
		var b strings.Builder
		err = c.Render(cx, &b)
		return b.String(), err
	})
}

// keptSelects renders a filter form's selects once per form, language and
// chosen values, and keeps the HTML in the data memo (keptHTML) until a
// list they offer changes: with dozens of options (regions, chains,
// events, parks) writing them was a quarter of a filtered list's time.
// The chosen values are the key, so each must have been checked against
// its list (a slug that names a record, a value of an enumeration) before.
func keptSelects(h *Handler, cx context.Context, form string, chosen []string, build func(context.Context) ([]views.SelectField, error)) (string, error) {
	return keptHTML(h, cx, "filter-selects/"+form+"/"+strings.Join(chosen, "/"), func(cx context.Context) (templ.Component, error) {
		selects, err := build(cx)
		if err != nil {
			return nil, err
		}
		return views.FilterSelects(selects), nil
	})
}

// keptListPages is how many first pages of a list listData keeps.
const keptListPages = 5

// listData reads a page of a public list through the data memo when its
// filter is made only of the portal's own choices (a region, a chain, a
// kind, a sort) and it is one of the first pages: those are few, and they
// are what visitors follow links to. A filter with a typed value (an
// amount, a year, a text) is read afresh: its keys would be the visitor's
// to choose, and a rare one would only crowd out the pages everyone reads.
// The choices still combine into many keys; the memo's W-TinyLFU policy
// (otter) admits a new key only over one read less often, so a crawler
// walking every combination cannot push out the pages everyone reads.
// key names the list and its choices.
func listData[V any](h *Handler, cx context.Context, typed bool, page int64, key string, load func(context.Context) (V, error)) (V, error) {
	if typed || page > keptListPages {
		return load(cx)
	}
	return pageData(h, cx, key+"/page-"+strconv.FormatInt(page, 10), load)
}

// pageDataEntries bounds the memo: a few thousand pages' data. Most are
// a few kilobytes; a region's profile is tens of kilobytes with 100 000
// projects, and the matcher's candidates for a city with 2 500 policies
// in and around it (make bench) under a megabyte, one entry a region.
const pageDataEntries = 2048

// The lists that filters and indexes share.

func (h *Handler) publicRegions(cx context.Context) ([]models.Region, error) {
	return pageData(h, cx, "regions", func(cx context.Context) ([]models.Region, error) { return models.PublicRegions(cx, h.reads(cx)) })
}

func (h *Handler) publicChains(cx context.Context) ([]models.IndustryChain, error) {
	return pageData(h, cx, "chains", func(cx context.Context) ([]models.IndustryChain, error) { return models.PublicChains(cx, h.reads(cx)) })
}

func (h *Handler) publicParks(cx context.Context) ([]models.ParkListItem, error) {
	return pageData(h, cx, "parks", func(cx context.Context) ([]models.ParkListItem, error) { return models.PublicParks(cx, h.reads(cx)) })
}

func (h *Handler) publicEvents(cx context.Context) ([]models.SigningEvent, error) {
	return pageData(h, cx, "events", func(cx context.Context) ([]models.SigningEvent, error) { return models.PublicEvents(cx, h.reads(cx)) })
}

// The records filters name by slug.

func (h *Handler) publicRegion(cx context.Context, slug string) (models.Region, error) {
	return pageData(h, cx, "region-named/"+slug, func(cx context.Context) (models.Region, error) {
		return models.PublicRegionBySlug(cx, h.reads(cx), slug)
	})
}

func (h *Handler) publicChain(cx context.Context, slug string) (models.IndustryChain, error) {
	return pageData(h, cx, "chain-named/"+slug, func(cx context.Context) (models.IndustryChain, error) {
		return models.PublicChainBySlug(cx, h.reads(cx), slug)
	})
}

func (h *Handler) publicEvent(cx context.Context, slug string) (models.SigningEvent, error) {
	return pageData(h, cx, "event-named/"+slug, func(cx context.Context) (models.SigningEvent, error) {
		return models.PublicEventBySlug(cx, h.reads(cx), slug)
	})
}

// regionIDsBelow and regionIDsAbove are the regions a region's projects
// count towards and whose policies apply there.
func (h *Handler) regionIDsBelow(cx context.Context, id int64) ([]int64, error) {
	return pageData(h, cx, "below/"+strconv.FormatInt(id, 10), func(cx context.Context) ([]int64, error) {
		return models.RegionIDsBelow(cx, h.reads(cx), id)
	})
}

func (h *Handler) regionIDsAbove(cx context.Context, id int64) ([]int64, error) {
	return pageData(h, cx, "above/"+strconv.FormatInt(id, 10), func(cx context.Context) ([]int64, error) {
		return models.RegionIDsAbove(cx, h.reads(cx), id)
	})
}
