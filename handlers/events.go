package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// ListEvents shows the published signing events, newest first, a page
// at a time.
func (h *Handler) ListEvents(c echo.Context) error {
	r := newQueryReader(c)
	page := r.page()
	if err := r.err(); err != nil {
		return err
	}
	events, err := h.publicEvents(ctx(c))
	if err != nil {
		return err
	}
	pager, err := newPager(c, "/events", page, int64(len(events)))
	if err != nil {
		return err
	}
	v := views.EventsView{Page: h.page(c, "events", i18n.T(ctx(c), "events.title"), i18n.T(ctx(c), "events.lead")), Pager: pager}
	v.Page.Query = c.QueryString() // the language links keep the page
	v.Page.NoIndex = v.Page.Query != ""
	first := int(page-1) * listPageSize
	for _, e := range events[first:min(first+listPageSize, len(events))] {
		v.Events = append(v.Events, eventRow(ctx(c), e))
	}
	return render(c, http.StatusOK, views.EventsIndex(v))
}

// ShowEvent shows one signing event, what was announced at it and the
// projects on the site that were signed there.
func (h *Handler) ShowEvent(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	d, err := pageData(h, ctx(c), "event/"+slug, func(cx context.Context) (models.EventDetail, error) { return models.LoadEvent(cx, h.reads(cx), slug) })
	if err != nil {
		return err
	}
	cx := ctx(c)
	e := d.Event
	row := eventRow(cx, e)
	summary, summaryFallback := i18n.Content(cx, e.Summary, e.SummaryEn)
	_, nameFallback := i18n.Content(cx, e.Name, e.NameEn)
	v := views.EventView{
		Page:           h.page(c, "events", row.Name, summary),
		Name:           row.Name,
		Kind:           row.Kind,
		Date:           row.Date,
		DateISO:        row.DateISO,
		Place:          row.Place,
		Organiser:      i18n.Chinese(cx, e.Organiser),
		Region:         row.Region,
		RegionPath:     "/regions/" + e.Region.Slug,
		ReportedAmount: row.Amount,
		Summary:        summary,
		Fallback:       nameFallback || summaryFallback,
		Source:         row.Source,
		Updated:        views.Updated{Text: views.Date(cx, e.UpdatedAt), ISO: views.ISODate(e.UpdatedAt)},
		Funnel:         eventFunnel(cx, e, d.Funnel),
		Crumbs:         []views.Crumb{{Path: "/events", Name: i18n.T(cx, "events.title")}, {Path: "/events/" + e.Slug, Name: row.Name}},
	}
	if e.ReportedProjectCount != nil {
		v.ReportedProjects = i18n.T(cx, "event.reported.projects", map[string]any{"N": *e.ReportedProjectCount})
	}
	if e.ReportedCompanyCount != nil {
		v.ReportedCompanies = i18n.T(cx, "event.reported.companies", map[string]any{"N": *e.ReportedCompanyCount})
	}
	if e.SourceArticle != nil {
		v.SourcePath = "/news/" + e.SourceArticle.Slug
	}
	for _, p := range d.Projects {
		v.Projects = append(v.Projects, projectRow(cx, p))
	}
	return render(c, http.StatusOK, views.EventShow(v))
}
