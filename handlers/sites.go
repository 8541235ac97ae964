package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/views"
	"investportal/views/i18n"
)

// The site finder (智慧选址): land, standard factory space and offices
// across the parks, with each site's park, region, contact and the
// policies in force there.

var (
	siteKinds    = []string{models.SiteLand, models.SiteStandardFactory, models.SiteOffice}
	siteStatuses = []string{models.SiteAvailable, models.SiteUnderConstruction, models.SiteReserved, models.SiteTaken, models.SiteStatusAny}
	siteSorts    = []string{models.SiteSortArea, models.SiteSortAreaDesc, models.SiteSortRent, models.SiteSortPrice, models.SiteSortReady}
	parkKinds    = []string{"high_tech_zone", "development_zone", "industrial_park", "agricultural_zone", "logistics_park", "incubator"}
)

// siteQuery is the finder's filters as typed, to show them again.
type siteQuery struct {
	Region, Chain, Park, ParkKind, Kind, Status  string
	Sort                                         string
	MinArea, MaxArea, MaxRent, MaxPrice, ReadyBy string
}

// ListSites finds sites. A region selects its own parks' sites and those
// of the regions below it.
func (h *Handler) ListSites(c echo.Context) error {
	cx := ctx(c)
	r := newQueryReader(c)
	q := siteQuery{
		Region: r.slug("region"), Chain: r.slug("chain"), Park: r.slug("park"),
		ParkKind: r.oneOf("park_kind", parkKinds), Kind: r.oneOf("kind", siteKinds),
		Status: r.oneOf("status", siteStatuses), Sort: r.oneOf("sort", siteSorts),
		MinArea: c.QueryParam("min_area"), MaxArea: c.QueryParam("max_area"),
		MaxRent: c.QueryParam("max_rent"), MaxPrice: c.QueryParam("max_price"), ReadyBy: c.QueryParam("ready_by"),
	}
	page := r.page()
	f := models.SiteFilter{ParkKind: q.ParkKind, Kind: q.Kind, Sort: q.Sort, Limit: listPageSize, Offset: int(page-1) * listPageSize,
		MinAreaM2: r.decimal("min_area", 1e10), MaxAreaM2: r.decimal("max_area", 1e10), MaxRent: r.decimal("max_rent", 1e6),
		ReadyBy: r.date("ready_by")}
	if q.Status != models.SiteAvailable {
		f.Status = q.Status
	}
	if price := r.decimal("max_price", 1e8); price.Valid { // 万元
		yuan := price.Decimal.Mul(decimal.NewFromInt(10_000)).IntPart()
		f.MaxPriceYuan = &yuan
	}
	if f.MinAreaM2.Valid && f.MaxAreaM2.Valid && f.MinAreaM2.Decimal.GreaterThan(f.MaxAreaM2.Decimal) {
		r.bad("max_area", q.MaxArea)
	}
	var err error
	if f.RegionIDs, f.ChainID, err = h.placeFilter(cx, r, q.Region, q.Chain, h.regionIDsBelow); err != nil {
		return err
	}
	if q.Park != "" {
		parks, err := h.parkChoices(cx)
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(parks, func(p models.Choice) bool { return p.Slug == q.Park }); i >= 0 {
			f.ParkID = parks[i].ID
		} else {
			r.unknown("park", q.Park)
		}
	}
	if err := r.err(); err != nil {
		return err
	}

	sites, total, err := h.findSites(cx, f)
	if err != nil {
		return err
	}
	pager, err := newPager(c, "/sites", page, total)
	if err != nil {
		return err
	}
	policies, err := h.policiesInForceAt(cx)
	if err != nil {
		return err
	}
	form, err := h.siteFilterForm(cx, q)
	if err != nil {
		return err
	}
	meta := h.page(c, "sites", i18n.T(cx, "sites.title"), i18n.T(cx, "sites.lead"))
	meta.Query = c.QueryString()
	meta.NoIndex = meta.Query != ""
	v := views.SitesView{Page: meta, Form: form, Pager: pager, Count: i18n.T(cx, "sites.count", map[string]any{"N": total})}
	for _, s := range sites {
		item := siteResultView(cx, s, policies[s.RegionID], q.Chain)
		item.BriefPath = siteBriefPath(c.QueryParam("brief"), s, q.Chain)
		v.Items = append(v.Items, item)
	}
	if total == 0 && f.Status == "" {
		all := c.QueryParams()
		all.Set("status", models.SiteStatusAny)
		all.Del("page")
		v.AllStatuses = "/sites?" + all.Encode()
	}
	return render(c, http.StatusOK, views.SitesIndex(v))
}

const publicSitesKey = "public-sites"

// findSites searches the sites of the public parks in memory, when the
// data memo holds them as they are now; otherwise (the first search after
// an edit, a staff preview) it asks the database, and reads them all
// again in the background. Reading them all takes longer than one search
// (10 000 sites on the bench data: 10 ms of SQL and 40 of scanning), and
// the first search after an edit should not wait for it.
func (h *Handler) findSites(cx context.Context, f models.SiteFilter) ([]models.SiteResult, int64, error) {
	if all, ok := h.data.Current(cx, publicSitesKey); ok {
		sites, total := all.(models.PublicSites).Find(f)
		return sites, total, nil
	}
	sites, total, err := models.SearchSites(cx, h.reads(cx), f)
	if err == nil && !models.Previewing(cx) {
		// After this search's own, so as not to compete with it.
		h.data.Refresh(h.db, publicSitesKey, func(cx context.Context) (any, error) { return models.LoadPublicSites(cx, h.db) })
	}
	return sites, total, err
}

// sitePolicyLinks is how many of the policies in force at a site it names.
const sitePolicyLinks = 3

// policiesInForceAt are the first policies in force today at each region
// with a public park, and their number: read for all of them in one
// statement, once a day until a table they come from changes, and kept in
// the data memo as one value that every page of sites shares (a city may
// have thousands of policies to rank, and no filter adds a key).
func (h *Handler) policiesInForceAt(cx context.Context) (map[int64]models.PoliciesInForce, error) {
	now := time.Now()
	return pageData(h, cx, "in-force-at-parks/"+now.In(calendar.Beijing).Format(time.DateOnly), func(cx context.Context) (map[int64]models.PoliciesInForce, error) {
		return models.PoliciesInForceAt(cx, h.reads(cx), nil, now, sitePolicyLinks)
	})
}

func siteResultView(cx context.Context, s models.SiteResult, policies models.PoliciesInForce, chain string) views.SiteResultView {
	park, _ := i18n.Content(cx, s.ParkName, s.ParkNameEn)
	region, _ := i18n.Content(cx, s.RegionName, s.RegionNameEn)
	item := views.SiteResultView{
		Site:   siteRow(cx, s.ParkSite),
		Park:   views.LinkItem{Path: "/parks/" + s.ParkSlug, Name: park, Meta: i18n.T(cx, "park.kind."+s.ParkKind)},
		Region: views.LinkItem{Path: "/regions/" + s.RegionSlug, Name: region},
	}
	if s.ContactName != "" {
		item.Contact = contactCard(cx, models.Contact{Name: s.ContactName, NameEn: s.ContactNameEn, Title: s.ContactTitle,
			TitleEn: s.ContactTitleEn, Organisation: s.ContactOrganisation, OrganisationEn: s.ContactOrganisationEn, Phone: s.ContactPhone, Email: s.ContactEmail, Languages: s.Languages})
	}
	for _, p := range policies.First {
		title, _ := i18n.Content(cx, p.Title, p.TitleEn)
		item.Policies = append(item.Policies, views.LinkItem{Path: "/policies/" + p.Slug, Name: title})
	}
	if more := policies.Total - len(policies.First); more > 0 {
		item.MorePolicies = i18n.T(cx, "sites.policies.more", map[string]any{"N": more})
	}
	match := url.Values{"region": {s.RegionSlug}}
	if chain != "" {
		match.Set("chain", chain)
	}
	item.MatchPath = "/match?" + match.Encode()
	item.InquiryPath = "/inquiries/new?" + url.Values{"park": {s.ParkSlug}}.Encode()
	return item
}

// siteBriefPath makes a brief with a site. From the matcher, the finder
// carries the matcher's answers (the "brief" parameter) so that the brief
// keeps them; otherwise the brief starts from the site's region and the
// chain searched for.
func siteBriefPath(answers string, s models.SiteResult, chain string) string {
	q, err := url.ParseQuery(answers)
	if err != nil || len(answers) > maxBriefAnswers || q.Get("region") == "" {
		q = url.Values{"region": {s.RegionSlug}}
		if chain != "" {
			q.Set("chain", chain)
		}
	}
	q.Set("site", strconv.FormatInt(s.ID, 10))
	return "/briefs/new?" + q.Encode()
}

func (h *Handler) siteFilterForm(cx context.Context, q siteQuery) (views.FilterForm, error) {
	form := views.FilterForm{
		Action: "/sites",
		Inputs: []views.InputField{
			{Name: "min_area", Label: i18n.T(cx, "sites.filter.min_area"), Value: q.MinArea, Type: "number"},
			{Name: "max_area", Label: i18n.T(cx, "sites.filter.max_area"), Value: q.MaxArea, Type: "number"},
			{Name: "max_rent", Label: i18n.T(cx, "sites.filter.max_rent"), Value: q.MaxRent, Type: "number"},
			{Name: "max_price", Label: i18n.T(cx, "sites.filter.max_price"), Value: q.MaxPrice, Type: "number"},
			{Name: "ready_by", Label: i18n.T(cx, "sites.filter.ready_by"), Value: q.ReadyBy, Type: "date"},
		},
	}
	var err error
	chosen := []string{q.Region, q.Park, q.ParkKind, q.Chain, q.Kind, q.Status, q.Sort}
	form.SelectsHTML, err = keptSelects(h, cx, "sites", chosen, func(cx context.Context) ([]views.SelectField, error) {
		regions, chains, err := h.placeOptions(cx, q.Region, q.Chain)
		if err != nil {
			return nil, err
		}
		parks, err := h.parkChoices(cx)
		if err != nil {
			return nil, err
		}
		statuses := enumOptions(cx, "sites.status.", siteStatuses, q.Status)[1:]
		if q.Status == "" {
			statuses[0].Selected = true
		}
		return []views.SelectField{
			{Name: "region", Label: i18n.T(cx, "filter.region"), Options: regions},
			{Name: "park", Label: i18n.T(cx, "filter.park"), Options: choiceOptions(cx, parks, q.Park)},
			{Name: "park_kind", Label: i18n.T(cx, "sites.filter.park_kind"), Options: enumOptions(cx, "park.kind.", parkKinds, q.ParkKind)},
			{Name: "chain", Label: i18n.T(cx, "sites.filter.chain"), Options: chains},
			{Name: "kind", Label: i18n.T(cx, "sites.filter.kind"), Options: enumOptions(cx, "site.kind.", siteKinds, q.Kind)},
			{Name: "status", Label: i18n.T(cx, "sites.filter.status"), Options: statuses},
			{Name: "sort", Label: i18n.T(cx, "filter.sort"), Options: enumOptions(cx, "sites.sort.", siteSorts, q.Sort)[1:]},
		}, nil
	})
	return form, err
}

// parkChoices are the public parks the finder's park filter offers.
func (h *Handler) parkChoices(cx context.Context) ([]models.Choice, error) {
	return pageData(h, cx, "park-choices", func(cx context.Context) ([]models.Choice, error) {
		return models.PublicParkChoices(cx, h.reads(cx))
	})
}
