package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/outbox"
	"investportal/views"
	"investportal/views/i18n"
)

// The desk's scheduled e-mails, in Simplified Chinese, the staff's
// language: an officer's reminder on the morning an inquiry falls due, and
// the desk lead's daily digest. They say which inquiry (reference and
// company), by when, and where to work it; never what the investor wrote
// or how to reach them: that stays behind the admin's sign-in.

// DeskReminders is the scheduled job that sends the desk's reminders due
// at now (see models.SendDeskReminders), for cmd/portal to run under a
// job lease. It wakes the mail worker when it queued something.
func DeskReminders(d Deps) func(ctx context.Context, now time.Time) error {
	h := &Handler{db: d.DB, log: d.Log, baseURL: d.BaseURL, inquiries: d.Inquiries}
	mail := models.DeskMail{
		Reminder: func(tx *gorm.DB, r models.DueReminder) error {
			return outbox.Enqueue(tx, h.mailDomain(), h.reminderMail(r))
		},
		Digest: func(tx *gorm.DB, dg models.DeskDigest) error {
			return outbox.Enqueue(tx, h.mailDomain(), h.digestMail(dg))
		},
	}
	return func(ctx context.Context, now time.Time) error {
		sent, err := models.SendDeskReminders(ctx, h.db, now, mail)
		if sent.Reminders+sent.Digests > 0 {
			h.log.Info("desk reminders queued", "reminders", sent.Reminders, "digests", sent.Digests)
			if h.inquiries.WakeOutbox != nil {
				h.inquiries.WakeOutbox()
			}
		}
		return err
	}
}

// adminInquiryURL is an inquiry's page in the admin, for e-mails.
func (h *Handler) adminInquiryURL(reference string) string {
	return h.absoluteURL(i18n.Hans, "/admin/inquiries/"+reference)
}

// staffMailFooter ends every desk e-mail.
const staffMailFooter = "此邮件由投资促进门户自动发送,请勿直接回复。"

// reminderMail tells an officer that an inquiry of theirs is due today.
func (h *Handler) reminderMail(r models.DueReminder) outbox.Message {
	cx := i18n.WithLang(context.Background(), i18n.Hans)
	var b strings.Builder
	fmt.Fprintf(&b, "%s,您好:\n\n您负责的投资咨询今天到期,请尽快首次答复投资者(在门户中回复,或记录电话沟通)。\n\n", r.OfficerName)
	fmt.Fprintf(&b, "咨询编号:%s\n", r.Reference)
	if r.Company != "" {
		fmt.Fprintf(&b, "企业:%s\n", r.Company)
	}
	fmt.Fprintf(&b, "答复期限:%s\n处理页面:%s\n\n%s\n", views.DateTime(cx, r.ResponseDueAt), h.adminInquiryURL(r.Reference), staffMailFooter)
	id := r.InquiryID
	return outbox.Message{InquiryID: &id, ToAddress: r.OfficerEmail,
		Subject: fmt.Sprintf("今日到期:咨询 %s 待首次答复", r.Reference), Body: b.String()}
}

// digestMail lists for a desk lead the inquiries past their due time and
// then those nobody works.
func (h *Handler) digestMail(d models.DeskDigest) outbox.Message {
	cx := i18n.WithLang(context.Background(), i18n.Hans)
	var overdue, unassigned []models.DigestInquiry
	for _, in := range d.Inquiries {
		if in.Overdue {
			overdue = append(overdue, in)
		} else {
			unassigned = append(unassigned, in)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s,您好:\n\n以下投资咨询需要您关注。\n", d.RecipientName)
	section := func(title string, list []models.DigestInquiry) {
		if len(list) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s(%d 条)\n", title, len(list))
		for _, in := range list {
			fmt.Fprintf(&b, "\n· %s", in.Reference)
			if in.Company != "" {
				fmt.Fprintf(&b, " %s", in.Company)
			}
			due := "未设定"
			if in.ResponseDueAt != nil {
				due = views.DateTime(cx, *in.ResponseDueAt)
			}
			fmt.Fprintf(&b, "\n  答复期限:%s\n  负责人:%s\n  处理页面:%s\n", due, assigneeLabel(in), h.adminInquiryURL(in.Reference))
		}
	}
	section("已逾期、尚未首次答复", overdue)
	section("尚未分配负责人", unassigned)
	if more := d.Total - len(d.Inquiries); more > 0 {
		fmt.Fprintf(&b, "\n另有 %d 条未列出,请在门户的咨询列表中查看:%s\n", more, h.absoluteURL(i18n.Hans, "/admin/inquiries"))
	}
	fmt.Fprintf(&b, "\n%s\n", staffMailFooter)
	return outbox.Message{ToAddress: d.RecipientEmail, Body: b.String(),
		Subject: fmt.Sprintf("咨询每日汇总(%s):逾期 %d 条,待分配 %d 条", d.Day.Format(time.DateOnly), len(overdue), len(unassigned))}
}

// assigneeLabel says who works an inquiry in the digest.
func assigneeLabel(in models.DigestInquiry) string {
	switch {
	case in.AssigneeName == "":
		return "未分配"
	case in.Unassigned:
		return in.AssigneeName + "(账号已停用或无权处理,请重新分配)"
	default:
		return in.AssigneeName
	}
}
