package handlers_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"investportal/models"
	"investportal/models/dbtest"
)

// The statistics page and its downloads agree with a hand count of a small
// dataset added to the seed: a project signed at two events counts once,
// a dollar signing is converted and said to be.
func TestStatisticsPageAndDownloads(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	// Two projects of Harqin: one signed at the 2019 conference and again
	// at the autumn 2021 signing, one signed in dollars.
	dbtest.MustExec(t, db, `UPDATE projects SET contracted_amount_yuan = 200000000, stage = 'started'
		WHERE slug = 'harqin-smart-electronics-processing'`)
	dbtest.MustExec(t, db, `INSERT INTO project_appearances (project_id, position, signing_event_id, role)
		SELECT p.id, 2, e.id, 're_signed' FROM projects p, signing_events e
		WHERE p.slug = 'harqin-smart-electronics-processing' AND e.slug = 'chifeng-autumn-online-signing-2021'`)
	dbtest.MustExec(t, db, `UPDATE projects SET contract_currency = 'USD', contract_amount_original = 10000000,
		contract_rate_to_yuan = 7.1, contract_rate_on = '2019-04-26', contracted_amount_yuan = 71000000
		WHERE slug = 'huaqing-xinyun-tech-park'`)
	var harqinProjects int64
	db.Raw(`SELECT count(*) FROM projects p JOIN regions r ON r.id = p.region_id WHERE r.slug = 'harqin' AND p.status = 'published'`).Scan(&harqinProjects)
	if harqinProjects != 2 {
		t.Fatalf("the seed has %d Harqin projects; the test expects 2", harqinProjects)
	}

	rec := get(t, e, http.MethodGet, "/statistics?region=harqin")
	if rec.Code != http.StatusOK {
		t.Fatalf("statistics: %d", rec.Code)
	}
	doc := parse(t, rec)
	if got := doc.Find(`[data-testid="projects"] .stat-value`).Text(); got != "2" {
		t.Errorf("projects figure %q", got)
	}
	if got := doc.Find(`[data-testid="start-rate"] .stat-value`).Text(); got != "50%" {
		t.Errorf("start rate %q", got)
	}
	honesty := doc.Find(`[data-testid="stats-honesty"]`).Text()
	for _, want := range []string{"本站记录2个不同项目", "合计2.71亿元", "1个外币签约项目"} {
		if !strings.Contains(honesty, want) {
			t.Errorf("honesty %q lacks %q", honesty, want)
		}
	}
	for _, id := range []string{"stats-by-year", "stats-by-region", "stats-by-chain", "stats-by-stage", "stats-done"} {
		panel := doc.Find(`[data-testid="` + id + `"]`)
		if panel.Find(`svg[role="img"] title`).Length() != 1 || panel.Find("table").Length() != 1 || panel.Find(`[data-testid="summary"]`).Text() == "" {
			t.Errorf("%s: no chart, table or summary", id)
		}
	}
	if n := doc.Find(`[data-testid="downloads"] a[data-testid="csv"]`).Length(); n != 7 {
		t.Errorf("%d CSV links", n)
	}
	if href, _ := doc.Find(`[data-testid="downloads"] a[data-testid="json"]`).First().Attr("href"); href != "/statistics/overview.json?region=harqin" {
		t.Errorf("first JSON link %q", href)
	}

	// The events table: the 2019 conference announced 16 projects and
	// 84.8亿元; the records differ, and the page says so.
	// (Events are of Chifeng, so they show on the unfiltered page.)
	events := parse(t, get(t, e, http.MethodGet, "/statistics")).Find(`[data-testid="stats-events"]`).Text()
	if !strings.Contains(events, "16个项目、84.8亿元") || !strings.Contains(events, "不一致") {
		t.Errorf("events section %q", events)
	}

	// JSON: the same figures, machine-readable, in yuan.
	rec = get(t, e, http.MethodGet, "/statistics/overview.json?region=harqin")
	var overview struct {
		Dataset, Region string
		Rows            []map[string]any
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &overview) != nil || len(overview.Rows) != 1 {
		t.Fatalf("overview.json: %d %s", rec.Code, rec.Body.String())
	}
	row := overview.Rows[0]
	if overview.Region != "harqin" || row["projects"] != 2.0 || row["contracted_yuan"] != 271000000.0 ||
		row["projects_converted_from_foreign_currency"] != 1.0 || row["start_rate"] != 0.5 {
		t.Errorf("overview row %v", row)
	}

	// CSV: BOM, localized header, one row per event; Excel-safe names.
	rec = get(t, e, http.MethodGet, "/statistics/events.csv")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.HasPrefix(body, "\uFEFF") || !strings.Contains(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("events.csv: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	lines, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\uFEFF"))).ReadAll()
	if err != nil || len(lines) < 3 || lines[0][0] != "代码" {
		t.Fatalf("events.csv: %v %v", err, lines)
	}
	for _, l := range lines[1:] {
		if l[0] == "chifeng-autumn-online-signing-2021" && l[5] != "1" {
			t.Errorf("autumn signing on record: %v", l)
		}
	}
	if en := get(t, e, http.MethodGet, "/en/statistics/events.csv").Body.String(); !strings.Contains(en, "projects on record") {
		t.Errorf("English CSV header: %.200q", en)
	}

	// The conference's page: the funnel, the announced figures beside the
	// records, and the re-signing counted once.
	rec = get(t, e, http.MethodGet, "/events/chifeng-autumn-online-signing-2021")
	funnel := parse(t, rec).Find(`[data-testid="event-funnel"]`).Text()
	if !strings.Contains(funnel, "再次签约1个") || !strings.Contains(funnel, "本站记录1个不同项目") {
		t.Errorf("autumn funnel %q", funnel)
	}
	// The project's page names both events with their roles, and the
	// dollar signing as signed.
	page := parse(t, get(t, e, http.MethodGet, "/projects/harqin-smart-electronics-processing")).Text()
	if !strings.Contains(page, "再次签约") || !strings.Contains(page, "赤峰市秋季招商引资项目网上签约仪式") {
		t.Errorf("project page lacks its re-signing")
	}
	if page := parse(t, get(t, e, http.MethodGet, "/projects/huaqing-xinyun-tech-park")).Text(); !strings.Contains(page, "1000万美元") || !strings.Contains(page, "7.1") {
		t.Errorf("dollar project page lacks its signing")
	}

	// Bad inputs: an unknown dataset or format is a 404, an unknown or
	// malformed region a 400.
	for target, want := range map[string]int{
		"/statistics/nothing.csv":               http.StatusNotFound,
		"/statistics/overview.xml":              http.StatusNotFound,
		"/statistics/overview":                  http.StatusNotFound,
		"/statistics?region=atlantis":           http.StatusBadRequest,
		"/statistics?region=%3Cscript%3E":       http.StatusBadRequest,
		"/statistics?region=%27%3B+DROP+TABLE":  http.StatusBadRequest,
		"/statistics?region=%FF":                http.StatusBadRequest,
		"/statistics/overview.json?region=x%00": http.StatusBadRequest,
	} {
		if got := get(t, e, http.MethodGet, target).Code; got != want {
			t.Errorf("%s: %d, want %d", target, got, want)
		}
	}
	for _, lang := range []string{"/zh-hant/statistics", "/en/statistics"} {
		if rec := get(t, e, http.MethodGet, lang); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "stats.") {
			t.Errorf("%s: %d, or an untranslated key", lang, rec.Code)
		}
	}
}

// The project form: a dollar signing is converted from its amount and
// rate, never typed; a yuan signing carries no rate; an event is linked
// once. Each refusal is a 422 with nothing stored.
func TestProjectFormKeepsSigningsWhole(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newInquiryRouter(db)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.97")
	var id, spring, autumn int64
	db.Raw("SELECT id FROM projects WHERE slug = 'huaqing-xinyun-tech-park'").Scan(&id)
	db.Raw("SELECT id FROM signing_events WHERE slug = 'chifeng-shenzhen-conference-2019'").Scan(&spring)
	db.Raw("SELECT id FROM signing_events WHERE slug = 'chifeng-autumn-online-signing-2021'").Scan(&autumn)
	path := "/admin/projects/" + strconv.FormatInt(id, 10)
	stored := func() (currency string, yuan *int64, appearances int64) {
		db.Raw("SELECT contract_currency, contracted_amount_yuan FROM projects WHERE id = ?", id).Row().Scan(&currency, &yuan)
		db.Raw("SELECT count(*) FROM project_appearances WHERE project_id = ?", id).Scan(&appearances)
		return
	}
	_, _, before := stored()
	// The public total, memoised between edits (models.Memo).
	contracted := func() float64 {
		var overview struct{ Rows []map[string]any }
		rec := get(t, e, http.MethodGet, "/statistics/overview.json")
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &overview) != nil || len(overview.Rows) != 1 {
			t.Fatalf("overview.json: %d %s", rec.Code, rec.Body.String())
		}
		return overview.Rows[0]["contracted_yuan"].(float64)
	}
	totalBefore := contracted()

	for name, change := range map[string]func(url.Values){
		"yuan with a rate": func(f url.Values) { f.Set("contract_rate_to_yuan", "7.1") },
		"dollars without a rate": func(f url.Values) {
			f.Set("contract_currency", "USD")
			f.Set("contract_amount_original", "1000")
		},
		"unknown currency": func(f url.Values) { f.Set("contract_currency", "XYZ") },
		"rate not a number": func(f url.Values) {
			f.Set("contract_currency", "USD")
			f.Set("contract_amount_original", "1000")
			f.Set("contract_rate_to_yuan", "=1+1")
			f.Set("contract_rate_on", "2019-04-26")
		},
		"the same event twice": func(f url.Values) {
			f.Set("project_appearances.rows", "2")
			f.Set("project_appearances.0.signing_event_id", strconv.FormatInt(spring, 10))
			f.Set("project_appearances.0.role", "signed")
			f.Set("project_appearances.1.signing_event_id", strconv.FormatInt(spring, 10))
			f.Set("project_appearances.1.role", "re_signed")
		},
		"first signed twice": func(f url.Values) {
			f.Set("project_appearances.rows", "2")
			f.Set("project_appearances.0.signing_event_id", strconv.FormatInt(spring, 10))
			f.Set("project_appearances.0.role", "signed")
			f.Set("project_appearances.1.signing_event_id", strconv.FormatInt(autumn, 10))
			f.Set("project_appearances.1.role", "signed")
		},
		"a rate of zero": func(f url.Values) {
			f.Set("contract_currency", "USD")
			f.Set("contract_amount_original", "1000")
			f.Set("contract_rate_to_yuan", "0")
			f.Set("contract_rate_on", "2019-04-26")
		},
		"a role that does not exist": func(f url.Values) {
			f.Set("project_appearances.rows", "1")
			f.Set("project_appearances.0.signing_event_id", strconv.FormatInt(spring, 10))
			f.Set("project_appearances.0.role", "<script>")
		},
	} {
		form := editor.openContentForm(path)
		change(form)
		rec := editor.post(path, form)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", name, rec.Code)
		}
		// Each says what is wrong beside its field, not "the database refused".
		if want, ok := map[string]string{
			"a rate of zero":       "请填写大于 0 的数",
			"the same event twice": "同一场签约活动只能关联一次",
			"first signed twice":   "项目只能有一次首次签约",
		}[name]; ok && !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s: the page does not say %q", name, want)
		}
		if currency, yuan, n := stored(); currency != "CNY" || yuan != nil || n != before {
			t.Errorf("%s: stored %s %v, %d appearances", name, currency, yuan, n)
		}
	}

	// Signed in dollars: 1000万美元 at 7.1 is 7100万元, whatever is typed in
	// the yuan field; signed at the conference and again in the autumn.
	form := editor.openContentForm(path)
	form.Set("contract_currency", "USD")
	form.Set("contract_amount_original", "1000")
	form.Set("contract_rate_to_yuan", "7.1")
	form.Set("contract_rate_on", "2019-04-26")
	form.Set("contracted_amount_yuan", "1")
	form.Set("project_appearances.rows", "2")
	form.Set("project_appearances.0.signing_event_id", strconv.FormatInt(spring, 10))
	form.Set("project_appearances.0.role", "signed")
	form.Set("project_appearances.1.signing_event_id", strconv.FormatInt(autumn, 10))
	form.Set("project_appearances.1.role", "re_signed")
	if rec := editor.post(path, form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", rec.Code, rec.Body.String())
	}
	if currency, yuan, n := stored(); currency != "USD" || yuan == nil || *yuan != 71000000 || n != 2 {
		t.Errorf("stored %s %v, %d appearances", currency, yuan, n)
	}
	// The next request after the save counts the new amount, though the
	// total was served from the memo before it.
	if got := contracted(); got != totalBefore+71000000 {
		t.Errorf("public total after the save %.0f, want %.0f", got, totalBefore+71000000)
	}
	// The statistics follow at once.
	overview := get(t, e, http.MethodGet, "/statistics/overview.json").Body.String()
	if !strings.Contains(overview, `"projects_converted_from_foreign_currency":1`) {
		t.Errorf("overview after the save: %s", overview)
	}
}

// The statistics are memoised in parts (the breakdowns, the events'
// funnels, the reported statistics), each with the tables it was read
// from: an edit to any of them shows at the very next request, on the
// page and in the downloads, exactly as a portal that memoised nothing
// would show it.
func TestStatisticsFollowEveryEditOfEachPart(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	paths := []string{"/statistics", "/en/statistics?region=chifeng", "/statistics/by-region.csv", "/statistics/events.json"}
	for _, p := range paths {
		if rec := get(t, e, http.MethodGet, p); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", p, rec.Code)
		}
	}
	// The latest event with projects: its funnel is on the page.
	latest := `SELECT e.id FROM signing_events e WHERE e.status = 'published' AND e.deleted_at IS NULL
		AND EXISTS (SELECT 1 FROM project_appearances a WHERE a.signing_event_id = e.id)
		ORDER BY e.held_on DESC, e.id DESC LIMIT 1`
	var event int64
	if db.Raw(latest).Scan(&event); event == 0 {
		t.Fatal("the seed has no event with projects")
	}
	for name, edit := range map[string]string{
		"a project's amount (the breakdowns)": `UPDATE projects SET contracted_amount_yuan = coalesce(contracted_amount_yuan, 0) + 123456789
			WHERE id = (SELECT min(id) FROM projects WHERE status = 'published' AND deleted_at IS NULL)`,
		"a region's name (the breakdowns)":  `UPDATE regions SET name_en = name_en || ' (renamed)' WHERE slug = 'chifeng'`,
		"an event's projects (the funnels)": `DELETE FROM project_appearances WHERE signing_event_id = (` + latest + `)`,
		"a reported statistic (the reported)": `UPDATE reported_statistics SET label = label || '（修订）'
			WHERE id = (SELECT min(id) FROM reported_statistics WHERE status = 'published' AND deleted_at IS NULL)`,
	} {
		dbtest.MustExec(t, db, edit)
		fresh := newRouter(db) // memoises nothing yet
		for _, p := range paths {
			got, want := get(t, e, http.MethodGet, p), get(t, fresh, http.MethodGet, p)
			if got.Code != http.StatusOK || got.Body.String() != want.Body.String() {
				t.Errorf("after %s, %s is not what a fresh portal shows (%d)", name, p, got.Code)
			}
		}
	}
}
