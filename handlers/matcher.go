package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/views"
	"investportal/views/i18n"
)

// The incentive matcher (政策计算器): an investor describes a planned
// project and gets every benefit item it may qualify for, with the reason,
// the answer that would decide the undecided ones, and an estimate of the
// published amounts. A GET form, so that an answer has a URL to share and
// works without JavaScript.

// matchForm is the matcher's form as typed.
type matchForm struct {
	Region, Chain, Amount, Unit, Land, Space, Jobs string
	Centres                                        map[string]string // qualification → "", national or provincial
	HighTech, Relocation                           string            // "" or "yes"
}

// Limits of what a project can plausibly need; past them it is a typo.
var (
	maxLandMu  = decimal.NewFromInt(1_000_000) // 亩
	maxSpaceM2 = int64(100_000_000)
	maxJobs    = int64(10_000_000)
)

func readMatchForm(q url.Values) matchForm {
	get := func(name string) string { return strings.TrimSpace(q.Get(name)) }
	f := matchForm{Region: get("region"), Chain: get("chain"), Amount: get("amount"), Unit: get("unit"),
		Land: get("land"), Space: get("space"), Jobs: get("jobs"), HighTech: get(models.QualHighTech),
		Relocation: get(models.QualRelocation), Centres: map[string]string{}}
	for _, q := range models.Qualifications {
		if models.LeveledQualification(q) {
			f.Centres[q] = get(q)
		}
	}
	return f
}

// validate checks every field for form; whether the region and chain name
// published records is the handler's question.
func (f matchForm) validate() (models.MatchAnswers, fieldErrors) {
	errs := fieldErrors{}
	a := models.MatchAnswers{Qualifications: map[string]string{}}
	for name, v := range map[string]string{"region": f.Region, "chain": f.Chain, "amount": f.Amount, "unit": f.Unit,
		"land": f.Land, "space": f.Space, "jobs": f.Jobs} {
		if problem := checkText(v, maxAmount, false, false); problem != nil {
			errs[name] = *problem
		}
	}
	if f.Region == "" {
		errs["region"] = fieldError{ID: "match.err.region"}
	}
	for name, slug := range map[string]string{"region": f.Region, "chain": f.Chain} {
		if _, bad := errs[name]; !bad && slug != "" && !models.ValidSlug(slug) {
			errs[name] = fieldError{ID: "form.err.choice"}
		}
	}
	if _, bad := errs["amount"]; !bad {
		a.InvestmentYuan = parseAmount(f.Amount, f.Unit, errs)
	}
	if _, bad := errs["land"]; !bad && f.Land != "" {
		land, err := decimal.NewFromString(f.Land)
		if err != nil || land.IsNegative() || land.Exponent() < -2 || land.GreaterThan(maxLandMu) {
			errs["land"] = fieldError{ID: "match.err.land"}
		}
	}
	wholeNumber := func(name, v string, max int64) {
		if _, bad := errs[name]; bad || v == "" {
			return
		}
		if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || n > max {
			errs[name] = fieldError{ID: "match.err.whole", Data: map[string]any{"Max": views.Count(max)}}
		}
	}
	wholeNumber("space", f.Space, maxSpaceM2)
	wholeNumber("jobs", f.Jobs, maxJobs)
	for q, level := range f.Centres {
		switch level {
		case "":
		case models.LevelNational, models.LevelProvincial:
			a.Qualifications[q] = level
		default:
			errs[q] = fieldError{ID: "form.err.choice"}
		}
	}
	for q, v := range map[string]string{models.QualHighTech: f.HighTech, models.QualRelocation: f.Relocation} {
		switch v {
		case "":
		case "yes":
			a.Qualifications[q] = v
		default:
			errs[q] = fieldError{ID: "form.err.choice"}
		}
	}
	return a, errs
}

// Match shows the matcher's form and, once asked, its answer. A form with
// a wrong field comes back with a message beside it (422).
func (h *Handler) Match(c echo.Context) error {
	cx := ctx(c)
	page := h.page(c, "match", i18n.T(cx, "match.title"), i18n.T(cx, "match.lead"))
	q := c.QueryParams()
	f := readMatchForm(q)
	v := views.MatchView{Page: page, Errors: map[string]string{}}
	if len(q) == 0 {
		return h.renderMatch(c, http.StatusOK, f, v)
	}
	v.Page.NoIndex = true
	answer, _, errs, err := h.askMatcher(cx, f)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		for field, e := range errs {
			v.Errors[field] = i18n.T(cx, e.ID, e.Data)
		}
		v.ErrorSummary = i18n.T(cx, "inquiry.errors", map[string]any{"N": len(errs)})
		return h.renderMatch(c, http.StatusUnprocessableEntity, f, v)
	}
	v.Answer = &answer
	return h.renderMatch(c, http.StatusOK, f, v)
}

// matchItemsShown is how many items of each kind an answer lists; the
// estimate counts them all. Where policies are many, a page of thousands of
// items helps nobody: the chain or a narrower region does.
const matchItemsShown = 50

// askMatcher checks the form, finds its region and chain, and answers it
// in the page's language; errs says what is wrong instead.
func (h *Handler) askMatcher(cx context.Context, f matchForm) (v views.MatchAnswer, region models.Region, errs fieldErrors, err error) {
	answers, errs := f.validate()
	if _, bad := errs["region"]; !bad {
		region, err = h.publicRegion(cx, f.Region)
		if errors.Is(err, models.ErrNotFound) {
			errs["region"], err = fieldError{ID: "form.err.choice"}, nil
		}
		if err != nil {
			return v, region, nil, err
		}
	}
	if _, bad := errs["chain"]; !bad && f.Chain != "" {
		chain, err := h.publicChain(cx, f.Chain)
		if errors.Is(err, models.ErrNotFound) {
			errs["chain"], err = fieldError{ID: "form.err.choice"}, nil
		}
		if err != nil {
			return v, region, nil, err
		}
		answers.ChainID = chain.ID
	}
	if len(errs) > 0 {
		return v, region, errs, nil
	}

	now := time.Now()
	// The candidates do not depend on the answers: one region's are read
	// once a day, until a table they come from changes.
	key := "match-candidates/" + strconv.FormatInt(region.ID, 10) + "/" + now.In(calendar.Beijing).Format(time.DateOnly)
	candidates, err := pageData(h, cx, key, func(cx context.Context) (models.MatchCandidates, error) {
		return models.LoadMatchCandidates(cx, h.reads(cx), region.ID, now)
	})
	if err != nil {
		return v, region, nil, err
	}
	res, err := models.MatchBenefits(cx, h.reads(cx), candidates, answers, now, matchItemsShown)
	if err != nil {
		return v, region, nil, err
	}
	for _, p := range candidates.Unitemised {
		title, _ := i18n.Content(cx, p.Title, p.TitleEn)
		v.Unitemised = append(v.Unitemised, views.LinkItem{Path: "/policies/" + p.Slug, Name: title, Meta: i18n.Chinese(cx, p.IssuingBody)})
	}
	regionName, _ := i18n.Content(cx, region.Name, region.NameEn)
	v.Summary = i18n.T(cx, "match.summary", map[string]any{"N": res.Count(models.MatchYes), "Region": regionName})
	if res.Estimate > 0 {
		v.Estimate = i18n.T(cx, "match.estimate", map[string]any{"Total": views.Yuan(cx, res.Estimate)})
	}
	if res.Unpriced > 0 {
		v.Unpriced = i18n.T(cx, "match.unpriced", map[string]any{"N": res.Unpriced})
	}
	groups := map[string]*[]views.MatchItemView{models.MatchYes: &v.Matched, models.MatchUndecided: &v.Undecided,
		models.MatchIfQualify: &v.IfQualify, models.MatchSuperseded: &v.Superseded}
	for _, it := range res.Items {
		*groups[it.Outcome] = append(*groups[it.Outcome], matchItemView(cx, it))
	}
	if res.Omitted > 0 {
		v.Omitted = i18n.T(cx, "match.omitted", map[string]any{"Shown": matchItemsShown, "N": res.Omitted})
	}
	query := f.query()
	v.InquiryPath = "/inquiries/new?" + url.Values{"region": {region.Slug}, "chain": {f.Chain}}.Encode()
	if f.Chain == "" {
		v.InquiryPath = "/inquiries/new?" + url.Values{"region": {region.Slug}}.Encode()
	}
	v.BriefPath = "/briefs/new?" + query.Encode()
	sites := url.Values{"region": {region.Slug}, "brief": {query.Encode()}}
	if f.Chain != "" {
		sites.Set("chain", f.Chain)
	}
	if f.Space != "" {
		sites.Set("min_area", f.Space)
	}
	v.SitesPath = "/sites?" + sites.Encode()
	return v, region, nil, nil
}

// query is the form as a URL query, without the fields left empty: the
// address of its answer.
func (f matchForm) query() url.Values {
	q := url.Values{}
	set := func(name, v string) {
		if v != "" {
			q.Set(name, v)
		}
	}
	set("region", f.Region)
	set("chain", f.Chain)
	set("amount", f.Amount)
	if f.Amount != "" {
		set("unit", f.Unit)
	}
	set("land", f.Land)
	set("space", f.Space)
	set("jobs", f.Jobs)
	for name, level := range f.Centres {
		set(name, level)
	}
	set(models.QualHighTech, f.HighTech)
	set(models.QualRelocation, f.Relocation)
	return q
}

// matchItemView writes one benefit item of the answer in the page's language.
func matchItemView(cx context.Context, it models.MatchedBenefit) views.MatchItemView {
	title, _ := i18n.Content(cx, it.PolicyTitle, it.PolicyTitleEn)
	item := views.MatchItemView{
		Benefit:     i18n.T(cx, "benefit.kind."+it.Kind) + " · " + content(cx, it.Recipient, it.RecipientEn),
		Policy:      views.LinkItem{Path: "/policies/" + it.PolicySlug, Name: title},
		IssuingBody: i18n.Chinese(cx, it.IssuingBody),
		Level:       i18n.T(cx, "benefit.level."+it.Level),
		Amount:      i18n.T(cx, "match.amount.unpublished"),
		Condition:   content(cx, it.Condition, it.ConditionEn),
	}
	if it.AmountYuan != nil {
		item.Amount = views.Yuan(cx, *it.AmountYuan)
	}
	if it.NotYetInForce {
		item.NotInForce = i18n.T(cx, "match.not_in_force", map[string]any{"Date": views.Date(cx, *it.PolicyEffectiveOn)})
	}
	region, _ := i18n.Content(cx, it.RegionName, it.RegionNameEn)
	chain, _ := i18n.Content(cx, it.ChainName, it.ChainNameEn)
	var data map[string]any // the reasons' placeholders, the same for each: written once
	for _, r := range it.Reasons {
		key := "match.reason." + r.Rule
		if r.Missing {
			key += ".missing"
		}
		if data == nil {
			data = map[string]any{"Region": region, "Chain": chain, "Qual": qualificationName(cx, it.Qualification, it.QualificationLevel)}
			if it.MinInvestmentYuan != nil {
				data["Min"] = views.Yuan(cx, *it.MinInvestmentYuan)
			}
		}
		line := i18n.T(cx, key, data)
		if r.Missing {
			item.Missing = append(item.Missing, line)
		} else {
			item.Reasons = append(item.Reasons, line)
		}
	}
	if it.Outcome == models.MatchIfQualify {
		item.Missing = append(item.Missing, i18n.T(cx, "match.reason.qualification.lacking",
			map[string]any{"Qual": qualificationName(cx, it.Qualification, it.QualificationLevel)}))
	}
	if it.Outcome == models.MatchSuperseded {
		item.Missing = append(item.Missing, i18n.T(cx, "match.superseded", map[string]any{
			"Group": i18n.Chinese(cx, it.ExclusiveGroup), "Other": views.YuanPtr(cx, it.GrantedInstead)}))
	}
	return item
}

// qualificationName names a qualification with its level: "国家级制造业创新中心",
// or for a provincial requirement, which a national centre also meets,
// "省级(自治区级)或国家级制造业创新中心".
func qualificationName(cx context.Context, q, level string) string {
	if q == "" {
		return ""
	}
	data := map[string]any{"Name": i18n.T(cx, "match.qual."+q)}
	switch level {
	case models.LevelNational:
		return i18n.T(cx, "match.qual.national", data)
	case models.LevelProvincial:
		return i18n.T(cx, "match.qual.provincial_or_above", data)
	}
	return data["Name"].(string)
}

// renderMatch shows the form with the values as typed.
func (h *Handler) renderMatch(c echo.Context, status int, f matchForm, v views.MatchView) error {
	cx := ctx(c)
	v.Amount, v.Land, v.Space, v.Jobs = f.Amount, f.Land, f.Space, f.Jobs
	v.HighTech, v.Relocation = f.HighTech == "yes", f.Relocation == "yes"
	v.UnitOptions = []views.Option{
		{Value: "wan", Label: i18n.T(cx, "inquiry.unit.wan"), Selected: f.Unit == "wan" || f.Unit == ""},
		{Value: "yi", Label: i18n.T(cx, "inquiry.unit.yi"), Selected: f.Unit == "yi"},
	}
	for _, q := range models.Qualifications {
		if !models.LeveledQualification(q) {
			continue
		}
		field := views.MatchCentreField{Name: q, Label: i18n.T(cx, "match.field."+q)}
		for _, level := range []string{"", models.LevelProvincial, models.LevelNational} {
			field.Options = append(field.Options, views.Option{Value: level, Label: i18n.T(cx, "match.centre."+level), Selected: f.Centres[q] == level})
		}
		v.Centres = append(v.Centres, field)
	}
	var err error
	if v.PlaceOptionsHTML, err = h.keptPlaceOptions(cx, f); err != nil {
		return err
	}
	if v.PlaceOptionsHTML == nil {
		if v.RegionOptions, v.ChainOptions, err = h.matchPlaceOptions(cx, f); err != nil {
			return err
		}
	}
	return render(c, status, views.MatchPage(v))
}

// matchPlaceOptions are the region and chain choices of the form.
func (h *Handler) matchPlaceOptions(cx context.Context, f matchForm) (regions, chains []views.Option, err error) {
	if regions, chains, err = h.placeOptions(cx, f.Region, f.Chain); err != nil {
		return nil, nil, err
	}
	regions[0].Label = i18n.T(cx, "match.choose")
	return regions, chains, nil
}

// keptPlaceOptions writes the region and chain choices once per language
// and chosen pair and keeps them (keptHTML), as filter forms keep their
// selects: writing them was a good part of an answer's time. Only when
// both chosen values are public records or empty (an answer with an
// unknown slug is shown again with its error): they are the key. Nil
// when not kept.
func (h *Handler) keptPlaceOptions(cx context.Context, f matchForm) (*[2]string, error) {
	regions, err := h.publicRegions(cx)
	if err != nil {
		return nil, err
	}
	chains, err := h.publicChains(cx)
	if err != nil {
		return nil, err
	}
	known := (f.Region == "" || slices.ContainsFunc(regions, func(r models.Region) bool { return r.Slug == f.Region })) &&
		(f.Chain == "" || slices.ContainsFunc(chains, func(c models.IndustryChain) bool { return c.Slug == f.Chain }))
	if !known {
		return nil, nil
	}
	var out [2]string
	if out[0], err = keptHTML(h, cx, "match-region-options/"+f.Region, func(cx context.Context) (templ.Component, error) {
		regions, _, err := h.matchPlaceOptions(cx, matchForm{Region: f.Region})
		return views.OptionList(regions), err
	}); err != nil {
		return nil, err
	}
	if out[1], err = keptHTML(h, cx, "match-chain-options/"+f.Chain, func(cx context.Context) (templ.Component, error) {
		_, chains, err := h.matchPlaceOptions(cx, matchForm{Chain: f.Chain})
		return views.OptionList(chains), err
	}); err != nil {
		return nil, err
	}
	return &out, nil
}
