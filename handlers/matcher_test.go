package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"investportal/models"
	"investportal/models/dbtest"
)

// matchAnswer is the matcher's answer as a visitor reads it: the summary,
// the estimate, and the amounts and texts of each outcome's items.
type matchAnswer struct {
	summary, estimate string
	groups            map[string][]string // "matched", "undecided", "if-qualify", "superseded" → "benefit amount | missing"
}

func askMatcher(t *testing.T, e http.Handler, target string) matchAnswer {
	t.Helper()
	rec := get(t, e, http.MethodGet, target)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s = %d", target, rec.Code)
	}
	doc := parse(t, rec)
	a := matchAnswer{
		summary:  strings.TrimSpace(doc.Find(`[data-testid="match-summary"]`).Text()),
		estimate: strings.TrimSpace(doc.Find(`[data-testid="match-estimate"]`).Text()),
		groups:   map[string][]string{},
	}
	for _, g := range []string{"matched", "undecided", "if-qualify", "superseded"} {
		doc.Find(`[data-testid="match-` + g + `"] [data-testid="match-item"]`).Each(func(_ int, it *goquery.Selection) {
			line := strings.Join(strings.Fields(it.Find(".match-benefit").Text()+" "+it.Find(".match-amount-col").Text()), " ")
			if missing := strings.TrimSpace(it.Find(`[data-testid="match-missing"]`).Text()); missing != "" {
				line += " | " + strings.Join(strings.Fields(missing), " ")
			}
			a.groups[g] = append(a.groups[g], line)
		})
	}
	return a
}

func groupHas(lines []string, parts ...string) bool {
	for _, l := range lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// The seed's case: an electronics project in Chifeng that will create a
// national manufacturing innovation centre gets the 1000万元 award and not
// also the provincial 500万元 one.
func TestMatcherSeedCase(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	a := askMatcher(t, e, "/match?region=chifeng&chain=chifeng-electronics&amount=2&unit=yi&space=5000&innovation_centre=national")
	if a.estimate != "已公布金额的估算合计:1000万元" {
		t.Errorf("estimate = %q, want 1000万元 (not 1500万元)", a.estimate)
	}
	if !groupHas(a.groups["matched"], "制造业创新中心", "1000万元") || groupHas(a.groups["matched"], "500万元") {
		t.Errorf("matched = %q", a.groups["matched"])
	}
	if !groupHas(a.groups["superseded"], "制造业创新中心", "500万元", "1000万元") {
		t.Errorf("superseded = %q: the provincial award must be named as not granted together", a.groups["superseded"])
	}
	// The other centres' awards are named with what would decide them.
	if !groupHas(a.groups["if-qualify"], "企业技术中心", "500万元", "需要具备国家级企业技术中心") {
		t.Errorf("if-qualify = %q", a.groups["if-qualify"])
	}
	// Items without a published amount are listed, not summed.
	if !groupHas(a.groups["matched"], "设备补贴", "金额未公布") {
		t.Errorf("matched = %q: the equipment subsidy (amount not published) is missing", a.groups["matched"])
	}

	// Policies in force here without entered items are named, not weighed.
	doc := parse(t, get(t, e, http.MethodGet, "/match?region=chifeng"))
	if !strings.Contains(doc.Find(`[data-testid="match-unitemised"]`).Text(), "50多项") {
		t.Error("Chifeng's 50 support measures (no items entered) are not named")
	}

	// Provincial only: the 500万元 award, and the national one is not granted.
	a = askMatcher(t, e, "/match?region=chifeng&chain=chifeng-electronics&innovation_centre=provincial")
	if a.estimate != "已公布金额的估算合计:500万元" || !groupHas(a.groups["if-qualify"], "1000万元", "需要具备国家级制造业创新中心") {
		t.Errorf("provincial centre: estimate %q, if-qualify %q", a.estimate, a.groups["if-qualify"])
	}

	// Another chain: the electronics policy's items do not apply at all;
	// no chain given: they wait for that answer.
	a = askMatcher(t, e, "/match?region=chifeng&chain=chifeng-logistics&innovation_centre=national")
	if groupHas(a.groups["matched"], "1000万元") || groupHas(a.groups["undecided"], "1000万元") || a.estimate != "" {
		t.Errorf("logistics project matched the electronics awards: %+v", a)
	}
	a = askMatcher(t, e, "/match?region=chifeng&innovation_centre=national")
	if !groupHas(a.groups["undecided"], "1000万元", "请选择项目所属产业链") {
		t.Errorf("no chain: undecided = %q", a.groups["undecided"])
	}

	// A district of Chifeng gets Chifeng's policies; another city does not.
	a = askMatcher(t, e, "/match?region=hongshan&chain=chifeng-electronics&innovation_centre=national")
	if a.estimate != "已公布金额的估算合计:1000万元" {
		t.Errorf("Hongshan: estimate %q", a.estimate)
	}
	a = askMatcher(t, e, "/match?region=taiyuan&chain=chifeng-electronics&innovation_centre=national")
	if len(a.groups["matched"])+len(a.groups["undecided"]) != 0 {
		t.Errorf("Taiyuan got Chifeng's policies: %+v", a.groups)
	}
}

// Rules editors keep: minimum investment, qualifications without a level,
// policies of a place within the chosen region, expired policies and
// policies not yet in force.
func TestMatcherRules(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	today := time.Now().In(time.FixedZone("CST", 8*3600))
	day := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }
	addPolicy := func(slug, region, effective, expires string) int64 {
		t.Helper()
		var id int64
		err := db.Raw(`INSERT INTO policies (slug, region_id, title, issuing_body, status, effective_on, expires_on)
			VALUES (?, (SELECT id FROM regions WHERE slug = ?), ?, '测试机关', 'published', NULLIF(?, '')::date, NULLIF(?, '')::date) RETURNING id`,
			slug, region, "测试政策"+slug, effective, expires).Scan(&id).Error
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	addItem := func(policy int64, pos int, recipient string, amountWan int64, set string) {
		t.Helper()
		if err := db.Exec(`INSERT INTO benefit_items (policy_id, position, kind, recipient, amount_yuan) VALUES (?, ?, 'one_time_award', ?, ?)`,
			policy, pos, recipient, amountWan*10_000).Error; err != nil {
			t.Fatal(err)
		}
		if set != "" {
			if err := db.Exec(`UPDATE benefit_items SET `+set+` WHERE policy_id = ? AND position = ?`, policy, pos).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	p := addPolicy("test-taiyuan-in-force", "taiyuan", "", "")
	addItem(p, 0, "大项目奖励", 300, "min_investment_yuan = 100000000")
	addItem(p, 1, "高新技术企业奖励", 50, "qualification = 'high_tech'")
	addItem(p, 2, "迁入企业奖励", 20, "qualification = 'relocation'")
	addItem(addPolicy("test-taiyuan-expired", "taiyuan", day(-400), day(-1)), 0, "过期奖励", 999, "")
	addItem(addPolicy("test-taiyuan-ends-today", "taiyuan", "", day(0)), 0, "今日到期奖励", 7, "")
	addItem(addPolicy("test-taiyuan-future", "taiyuan", day(30), ""), 0, "将来奖励", 11, "")
	var sub string
	if err := db.Raw(`SELECT slug FROM regions WHERE parent_id = (SELECT id FROM regions WHERE slug = 'taiyuan') ORDER BY id LIMIT 1`).Scan(&sub).Error; err != nil || sub == "" {
		t.Fatalf("a region within Taiyuan: %q %v", sub, err)
	}
	addItem(addPolicy("test-taiyuan-district", sub, "", ""), 0, "区县奖励", 5, "")
	e := newRouter(db)

	a := askMatcher(t, e, "/match?region=taiyuan&amount=1.5&unit=yi&high_tech=yes")
	for _, want := range []string{"大项目奖励", "高新技术企业奖励", "今日到期奖励", "将来奖励"} {
		if !groupHas(a.groups["matched"], want) {
			t.Errorf("matched lacks %s: %q", want, a.groups["matched"])
		}
	}
	if groupHas(append(append(a.groups["matched"], a.groups["undecided"]...), a.groups["if-qualify"]...), "过期奖励") {
		t.Errorf("an expired policy is listed: %+v", a.groups)
	}
	if !groupHas(a.groups["if-qualify"], "迁入企业奖励", "需要具备从外地整体或部分迁入") {
		t.Errorf("if-qualify = %q", a.groups["if-qualify"])
	}
	if !groupHas(a.groups["undecided"], "区县奖励", "项目须落户该地") {
		t.Errorf("a district's policy: undecided = %q", a.groups["undecided"])
	}
	// 300 + 50 + 7 + 11 万元.
	if a.estimate != "已公布金额的估算合计:368万元" {
		t.Errorf("estimate = %q", a.estimate)
	}
	rec := get(t, e, http.MethodGet, "/match?region=taiyuan&amount=1.5&unit=yi&high_tech=yes")
	if !strings.Contains(rec.Body.String(), "尚未施行") {
		t.Error("the policy not yet in force is not marked")
	}

	// Below the minimum, the large-project award is not offered; no amount
	// given, it waits for one.
	a = askMatcher(t, e, "/match?region=taiyuan&amount=5000&unit=wan")
	if groupHas(a.groups["matched"], "大项目奖励") || groupHas(a.groups["undecided"], "大项目奖励") {
		t.Errorf("5000万元 got the award for 1亿元 or more: %+v", a.groups)
	}
	a = askMatcher(t, e, "/match?region=taiyuan")
	if !groupHas(a.groups["undecided"], "大项目奖励", "请填写计划投资额") {
		t.Errorf("no amount: undecided = %q", a.groups["undecided"])
	}
	// Only the region chosen and the ones above it count.
	a = askMatcher(t, e, "/match?region="+sub)
	if !groupHas(a.groups["matched"], "区县奖励") || !groupHas(a.groups["if-qualify"], "高新技术企业奖励") {
		t.Errorf("district: %+v", a.groups)
	}
}

// Every bad answer gets a message beside its field and a 422; nothing is
// matched from a half-understood form.
func TestMatcherBadInput(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	rec := get(t, e, http.MethodGet, "/match")
	if rec.Code != http.StatusOK || parse(t, rec).Find(`[data-testid="match-answer"]`).Length() != 0 {
		t.Fatalf("empty form: %d", rec.Code)
	}
	for _, c := range []struct{ query, field string }{
		{"chain=chifeng-electronics", "region"},
		{"region=", "region"},
		{"region=atlantis", "region"},
		{"region=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "region"},
		{"region=chifeng'%20OR%201=1--", "region"},
		{"region=%FF%FE", "region"},
		{"region=chifeng&chain=nope", "chain"},
		{"region=chifeng&amount=abc&unit=wan", "amount"},
		{"region=chifeng&amount=-5&unit=wan", "amount"},
		{"region=chifeng&amount=0&unit=yi", "amount"},
		{"region=chifeng&amount=" + strings.Repeat("9", 40) + "&unit=yi", "amount"},
		{"region=chifeng&amount=2000000&unit=yi", "amount"},
		{"region=chifeng&amount=5&unit=usd", "unit"},
		{"region=chifeng&land=ten", "land"},
		{"region=chifeng&land=1.234", "land"},
		{"region=chifeng&land=-1", "land"},
		{"region=chifeng&space=5000.5", "space"},
		{"region=chifeng&space=%3D1%2B1", "space"},
		{"region=chifeng&jobs=99999999999", "jobs"},
		{"region=chifeng&innovation_centre=world", "innovation_centre"},
		{"region=chifeng&high_tech=maybe", "high_tech"},
		{"region=chifeng&relocation=%00", "relocation"},
	} {
		rec := get(t, e, http.MethodGet, "/match?"+c.query)
		doc := parse(t, rec)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", c.query, rec.Code)
			continue
		}
		if doc.Find(`[data-testid="error-`+c.field+`"]`).Length() != 1 {
			t.Errorf("%s: no message beside %s", c.query, c.field)
		}
		if doc.Find(`[data-testid="match-answer"]`).Length() != 0 {
			t.Errorf("%s: an answer was given", c.query)
		}
		if strings.Contains(rec.Body.String(), "<script>alert") {
			t.Errorf("%s: the script came back unescaped", c.query)
		}
	}
}

// The matcher speaks the three languages.
func TestMatcherLanguages(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	for prefix, want := range map[string][]string{
		"":         {"政策计算器", "已公布金额的估算合计:1000万元"},
		"/zh-hant": {"政策計算器", "已公佈金額的估算合計:1000萬元"},
		"/en":      {"Incentive finder", "Estimated total of the published amounts: 10,000,000 yuan"},
	} {
		rec := get(t, e, http.MethodGet, prefix+"/match?region=chifeng&chain=chifeng-electronics&innovation_centre=national")
		for _, w := range want {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("%s/match lacks %q", prefix, w)
			}
		}
	}
	rec := get(t, e, http.MethodGet, "/en/match?region=chifeng&land=x")
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "with at most two decimals") {
		t.Errorf("English error: %d", rec.Code)
	}
}

// Editors keep the rules in the admin, the form refuses a level on a
// qualification that has none, and the matcher follows an edit at once.
func TestEditorKeepsBenefitEligibility(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.80")
	anon := newVisitor(t, e, "192.0.2.81")
	const ask = "/match?region=chifeng&chain=chifeng-electronics&amount=3000&unit=wan&high_tech=yes"
	if rec := anon.get(ask); !strings.Contains(rec.Body.String(), "设备补贴") {
		t.Fatalf("before the edit the equipment subsidy matches:\n%s", rec.Body.String())
	}

	path := "/admin/policies/" + strconv.FormatInt(policyIDBySlug(t, db, "chifeng-electronics-intelligent-manufacturing-support"), 10)
	form := editor.openContentForm(path)
	if form.Get("benefit_items.0.qualification") != "innovation_centre" || form.Get("benefit_items.0.qualification_level") != "national" ||
		form.Get("benefit_items.0.exclusive_group") != "制造业创新中心奖励" || form.Get("benefit_items.0.chain_id") == "" {
		t.Fatalf("the form does not show the seeded rules: %v", form)
	}
	form.Set("benefit_items.6.qualification", "high_tech")
	form.Set("benefit_items.6.qualification_level", "national")
	rec := editor.post(path, form)
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "其他资质请把级别留空") {
		t.Fatalf("a level on high_tech = %d", rec.Code)
	}
	form.Set("benefit_items.6.qualification_level", "")
	form.Set("benefit_items.6.min_investment_yuan", "5000")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", rec.Code, rec.Body.String())
	}
	var rule struct {
		Qualification     string
		MinInvestmentYuan int64
	}
	db.Raw(`SELECT qualification, min_investment_yuan FROM benefit_items b JOIN policies p ON p.id = b.policy_id
		WHERE p.slug = 'chifeng-electronics-intelligent-manufacturing-support' AND b.position = 6`).Scan(&rule)
	if rule.Qualification != "high_tech" || rule.MinInvestmentYuan != 50_000_000 {
		t.Fatalf("stored rule = %+v", rule)
	}
	// 3000万元 is below the new minimum: the subsidy is no longer offered.
	a := askMatcher(t, e, ask)
	if groupHas(a.groups["matched"], "设备补贴") || groupHas(a.groups["undecided"], "设备补贴") {
		t.Errorf("after the edit: %+v", a.groups)
	}
	a = askMatcher(t, e, strings.Replace(ask, "amount=3000", "amount=6000", 1))
	if !groupHas(a.groups["matched"], "设备补贴") {
		t.Errorf("6000万元 and high-tech: matched = %q", a.groups["matched"])
	}
}

// Where policies are many, each group lists the first 50 items and says
// how many more there are; the estimate counts them all. With more than
// 300 candidates their texts are not kept with them but read for the
// items listed.
func TestMatcherListsAtMostFiftyOfAKind(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	dbtest.MustExec(t, db, `INSERT INTO policies (slug, region_id, title, issuing_body, status)
		SELECT 'many-' || g, (SELECT id FROM regions WHERE slug = 'taiyuan'), '测试政策' || g, '测试机关', 'published'
		FROM generate_series(1, 350) g`)
	dbtest.MustExec(t, db, `INSERT INTO benefit_items (policy_id, position, kind, recipient, amount_yuan)
		SELECT id, 0, 'one_time_award', '入驻企业', 10000 FROM policies WHERE slug LIKE 'many-%'`)
	e := newRouter(db)
	a := askMatcher(t, e, "/match?region=taiyuan")
	if n := len(a.groups["matched"]); n != 50 {
		t.Errorf("%d matched items listed, want 50", n)
	}
	doc := parse(t, get(t, e, http.MethodGet, "/match?region=taiyuan"))
	if omitted := doc.Find(`[data-testid="match-omitted"]`).Text(); !strings.Contains(omitted, "另有300项未列出") {
		t.Errorf("omitted note = %q", omitted)
	}
	if !strings.Contains(a.estimate, "350万元") {
		t.Errorf("estimate = %q, want the 350 items' 350万元", a.estimate)
	}
	if !groupHas(a.groups["matched"], "入驻企业", "1万元") {
		t.Errorf("the listed items lack their texts: %q", a.groups["matched"][:min(3, len(a.groups["matched"]))])
	}
}
