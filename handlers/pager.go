package handlers

import (
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"investportal/views"
)

// listPageSize is how many entries a paginated list shows.
const listPageSize = 20

// newPager links the pages of a list of total entries. A page past the end
// (after a filter narrowed the list) is a 404.
func newPager(c echo.Context, path string, page, total int64) (views.Pager, error) {
	return newPagerOf(c, path, page, total, listPageSize)
}

// newPagerOf is newPager for lists of another page size.
func newPagerOf(c echo.Context, path string, page, total, size int64) (views.Pager, error) {
	pages := max(1, (total+size-1)/size)
	if page > pages {
		return views.Pager{}, echo.ErrNotFound
	}
	p := views.Pager{Page: int(page), Pages: int(pages)}
	if page > 1 {
		p.PrevPath = pagePath(path, c.QueryParams(), page-1)
	}
	if page < pages {
		p.NextPath = pagePath(path, c.QueryParams(), page+1)
	}
	return p, nil
}

// pagePath is a list's path with the same filters on another page.
func pagePath(path string, query url.Values, page int64) string {
	q := url.Values{}
	for k, v := range query {
		q[k] = slices.Clone(v)
	}
	if page == 1 {
		q.Del("page")
	} else {
		q.Set("page", strconv.FormatInt(page, 10))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
