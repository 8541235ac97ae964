package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/views"
	"investportal/views/i18n"
)

// The pipeline dashboard looks at the last 30 days unless asked for
// another period, and at most three years at once: longer spans are a
// report, not a dashboard, and would read the whole table.
const (
	deskDefaultDays = 30
	deskMaxYears    = 3
)

// deskPeriodForm is the period form as given, and what it means.
type deskPeriodForm struct {
	From, To string
	Period   models.StatsPeriod
	Errors   map[string]string
	first    time.Time // the first and the last day, for the page
	last     time.Time
}

// readDeskPeriod reads the period's first and last day (Beijing dates,
// both included); an empty field takes its default.
func readDeskPeriod(c echo.Context, now time.Time) deskPeriodForm {
	cx := ctx(c)
	today := calendar.Day(now)
	f := deskPeriodForm{Errors: map[string]string{}}
	day := func(name string, def time.Time) (time.Time, string) {
		v := strings.TrimSpace(c.QueryParam(name))
		if v == "" {
			return def, def.Format(time.DateOnly)
		}
		d, err := time.ParseInLocation(time.DateOnly, v, calendar.Beijing)
		if err != nil {
			f.Errors[name] = i18n.T(cx, "desk.dash.err.date", map[string]any{"Value": shortValue(v)})
			return time.Time{}, shortValue(v)
		}
		return d, v
	}
	f.first, f.From = day("from", today.AddDate(0, 0, 1-deskDefaultDays))
	f.last, f.To = day("to", today)
	if len(f.Errors) > 0 {
		return f
	}
	switch end := f.last.AddDate(0, 0, 1); {
	case f.first.After(f.last):
		f.Errors["to"] = i18n.T(cx, "desk.dash.err.order")
	case end.After(f.first.AddDate(deskMaxYears, 0, 0)):
		f.Errors["from"] = i18n.T(cx, "desk.dash.err.too_long", map[string]any{"Years": deskMaxYears})
	default:
		f.Period = models.StatsPeriod{From: f.first, To: end}
	}
	return f
}

// shortValue is a refused value fit to be quoted back: valid text, at most
// 40 characters.
func shortValue(v string) string {
	v = strings.ToValidUTF8(strings.Map(dropControl, v), "�")
	if utf8.RuneCountInString(v) > 40 {
		v = string([]rune(v)[:40]) + "…"
	}
	return v
}

// AdminDeskDashboard is the pipeline dashboard for a chosen period: the
// funnel, where inquiries come from, how fast they are answered, who holds
// them, and what they became.
func (h *Handler) AdminDeskDashboard(c echo.Context) error {
	cx := ctx(c)
	now := time.Now()
	f := readDeskPeriod(c, now)
	v := views.AdminDeskView{Page: h.adminPage(c, i18n.T(cx, "desk.dash.title")), Nav: h.adminNav(c),
		From: f.From, To: f.To, Errors: f.Errors}
	if len(f.Errors) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.AdminDesk(v))
	}
	s, err := models.LoadDeskStats(cx, h.db, f.Period, now)
	if err != nil {
		return err
	}
	v.Period = i18n.T(cx, "desk.dash.period", map[string]any{"From": views.Date(cx, f.first), "To": views.Date(cx, f.last),
		"N": s.Responses.Received})
	v.Empty = s.Responses.Received == 0
	d := deskView{cx: cx, s: s}
	v.Figures = d.figures()
	v.Funnel, v.Closed = d.funnel(), d.closed()
	v.Regions, v.Chains = d.regions(), d.chains()
	v.Times, v.OnTime = d.times(), d.onTime()
	v.Load = d.load()
	v.Signed = d.signed()
	return render(c, http.StatusOK, views.AdminDesk(v))
}

// deskView shapes the figures into the page's charts and tables.
type deskView struct {
	cx context.Context
	s  models.DeskStats
}

func (d deskView) t(id string, data ...map[string]any) string { return i18n.T(d.cx, id, data...) }

// percentOf is n of all as a percentage with at most one decimal; a dash
// when there is nothing to divide by.
func percentOf(n, all int64) string {
	if all == 0 {
		return "—"
	}
	s := strconv.FormatFloat(float64(n)*100/float64(all), 'f', 1, 64)
	return strings.TrimSuffix(s, ".0") + "%"
}

// hours writes a span of working hours with one decimal.
func (d deskView) hours(span time.Duration) string {
	return d.t("desk.dash.hours", map[string]any{"H": strconv.FormatFloat(span.Hours(), 'f', 1, 64)})
}

func (d deskView) figures() []views.HeadlineFigure {
	s := d.s
	figures := []views.HeadlineFigure{
		{TestID: "received", Label: d.t("desk.dash.fig.received"), Value: views.Count(s.Responses.Received)},
		{TestID: "median-response", Label: d.t("desk.dash.fig.median"), Value: "—", Detail: d.t("desk.dash.fig.none_answered")},
		{TestID: "on-time", Label: d.t("desk.dash.fig.on_time"), Value: percentOf(s.Responses.OnTime, s.Responses.Due),
			Detail: d.t("desk.dash.fig.on_time.detail", map[string]any{"N": s.Responses.OnTime, "Due": s.Responses.Due})},
		{TestID: "signed", Label: d.t("desk.dash.fig.signed"), Value: views.Count(s.Totals.Inquiries),
			Detail: d.t("desk.dash.fig.signed.detail", map[string]any{"Amount": views.Yuan(d.cx, s.Totals.ContractedYuan)})},
	}
	if len(s.Times) > 0 {
		figures[1].Value = d.hours(s.Times.Percentile(.5))
		figures[1].Detail = d.t("desk.dash.fig.median.detail", map[string]any{"N": len(s.Times), "P90": d.hours(s.Times.Percentile(.9))})
	}
	return figures
}

func (d deskView) funnel() views.Chart {
	received := d.s.Responses.Received
	c := views.Chart{Funnel: true}
	c.ID, c.Title = "desk-funnel", d.t("desk.dash.funnel.title")
	c.Table = views.ChartTable{Caption: d.t("desk.dash.funnel.caption"),
		Head: []string{d.t("desk.dash.col.stage"), d.t("desk.dash.col.reached"), d.t("desk.dash.col.share"), d.t("desk.dash.col.current")}}
	var signed, past int64
	for i, st := range d.s.Funnel {
		name := d.t("inquiry.stage." + st.Stage)
		c.Bars = append(c.Bars, views.ChartBar{Label: name, Values: []int64{st.Reached},
			Texts: []string{d.t("desk.dash.funnel.bar", map[string]any{"N": st.Reached, "Share": percentOf(st.Reached, received)})}})
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: name,
			Cells: []string{views.Count(st.Reached), percentOf(st.Reached, received), views.Count(st.Current)}})
		if i == 1 {
			past = st.Reached
		}
		if st.Stage == models.InquirySigned {
			signed = st.Reached
		}
	}
	c.Summary = d.t("desk.dash.funnel.summary", map[string]any{"N": received, "Past": past, "PastShare": percentOf(past, received),
		"Signed": signed, "Closed": d.s.Closed})
	c.Note = d.t("desk.dash.funnel.note")
	return c
}

func (d deskView) closed() views.Chart {
	c := views.Chart{}
	c.ID, c.Title = "desk-closed", d.t("desk.dash.closed.title")
	c.Table = views.ChartTable{Caption: d.t("desk.dash.closed.caption"),
		Head: []string{d.t("desk.dash.col.reason"), d.t("desk.dash.col.count"), d.t("desk.dash.col.share_closed")}}
	top := models.ReasonCount{}
	for _, r := range d.s.Reasons {
		name := d.t("desk.dash.reason." + r.Reason)
		c.Bars = append(c.Bars, views.ChartBar{Label: name, Values: []int64{r.Count}, Texts: []string{views.Count(r.Count)}})
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: name, Cells: []string{views.Count(r.Count), percentOf(r.Count, d.s.Closed)}})
		if r.Count > top.Count {
			top = r
		}
	}
	c.Table.Foot = &views.ChartRow{Head: d.t("desk.dash.total"), Cells: []string{views.Count(d.s.Closed), percentOf(d.s.Closed, d.s.Closed)}}
	if d.s.Closed == 0 {
		c.Summary = d.t("desk.dash.closed.summary_none")
	} else {
		c.Summary = d.t("desk.dash.closed.summary", map[string]any{"N": d.s.Closed, "Share": percentOf(d.s.Closed, d.s.Responses.Received),
			"Reason": d.t("desk.dash.reason." + top.Reason), "Top": top.Count})
	}
	return c
}

// groupChart is the chart and table of inquiries by region or by chain.
func (d deskView) groupChart(id, kind string, groups []models.GroupCount, label func(models.GroupCount) string) views.Chart {
	received := d.s.Responses.Received
	c := views.Chart{}
	c.ID, c.Title = id, d.t("desk.dash."+kind+".title")
	c.Table = views.ChartTable{Caption: d.t("desk.dash." + kind + ".caption"),
		Head: []string{d.t("desk.dash.col." + kind), d.t("desk.dash.col.count"), d.t("desk.dash.col.share")}}
	for _, g := range groups {
		name := label(g)
		c.Bars = append(c.Bars, views.ChartBar{Label: name, Values: []int64{g.Count},
			Texts: []string{views.Count(g.Count) + " · " + percentOf(g.Count, received)}})
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: name, Cells: []string{views.Count(g.Count), percentOf(g.Count, received)}})
	}
	c.Table.Foot = &views.ChartRow{Head: d.t("desk.dash.total"), Cells: []string{views.Count(received), percentOf(received, received)}}
	// The summary names the group with most inquiries; those that named
	// none are counted apart.
	var top *models.GroupCount
	named, unknown := 0, int64(0)
	for i, g := range groups {
		if g.ID == 0 {
			unknown = g.Count
			continue
		}
		named++
		if top == nil {
			top = &groups[i]
		}
	}
	if top == nil {
		c.Summary = d.t("desk.dash." + kind + ".summary_none")
	} else {
		c.Summary = d.t("desk.dash."+kind+".summary", map[string]any{"Name": label(*top), "N": top.Count,
			"Share": percentOf(top.Count, received), "Groups": named, "Unknown": unknown})
	}
	return c
}

func (d deskView) regions() views.Chart {
	return d.groupChart("desk-regions", "region", d.s.Regions, func(g models.GroupCount) string {
		if g.ID == 0 {
			return d.t("desk.dash.region.unknown")
		}
		name, _ := i18n.Content(d.cx, g.Name, g.NameEn)
		return name
	})
}

func (d deskView) chains() views.Chart {
	return d.groupChart("desk-chains", "chain", d.s.Chains, func(g models.GroupCount) string {
		if g.ID == 0 {
			return d.t("desk.dash.chain.unknown")
		}
		name, _ := i18n.Content(d.cx, g.Name, g.NameEn)
		region, _ := i18n.Content(d.cx, g.RegionName, g.RegionNameEn)
		if region == "" {
			return name
		}
		return name + " · " + region
	})
}

func (d deskView) times() views.Chart {
	r := d.s.Responses
	c := views.Chart{}
	c.ID, c.Title = "desk-times", d.t("desk.dash.times.title")
	c.Table = views.ChartTable{Caption: d.t("desk.dash.times.caption"),
		Head: []string{d.t("desk.dash.col.band"), d.t("desk.dash.col.count"), d.t("desk.dash.col.share_answered")}}
	var from time.Duration // the band's lower end
	for _, b := range d.s.Times.Buckets() {
		var label string
		switch {
		case from == 0:
			label = d.t("desk.dash.band.first", map[string]any{"To": b.UpTo.Hours()})
		case b.UpTo == 0:
			label = d.t("desk.dash.band.over", map[string]any{"From": from.Hours()})
		default:
			label = d.t("desk.dash.band", map[string]any{"From": from.Hours(), "To": b.UpTo.Hours()})
		}
		from = b.UpTo
		c.Bars = append(c.Bars, views.ChartBar{Label: label, Values: []int64{b.Count}, Texts: []string{views.Count(b.Count)}})
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: label, Cells: []string{views.Count(b.Count), percentOf(b.Count, r.Answered)}})
	}
	c.Table.Foot = &views.ChartRow{Head: d.t("desk.dash.answered"), Cells: []string{views.Count(r.Answered), percentOf(r.Answered, r.Answered)}}
	if len(d.s.Times) == 0 {
		c.Summary = d.t("desk.dash.times.summary_none", map[string]any{"Unanswered": r.Unanswered})
	} else {
		c.Summary = d.t("desk.dash.times.summary", map[string]any{"Median": d.hours(d.s.Times.Percentile(.5)),
			"P90": d.hours(d.s.Times.Percentile(.9)), "N": len(d.s.Times), "Unanswered": r.Unanswered})
	}
	c.Note = d.t("desk.dash.times.note")
	return c
}

func (d deskView) onTime() views.Chart {
	r := d.s.Responses
	c := views.Chart{}
	c.ID, c.Title = "desk-on-time", d.t("desk.dash.on_time.title")
	c.Table = views.ChartTable{Caption: d.t("desk.dash.on_time.caption"),
		Head: []string{d.t("desk.dash.col.outcome"), d.t("desk.dash.col.count"), d.t("desk.dash.col.share_due")}}
	for _, o := range []struct {
		id string
		n  int64
	}{{"on_time", r.OnTime}, {"late", r.Late}, {"overdue", r.Overdue}} {
		label := d.t("desk.dash.outcome." + o.id)
		c.Bars = append(c.Bars, views.ChartBar{Label: label, Values: []int64{o.n}, Texts: []string{views.Count(o.n) + " · " + percentOf(o.n, r.Due)}})
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: label, Cells: []string{views.Count(o.n), percentOf(o.n, r.Due)}})
	}
	c.Table.Foot = &views.ChartRow{Head: d.t("desk.dash.total"), Cells: []string{views.Count(r.Due), percentOf(r.Due, r.Due)}}
	c.Summary = d.t("desk.dash.on_time.summary", map[string]any{"Share": percentOf(r.OnTime, r.Due), "N": r.OnTime, "Due": r.Due})
	c.Note = d.t("desk.dash.on_time.note", map[string]any{"Received": r.Received, "Due": r.Due, "Waiting": r.Received - r.Due})
	return c
}

func (d deskView) load() views.Chart {
	c := views.Chart{Series: []string{d.t("desk.dash.series.open"), d.t("desk.dash.series.overdue")}}
	c.ID, c.Title = "desk-load", d.t("desk.dash.load.title")
	c.Table = views.ChartTable{Caption: d.t("desk.dash.load.caption"),
		Head: []string{d.t("desk.dash.col.officer"), d.t("desk.dash.col.open"), d.t("desk.dash.col.overdue")}}
	var open, overdue int64
	var busiest models.OfficerLoad
	for _, l := range d.s.Load {
		name := d.t("desk.dash.load.member", map[string]any{"Name": l.Name, "Role": d.t("admin.role." + l.Role)})
		switch {
		case l.StaffID == 0:
			name = d.t("admin.inquiries.unassigned")
		case l.Disabled:
			name = d.t("desk.dash.load.disabled", map[string]any{"Name": l.Name})
		}
		c.Bars = append(c.Bars, views.ChartBar{Label: name, Values: []int64{l.Open, l.Overdue}, Texts: []string{
			d.t("desk.dash.series.open.n", map[string]any{"N": l.Open}), d.t("desk.dash.series.overdue.n", map[string]any{"N": l.Overdue})}})
		c.Table.Rows = append(c.Table.Rows, views.ChartRow{Head: name, Cells: []string{views.Count(l.Open), views.Count(l.Overdue)}})
		open, overdue = open+l.Open, overdue+l.Overdue
		if l.StaffID != 0 && l.Open > busiest.Open {
			busiest = l
		}
	}
	c.Table.Foot = &views.ChartRow{Head: d.t("desk.dash.total"), Cells: []string{views.Count(open), views.Count(overdue)}}
	c.Summary = d.t("desk.dash.load.summary", map[string]any{"Open": open, "Overdue": overdue})
	if busiest.Open > 0 {
		c.Summary += d.t("desk.dash.load.busiest", map[string]any{"Name": busiest.Name, "N": busiest.Open})
	}
	c.Note = d.t("desk.dash.load.note")
	return c
}

func (d deskView) signed() views.ChartSection {
	tot := d.s.Totals
	s := views.ChartSection{ID: "desk-signed", Title: d.t("desk.dash.signed.title")}
	s.Table = views.ChartTable{Caption: d.t("desk.dash.signed.caption"),
		Head: []string{d.t("desk.dash.col.project"), d.t("desk.dash.col.inquiries"), d.t("desk.dash.col.contracted")}}
	for _, p := range d.s.Signed {
		name, _ := i18n.Content(d.cx, p.Name, p.NameEn)
		s.Table.Rows = append(s.Table.Rows, views.ChartRow{Head: name, Path: adminPrefix + "/projects/" + strconv.FormatInt(p.ID, 10),
			Cells: []string{views.Count(p.Inquiries), views.YuanPtr(d.cx, p.ContractedYuan)}})
	}
	s.Table.Foot = &views.ChartRow{Head: d.t("desk.dash.signed.total", map[string]any{"N": tot.Projects}),
		Cells: []string{views.Count(tot.Inquiries), views.Yuan(d.cx, tot.ContractedYuan)}}
	s.Summary = d.t("desk.dash.signed.summary", map[string]any{"N": tot.Inquiries, "Projects": tot.Projects,
		"Amount": views.Yuan(d.cx, tot.ContractedYuan)})
	if tot.UnknownAmount > 0 {
		s.Note = d.t("desk.dash.signed.unknown", map[string]any{"N": tot.UnknownAmount})
	}
	return s
}
