package handlers

import (
	"context"
	"fmt"
	"strings"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/outbox"
	"investportal/views"
	"investportal/views/i18n"
)

// mailDomain is the portal's host name, for Message-IDs.
func (h *Handler) mailDomain() string {
	if h.baseURL != nil && h.baseURL.Hostname() != "" {
		return h.baseURL.Hostname()
	}
	return "localhost"
}

// absoluteURL is a page's full address in a language, for e-mails.
func (h *Handler) absoluteURL(lang i18n.Lang, path string) string {
	base := ""
	if h.baseURL != nil {
		base = strings.TrimSuffix(h.baseURL.String(), "/")
	}
	return base + lang.Path(path)
}

// statusLinkPlaceholder stands in a stored e-mail for the investor's
// private link, which opens their status page and so is never stored: the
// outbox worker puts the link in as it sends (StatusLinks).
const statusLinkPlaceholder = "[[status-link]]"

// StatusLinks is the outbox worker's last step before sending: it puts the
// private link of the inquiry a message is about where its body holds the
// placeholder, in messages to the investor only. Staff e-mails quote what
// investors typed, and a company named "[[status-link]]" must not put the
// investor's link into a colleague's mailbox (nor stop a digest): there
// the placeholder stays plain text. A message to the investor about an
// inquiry that has no link any more (its personal data was removed) is not
// sent.
func StatusLinks(d Deps) func(ctx context.Context, m *outbox.Message) error {
	h := &Handler{db: d.DB, baseURL: d.BaseURL, secret: d.Secret}
	return func(ctx context.Context, m *outbox.Message) error {
		if !strings.Contains(m.Body, statusLinkPlaceholder) || m.InquiryID == nil {
			return nil
		}
		statusKey, language, email, err := models.InquiryStatusKey(ctx, h.db, *m.InquiryID)
		if err != nil {
			return fmt.Errorf("status link: %w", err)
		}
		if !strings.EqualFold(m.ToAddress, email) {
			return nil
		}
		lang, _ := i18n.Parse(language)
		m.Body = strings.ReplaceAll(m.Body, statusLinkPlaceholder, h.absoluteURL(lang, "/inquiries/status/"+h.statusToken(statusKey)))
		return nil
	}
}

// newInquiryMail is the confirmation to the investor (in their language,
// with the status link) and the announcement to the staff team (in
// Simplified Chinese, with everything the investor wrote).
func (h *Handler) newInquiryMail(in models.Inquiry, subjects map[string]models.InquirySubject) []outbox.Message {
	lang, _ := i18n.Parse(in.Language)
	investorCtx := i18n.WithLang(context.Background(), lang)
	id := in.ID
	data := map[string]any{"Reference": in.Reference, "Name": in.Name, "Link": statusLinkPlaceholder, "Due": ""}
	if in.ResponseDueAt != nil {
		data["Due"] = views.Date(investorCtx, in.ResponseDueAt.In(calendar.Beijing))
	}
	var msgs []outbox.Message
	if in.Email != "" {
		msgs = append(msgs, outbox.Message{
			InquiryID: &id, ToAddress: in.Email,
			Subject: i18n.T(investorCtx, "mail.confirm.subject", data),
			Body:    i18n.T(investorCtx, "mail.confirm.body", data),
		})
	}
	if h.inquiries.TeamEmail != "" {
		staffCtx := i18n.WithLang(context.Background(), i18n.Hans)
		var b strings.Builder
		due := ""
		if in.ResponseDueAt != nil {
			due = views.DateTime(staffCtx, *in.ResponseDueAt)
		}
		fmt.Fprintf(&b, "%s\n\n%s: %s\n", i18n.T(staffCtx, "mail.team.intro", map[string]any{"Due": due}), i18n.T(staffCtx, "inquiry.status.reference"), in.Reference)
		line := func(labelID, value string) {
			if value != "" {
				fmt.Fprintf(&b, "%s: %s\n", i18n.T(staffCtx, labelID), value)
			}
		}
		line("inquiry.field.name", in.Name)
		line("inquiry.field.company", in.Company)
		line("inquiry.field.origin", in.Origin)
		line("inquiry.field.email", in.Email)
		line("inquiry.field.phone", in.Phone)
		for _, kind := range models.InquirySubjectKinds {
			if s, ok := subjects[kind]; ok {
				line("kind."+kind, s.Name)
			}
		}
		if in.PlannedAmountYuan != nil {
			line("inquiry.field.amount", views.Yuan(staffCtx, *in.PlannedAmountYuan))
		}
		line("inquiry.field.language", lang.Name())
		fmt.Fprintf(&b, "\n%s:\n%s\n\n%s\n", i18n.T(staffCtx, "inquiry.field.message"), in.Message, i18n.T(staffCtx, "mail.team.footer"))
		msgs = append(msgs, outbox.Message{
			InquiryID: &id, ToAddress: h.inquiries.TeamEmail,
			Subject: i18n.T(staffCtx, "mail.team.subject", data), Body: b.String(),
		})
	}
	return msgs
}

// followUpMail tells the staff team about an investor's new message.
func (h *Handler) followUpMail(in models.Inquiry, body string) []outbox.Message {
	if h.inquiries.TeamEmail == "" {
		return nil
	}
	staffCtx := i18n.WithLang(context.Background(), i18n.Hans)
	id := in.ID
	return []outbox.Message{{
		InquiryID: &id, ToAddress: h.inquiries.TeamEmail,
		Subject: i18n.T(staffCtx, "mail.team.followup.subject", map[string]any{"Reference": in.Reference}),
		Body: fmt.Sprintf("%s\n\n%s\n\n%s: %s\n%s\n", i18n.T(staffCtx, "mail.team.followup.intro"), body,
			i18n.T(staffCtx, "inquiry.status.reference"), in.Reference, i18n.T(staffCtx, "mail.team.footer")),
	}}
}

// replyMail tells the investor, in their language, that staff replied, with
// the reply and their private link (put in when it is sent).
func (h *Handler) replyMail(in models.Inquiry, reply string) []outbox.Message {
	if in.Email == "" || in.StatusKey == nil {
		return nil
	}
	lang, _ := i18n.Parse(in.Language)
	investorCtx := i18n.WithLang(context.Background(), lang)
	data := map[string]any{"Reference": in.Reference, "Name": in.Name, "Reply": reply, "Link": statusLinkPlaceholder}
	id := in.ID
	return []outbox.Message{{InquiryID: &id, ToAddress: in.Email,
		Subject: i18n.T(investorCtx, "mail.reply.subject", data), Body: i18n.T(investorCtx, "mail.reply.body", data)}}
}
