package handlers

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/views/i18n"
)

// queryReader reads list filters from the URL and collects, in the
// visitor's language, what it could not understand: a bad filter is a 400
// page that says which one, never a 500 and never silently ignored.
type queryReader struct {
	c        echo.Context
	cx       context.Context
	problems []string
}

func newQueryReader(c echo.Context) *queryReader {
	return &queryReader{c: c, cx: ctx(c)}
}

// raw returns a parameter's value, recording a problem for text that is not
// valid UTF-8 or holds control characters.
func (r *queryReader) raw(name string) string {
	v := strings.TrimSpace(r.c.QueryParam(name))
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		r.bad(name, strings.ToValidUTF8(strings.Map(dropControl, v), "�"))
		return ""
	}
	return v
}

func dropControl(r rune) rune {
	if unicode.IsControl(r) {
		return -1
	}
	return r
}

func (r *queryReader) label(name string) string { return i18n.T(r.cx, "filter."+name) }

func (r *queryReader) bad(name, value string) {
	if utf8.RuneCountInString(value) > 40 {
		value = string([]rune(value)[:40]) + "…"
	}
	r.problems = append(r.problems, i18n.T(r.cx, "filter.bad", map[string]any{"Name": r.label(name), "Value": value}))
}

// unknown records a well-formed value that names nothing, such as a region
// slug that does not exist.
func (r *queryReader) unknown(name, value string) {
	r.problems = append(r.problems, i18n.T(r.cx, "filter.unknown", map[string]any{"Name": r.label(name), "Value": value}))
}

// oneOf reads a value that must be one of allowed ("" when absent).
func (r *queryReader) oneOf(name string, allowed []string) string {
	v := r.raw(name)
	if v != "" && !slices.Contains(allowed, v) {
		r.bad(name, v)
		return ""
	}
	return v
}

// slug reads a value that must look like a slug ("" when absent).
func (r *queryReader) slug(name string) string {
	v := r.raw(name)
	if v != "" && !models.ValidSlug(v) {
		r.bad(name, v)
		return ""
	}
	return v
}

// text reads free text of at most max characters.
func (r *queryReader) text(name string, max int) string {
	v := r.raw(name)
	if utf8.RuneCountInString(v) > max {
		r.problems = append(r.problems, i18n.T(r.cx, "filter.too_long", map[string]any{"Name": r.label(name), "Max": max}))
		return ""
	}
	return v
}

// int reads a whole number within [min, max]; ok is false when absent or bad.
func (r *queryReader) int(name string, min, max int64) (n int64, ok bool) {
	v := r.raw(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < min || n > max {
		r.bad(name, v)
		return 0, false
	}
	return n, true
}

// decimal reads a number ≥ 0 and ≤ max with at most two decimals; not
// Valid when absent or bad.
func (r *queryReader) decimal(name string, max int64) decimal.NullDecimal {
	v := r.raw(name)
	if v == "" {
		return decimal.NullDecimal{}
	}
	d, err := decimal.NewFromString(v)
	if err != nil || d.IsNegative() || d.Exponent() < -2 || d.GreaterThan(decimal.NewFromInt(max)) {
		r.bad(name, v)
		return decimal.NullDecimal{}
	}
	return decimal.NewNullDecimal(d)
}

// date reads a YYYY-MM-DD date; nil when absent or bad.
func (r *queryReader) date(name string) *time.Time {
	v := r.raw(name)
	if v == "" {
		return nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, calendar.Beijing)
	if err != nil || d.Year() < 1949 || d.Year() > 2100 {
		r.bad(name, v)
		return nil
	}
	return &d
}

// err is the 400 error for every problem found, or nil.
func (r *queryReader) err() error {
	if len(r.problems) == 0 {
		return nil
	}
	return badRequest(strings.Join(r.problems, " "))
}

// resolveSlug looks up a slug filter with find, recording a slug that names
// nothing as the visitor's mistake; ok reports that something was found.
func resolveSlug[T any](r *queryReader, name, slug string, find func(string) (T, error)) (found T, ok bool, err error) {
	if slug == "" {
		return found, false, nil
	}
	found, err = find(slug)
	switch {
	case errors.Is(err, models.ErrNotFound):
		r.unknown(name, slug)
		return found, false, nil
	case err != nil:
		return found, false, err
	}
	return found, true, nil
}

// page reads the list page number, 1 when absent.
func (r *queryReader) page() int64 {
	if n, ok := r.int("page", 1, 100_000); ok {
		return n
	}
	return 1
}

// regionFilter resolves the region filter; ok is false when it is absent or
// names no published region (which is recorded as a problem).
func (h *Handler) regionFilter(cx context.Context, r *queryReader, slug string) (region models.Region, ok bool, err error) {
	return resolveSlug(r, "region", slug, func(slug string) (models.Region, error) {
		return h.publicRegion(cx, slug)
	})
}

// placeFilter resolves a list's region and chain filters: the region's
// ids as widen gives them (the regions below it, whose records it counts,
// or above it, whose policies apply there) and the chain's id.
func (h *Handler) placeFilter(cx context.Context, r *queryReader, region, chain string,
	widen func(context.Context, int64) ([]int64, error)) (regionIDs []int64, chainID int64, err error) {
	found, ok, err := h.regionFilter(cx, r, region)
	if err != nil {
		return nil, 0, err
	}
	if ok {
		if regionIDs, err = widen(cx, found.ID); err != nil {
			return nil, 0, err
		}
	}
	chainID, err = h.chainFilter(cx, r, chain)
	return regionIDs, chainID, err
}

// chainFilter resolves the industry-chain filter to an id, 0 when absent
// or unknown (which is recorded as a problem).
func (h *Handler) chainFilter(cx context.Context, r *queryReader, slug string) (int64, error) {
	chain, _, err := resolveSlug(r, "chain", slug, func(slug string) (models.IndustryChain, error) {
		return h.publicChain(cx, slug)
	})
	return chain.ID, err
}
