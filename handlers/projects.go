package handlers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

var projectSorts = []string{models.ProjectSortNewest, models.ProjectSortAmount, models.ProjectSortName}

// projectQuery is the project list's filters as read from the URL; amounts
// are in 万元, as investors and staff speak of them.
type projectQuery struct {
	Region, Chain, Event, Category, Stage, Sort string
	MinWan, MaxWan, Year                        string
}

// ListProjects shows one page of the projects a filter selects, with the
// count and total amount of everything it selects. A region includes the
// regions below it.
func (h *Handler) ListProjects(c echo.Context) error {
	cx := ctx(c)
	r := newQueryReader(c)
	q := projectQuery{
		Region:   r.slug("region"),
		Chain:    r.slug("chain"),
		Event:    r.slug("event"),
		Category: r.oneOf("category", models.ProjectCategories),
		Stage:    r.oneOf("stage", models.ProjectStages),
		Sort:     r.oneOf("sort", projectSorts),
	}
	f := models.ProjectFilter{Category: q.Category, Stage: q.Stage, Sort: q.Sort, Limit: listPageSize}
	// Up to 10^10 万元 (10^14 yuan) fits BIGINT with room to spare.
	if n, ok := r.int("min", 0, 1e10); ok {
		yuan := n * 10_000
		f.MinYuan, q.MinWan = &yuan, strconv.FormatInt(n, 10)
	}
	if n, ok := r.int("max", 0, 1e10); ok {
		yuan := n * 10_000
		f.MaxYuan, q.MaxWan = &yuan, strconv.FormatInt(n, 10)
	}
	if f.MinYuan != nil && f.MaxYuan != nil && *f.MinYuan > *f.MaxYuan {
		r.problems = append(r.problems, i18n.T(cx, "filter.range"))
	}
	if n, ok := r.int("year", 1949, 2100); ok {
		f.SignedYear, q.Year = int(n), strconv.FormatInt(n, 10)
	}
	page := r.page()
	f.Offset = int(page-1) * listPageSize
	if err := h.resolveProjectFilter(cx, r, q, &f); err != nil {
		return err
	}
	if err := r.err(); err != nil {
		return err
	}

	typed := f.MinYuan != nil || f.MaxYuan != nil || f.SignedYear != 0
	key := fmt.Sprintf("projects/%v/%d/%d/%q/%q/%q", f.RegionIDs, f.ChainID, f.EventID, f.Category, f.Stage, f.Sort)
	result, err := listData(h, cx, typed, page, key, func(cx context.Context) (models.ProjectPage, error) {
		return models.SearchProjects(cx, h.reads(cx), f)
	})
	if err != nil {
		return err
	}
	pager, err := newPager(c, "/projects", page, result.Totals.Count)
	if err != nil {
		return err
	}
	form, err := h.projectFilterForm(cx, q)
	if err != nil {
		return err
	}
	p := h.page(c, "projects", i18n.T(cx, "projects.title"), i18n.T(cx, "projects.lead"))
	p.Query = c.QueryString()
	p.NoIndex = p.Query != ""
	v := views.ProjectsView{
		Page: p,
		Form: form,
		Count: i18n.T(cx, "projects.count", map[string]any{
			"Count": result.Totals.Count, "Contracted": views.Yuan(cx, result.Totals.ContractedYuan),
		}),
		Pager: pager,
	}
	for _, pr := range result.Projects {
		v.Projects = append(v.Projects, projectRow(cx, pr))
	}
	return render(c, http.StatusOK, views.ProjectsIndex(v))
}

// resolveProjectFilter turns the slugs of a project query into ids,
// recording the ones that name nothing.
func (h *Handler) resolveProjectFilter(cx context.Context, r *queryReader, q projectQuery, f *models.ProjectFilter) error {
	var err error
	if f.RegionIDs, f.ChainID, err = h.placeFilter(cx, r, q.Region, q.Chain, h.regionIDsBelow); err != nil {
		return err
	}
	event, ok, err := resolveSlug(r, "event", q.Event, func(slug string) (models.SigningEvent, error) {
		return h.publicEvent(cx, slug)
	})
	if ok {
		f.EventID = event.ID
	}
	return err
}

func (h *Handler) projectFilterForm(cx context.Context, q projectQuery) (views.FilterForm, error) {
	form := views.FilterForm{
		Action: "/projects",
		Inputs: []views.InputField{
			{Name: "min", Label: i18n.T(cx, "filter.min"), Value: q.MinWan, Type: "number"},
			{Name: "max", Label: i18n.T(cx, "filter.max"), Value: q.MaxWan, Type: "number"},
			{Name: "year", Label: i18n.T(cx, "filter.year"), Value: q.Year, Type: "number"},
		},
	}
	var err error
	chosen := []string{q.Region, q.Chain, q.Category, q.Stage, q.Event, q.Sort}
	form.SelectsHTML, err = keptSelects(h, cx, "projects", chosen, func(cx context.Context) ([]views.SelectField, error) {
		regions, chains, err := h.placeOptions(cx, q.Region, q.Chain)
		if err != nil {
			return nil, err
		}
		events, err := pageData(h, cx, "event-choices", func(cx context.Context) ([]models.Choice, error) {
			return models.PublicEventChoices(cx, h.reads(cx))
		})
		if err != nil {
			return nil, err
		}
		return []views.SelectField{
			{Name: "region", Label: i18n.T(cx, "filter.region"), Options: regions},
			{Name: "chain", Label: i18n.T(cx, "filter.chain"), Options: chains},
			{Name: "category", Label: i18n.T(cx, "filter.category"), Options: enumOptions(cx, "project.category.", models.ProjectCategories, q.Category)},
			{Name: "stage", Label: i18n.T(cx, "filter.stage"), Options: enumOptions(cx, "project.stage.", models.ProjectStages, q.Stage)},
			{Name: "event", Label: i18n.T(cx, "filter.event"), Options: choiceOptions(cx, events, q.Event)},
			{Name: "sort", Label: i18n.T(cx, "filter.sort"), Options: enumOptions(cx, "projects.sort.", projectSorts, q.Sort)[1:]},
		}, nil
	})
	return form, err
}

// ShowProject shows a project: where it stands, its amounts, managers,
// progress reports and whom to ask.
func (h *Handler) ShowProject(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	d, err := pageData(h, cx, "project/"+slug, func(cx context.Context) (models.ProjectDetail, error) {
		return models.LoadProject(cx, h.reads(cx), slug)
	})
	if err != nil {
		return err
	}
	p := d.Project
	row := projectRow(cx, p)
	_, nameFallback := i18n.Content(cx, p.Name, p.NameEn)
	summary, summaryFallback := i18n.Content(cx, p.Summary, p.SummaryEn)
	investor := row.Investor
	if investor == "" {
		investor = i18n.T(cx, "project.investor.unknown")
	}
	v := views.ProjectView{
		Page:        h.page(c, "projects", row.Name, summary),
		Crumbs:      []views.Crumb{{Path: "/projects", Name: i18n.T(cx, "projects.title")}, {Path: "/projects/" + p.Slug, Name: row.Name}},
		Name:        row.Name,
		Summary:     summary,
		Fallback:    nameFallback || summaryFallback,
		Description: i18n.Chinese(cx, p.Description),
		Updated:     views.Updated{Text: views.Date(cx, p.UpdatedAt), ISO: views.ISODate(p.UpdatedAt)},
		Facts: []views.Fact{
			{Label: i18n.T(cx, "project.investor"), Value: investor},
			{Label: i18n.T(cx, "project.region"), Value: row.Region, Path: "/regions/" + p.Region.Slug},
			{Label: i18n.T(cx, "project.category"), Value: row.Category},
			{Label: i18n.T(cx, "project.build"), Value: i18n.T(cx, "project.build."+p.BuildType)},
			{Label: i18n.T(cx, "project.stage"), Value: row.Stage},
			{Label: i18n.T(cx, "project.flag"), Value: i18n.T(cx, "project.flag."+p.Flag)},
			{Label: i18n.T(cx, "project.contracted"), Value: row.Amount},
			{Label: i18n.T(cx, "project.planned"), Value: views.YuanPtr(cx, p.PlannedInvestmentYuan)},
			{Label: i18n.T(cx, "project.completed"), Value: views.Yuan(cx, p.CompletedInvestmentYuan)},
		},
	}
	if d.Chain != nil {
		name, _ := i18n.Content(cx, d.Chain.Name, d.Chain.NameEn)
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "project.chain"), Value: name, Path: "/chains/" + d.Chain.Slug})
	}
	if d.Park != nil {
		name, _ := i18n.Content(cx, d.Park.Name, d.Park.NameEn)
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "project.park"), Value: name, Path: "/parks/" + d.Park.Slug})
	}
	if p.ContractCurrency != models.CurrencyYuan && p.ContractAmountOriginal.Valid && p.ContractRateOn != nil {
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "project.contract.original"), Value: i18n.T(cx, "project.contract.converted", map[string]any{
			"Amount": views.ForeignAmount(cx, p.ContractAmountOriginal.Decimal, p.ContractCurrency),
			"Rate":   p.ContractRateToYuan.Decimal.String(), "Currency": p.ContractCurrency, "Date": views.Date(cx, *p.ContractRateOn),
		})})
	}
	// Every event the project was announced at, with its role there: one
	// project, however often it was announced.
	for _, a := range p.Appearances {
		if a.Event == nil {
			continue // the event is not public
		}
		name, _ := i18n.Content(cx, a.Event.Name, a.Event.NameEn)
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "appearance.role."+a.Role), Value: name + " · " + views.Date(cx, a.Event.HeldOn), Path: "/events/" + a.Event.Slug})
	}
	if p.SignedOn != nil {
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "project.signed"), Value: views.Date(cx, *p.SignedOn)})
	}
	if p.LandAreaMu.Valid {
		v.Facts = append(v.Facts, views.Fact{Label: i18n.T(cx, "project.land"), Value: i18n.T(cx, "project.land.mu", map[string]any{"N": p.LandAreaMu.Decimal.String()})})
	}
	current := slices.Index(models.ProjectStages, p.Stage)
	for i, s := range models.ProjectStages {
		v.Stages = append(v.Stages, views.StageStep{Label: i18n.T(cx, "project.stage."+s), Done: i < current, Current: i == current})
	}
	for _, m := range p.Managers {
		v.Managers = append(v.Managers, i18n.Chinese(cx, m.Name+" "+m.Title))
	}
	for _, rep := range p.Reports {
		v.Reports = append(v.Reports, views.ReportRow{
			Date: views.Date(cx, rep.ReportedOn), DateISO: views.ISODate(rep.ReportedOn),
			Stage: i18n.T(cx, "project.stage."+rep.Stage), Body: i18n.Chinese(cx, rep.Body),
		})
	}
	for _, ct := range d.Contacts {
		v.Contacts = append(v.Contacts, contactCard(cx, ct))
	}
	v.InquiryPath = inquiryFormPath("project", d.Project.Slug)
	v.Source, v.SourcePath = sourceLine(cx, d.SourceArticle)
	return render(c, http.StatusOK, views.ProjectShow(v))
}
