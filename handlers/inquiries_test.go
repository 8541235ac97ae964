package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/outbox"
	"investportal/models/storage"
)

const electronicsPolicy = "chifeng-electronics-intelligent-manufacturing-support"

func inquiryDeps(db *gorm.DB) handlers.Deps {
	base, _ := url.Parse("https://invest.example.gov.cn")
	return handlers.Deps{
		DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: base,
		Secret:    []byte("test-secret-test-secret-test-secret!"),
		Inquiries: handlers.InquirySettings{TeamEmail: "team@invest.example.gov.cn", RetentionDays: 730},
		Uploads:   storage.Folder{Dir: uploadDir},
	}
}

func newInquiryRouter(db *gorm.DB) *echo.Echo { return handlers.New(inquiryDeps(db)) }

// recordingSender keeps what it was given to send.
type recordingSender struct{ sent []outbox.Message }

func (r *recordingSender) Send(_ context.Context, m outbox.Message) error {
	r.sent = append(r.sent, m)
	return nil
}

// sendOutbox sends what waits in the outbox as the portal's worker would,
// status links put in, and returns the messages as they went out.
func sendOutbox(t *testing.T, db *gorm.DB) []outbox.Message {
	t.Helper()
	sender := &recordingSender{}
	w := outbox.NewWorker(db, sender, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Prepare = handlers.StatusLinks(inquiryDeps(db))
	if _, err := w.Work(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return sender.sent
}

// visitor is one browser: its cookies, address and the last form it saw.
type visitor struct {
	t       *testing.T
	e       http.Handler
	ip      string
	cookies map[string]*http.Cookie
}

func newVisitor(t *testing.T, e http.Handler, ip string) *visitor {
	return &visitor{t: t, e: e, ip: ip, cookies: map[string]*http.Cookie{}}
}

func (v *visitor) do(req *http.Request) *httptest.ResponseRecorder {
	v.t.Helper()
	req.RemoteAddr = v.ip + ":40000"
	for _, c := range v.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		v.cookies[c.Name] = c
	}
	return rec
}

func (v *visitor) get(target string) *httptest.ResponseRecorder {
	return v.do(httptest.NewRequest(http.MethodGet, target, nil))
}

func (v *visitor) post(target string, form url.Values) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

// openForm loads the inquiry form and returns its hidden fields.
func (v *visitor) openForm(target string) (url.Values, *goquery.Document) {
	v.t.Helper()
	rec := v.get(target)
	if rec.Code != http.StatusOK {
		v.t.Fatalf("GET %s = %d\n%s", target, rec.Code, rec.Body.String())
	}
	doc := parse(v.t, rec)
	form := url.Values{}
	doc.Find(`form[data-testid="inquiry-form"] input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		form.Set(name, value)
	})
	doc.Find(`form[data-testid="inquiry-form"] select`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Find("option[selected]").Attr("value")
		form.Set(name, value)
	})
	if form.Get("_csrf") == "" || form.Get("submission_key") == "" {
		v.t.Fatalf("form lacks its CSRF token or submission key: %v", form)
	}
	return form, doc
}

// validInquiry fills a form as a careful investor would.
func validInquiry(form url.Values) url.Values {
	f := url.Values{}
	for k, v := range form {
		f[k] = append([]string(nil), v...)
	}
	f.Set("name", "张伟")
	f.Set("company", "深圳某电子有限公司")
	f.Set("origin", "广东省")
	f.Set("email", "zhang.wei@example.com")
	f.Set("phone", "138 1234 5678")
	f.Set("amount", "5000")
	f.Set("unit", "wan")
	f.Set("message", "我们计划在赤峰投资建设电子装备生产线,想了解设备补贴的申请条件。")
	f.Set("language", "zh-Hans")
	f.Set("consent", "yes")
	return f
}

func countRows(t *testing.T, db *gorm.DB, table string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInquiryLinkOnEveryPageKindPrefillsTheForm(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	v := newVisitor(t, e, "192.0.2.10")
	for _, c := range []struct {
		page, hidden, hiddenValue, region, chain string
	}{
		{"/regions/chifeng", "", "", "chifeng", ""},
		{"/parks/chifeng-high-tech-zone", "park", "chifeng-high-tech-zone", "chifeng", ""},
		{"/chains/chifeng-electronics", "", "", "chifeng", "chifeng-electronics"},
		{"/policies/" + electronicsPolicy, "policy", electronicsPolicy, "chifeng", "chifeng-electronics"},
		{"/en/policies/" + electronicsPolicy, "policy", electronicsPolicy, "chifeng", "chifeng-electronics"},
	} {
		rec := v.get(c.page)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", c.page, rec.Code)
		}
		link, ok := parse(t, rec).Find(`[data-testid="inquiry-link"]`).Attr("href")
		if !ok {
			t.Errorf("%s has no inquiry link", c.page)
			continue
		}
		if strings.HasPrefix(c.page, "/en/") && !strings.HasPrefix(link, "/en/inquiries/new") {
			t.Errorf("%s: inquiry link %s leaves the page's language", c.page, link)
		}
		form, doc := v.openForm(link)
		if c.hidden != "" && form.Get(c.hidden) != c.hiddenValue {
			t.Errorf("%s: hidden %s = %q, want %q", c.page, c.hidden, form.Get(c.hidden), c.hiddenValue)
		}
		if form.Get("region") != c.region || (c.chain != "" && form.Get("chain") != c.chain) {
			t.Errorf("%s: region %q chain %q, want %q %q", c.page, form.Get("region"), form.Get("chain"), c.region, c.chain)
		}
		if c.hidden != "" && doc.Find(`[data-testid="inquiry-about"] a`).Length() == 0 {
			t.Errorf("%s: the form does not say what the inquiry is about", c.page)
		}
	}
	// A project page links the form too.
	var slug string
	db.Table("projects").Where("status = 'published'").Order("id").Limit(1).Pluck("slug", &slug)
	link, _ := parse(t, v.get("/projects/"+slug)).Find(`[data-testid="inquiry-link"]`).Attr("href")
	if form, _ := v.openForm(link); form.Get("project") != slug {
		t.Errorf("project form: hidden project = %q, want %q", form.Get("project"), slug)
	}
	// Unknown or malformed subjects are the visitor's mistake, not ours.
	for _, target := range []string{"/inquiries/new?policy=no-such-policy", "/inquiries/new?region=%27%3B--"} {
		if rec := v.get(target); rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want 400", target, rec.Code)
		}
	}
}

func TestInquirySubmitConfirmAndFollowUp(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	v := newVisitor(t, e, "192.0.2.20")
	form, _ := v.openForm("/inquiries/new?policy=" + electronicsPolicy)

	rec := v.post("/inquiries", validInquiry(form))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("POST = %d, want 303\n%s", rec.Code, rec.Body.String())
	}
	statusURL := rec.Header().Get("Location")
	if !strings.HasPrefix(statusURL, "/inquiries/status/") {
		t.Fatalf("redirected to %q", statusURL)
	}
	var in models.Inquiry
	if err := db.Take(&in).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.Reference, fmt.Sprintf("INQ-%d-", time.Now().Year())) || in.Phone != "+8613812345678" ||
		in.PlannedAmountYuan == nil || *in.PlannedAmountYuan != 50_000_000 || in.PolicyID == nil || in.RegionID == nil || in.ChainID == nil {
		t.Errorf("stored %+v", in)
	}
	// The confirmation and the team's notice wait in the outbox, with the inquiry.
	var mails []struct{ ToAddress, Subject, Body string }
	db.Table("outbox_messages").Order("id").Find(&mails)
	if len(mails) != 2 || mails[0].ToAddress != "zhang.wei@example.com" || mails[1].ToAddress != "team@invest.example.gov.cn" {
		t.Fatalf("outbox = %+v", mails)
	}
	token := strings.TrimPrefix(strings.SplitN(statusURL, "?", 2)[0], "/inquiries/status/")
	for _, m := range mails {
		if strings.Contains(m.Body, token) {
			t.Errorf("the outbox stores the investor's private link:\n%s", m.Body)
		}
	}
	// As they go out, the confirmation carries the link, the team's notice not.
	sent := sendOutbox(t, db)
	if len(sent) != 2 || !strings.Contains(sent[0].Body, "https://invest.example.gov.cn/inquiries/status/"+token) || !strings.Contains(sent[0].Subject, in.Reference) {
		t.Errorf("confirmation lacks the status link or reference:\n%+v", sent)
	}
	if len(sent) == 2 && (!strings.Contains(sent[1].Body, "zhang.wei@example.com") || strings.Contains(sent[1].Body, token)) {
		t.Errorf("team mail must carry the details but not the investor's private link:\n%s", sent[1].Body)
	}

	// The confirmation page: reference, what happens next, private headers.
	rec = v.get(statusURL)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET status = %d", rec.Code)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("status page headers: %v", rec.Header())
	}
	doc := parse(t, rec)
	if got := doc.Find(`[data-testid="reference"]`).Text(); got != in.Reference {
		t.Errorf("reference shown %q, want %q", got, in.Reference)
	}
	if !strings.Contains(doc.Find(`[data-testid="received"]`).Text(), "2 个工作日") {
		t.Error("the confirmation does not say what happens next")
	}
	if _, ok := doc.Find(`link[rel="canonical"]`).Attr("href"); ok {
		t.Error("the private page publishes a canonical link")
	}

	// Staff replies show; internal notes never do.
	dbtest.MustExec(t, db, `INSERT INTO inquiry_notes (inquiry_id, kind, author_kind, visible_to_investor, body)
		VALUES (?, 'reply', 'staff', true, '您好,我们将安排考察。'), (?, 'internal', 'staff', false, '内部:企业资信待核实'),
		(?, 'call', 'staff', false, '电话:企业预算两亿')`, in.ID, in.ID, in.ID)
	page := parse(t, v.get(statusURL)).Find(`[data-testid="messages"]`).Text()
	if !strings.Contains(page, "我们将安排考察") || strings.Contains(page, "资信待核实") {
		t.Errorf("messages section: %s", page)
	}
	if strings.Contains(page, "预算两亿") {
		t.Error("a recorded call shows on the investor's page")
	}

	// The investor adds a message; bad ones are refused with the text kept.
	replyForm := func() url.Values { return v.replyFields(statusURL) }
	f := replyForm()
	f.Set("message", "")
	if rec := v.post(strings.SplitN(statusURL, "?", 2)[0], f); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("empty follow-up = %d, want 422", rec.Code)
	}
	f.Set("message", "请问土地价格是多少?<b>谢谢</b>")
	rec = v.post(strings.SplitN(statusURL, "?", 2)[0], f)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("follow-up = %d\n%s", rec.Code, rec.Body.String())
	}
	body := v.get(rec.Header().Get("Location")).Body.String()
	if !strings.Contains(body, "请问土地价格是多少?&lt;b&gt;谢谢&lt;/b&gt;") {
		t.Error("the follow-up is not shown, or not escaped")
	}
	if n := countRows(t, db, "outbox_messages"); n != 3 {
		t.Errorf("outbox holds %d messages after the follow-up, want 3 (team told)", n)
	}
	// Without the CSRF token nothing is added.
	f.Del("_csrf")
	if rec := v.post(strings.SplitN(statusURL, "?", 2)[0], f); rec.Code != http.StatusForbidden {
		t.Errorf("follow-up without CSRF = %d, want 403", rec.Code)
	}
	var notes int64
	db.Model(&models.InquiryNote{}).Where("author_kind = 'investor'").Count(&notes)
	if notes != 1 {
		t.Errorf("%d investor notes stored, want 1", notes)
	}

	// Closed: no more messages.
	f = replyForm()
	dbtest.MustExec(t, db, "UPDATE inquiries SET stage = 'closed', close_reason = 'withdrawn' WHERE id = ?", in.ID)
	if parse(t, v.get(statusURL)).Find(`[data-testid="reply-form"]`).Length() != 0 {
		t.Error("a closed inquiry still offers the reply form")
	}
	f.Set("message", "还在吗?") // sent from a page opened before it closed
	if rec := v.post(strings.SplitN(statusURL, "?", 2)[0], f); rec.Code != http.StatusConflict {
		t.Errorf("message on a closed inquiry = %d, want 409", rec.Code)
	}

	// Tokens that are not ours find nothing.
	for _, bad := range []string{"/inquiries/status/" + strings.Repeat("A", 43), "/inquiries/status/short", "/inquiries/status/%27%20OR%201=1"} {
		if rec := v.get(bad); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", bad, rec.Code)
		}
	}
}

// replyFields loads a status page and returns its reply form's fields.
func (v *visitor) replyFields(target string) url.Values {
	v.t.Helper()
	token, _ := parse(v.t, v.get(target)).Find(`form input[name="_csrf"]`).Attr("value")
	return url.Values{"_csrf": {token}}
}

func TestInquiryDoubleSubmitStoresOne(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	v := newVisitor(t, newInquiryRouter(db), "192.0.2.30")
	form, _ := v.openForm("/inquiries/new")
	f := validInquiry(form)
	first, second := v.post("/inquiries", f), v.post("/inquiries", f)
	if first.Code != http.StatusSeeOther || second.Code != http.StatusSeeOther {
		t.Fatalf("codes %d, %d", first.Code, second.Code)
	}
	if first.Header().Get("Location") != second.Header().Get("Location") {
		t.Errorf("the resent form leads elsewhere: %s vs %s", first.Header().Get("Location"), second.Header().Get("Location"))
	}
	if n := countRows(t, db, "inquiries"); n != 1 {
		t.Errorf("%d inquiries stored, want 1", n)
	}
	if n := countRows(t, db, "outbox_messages"); n != 2 {
		t.Errorf("%d e-mails queued, want 2", n)
	}
	// The resends took no reference number: the next inquiry's follows.
	var stored models.Inquiry
	db.Take(&stored)
	next, _ := v.openForm("/inquiries/new")
	nf := validInquiry(next)
	nf.Set("email", "other@example.com")
	if rec := v.post("/inquiries", nf); rec.Code != http.StatusSeeOther {
		t.Fatalf("second inquiry = %d", rec.Code)
	}
	var following models.Inquiry
	db.Order("id DESC").Take(&following)
	if strings.TrimLeft(stored.Reference[9:], "0") != "1" || strings.TrimLeft(following.Reference[9:], "0") != "2" {
		t.Errorf("references %s then %s: the resends used numbers up", stored.Reference, following.Reference)
	}
}

// Nothing the database holds opens an investor's status page: whoever can
// read the table and sends a form with a stored value as its submission
// key gets a new inquiry of their own, not the investor's page.
func TestStoredValuesDoNotOpenTheStatusPage(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	investor := newVisitor(t, e, "192.0.2.31")
	form, _ := investor.openForm("/inquiries/new")
	victim := investor.post("/inquiries", validInquiry(form)).Header().Get("Location")
	var stored struct{ StatusKey, SubmissionKeyHash string }
	db.Raw("SELECT status_key, encode(submission_key_hash, 'hex') AS submission_key_hash FROM inquiries").Scan(&stored)
	if stored.StatusKey == "" || strings.Contains(victim, stored.StatusKey) {
		t.Fatalf("stored %+v, link %s", stored, victim)
	}
	// Nor do the e-mails waiting in the outbox, a reply among them: the
	// link is put in as they go out.
	var in models.Inquiry
	db.Take(&in)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.34")
	admin.post("/admin/inquiries/"+in.Reference+"/notes", url.Values{"_csrf": {admin.csrf()}, "body": {"您好"}, "kind": {"reply"}})
	token := strings.TrimPrefix(strings.SplitN(victim, "?", 2)[0], "/inquiries/status/")
	var bodies []string
	db.Raw("SELECT body FROM outbox_messages").Scan(&bodies)
	if len(bodies) != 3 {
		t.Fatalf("%d e-mails in the outbox, want the confirmation, the team's notice and the reply", len(bodies))
	}
	for _, b := range bodies {
		if strings.Contains(b, token) {
			t.Errorf("an e-mail in the outbox holds the status link:\n%s", b)
		}
	}
	for _, value := range []string{stored.StatusKey, stored.SubmissionKeyHash} {
		attacker := newVisitor(t, e, "198.51.100.30")
		f, _ := attacker.openForm("/inquiries/new")
		f = validInquiry(f)
		f.Set("email", "attacker@example.com")
		f.Set("submission_key", value)
		rec := attacker.post("/inquiries", f)
		if loc := rec.Header().Get("Location"); loc == victim {
			t.Errorf("posting the stored value %q led to the investor's status page", value)
		}
	}
}

// Past 999 999 inquiries in a year the references grow a digit, and every
// page that takes a reference still finds the inquiry.
func TestInquiryReferencesPastAMillion(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	dbtest.MustExec(t, db, "INSERT INTO inquiry_reference_counters (year, last_number) VALUES (extract(year FROM now() AT TIME ZONE 'Asia/Shanghai'), 999999)")
	investor := newVisitor(t, e, "192.0.2.32")
	form, _ := investor.openForm("/inquiries/new")
	rec := investor.post("/inquiries", validInquiry(form))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("inquiry = %d", rec.Code)
	}
	var in models.Inquiry
	db.Take(&in)
	if !strings.HasSuffix(in.Reference, "-1000000") {
		t.Fatalf("reference %s", in.Reference)
	}
	if status := investor.get(rec.Header().Get("Location")); status.Code != http.StatusOK || !strings.Contains(status.Body.String(), in.Reference) {
		t.Errorf("status page = %d", status.Code)
	}
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.33")
	if page := admin.get("/admin/inquiries/" + in.Reference); page.Code != http.StatusOK {
		t.Errorf("admin page of %s = %d", in.Reference, page.Code)
	}
}

func TestInquiryBadInputs(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	cases := []struct {
		name   string
		change func(url.Values)
		status int
		fields []string // fields that must carry a message
		stored bool
	}{
		{"all empty", func(f url.Values) {
			for _, k := range []string{"name", "email", "phone", "message", "consent", "amount"} {
				f.Del(k)
			}
		}, 422, []string{"name", "email", "message", "consent"}, false},
		{"name too long", func(f url.Values) { f.Set("name", strings.Repeat("张", 101)) }, 422, []string{"name"}, false},
		{"message too long", func(f url.Values) { f.Set("message", strings.Repeat("字", 5001)) }, 422, []string{"message"}, false},
		{"company too long", func(f url.Values) { f.Set("company", strings.Repeat("x", 201)) }, 422, []string{"company"}, false},
		{"invalid UTF-8", func(f url.Values) { f.Set("name", "\xc3\x28") }, 422, []string{"name"}, false},
		{"control character", func(f url.Values) { f.Set("origin", "广东\x00省") }, 422, []string{"origin"}, false},
		{"bad e-mail", func(f url.Values) { f.Set("email", "zhang@") }, 422, []string{"email"}, false},
		{"e-mail with a name", func(f url.Values) { f.Set("email", "Zhang <zhang@example.com>") }, 422, []string{"email"}, false},
		{"bad phone", func(f url.Values) { f.Set("phone", "12345") }, 422, []string{"phone"}, false},
		{"phone with letters", func(f url.Values) { f.Set("phone", "138-CALL-NOW") }, 422, []string{"phone"}, false},
		{"neither e-mail nor phone", func(f url.Values) { f.Del("email"); f.Del("phone") }, 422, []string{"email"}, false},
		{"amount not a number", func(f url.Values) { f.Set("amount", "五千") }, 422, []string{"amount"}, false},
		{"negative amount", func(f url.Values) { f.Set("amount", "-5") }, 422, []string{"amount"}, false},
		{"too many decimals", func(f url.Values) { f.Set("amount", "1.23456") }, 422, []string{"amount"}, false},
		{"amount far too large", func(f url.Values) { f.Set("amount", "99999999") }, 422, []string{"amount"}, false},
		{"unknown unit", func(f url.Values) { f.Set("unit", "usd") }, 422, []string{"unit"}, false},
		{"unknown language", func(f url.Values) { f.Set("language", "fr") }, 422, []string{"language"}, false},
		{"unknown region", func(f url.Values) { f.Set("region", "atlantis") }, 422, []string{"region"}, false},
		{"region with SQL", func(f url.Values) { f.Set("region", "x' OR '1'='1") }, 422, []string{"region"}, false},
		{"policy no longer public", func(f url.Values) { f.Set("policy", "no-such-policy") }, 422, nil, false},
		{"no consent", func(f url.Values) { f.Del("consent") }, 422, []string{"consent"}, false},
		{"forged submission key", func(f url.Values) { f.Set("submission_key", "../../etc") }, 422, nil, false},
		{"missing CSRF token", func(f url.Values) { f.Del("_csrf") }, 403, nil, false},
		{"wrong CSRF token", func(f url.Values) { f.Set("_csrf", "forged-token-forged-token-forged") }, 403, nil, false},
		{"honeypot filled", func(f url.Values) { f.Set("website", "http://spam.example") }, 400, nil, false},
		{"body too large", func(f url.Values) { f.Set("message", strings.Repeat("x", 70_000)) }, 413, nil, false},
		// Accepted as typed, shown escaped.
		{"script tags", func(f url.Values) { f.Set("name", "<script>alert(1)</script>") }, 303, nil, true},
		{"SQL metacharacters", func(f url.Values) { f.Set("message", "'; DROP TABLE inquiries; --") }, 303, nil, true},
		{"emoji", func(f url.Values) { f.Set("message", "期待合作 🤝🏭") }, 303, nil, true},
		{"Traditional characters", func(f url.Values) { f.Set("name", "陳大文"); f.Set("origin", "臺灣") }, 303, nil, true},
		{"international phone only", func(f url.Values) { f.Del("email"); f.Set("phone", "+49 30 901820") }, 303, nil, true},
		{"e-mail only", func(f url.Values) { f.Del("phone") }, 303, nil, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := countRows(t, db, "inquiries")
			v := newVisitor(t, e, fmt.Sprintf("198.51.100.%d", i+1))
			form, _ := v.openForm("/inquiries/new?policy=" + electronicsPolicy)
			f := validInquiry(form)
			f.Set("email", fmt.Sprintf("case%d@example.com", i))
			c.change(f)
			rec := v.post("/inquiries", f)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d\n%s", rec.Code, c.status, rec.Body.String())
			}
			stored := countRows(t, db, "inquiries") - before
			if stored != map[bool]int64{true: 1, false: 0}[c.stored] {
				t.Fatalf("%d inquiries stored, want stored=%v", stored, c.stored)
			}
			if c.status == 303 {
				body := v.get(rec.Header().Get("Location")).Body.String()
				if strings.Contains(body, "<script>alert") {
					t.Error("script tag rendered as markup")
				}
				return
			}
			doc := parse(t, rec)
			for _, field := range c.fields {
				if strings.TrimSpace(doc.Find(`[data-testid="error-`+field+`"]`).Text()) == "" {
					t.Errorf("no message next to %s", field)
				}
			}
			if c.status == 422 {
				if doc.Find(`[data-testid="error-summary"]`).Length() == 0 {
					t.Error("no error summary")
				}
				// Every value comes back as typed (but invalid UTF-8, which cannot).
				if got, _ := doc.Find(`#f-company`).Attr("value"); got != f.Get("company") {
					t.Errorf("company came back as %q", got)
				}
				if c.name != "message too long" && strings.TrimSpace(doc.Find("#f-message").Text()) != strings.TrimSpace(f.Get("message")) {
					t.Errorf("message not kept")
				}
			}
		})
	}
}

func TestInquiryRateLimits(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	submit := func(ip, email string) *httptest.ResponseRecorder {
		v := newVisitor(t, e, ip)
		form, _ := v.openForm("/inquiries/new")
		f := validInquiry(form)
		f.Set("email", email)
		return v.post("/inquiries", f)
	}
	// Per e-mail address: three an hour, from any network.
	for i := range 3 {
		if rec := submit(fmt.Sprintf("203.0.113.%d", i+1), "Same@Example.com"); rec.Code != http.StatusSeeOther {
			t.Fatalf("inquiry %d = %d", i+1, rec.Code)
		}
	}
	rec := submit("203.0.113.9", "same@example.com")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("fourth inquiry from one address = %d (Retry-After %q), want 429", rec.Code, rec.Header().Get("Retry-After"))
	}
	doc := parse(t, rec)
	if banner := doc.Find(`[data-testid="form-banner"]`).Text(); !strings.Contains(banner, "北京时间") {
		t.Errorf("429 does not say when to try again: %q", banner)
	}
	if got, _ := doc.Find("#f-name").Attr("value"); got != "张伟" {
		t.Error("the 429 form lost what was typed")
	}
	// Per network address: five an hour, whatever the e-mail.
	for i := range 5 {
		if rec := submit("203.0.113.50", fmt.Sprintf("person%d@example.com", i)); rec.Code != http.StatusSeeOther {
			t.Fatalf("inquiry %d from one network = %d", i+1, rec.Code)
		}
	}
	if rec := submit("203.0.113.50", "person9@example.com"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("sixth inquiry from one network = %d, want 429", rec.Code)
	}
	// A forwarded-for header does not buy a new address.
	v := newVisitor(t, e, "203.0.113.50")
	form, _ := v.openForm("/inquiries/new")
	f := validInquiry(form)
	f.Set("email", "spoof@example.com")
	req := httptest.NewRequest(http.MethodPost, "/inquiries", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "10.9.8.7")
	if rec := v.do(req); rec.Code != http.StatusTooManyRequests {
		t.Errorf("X-Forwarded-For escaped the limit: %d", rec.Code)
	}
	if n := countRows(t, db, "inquiries"); n != 8 {
		t.Errorf("%d inquiries stored, want 8", n)
	}
}

// The database goes away between opening and sending the form: the
// visitor gets a 503 that keeps everything typed and says the inquiry was
// not received, and no row appears.
func TestInquiryWhenTheDatabaseIsDown(t *testing.T) {
	name := dbtest.NewDatabase(t, dbtest.Seeded)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	db, err := models.Open(ctx, dbtest.URL(name), models.DefaultPool, 5*time.Second, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	admin, err := models.Open(ctx, dbtest.URL("postgres"), models.DefaultPool, 5*time.Second, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(admin)
	var logs strings.Builder
	base, _ := url.Parse("https://invest.example.gov.cn")
	v := newVisitor(t, handlers.New(handlers.Deps{DB: db, Log: slog.New(slog.NewTextHandler(&logs, nil)), BaseURL: base, Secret: []byte("s")}), "192.0.2.40")
	form, _ := v.openForm("/inquiries/new?policy=" + electronicsPolicy)

	dbtest.MustExec(t, admin, fmt.Sprintf(`ALTER DATABASE %q WITH ALLOW_CONNECTIONS false`, name))
	dbtest.MustExec(t, admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ?`, name)
	f := validInquiry(form)
	rec := v.post("/inquiries", f)
	dbtest.MustExec(t, admin, fmt.Sprintf(`ALTER DATABASE %q WITH ALLOW_CONNECTIONS true`, name))

	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("POST with the database down = %d, want 503 with Retry-After\n%s", rec.Code, logs.String())
	}
	doc := parse(t, rec)
	if banner := doc.Find(`[data-testid="form-banner"]`).Text(); !strings.Contains(banner, "尚未送达") {
		t.Errorf("the 503 does not say the inquiry was not received: %q", banner)
	}
	if got, _ := doc.Find("#f-email").Attr("value"); got != f.Get("email") {
		t.Errorf("e-mail came back as %q", got)
	}
	if strings.TrimSpace(doc.Find("#f-message").Text()) != f.Get("message") {
		t.Error("message not kept")
	}
	if got, _ := doc.Find(`#f-region option[selected]`).Attr("value"); got != "chifeng" {
		t.Errorf("region choice lost: %q", got)
	}
	if n := countRows(t, db, "inquiries"); n != 0 {
		t.Errorf("%d inquiries stored while the database was down", n)
	}
	// Once it is back, the same form goes through; the private link it
	// leads to never reaches the logs.
	rec = v.post("/inquiries", f)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("resend after recovery = %d", rec.Code)
	}
	status := v.get(rec.Header().Get("Location"))
	token := strings.TrimPrefix(strings.SplitN(rec.Header().Get("Location"), "?", 2)[0], "/inquiries/status/")
	if status.Code != http.StatusOK || strings.Contains(logs.String(), token) {
		t.Errorf("status page %d; token in logs: %v", status.Code, strings.Contains(logs.String(), token))
	}
}

func TestPrivacyNoticeInEveryLanguage(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	for path, want := range map[string]string{"/privacy": "730 天", "/zh-hant/privacy": "730 天", "/en/privacy": "730 days"} {
		rec := get(t, e, http.MethodGet, path)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("GET %s = %d, lacks %q", path, rec.Code, want)
		}
	}
}

// Two instances on one database count the same form posts: the limit is
// per client network across both, not per instance.
func TestFormPostLimitIsSharedByInstances(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	a, b := newInquiryRouter(db), newInquiryRouter(db)
	post := func(e http.Handler, ip string) int {
		req := httptest.NewRequest(http.MethodPost, "/inquiries", strings.NewReader("company=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.RemoteAddr = ip + ":40000"
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 20 {
		instance := a
		if i%2 == 1 {
			instance = b
		}
		if code := post(instance, "198.51.100.7"); code == http.StatusTooManyRequests {
			t.Fatalf("post %d refused as too many", i+1)
		}
	}
	for _, instance := range []http.Handler{a, b} {
		if code := post(instance, "198.51.100.7"); code != http.StatusTooManyRequests {
			t.Errorf("the 21st post within a minute across two instances = %d, want 429", code)
		}
	}
	if code := post(b, "198.51.100.8"); code == http.StatusTooManyRequests {
		t.Error("another client was refused")
	}
	var stored int
	db.Raw("SELECT count(*) FROM form_attempts").Scan(&stored)
	var raw int
	db.Raw("SELECT count(*) FROM form_attempts WHERE client_key LIKE '%198.51%'").Scan(&raw)
	if stored == 0 || raw != 0 {
		t.Errorf("form_attempts holds %d rows, %d with the address in clear", stored, raw)
	}
}
