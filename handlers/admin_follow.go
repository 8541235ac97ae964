package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/projectflag"
	"investportal/views"
	"investportal/views/i18n"
)

// Following signed projects until they produce: the officer's projects
// with the report due next and their computed flag, the progress report
// form, problems marked solved, and the leaders' view of the red ones.

// problemRows is how many problems one report form offers.
const problemRows = 3

// AdminMyProjects lists the projects the signed-in officer follows.
func (h *Handler) AdminMyProjects(c echo.Context) error {
	return h.renderFollowed(c, models.FollowScope{OfficerID: currentStaff(c).ID}, "follow.mine.title", true)
}

// AdminRedProjects is the leaders' view: every followed project that is
// red, with why, and its open problems with their age and department.
func (h *Handler) AdminRedProjects(c echo.Context) error {
	return h.renderFollowed(c, models.FollowScope{RedOnly: true}, "follow.red.title", false)
}

func (h *Handler) renderFollowed(c echo.Context, scope models.FollowScope, titleID string, mine bool) error {
	cx := ctx(c)
	now := time.Now()
	list, err := models.FollowedProjects(cx, h.db, scope, h.projects, now)
	if err != nil {
		return err
	}
	v := views.FollowView{Page: h.adminPage(c, i18n.T(cx, titleID)), Nav: h.adminNav(c), Title: i18n.T(cx, titleID), Mine: mine}
	if c.QueryParam("done") == "report" {
		v.Notice = i18n.T(cx, "follow.report.saved")
	}
	for _, p := range list {
		key := strconv.FormatInt(p.ID, 10)
		mine := adminPrefix + "/my-projects/" + key // the officer's work on this project
		row := views.FollowRow{Name: p.Name, Stage: i18n.T(cx, "project.stage."+p.Stage), Red: p.Flag.Red, Key: key,
			EditPath: adminPrefix + "/projects/" + key, ReportPath: mine + "/report", CommitPath: mine + "/commitments"}
		if !p.Flag.ReportDue.IsZero() {
			row.ReportDue = views.Date(cx, p.Flag.ReportDue)
		}
		if p.LastReportOn != nil {
			row.LastReport = views.Date(cx, *p.LastReportOn)
		}
		for _, r := range p.Flag.Reasons {
			row.Reasons = append(row.Reasons, i18n.T(cx, "follow.reason."+r))
		}
		for _, pr := range p.OpenProblems {
			age := int(calendar.Day(now).Sub(calendar.Day(pr.RaisedOn)).Hours() / 24)
			row.Problems = append(row.Problems, views.FollowProblem{ID: strconv.FormatInt(pr.ID, 10), Description: pr.Description,
				Department: pr.Department, Blocking: pr.Blocking, Age: i18n.T(cx, "follow.problem.age", map[string]any{"N": age}),
				SolvePath: mine + "/problems/" + strconv.FormatInt(pr.ID, 10) + "/solve"})
		}
		for _, cm := range p.Commitments {
			row.Commitments = append(row.Commitments, commitmentRow(cx, cm, now,
				row.CommitPath+"/"+strconv.FormatInt(cm.ID, 10)+"/deliver"))
		}
		history, err := models.FlagHistory(cx, h.db, p.ID, 5)
		if err != nil {
			return err
		}
		for _, ch := range history {
			reasons := make([]string, len(ch.Reasons))
			for i, r := range ch.Reasons {
				reasons[i] = i18n.T(cx, "follow.reason."+r)
			}
			row.History = append(row.History, i18n.T(cx, "follow.history.line", map[string]any{"At": views.DateTime(cx, ch.At),
				"Flag": i18n.T(cx, "project.flag."+ch.Flag), "Reasons": strings.Join(reasons, i18n.T(cx, "inbox.list_sep"))}))
		}
		v.Projects = append(v.Projects, row)
	}
	v.CommitmentKinds = enumOptions(cx, "commitment.kind.", models.CommitmentKinds, "")
	v.CommitmentKinds[0].Label = i18n.T(cx, "follow.commitment.choose")
	v.Today = calendar.Day(now).Format(time.DateOnly)
	return render(c, http.StatusOK, views.Follow(v))
}

// followedProject is the officer's project named in the path; another's is
// a 404.
func (h *Handler) followedProject(c echo.Context) (models.FollowedProject, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return models.FollowedProject{}, echo.ErrNotFound
	}
	list, err := models.FollowedProjects(ctx(c), h.db, models.FollowScope{OfficerID: currentStaff(c).ID}, h.projects, time.Now())
	if err != nil {
		return models.FollowedProject{}, err
	}
	i := slices.IndexFunc(list, func(p models.FollowedProject) bool { return p.ID == id })
	if i < 0 {
		return models.FollowedProject{}, echo.ErrNotFound
	}
	return list[i], nil
}

// AdminReportForm is the progress report form for one of the officer's
// projects.
func (h *Handler) AdminReportForm(c echo.Context) error {
	p, err := h.followedProject(c)
	if err != nil {
		return err
	}
	f := views.ReportForm{Date: calendar.Day(time.Now()).Format(time.DateOnly), Stage: p.Stage,
		Completed: decimal.NewFromInt(p.CompletedInvestmentYuan).Div(decimal.NewFromInt(10_000)).String()}
	return h.renderReportForm(c, http.StatusOK, p, f, nil)
}

func (h *Handler) renderReportForm(c echo.Context, status int, p models.FollowedProject, f views.ReportForm, errs map[string]string) error {
	cx := ctx(c)
	for len(f.Problems) < problemRows {
		f.Problems = append(f.Problems, views.ReportProblem{})
	}
	v := views.ReportFormView{Page: h.adminPage(c, i18n.T(cx, "follow.report.title")), Nav: h.adminNav(c),
		Project: p.Name, Action: adminPrefix + "/my-projects/" + strconv.FormatInt(p.ID, 10) + "/report",
		Form: f, Errors: errs, Stages: enumOptions(cx, "project.stage.", models.ProjectStages, f.Stage)[1:]}
	return render(c, status, views.ReportFormPage(v))
}

// AdminFileReport stores a progress report; every refused field comes back
// with its message (422) and nothing is stored.
func (h *Handler) AdminFileReport(c echo.Context) error {
	p, err := h.followedProject(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	f := views.ReportForm{Date: strings.TrimSpace(c.FormValue("date")), Stage: c.FormValue("stage"),
		Completed: strings.TrimSpace(c.FormValue("completed")), Body: strings.TrimSpace(strings.ReplaceAll(c.FormValue("body"), "\r\n", "\n"))}
	errs := map[string]string{}
	report := models.ProgressReport{Stage: f.Stage, Body: f.Body}
	day, err := formDate(c, "date")
	switch {
	case err != nil || day.Year() < 2000:
		errs["date"] = i18n.T(cx, "follow.err.date")
	case day.After(calendar.Day(time.Now())):
		errs["date"] = i18n.T(cx, "follow.err.future")
	default:
		report.ReportedOn = day
	}
	if !slices.Contains(models.ProjectStages, f.Stage) {
		errs["stage"] = i18n.T(cx, "form.err.choice")
	}
	if yuan, ok := parseWan(f.Completed); ok {
		report.CompletedInvestmentYuan = yuan
	} else {
		errs["completed"] = i18n.T(cx, "follow.err.amount")
	}
	if ferr := checkText(f.Body, maxMessage, true, true); ferr != nil {
		errs["body"] = i18n.T(cx, ferr.ID, ferr.Data)
	}
	for i := range problemRows {
		n := strconv.Itoa(i + 1)
		pr := views.ReportProblem{Description: strings.TrimSpace(c.FormValue("problem" + n)),
			Department: strings.TrimSpace(c.FormValue("department" + n)), Blocking: c.FormValue("blocking"+n) != ""}
		f.Problems = append(f.Problems, pr)
		if pr.Description == "" && pr.Department == "" {
			continue
		}
		if ferr := checkText(pr.Description, 1000, true, true); ferr != nil {
			errs["problem"+n] = i18n.T(cx, ferr.ID, ferr.Data)
		}
		if ferr := checkText(pr.Department, 100, true, false); ferr != nil {
			errs["department"+n] = i18n.T(cx, "follow.err.department")
		}
		report.Problems = append(report.Problems, models.NewProblem{Description: pr.Description, Department: pr.Department, Blocking: pr.Blocking})
	}
	if len(errs) > 0 {
		return h.renderReportForm(c, http.StatusUnprocessableEntity, p, f, errs)
	}
	err = models.FileProgressReport(cx, h.db, p.ID, report, actor(c))
	if errors.Is(err, models.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	h.refreshFlag(c, p.ID)
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/my-projects?done=report")
}

// AdminSolveProblem marks one of a project's open problems solved.
func (h *Handler) AdminSolveProblem(c echo.Context) error {
	p, err := h.followedProject(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	problem, err := strconv.ParseInt(c.Param("pid"), 10, 64)
	if err != nil || problem <= 0 {
		return echo.ErrNotFound
	}
	day, err := formDate(c, "solved_on")
	if err != nil || day.After(calendar.Day(time.Now())) {
		return &userError{status: http.StatusUnprocessableEntity, message: i18n.T(cx, "follow.err.solved_on")}
	}
	err = models.SolveProblem(cx, h.db, p.ID, problem, day, actor(c))
	if errors.Is(err, models.ErrNotFound) {
		return &userError{status: http.StatusUnprocessableEntity, message: i18n.T(cx, "follow.err.solve")}
	}
	if err != nil {
		return err
	}
	h.refreshFlag(c, p.ID)
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/my-projects")
}

// commitmentRow is a commitment as staff and the investor see it.
func commitmentRow(cx context.Context, cm models.ProjectCommitment, now time.Time, deliverPath string) views.CommitmentRow {
	state := cm.State(now)
	r := views.CommitmentRow{ID: strconv.FormatInt(cm.ID, 10), Kind: i18n.T(cx, "commitment.kind."+cm.Kind),
		Description: i18n.Chinese(cx, cm.Description), Due: views.Date(cx, cm.DueOn), State: state,
		StateLabel: i18n.T(cx, "commitment.state."+state), DeliverPath: deliverPath}
	if cm.DeliveredOn != nil {
		r.Delivered = views.Date(cx, *cm.DeliveredOn)
	}
	return r
}

// AdminAddCommitment records what was promised to one of the officer's
// projects; a bad field is a 422 that names it, and nothing is stored.
func (h *Handler) AdminAddCommitment(c echo.Context) error {
	p, err := h.followedProject(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	cm := models.ProjectCommitment{ProjectID: p.ID, Kind: c.FormValue("kind"),
		Description: strings.TrimSpace(c.FormValue("description"))}
	due, err := formDate(c, "due_on")
	switch {
	case !slices.Contains(models.CommitmentKinds, cm.Kind):
		return &userError{status: http.StatusUnprocessableEntity, message: i18n.T(cx, "follow.err.commitment_kind")}
	case checkText(cm.Description, 500, true, false) != nil:
		return &userError{status: http.StatusUnprocessableEntity, message: i18n.T(cx, "follow.err.commitment_text")}
	case err != nil || due.Year() < 2000 || due.Year() > 2100:
		return &userError{status: http.StatusUnprocessableEntity, message: i18n.T(cx, "follow.err.date")}
	}
	cm.DueOn = due
	if err := models.AddCommitment(cx, h.db, cm, actor(c)); errors.Is(err, models.ErrNotFound) {
		return echo.ErrNotFound
	} else if err != nil {
		return err
	}
	h.refreshFlag(c, p.ID)
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/my-projects")
}

// AdminDeliverCommitment marks a commitment delivered on a date.
func (h *Handler) AdminDeliverCommitment(c echo.Context) error {
	p, err := h.followedProject(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	id, err := strconv.ParseInt(c.Param("cid"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	day, err := formDate(c, "delivered_on")
	if err != nil || day.Year() < 2000 || day.After(calendar.Day(time.Now())) {
		return &userError{status: http.StatusUnprocessableEntity, message: i18n.T(cx, "follow.err.solved_on")}
	}
	err = models.DeliverCommitment(cx, h.db, p.ID, id, day, actor(c))
	if errors.Is(err, models.ErrNotFound) {
		return &userError{status: http.StatusUnprocessableEntity, message: i18n.T(cx, "follow.err.delivered")}
	}
	if err != nil {
		return err
	}
	h.refreshFlag(c, p.ID)
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/my-projects")
}

// ProjectFlags is the scheduled job that keeps every followed project's
// stored flag computed: a flag turns red when a half month ends
// unreported or a problem grows old, not only when someone files.
func ProjectFlags(d Deps) func(ctx context.Context, now time.Time) error {
	rules := followRules(d.BlockingDays)
	return func(ctx context.Context, now time.Time) error {
		_, err := models.RefreshProjectFlags(ctx, d.DB, rules, now, 0)
		return err
	}
}

// refreshFlag recomputes one project's flag after a change to its record.
// The change is stored already; a failure here is mended by the next run
// of the scheduled job, so it is logged, not shown.
func (h *Handler) refreshFlag(c echo.Context, projectID int64) {
	if _, err := models.RefreshProjectFlags(ctx(c), h.db, h.projects, time.Now(), projectID); err != nil {
		h.log.WarnContext(ctx(c), "project flag not refreshed", "project_id", projectID, "error", err)
	}
}

// formDate reads a form's yyyy-mm-dd field as that day in Beijing.
func formDate(c echo.Context, name string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, strings.TrimSpace(c.FormValue(name)), calendar.Beijing)
}

// parseWan reads an amount in 万元, zero or more, to whole yuan.
func parseWan(s string) (int64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	v, err := decimal.NewFromString(strings.ReplaceAll(s, ",", ""))
	if err != nil || v.IsNegative() || v.Exponent() < -4 || v.GreaterThan(decimal.NewFromInt(100_000_000)) {
		return 0, false
	}
	return v.Mul(decimal.NewFromInt(10_000)).Round(0).IntPart(), true
}

// followRules is what turns a project red; BlockingDays from
// PORTAL_BLOCKING_DAYS.
func followRules(blockingDays int) projectflag.Rules {
	if blockingDays <= 0 {
		blockingDays = 14
	}
	return projectflag.Rules{BlockingDays: blockingDays}
}
