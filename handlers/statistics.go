package handlers

import (
	"cmp"
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// The public statistics: the page (/statistics) and one download per
// breakdown at a stable address, /statistics/<dataset>.csv or .json, both
// taking the page's region filter. Every number is computed from the
// portal's own records of distinct projects, and says so; the figures the
// bureau announced are shown beside them, labelled as announced.

// statDatasets are the downloadable breakdowns, in the page's order.
var statDatasets = []string{"overview", "by-year", "by-region", "by-chain", "by-category", "by-stage", "events"}

// statEventLimit is how many of the latest events the funnel table shows;
// every event's own page has its funnel.
const statEventLimit = 12

// statRecord is one row of a breakdown: what it is about, and the funnel
// of its distinct projects. The page's tables, the CSV and the JSON are all
// made from these, so they cannot disagree.
type statRecord struct {
	Key               string   `json:"key"`  // year, slug or code; "" for "none"
	Name              string   `json:"name"` // in the page's language
	Depth             *int     `json:"depth,omitempty"`
	HeldOn            string   `json:"held_on,omitempty"`
	AnnouncedProjects *int     `json:"announced_projects,omitempty"`
	AnnouncedYuan     *int64   `json:"announced_yuan,omitempty"`
	Projects          int64    `json:"projects"`
	Started           int64    `json:"started"`
	Producing         int64    `json:"producing"`
	StartRate         *float64 `json:"start_rate"` // null with no project
	WithAmount        int64    `json:"projects_with_contracted_amount"`
	Converted         int64    `json:"projects_converted_from_foreign_currency"`
	ContractedYuan    int64    `json:"contracted_yuan"`
	WithPlan          int64    `json:"projects_with_planned_investment"`
	PlannedYuan       int64    `json:"planned_yuan"`
	CompletedYuan     int64    `json:"completed_yuan"`
	CompletedPlanned  int64    `json:"completed_yuan_of_projects_with_plan"`
	CompletedContract int64    `json:"completed_yuan_of_projects_with_contracted_amount"`
}

func newStatRecord(key, name string, f models.Funnel) statRecord {
	r := statRecord{
		Key: key, Name: name, Projects: f.Projects, Started: f.Started, Producing: f.Producing,
		WithAmount: f.WithAmount, Converted: f.Converted, ContractedYuan: f.ContractedYuan,
		WithPlan: f.WithPlan, PlannedYuan: f.PlannedYuan, CompletedYuan: f.CompletedYuan,
		CompletedPlanned: f.CompletedOfPlannedYuan, CompletedContract: f.CompletedOfContractedYuan,
	}
	if rate, ok := f.StartRate(); ok {
		r.StartRate = &rate
	}
	return r
}

// statCSVColumns are the CSV's columns, each read from a statRecord.
var statCSVColumns = []struct {
	id  string
	get func(statRecord) string
}{
	{"key", func(r statRecord) string { return r.Key }},
	{"name", func(r statRecord) string { return spreadsheetText(r.Name) }},
	{"held_on", func(r statRecord) string { return r.HeldOn }},
	{"announced_projects", func(r statRecord) string { return optInt(r.AnnouncedProjects) }},
	{"announced_yuan", func(r statRecord) string { return optInt64(r.AnnouncedYuan) }},
	{"projects", func(r statRecord) string { return strconv.FormatInt(r.Projects, 10) }},
	{"started", func(r statRecord) string { return strconv.FormatInt(r.Started, 10) }},
	{"producing", func(r statRecord) string { return strconv.FormatInt(r.Producing, 10) }},
	{"start_rate", func(r statRecord) string {
		if r.StartRate == nil {
			return ""
		}
		return strconv.FormatFloat(*r.StartRate*100, 'f', 1, 64)
	}},
	{"with_amount", func(r statRecord) string { return strconv.FormatInt(r.WithAmount, 10) }},
	{"converted", func(r statRecord) string { return strconv.FormatInt(r.Converted, 10) }},
	{"contracted_yuan", func(r statRecord) string { return strconv.FormatInt(r.ContractedYuan, 10) }},
	{"with_plan", func(r statRecord) string { return strconv.FormatInt(r.WithPlan, 10) }},
	{"planned_yuan", func(r statRecord) string { return strconv.FormatInt(r.PlannedYuan, 10) }},
	{"completed_yuan", func(r statRecord) string { return strconv.FormatInt(r.CompletedYuan, 10) }},
	{"completed_planned", func(r statRecord) string { return strconv.FormatInt(r.CompletedPlanned, 10) }},
	{"completed_contract", func(r statRecord) string { return strconv.FormatInt(r.CompletedContract, 10) }},
}

func optInt(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func optInt64(n *int64) string {
	if n == nil {
		return ""
	}
	return strconv.FormatInt(*n, 10)
}

// statistics is everything the page and the downloads are made from.
type statistics struct {
	region *models.Region // the filter, nil for everywhere
	statisticsData
	reported []models.ReportedBeside
	datasets map[string][]statRecord
}

// statisticsData is what the statistics are computed from, for one region
// filter: the same for every language, and memoised (Handler.statistics)
// until a table it is read from changes. It is read and memoised in two
// parts, statTotals and statEvents, each entry holding one of them; the
// reported statistics are a third part, memoised as a region page's are
// (Handler.reported).
type statisticsData struct {
	stats   models.Statistics
	regions []models.Region
	chains  []models.IndustryChain
	events  []models.SigningEvent
	funnels map[int64]models.EventFunnel
}

// statParts are the parts of the statistics that a page or a download
// shows. Each is read and memoised on its own, since they share no
// statement: a download reads only the part it shows, and the page reads
// the three at once, each on a connection of its own (after an edit,
// reading them one after the other took most of the page's time, the
// events' funnels and the reported statistics a third each).
type statParts int

const (
	statTotals   statParts = 1 << iota // the breakdowns, with the regions and chains that name them
	statEvents                         // the latest events and their funnels
	statReported                       // the reported statistics beside the records
)

// statPartsOf is what a download of a dataset is made from.
func statPartsOf(dataset string) statParts {
	if dataset == "events" {
		return statEvents
	}
	return statTotals
}

// loadStatistics reads the request's region filter and the given parts of
// its statistics.
func (h *Handler) loadStatistics(c echo.Context, parts statParts) (statistics, error) {
	region, err := h.statisticsRegion(c)
	if err != nil {
		return statistics{}, err
	}
	return h.statisticsFor(ctx(c), region, parts)
}

// statisticsRegion is the request's region filter, nil for everywhere.
func (h *Handler) statisticsRegion(c echo.Context) (*models.Region, error) {
	r := newQueryReader(c)
	region, ok, err := h.regionFilter(ctx(c), r, r.slug("region"))
	if err != nil {
		return nil, err
	}
	if err := r.err(); err != nil {
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	return &region, nil
}

// statisticsFor reads the given parts of the statistics of a region (nil:
// everywhere), at once, and lays out the breakdowns of those read. A memo
// records the tables each part's statements read, through the context
// each is given; a memo around this one (keptHTML) hears of them all.
func (h *Handler) statisticsFor(cx context.Context, region *models.Region, parts statParts) (statistics, error) {
	s := statistics{region: region}
	var totals, events statisticsData
	g, gcx := errgroup.WithContext(cx)
	if parts&statTotals != 0 {
		g.Go(func() (err error) {
			totals, err = h.statistics.Get(gcx, h.reads(gcx), "totals/"+regionSlug(region), func(cx context.Context) (statisticsData, error) {
				return computeStatTotals(cx, h.reads(cx), region)
			})
			return err
		})
	}
	if parts&statEvents != 0 {
		g.Go(func() (err error) {
			events, err = h.statistics.Get(gcx, h.reads(gcx), "events/"+regionSlug(region), func(cx context.Context) (statisticsData, error) {
				return computeStatEvents(cx, h.reads(cx), region)
			})
			return err
		})
	}
	if parts&statReported != 0 {
		g.Go(func() (err error) {
			s.reported, err = h.reportedOf(gcx, region)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return s, err
	}
	s.statisticsData = statisticsData{stats: totals.stats, regions: totals.regions, chains: totals.chains,
		events: events.events, funnels: events.funnels}
	s.datasets = statRecords(cx, s.stats, s.regions, s.chains, s.events, s.funnels)
	return s, nil
}

// regionIDsOf is the ids of a region and of the published regions below
// it, whose records count towards it; nil for everywhere.
func regionIDsOf(cx context.Context, db *gorm.DB, region *models.Region) ([]int64, error) {
	if region == nil {
		return nil, nil
	}
	return models.RegionIDsBelow(cx, db, region.ID)
}

// computeStatTotals reads the breakdowns of a region (nil: everywhere),
// and the regions and chains that name their rows.
func computeStatTotals(cx context.Context, db *gorm.DB, region *models.Region) (statisticsData, error) {
	var filter models.StatisticsFilter
	var err error
	if filter.RegionIDs, err = regionIDsOf(cx, db, region); err != nil {
		return statisticsData{}, err
	}
	s, err := models.LoadStatisticsWithNames(cx, db, filter)
	return statisticsData{stats: s.Statistics, regions: s.Regions, chains: s.Chains}, err
}

// computeStatEvents reads the latest events of a region (nil: everywhere)
// and their funnels.
func computeStatEvents(cx context.Context, db *gorm.DB, region *models.Region) (statisticsData, error) {
	var d statisticsData
	regionIDs, err := regionIDsOf(cx, db, region)
	if err != nil {
		return d, err
	}
	if d.events, err = models.LatestEvents(cx, db, regionIDs, statEventLimit); err != nil {
		return d, err
	}
	ids := make([]int64, len(d.events))
	for i, e := range d.events {
		ids[i] = e.ID
	}
	d.funnels, err = models.EventFunnels(cx, db, ids)
	return d, err
}

// statRecords lays out every breakdown as records.
func statRecords(cx context.Context, st models.Statistics, regions []models.Region, chains []models.IndustryChain,
	events []models.SigningEvent, funnels map[int64]models.EventFunnel) map[string][]statRecord {
	out := map[string][]statRecord{"overview": {newStatRecord("all", i18n.T(cx, "stats.all"), st.Total)}}
	for _, y := range st.ByYear {
		key, name := strconv.Itoa(y.Year), i18n.T(cx, "stats.year", map[string]any{"Y": y.Year})
		if y.Year == 0 {
			key, name = "", i18n.T(cx, "stats.year.none")
		}
		out["by-year"] = append(out["by-year"], newStatRecord(key, name, y.Funnel))
	}
	for _, t := range models.RollUpRegions(regions, st.ByRegion) {
		name, _ := i18n.Content(cx, t.Region.Name, t.Region.NameEn)
		rec := newStatRecord(t.Region.Slug, name, t.Funnel)
		rec.Depth = &t.Depth
		out["by-region"] = append(out["by-region"], rec)
	}
	chainByID := map[int64]models.IndustryChain{}
	for _, ch := range chains {
		chainByID[ch.ID] = ch
	}
	var noChain models.Funnel // no chain, or one that is not public
	for _, k := range st.ByChain {
		ch, ok := chainByID[k.ID]
		if !ok {
			noChain = noChain.Add(k.Funnel)
			continue
		}
		name, _ := i18n.Content(cx, ch.Name, ch.NameEn)
		out["by-chain"] = append(out["by-chain"], newStatRecord(ch.Slug, name, k.Funnel))
	}
	slices.SortStableFunc(out["by-chain"], func(a, b statRecord) int { return cmp.Compare(b.Projects, a.Projects) })
	if noChain.Projects > 0 {
		out["by-chain"] = append(out["by-chain"], newStatRecord("", i18n.T(cx, "stats.chain.none"), noChain))
	}
	for _, n := range st.ByCategory {
		out["by-category"] = append(out["by-category"], newStatRecord(n.Name, i18n.T(cx, "project.category."+n.Name), n.Funnel))
	}
	for _, n := range st.ByStage {
		out["by-stage"] = append(out["by-stage"], newStatRecord(n.Name, i18n.T(cx, "project.stage."+n.Name), n.Funnel))
	}
	out["events"] = []statRecord{}
	for _, e := range events {
		name, _ := i18n.Content(cx, e.Name, e.NameEn)
		rec := newStatRecord(e.Slug, name, funnels[e.ID].Funnel)
		rec.HeldOn = views.ISODate(e.HeldOn)
		rec.AnnouncedProjects, rec.AnnouncedYuan = e.ReportedProjectCount, e.ReportedTotalYuan
		out["events"] = append(out["events"], rec)
	}
	return out
}

// ShowStatistics is the public statistics page. Its article is written
// once per region and language and kept in the data memo: writing the
// charts and the reported rows was most of a miss, their data being
// memoised already.
func (h *Handler) ShowStatistics(c echo.Context) error {
	region, err := h.statisticsRegion(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	article, err := keptHTML(h, cx, "statistics-article/"+regionSlug(region), func(cx context.Context) (templ.Component, error) {
		s, err := h.statisticsFor(cx, region, statTotals|statEvents|statReported)
		if err != nil {
			return nil, err
		}
		return views.StatisticsArticle(statisticsView(cx, s)), nil
	})
	if err != nil {
		return err
	}
	p := h.page(c, "statistics", i18n.T(cx, "stats.title"), i18n.T(cx, "stats.lead"))
	p.Query = c.QueryString()
	p.NoIndex = p.Query != ""
	return render(c, http.StatusOK, views.StatisticsPage(p, article))
}

// statisticsView shapes the statistics article in the context's language.
func statisticsView(cx context.Context, s statistics) views.StatisticsView {
	regionOpts := regionOptionsOf(cx, s.regions, regionSlug(s.region))
	v := views.StatisticsView{
		Form:     views.FilterForm{Action: "/statistics", Selects: []views.SelectField{{Name: "region", Label: i18n.T(cx, "filter.region"), Options: regionOpts}}},
		Figures:  statFigures(cx, s.stats.Total),
		Honesty:  totalsNotes(cx, s.stats.Total, nil, nil),
		ByYear:   statChart(cx, "by-year", s.datasets["by-year"], false),
		ByRegion: statChart(cx, "by-region", s.datasets["by-region"], false),
		ByChain:  statChart(cx, "by-chain", s.datasets["by-chain"], false),
		ByStage:  statChart(cx, "by-stage", s.datasets["by-stage"], true),
		Done:     plannedChart(cx, s.datasets["by-category"]),
		Events:   eventFunnelSection(cx, s.datasets["events"]),
	}
	if s.region != nil {
		name, _ := i18n.Content(cx, s.region.Name, s.region.NameEn)
		v.Scope = i18n.T(cx, "stats.scope.region", map[string]any{"Region": name})
	} else {
		v.Scope = i18n.T(cx, "stats.scope.all")
	}
	v.Reported = reportedRows(cx, s.reported)
	query := ""
	if s.region != nil {
		query = "?region=" + s.region.Slug
	}
	for _, d := range statDatasets {
		v.Downloads = append(v.Downloads, views.Download{
			Label: i18n.T(cx, "stats.dataset."+d), CSV: "/statistics/" + d + ".csv" + query, JSON: "/statistics/" + d + ".json" + query,
		})
	}
	return v
}

func regionSlug(r *models.Region) string {
	if r == nil {
		return ""
	}
	return r.Slug
}

// StatisticsData serves one breakdown as CSV (UTF-8 with a BOM, for Excel)
// or JSON, at /statistics/<dataset>.<csv|json>.
func (h *Handler) StatisticsData(c echo.Context) error {
	name := c.Param("file")
	dataset, format, _ := strings.Cut(name, ".")
	if !slices.Contains(statDatasets, dataset) || (format != "csv" && format != "json") {
		return echo.ErrNotFound
	}
	s, err := h.loadStatistics(c, statPartsOf(dataset))
	if err != nil {
		return err
	}
	cx := ctx(c)
	rows := s.datasets[dataset]
	res := c.Response()
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="statistics-`+dataset+suffixOf(s.region)+"."+format+`"`)
	if format == "json" {
		return c.JSON(http.StatusOK, map[string]any{
			"dataset":     dataset,
			"region":      regionSlug(s.region),
			"language":    string(i18n.FromContext(cx)),
			"counts":      i18n.T(cx, "stats.counts"),
			"amount_unit": "yuan",
			"rows":        rows,
		})
	}
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.WriteHeader(http.StatusOK)
	if _, err := res.Write([]byte("\uFEFF")); err != nil {
		return err
	}
	w := csv.NewWriter(res)
	w.UseCRLF = true
	header := make([]string, len(statCSVColumns))
	for i, col := range statCSVColumns {
		header[i] = i18n.T(cx, "stats.csv."+col.id)
	}
	if err := w.Write(header); err != nil {
		return err
	}
	for _, r := range rows {
		line := make([]string, len(statCSVColumns))
		for i, col := range statCSVColumns {
			line[i] = col.get(r)
		}
		if err := w.Write(line); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

func suffixOf(r *models.Region) string {
	if r == nil {
		return ""
	}
	return "-" + r.Slug
}
