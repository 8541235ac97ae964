package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// ListChains shows the published industry chains grouped by region.
func (h *Handler) ListChains(c echo.Context) error {
	cx := ctx(c)
	chains, err := h.publicChains(cx)
	if err != nil {
		return err
	}
	regions, err := h.publicRegions(cx)
	if err != nil {
		return err
	}
	byRegion := map[int64][]models.IndustryChain{}
	for _, ch := range chains {
		byRegion[ch.RegionID] = append(byRegion[ch.RegionID], ch)
	}
	v := views.ChainsView{Page: h.page(c, "chains", i18n.T(cx, "chains.title"), i18n.T(cx, "chains.lead"))}
	for _, r := range regions { // tree order
		if len(byRegion[r.ID]) == 0 {
			continue
		}
		name, _ := i18n.Content(cx, r.Name, r.NameEn)
		v.Groups = append(v.Groups, views.ChainGroup{Region: name, RegionPath: "/regions/" + r.Slug, Chains: chainLinks(cx, byRegion[r.ID])})
	}
	return render(c, http.StatusOK, views.ChainsIndex(v))
}

// ShowChain shows an industry chain with its leader, parks, policies,
// projects and whom to ask.
func (h *Handler) ShowChain(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	d, err := pageData(h, cx, "chain/"+slug, func(cx context.Context) (models.ChainDetail, error) { return models.LoadChain(cx, h.reads(cx), slug) })
	if err != nil {
		return err
	}
	ch := d.Chain
	name, nameFallback := i18n.Content(cx, ch.Name, ch.NameEn)
	summary, summaryFallback := i18n.Content(cx, ch.Summary, ch.SummaryEn)
	region, _ := i18n.Content(cx, d.Region.Name, d.Region.NameEn)
	leader := i18n.T(cx, "chain.leader.none")
	if ch.LeaderName != "" {
		leader = i18n.Chinese(cx, ch.LeaderName+" "+ch.LeaderTitle)
	}
	v := views.ChainView{
		Page:        h.page(c, "chains", name, summary),
		Crumbs:      []views.Crumb{{Path: "/chains", Name: i18n.T(cx, "chains.title")}, {Path: "/chains/" + ch.Slug, Name: name}},
		Name:        name,
		Summary:     summary,
		Fallback:    nameFallback || summaryFallback,
		Description: i18n.Chinese(cx, ch.Description),
		Updated:     views.Updated{Text: views.Date(cx, ch.UpdatedAt), ISO: views.ISODate(ch.UpdatedAt)},
		Facts: []views.Fact{
			{Label: i18n.T(cx, "chain.region"), Value: region, Path: "/regions/" + d.Region.Slug},
			{Label: i18n.T(cx, "chain.leader"), Value: leader},
		},
		Policies: policyLinks(cx, d.Policies),
	}
	for _, p := range ch.Parks {
		n, _ := i18n.Content(cx, p.Name, p.NameEn)
		v.Parks = append(v.Parks, views.LinkItem{Path: "/parks/" + p.Slug, Name: n, Meta: i18n.T(cx, "park.kind."+p.Kind)})
	}
	for _, pr := range d.Projects {
		v.Projects = append(v.Projects, projectRow(cx, pr))
	}
	for _, ct := range d.Contacts {
		v.Contacts = append(v.Contacts, contactCard(cx, ct))
	}
	v.Stages = chainStages(cx, d)
	v.InquiryPath = inquiryFormPath("chain", d.Chain.Slug)
	v.Source, v.SourcePath = sourceLine(cx, d.SourceArticle)
	return render(c, http.StatusOK, views.ChainShow(v))
}

// chainStages writes a chain's links by stage, each gap with the way to
// the matcher and the inquiry form for it; nil when no link is entered.
func chainStages(cx context.Context, d models.ChainDetail) []views.ChainStageView {
	if len(d.Links) == 0 {
		return nil
	}
	var stages []views.ChainStageView
	for _, stage := range models.ChainStages {
		sv := views.ChainStageView{Stage: stage, Label: i18n.T(cx, "chainmap.stage."+stage)}
		for _, l := range d.Links {
			if l.Stage != stage {
				continue
			}
			name, _ := i18n.Content(cx, l.Name, l.NameEn)
			lv := views.ChainLinkView{
				Anchor: "link-" + strconv.FormatInt(l.ID, 10), Name: name, Presence: l.Presence,
				PresenceLabel: i18n.T(cx, "chainmap.presence."+l.Presence),
				Description:   i18n.Chinese(cx, l.Description), LocalPlayers: i18n.Chinese(cx, l.LocalPlayers), Sought: i18n.Chinese(cx, l.Sought),
			}
			if l.Presence == models.LinkGap {
				lv.MatchPath = "/match?" + url.Values{"region": {d.Region.Slug}, "chain": {d.Chain.Slug}}.Encode()
				lv.InquiryPath = "/inquiries/new?" + url.Values{"chain": {d.Chain.Slug}, "link": {strconv.FormatInt(l.ID, 10)}}.Encode()
			}
			sv.Links = append(sv.Links, lv)
		}
		stages = append(stages, sv)
	}
	return stages
}
