package handlers

import (
	"context"
	"strings"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// How the statistics page and an event's page show funnels: headline
// figures, charts with their tables, and the sentences that say what the
// totals count and where they differ from what was announced.

func statFigures(cx context.Context, f models.Funnel) []views.HeadlineFigure {
	figures := []views.HeadlineFigure{
		{TestID: "projects", Label: i18n.T(cx, "stats.fig.projects"), Value: views.Count(f.Projects), Detail: i18n.T(cx, "stats.fig.projects.detail")},
		{TestID: "start-rate", Label: i18n.T(cx, "stats.fig.start_rate"), Value: percentOf(f.Started, f.Projects),
			Detail: i18n.T(cx, "stats.fig.start_rate.detail", map[string]any{"N": f.Started, "Of": f.Projects})},
		{TestID: "contracted", Label: i18n.T(cx, "stats.fig.contracted"), Value: shortAmountOf(cx, f.ContractedYuan, f.WithAmount),
			Detail: i18n.T(cx, "stats.fig.contracted.detail", map[string]any{"N": f.WithAmount, "Of": f.Projects})},
		{TestID: "completed", Label: i18n.T(cx, "stats.fig.completed"), Value: views.YuanShort(cx, f.CompletedYuan),
			Detail: i18n.T(cx, "stats.fig.completed.detail", map[string]any{"Share": percentOf(f.CompletedOfPlannedYuan, f.PlannedYuan), "N": f.WithPlan})},
	}
	if f.WithPlan == 0 {
		figures[3].Detail = i18n.T(cx, "stats.fig.completed.no_plan")
	}
	return figures
}

// shortAmountOf is amountOf for a headline card.
func shortAmountOf(cx context.Context, yuan, over int64) string {
	if over == 0 {
		return "—"
	}
	return views.YuanShort(cx, yuan)
}

// totalsNotes says what a funnel's totals count. Given what an event
// announced, it also says where the records differ from it.
func totalsNotes(cx context.Context, f models.Funnel, announcedProjects *int, announcedYuan *int64) []string {
	notes := []string{i18n.T(cx, "stats.honest.records", map[string]any{
		"N": f.Projects, "WithAmount": f.WithAmount, "Amount": views.Yuan(cx, f.ContractedYuan),
	})}
	if f.Converted > 0 {
		notes = append(notes, i18n.T(cx, "stats.honest.converted", map[string]any{"N": f.Converted}))
	}
	if announcedProjects == nil && announcedYuan == nil {
		return notes
	}
	announced := []string{}
	if announcedProjects != nil {
		announced = append(announced, i18n.T(cx, "stats.honest.n_projects", map[string]any{"N": *announcedProjects}))
	}
	if announcedYuan != nil {
		announced = append(announced, views.Yuan(cx, *announcedYuan))
	}
	notes = append(notes, i18n.T(cx, "stats.honest.announced", map[string]any{"Figures": strings.Join(announced, i18n.T(cx, "stats.list_sep"))}))
	differs := (announcedProjects != nil && int64(*announcedProjects) != f.Projects) ||
		(announcedYuan != nil && *announcedYuan != f.ContractedYuan)
	if differs {
		notes = append(notes, i18n.T(cx, "stats.honest.differs"))
	} else {
		notes = append(notes, i18n.T(cx, "stats.honest.agrees"))
	}
	return notes
}

// funnelHead and funnelCells are the columns every breakdown table shares.
func funnelHead(cx context.Context, first string) []string {
	return []string{first, i18n.T(cx, "stats.col.projects"), i18n.T(cx, "stats.col.started"), i18n.T(cx, "stats.col.start_rate"),
		i18n.T(cx, "stats.col.contracted"), i18n.T(cx, "stats.col.completed")}
}

func funnelCells(cx context.Context, r statRecord) []string {
	return []string{views.Count(r.Projects), views.Count(r.Started), percentOf(r.Started, r.Projects),
		amountOf(cx, r.ContractedYuan, r.WithAmount), views.Yuan(cx, r.CompletedYuan)}
}

// amountOf is a sum that is a dash when no project had a figure to add.
func amountOf(cx context.Context, yuan, over int64) string {
	if over == 0 {
		return "—"
	}
	return views.Yuan(cx, yuan)
}

// statChart draws a breakdown as bars of project counts, with its table.
func statChart(cx context.Context, id string, rows []statRecord, funnel bool) views.Chart {
	c := views.Chart{Funnel: funnel}
	c.ID, c.Title = "stats-"+id, i18n.T(cx, "stats."+id+".title")
	c.Table = views.ChartTable{Caption: i18n.T(cx, "stats."+id+".caption"), Head: funnelHead(cx, i18n.T(cx, "stats."+id+".col"))}
	var top statRecord
	var all int64
	for _, r := range rows {
		label := r.Name
		if r.Depth != nil {
			label = strings.Repeat("　", *r.Depth) + label // the region tree, indented
		}
		c.Bars = append(c.Bars, views.ChartBar{Label: label, Values: []int64{r.Projects},
			Texts: []string{i18n.T(cx, "stats.bar", map[string]any{"N": r.Projects})}})
		path := ""
		switch {
		case id == "by-region":
			path = "/statistics?region=" + r.Key
		case id == "by-chain" && r.Key != "":
			path = "/chains/" + r.Key
		}
		if path != "" {
			path = i18n.FromContext(cx).Path(path)
		}
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: label, Path: path, Cells: funnelCells(cx, r)})
		// The top of a region tree holds everything below it: name the
		// biggest region without sub-regions in the sentence instead.
		if r.Projects > top.Projects && r.Key != "" && (r.Depth == nil || !hasChildren(rows, r)) {
			top = r
		}
		if r.Depth == nil || *r.Depth == 0 {
			all += r.Projects
		}
	}
	if len(rows) == 0 {
		c.Summary = i18n.T(cx, "stats.none")
		return c
	}
	c.Summary = i18n.T(cx, "stats."+id+".summary", map[string]any{"Top": top.Name, "N": top.Projects, "All": all})
	if id == "by-stage" {
		var started int64
		for _, r := range rows {
			started += r.Started
		}
		c.Summary = i18n.T(cx, "stats.by-stage.summary", map[string]any{"Started": started, "All": all, "Rate": percentOf(started, all)})
	}
	c.Note = i18n.T(cx, "stats."+id+".note")
	return c
}

// hasChildren reports whether a region record is followed by one deeper.
func hasChildren(rows []statRecord, r statRecord) bool {
	for i := range rows {
		if rows[i].Key == r.Key {
			return i+1 < len(rows) && rows[i+1].Depth != nil && *rows[i+1].Depth > *r.Depth
		}
	}
	return false
}

// plannedChart sets the investment completed against the investment
// planned, by category: two bars per category.
func plannedChart(cx context.Context, rows []statRecord) views.Chart {
	c := views.Chart{Series: []string{i18n.T(cx, "stats.done.planned"), i18n.T(cx, "stats.done.completed")}}
	c.ID, c.Title = "stats-done", i18n.T(cx, "stats.done.title")
	c.Table = views.ChartTable{Caption: i18n.T(cx, "stats.done.caption"), Head: []string{
		i18n.T(cx, "stats.by-category.col"), i18n.T(cx, "stats.col.with_plan"), i18n.T(cx, "stats.col.planned"),
		i18n.T(cx, "stats.col.completed_planned"), i18n.T(cx, "stats.col.share")}}
	var total statRecord
	for _, r := range rows {
		c.Bars = append(c.Bars, views.ChartBar{Label: r.Name, Values: []int64{r.PlannedYuan, r.CompletedPlanned},
			Texts: []string{views.YuanShort(cx, r.PlannedYuan), views.YuanShort(cx, r.CompletedPlanned)}})
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: r.Name, Cells: []string{views.Count(r.WithPlan),
			amountOf(cx, r.PlannedYuan, r.WithPlan), amountOf(cx, r.CompletedPlanned, r.WithPlan), percentOf(r.CompletedPlanned, r.PlannedYuan)}})
		total.WithPlan += r.WithPlan
		total.PlannedYuan += r.PlannedYuan
		total.CompletedPlanned += r.CompletedPlanned
	}
	c.Table.Foot = &views.ChartRow{Head: i18n.T(cx, "stats.total"), Cells: []string{views.Count(total.WithPlan),
		amountOf(cx, total.PlannedYuan, total.WithPlan), amountOf(cx, total.CompletedPlanned, total.WithPlan), percentOf(total.CompletedPlanned, total.PlannedYuan)}}
	if total.WithPlan == 0 {
		c.Summary = i18n.T(cx, "stats.done.none")
		return c
	}
	c.Summary = i18n.T(cx, "stats.done.summary", map[string]any{"N": total.WithPlan, "Planned": views.Yuan(cx, total.PlannedYuan),
		"Completed": views.Yuan(cx, total.CompletedPlanned), "Share": percentOf(total.CompletedPlanned, total.PlannedYuan)})
	c.Note = i18n.T(cx, "stats.done.note")
	return c
}

// eventFunnelSection is the table of the latest events: what each
// announced, what the records hold, and how far its projects got.
func eventFunnelSection(cx context.Context, rows []statRecord) views.ChartSection {
	s := views.ChartSection{ID: "stats-events", Title: i18n.T(cx, "stats.events.title"), Note: i18n.T(cx, "stats.events.note")}
	s.Table = views.ChartTable{Caption: i18n.T(cx, "stats.events.caption"), Head: eventFunnelHead(cx, i18n.T(cx, "stats.events.col"))}
	differ := 0
	for _, r := range rows {
		s.Table.Rows = append(s.Table.Rows, views.ChartRow{Head: r.Name + " (" + r.HeldOn + ")", Path: i18n.FromContext(cx).Path("/events/" + r.Key),
			Cells: eventFunnelCells(cx, r)})
		if (r.AnnouncedProjects != nil && int64(*r.AnnouncedProjects) != r.Projects) || (r.AnnouncedYuan != nil && *r.AnnouncedYuan != r.ContractedYuan) {
			differ++
		}
	}
	s.Summary = i18n.T(cx, "stats.events.summary", map[string]any{"N": len(rows), "Differ": differ})
	if len(rows) == 0 {
		s.Summary = i18n.T(cx, "stats.none")
	}
	return s
}

func eventFunnelHead(cx context.Context, first string) []string {
	return []string{first, i18n.T(cx, "stats.col.announced"), i18n.T(cx, "stats.col.projects"), i18n.T(cx, "stats.col.started"),
		i18n.T(cx, "stats.col.producing"), i18n.T(cx, "stats.col.contracted"), i18n.T(cx, "stats.col.completed_contract"), i18n.T(cx, "stats.col.share")}
}

func eventFunnelCells(cx context.Context, r statRecord) []string {
	announced := []string{}
	if r.AnnouncedProjects != nil {
		announced = append(announced, i18n.T(cx, "stats.honest.n_projects", map[string]any{"N": *r.AnnouncedProjects}))
	}
	if r.AnnouncedYuan != nil {
		announced = append(announced, views.Yuan(cx, *r.AnnouncedYuan))
	}
	if len(announced) == 0 {
		announced = append(announced, "—")
	}
	return []string{strings.Join(announced, i18n.T(cx, "stats.list_sep")), views.Count(r.Projects), views.Count(r.Started), views.Count(r.Producing),
		amountOf(cx, r.ContractedYuan, r.WithAmount), amountOf(cx, r.CompletedContract, r.WithAmount), percentOf(r.CompletedContract, r.ContractedYuan)}
}

// eventFunnel is an event page's funnel.
func eventFunnel(cx context.Context, e models.SigningEvent, f models.EventFunnel) views.FunnelView {
	r := newStatRecord(e.Slug, i18n.T(cx, "stats.event.row"), f.Funnel)
	r.AnnouncedProjects, r.AnnouncedYuan = e.ReportedProjectCount, e.ReportedTotalYuan
	v := views.FunnelView{Honesty: totalsNotes(cx, f.Funnel, e.ReportedProjectCount, e.ReportedTotalYuan)}
	if f.ReSigned+f.ConstructionStart > 0 {
		v.Honesty = append(v.Honesty, i18n.T(cx, "stats.event.roles", map[string]any{"Signed": f.Signed, "ReSigned": f.ReSigned, "Start": f.ConstructionStart}))
	}
	v.Table = views.ChartTable{Caption: i18n.T(cx, "stats.event.caption"), Head: eventFunnelHead(cx, "")}
	v.Table.Rows = []views.ChartRow{{Head: r.Name, Cells: eventFunnelCells(cx, r)}}
	return v
}
