package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
)

// Home shows the headline figures, the latest signing events, the regions
// and the latest news, all read from the database.
func (h *Handler) Home(c echo.Context) error {
	summary, err := models.LoadHomeSummary(c.Request().Context(), h.db)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.Home(homeView(summary, h.canonical("/"))))
}

func homeView(s models.HomeSummary, canonical string) views.HomeView {
	v := views.HomeView{
		Page: views.Page{
			Description:  "赤峰、通辽与太忻一体化经济区的招商引资门户:城市概况、产业园区、扶持政策、签约项目与签约活动。",
			CanonicalURL: canonical,
			Section:      "home",
		},
		Totals: []views.Stat{
			{Label: "已发布签约活动", Value: views.Count(s.Signings.Events) + "场", Detail: "本站收录的签约仪式、网上签约与推介会"},
			{Label: "签约项目", Value: views.Count(s.Signings.Projects) + "个", Detail: "各场活动公布的项目数之和"},
			{Label: "协议资金", Value: views.Yuan(s.Signings.TotalYuan), Detail: "各场活动公布的签约额之和"},
		},
	}
	for _, f := range s.Featured {
		stat := views.Stat{
			Label:  f.Label,
			Value:  views.Figure(f.Value, f.Qualifier, f.Unit),
			Detail: fmt.Sprintf("%s · %d年", f.Region.Name, f.Year),
			Source: f.SourceNote,
		}
		if f.AsOf != "" {
			stat.Detail += " · " + f.AsOf
		}
		if f.SourceArticle != nil {
			stat.Source = f.SourceArticle.SourceName
		}
		v.Featured = append(v.Featured, stat)
	}
	for _, e := range s.LatestEvents {
		row := views.EventRow{
			Name:     e.Name,
			Kind:     views.EventKind(e.Kind),
			Date:     views.Date(e.HeldOn),
			DateISO:  views.ISODate(e.HeldOn),
			Place:    e.Place,
			Projects: "—",
			Amount:   views.YuanPtr(e.ReportedTotalYuan),
		}
		if e.Region != nil {
			row.Region = e.Region.Name
		}
		if e.SourceArticle != nil {
			row.Source = e.SourceArticle.SourceName
		}
		if e.ReportedProjectCount != nil {
			row.Projects = views.Count(int64(*e.ReportedProjectCount))
		}
		v.Events = append(v.Events, row)
	}
	for _, r := range s.Regions {
		v.Regions = append(v.Regions, views.RegionCard{Name: r.Name, Kind: views.RegionKind(r.Kind), Summary: r.Summary})
	}
	for _, n := range s.LatestNews {
		row := views.NewsRow{Title: n.Title, Source: n.SourceName, Date: "日期未注明", Summary: n.Summary}
		if n.PublishedOn != nil {
			row.Date, row.DateISO = views.Date(*n.PublishedOn), views.ISODate(*n.PublishedOn)
		}
		v.News = append(v.News, row)
	}
	return v
}
