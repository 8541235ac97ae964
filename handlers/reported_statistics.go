package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// Reported statistics are shown beside the figures the portal computes
// from its own records, each labelled for what it is: the figure as an
// article published it, with its source, and the figure as the portal's
// published projects give it, with what it counts.

// reportedRows shapes reported statistics for ReportedStatisticsTable.
func reportedRows(ctx context.Context, list []models.ReportedBeside) []views.ReportedRow {
	rows := make([]views.ReportedRow, len(list))
	for i, b := range list {
		rows[i] = reportedRow(ctx, b)
	}
	return rows
}

func reportedRow(ctx context.Context, b models.ReportedBeside) views.ReportedRow {
	s := b.Reported
	row := views.ReportedRow{
		Anchor:     s.Slug,
		Indicator:  i18n.T(ctx, "reported.indicator."+s.Indicator),
		Scope:      reportedScope(ctx, s),
		Wording:    i18n.T(ctx, "reported.wording", map[string]any{"Text": i18n.Chinese(ctx, s.Label)}),
		Period:     i18n.T(ctx, "reported.period", map[string]any{"From": views.Date(ctx, s.PeriodFrom), "To": views.Date(ctx, s.PeriodTo)}),
		AsOf:       i18n.Chinese(ctx, s.AsOf),
		Reported:   reportedFigure(ctx, s.Indicator, s.Figure()),
		Comparable: b.Comparable,
		Note:       i18n.Chinese(ctx, s.Note),
	}
	if s.Region != nil {
		row.Region, _ = i18n.Content(ctx, s.Region.Name, s.Region.NameEn)
		row.RegionPath = "/regions/" + s.Region.Slug
	}
	if a := s.SourceArticle; a != nil {
		row.SourceName = i18n.Chinese(ctx, a.SourceName)
		if a.PublishedOn != nil {
			row.SourceName += i18n.T(ctx, "reported.source_date", map[string]any{"Date": views.Date(ctx, *a.PublishedOn)})
		}
		row.SourcePath = "/news/" + a.Slug
	}
	if !b.Comparable {
		return row
	}
	computed, ok := b.ComputedValue()
	if ok {
		row.Computed = reportedFigure(ctx, s.Indicator, computed)
		row.Difference = reportedDifference(ctx, s.Indicator, computed.Sub(s.Figure()))
	}
	row.CountsOver = countsOver(ctx, b, ok)
	return row
}

// reportedScope names the projects a figure counts where it is not simply
// every project on record: signings only, a threshold, a category, new or
// continuing ones.
func reportedScope(ctx context.Context, s models.ReportedStatistic) string {
	var parts []string
	if s.ProjectSet == models.ProjectSetSigned {
		parts = append(parts, i18n.T(ctx, "reported.scope.signed"))
	}
	if s.ScopeBuildType != "" {
		parts = append(parts, i18n.T(ctx, "reported.build."+s.ScopeBuildType))
	}
	if s.ScopeCategory != "" {
		parts = append(parts, i18n.T(ctx, "reported.category."+s.ScopeCategory))
	}
	if s.MinAmountYuan != nil {
		parts = append(parts, i18n.T(ctx, "reported.threshold."+s.MinAmountBasis, map[string]any{"Amount": views.Yuan(ctx, *s.MinAmountYuan)}))
	}
	return strings.Join(parts, " · ")
}

// reportedFigure writes a figure in its indicator's unit.
func reportedFigure(ctx context.Context, indicator string, v decimal.Decimal) string {
	switch {
	case models.IndicatorIsAmount(indicator):
		return views.Yuan(ctx, v.Round(0).IntPart())
	case indicator == models.IndicatorStartRate:
		return v.Round(1).String() + "%"
	default:
		return i18n.T(ctx, "reported.count", map[string]any{"N": v.String()})
	}
}

// reportedDifference says how far the computed figure lies from the
// reported one, in the indicator's unit (percentage points for a rate).
func reportedDifference(ctx context.Context, indicator string, d decimal.Decimal) string {
	if indicator == models.IndicatorStartRate {
		d = d.Round(1)
	}
	if d.IsZero() {
		return i18n.T(ctx, "reported.diff.same")
	}
	var amount string
	switch abs := d.Abs(); {
	case indicator == models.IndicatorStartRate:
		amount = i18n.T(ctx, "reported.points", map[string]any{"N": abs.String()})
	default:
		amount = reportedFigure(ctx, indicator, abs)
	}
	if d.IsNegative() {
		return i18n.T(ctx, "reported.diff.below", map[string]any{"D": amount})
	}
	return i18n.T(ctx, "reported.diff.above", map[string]any{"D": amount})
}

// countsOver says what a computed figure counts: how many projects, how
// many of them have the amount summed, and those left out because their
// amount is not on record to compare with the threshold.
func countsOver(ctx context.Context, b models.ReportedBeside, computed bool) []string {
	f := b.Computed
	if !computed {
		return []string{i18n.T(ctx, "reported.no_projects")}
	}
	lines := []string{i18n.T(ctx, "reported.counts", map[string]any{"N": f.Projects})}
	switch b.Reported.Indicator {
	case models.IndicatorContractedYuan:
		lines = append(lines, i18n.T(ctx, "reported.with_amount", map[string]any{"N": f.WithAmount}))
		if f.Converted > 0 {
			lines = append(lines, i18n.T(ctx, "reported.converted", map[string]any{"N": f.Converted}))
		}
	case models.IndicatorPlannedYuan:
		lines = append(lines, i18n.T(ctx, "reported.with_plan", map[string]any{"N": f.WithPlan}))
	}
	if b.AmountUnknown > 0 {
		lines = append(lines, i18n.T(ctx, "reported.unknown", map[string]any{
			"N": b.AmountUnknown, "Basis": i18n.T(ctx, "reported.basis."+b.Reported.MinAmountBasis)}))
	}
	return lines
}

// regionReported is the reported statistics of a region and of the
// regions below it, for the region's page.
func (h *Handler) regionReported(cx context.Context, regionID int64) ([]views.ReportedRow, error) {
	list, err := h.reportedOf(cx, &models.Region{ID: regionID})
	if err != nil {
		return nil, err
	}
	return reportedRows(cx, list), nil
}

// reportedOf is the reported statistics of a region and of the regions
// below it (of every region for nil), each with its computed side: what a
// region's page and the statistics page show. They are memoised per
// region (Handler.reported), shared by both pages: computing them is most
// of a region page's database time.
func (h *Handler) reportedOf(cx context.Context, region *models.Region) ([]models.ReportedBeside, error) {
	key := "all"
	if region != nil {
		key = strconv.FormatInt(region.ID, 10)
	}
	return h.reported.Get(cx, h.reads(cx), key, func(cx context.Context) ([]models.ReportedBeside, error) {
		below, err := regionIDsOf(cx, h.reads(cx), region)
		if err != nil {
			return nil, err
		}
		return models.PublicReportedStatistics(cx, h.reads(cx), below)
	})
}

// ShowReportedStatisticRegion is the admin preview of a reported
// statistic: the page of its region, where it is shown (a statistic has no
// page of its own). The preview context lets the draft through.
func (h *Handler) ShowReportedStatisticRegion(c echo.Context) error {
	slug, err := slugParam(c)
	if err != nil {
		return err
	}
	region, err := models.ReportedStatisticRegionSlug(ctx(c), h.db, slug)
	if err != nil {
		return err
	}
	c.SetParamValues(region)
	return h.ShowRegion(c)
}
