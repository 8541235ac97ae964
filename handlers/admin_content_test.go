package handlers_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// contentKeys are the content types under /admin, each with list, new,
// create, edit, update, delete, restore, preview and history.
var contentKeys = []string{"regions", "parks", "chains", "policies", "events", "projects", "news"}

func init() {
	readers, editors := models.StaffRoles, []string{models.RoleAdmin, models.RoleEditor}
	for _, k := range contentKeys {
		base := "/admin/" + k
		adminAccess["GET "+base] = readers
		adminAccess["GET "+base+"/new"] = editors
		adminAccess["POST "+base] = editors
		adminAccess["GET "+base+"/:id"] = readers
		adminAccess["POST "+base+"/:id"] = editors
		adminAccess["GET "+base+"/:id/delete"] = editors
		adminAccess["POST "+base+"/:id/delete"] = editors
		adminAccess["POST "+base+"/:id/restore"] = editors
		adminAccess["GET "+base+"/:id/preview"] = readers
		adminAccess["GET "+base+"/:id/history"] = readers
	}
	adminAccess["GET /admin/audit"] = readers
	// Officers may save the projects assigned to them; the role test assigns
	// project 1 to its officer.
	adminAccess["POST /admin/projects/:id"] = []string{models.RoleAdmin, models.RoleEditor, models.RoleOfficer}
}

// openContentForm loads an admin form and returns what a browser would
// send if saved as it is.
func (v *visitor) openContentForm(target string) url.Values {
	v.t.Helper()
	rec := v.get(target)
	if rec.Code != http.StatusOK {
		v.t.Fatalf("GET %s = %d\n%s", target, rec.Code, rec.Body.String())
	}
	return formValues(parse(v.t, rec))
}

func formValues(doc *goquery.Document) url.Values {
	form := url.Values{}
	doc.Find(`form[data-testid="content-form"] input`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		if typ, _ := s.Attr("type"); typ == "checkbox" && s.AttrOr("checked", "no") == "no" {
			return
		}
		form.Set(name, value)
	})
	doc.Find(`form[data-testid="content-form"] select`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		form.Set(name, s.Find("option[selected]").AttrOr("value", ""))
	})
	doc.Find(`form[data-testid="content-form"] textarea`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		form.Set(name, strings.TrimPrefix(s.Text(), "\n"))
	})
	return form
}

func signedIn(t *testing.T, db *gorm.DB, e http.Handler, role, ip string) *visitor {
	t.Helper()
	v := newVisitor(t, e, ip)
	v.signIn(createStaff(t, db, role), staffPassword)
	return v
}

func policyIDBySlug(t *testing.T, db *gorm.DB, slug string) int64 {
	t.Helper()
	var id int64
	if err := db.Raw("SELECT id FROM policies WHERE slug = ?", slug).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("policy %s: id %d, %v", slug, id, err)
	}
	return id
}

func regionID(t *testing.T, db *gorm.DB, slug string) string {
	t.Helper()
	return idOf(t, db, "regions", slug)
}

type auditLine struct {
	Action  string
	Changes map[string]json.RawMessage
	Actor   string
}

func auditOf(t *testing.T, db *gorm.DB, table string, id int64) []auditLine {
	t.Helper()
	var rows []struct {
		Action  string
		Changes []byte
		Actor   string
	}
	err := db.Raw(`SELECT a.action, a.changes, COALESCE(s.email, '') AS actor FROM audit_log a
		LEFT JOIN staff_users s ON s.id = a.actor_id WHERE entity_type = ? AND entity_id = ? ORDER BY a.id`, table, id).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	out := make([]auditLine, len(rows))
	for i, r := range rows {
		out[i] = auditLine{Action: r.Action, Actor: r.Actor}
		if err := json.Unmarshal(r.Changes, &out[i].Changes); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestEditorCreatesPreviewsAndPublishesAPolicy(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.70")

	form := editor.openContentForm("/admin/policies/new")
	form.Set("title", "红山区招商引资优惠政策(2026)")
	form.Set("region_id", regionID(t, db, "hongshan"))
	form.Set("issuing_body", "红山区人民政府")
	form.Set("effective_on", "2026-01-01")
	form.Set("expires_on", "2028-12-31")
	form.Set("body", "## 总则\n\n<script>alert(1)</script>\n\n对新落地项目给予<b onclick=\"x()\">**一次性奖励**</b>。")
	form.Set("benefit_items.0.kind", "one_time_award")
	form.Set("benefit_items.0.level", "district")
	form.Set("benefit_items.0.recipient", "新落地工业项目")
	form.Set("benefit_items.0.amount_yuan", "1000")
	rec := editor.post("/admin/policies", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d\n%s", rec.Code, rec.Body.String())
	}
	slug := "hong-shan-qu-zhao-shang-yin-zi-you-hui-zheng-ce-2026"
	id := policyIDBySlug(t, db, slug)
	if want := "/admin/policies/" + strconv.FormatInt(id, 10) + "?saved=1"; rec.Header().Get("Location") != want {
		t.Errorf("created policy went to %s, want %s", rec.Header().Get("Location"), want)
	}
	var body string
	var amount int64
	db.Raw("SELECT body FROM policies WHERE id = ?", id).Scan(&body)
	db.Raw("SELECT amount_yuan FROM benefit_items WHERE policy_id = ?", id).Scan(&amount)
	if strings.Contains(body, "<script") || strings.Contains(body, "onclick") || !strings.Contains(body, "给予**一次性奖励**。") {
		t.Errorf("stored body %q: raw HTML must go, Markdown stay", body)
	}
	if amount != 10_000_000 {
		t.Errorf("1000 万元 stored as %d yuan", amount)
	}

	// A draft: not public, but previewable exactly as it will look.
	anon := newVisitor(t, e, "192.0.2.71")
	if rec := anon.get("/policies/" + slug); rec.Code != http.StatusNotFound {
		t.Errorf("draft public page = %d, want 404", rec.Code)
	}
	path := "/admin/policies/" + strconv.FormatInt(id, 10)
	preview := editor.get(path + "/preview")
	if preview.Code != http.StatusOK {
		t.Fatalf("preview = %d\n%s", preview.Code, preview.Body.String())
	}
	doc := parse(t, preview)
	if doc.Find(`[data-testid="preview-banner"]`).Length() != 1 || !strings.Contains(doc.Find("main").Text(), "1000万元") ||
		doc.Find(`meta[name="robots"][content="noindex"]`).Length() != 1 || doc.Find(`link[rel="canonical"]`).Length() != 0 {
		t.Errorf("preview lacks the banner, the amount or noindex:\n%s", doc.Find("main").Text())
	}
	if preview.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("preview Cache-Control = %q", preview.Header().Get("Cache-Control"))
	}

	// Publish: public at once, audited as publish.
	form = editor.openContentForm(path)
	form.Set("status", "published")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("publish = %d\n%s", rec.Code, rec.Body.String())
	}
	public := anon.get("/policies/" + slug)
	if public.Code != http.StatusOK || !strings.Contains(public.Body.String(), "1000万元") {
		t.Fatalf("published page = %d", public.Code)
	}
	audit := auditOf(t, db, "policies", id)
	if len(audit) != 2 || audit[0].Action != "create" || audit[1].Action != "publish" || audit[1].Actor != "editor@bureau.example" {
		t.Fatalf("audit = %+v", audit)
	}
	var status []string
	if err := json.Unmarshal(audit[1].Changes["status"], &status); err != nil || strings.Join(status, ">") != "draft>published" {
		t.Errorf("publish diff status = %s", audit[1].Changes["status"])
	}
	if _, ok := audit[0].Changes["benefit_items"]; !ok {
		t.Errorf("create entry lacks the benefit items: %v", audit[0].Changes)
	}

	// Saving without a change writes no version and no audit entry.
	form = editor.openContentForm(path)
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "unchanged") {
		t.Errorf("unchanged save = %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if n := len(auditOf(t, db, "policies", id)); n != 2 {
		t.Errorf("an unchanged save wrote an audit entry (%d)", n)
	}
}

func TestContentEditIsAuditedWithItsDiff(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.72")
	id := policyIDBySlug(t, db, electronicsPolicy)
	path := "/admin/policies/" + strconv.FormatInt(id, 10)

	form := editor.openContentForm(path)
	if form.Get("benefit_items.0.amount_yuan") == "" {
		t.Fatalf("the form does not show the first benefit amount: %v", form)
	}
	old := form.Get("benefit_items.0.amount_yuan")
	form.Set("benefit_items.0.amount_yuan", "1234.5")
	form.Set("summary", "新的摘要")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", rec.Code, rec.Body.String())
	}
	audit := auditOf(t, db, "policies", id)
	if len(audit) != 1 || audit[0].Action != "update" {
		t.Fatalf("audit = %+v", audit)
	}
	if _, ok := audit[0].Changes["summary"]; !ok {
		t.Errorf("diff lacks summary: %v", audit[0].Changes)
	}
	var items [2][]map[string]string
	if err := json.Unmarshal(audit[0].Changes["benefit_items"], &items); err != nil {
		t.Fatalf("benefit diff: %v %s", err, audit[0].Changes["benefit_items"])
	}
	if items[1][0]["amount_yuan"] != "12345000" || items[0][0]["amount_yuan"] == items[1][0]["amount_yuan"] {
		t.Errorf("benefit diff = %+v", items)
	}
	if len(audit[0].Changes) != 2 {
		t.Errorf("diff lists unchanged fields: %v", audit[0].Changes)
	}

	// Readable per record and as a whole.
	for _, page := range []string{path + "/history", "/admin/audit", "/admin/audit?type=policies"} {
		doc := parse(t, editor.get(page))
		text := doc.Find(`[data-testid="audit"]`).Text()
		if !strings.Contains(text, "1234.5 万元") || !strings.Contains(text, old+" 万元") || !strings.Contains(text, "摘要") {
			t.Errorf("%s does not show the change:\n%s", page, text)
		}
	}
	if rec := editor.get("/admin/audit?type=secrets"); rec.Code != http.StatusBadRequest {
		t.Errorf("unknown audit type = %d, want 400", rec.Code)
	}
}

func TestSecondSaveOfTheSameVersionIsAConflict(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	first := signedIn(t, db, e, models.RoleEditor, "192.0.2.73")
	second := signedIn(t, db, e, models.RoleAdmin, "192.0.2.74")
	id := policyIDBySlug(t, db, electronicsPolicy)
	path := "/admin/policies/" + strconv.FormatInt(id, 10)

	a, b := first.openContentForm(path), second.openContentForm(path)
	a.Set("summary", "第一位编辑的摘要")
	if rec := first.post(path, a); rec.Code != http.StatusSeeOther {
		t.Fatalf("first save = %d", rec.Code)
	}
	b.Set("summary", "第二位编辑的摘要")
	rec := second.post(path, b)
	if rec.Code != http.StatusConflict {
		t.Fatalf("second save = %d, want 409", rec.Code)
	}
	doc := parse(t, rec)
	conflict := doc.Find(`[data-testid="conflict"]`).Text()
	if !strings.Contains(conflict, "editor 用户") || !strings.Contains(conflict, "第一位编辑的摘要") {
		t.Errorf("conflict does not say who saved and what:\n%s", conflict)
	}
	if got := doc.Find(`textarea[name="summary"]`).Text(); !strings.Contains(got, "第二位编辑的摘要") {
		t.Errorf("the second editor's text was not kept: %q", got)
	}
	var summary string
	db.Raw("SELECT summary FROM policies WHERE id = ?", id).Scan(&summary)
	if summary != "第一位编辑的摘要" {
		t.Fatalf("stored summary = %q: the conflict overwrote it", summary)
	}
	// Saving again from the conflict page is a deliberate overwrite.
	if rec := second.post(path, formValues(doc)); rec.Code != http.StatusSeeOther {
		t.Fatalf("save after conflict = %d", rec.Code)
	}
	db.Raw("SELECT summary FROM policies WHERE id = ?", id).Scan(&summary)
	if summary != "第二位编辑的摘要" {
		t.Errorf("stored summary = %q after the deliberate save", summary)
	}
}

func TestContentFormRefusesBadInput(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.75")
	id := policyIDBySlug(t, db, electronicsPolicy)
	path := "/admin/policies/" + strconv.FormatInt(id, 10)
	base := editor.openContentForm(path)
	base.Set("effective_on", "2019-01-01") // valid alone; the expiry case must fall before it
	policies, audits := countRows(t, db, "policies"), countRows(t, db, "audit_log")
	var before string
	db.Raw("SELECT row_to_json(p)::text FROM policies p WHERE id = ?", id).Scan(&before)

	cases := []struct {
		name, field, value, errorField string
	}{
		{"empty title", "title", "", "title"},
		{"spaces only", "title", "   ", "title"},
		{"title too long", "title", strings.Repeat("政", 301), "title"},
		{"invalid UTF-8", "title", "赤峰\xff", "title"},
		{"control character", "issuing_body", "政府\x00", "issuing_body"},
		{"slug with capitals", "slug", "Chifeng-Policy", "slug"},
		{"slug with SQL", "slug", "x'; DROP TABLE policies; --", "slug"},
		{"slug taken", "slug", "chifeng-gaoxinqu-policy-taken", "slug"},
		{"date not a date", "effective_on", "2026-02-30", "effective_on"},
		{"expiry before effect", "expires_on", "1999-01-01", "expires_on"},
		{"unknown region", "region_id", "999999", "region_id"},
		{"region not a number", "region_id", "hongshan", "region_id"},
		{"unknown status", "status", "archived", "status"},
		{"publish time garbage", "publish_at", "tomorrow", "publish_at"},
		{"amount with letters", "benefit_items.0.amount_yuan", "五千", "benefit_items.0.amount_yuan"},
		{"negative amount", "benefit_items.0.amount_yuan", "-5", "benefit_items.0.amount_yuan"},
		{"amount below one yuan", "benefit_items.0.amount_yuan", "1.23456", "benefit_items.0.amount_yuan"},
		{"unknown benefit kind", "benefit_items.0.kind", "bribe", "benefit_items.0.kind"},
		{"benefit without recipient", "benefit_items.0.recipient", "", "benefit_items.0.recipient"},
	}
	// A slug another policy has, to be refused.
	dbtest.MustExec(t, db, "UPDATE policies SET slug = 'chifeng-gaoxinqu-policy-taken' WHERE id <> ? AND id = (SELECT min(id) FROM policies WHERE id <> ?)", id, id)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := maps.Clone(base) // Set replaces a value's slice, so a shallow copy is enough
			form.Set(tc.field, tc.value)
			rec := editor.post(path, form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%s = %d, want 422", tc.name, rec.Code)
			}
			doc := parse(t, rec)
			if doc.Find(`[data-testid="error-`+tc.errorField+`"]`).Length() != 1 {
				t.Errorf("no message beside %s; errors: %s", tc.errorField, doc.Find(".field-error").Text())
			}
			if doc.Find(`[data-testid="error-summary"]`).Length() != 1 {
				t.Error("no error summary")
			}
			kept := formValues(doc)
			if tc.value != "" && strings.ToValidUTF8(kept.Get(tc.field), "\uFFFD") != strings.ToValidUTF8(tc.value, "\uFFFD") &&
				!strings.Contains(tc.field, "region_id") && tc.field != "status" && !strings.HasSuffix(tc.field, "kind") && tc.name != "control character" {
				t.Errorf("typed value not kept: %q", kept.Get(tc.field))
			}
		})
	}
	var after string
	db.Raw("SELECT row_to_json(p)::text FROM policies p WHERE id = ?", id).Scan(&after)
	if after != before || countRows(t, db, "policies") != policies || countRows(t, db, "audit_log") != audits {
		t.Error("a refused form changed the database")
	}

	// Script tags and SQL metacharacters are text: stored as typed, shown escaped.
	form := maps.Clone(base)
	form.Set("title", `<script>alert("x")</script>'; DROP TABLE policies; --`)
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("title with markup = %d\n%s", rec.Code, rec.Body.String())
	}
	page := editor.get(path).Body.String()
	if strings.Contains(page, `<script>alert("x")`) || !strings.Contains(page, "&lt;script&gt;") {
		t.Error("title with markup not escaped on the edit page")
	}

	// Unknown and malformed record ids.
	for _, p := range []string{"/admin/policies/999999", "/admin/policies/abc", "/admin/policies/-1", "/admin/policies/1%27"} {
		if rec := editor.get(p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

func TestScheduledPublishingAndSoftDelete(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.76")
	anon := newVisitor(t, e, "192.0.2.77")

	form := editor.openContentForm("/admin/news/new")
	form.Set("title", "赤峰市举行2026年重点项目集中开工活动")
	form.Set("source_name", "赤峰日报")
	form.Set("body", "全市集中开工重点项目。")
	form.Set("status", "published")
	form.Set("publish_at", "2099-01-01T09:00")
	if rec := editor.post("/admin/news", form); rec.Code != http.StatusSeeOther {
		t.Fatalf("create = %d\n%s", rec.Code, rec.Body.String())
	}
	slug := "chi-feng-shi-ju-xing-2026-nian-zhong-dian-xiang-mu-ji-zhong-kai-gong-huo-dong"
	var id int64
	db.Raw("SELECT id FROM news_articles WHERE slug = ?", slug).Scan(&id)
	if id == 0 {
		t.Fatal("news article not stored under its pinyin slug")
	}
	if rec := anon.get("/news/" + slug); rec.Code != http.StatusNotFound {
		t.Errorf("scheduled article public before its time: %d", rec.Code)
	}
	list := parse(t, editor.get("/admin/news?state=scheduled")).Find(`[data-testid="admin-list"]`).Text()
	if !strings.Contains(list, "赤峰市举行2026年") || !strings.Contains(list, "定时发布") {
		t.Errorf("scheduled list:\n%s", list)
	}
	// Time passes.
	dbtest.MustExec(t, db, "UPDATE news_articles SET publish_at = now() - interval '1 minute' WHERE id = ?", id)
	if rec := anon.get("/news/" + slug); rec.Code != http.StatusOK {
		t.Errorf("article not public once due: %d", rec.Code)
	}

	// Delete asks first, then hides the page but keeps the record and slug.
	path := "/admin/news/" + strconv.FormatInt(id, 10)
	confirm := parse(t, editor.get(path+"/delete"))
	if !strings.Contains(confirm.Find(`[data-testid="delete-question"]`).Text(), "赤峰市举行2026年") {
		t.Error("delete confirmation does not name the record")
	}
	if rec := editor.post(path+"/delete", url.Values{"_csrf": {editor.csrf()}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("delete = %d", rec.Code)
	}
	if rec := anon.get("/news/" + slug); rec.Code != http.StatusNotFound {
		t.Errorf("deleted article still public: %d", rec.Code)
	}
	if rec := editor.get(path); rec.Code != http.StatusNotFound {
		t.Errorf("deleted article still editable: %d", rec.Code)
	}
	form = editor.openContentForm("/admin/news/new")
	form.Set("title", "另一篇")
	form.Set("slug", slug)
	form.Set("source_name", "赤峰日报")
	form.Set("body", "正文")
	if rec := editor.post("/admin/news", form); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("slug of a deleted article reused: %d", rec.Code)
	}
	if rec := editor.post(path+"/restore", url.Values{"_csrf": {editor.csrf()}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("restore = %d", rec.Code)
	}
	if rec := anon.get("/news/" + slug); rec.Code != http.StatusOK {
		t.Errorf("restored article not public: %d", rec.Code)
	}
	var actions []string
	for _, a := range auditOf(t, db, "news_articles", id) {
		actions = append(actions, a.Action)
	}
	if strings.Join(actions, ",") != "create,delete,restore" {
		t.Errorf("audit actions = %v", actions)
	}
}

func TestEveryAdminPostRefusesAMissingCSRFToken(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	admin := signedIn(t, db, e, models.RoleAdmin, "192.0.2.78")
	audits := countRows(t, db, "audit_log")
	for _, r := range adminRoutes(e) {
		if r.Method != http.MethodPost {
			continue
		}
		path := strings.ReplaceAll(r.Path, ":id", "1")
		for name, form := range map[string]url.Values{"missing": {"title": {"x"}}, "wrong": {"_csrf": {"forged"}, "title": {"x"}}} {
			if rec := admin.do(newRequest(http.MethodPost, path, form)); rec.Code != http.StatusForbidden {
				t.Errorf("POST %s with a %s CSRF token = %d, want 403", path, name, rec.Code)
			}
		}
	}
	if countRows(t, db, "audit_log") != audits {
		t.Error("a request without a CSRF token changed something")
	}
}

func TestViewerSeesContentReadOnly(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	viewer := signedIn(t, db, e, models.RoleViewer, "192.0.2.79")
	id := policyIDBySlug(t, db, electronicsPolicy)
	doc := parse(t, viewer.get("/admin/policies/"+strconv.FormatInt(id, 10)))
	if doc.Find(`form[data-testid="content-form"] fieldset[disabled]`).Length() != 1 || doc.Find(`[data-testid="save"]`).Length() != 0 {
		t.Error("a viewer's form is editable")
	}
	if doc.Find(`[data-testid="new-record"]`).Length() != 0 {
		t.Error("a viewer is offered to create")
	}
}

func TestOfficerEditsOnlyTheProjectsAssignedToThem(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	officer := signedIn(t, db, e, models.RoleOfficer, "192.0.2.96")
	var officerID, mine, other int64
	db.Raw("SELECT id FROM staff_users WHERE role = 'officer'").Scan(&officerID)
	db.Raw("SELECT min(id) FROM projects").Scan(&mine)
	db.Raw("SELECT max(id) FROM projects").Scan(&other)
	dbtest.MustExec(t, db, "UPDATE projects SET officer_id = ? WHERE id = ?", officerID, mine)
	minePath, otherPath := "/admin/projects/"+strconv.FormatInt(mine, 10), "/admin/projects/"+strconv.FormatInt(other, 10)

	list := parse(t, officer.get("/admin/projects?mine=1")).Find(`[data-testid="admin-list"] tbody tr`)
	if list.Length() != 1 {
		t.Errorf("officer's own projects: %d rows, want 1", list.Length())
	}
	// Someone else's project: read-only, and a save is refused.
	doc := parse(t, officer.get(otherPath))
	if doc.Find(`fieldset[disabled]`).Length() != 1 {
		t.Error("another officer's project is editable")
	}
	form := formValues(doc)
	form.Set("stage", "producing")
	if rec := officer.post(otherPath, form); rec.Code != http.StatusForbidden {
		t.Errorf("saving an unassigned project = %d, want 403", rec.Code)
	}
	// Their own: the stage moves on, the assignment cannot be handed on.
	form = officer.openContentForm(minePath)
	form.Set("stage", "producing")
	form.Set("officer_id", "")
	if rec := officer.post(minePath, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("saving their project = %d\n%s", rec.Code, rec.Body.String())
	}
	var stage string
	var assigned int64
	db.Raw("SELECT stage, COALESCE(officer_id, 0) FROM projects WHERE id = ?", mine).Row().Scan(&stage, &assigned)
	if stage != "producing" || assigned != officerID {
		t.Errorf("after the officer's save: stage %q, officer %d", stage, assigned)
	}
	if rec := officer.get(minePath + "/delete"); rec.Code != http.StatusForbidden {
		t.Errorf("officer may delete: %d", rec.Code)
	}
}
