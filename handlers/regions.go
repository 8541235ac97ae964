package handlers

import (
	"context"
	"net/http"
	"net/url"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// ListRegions shows every published region as a tree.
func (h *Handler) ListRegions(c echo.Context) error {
	regions, err := h.publicRegions(ctx(c))
	if err != nil {
		return err
	}
	depth := map[int64]int{}
	v := views.RegionsView{Page: h.page(c, "regions", i18n.T(ctx(c), "regions.title"), i18n.T(ctx(c), "regions.lead"))}
	for _, r := range regions {
		if r.ParentID != nil {
			depth[r.ID] = depth[*r.ParentID] + 1
		}
		name, _ := i18n.Content(ctx(c), r.Name, r.NameEn)
		summary, _ := i18n.Content(ctx(c), r.Summary, r.SummaryEn)
		v.Items = append(v.Items, views.RegionListItem{
			Path: "/regions/" + r.Slug, Name: name, Kind: views.RegionKind(ctx(c), r.Kind), Summary: summary, Depth: depth[r.ID],
		})
	}
	return render(c, http.StatusOK, views.RegionsIndex(v))
}

// ShowRegion shows a region's profile.
func (h *Handler) ShowRegion(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	profile := func(cx context.Context) (models.RegionProfile, error) {
		return pageData(h, cx, "region/"+slug, func(cx context.Context) (models.RegionProfile, error) {
			return models.LoadRegionProfile(cx, h.reads(cx), slug)
		})
	}
	p, err := profile(cx)
	if err != nil {
		return err
	}
	// The article is written once per region and language: writing it
	// was most of a miss, its data being memoised already. The profile is
	// read again inside, from the memo, so that the article is kept only
	// as long as every table the profile was read from is unchanged.
	article, err := keptHTML(h, cx, "region-article/"+slug, func(cx context.Context) (templ.Component, error) {
		p, err := profile(cx)
		if err != nil {
			return nil, err
		}
		v := regionView(cx, p)
		if v.Reported, err = h.regionReported(cx, p.Region.ID); err != nil {
			return nil, err
		}
		return views.RegionArticle(v), nil
	})
	if err != nil {
		return err
	}
	name, _ := i18n.Content(cx, p.Region.Name, p.Region.NameEn)
	summary, _ := i18n.Content(cx, p.Region.Summary, p.Region.SummaryEn)
	return render(c, http.StatusOK, views.RegionShow(h.page(c, "regions", name, summary), article))
}

// regionView shapes a region's profile in the context's language.
func regionView(cx context.Context, p models.RegionProfile) views.RegionView {
	r := p.Region
	name, fallback := i18n.Content(cx, r.Name, r.NameEn)
	summary, summaryFallback := i18n.Content(cx, r.Summary, r.SummaryEn)
	v := views.RegionView{
		Name:                name,
		Kind:                views.RegionKind(cx, r.Kind),
		Summary:             summary,
		Fallback:            fallback || summaryFallback,
		Description:         i18n.Chinese(cx, r.Description),
		Transport:           i18n.Chinese(cx, r.Transport),
		Talent:              i18n.Chinese(cx, r.Talent),
		BusinessEnvironment: i18n.Chinese(cx, r.BusinessEnvironment),
		Updated:             views.Updated{Text: views.Date(cx, r.UpdatedAt), ISO: views.ISODate(r.UpdatedAt)},
		Source:              i18n.Chinese(cx, p.SourceName),
		ProjectTotals: i18n.T(cx, "region.projects.totals", map[string]any{
			"Count":      p.Totals.Count,
			"Contracted": views.Yuan(cx, p.Totals.ContractedYuan),
			"Completed":  views.Yuan(cx, p.Totals.CompletedYuan),
		}),
	}
	// The long texts have no English yet: an English page shows them in
	// Chinese, under a notice that says so.
	v.PartlyChinese = !v.Fallback && i18n.FromContext(cx) == i18n.En && r.Description+r.Transport+r.Talent+r.BusinessEnvironment != ""
	v.Crumbs = append(v.Crumbs, views.Crumb{Path: "/regions", Name: i18n.T(cx, "regions.title")})
	for _, a := range p.Ancestors {
		n, _ := i18n.Content(cx, a.Name, a.NameEn)
		v.Crumbs = append(v.Crumbs, views.Crumb{Path: "/regions/" + a.Slug, Name: n})
	}
	v.Crumbs = append(v.Crumbs, views.Crumb{Path: "/regions/" + r.Slug, Name: name})

	for _, f := range r.Figures {
		label, labelFallback := i18n.Content(cx, f.Label, f.LabelEn)
		v.Fallback = v.Fallback || labelFallback
		row := views.FigureRow{
			Label: label, Value: views.Figure(cx, f.Value, f.Qualifier, f.Unit), Year: views.Count(int64(f.Year)),
			AsOf: content(cx, f.AsOf, f.AsOfEn), Source: i18n.Chinese(cx, f.SourceNote),
		}
		if f.SourceArticle != nil {
			row.Source = i18n.Chinese(cx, f.SourceArticle.SourceName)
		}
		v.Figures = append(v.Figures, row)
	}
	for _, m := range r.Measures {
		title, _ := i18n.Content(cx, m.Title, m.TitleEn)
		v.Measures = append(v.Measures, views.LinkItem{Name: title, Text: content(cx, m.Description, m.DescriptionEn)})
	}
	for _, child := range p.Children {
		n, _ := i18n.Content(cx, child.Name, child.NameEn)
		s, _ := i18n.Content(cx, child.Summary, child.SummaryEn)
		v.Children = append(v.Children, views.LinkItem{Path: "/regions/" + child.Slug, Name: n, Meta: views.RegionKind(cx, child.Kind), Text: s})
	}
	for _, park := range p.Parks {
		n, _ := i18n.Content(cx, park.Name, park.NameEn)
		s, _ := i18n.Content(cx, park.Summary, park.SummaryEn)
		v.Parks = append(v.Parks, views.LinkItem{Path: "/parks/" + park.Slug, Name: n, Meta: i18n.T(cx, "park.kind."+park.Kind), Text: s})
	}
	v.Chains = chainLinks(cx, p.Chains)
	v.Policies = policyLinks(cx, p.Policies)
	if p.PolicyCount > int64(len(p.Policies)) {
		v.AllPolicies = &views.LinkItem{Path: "/policies?region=" + url.QueryEscape(p.Region.Slug),
			Name: i18n.T(cx, "region.policies.all", map[string]any{"N": p.PolicyCount})}
	}
	for _, pr := range p.Projects {
		v.Projects = append(v.Projects, projectRow(cx, pr))
	}
	for _, ct := range p.Contacts {
		v.Contacts = append(v.Contacts, contactCard(cx, ct))
	}
	v.InquiryPath = inquiryFormPath("region", p.Region.Slug)
	return v
}
