package handlers

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// ListParks shows every published park with its region and available sites.
func (h *Handler) ListParks(c echo.Context) error {
	cx := ctx(c)
	parks, err := h.publicParks(cx)
	if err != nil {
		return err
	}
	v := views.ParksView{Page: h.page(c, "parks", i18n.T(cx, "parks.title"), i18n.T(cx, "parks.lead"))}
	for _, p := range parks {
		name, _ := i18n.Content(cx, p.Name, p.NameEn)
		region, _ := i18n.Content(cx, p.RegionName, p.RegionNameEn)
		summary, _ := i18n.Content(cx, p.Summary, p.SummaryEn)
		meta := i18n.T(cx, "park.kind."+p.Kind) + " · " + region
		if p.AvailableSites > 0 {
			meta += " · " + i18n.T(cx, "parks.available", map[string]any{"N": p.AvailableSites})
		}
		v.Items = append(v.Items, views.LinkItem{Path: "/parks/" + p.Slug, Name: name, Meta: meta, Text: summary})
	}
	return render(c, http.StatusOK, views.ParksIndex(v))
}

// ShowPark shows a park: its facts, its sites (available first), chains,
// policies, projects and whom to ask.
func (h *Handler) ShowPark(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	d, err := pageData(h, cx, "park/"+slug, func(cx context.Context) (models.ParkDetail, error) { return models.LoadPark(cx, h.reads(cx), slug) })
	if err != nil {
		return err
	}
	p := d.Park
	name, nameFallback := i18n.Content(cx, p.Name, p.NameEn)
	summary, summaryFallback := i18n.Content(cx, p.Summary, p.SummaryEn)
	region, _ := i18n.Content(cx, d.Region.Name, d.Region.NameEn)
	v := views.ParkView{
		Page:        h.page(c, "parks", name, summary),
		Crumbs:      []views.Crumb{{Path: "/parks", Name: i18n.T(cx, "parks.title")}},
		Name:        name,
		Kind:        i18n.T(cx, "park.kind."+p.Kind),
		Summary:     summary,
		Fallback:    nameFallback || summaryFallback,
		Description: i18n.Chinese(cx, p.Description),
		Updated:     views.Updated{Text: views.Date(cx, p.UpdatedAt), ISO: views.ISODate(p.UpdatedAt)},
		Facts:       []views.Fact{{Label: i18n.T(cx, "park.region"), Value: region, Path: "/regions/" + d.Region.Slug}},
	}
	if d.Parent != nil {
		parent, _ := i18n.Content(cx, d.Parent.Name, d.Parent.NameEn)
		v.Crumbs = append(v.Crumbs, views.Crumb{Path: "/parks/" + d.Parent.Slug, Name: parent})
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "park.parent"), Value: parent, Path: "/parks/" + d.Parent.Slug})
	}
	v.Crumbs = append(v.Crumbs, views.Crumb{Path: "/parks/" + p.Slug, Name: name})
	if p.AreaKm2.Valid {
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "park.area"), Value: i18n.T(cx, "unit.km2", map[string]any{"N": p.AreaKm2.Decimal.String()})})
	}
	if p.StandardFactoryM2 != nil {
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "park.factory"), Value: squareMetres(cx, decimal.NewFromInt(*p.StandardFactoryM2))})
	}
	if p.FocusIndustries != "" {
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "park.focus"), Value: i18n.Chinese(cx, p.FocusIndustries)})
	}
	for _, s := range p.Sites {
		v.Sites = append(v.Sites, siteRow(cx, s))
	}
	if d.SiteCount > int64(len(p.Sites)) {
		v.AllSites = &views.LinkItem{Path: "/sites?" + url.Values{"park": {p.Slug}, "status": {models.SiteStatusAny}}.Encode(),
			Name: i18n.T(cx, "park.sites.all", map[string]any{"N": d.SiteCount})}
	}
	for _, child := range d.Children {
		n, _ := i18n.Content(cx, child.Name, child.NameEn)
		s, _ := i18n.Content(cx, child.Summary, child.SummaryEn)
		v.Children = append(v.Children, views.LinkItem{Path: "/parks/" + child.Slug, Name: n, Text: s})
	}
	v.Chains = chainLinks(cx, d.Chains)
	v.Policies = policyLinks(cx, d.Policies)
	if d.PolicyCount > int64(len(d.Policies)) {
		v.AllPolicies = &views.LinkItem{Path: "/policies?region=" + url.QueryEscape(d.Region.Slug),
			Name: i18n.T(cx, "region.policies.all", map[string]any{"N": d.PolicyCount})}
	}
	for _, pr := range d.Projects {
		v.Projects = append(v.Projects, projectRow(cx, pr))
	}
	for _, ct := range d.Contacts {
		v.Contacts = append(v.Contacts, contactCard(cx, ct))
	}
	v.InquiryPath = inquiryFormPath("park", d.Park.Slug)
	v.Source, v.SourcePath = sourceLine(cx, d.SourceArticle)
	return render(c, http.StatusOK, views.ParkShow(v))
}

// squareMetres formats an area: 20万平方米 in Chinese, 200,000 m² in English.
func squareMetres(cx context.Context, area decimal.Decimal) string {
	if i18n.FromContext(cx) == i18n.En {
		return i18n.T(cx, "unit.m2", map[string]any{"N": views.Thousands(area.String())})
	}
	if area.GreaterThanOrEqual(decimal.NewFromInt(10_000)) {
		return i18n.Chinese(cx, area.Shift(-4).String()+"万平方米")
	}
	return i18n.T(cx, "unit.m2", map[string]any{"N": area.String()})
}

// siteRow writes a park's site in the page's language.
func siteRow(cx context.Context, s models.ParkSite) views.SiteRow {
	row := views.SiteRow{
		Name: content(cx, s.Name, s.NameEn), Kind: i18n.T(cx, "site.kind."+s.Kind), Area: squareMetres(cx, s.AreaM2),
		Status: i18n.T(cx, "site.status."+s.Status), Description: content(cx, s.Description, s.DescriptionEn),
		Rent: i18n.T(cx, "site.ask"), Price: i18n.T(cx, "site.ask"), Ready: views.DatePtr(cx, s.ReadyOn),
		Available: s.Status == models.SiteAvailable,
	}
	if s.RentYuanPerM2Month.Valid {
		row.Rent = i18n.T(cx, "site.rent", map[string]any{"Rent": s.RentYuanPerM2Month.Decimal.String()})
	}
	if s.SalePriceYuan != nil {
		row.Price = views.Yuan(cx, *s.SalePriceYuan)
	}
	return row
}
