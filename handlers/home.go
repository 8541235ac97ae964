package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// Home shows the headline figures, the latest signing events, the regions
// and the latest news, all read from the database.
func (h *Handler) Home(c echo.Context) error {
	summary, err := pageData(h, ctx(c), "home", func(cx context.Context) (models.HomeSummary, error) {
		return models.LoadHomeSummary(cx, h.reads(cx))
	})
	if err != nil {
		return err
	}
	page := h.page(c, "home", "", i18n.T(ctx(c), "home.description"))
	return render(c, http.StatusOK, views.Home(homeView(ctx(c), summary, page)))
}

func homeView(ctx context.Context, s models.HomeSummary, page views.Page) views.HomeView {
	n := func(v int64) map[string]any { return map[string]any{"N": v} }
	v := views.HomeView{
		Page: page,
		Totals: []views.Stat{
			{Label: i18n.T(ctx, "stat.events"), Value: i18n.T(ctx, "stat.events.value", n(s.Signings.Events)), Detail: i18n.T(ctx, "stat.events.detail")},
			{Label: i18n.T(ctx, "stat.projects"), Value: i18n.T(ctx, "stat.projects.value", n(s.Signings.Projects)), Detail: i18n.T(ctx, "stat.projects.detail")},
			{Label: i18n.T(ctx, "stat.amount"), Value: views.YuanShort(ctx, s.Signings.TotalYuan), Detail: i18n.T(ctx, "stat.amount.detail")},
		},
	}
	for _, f := range s.Featured {
		label, _ := i18n.Content(ctx, f.Label, f.LabelEn)
		region, _ := i18n.Content(ctx, f.Region.Name, f.Region.NameEn)
		stat := views.Stat{
			Label:  label,
			Value:  views.Figure(ctx, f.Value, f.Qualifier, f.Unit),
			Detail: fmt.Sprintf("%s · %d", region, f.Year),
			Source: i18n.Chinese(ctx, f.SourceNote),
		}
		if f.AsOf != "" {
			stat.Detail += " · " + content(ctx, f.AsOf, f.AsOfEn)
		}
		if f.SourceArticle != nil {
			stat.Source = i18n.Chinese(ctx, f.SourceArticle.SourceName)
		}
		v.Featured = append(v.Featured, stat)
	}
	for _, e := range s.LatestEvents {
		v.Events = append(v.Events, eventRow(ctx, e))
	}
	for _, r := range s.Regions {
		name, _ := i18n.Content(ctx, r.Name, r.NameEn)
		summary, _ := i18n.Content(ctx, r.Summary, r.SummaryEn)
		v.Regions = append(v.Regions, views.RegionCard{Path: "/regions/" + r.Slug, Name: name, Kind: views.RegionKind(ctx, r.Kind), Summary: summary})
	}
	for _, a := range s.LatestNews {
		v.News = append(v.News, newsRow(ctx, a))
	}
	return v
}

// eventRow shapes a signing event for a list; Region and SourceArticle
// must be loaded.
func eventRow(ctx context.Context, e models.SigningEvent) views.EventRow {
	name, _ := i18n.Content(ctx, e.Name, e.NameEn)
	row := views.EventRow{
		Path:     "/events/" + e.Slug,
		Name:     name,
		Kind:     views.EventKind(ctx, e.Kind),
		Date:     views.Date(ctx, e.HeldOn),
		DateISO:  views.ISODate(e.HeldOn),
		Place:    i18n.Chinese(ctx, e.Place),
		Projects: "—",
		Amount:   views.YuanPtr(ctx, e.ReportedTotalYuan),
		Source:   i18n.T(ctx, "source.unknown"),
	}
	if e.Region != nil {
		row.Region, _ = i18n.Content(ctx, e.Region.Name, e.Region.NameEn)
	}
	if e.SourceArticle != nil {
		row.Source = i18n.Chinese(ctx, e.SourceArticle.SourceName)
	}
	if e.ReportedProjectCount != nil {
		row.Projects = views.Count(int64(*e.ReportedProjectCount))
	}
	return row
}

// newsRow shapes a news article for a list.
func newsRow(ctx context.Context, a models.NewsArticle) views.NewsRow {
	title, _ := i18n.Content(ctx, a.Title, a.TitleEn)
	summary, fallback := i18n.Content(ctx, a.Summary, a.SummaryEn)
	if fallback {
		summary = "" // an English list shows no Chinese summaries
	}
	row := views.NewsRow{
		Path: "/news/" + a.Slug, Title: title, Source: i18n.Chinese(ctx, a.SourceName),
		Date: views.DatePtr(ctx, a.PublishedOn), Summary: summary,
	}
	if a.PublishedOn != nil {
		row.DateISO = views.ISODate(*a.PublishedOn)
	}
	return row
}
