package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"investportal/models/dbtest"
)

func TestProjectFiltersAndTotals(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	// Amounts for two projects, so the amount filters and totals have something to add up.
	dbtest.MustExec(t, db, "UPDATE projects SET contracted_amount_yuan = 500000000 WHERE slug = 'huawei-emerging-industry-cloud'")
	dbtest.MustExec(t, db, "UPDATE projects SET contracted_amount_yuan = 20000000 WHERE slug = 'jiutong-logistics-iot-warehouse'")

	cases := []struct {
		query string
		count string // the count line
		rows  int
	}{
		{"", "共29个项目,公布的签约额合计5.2亿元。", 20},
		{"page=2", "共29个项目", 9},
		{"region=chifeng", "共24个项目", 20}, // the city with its districts and banner
		{"region=hongshan", "共18个项目", 18},
		{"chain=chifeng-electronics", "共9个项目,公布的签约额合计5亿元。", 9},
		{"category=infrastructure&stage=under_construction", "共5个项目", 5},
		{"event=chifeng-shenzhen-conference-2019", "共9个项目", 9},
		{"min=1000&max=10000", "共1个项目,公布的签约额合计2000万元。", 1},
		{"min=10000", "共1个项目,公布的签约额合计5亿元。", 1},
		{"year=2019", "共9个项目", 9},
		{"year=2022", "共0个项目", 0},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			rec := get(t, e, http.MethodGet, "/projects?"+tc.query)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			doc := parse(t, rec)
			if got := doc.Find(`[data-testid="count"]`).Text(); !strings.HasPrefix(got, tc.count) {
				t.Errorf("count line %q, want it to start %q", got, tc.count)
			}
			if n := doc.Find(`[data-testid="projects"] tbody tr`).Length(); n != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
		})
	}

	doc := parse(t, get(t, e, http.MethodGet, "/projects?sort=amount"))
	if first := doc.Find(`[data-testid="projects"] tbody tr`).First().Text(); !strings.Contains(first, "新兴产业云战略合作项目") {
		t.Errorf("largest amount first: %q", first)
	}
	next, _ := parse(t, get(t, e, http.MethodGet, "/projects?region=chifeng")).Find(`[data-testid="pager"] a[rel="next"]`).Attr("href")
	if next != "/projects?page=2&region=chifeng" {
		t.Errorf("next page link = %q", next)
	}
}

func TestProjectFiltersRejectBadValues(t *testing.T) {
	e := newRouter(dbtest.New(t, dbtest.Seeded))
	for query, status := range map[string]int{
		"min=abc":               http.StatusBadRequest,
		"min=-5":                http.StatusBadRequest,
		"max=99999999999999":    http.StatusBadRequest,
		"min=100&max=10":        http.StatusBadRequest,
		"year=1800":             http.StatusBadRequest,
		"stage=dreaming":        http.StatusBadRequest,
		"category=%3Cscript%3E": http.StatusBadRequest,
		"event=no-such-event":   http.StatusBadRequest,
		"region=nowhere":        http.StatusBadRequest,
		"page=0":                http.StatusBadRequest,
		"page=1.5":              http.StatusBadRequest,
		"page=3":                http.StatusNotFound, // past the last page
	} {
		rec := get(t, e, http.MethodGet, "/projects?"+query)
		if rec.Code != status {
			t.Errorf("%s: status %d, want %d", query, rec.Code, status)
		}
		if strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("%s: the page echoes markup", query)
		}
	}
}

func TestProjectPage(t *testing.T) {
	db := dbtest.New(t, dbtest.Seeded)
	e := newRouter(db)
	dbtest.MustExec(t, db, `INSERT INTO project_managers (project_id, position, name, title)
		SELECT id, 1, '张三', '区政府分管领导' FROM projects WHERE slug = 'jiutong-logistics-iot-warehouse'`)
	dbtest.MustExec(t, db, `UPDATE projects SET flag = 'green' WHERE slug = 'jiutong-logistics-iot-warehouse'`)

	doc := parse(t, get(t, e, http.MethodGet, "/projects/jiutong-logistics-iot-warehouse"))
	if cur := doc.Find(`[data-testid="stages"] [aria-current="step"]`).Text(); cur != "在建" {
		t.Errorf("current stage = %q", cur)
	}
	if n := doc.Find(`[data-testid="stages"] li.done`).Length(); n != 3 {
		t.Errorf("%d stages done, want 3", n)
	}
	facts := doc.Find(`[data-testid="facts"]`).Text()
	for _, want := range []string{"商贸物流", "绿旗", "红山物流园区", "现代物流"} {
		if !strings.Contains(facts, want) {
			t.Errorf("facts lack %q", want)
		}
	}
	if !strings.Contains(doc.Find("#managers").Parent().Text(), "张三") {
		t.Error("project manager not shown")
	}
	if !strings.Contains(doc.Find(`[data-testid="reports"]`).Text(), "2021年10月17日") {
		t.Error("progress report not shown")
	}
	if rec := get(t, e, http.MethodGet, "/projects/no-such-project"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown project = %d", rec.Code)
	}
}
