package handlers

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/views"
	"investportal/views/i18n"
)

// A content form is read into canonical text (see models.Record) and shown
// again from it. Child rows are named <table>.<row>.<column>, with
// <table>.rows saying how many rows the form held.

const (
	maxChildRows = 200
	yuanPerWan   = 10_000
)

var (
	languageListPattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z]{2,4})?(,[a-z]{2,3}(-[A-Za-z]{2,4})?)*$`)
	contactPhonePattern = regexp.MustCompile(`^[0-9+() -]{0,30}$`)
	maxMoneyWan         = decimal.NewFromInt(100_000_000_000) // 10 000 亿元 × 100: far above any project
)

// refOptions are the records each widgetRef may point at, by content type key.
type refOptions map[string][]models.RefOption

func (r refOptions) has(key, id string) bool {
	return slices.ContainsFunc(r[key], func(o models.RefOption) bool { return strconv.FormatInt(o.ID, 10) == id })
}

// loadRefOptions reads the records the fields of a content type point at.
func (h *Handler) loadRefOptions(cx context.Context, t contentType) (refOptions, error) {
	refs := refOptions{}
	fields := slices.Clone(t.Fields)
	for _, ch := range t.Children {
		fields = append(fields, ch.Fields...)
	}
	for _, f := range fields {
		if f.Widget != widgetRef || refs[f.Ref] != nil {
			continue
		}
		list, err := h.refList(cx, f.Ref)
		if err != nil {
			return nil, err
		}
		refs[f.Ref] = list
	}
	return refs, nil
}

// refList reads what a widgetRef may point at: records of a content type,
// or the accounts projects can be assigned to.
func (h *Handler) refList(cx context.Context, key string) ([]models.RefOption, error) {
	if key == refOfficers {
		officers, err := models.Officers(cx, h.db)
		list := make([]models.RefOption, len(officers))
		for i, u := range officers {
			list[i] = models.RefOption{ID: u.ID, Title: u.Name}
		}
		return list, err
	}
	target, _ := contentTypeByKey(key)
	return models.RefOptions(cx, h.db, target.Table, target.TitleField)
}

// contentForm is a submitted form: what was typed (to show again) and what
// it means (to store), with what is wrong per field.
type contentForm struct {
	typed    map[string]string
	rows     map[string][]map[string]string // typed child rows, blank rows kept for re-showing
	record   models.Record
	errs     fieldErrors
	addRowTo string     // a child table the editor asked for one more row in
	refs     refOptions // the reference lists read to check it, reused to show it again
}

// readContentForm reads and checks a content form.
func readContentForm(form url.Values, t contentType, id int64, refs refOptions) contentForm {
	f := contentForm{typed: map[string]string{}, rows: map[string][]map[string]string{}, errs: fieldErrors{},
		record: models.Record{ID: id, Values: map[string]string{}, Children: map[string][]map[string]string{}}}
	f.record.LockVersion, _ = strconv.Atoi(form.Get("lock_version"))
	if action, ok := strings.CutPrefix(form.Get("_action"), "add:"); ok {
		f.addRowTo = action
	}
	for _, field := range t.Fields {
		raw := form.Get(field.Name)
		f.typed[field.Name] = raw
		value, err := parseField(field, raw, refs)
		if err != nil {
			f.errs[field.Name] = *err
		}
		f.record.Values[field.Name] = value
	}
	f.record.Values["id"] = strconv.FormatInt(id, 10) // for rules such as "not its own parent"
	if t.check != nil {
		t.check(f.record.Values, f.errs)
	}
	delete(f.record.Values, "id")

	for _, ch := range t.Children {
		n, _ := strconv.Atoi(form.Get(ch.Table + ".rows"))
		rows := []map[string]string{}
		for i := range min(n, maxChildRows) {
			prefix := ch.Table + "." + strconv.Itoa(i) + "."
			typed := map[string]string{}
			blank := true
			for _, field := range ch.Fields {
				typed[field.Name] = form.Get(prefix + field.Name)
				if typed[field.Name] != "" {
					blank = false
				}
			}
			if blank || form.Get(prefix+"_remove") != "" {
				continue // an empty row, or one marked for removal
			}
			prefix = ch.Table + "." + strconv.Itoa(len(f.rows[ch.Table])) + "."
			f.rows[ch.Table] = append(f.rows[ch.Table], typed)
			row := map[string]string{}
			for _, field := range ch.Fields {
				value, err := parseField(field, typed[field.Name], refs)
				if err != nil {
					f.errs[prefix+field.Name] = *err
				}
				row[field.Name] = value
			}
			if ch.check != nil {
				ch.check(row, f.errs, prefix)
			}
			rows = append(rows, row)
		}
		if ch.checkRows != nil {
			ch.checkRows(rows, f.errs, func(i int) string { return ch.Table + "." + strconv.Itoa(i) + "." })
		}
		f.record.Children[ch.Table] = rows
	}
	return f
}

// parseField checks one typed value and returns it as canonical text.
func parseField(f adminField, raw string, refs refOptions) (string, *fieldError) {
	multiline := f.Widget == widgetTextarea || f.Widget == widgetMarkdown
	value := strings.TrimSpace(strings.ReplaceAll(raw, "\r\n", "\n"))
	max := f.Max
	if max == 0 {
		max = 100
	}
	if value == "" && f.Required && (f.Widget == widgetChoice || f.Widget == widgetRef) {
		return "", &fieldError{ID: "form.err.choice"}
	}
	if err := checkText(value, max, f.Required, multiline); err != nil {
		return "", err
	}
	if value == "" {
		if f.Widget == widgetCheckbox {
			return "false", nil
		}
		if f.Widget == widgetChoice && !slices.Contains(f.Choices, "") {
			return "", &fieldError{ID: "form.err.choice"}
		}
		return "", nil
	}
	bad := func(id string) (string, *fieldError) { return "", &fieldError{ID: id} }
	switch f.Widget {
	case widgetMarkdown:
		return views.SanitizeMarkdown(value), nil
	case widgetSlug:
		if !models.ValidSlug(value) {
			return bad("admin.err.slug")
		}
	case widgetChoice:
		if !slices.Contains(f.Choices, value) {
			return bad("form.err.choice")
		}
	case widgetRef:
		if !refs.has(f.Ref, value) {
			return bad("form.err.choice")
		}
	case widgetDate:
		d, err := time.Parse(time.DateOnly, value)
		if err != nil || d.Year() < 1900 || d.Year() > 2100 {
			return bad("admin.err.date")
		}
		return d.Format(time.DateOnly), nil
	case widgetTime:
		at, err := time.ParseInLocation(models.TimeLayout, strings.Replace(value, " ", "T", 1), calendar.Beijing)
		if err != nil || at.Year() < 2000 || at.Year() > 2100 {
			return bad("admin.err.time")
		}
		return at.Format(models.TimeLayout), nil
	case widgetMoney:
		wan, err := decimal.NewFromString(strings.ReplaceAll(value, ",", ""))
		if err != nil || wan.IsNegative() || wan.Exponent() < -4 || wan.GreaterThan(maxMoneyWan) {
			return bad("admin.err.money")
		}
		return strconv.FormatInt(wan.Mul(decimal.NewFromInt(yuanPerWan)).IntPart(), 10), nil
	case widgetInt:
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil || n < 0 {
			return bad("admin.err.int")
		}
		return strconv.FormatInt(n, 10), nil
	case widgetDecimal:
		digits, decimals := orDefault(f.Digits, 8), orDefault(f.Decimals, 2)
		d, err := decimal.NewFromString(strings.ReplaceAll(value, ",", ""))
		if err != nil || d.IsNegative() || d.Exponent() < -decimals ||
			!d.LessThan(decimal.New(1, digits)) {
			return bad("admin.err.decimal")
		}
		return models.TrimDecimal(d.String()), nil
	case widgetCheckbox:
		return "true", nil
	case widgetURL:
		u, err := url.Parse(value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("admin.err.url")
		}
	case widgetEmail:
		email, ok := parseEmail(value)
		if !ok {
			return bad("form.err.email")
		}
		return email, nil
	case widgetPhone:
		if !contactPhonePattern.MatchString(value) {
			return bad("admin.err.phone")
		}
	}
	return value, nil
}

// orDefault is n, or fallback when n is unset.
func orDefault[N int | int32](n, fallback N) N {
	if n == 0 {
		return fallback
	}
	return n
}

// displayValue is how a canonical value is typed in the form.
func displayValue(f adminField, value string) string {
	if f.Widget == widgetMoney && value != "" {
		if yuan, err := decimal.NewFromString(value); err == nil {
			return yuan.Div(decimal.NewFromInt(yuanPerWan)).String()
		}
	}
	return value
}

// displayRecord is a stored record as its form shows it.
func displayRecord(t contentType, r models.Record) (map[string]string, map[string][]map[string]string) {
	typed := map[string]string{}
	for _, f := range t.Fields {
		typed[f.Name] = displayValue(f, r.Values[f.Name])
	}
	rows := map[string][]map[string]string{}
	for _, ch := range t.Children {
		for _, stored := range r.Children[ch.Table] {
			row := map[string]string{}
			for _, f := range ch.Fields {
				row[f.Name] = displayValue(f, stored[f.Name])
			}
			rows[ch.Table] = append(rows[ch.Table], row)
		}
	}
	return typed, rows
}

// formFields builds the inputs of a form from typed values and errors.
func formFields(cx context.Context, fields []adminField, typed map[string]string, errs fieldErrors, prefix string, refs refOptions) []views.AdminField {
	out := make([]views.AdminField, len(fields))
	for i, f := range fields {
		v := views.AdminField{Name: prefix + f.Name, Label: f.Label, Value: typed[f.Name], Help: f.Help,
			Required: f.Required, Max: f.Max, Widget: f.Widget.input()}
		if e, ok := errs[prefix+f.Name]; ok {
			v.Error = i18n.T(cx, e.ID, e.Data)
		}
		switch f.Widget {
		case widgetChoice:
			if !slices.Contains(f.Choices, "") {
				v.Options = append(v.Options, views.Option{Value: "", Label: "请选择"})
			}
			for _, c := range f.Choices {
				v.Options = append(v.Options, views.Option{Value: c, Label: choiceLabel(cx, f, c), Selected: c == v.Value})
			}
		case widgetRef:
			v.Options = append(v.Options, views.Option{Value: "", Label: "—"})
			for _, o := range refs[f.Ref] {
				id := strconv.FormatInt(o.ID, 10)
				v.Options = append(v.Options, views.Option{Value: id, Label: o.Title, Selected: id == v.Value})
			}
		}
		out[i] = v
	}
	return out
}

func choiceLabel(cx context.Context, f adminField, value string) string {
	if f.Labels != "" {
		return i18n.T(cx, f.Labels+value)
	}
	if label, ok := fixedLabels[value]; ok {
		return label
	}
	return value
}

// input is the HTML control a widget is typed in.
func (w fieldWidget) input() string {
	switch w {
	case widgetTextarea:
		return "textarea"
	case widgetMarkdown:
		return "markdown"
	case widgetChoice, widgetRef:
		return "select"
	case widgetDate:
		return "date"
	case widgetTime:
		return "datetime-local"
	case widgetCheckbox:
		return "checkbox"
	case widgetMoney, widgetDecimal, widgetInt:
		return "number"
	case widgetURL:
		return "url"
	case widgetEmail:
		return "email"
	case widgetPhone:
		return "tel"
	default:
		return "text"
	}
}
