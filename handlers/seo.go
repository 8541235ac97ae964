package handlers

import (
	"encoding/xml"
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views/i18n"
)

// The list pages, which have no record behind them.
var sitemapSections = []string{"/", "/regions", "/parks", "/sites", "/chains", "/policies", "/match", "/projects", "/events", "/statistics", "/news", "/contact"}

type sitemapURLSet struct {
	XMLName xml.Name     `xml:"urlset"`
	NS      string       `xml:"xmlns,attr"`
	XHTML   string       `xml:"xmlns:xhtml,attr"`
	URLs    []sitemapURL `xml:"url"`
}

type sitemapURL struct {
	Loc        string           `xml:"loc"`
	LastMod    string           `xml:"lastmod,omitempty"`
	Alternates []sitemapAltLink `xml:"xhtml:link"`
}

type sitemapAltLink struct {
	Rel      string `xml:"rel,attr"`
	HrefLang string `xml:"hreflang,attr"`
	Href     string `xml:"href,attr"`
}

// Sitemap lists every public page once per language, each with its
// alternates, so search engines find all three versions.
func (h *Handler) Sitemap(c echo.Context) error {
	entries, err := models.SitemapEntries(ctx(c), h.reads(ctx(c)))
	if err != nil {
		return err
	}
	for _, s := range sitemapSections {
		entries = append(entries, models.SitemapEntry{Path: s})
	}
	base := h.baseURL.String()
	set := sitemapURLSet{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", XHTML: "http://www.w3.org/1999/xhtml"}
	for _, e := range entries {
		var alternates []sitemapAltLink
		for _, l := range i18n.All {
			alternates = append(alternates, sitemapAltLink{Rel: "alternate", HrefLang: string(l), Href: base + l.Path(e.Path)})
		}
		lastMod := ""
		if !e.UpdatedAt.IsZero() {
			lastMod = e.UpdatedAt.UTC().Format("2006-01-02")
		}
		for _, l := range i18n.All {
			set.URLs = append(set.URLs, sitemapURL{Loc: base + l.Path(e.Path), LastMod: lastMod, Alternates: alternates})
		}
	}
	return c.XML(http.StatusOK, set)
}

// Robots allows everything public and points at the sitemap.
func (h *Handler) Robots(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
	return c.String(http.StatusOK, "User-agent: *\nAllow: /\nDisallow: /search\nDisallow: /zh-hant/search\nDisallow: /en/search\nSitemap: "+h.baseURL.String()+"/sitemap.xml\n")
}
