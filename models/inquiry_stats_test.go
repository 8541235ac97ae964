package models_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/calendar"
	"investportal/models/dbtest"
)

// at is a moment in Beijing time, "2026-03-02 10:00" or with seconds.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	layout := "2006-01-02 15:04"
	if len(s) > len(layout) {
		layout += ":05"
	}
	v, err := time.ParseInLocation(layout, s, calendar.Beijing)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// statsInquiry is one inquiry of the dashboard's test data.
type statsInquiry struct {
	ref                     string
	created, due, answered  string // Beijing times; answered "" for none
	stage, reason           string
	region, chain, assignee string // slugs and a staff key; "" for none
	project                 string // the project signed, by slug
}

// insertStatsInquiries stores the inquiries as given, bypassing the
// intake, so that every time is fixed; staff maps keys to account ids.
func insertStatsInquiries(t *testing.T, db *gorm.DB, staff map[string]int64, list []statsInquiry) map[string]int64 {
	t.Helper()
	ids := map[string]int64{}
	idOf := func(table, slug string) any {
		if slug == "" {
			return nil
		}
		var id int64
		if err := db.Raw("SELECT id FROM "+table+" WHERE slug = ?", slug).Scan(&id).Error; err != nil || id == 0 {
			t.Fatalf("%s %s: %v", table, slug, err)
		}
		return id
	}
	for _, in := range list {
		var answered, reason, assignee any
		if in.answered != "" {
			answered = at(t, in.answered)
		}
		if in.reason != "" {
			reason = in.reason
		}
		if in.assignee != "" {
			assignee = staff[in.assignee]
		}
		var id int64
		err := db.Raw(`INSERT INTO inquiries (reference, status_token_hash, name, email, message, language, consent_at,
    stage, close_reason, region_id, chain_id, assignee_id, signed_project_id, created_at, response_due_at, first_response_at)
VALUES (?, ?, '测试', 't@example.com', '咨询', 'zh-Hans', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.ref, []byte(in.ref), at(t, in.created), in.stage, reason, idOf("regions", in.region), idOf("industry_chains", in.chain),
			assignee, idOf("projects", in.project), at(t, in.created), at(t, in.due), answered).Scan(&id).Error
		if err != nil {
			t.Fatalf("insert %s: %v", in.ref, err)
		}
		ids[in.ref] = id
	}
	return ids
}

func insertStaff(t *testing.T, db *gorm.DB, name, role string, disabled bool) int64 {
	t.Helper()
	var id int64
	err := db.Raw(`INSERT INTO staff_users (email, name, role, password_hash, disabled_at)
VALUES (?, ?, ?, 'not a hash', CASE WHEN ? THEN now() END) RETURNING id`, strings.ToLower(role+"."+name)+"@bureau.example", name, role, disabled).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The week of 2 March 2026 (Monday) to 10 March has no public holiday: the
// working calendar is Monday to Friday, 09:00–17:00.
var statsData = []statsInquiry{
	// Answered in 2 working hours, on time.
	{ref: "INQ-2026-000001", created: "2026-03-02 10:00", due: "2026-03-04 17:00", answered: "2026-03-02 12:00",
		stage: "acknowledged", region: "chifeng", chain: "chifeng-electronics", assignee: "li"},
	// Friday 16:00 to Monday 10:00: 66 hours on the clock, 2 working hours.
	{ref: "INQ-2026-000002", created: "2026-03-06 16:00", due: "2026-03-10 17:00", answered: "2026-03-09 10:00",
		stage: "qualified", region: "hongshan", chain: "chifeng-electronics", assignee: "li"},
	// Answered late: three working days and two hours, 26 working hours.
	{ref: "INQ-2026-000003", created: "2026-03-02 09:00", due: "2026-03-04 17:00", answered: "2026-03-05 11:00",
		stage: "negotiating", region: "tongliao", chain: "tongliao-new-energy", assignee: "wang"},
	// Never answered, overdue.
	{ref: "INQ-2026-000004", created: "2026-03-03 14:00", due: "2026-03-05 17:00",
		stage: "new", region: "chifeng", assignee: "wang"},
	// Signed: 4 working hours to the first response.
	{ref: "INQ-2026-000005", created: "2026-03-04 09:30", due: "2026-03-06 17:00", answered: "2026-03-04 13:30",
		stage: "signed", region: "chifeng", chain: "chifeng-logistics", assignee: "wang", project: "yangqu-agricultural-tech-park"},
	// Closed as lost after a site visit (its history says so): half an hour.
	{ref: "INQ-2026-000006", created: "2026-03-05 10:00", due: "2026-03-09 17:00", answered: "2026-03-05 10:30",
		stage: "closed", reason: "lost", region: "hongshan", chain: "chifeng-electronics", assignee: "li"},
	// Not answered yet, not due yet.
	{ref: "INQ-2026-000007", created: "2026-03-10 10:00", due: "2026-03-12 17:00",
		stage: "new", region: "tongliao", assignee: "wang"},
	// The first moment of the period; the office opens at 09:00, so a
	// reply at 09:15 took a quarter of a working hour. Unassigned.
	{ref: "INQ-2026-000008", created: "2026-03-02 00:00:00", due: "2026-03-04 17:00", answered: "2026-03-02 09:15",
		stage: "acknowledged"},
	// The last second of the period, held by an account since disabled.
	{ref: "INQ-2026-000009", created: "2026-03-10 23:59:59", due: "2026-03-12 17:00",
		stage: "new", region: "chifeng", assignee: "gone"},
	// Outside the period, on either side.
	{ref: "INQ-2026-000010", created: "2026-03-01 23:59:59", due: "2026-03-04 17:00",
		stage: "closed", reason: "spam", region: "chifeng", assignee: "li"},
	{ref: "INQ-2026-000011", created: "2026-03-11 00:00:00", due: "2026-03-13 17:00", answered: "2026-03-11 09:00",
		stage: "signed", region: "chifeng", assignee: "li", project: "huawei-emerging-industry-cloud"},
}

// signedAmount is the contracted amount of the project signed in the period.
const signedAmount = 1_250_000_000

func statsFixture(t *testing.T) (*gorm.DB, map[string]int64, models.StatsPeriod, time.Time) {
	t.Helper()
	db := dbtest.New(t, dbtest.Seeded)
	staff := map[string]int64{
		"li":     insertStaff(t, db, "李专员", models.RoleOfficer, false),
		"wang":   insertStaff(t, db, "王专员", models.RoleOfficer, false),
		"lead":   insertStaff(t, db, "赵主任", models.RoleAdmin, false),
		"gone":   insertStaff(t, db, "孙前同事", models.RoleOfficer, true),
		"idle":   insertStaff(t, db, "周已停用", models.RoleOfficer, true),
		"editor": insertStaff(t, db, "钱编辑", models.RoleEditor, false),
	}
	ids := insertStatsInquiries(t, db, staff, statsData)
	dbtest.MustExec(t, db, "UPDATE projects SET contracted_amount_yuan = ? WHERE slug = 'yangqu-agricultural-tech-park'", signedAmount)
	dbtest.MustExec(t, db, "INSERT INTO inquiry_events (inquiry_id, kind, from_value, to_value) VALUES (?, 'stage', 'qualified', 'site_visit'), (?, 'stage', 'site_visit', 'closed')",
		ids["INQ-2026-000006"], ids["INQ-2026-000006"])
	period := models.StatsPeriod{From: at(t, "2026-03-02 00:00"), To: at(t, "2026-03-11 00:00")}
	return db, staff, period, at(t, "2026-03-11 12:00")
}

func TestDeskStatsAgainstHandCountedData(t *testing.T) {
	db, staff, period, now := statsFixture(t)
	s, err := models.LoadDeskStats(context.Background(), db, period, now)
	if err != nil {
		t.Fatal(err)
	}

	// Funnel: 9 received; 6 got past new, 4 past acknowledged, 3 (the
	// closed one by its history) to a site visit, 2 to negotiation, 1 signed.
	wantFunnel := []models.StageReach{
		{Stage: "new", Reached: 9, Current: 3}, {Stage: "acknowledged", Reached: 6, Current: 2},
		{Stage: "qualified", Reached: 4, Current: 1}, {Stage: "site_visit", Reached: 3, Current: 0},
		{Stage: "negotiating", Reached: 2, Current: 1}, {Stage: "signed", Reached: 1, Current: 1},
	}
	if len(s.Funnel) != len(wantFunnel) {
		t.Fatalf("funnel %+v", s.Funnel)
	}
	for i, want := range wantFunnel {
		if s.Funnel[i] != want {
			t.Errorf("funnel[%d] = %+v, want %+v", i, s.Funnel[i], want)
		}
	}
	if s.Closed != 1 || len(s.Reasons) != len(models.CloseReasons) {
		t.Errorf("closed %d, reasons %+v", s.Closed, s.Reasons)
	}
	for _, r := range s.Reasons {
		if want := map[string]int64{"lost": 1}[r.Reason]; r.Count != want {
			t.Errorf("closed as %s: %d, want %d (the spam one is outside the period)", r.Reason, r.Count, want)
		}
	}

	// Regions and chains, most first; the unnamed ones as id 0.
	counts := func(groups []models.GroupCount) map[string]int64 {
		m := map[string]int64{}
		for _, g := range groups {
			m[g.Name] += g.Count
		}
		return m
	}
	if got, want := counts(s.Regions), map[string]int64{"赤峰市": 4, "红山区": 2, "通辽市": 2, "": 1}; !maps.Equal(got, want) {
		t.Errorf("by region %v, want %v", got, want)
	}
	if s.Regions[0].Name != "赤峰市" || s.Regions[0].NameEn != "Chifeng" || s.Regions[len(s.Regions)-1].ID != 0 {
		t.Errorf("regions in order: %+v", s.Regions)
	}
	if got, want := counts(s.Chains), map[string]int64{"": 4, "电子信息与智能制造": 3, "现代物流": 1, "新能源": 1}; !maps.Equal(got, want) {
		t.Errorf("by chain %v, want %v", got, want)
	}
	if s.Chains[0].ID != 0 || s.Chains[1].RegionName != "赤峰市" {
		t.Errorf("chains in order, with their regions: %+v", s.Chains)
	}

	// Responses: 6 answered, 3 not; 7 answered or due by now, 5 of them on time.
	wantResponses := models.ResponseCounts{Received: 9, Answered: 6, Unanswered: 3, Due: 7, OnTime: 5, Late: 1, Overdue: 1}
	if s.Responses != wantResponses {
		t.Errorf("responses %+v, want %+v", s.Responses, wantResponses)
	}
	// Working hours, sorted: ¼, ½, 2, 2 (the weekend one), 4, 26.
	h := func(hours float64) time.Duration { return time.Duration(hours * float64(time.Hour)) }
	wantTimes := []time.Duration{h(.25), h(.5), h(2), h(2), h(4), h(26)}
	if len(s.Times) != len(wantTimes) {
		t.Fatalf("response times %v", s.Times)
	}
	for i := range wantTimes {
		if s.Times[i] != wantTimes[i] {
			t.Errorf("response times %v, want %v", s.Times, wantTimes)
			break
		}
	}
	// Median between the 3rd and 4th (2 and 2); 90th: 4.5th of 0..5,
	// halfway from 4 to 26 hours.
	if m, p := s.Times.Percentile(.5), s.Times.Percentile(.9); m != h(2) || p != h(15) {
		t.Errorf("median %v, 90th percentile %v; want 2h, 15h", m, p)
	}
	var buckets []int64
	for _, b := range s.Times.Buckets() {
		buckets = append(buckets, b.Count)
	}
	if want := []int64{2, 3, 0, 0, 1}; !slices.Equal(buckets, want) {
		t.Errorf("response bands %v, want %v (the weekend counts as 2 working hours, not 66)", buckets, want)
	}

	// Load: the active desk by name, then the disabled account still
	// holding one, the queue last; the editor and the idle disabled account
	// not at all.
	type load struct {
		id            int64
		open, overdue int64
		disabled      bool
	}
	var gotLoad []load
	for _, l := range s.Load {
		gotLoad = append(gotLoad, load{l.StaffID, l.Open, l.Overdue, l.Disabled})
	}
	wantLoad := []load{{staff["li"], 2, 0, false}, {staff["wang"], 3, 1, false}, {staff["lead"], 0, 0, false},
		{staff["gone"], 1, 0, true}, {0, 1, 0, false}}
	if len(gotLoad) != len(wantLoad) {
		t.Fatalf("load %+v, want %+v", s.Load, wantLoad)
	}
	for i := range wantLoad {
		if gotLoad[i] != wantLoad[i] {
			t.Errorf("load[%d] = %+v, want %+v (all: %+v)", i, gotLoad[i], wantLoad[i], s.Load)
		}
	}

	// Signed: the one inquiry in the period, its project's contracted amount.
	if len(s.Signed) != 1 || s.Signed[0].Slug != "yangqu-agricultural-tech-park" || s.Signed[0].Inquiries != 1 ||
		s.Signed[0].ContractedYuan == nil || *s.Signed[0].ContractedYuan != signedAmount {
		t.Errorf("signed %+v", s.Signed)
	}
	if want := (models.SignedTotals{Inquiries: 1, Projects: 1, ContractedYuan: signedAmount}); s.Totals != want {
		t.Errorf("signed totals %+v, want %+v", s.Totals, want)
	}
}

func TestDeskStatsCountAProjectOnceAndAnEmptyPeriodAsZero(t *testing.T) {
	db, staff, period, now := statsFixture(t)
	// A second inquiry of the period becomes the same project, a third
	// one a project without a contracted amount.
	insertStatsInquiries(t, db, staff, []statsInquiry{
		{ref: "INQ-2026-000012", created: "2026-03-03 10:00", due: "2026-03-05 17:00", answered: "2026-03-03 11:00",
			stage: "signed", project: "yangqu-agricultural-tech-park"},
		{ref: "INQ-2026-000013", created: "2026-03-03 11:00", due: "2026-03-05 17:00", answered: "2026-03-03 11:30",
			stage: "signed", project: "huawei-emerging-industry-cloud"},
	})
	s, err := models.LoadDeskStats(context.Background(), db, period, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := (models.SignedTotals{Inquiries: 3, Projects: 2, ContractedYuan: signedAmount, UnknownAmount: 1}); s.Totals != want {
		t.Errorf("signed totals %+v, want %+v", s.Totals, want)
	}
	if len(s.Signed) != 2 || s.Signed[0].Inquiries+s.Signed[1].Inquiries != 3 {
		t.Errorf("signed projects %+v", s.Signed)
	}

	// A period with nothing in it: zeros, every stage and reason still listed.
	empty := models.StatsPeriod{From: at(t, "2025-01-01 00:00"), To: at(t, "2025-02-01 00:00")}
	s, err = models.LoadDeskStats(context.Background(), db, empty, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Funnel) != 6 || s.Funnel[0].Reached != 0 || len(s.Reasons) != 5 || s.Closed != 0 || len(s.Regions) != 0 ||
		s.Responses != (models.ResponseCounts{}) || len(s.Times) != 0 || s.Times.Percentile(.5) != 0 || len(s.Signed) != 0 {
		t.Errorf("empty period: %+v", s)
	}
	if len(s.Load) != 4 || s.Load[3].StaffID != 0 || s.Load[3].Open != 0 { // li, wang, lead, the queue
		t.Errorf("empty period's load: %+v", s.Load)
	}
}

// Response times are worked out from two timestamps per answered
// inquiry; nothing else of an inquiry is read for them.
func TestDeskStatsReadOnlyTheTimestampsForResponseTimes(t *testing.T) {
	db, _, period, now := statsFixture(t)
	statements, err := dbtest.RecordSQL(db, func(db *gorm.DB) error {
		_, err := models.LoadDeskStats(context.Background(), db, period, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range statements {
		if strings.Contains(s, "first_response_at IS NOT NULL") && !strings.Contains(s, "count(") {
			found = true
			if !strings.HasPrefix(strings.TrimSpace(s), "SELECT created_at, first_response_at FROM inquiries") {
				t.Errorf("response times read: %s", s)
			}
		}
	}
	if !found {
		t.Errorf("no statement reads the response timestamps: %q", statements)
	}
}
