package handlers

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/views/i18n"
)

// AdminInquiriesCSV exports the filtered inbox as CSV for Excel: UTF-8
// with a byte-order mark (without it Excel reads Chinese as mojibake),
// dates as yyyy-mm-dd hh:mm (which Excel reads as dates), and every text
// cell that a spreadsheet would run as a formula neutralised. The export
// holds personal data: it sees exactly what the inbox does, no more.
func (h *Handler) AdminInquiriesCSV(c echo.Context) error {
	cx := ctx(c)
	query, _, _, err := h.inboxQuery(c)
	if err != nil {
		return err
	}
	cal, err := models.LoadWorkCalendar(cx, h.db)
	if err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="inquiries-`+time.Now().In(calendar.Beijing).Format("20060102")+`.csv"`)
	res.Header().Set("Cache-Control", "no-store")
	res.WriteHeader(http.StatusOK)
	if _, err := res.Write([]byte("\uFEFF")); err != nil {
		return err
	}
	w := csv.NewWriter(res)
	w.UseCRLF = true // what Excel writes and expects
	header := []string{"reference", "received", "due", "first_response", "age_working_days", "stage", "close_reason",
		"priority", "dormant", "name", "company", "origin", "email", "phone", "region", "chain", "planned_wan_yuan", "assignee", "message"}
	for i, id := range header {
		header[i] = i18n.T(cx, "inbox.csv."+id)
	}
	if err := w.Write(header); err != nil {
		return err
	}
	now := time.Now()
	rows := 0
	err = models.EachInquiry(cx, h.db, query, func(it models.InquiryListItem) error {
		in := it.Inquiry
		region, _ := i18n.Content(cx, it.RegionName, it.RegionNameEn)
		chain, _ := i18n.Content(cx, it.ChainName, it.ChainNameEn)
		reason := ""
		if in.CloseReason != nil {
			reason = i18n.T(cx, "inbox.reason."+*in.CloseReason)
		}
		planned := ""
		if in.PlannedAmountYuan != nil {
			planned = strconv.FormatFloat(float64(*in.PlannedAmountYuan)/10000, 'f', -1, 64)
		}
		dormant := ""
		if it.Dormant {
			dormant = i18n.T(cx, "inbox.dormant")
		}
		rows++
		return w.Write([]string{in.Reference, spreadsheetTime(&in.CreatedAt), spreadsheetTime(in.ResponseDueAt),
			spreadsheetTime(in.FirstResponseAt), strconv.Itoa(cal.WorkingDaysSince(in.CreatedAt, now)),
			i18n.T(cx, "inquiry.stage."+in.Stage), reason, i18n.T(cx, "inbox.priority."+priorityName(it.Priority)), dormant,
			spreadsheetText(in.Name), spreadsheetText(in.Company), spreadsheetText(in.Origin), spreadsheetText(in.Email),
			spreadsheetText(in.Phone), spreadsheetText(region), spreadsheetText(chain), planned,
			spreadsheetText(it.AssigneeName), spreadsheetText(in.Message)})
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	// Who exported how much, never what: the rows are personal data.
	h.log.InfoContext(cx, "inquiries exported", "staff_id", currentStaff(c).ID, "rows", rows)
	return err
}

// spreadsheetTime is a moment as Excel reads a date and time, in Beijing.
func spreadsheetTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(calendar.Beijing).Format("2006-01-02 15:04")
}

// spreadsheetText neutralises text a spreadsheet would take for a formula
// (=, +, -, @, or a leading tab or carriage return, as OWASP lists): a
// leading apostrophe makes it plain text, shown as typed.
func spreadsheetText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
