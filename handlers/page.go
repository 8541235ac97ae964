package handlers

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// localized registers a read-only page under every language prefix, with
// the language in the request's context: /regions, /zh-hant/regions,
// /en/regions. Middleware runs after the language is set, so its error
// pages speak the page's language.
func localized(e *echo.Echo, path string, handler echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	for _, l := range i18n.All {
		e.Match([]string{http.MethodGet, http.MethodHead}, l.Path(path), handler, append([]echo.MiddlewareFunc{withLang(l)}, mw...)...)
	}
}

// localizedPost registers a form's target under every language prefix.
func localizedPost(e *echo.Echo, path string, handler echo.HandlerFunc, mw ...echo.MiddlewareFunc) {
	for _, l := range i18n.All {
		e.POST(l.Path(path), handler, append([]echo.MiddlewareFunc{withLang(l)}, mw...)...)
	}
}

func withLang(l i18n.Lang) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			setLang(c, l)
			return next(c)
		}
	}
}

func setLang(c echo.Context, l i18n.Lang) {
	r := c.Request()
	c.SetRequest(r.WithContext(i18n.WithLang(r.Context(), l)))
}

// ctx is the request's context, which carries the page's language.
func ctx(c echo.Context) context.Context { return c.Request().Context() }

// page fills in what the layout needs to know about the current request.
func (h *Handler) page(c echo.Context, section, title, description string) views.Page {
	_, path := i18n.FromPath(c.Request().URL.Path)
	p := views.Page{Title: title, Description: description, Path: path, Section: section}
	if h.baseURL != nil {
		p.BaseURL = h.baseURL.String()
	}
	if models.Previewing(ctx(c)) {
		// No canonical or language links: the preview has no public address yet.
		p.PreviewOf, p.NoIndex, p.Path = strings.TrimSuffix(c.Request().URL.Path, "/preview"), true, ""
	}
	return p
}
