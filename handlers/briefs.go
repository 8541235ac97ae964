package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// The investor's brief: the matcher's answer with the region's figures,
// a chosen park and site, the approval steps and whom to talk to, on one
// printable page with a stable address that can be sent to the bureau
// with an inquiry. It is made in two steps, a confirmation page (GET) and
// a POST that keeps it, so that following a link never writes a row.

// maxBriefAnswers is the longest matcher query a brief keeps; the
// database has the same limit.
const maxBriefAnswers = 2000

var briefTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// briefDraft is a brief before it is kept: the matcher's form, its answer
// and the site chosen.
type briefDraft struct {
	form   matchForm
	answer views.MatchAnswer
	region models.Region
	site   *models.SiteResult
}

// NewBrief shows what a brief will hold and a button to make it. Its
// query is the matcher's form, and optionally a site from the site finder.
func (h *Handler) NewBrief(c echo.Context) error {
	q := c.QueryParams()
	site := q.Get("site")
	q.Del("site")
	privatePage(c) // the page holds a form token
	return h.briefStep(c, http.StatusOK, readMatchForm(q), site, "")
}

// CreateBrief keeps a brief and sends the investor to its address.
func (h *Handler) CreateBrief(c echo.Context) error {
	cx := ctx(c)
	answers, site := c.FormValue("answers"), c.FormValue("site")
	privatePage(c)
	if !utf8.ValidString(answers) || len(answers) > maxBriefAnswers || len(site) > 20 {
		return badRequest(i18n.T(cx, "brief.err.form"))
	}
	q, err := url.ParseQuery(answers)
	if err != nil {
		return badRequest(i18n.T(cx, "brief.err.form"))
	}
	d, errs, err := h.draftBrief(cx, readMatchForm(q), site)
	if err != nil || len(errs) > 0 {
		return h.briefProblem(c, readMatchForm(q), errs, err)
	}
	b := models.InvestorBrief{Token: newRandomKey(), Answers: d.form.query().Encode(), RegionID: d.region.ID,
		// Its own purpose: the key cannot be matched with an inquiry's.
		ClientKey: h.keyedHash("brief-client", clientNetwork(c.RealIP()))}
	if d.site != nil {
		if err := b.ChooseSite(d.site.ParkSite); err != nil {
			return err
		}
	}
	switch err := models.CreateBrief(cx, h.db, &b); {
	case errors.Is(err, models.ErrTooManyBriefs):
		c.Response().Header().Set("Retry-After", "3600")
		return h.briefStep(c, http.StatusTooManyRequests, d.form, site, i18n.T(cx, "brief.err.too_many"))
	case err != nil:
		return err
	}
	h.log.Info("brief made", "request_id", requestID(c), "region", d.region.Slug)
	return c.Redirect(http.StatusSeeOther, i18n.FromContext(cx).Path("/briefs/"+b.Token))
}

// briefStep shows the confirmation page, or the matcher's form when an
// answer is wrong.
func (h *Handler) briefStep(c echo.Context, status int, f matchForm, site, banner string) error {
	cx := ctx(c)
	d, errs, err := h.draftBrief(cx, f, site)
	if err != nil || len(errs) > 0 {
		return h.briefProblem(c, f, errs, err)
	}
	page := h.page(c, "match", i18n.T(cx, "brief.new.title"), i18n.T(cx, "brief.new.lead"))
	page.NoIndex = true
	v := views.BriefNewView{Page: page, CSRFToken: csrfToken(c), Answers: d.form.query().Encode(), SiteID: site,
		Banner: banner, MatchPath: "/match?" + d.form.query().Encode()}
	v.Project, err = h.briefProjectFacts(cx, d.form, d.region)
	if err != nil {
		return err
	}
	if d.site != nil {
		v.Place = siteResultPlace(cx, *d.site)
	}
	return render(c, status, views.BriefNew(v))
}

// briefProblem answers a brief that cannot be made: the matcher's form
// with its messages (422), a site that is gone (404), or the error.
func (h *Handler) briefProblem(c echo.Context, f matchForm, errs fieldErrors, err error) error {
	cx := ctx(c)
	if err != nil {
		return err
	}
	if e, bad := errs["site"]; bad {
		return badRequest(i18n.T(cx, e.ID))
	}
	v := views.MatchView{Page: h.page(c, "match", i18n.T(cx, "match.title"), i18n.T(cx, "match.lead")), Errors: map[string]string{}}
	v.Page.NoIndex = true
	for field, e := range errs {
		v.Errors[field] = i18n.T(cx, e.ID, e.Data)
	}
	v.ErrorSummary = i18n.T(cx, "inquiry.errors", map[string]any{"N": len(errs)})
	return h.renderMatch(c, http.StatusUnprocessableEntity, f, v)
}

// draftBrief checks the matcher's form and the site, a public one; a site
// outside the region asked about moves the brief to the site's region.
func (h *Handler) draftBrief(cx context.Context, f matchForm, site string) (d briefDraft, errs fieldErrors, err error) {
	d.form = f
	d.answer, d.region, errs, err = h.askMatcher(cx, f)
	if err != nil || len(errs) > 0 || site == "" {
		return d, errs, err
	}
	id, perr := strconv.ParseInt(site, 10, 64)
	if perr != nil || id <= 0 {
		return d, fieldErrors{"site": {ID: "brief.err.site"}}, nil
	}
	found, _, err := models.SearchSites(cx, h.db, models.SiteFilter{SiteID: id, Status: models.SiteStatusAny, Limit: 1})
	if err != nil {
		return d, nil, err
	}
	if len(found) == 0 {
		return d, nil, models.ErrNotFound
	}
	below, err := h.regionIDsBelow(cx, d.region.ID)
	if err != nil {
		return d, nil, err
	}
	d.site = &found[0]
	if !slices.Contains(below, d.site.RegionID) {
		// A site found elsewhere than the region first asked about: the
		// brief is about the site's region.
		d.form.Region = d.site.RegionSlug
		d.answer, d.region, errs, err = h.askMatcher(cx, d.form)
	}
	return d, errs, err
}

// siteResultPlace is a site from the finder as a brief shows it.
func siteResultPlace(cx context.Context, s models.SiteResult) *views.BriefSiteView {
	park, _ := i18n.Content(cx, s.ParkName, s.ParkNameEn)
	region, _ := i18n.Content(cx, s.RegionName, s.RegionNameEn)
	row := siteRow(cx, s.ParkSite)
	return &views.BriefSiteView{Site: &row,
		Park:   views.LinkItem{Path: "/parks/" + s.ParkSlug, Name: park, Meta: i18n.T(cx, "park.kind."+s.ParkKind)},
		Region: views.LinkItem{Path: "/regions/" + s.RegionSlug, Name: region}}
}

// briefProjectFacts is the planned project as the investor described it.
func (h *Handler) briefProjectFacts(cx context.Context, f matchForm, region models.Region) ([]views.Fact, error) {
	name, _ := i18n.Content(cx, region.Name, region.NameEn)
	facts := []views.Fact{{Label: i18n.T(cx, "match.field.region"), Value: name, Path: "/regions/" + region.Slug}}
	if f.Chain != "" {
		chain, err := h.publicChain(cx, f.Chain)
		if err != nil {
			return nil, err
		}
		n, _ := i18n.Content(cx, chain.Name, chain.NameEn)
		facts = append(facts, views.Fact{Label: i18n.T(cx, "match.field.chain"), Value: n, Path: "/chains/" + chain.Slug})
	}
	if amount := parseAmount(f.Amount, f.Unit, fieldErrors{}); amount != nil {
		facts = append(facts, views.Fact{Label: i18n.T(cx, "match.field.amount"), Value: views.Yuan(cx, *amount)})
	}
	if f.Land != "" {
		facts = append(facts, views.Fact{Label: i18n.T(cx, "match.field.land"), Value: i18n.T(cx, "brief.mu", map[string]any{"N": f.Land})})
	}
	if f.Space != "" {
		space, _ := decimal.NewFromString(f.Space)
		facts = append(facts, views.Fact{Label: i18n.T(cx, "match.field.space"), Value: squareMetres(cx, space)})
	}
	if f.Jobs != "" {
		jobs, _ := strconv.ParseInt(f.Jobs, 10, 64)
		facts = append(facts, views.Fact{Label: i18n.T(cx, "match.field.jobs"), Value: views.Count(jobs)})
	}
	var quals []string
	for _, q := range models.Qualifications {
		switch level := f.Centres[q]; {
		case level != "":
			quals = append(quals, qualificationName(cx, q, level))
		case q == models.QualHighTech && f.HighTech == "yes", q == models.QualRelocation && f.Relocation == "yes":
			quals = append(quals, i18n.T(cx, "match.qual."+q))
		}
	}
	if len(quals) > 0 {
		facts = append(facts, views.Fact{Label: i18n.T(cx, "brief.qualifications"), Value: strings.Join(quals, i18n.T(cx, "brief.separator"))})
	}
	return facts, nil
}

// ShowBrief shows a brief. The incentives are matched again on each view,
// so that a brief opened later shows the policies in force then; the site
// is shown as it was when chosen.
func (h *Handler) ShowBrief(c echo.Context) error {
	cx := ctx(c)
	token := c.Param("token")
	if !briefTokenPattern.MatchString(token) {
		return models.ErrNotFound
	}
	b, err := models.BriefByToken(cx, h.db, token)
	if err != nil {
		return err
	}
	places, err := models.LoadBriefPlaces(cx, h.db, b)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(b.Answers)
	if err != nil {
		return err
	}
	f := readMatchForm(q)
	f.Region = places.RegionSlug // the region may have been renamed since
	answer, region, errs, err := h.askMatcher(cx, f)
	if err == nil && len(errs) > 0 && f.Chain != "" {
		f.Chain = "" // the chain is no longer published: match without it
		answer, region, errs, err = h.askMatcher(cx, f)
	}
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return models.ErrNotFound
	}
	profile, err := pageData(h, cx, "region/"+region.Slug, func(cx context.Context) (models.RegionProfile, error) {
		return models.LoadRegionProfile(cx, h.db, region.Slug)
	})
	if err != nil {
		return err
	}
	rv := regionView(cx, profile)
	regionName := rv.Name

	page := h.page(c, "match", i18n.T(cx, "brief.title", map[string]any{"Region": regionName}), i18n.T(cx, "brief.new.lead"))
	page.NoIndex = true
	v := views.BriefView{
		Page:        page,
		Heading:     i18n.T(cx, "brief.title", map[string]any{"Region": regionName}),
		Created:     i18n.T(cx, "brief.created", map[string]any{"Date": views.Date(cx, b.CreatedAt)}),
		Address:     h.briefAddress(c, token),
		Region:      views.LinkItem{Path: "/regions/" + region.Slug, Name: regionName},
		Figures:     rv.Figures,
		Answer:      answer,
		AnsweredOn:  i18n.T(cx, "brief.answered_on", map[string]any{"Date": views.Date(cx, time.Now())}),
		Contacts:    rv.Contacts,
		ContactsOf:  i18n.T(cx, "brief.contact.of", map[string]any{"Place": regionName}),
		InquiryPath: "/inquiries/new?" + url.Values{"brief": {token}}.Encode(),
		MatchPath:   "/match?" + f.query().Encode(),
		SitesPath:   answer.SitesPath,
	}
	if v.Project, err = h.briefProjectFacts(cx, f, region); err != nil {
		return err
	}

	// The park and site, and the park's region for the approval steps.
	stepsRegion := region.ID
	if places.ParkSlug != "" {
		park, err := pageData(h, cx, "park/"+places.ParkSlug, func(cx context.Context) (models.ParkDetail, error) {
			return models.LoadPark(cx, h.db, places.ParkSlug)
		})
		if err != nil {
			return err
		}
		parkName, _ := i18n.Content(cx, park.Park.Name, park.Park.NameEn)
		parkRegion, _ := i18n.Content(cx, park.Region.Name, park.Region.NameEn)
		v.Place = &views.BriefSiteView{
			Park:   views.LinkItem{Path: "/parks/" + park.Park.Slug, Name: parkName, Meta: i18n.T(cx, "park.kind."+park.Park.Kind)},
			Region: views.LinkItem{Path: "/regions/" + park.Region.Slug, Name: parkRegion},
		}
		stepsRegion = park.Region.ID
		if len(park.Contacts) > 0 {
			v.Contacts, v.ContactsOf = nil, i18n.T(cx, "brief.contact.of", map[string]any{"Place": parkName})
			for _, ct := range park.Contacts {
				v.Contacts = append(v.Contacts, contactCard(cx, ct))
			}
		}
	}
	site, err := b.ChosenSite()
	if err != nil {
		return err
	}
	if site != nil && v.Place != nil {
		row := siteRow(cx, site.ParkSite())
		v.Place.Site = &row
		v.SiteNote = i18n.T(cx, "brief.site.as_of", map[string]any{"Date": views.Date(cx, b.CreatedAt)})
	}

	above, err := h.regionIDsAbove(cx, stepsRegion)
	if err != nil {
		return err
	}
	measures, err := models.MeasuresAt(cx, h.db, above)
	if err != nil {
		return err
	}
	for _, m := range measures {
		name, _ := i18n.Content(cx, m.RegionName, m.RegionNameEn)
		if n := len(v.Measures); n == 0 || v.Measures[n-1].Region != name {
			v.Measures = append(v.Measures, views.MeasureGroup{Region: name})
		}
		title, _ := i18n.Content(cx, m.Title, m.TitleEn)
		g := &v.Measures[len(v.Measures)-1]
		g.Items = append(g.Items, views.LinkItem{Name: title, Text: content(cx, m.Description, m.DescriptionEn)})
	}
	privatePage(c) // the address is the only key to the brief: no caches, referrers or search engines
	return render(c, http.StatusOK, views.BriefShow(v))
}

// briefAddress is a brief's full address in the page's language.
func (h *Handler) briefAddress(c echo.Context, token string) string {
	base := c.Scheme() + "://" + c.Request().Host
	if h.baseURL != nil {
		base = h.baseURL.String()
	}
	return strings.TrimSuffix(base, "/") + i18n.FromContext(ctx(c)).Path("/briefs/"+token)
}
