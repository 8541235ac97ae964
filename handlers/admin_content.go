package handlers

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

const adminListSize = 30

func (t contentType) adminPath() string { return adminPrefix + "/" + t.Key }

func (t contentType) recordPath(id int64) string {
	return t.adminPath() + "/" + strconv.FormatInt(id, 10)
}

// mayEdit says whether the signed-in account may change a stored record:
// any record with permEditContent, the projects it follows as their officer
// with permEditAssignedProjects.
func mayEdit(c echo.Context, t contentType, stored models.Record) bool {
	if may(c, permEditContent) {
		return true
	}
	return may(c, permEditAssignedProjects) && t.Key == "projects" && stored.ID != 0 &&
		stored.Values["officer_id"] == strconv.FormatInt(currentStaff(c).ID, 10)
}

func actor(c echo.Context) models.Actor {
	return models.Actor{StaffID: currentStaff(c).ID, RequestID: requestID(c)}
}

func idParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// loadContent reads the record an admin URL names; a deleted one only when
// allowed.
func (h *Handler) loadContent(c echo.Context, t contentType, deletedToo bool) (models.Record, error) {
	id, err := idParam(c)
	if err != nil {
		return models.Record{}, err
	}
	r, err := models.LoadRecord(ctx(c), h.db, t.editable(), id)
	if errors.Is(err, models.ErrNotFound) || (err == nil && r.DeletedAt != nil && !deletedToo) {
		return models.Record{}, echo.ErrNotFound
	}
	return r, err
}

func (h *Handler) contentList(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error {
		cx := ctx(c)
		q := newQueryReader(c)
		text := q.text("q", 100)
		state := q.oneOf("state", []string{models.StateDraft, models.StatePublished, models.StateScheduled, models.StateDeleted})
		mine := t.Key == "projects" && q.oneOf("mine", []string{"1"}) == "1"
		english := q.oneOf("english", []string{models.EnglishMissing, models.EnglishStale})
		page := q.page()
		if err := q.err(); err != nil {
			return err
		}
		query := models.RecordListQuery{Text: text, State: state, English: english, Limit: adminListSize, Offset: int(page-1) * adminListSize}
		if mine {
			query.OfficerID = currentStaff(c).ID
		}
		items, total, err := models.ListRecords(cx, h.db, t.editable(), query)
		if err != nil {
			return err
		}
		pager, err := newPagerOf(c, t.adminPath(), page, total, adminListSize)
		if err != nil {
			return err
		}
		kind := i18n.T(cx, "kind."+t.Kind)
		v := views.AdminListView{Page: h.adminPage(c, kind), Nav: h.adminNav(c), Heading: kind, Path: t.adminPath(),
			NewPath: t.adminPath() + "/new", CanEdit: may(c, permEditContent), Query: text, Total: total, Pager: pager,
			Restore: state == models.StateDeleted}
		if t.Key == "projects" {
			v.MinePath, v.Mine = t.adminPath()+"?mine=1", mine
		}
		v.States = append(v.States, views.Option{Value: "", Label: i18n.T(cx, "admin.state.all")})
		for _, s := range []string{models.StateDraft, models.StatePublished, models.StateScheduled, models.StateDeleted} {
			v.States = append(v.States, views.Option{Value: s, Label: i18n.T(cx, "admin.state."+s), Selected: s == state})
		}
		if len(t.englishPairs()) > 0 {
			v.English = []views.Option{{Value: "", Label: i18n.T(cx, "admin.state.all")}}
			for _, s := range []string{models.EnglishMissing, models.EnglishStale} {
				v.English = append(v.English, views.Option{Value: s, Label: i18n.T(cx, "admin.english."+s), Selected: s == english})
			}
		}
		if c.QueryParam("deleted") != "" {
			v.Notice = i18n.T(cx, "admin.deleted")
		}
		for _, it := range items {
			row := views.AdminListRow{Title: it.Title, Slug: it.Slug, State: it.State,
				StateLabel: stateLabel(c, it.State, it.PublishAt), Updated: views.DateTime(cx, it.UpdatedAt),
				EditPath: t.recordPath(it.ID), PublicPath: t.PublicPath + it.Slug, English: it.English}
			if it.English != "" {
				row.EnglishLabel = i18n.T(cx, "admin.english."+it.English)
			}
			v.Rows = append(v.Rows, row)
		}
		return render(c, http.StatusOK, views.AdminList(v))
	}
}

func stateLabel(c echo.Context, state string, publishAt *time.Time) string {
	label := i18n.T(ctx(c), "admin.state."+state)
	if state == models.StateScheduled && publishAt != nil {
		label += " " + views.DateTime(ctx(c), *publishAt)
	}
	return label
}

// newRecordDefaults are the values a new record's form starts with.
var newRecordDefaults = map[string]string{
	"status": models.StatusDraft, "script": "zh-Hans", "build_type": "new",
	"stage": models.StageSigned, "completed_investment_yuan": "0",
}

func (h *Handler) contentNew(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error {
		typed := map[string]string{}
		for _, f := range t.Fields {
			typed[f.Name] = newRecordDefaults[f.Name]
		}
		return h.renderContentForm(c, t, http.StatusOK, models.Record{}, contentForm{typed: typed}, "")
	}
}

func (h *Handler) contentCreate(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error { return h.contentSave(c, t, 0) }
}

func (h *Handler) contentUpdate(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		return h.contentSave(c, t, id)
	}
}

// contentSave checks a submitted form and creates or updates the record;
// on any problem it shows the form again with everything as typed.
func (h *Handler) contentSave(c echo.Context, t contentType, id int64) error {
	cx := ctx(c)
	stored := models.Record{}
	if id != 0 {
		var err error
		if stored, err = h.loadContent(c, t, false); err != nil {
			return err
		}
	}
	refs, err := h.loadRefOptions(cx, t)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	if id != 0 && !mayEdit(c, t, stored) {
		return &userError{status: http.StatusForbidden, message: i18n.T(cx, "admin.forbidden_record")}
	}
	f := readContentForm(form, t, id, refs)
	f.refs = refs
	if !may(c, permEditContent) {
		// An officer cannot hand the project on: only its other fields change.
		f.record.Values["officer_id"], f.typed["officer_id"] = stored.Values["officer_id"], stored.Values["officer_id"]
		delete(f.errs, "officer_id")
	}
	if f.addRowTo != "" {
		return h.renderContentForm(c, t, http.StatusOK, stored, f, "")
	}
	if err := h.fillSlug(c, t, &f); err != nil {
		return err
	}
	if err := h.checkParent(c, t, &f); err != nil {
		return err
	}
	if len(f.errs) > 0 {
		return h.renderContentForm(c, t, http.StatusUnprocessableEntity, stored, f, "")
	}
	if id == 0 {
		id, err = models.CreateRecord(cx, h.db, t.editable(), f.record, actor(c))
	} else {
		err = models.UpdateRecord(cx, h.db, t.editable(), f.record, actor(c))
	}
	var conflict *models.EditConflict
	var violation *models.CheckViolation
	switch {
	case errors.As(err, &conflict):
		return h.renderConflict(c, t, f, conflict)
	case errors.Is(err, models.ErrSlugTaken):
		f.errs["slug"] = fieldError{ID: "admin.err.slug_taken"}
		return h.renderContentForm(c, t, http.StatusUnprocessableEntity, stored, f, "")
	case errors.As(err, &violation) && t.ParentField != "" && violation.Constraint == t.Table+"_parent_cycle":
		// Someone else's change made the loop meanwhile; the database refused it.
		f.errs[t.ParentField] = fieldError{ID: "admin.err.parent_cycle"}
		return h.renderContentForm(c, t, http.StatusUnprocessableEntity, stored, f, "")
	case errors.As(err, &violation):
		h.log.Warn("admin save refused by the database", "request_id", requestID(c), "constraint", violation.Constraint)
		f.errs["form"] = fieldError{ID: "admin.err.refused", Data: map[string]any{"Rule": violation.Constraint}}
		return h.renderContentForm(c, t, http.StatusUnprocessableEntity, stored, f, "")
	case errors.Is(err, models.ErrNoChange):
		return c.Redirect(http.StatusSeeOther, t.recordPath(id)+"?unchanged=1")
	case errors.Is(err, models.ErrNotFound):
		return echo.ErrNotFound
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, t.recordPath(id)+"?saved=1")
}

// checkParent refuses a parent that is the record itself or lies below it:
// the record would become its own ancestor, and the public pages that walk
// the tree would have no top to stop at.
func (h *Handler) checkParent(c echo.Context, t contentType, f *contentForm) error {
	if t.ParentField == "" || f.record.ID == 0 || f.errs[t.ParentField].ID != "" || f.record.Values[t.ParentField] == "" {
		return nil
	}
	parent, err := strconv.ParseInt(f.record.Values[t.ParentField], 10, 64)
	if err != nil {
		return err
	}
	loops, err := models.LiesBelow(ctx(c), h.db, t.Table, t.ParentField, parent, f.record.ID)
	if loops {
		f.errs[t.ParentField] = fieldError{ID: "admin.err.parent_cycle"}
	}
	return err
}

// fillSlug makes a slug from the title when none was typed, numbered when
// another record has it, and checks a typed one is free.
func (h *Handler) fillSlug(c echo.Context, t contentType, f *contentForm) error {
	if _, bad := f.errs["slug"]; bad {
		return nil
	}
	typed := f.record.Values["slug"]
	base := typed
	if base == "" {
		base = models.SlugFromTitle(f.record.Values[t.TitleField])
		if base == "" {
			if _, bad := f.errs[t.TitleField]; !bad {
				f.errs["slug"] = fieldError{ID: "admin.err.slug_needed"}
			}
			return nil
		}
	}
	for n := 1; n < 100; n++ {
		slug := base
		if n > 1 {
			suffix := "-" + strconv.Itoa(n)
			slug = base[:min(len(base), models.MaxSlugLength-len(suffix))] + suffix
		}
		taken, err := models.SlugTaken(ctx(c), h.db, t.Table, slug, f.record.ID)
		if err != nil {
			return err
		}
		if !taken {
			f.record.Values["slug"] = slug
			return nil
		}
		if typed != "" {
			f.errs["slug"] = fieldError{ID: "admin.err.slug_taken"}
			return nil
		}
	}
	f.errs["slug"] = fieldError{ID: "admin.err.slug_taken"}
	return nil
}

// renderConflict shows the form again as typed, says who saved meanwhile
// and which fields now differ, and takes the new version so that saving
// again is a deliberate choice to overwrite.
func (h *Handler) renderConflict(c echo.Context, t contentType, f contentForm, conflict *models.EditConflict) error {
	current, currentRows := displayRecord(t, conflict.Current)
	var rows []views.AdminConflictRow
	for _, field := range t.Fields {
		if current[field.Name] != f.typed[field.Name] && !(field.Name == "slug" && f.typed["slug"] == "") {
			rows = append(rows, views.AdminConflictRow{Label: field.Label, Stored: current[field.Name], Typed: f.typed[field.Name]})
		}
	}
	for _, ch := range t.Children {
		if !slices.EqualFunc(currentRows[ch.Table], f.rows[ch.Table], maps.Equal) {
			rows = append(rows, views.AdminConflictRow{Label: ch.Label,
				Stored: strconv.Itoa(len(currentRows[ch.Table])) + " 行", Typed: strconv.Itoa(len(f.rows[ch.Table])) + " 行"})
		}
	}
	f.record.LockVersion = conflict.Current.LockVersion
	name := conflict.ByName
	if name == "" {
		name = i18n.T(ctx(c), "admin.conflict.someone")
	}
	return h.renderContentFormWith(c, t, http.StatusConflict, conflict.Current, f, "", func(v *views.AdminFormView) {
		v.ConflictBy, v.Conflict = name, rows
	})
}

func (h *Handler) contentEdit(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := h.loadContent(c, t, false)
		if err != nil {
			return err
		}
		typed, rows := displayRecord(t, r)
		notice := ""
		switch {
		case c.QueryParam("saved") != "":
			notice = i18n.T(ctx(c), "admin.saved")
		case c.QueryParam("unchanged") != "":
			notice = i18n.T(ctx(c), "admin.unchanged")
		}
		f := contentForm{typed: typed, rows: rows, record: r}
		return h.renderContentForm(c, t, http.StatusOK, r, f, notice)
	}
}

func (h *Handler) renderContentForm(c echo.Context, t contentType, status int, stored models.Record, f contentForm, notice string) error {
	return h.renderContentFormWith(c, t, status, stored, f, notice, nil)
}

func (h *Handler) renderContentFormWith(c echo.Context, t contentType, status int, stored models.Record, f contentForm, notice string, adjust func(*views.AdminFormView)) error {
	cx := ctx(c)
	refs := f.refs
	if refs == nil {
		var err error
		if refs, err = h.loadRefOptions(cx, t); err != nil {
			return err
		}
	}
	kind := i18n.T(cx, "kind."+t.Kind)
	v := views.AdminFormView{Nav: h.adminNav(c), Kind: kind, ListPath: t.adminPath(), Notice: notice,
		ReadOnly: !mayEdit(c, t, stored), LockVersion: f.record.LockVersion,
		Fields: formFields(cx, t.Fields, f.typed, f.errs, "", refs)}
	if stored.ID == 0 {
		v.Heading = i18n.T(cx, "admin.new", map[string]any{"Kind": kind})
		v.Action = t.adminPath()
	} else {
		v.Heading = stored.Values[t.TitleField]
		v.Action = t.recordPath(stored.ID)
		v.PreviewPath = v.Action + "/preview"
		v.HistoryPath = v.Action + "/history"
		if may(c, permEditContent) {
			v.DeletePath = v.Action + "/delete"
		}
		state := stored.State(time.Now())
		v.State = i18n.T(cx, "admin.state."+state)
		// The funnel from inquiry to project: the inquiries this project
		// was signed from, for those who may open them.
		if t.Table == "projects" && may(c, permWorkInquiries) {
			refs, err := models.InquiriesSignedAs(cx, h.db, inquiryScope(c), stored.ID)
			if err != nil {
				return err
			}
			for _, ref := range refs {
				v.Related = append(v.Related, views.AdminFact{Label: i18n.T(cx, "inbox.signed_from"), Value: ref, Path: adminPrefix + "/inquiries/" + ref})
			}
		}
		if state == models.StatePublished {
			v.PublicPath = t.PublicPath + stored.Values["slug"]
		}
	}
	v.Page = h.adminPage(c, v.Heading)
	for _, ch := range t.Children {
		rows := f.rows[ch.Table]
		if !v.ReadOnly {
			rows = append(rows, map[string]string{}) // one empty row to add to
			if f.addRowTo == ch.Table {
				rows = append(rows, map[string]string{})
			}
		}
		block := views.AdminChildRows{Table: ch.Table, Label: ch.Label}
		for _, field := range ch.Fields {
			block.Headers = append(block.Headers, field.Label)
		}
		for i, row := range rows {
			block.Rows = append(block.Rows, formFields(cx, ch.Fields, row, f.errs, ch.Table+"."+strconv.Itoa(i)+".", refs))
		}
		v.Children = append(v.Children, block)
	}
	if len(f.errs) > 0 {
		v.ErrorSummary = i18n.T(cx, "admin.errors", map[string]any{"N": len(f.errs)})
		if e, ok := f.errs["form"]; ok {
			v.ErrorSummary += " " + i18n.T(cx, e.ID, e.Data)
		}
	}
	if adjust != nil {
		adjust(&v)
	}
	return render(c, status, views.AdminForm(v))
}

func (h *Handler) contentDeleteForm(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := h.loadContent(c, t, false)
		if err != nil {
			return err
		}
		cx := ctx(c)
		kind := i18n.T(cx, "kind."+t.Kind)
		v := views.AdminDeleteView{Page: h.adminPage(c, i18n.T(cx, "admin.delete.title", map[string]any{"Kind": kind})),
			Nav: h.adminNav(c), Kind: kind, Title: r.Values[t.TitleField],
			Action: t.recordPath(r.ID) + "/delete", EditPath: t.recordPath(r.ID)}
		if r.State(time.Now()) == models.StatePublished {
			v.PublicPath = t.PublicPath + r.Values["slug"]
		}
		return render(c, http.StatusOK, views.AdminDelete(v))
	}
}

func (h *Handler) contentDelete(t contentType) echo.HandlerFunc {
	return h.contentSetDeleted(t, models.DeleteRecord, func(int64) string { return t.adminPath() + "?deleted=1" })
}

func (h *Handler) contentRestore(t contentType) echo.HandlerFunc {
	return h.contentSetDeleted(t, models.RestoreRecord, func(id int64) string { return t.recordPath(id) + "?saved=1" })
}

// contentSetDeleted deletes or restores a record, then redirects.
func (h *Handler) contentSetDeleted(t contentType, change func(context.Context, *gorm.DB, models.EditableTable, int64, models.Actor) error, next func(int64) string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		err = change(ctx(c), h.db, t.editable(), id, actor(c))
		if errors.Is(err, models.ErrNotFound) {
			return echo.ErrNotFound
		} else if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, next(id))
	}
}
