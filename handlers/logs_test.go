package handlers_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/outbox"
)

// refusingSender answers like a mail server that rejects the recipient,
// naming the address in its answer.
type refusingSender struct{}

func (refusingSender) Send(_ context.Context, m outbox.Message) error {
	return errors.New("550 5.1.1 <" + m.ToAddress + ">: Recipient address rejected")
}

// An investor's inquiry and everything staff do with it leave no name,
// e-mail address, phone number, password or token in the logs.
func TestNoPersonalDataOrTokensInTheLogs(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := routerWith(db, func(d *handlers.Deps) { d.Log = log })

	secrets := []string{"罗探针", "探针科技", "probe.investor@example.com", "13912345678", "probe.staff@bureau.example",
		"probe-password-123", "admin@bureau.example", "team@invest.example.gov.cn"}
	investor := newVisitor(t, e, "192.0.2.140")
	form, _ := investor.openForm("/inquiries/new?policy=" + electronicsPolicy)
	inquiry := validInquiry(form)
	inquiry.Set("name", "罗探针")
	inquiry.Set("company", "探针科技有限公司")
	inquiry.Set("email", "probe.investor@example.com")
	inquiry.Set("phone", "139 1234 5678")
	rec := investor.post("/inquiries", inquiry)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry = %d", rec.Code)
	}
	status := strings.SplitN(rec.Header().Get("Location"), "?", 2)[0]
	secrets = append(secrets, strings.TrimPrefix(status, "/inquiries/status/"), form.Get("submission_key"))
	investor.get(status)
	follow := investor.replyFields(status)
	follow.Set("message", "罗探针的补充说明")
	investor.post(status, follow)
	investor.post("/inquiries", url.Values{"name": {"罗探针"}}) // no CSRF token: refused, and logged as such
	briefForm, _ := briefForm(t, investor, "/briefs/new?region=chifeng")
	brief := makeBrief(t, investor, briefForm)
	investor.get("/briefs/" + brief)
	investor.get("/inquiries/new?brief=" + brief)
	secrets = append(secrets, brief)

	stranger := newVisitor(t, e, "192.0.2.141")
	stranger.post("/admin/login", url.Values{"_csrf": {stranger.csrf()}, "email": {"probe.staff@bureau.example"}, "password": {"probe-password-123"}})
	admin := newVisitor(t, e, "192.0.2.142")
	admin.get("/admin/inquiries?q=probe.investor%40example.com") // sent to sign in, with the search in next
	admin.signIn(createStaff(t, db, models.RoleAdmin), staffPassword)
	admin.get("/admin/inquiries?q=probe.investor%40example.com")
	admin.get("/admin/inquiries?q=13912345678")
	var in models.Inquiry
	db.Take(&in)
	admin.post("/admin/inquiries/"+in.Reference+"/notes", url.Values{"_csrf": {admin.csrf()}, "body": {"您好,罗探针"}, "kind": {"reply"}})

	// The outbox, logged instead of sent, and refused by a mail server.
	if _, err := outbox.NewWorker(db, outbox.LogSender{Log: log}, log).Work(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	dbtest.MustExec(t, db, "UPDATE outbox_messages SET sent_at = NULL")
	if _, err := outbox.NewWorker(db, refusingSender{}, log).Work(context.Background(), nil); err != nil {
		t.Fatal(err)
	}

	got := logs.String()
	if !strings.Contains(got, "/admin/inquiries?[dropped]") || !strings.Contains(got, "Recipient address rejected") ||
		!strings.Contains(got, "/briefs/[redacted]") || !strings.Contains(got, "brief=[redacted]") {
		t.Fatalf("the logs lack the lines this test is about:\n%s", got)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(got, s) {
			t.Errorf("the logs hold %q", s)
		}
	}
}
