package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// ListNews shows every published news article.
func (h *Handler) ListNews(c echo.Context) error {
	news, err := pageData(h, ctx(c), "news", func(cx context.Context) ([]models.NewsArticle, error) { return models.PublicNews(cx, h.reads(cx)) })
	if err != nil {
		return err
	}
	v := views.NewsIndexView{Page: h.page(c, "news", i18n.T(ctx(c), "news.title"), i18n.T(ctx(c), "news.lead"))}
	for _, a := range news {
		v.News = append(v.News, newsRow(ctx(c), a))
	}
	return render(c, http.StatusOK, views.NewsIndex(v))
}

// ShowNews shows one article with its source attribution.
func (h *Handler) ShowNews(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	a, err := pageData(h, ctx(c), "news/"+slug, func(cx context.Context) (models.NewsArticle, error) { return models.LoadNews(cx, h.reads(cx), slug) })
	if err != nil {
		return err
	}
	cx := ctx(c)
	row := newsRow(cx, a)
	lang := i18n.FromContext(cx)
	v := views.NewsView{
		Page:                  h.page(c, "news", row.Title, row.Summary),
		Title:                 row.Title,
		Source:                row.Source,
		Author:                i18n.Chinese(cx, a.Author),
		Date:                  row.Date,
		DateISO:               row.DateISO,
		Body:                  i18n.Chinese(cx, a.Body),
		OriginalIsTraditional: a.Script == string(i18n.Hant) && lang == i18n.Hans,
		Fallback:              lang == i18n.En && a.Script != string(i18n.En),
		Lang:                  string(lang),
		Updated:               views.Updated{Text: views.Date(cx, a.UpdatedAt), ISO: views.ISODate(a.UpdatedAt)},
		Crumbs:                []views.Crumb{{Path: "/news", Name: i18n.T(cx, "news.title")}, {Path: "/news/" + a.Slug, Name: row.Title}},
	}
	if v.Fallback {
		v.SummaryEn = a.SummaryEn
		v.Lang = a.Script // the Chinese original, marked as such for screen readers
	}
	return render(c, http.StatusOK, views.NewsShow(v))
}
