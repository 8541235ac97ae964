package handlers

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/outbox"
	"investportal/views"
	"investportal/views/i18n"
)

// referencePattern is what an inquiry reference looks like (the schema's rule).
var referencePattern = regexp.MustCompile(`^INQ-[0-9]{4}-[0-9]{6,12}$`)

// inquiryScope is what the signed-in member of staff may see: the desk
// lead every inquiry, an officer their own and the unassigned queue.
func inquiryScope(c echo.Context) models.InquiryScope {
	return models.InquiryScope{All: may(c, permLeadDesk), StaffID: currentStaff(c).ID}
}

// inboxQuery reads the inbox's filters from the URL, shared by the inbox
// and its export, with the accounts inquiries can be assigned to; a bad
// value is a 400 that names it.
func (h *Handler) inboxQuery(c echo.Context) (models.InquiryListQuery, *queryReader, []models.StaffUser, error) {
	officers, err := models.Officers(ctx(c), h.db)
	if err != nil {
		return models.InquiryListQuery{}, nil, nil, err
	}
	q := newQueryReader(c)
	query := models.InquiryListQuery{Scope: inquiryScope(c), Rules: h.inquiries.Desk,
		Text: q.text("q", 100), Stage: q.oneOf("stage", append([]string{"open"}, models.InquiryStages...)),
		Response: q.oneOf("response", models.ResponseFilters), Sort: q.oneOf("sort", models.InboxSorts),
		Dormant: q.oneOf("dormant", []string{"1"}) == "1"}
	switch assignee := q.raw("assignee"); assignee {
	case "":
	case "mine":
		query.AssigneeID = currentStaff(c).ID
	case "none":
		query.AssigneeID = models.AssigneeNone
	default:
		// Only the desk lead filters by another officer.
		id, err := strconv.ParseInt(assignee, 10, 64)
		if err != nil || !query.Scope.All || !slices.ContainsFunc(officers, func(u models.StaffUser) bool { return u.ID == id }) {
			q.bad("assignee", assignee)
		}
		query.AssigneeID = id
	}
	return query, q, officers, q.err()
}

// AdminInquiries is the inbox: the inquiries in the member of staff's
// scope, by default the ones due soonest first, each with its due time and
// age in working days.
func (h *Handler) AdminInquiries(c echo.Context) error {
	cx := ctx(c)
	query, q, officers, err := h.inboxQuery(c)
	if err != nil {
		return err
	}
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	query.Limit, query.Offset = adminListSize, int(page-1)*adminListSize
	list, total, err := models.ListInquiries(cx, h.db, query)
	if err != nil {
		return err
	}
	cal, err := models.LoadWorkCalendar(cx, h.db)
	if err != nil {
		return err
	}
	pager, err := newPagerOf(c, adminPrefix+"/inquiries", page, total, adminListSize)
	if err != nil {
		return err
	}
	assignee := c.QueryParam("assignee")
	v := views.AdminInquiriesView{Page: h.adminPage(c, i18n.T(cx, "admin.inquiries.title")), Nav: h.adminNav(c),
		Query: query.Text, Total: total, Pager: pager,
		Export: adminPrefix + "/inquiries.csv" + queryString(c, "page")}
	v.Stages = append([]views.Option{{Value: "", Label: i18n.T(cx, "admin.state.all")},
		{Value: "open", Label: i18n.T(cx, "inbox.stage.open"), Selected: query.Stage == "open"}},
		enumOptions(cx, "inquiry.stage.", models.InquiryStages, query.Stage)[1:]...)
	v.Responses = enumOptions(cx, "inbox.response.", models.ResponseFilters, query.Response)
	v.Sorts = enumOptions(cx, "inbox.sort.", models.InboxSorts, query.Sort)[1:]
	v.Dormant = query.Dormant
	v.Assignees = []views.Option{{Value: "", Label: i18n.T(cx, "admin.state.all")},
		{Value: "mine", Label: i18n.T(cx, "admin.inquiries.mine"), Selected: assignee == "mine"},
		{Value: "none", Label: i18n.T(cx, "admin.inquiries.unassigned"), Selected: assignee == "none"}}
	if query.Scope.All {
		for _, u := range officers {
			id := strconv.FormatInt(u.ID, 10)
			v.Assignees = append(v.Assignees, views.Option{Value: id, Label: u.Name, Selected: id == assignee})
		}
	}
	now := time.Now()
	for _, it := range list {
		v.Inquiries = append(v.Inquiries, h.inboxRow(c, cal, now, it))
	}
	return render(c, http.StatusOK, views.AdminInquiries(v))
}

// queryString is the request's query without the named parameters, with
// its "?" (or "" when nothing is left).
func queryString(c echo.Context, drop ...string) string {
	values := c.QueryParams()
	for _, name := range drop {
		values.Del(name)
	}
	if len(values) == 0 {
		return ""
	}
	return "?" + values.Encode()
}

// inboxRow is one inquiry as the inbox shows it.
func (h *Handler) inboxRow(c echo.Context, cal *calendar.WorkCalendar, now time.Time, it models.InquiryListItem) views.InboxRow {
	cx := ctx(c)
	in := it.Inquiry
	row := views.InboxRow{Reference: in.Reference, Path: adminPrefix + "/inquiries/" + in.Reference,
		Received: views.DateTime(cx, in.CreatedAt), Name: in.Name, Company: in.Company,
		Stage: i18n.T(cx, "inquiry.stage."+in.Stage), Assignee: it.AssigneeName, Dormant: it.Dormant,
		Priority: priorityName(it.Priority), PriorityLabel: i18n.T(cx, "inbox.priority."+priorityName(it.Priority)),
		Age:  i18n.T(cx, "inbox.age", map[string]any{"N": cal.WorkingDaysSince(in.CreatedAt, now)}),
		Take: in.AssigneeID == nil && !inquiryScope(c).All && isOpen(in)}
	row.Region, _ = i18n.Content(cx, it.RegionName, it.RegionNameEn)
	row.Chain, _ = i18n.Content(cx, it.ChainName, it.ChainNameEn)
	row.Due, row.DueState = h.dueText(c, in, now)
	if row.DueState == "waiting" || row.DueState == "today" {
		row.Remaining = i18n.T(cx, "inbox.remaining", map[string]any{"N": cal.WorkingDaysSince(now, *in.ResponseDueAt)})
	}
	return row
}

// isOpen reports whether an inquiry is still being worked.
func isOpen(in models.Inquiry) bool { return models.IsOpenStage(in.Stage) }

// dueText says when the first response is due and whether it is late, or
// when it came. state is overdue, today, waiting, answered, late or none.
func (h *Handler) dueText(c echo.Context, in models.Inquiry, now time.Time) (text, state string) {
	cx := ctx(c)
	switch {
	case in.FirstResponseAt != nil:
		state = "answered"
		if in.ResponseDueAt != nil && in.FirstResponseAt.After(*in.ResponseDueAt) {
			state = "late"
		}
		return i18n.T(cx, "inbox.due."+state, map[string]any{"At": views.DateTime(cx, *in.FirstResponseAt)}), state
	case !isOpen(in) || in.ResponseDueAt == nil:
		return "", "none"
	case in.ResponseDueAt.Before(now):
		state = "overdue"
	case calendar.Day(*in.ResponseDueAt).Equal(calendar.Day(now)):
		state = "today"
	default:
		state = "waiting"
	}
	return i18n.T(cx, "inbox.due."+state, map[string]any{"At": views.DateTime(cx, *in.ResponseDueAt)}), state
}

func priorityName(p int) string {
	switch p {
	case models.PriorityHigh:
		return "high"
	case models.PriorityMedium:
		return "medium"
	}
	return "normal"
}

func (h *Handler) inquiryParam(c echo.Context) (models.StaffInquiry, error) {
	ref := c.Param("ref")
	if !referencePattern.MatchString(ref) {
		return models.StaffInquiry{}, echo.ErrNotFound
	}
	s, err := models.LoadStaffInquiry(ctx(c), h.db, inquiryScope(c), ref)
	if errors.Is(err, models.ErrNotFound) {
		return s, echo.ErrNotFound
	}
	return s, err
}

// AdminInquiry shows an inquiry with its timeline and the forms to work it.
func (h *Handler) AdminInquiry(c echo.Context) error {
	s, err := h.inquiryParam(c)
	if err != nil {
		return err
	}
	notice := ""
	if done := c.QueryParam("done"); slices.Contains([]string{"stage", "assigned", "taken", "reply", "call", "meeting", "internal"}, done) {
		notice = i18n.T(ctx(c), "inbox.done."+done)
	}
	return h.renderInquiry(c, http.StatusOK, s, inquiryForms{Notice: notice})
}

// inquiryForms is what the inquiry page's forms hold when one is shown
// again: the values sent and a message beside each refused field.
type inquiryForms struct {
	Notice string
	Stage  models.StageChange
	Errors map[string]string
	Note   views.NoteForm
}

func (h *Handler) renderInquiry(c echo.Context, status int, s models.StaffInquiry, forms inquiryForms) error {
	cx := ctx(c)
	in := s.Inquiry
	v := views.AdminInquiryView{Page: h.adminPage(c, in.Reference), Nav: h.adminNav(c), Reference: in.Reference,
		Action: adminPrefix + "/inquiries/" + in.Reference, Message: in.Message, Anonymised: in.AnonymisedAt != nil,
		Notice: forms.Notice, History: adminPrefix + "/audit?type=" + auditInquiries, Errors: forms.Errors,
		Stage: i18n.T(cx, "inquiry.stage."+in.Stage), Open: isOpen(in), Note: forms.Note,
		CanAssign: may(c, permLeadDesk), CanTake: in.AssigneeID == nil && isOpen(in) && !may(c, permLeadDesk)}
	if v.Note.Kind == "" {
		v.Note.Kind = models.NoteReply
	}
	lang, _ := i18n.Parse(in.Language)
	fact := func(labelID, value, path string) {
		if value != "" {
			v.Facts = append(v.Facts, views.AdminFact{Label: i18n.T(cx, labelID), Value: value, Path: path})
		}
	}
	now := time.Now()
	cal, err := models.LoadWorkCalendar(cx, h.db)
	if err != nil {
		return err
	}
	fact("admin.inquiry.received", views.DateTime(cx, in.CreatedAt), "")
	v.Due, v.DueState = h.dueText(c, in, now)
	fact("inbox.col.age", i18n.T(cx, "inbox.age", map[string]any{"N": cal.WorkingDaysSince(in.CreatedAt, now)}), "")
	fact("inquiry.field.name", in.Name, "")
	fact("inquiry.field.company", in.Company, "")
	fact("inquiry.field.origin", in.Origin, "")
	fact("inquiry.field.email", in.Email, "mailto:"+in.Email)
	fact("inquiry.field.phone", in.Phone, "tel:"+in.Phone)
	fact("admin.inquiry.language", lang.Name(), "")
	if in.PlannedAmountYuan != nil {
		fact("admin.inquiry.planned", views.Yuan(cx, *in.PlannedAmountYuan), "")
	}
	if s.Region != nil {
		fact("kind.region", s.Region.Name, "/regions/"+s.Region.Slug)
	}
	if s.Chain != nil {
		fact("kind.chain", s.Chain.Name, "/chains/"+s.Chain.Slug)
	}
	if s.Park != nil {
		fact("kind.park", s.Park.Name, "/parks/"+s.Park.Slug)
	}
	if s.Policy != nil {
		fact("kind.policy", s.Policy.Title, "/policies/"+s.Policy.Slug)
	}
	if s.Project != nil {
		fact("kind.project", s.Project.Name, "/projects/"+s.Project.Slug)
	}
	if s.Brief != nil {
		fact("kind.brief", views.Date(cx, s.Brief.CreatedAt), "/briefs/"+s.Brief.Token)
	}
	if in.CloseReason != nil {
		fact("inbox.close_reason", i18n.T(cx, "inbox.reason."+*in.CloseReason), "")
	}
	if s.DuplicateOf != "" {
		fact("inbox.duplicate_of", s.DuplicateOf, adminPrefix+"/inquiries/"+s.DuplicateOf)
	}
	if s.SignedProject != nil {
		fact("inbox.signed_project", s.SignedProject.Name, adminPrefix+"/projects/"+strconv.FormatInt(s.SignedProject.ID, 10))
	}

	// The stage form offers only the moves the pipeline allows.
	next := models.NextStages(in.Stage)
	v.NextStages = []views.Option{{Value: "", Label: i18n.T(cx, "inbox.stage.choose")}}
	for _, st := range next {
		v.NextStages = append(v.NextStages, views.Option{Value: st, Label: i18n.T(cx, "inquiry.stage."+st), Selected: st == forms.Stage.Stage})
	}
	v.CloseReasons = enumOptions(cx, "inbox.reason.", models.CloseReasons, forms.Stage.CloseReason)
	v.CloseReasons[0].Label = i18n.T(cx, "inbox.reason.choose")
	v.DuplicateOf = forms.Stage.DuplicateOf
	v.OffersSigned = slices.Contains(next, models.InquirySigned)
	if v.OffersSigned {
		projects, err := models.RecentProjectChoices(cx, h.db, 200)
		if err != nil {
			return err
		}
		v.Projects = []views.Option{{Value: "", Label: i18n.T(cx, "inbox.project.choose")}}
		for _, p := range projects {
			id := strconv.FormatInt(p.ID, 10)
			v.Projects = append(v.Projects, views.Option{Value: id, Label: p.Name, Selected: p.ID == forms.Stage.SignedProjectID})
		}
	}
	if v.CanAssign {
		officers, err := models.Officers(cx, h.db)
		if err != nil {
			return err
		}
		v.Assignees = []views.Option{{Value: "", Label: i18n.T(cx, "admin.inquiries.unassigned")}}
		for _, u := range officers {
			id := strconv.FormatInt(u.ID, 10)
			v.Assignees = append(v.Assignees, views.Option{Value: id, Label: u.Name,
				Selected: in.AssigneeID != nil && *in.AssigneeID == u.ID})
		}
	}
	if in.AssigneeID != nil {
		v.Assignee = s.Authors[*in.AssigneeID]
	}
	v.NoteKinds = enumOptions(cx, "inbox.note.", models.StaffNoteKinds, v.Note.Kind)[1:]

	timeline, err := models.InquiryTimeline(cx, h.db, s)
	if err != nil {
		return err
	}
	v.Timeline = append(v.Timeline, views.TimelineRow{At: views.DateTime(cx, in.CreatedAt), Kind: "received",
		Label: i18n.T(cx, "inbox.timeline.received"), Who: in.Name, Body: in.Message})
	for _, e := range timeline {
		v.Timeline = append(v.Timeline, h.timelineRow(c, s, e))
	}
	return render(c, status, views.AdminInquiry(v))
}

// timelineRow is one timeline entry as the inquiry page shows it.
func (h *Handler) timelineRow(c echo.Context, s models.StaffInquiry, e models.TimelineEntry) views.TimelineRow {
	cx := ctx(c)
	row := views.TimelineRow{At: views.DateTime(cx, e.At), Kind: e.Kind, Body: e.Body,
		Label: i18n.T(cx, "inbox.timeline."+e.Kind)}
	switch {
	case e.Investor:
		row.Who = s.Inquiry.Name
	case e.ActorID != nil:
		row.Who = s.Authors[*e.ActorID]
	default:
		row.Who = i18n.T(cx, "inbox.timeline.portal")
	}
	switch e.Kind {
	case "stage":
		row.Body = i18n.T(cx, "inbox.timeline.stage_change", map[string]any{
			"From": i18n.T(cx, "inquiry.stage."+e.From), "To": i18n.T(cx, "inquiry.stage."+e.To)})
	case "assigned", "taken", "reminder", "digest":
		to := e.To
		if to == "" {
			to = i18n.T(cx, "admin.inquiries.unassigned")
		}
		row.Body = i18n.T(cx, "inbox.timeline."+e.Kind+"_body", map[string]any{"To": to})
	}
	return row
}

// AdminChangeInquiryStage moves an inquiry along the pipeline. A move the
// pipeline does not allow, a close without its reason or a signing
// without its project is a 422 that says what is needed.
func (h *Handler) AdminChangeInquiryStage(c echo.Context) error {
	s, err := h.inquiryParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	ch := models.StageChange{Stage: c.FormValue("stage"), CloseReason: c.FormValue("close_reason"),
		DuplicateOf: strings.TrimSpace(c.FormValue("duplicate_of"))}
	if p := c.FormValue("project"); p != "" {
		ch.SignedProjectID, _ = strconv.ParseInt(p, 10, 64)
	}
	if ch.DuplicateOf != "" && !referencePattern.MatchString(ch.DuplicateOf) {
		return h.renderInquiry(c, http.StatusUnprocessableEntity, s, inquiryForms{Stage: ch,
			Errors: map[string]string{"duplicate_of": i18n.T(cx, "inbox.err.duplicate_of")}})
	}
	err = models.ChangeInquiryStage(cx, h.db, inquiryScope(c), s.Inquiry.ID, ch, actor(c))
	var refused *models.StageError
	switch {
	case errors.As(err, &refused):
		msg := i18n.T(cx, "inbox.err."+refused.Field)
		if refused.Field == "stage" {
			allowed := make([]string, len(refused.Allowed))
			for i, st := range refused.Allowed {
				allowed[i] = i18n.T(cx, "inquiry.stage."+st)
			}
			msg = i18n.T(cx, "inbox.err.stage", map[string]any{"From": i18n.T(cx, "inquiry.stage."+s.Inquiry.Stage),
				"Allowed": strings.Join(allowed, i18n.T(cx, "inbox.list_sep"))})
			if len(allowed) == 0 {
				msg = i18n.T(cx, "inbox.err.stage_final", map[string]any{"From": i18n.T(cx, "inquiry.stage."+s.Inquiry.Stage)})
			}
		}
		return h.renderInquiry(c, http.StatusUnprocessableEntity, s, inquiryForms{Stage: ch, Errors: map[string]string{refused.Field: msg}})
	case errors.Is(err, models.ErrInquiryAnonymised):
		return &userError{status: http.StatusConflict, message: i18n.T(cx, "admin.inquiry.anonymised")}
	case errors.Is(err, models.ErrNotFound):
		return echo.ErrNotFound
	case errors.Is(err, models.ErrNoChange):
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/inquiries/"+s.Inquiry.Reference+"?done=stage")
}

// AdminAssignInquiry gives an inquiry to an officer or back to the queue
// (the desk lead's work).
func (h *Handler) AdminAssignInquiry(c echo.Context) error {
	s, err := h.inquiryParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	var assigneeID *int64
	if assignee := c.FormValue("assignee"); assignee != "" {
		officers, err := models.Officers(cx, h.db)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(assignee, 10, 64)
		if err != nil || !slices.ContainsFunc(officers, func(u models.StaffUser) bool { return u.ID == id }) {
			return h.renderInquiry(c, http.StatusUnprocessableEntity, s, inquiryForms{Errors: map[string]string{"assignee": i18n.T(cx, "form.err.choice")}})
		}
		assigneeID = &id
	}
	err = models.AssignInquiry(cx, h.db, s.Inquiry.ID, assigneeID, actor(c))
	if err != nil && !errors.Is(err, models.ErrNoChange) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/inquiries/"+s.Inquiry.Reference+"?done=assigned")
}

// AdminTakeInquiry assigns an unassigned inquiry to the officer taking it;
// one someone else took first is a 409.
func (h *Handler) AdminTakeInquiry(c echo.Context) error {
	s, err := h.inquiryParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	if !isOpen(s.Inquiry) {
		return &userError{status: http.StatusConflict, message: i18n.T(cx, "inbox.err.take_ended")}
	}
	err = models.TakeInquiry(cx, h.db, s.Inquiry.ID, actor(c))
	if errors.Is(err, models.ErrAlreadyTaken) {
		return &userError{status: http.StatusConflict, message: i18n.T(cx, "inbox.err.taken")}
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/inquiries/"+s.Inquiry.Reference+"?done=taken")
}

// AdminAddInquiryNote records a reply (shown to the investor and e-mailed
// to them), a call or meeting with the investor, or an internal note.
func (h *Handler) AdminAddInquiryNote(c echo.Context) error {
	s, err := h.inquiryParam(c)
	if err != nil {
		return err
	}
	cx := ctx(c)
	in := s.Inquiry
	note := views.NoteForm{Body: strings.TrimSpace(strings.ReplaceAll(c.FormValue("body"), "\r\n", "\n")), Kind: c.FormValue("kind")}
	if in.AnonymisedAt != nil {
		return &userError{status: http.StatusConflict, message: i18n.T(cx, "admin.inquiry.anonymised")}
	}
	if !slices.Contains(models.StaffNoteKinds, note.Kind) {
		note.Kind, note.KindError = "", i18n.T(cx, "form.err.choice")
		return h.renderInquiry(c, http.StatusUnprocessableEntity, s, inquiryForms{Note: note})
	}
	if ferr := checkText(note.Body, maxMessage, true, true); ferr != nil {
		note.Error = i18n.T(cx, ferr.ID, ferr.Data)
		return h.renderInquiry(c, http.StatusUnprocessableEntity, s, inquiryForms{Note: note})
	}
	err = models.AddStaffNote(cx, h.db, inquiryScope(c), in, note.Kind, note.Body, actor(c), func(tx *gorm.DB) error {
		return outbox.Enqueue(tx, h.mailDomain(), h.replyMail(in, note.Body)...)
	})
	if errors.Is(err, models.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	if note.Kind == models.NoteReply && h.inquiries.WakeOutbox != nil {
		h.inquiries.WakeOutbox()
	}
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/inquiries/"+in.Reference+"?done="+note.Kind)
}
