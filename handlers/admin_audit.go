package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

func (h *Handler) contentHistory(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := h.loadContent(c, t, true)
		if err != nil {
			return err
		}
		cx := ctx(c)
		heading := i18n.T(cx, "admin.history.title", map[string]any{"Title": r.Values[t.TitleField]})
		return h.renderAudit(c, models.AuditQuery{EntityType: t.Table, EntityID: r.ID}, heading, t.recordPath(r.ID)+"/history", t.recordPath(r.ID))
	}
}

// AdminAuditLog shows the whole audit log, or one content type's.
func (h *Handler) AdminAuditLog(c echo.Context) error {
	cx := ctx(c)
	q := newQueryReader(c)
	table := q.oneOf("type", visibleAuditTypes(c))
	if err := q.err(); err != nil {
		return err
	}
	return h.renderAudit(c, models.AuditQuery{EntityType: table}, i18n.T(cx, "admin.audit.title"), adminPrefix+"/audit", "")
}

// visibleAuditTypes are the entity types whose audit entries the signed-in
// member of staff may read: content for everyone, account changes (which
// hold staff e-mail addresses) and inquiry activity only for those who
// handle them, and the working calendar for the desk lead who edits it.
func visibleAuditTypes(c echo.Context) []string {
	var types []string
	if may(c, permReadContent) {
		for _, t := range contentTypes {
			types = append(types, t.Table)
		}
	}
	if may(c, permManageAccounts) {
		types = append(types, auditStaffUsers)
	}
	if may(c, permWorkInquiries) {
		types = append(types, auditInquiries)
	}
	if may(c, permLeadDesk) {
		types = append(types, models.AuditCalendarOverrides)
	}
	return types
}

func (h *Handler) renderAudit(c echo.Context, query models.AuditQuery, heading, path, back string) error {
	cx := ctx(c)
	q := newQueryReader(c)
	page := q.page()
	if err := q.err(); err != nil {
		return err
	}
	query.EntityTypes, query.Inquiries = visibleAuditTypes(c), inquiryScope(c)
	query.Limit, query.Offset = adminListSize, int(page-1)*adminListSize
	entries, total, err := models.AuditEntries(cx, h.db, query)
	if err != nil {
		return err
	}
	pager, err := newPagerOf(c, path, page, total, adminListSize)
	if err != nil {
		return err
	}
	rows, err := h.auditRows(cx, entries)
	if err != nil {
		return err
	}
	v := views.AdminAuditView{Page: h.adminPage(c, heading), Nav: h.adminNav(c), Heading: heading,
		Rows: rows, Total: total, Pager: pager, Back: back}
	if back == "" {
		v.Types = append(v.Types, views.Option{Value: "", Label: i18n.T(cx, "admin.state.all")})
		for _, table := range query.EntityTypes {
			label := i18n.T(cx, "admin.audit.entity."+table)
			if t, ok := contentTypeForTable(table); ok {
				label = i18n.T(cx, "kind."+t.Kind)
			}
			v.Types = append(v.Types, views.Option{Value: table, Label: label, Selected: table == query.EntityType})
		}
	}
	return render(c, http.StatusOK, views.AdminAudit(v))
}

// Audit entity types other than content.
const (
	auditStaffUsers = "staff_users"
	auditInquiries  = "inquiries"
)

// auditRows makes audit entries readable: field labels instead of column
// names, amounts in 万元, referenced records by title, child rows by row.
func (h *Handler) auditRows(cx context.Context, entries []models.AuditRow) ([]views.AdminAuditRow, error) {
	titles := map[string]map[string]string{} // content type key → id → title
	refTitle := func(key, id string) (string, error) {
		if titles[key] == nil {
			list, err := h.refList(cx, key)
			if err != nil {
				return "", err
			}
			titles[key] = map[string]string{}
			for _, o := range list {
				titles[key][strconv.FormatInt(o.ID, 10)] = o.Title
			}
		}
		if title, ok := titles[key][id]; ok {
			return title, nil
		}
		return "#" + id, nil
	}
	show := func(f adminField, value string) (string, error) {
		switch {
		case value == "":
			return "—", nil
		case f.Widget == widgetRef:
			return refTitle(f.Ref, value)
		case f.Widget == widgetMoney:
			return displayValue(f, value) + " 万元", nil
		case f.Widget == widgetChoice:
			return choiceLabel(cx, f, value), nil
		}
		return value, nil
	}
	rows := make([]views.AdminAuditRow, len(entries))
	for i, e := range entries {
		row := views.AdminAuditRow{At: views.DateTime(cx, e.At), Actor: e.ActorName,
			Action: i18n.T(cx, "admin.audit.do."+e.Action), Entity: "#" + strconv.FormatInt(e.EntityID, 10)}
		if row.Actor == "" {
			row.Actor = i18n.T(cx, "admin.audit.system")
		}
		var changes map[string]json.RawMessage
		_ = json.Unmarshal(e.Changes, &changes)
		t, isContent := contentTypeForTable(e.EntityType)
		if !isContent {
			row.Entity = i18n.T(cx, "admin.audit.entity."+e.EntityType) + " " + row.Entity
			if e.EntityType == auditStaffUsers {
				row.EntityPath = adminPrefix + "/users/" + strconv.FormatInt(e.EntityID, 10)
			}
			for name, raw := range changes {
				var pair [2]*string
				_ = json.Unmarshal(raw, &pair)
				before, after := deref(pair[0]), deref(pair[1])
				if name == "role" || name == "stage" {
					before, after = auditLabel(cx, name, before), auditLabel(cx, name, after)
				}
				row.Changes = append(row.Changes, views.AdminChange{Field: i18n.T(cx, "admin.audit.field."+name), Old: before, New: after})
			}
			rows[i] = row
			continue
		}
		title, err := refTitle(t.Key, strconv.FormatInt(e.EntityID, 10))
		if err != nil {
			return nil, err
		}
		row.Entity = i18n.T(cx, "kind."+t.Kind) + ":" + title
		row.EntityPath = t.recordPath(e.EntityID)
		for _, f := range t.Fields {
			raw, ok := changes[f.Name]
			if !ok {
				continue
			}
			var pair [2]*string
			_ = json.Unmarshal(raw, &pair)
			before, err := show(f, deref(pair[0]))
			if err != nil {
				return nil, err
			}
			after, err := show(f, deref(pair[1]))
			if err != nil {
				return nil, err
			}
			row.Changes = append(row.Changes, views.AdminChange{Field: f.Label, Old: before, New: after})
		}
		for _, ch := range t.Children {
			raw, ok := changes[ch.Table]
			if !ok {
				continue
			}
			var pair [2][]map[string]string
			_ = json.Unmarshal(raw, &pair)
			changed, err := childChanges(ch, pair[0], pair[1], show)
			if err != nil {
				return nil, err
			}
			row.Changes = append(row.Changes, changed...)
		}
		rows[i] = row
	}
	return rows, nil
}

// childChanges lists what changed in repeatable rows, row by row.
func childChanges(ch childSpec, before, after []map[string]string, show func(adminField, string) (string, error)) ([]views.AdminChange, error) {
	var out []views.AdminChange
	summary := func(row map[string]string) (string, error) {
		var parts []string
		for _, f := range ch.Fields {
			if row[f.Name] == "" || row[f.Name] == "false" {
				continue
			}
			s, err := show(f, row[f.Name])
			if err != nil {
				return "", err
			}
			parts = append(parts, f.Label+" "+s)
		}
		return strings.Join(parts, ";"), nil
	}
	for i := range max(len(before), len(after)) {
		label := ch.Label + " 第 " + strconv.Itoa(i+1) + " 行"
		switch {
		case i >= len(before):
			s, err := summary(after[i])
			if err != nil {
				return nil, err
			}
			out = append(out, views.AdminChange{Field: label, Old: "—", New: s})
		case i >= len(after):
			s, err := summary(before[i])
			if err != nil {
				return nil, err
			}
			out = append(out, views.AdminChange{Field: label, Old: s, New: "—"})
		default:
			for _, f := range ch.Fields {
				if before[i][f.Name] == after[i][f.Name] {
					continue
				}
				old, err := show(f, before[i][f.Name])
				if err != nil {
					return nil, err
				}
				now, err := show(f, after[i][f.Name])
				if err != nil {
					return nil, err
				}
				out = append(out, views.AdminChange{Field: label + " " + f.Label, Old: old, New: now})
			}
		}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func contentTypeForTable(table string) (contentType, bool) {
	for _, t := range contentTypes {
		if t.Table == table {
			return t, true
		}
	}
	return contentType{}, false
}

// auditLabel names a role or an inquiry stage as the admin shows it.
func auditLabel(cx context.Context, field, value string) string {
	switch {
	case value == "":
		return "—"
	case field == "role":
		return i18n.T(cx, "admin.role."+value)
	default:
		return i18n.T(cx, "inquiry.stage."+value)
	}
}
