package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// policyQuery is the policy list's filters as read from the URL.
type policyQuery struct {
	Region, Chain, Benefit, Validity, Query, Sort string
}

var policySorts = []string{models.PolicySortNewest, models.PolicySortTitle, models.PolicySortAward}

// policyPage is a page of a policy list and the number of policies in it.
type policyPage struct {
	items []models.PolicyListItem
	total int64
}

// ListPolicies shows the policies a filter selects. A region selects the
// policies that apply there: its own and those of the regions above it.
func (h *Handler) ListPolicies(c echo.Context) error {
	cx := ctx(c)
	r := newQueryReader(c)
	q := policyQuery{
		Region:   r.slug("region"),
		Chain:    r.slug("chain"),
		Benefit:  r.oneOf("benefit", models.BenefitKinds),
		Validity: r.oneOf("validity", []string{models.PolicyInForce, models.PolicyExpired}),
		Query:    r.text("q", 100),
		Sort:     r.oneOf("sort", policySorts),
	}
	page := r.page()
	filter := models.PolicyFilter{Benefit: q.Benefit, Validity: q.Validity, Sort: q.Sort, Today: time.Now(),
		Limit: listPageSize, Offset: int(page-1) * listPageSize}
	if q.Query != "" {
		filter.Text = i18n.ScriptForms(q.Query) // 補貼 finds 补贴
	}
	var err error
	if filter.RegionIDs, filter.ChainID, err = h.placeFilter(cx, r, q.Region, q.Chain, h.regionIDsAbove); err != nil {
		return err
	}
	if err := r.err(); err != nil {
		return err
	}

	// In force today in Beijing: the memo's values end at its midnight.
	key := fmt.Sprintf("policies/%v/%d/%q/%q/%q", filter.RegionIDs, filter.ChainID, filter.Benefit, filter.Validity, filter.Sort)
	found, err := listData(h, cx, len(filter.Text) > 0, page, key, func(cx context.Context) (policyPage, error) {
		items, total, err := models.SearchPolicies(cx, h.reads(cx), filter)
		return policyPage{items, total}, err
	})
	if err != nil {
		return err
	}
	items, total := found.items, found.total
	pager, err := newPager(c, "/policies", page, total)
	if err != nil {
		return err
	}
	form, err := h.policyFilterForm(cx, q)
	if err != nil {
		return err
	}
	meta := h.page(c, "policies", i18n.T(cx, "policies.title"), i18n.T(cx, "policies.lead"))
	meta.Query = c.QueryString()
	meta.NoIndex = meta.Query != "" // one canonical list for search engines
	v := views.PoliciesView{
		Page:  meta,
		Form:  form,
		Count: i18n.T(cx, "policies.count", map[string]any{"N": total}),
		Pager: pager,
	}
	for _, p := range items {
		title, _ := i18n.Content(cx, p.Title, p.TitleEn)
		region, _ := i18n.Content(cx, p.RegionName, p.RegionNameEn)
		summary, _ := i18n.Content(cx, p.Summary, p.SummaryEn)
		row := views.PolicyListRow{
			Path: "/policies/" + p.Slug, Title: title, Region: region, Issuer: i18n.Chinese(cx, p.IssuingBody),
			Benefits: i18n.T(cx, "policy.benefits.count", map[string]any{"N": p.BenefitCount}), Summary: summary,
		}
		if p.MaxAmountYuan != nil {
			row.MaxAward = i18n.T(cx, "policy.max_award", map[string]any{"Amount": views.Yuan(cx, *p.MaxAmountYuan)})
		}
		v.Items = append(v.Items, row)
	}
	return render(c, http.StatusOK, views.PoliciesIndex(v))
}

func (h *Handler) policyFilterForm(cx context.Context, q policyQuery) (views.FilterForm, error) {
	form := views.FilterForm{
		Action: "/policies",
		Inputs: []views.InputField{{Name: "q", Label: i18n.T(cx, "filter.q"), Value: q.Query, Type: "search"}},
	}
	var err error
	form.SelectsHTML, err = keptSelects(h, cx, "policies", []string{q.Region, q.Chain, q.Benefit, q.Validity, q.Sort}, func(cx context.Context) ([]views.SelectField, error) {
		regions, chains, err := h.placeOptions(cx, q.Region, q.Chain)
		if err != nil {
			return nil, err
		}
		return []views.SelectField{
			{Name: "region", Label: i18n.T(cx, "filter.region"), Options: regions},
			{Name: "chain", Label: i18n.T(cx, "filter.chain"), Options: chains},
			{Name: "benefit", Label: i18n.T(cx, "filter.benefit"), Options: enumOptions(cx, "benefit.kind.", models.BenefitKinds, q.Benefit)},
			{Name: "validity", Label: i18n.T(cx, "filter.validity"), Options: enumOptions(cx, "policies.validity.", []string{models.PolicyInForce, models.PolicyExpired}, q.Validity)},
			{Name: "sort", Label: i18n.T(cx, "filter.sort"), Options: enumOptions(cx, "policies.sort.", policySorts, q.Sort)[1:]},
		}, nil
	})
	return form, err
}

// enumOptions offers "any" and each value of an enumeration, labelled from
// the catalog (prefix + value).
func enumOptions(cx context.Context, prefix string, values []string, selected string) []views.Option {
	opts := []views.Option{{Value: "", Label: i18n.T(cx, "filter.any")}}
	for _, v := range values {
		opts = append(opts, views.Option{Value: v, Label: i18n.T(cx, prefix+v), Selected: v == selected})
	}
	return opts
}

func (h *Handler) regionOptions(cx context.Context, selected string) ([]views.Option, error) {
	regions, err := h.publicRegions(cx)
	if err != nil {
		return nil, err
	}
	return regionOptionsOf(cx, regions, selected), nil
}

// regionOptionsOf is the region filter's choices from regions already read.
func regionOptionsOf(cx context.Context, regions []models.Region, selected string) []views.Option {
	opts := []views.Option{{Value: "", Label: i18n.T(cx, "filter.any")}}
	for _, r := range regions {
		name, _ := i18n.Content(cx, r.Name, r.NameEn)
		opts = append(opts, views.Option{Value: r.Slug, Label: name, Selected: r.Slug == selected})
	}
	return opts
}

// choiceOptions is a filter's choices of public records, "any" first.
func choiceOptions(cx context.Context, list []models.Choice, selected string) []views.Option {
	opts := []views.Option{{Value: "", Label: i18n.T(cx, "filter.any")}}
	for _, c := range list {
		name, _ := i18n.Content(cx, c.Name, c.NameEn)
		opts = append(opts, views.Option{Value: c.Slug, Label: name, Selected: c.Slug == selected})
	}
	return opts
}

// placeOptions are the region and chain choices most forms offer.
func (h *Handler) placeOptions(cx context.Context, region, chain string) (regions, chains []views.Option, err error) {
	if regions, err = h.regionOptions(cx, region); err != nil {
		return nil, nil, err
	}
	chains, err = h.chainOptions(cx, chain)
	return regions, chains, err
}

func (h *Handler) chainOptions(cx context.Context, selected string) ([]views.Option, error) {
	chains, err := h.publicChains(cx)
	if err != nil {
		return nil, err
	}
	opts := []views.Option{{Value: "", Label: i18n.T(cx, "filter.any")}}
	for _, ch := range chains {
		name, _ := i18n.Content(cx, ch.Name, ch.NameEn)
		opts = append(opts, views.Option{Value: ch.Slug, Label: name, Selected: ch.Slug == selected})
	}
	return opts, nil
}

// ShowPolicy shows a policy with its benefit items, full text, related
// chains and projects, and whom to ask.
func (h *Handler) ShowPolicy(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	d, err := pageData(h, ctx(c), "policy/"+slug, func(cx context.Context) (models.PolicyDetail, error) { return models.LoadPolicy(cx, h.reads(cx), slug) })
	if err != nil {
		return err
	}
	cx := ctx(c)
	p := d.Policy
	title, titleFallback := i18n.Content(cx, p.Title, p.TitleEn)
	summary, summaryFallback := i18n.Content(cx, p.Summary, p.SummaryEn)
	region, _ := i18n.Content(cx, d.Region.Name, d.Region.NameEn)
	v := views.PolicyView{
		Page:       h.page(c, "policies", title, summary),
		Crumbs:     []views.Crumb{{Path: "/policies", Name: i18n.T(cx, "policies.title")}, {Path: "/policies/" + p.Slug, Name: title}},
		Title:      title,
		Summary:    summary,
		Fallback:   titleFallback || summaryFallback || (i18n.FromContext(cx) == i18n.En && p.Body != ""),
		Issuer:     i18n.Chinese(cx, p.IssuingBody),
		Number:     p.DocumentNumber,
		Region:     region,
		RegionPath: "/regions/" + d.Region.Slug,
		Issued:     views.DatePtr(cx, p.IssuedOn),
		Effective:  views.DatePtr(cx, p.EffectiveOn),
		Expires:    i18n.T(cx, "policy.no_expiry"),
		Body:       i18n.Chinese(cx, p.Body),
		Updated:    views.Updated{Text: views.Date(cx, p.UpdatedAt), ISO: views.ISODate(p.UpdatedAt)},
	}
	if p.ExpiresOn != nil {
		v.Expires = views.Date(cx, *p.ExpiresOn)
	}
	for _, b := range p.Benefits {
		amount := i18n.T(cx, "policy.amount_in_text")
		if b.AmountYuan != nil {
			amount = views.Yuan(cx, *b.AmountYuan)
		}
		v.Benefits = append(v.Benefits, views.BenefitRow{
			Kind: i18n.T(cx, "benefit.kind."+b.Kind), Level: i18n.T(cx, "benefit.level."+b.Level),
			Recipient: content(cx, b.Recipient, b.RecipientEn), Amount: amount, Condition: content(cx, b.Condition, b.ConditionEn),
		})
	}
	for _, ch := range p.Chains {
		name, _ := i18n.Content(cx, ch.Name, ch.NameEn)
		v.Chains = append(v.Chains, views.LinkItem{Path: "/chains/" + ch.Slug, Name: name})
	}
	for _, pr := range d.Projects {
		v.Projects = append(v.Projects, projectRow(cx, pr))
	}
	for _, ct := range d.Contacts {
		v.Contacts = append(v.Contacts, contactCard(cx, ct))
	}
	v.InquiryPath = inquiryFormPath("policy", d.Policy.Slug)
	if d.SourceArticle != nil {
		v.Source = i18n.Chinese(cx, d.SourceArticle.SourceName)
		v.SourcePath = "/news/" + d.SourceArticle.Slug
	}
	return render(c, http.StatusOK, views.PolicyShow(v))
}
