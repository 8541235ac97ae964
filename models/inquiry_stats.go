package models

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"investportal/models/calendar"
)

// The desk's pipeline dashboard: what became of the inquiries received in
// a period. The database does the counting; only the response times are
// worked out here, because working hours need the calendar, and for them
// just the two timestamps are read.

// StatsPeriod is the span inquiries were received in: From inclusive, To
// exclusive.
type StatsPeriod struct {
	From, To time.Time
}

// StageReach is one stage of the funnel.
type StageReach struct {
	Stage   string
	Reached int64 // got at least this far; a closed inquiry as far as it got before closing
	Current int64 // in this stage now
}

// ReasonCount is how many inquiries were closed for a reason.
type ReasonCount struct {
	Reason string
	Count  int64
}

// GroupCount is how many inquiries named a region or an industry chain; ID
// 0 counts those that named none (or whose choice has been deleted).
type GroupCount struct {
	ID           int64
	Name, NameEn string
	RegionName   string // a chain's region, which tells apart chains of the same name
	RegionNameEn string
	Count        int64
}

// ResponseCounts are the first-response figures. Due is the on-time
// share's denominator: the inquiries that were answered or whose response
// was due by now (with a due time at all); OnTime + Late + Overdue = Due.
type ResponseCounts struct {
	Received   int64
	Answered   int64
	Unanswered int64
	Due        int64
	OnTime     int64 // answered by the due time
	Late       int64 // answered after it
	Overdue    int64 // not answered, due time passed
}

// ResponseTimes are the working hours from receipt to the first response
// of the answered inquiries, shortest first.
type ResponseTimes []time.Duration

// Percentile is the q-th percentile (0 ≤ q ≤ 1), interpolated between the
// two nearest values as PostgreSQL's percentile_cont does; 0 when empty.
func (r ResponseTimes) Percentile(q float64) time.Duration {
	if len(r) == 0 {
		return 0
	}
	pos := q * float64(len(r)-1)
	lo := int(pos)
	if lo >= len(r)-1 {
		return r[len(r)-1]
	}
	frac := pos - float64(lo)
	return r[lo] + time.Duration(frac*float64(r[lo+1]-r[lo]))
}

// ResponseBucket counts response times up to UpTo (after the previous
// bucket's); the last bucket, UpTo 0, holds the rest.
type ResponseBucket struct {
	UpTo  time.Duration
	Count int64
}

// responseBucketLimits: within an hour, half a working day, one working
// day, two working days (the usual allowance), more.
var responseBucketLimits = []time.Duration{time.Hour, 4 * time.Hour, 8 * time.Hour, 16 * time.Hour, 0}

// Buckets spreads the response times over the dashboard's bands.
func (r ResponseTimes) Buckets() []ResponseBucket {
	out := make([]ResponseBucket, len(responseBucketLimits))
	for i, limit := range responseBucketLimits {
		out[i].UpTo = limit
	}
	for _, d := range r {
		i := slices.IndexFunc(responseBucketLimits, func(limit time.Duration) bool { return limit == 0 || d <= limit })
		out[i].Count++
	}
	return out
}

// OfficerLoad is one desk member's open inquiries; StaffID 0 is the
// unassigned queue.
type OfficerLoad struct {
	StaffID  int64
	Name     string
	Role     string
	Disabled bool // a disabled account still holding open inquiries
	Open     int64
	Overdue  int64 // open, not answered, due time passed
}

// SignedProject is a project that inquiries of the period became.
type SignedProject struct {
	ID             int64
	Name, NameEn   string
	Slug           string
	ContractedYuan *int64
	Inquiries      int64
}

// SignedTotals add up the signed projects; a project that two inquiries
// became is counted, and its amount added, once.
type SignedTotals struct {
	Inquiries      int64
	Projects       int64
	ContractedYuan int64
	UnknownAmount  int64 // projects without a contracted amount
}

// DeskStats is everything the dashboard shows for a period.
type DeskStats struct {
	Funnel    []StageReach // the pipeline's stages in order, closed left out
	Closed    int64
	Reasons   []ReasonCount // every close reason, in CloseReasons order
	Regions   []GroupCount  // most inquiries first
	Chains    []GroupCount
	Responses ResponseCounts
	Times     ResponseTimes
	Load      []OfficerLoad // active administrators and officers by name, then disabled accounts still holding open inquiries, the unassigned queue last
	Signed    []SignedProject
	Totals    SignedTotals
}

// pipeline is the funnel's stages: every stage but closed.
var pipeline = slices.DeleteFunc(slices.Clone(InquiryStages), func(s string) bool { return s == InquiryClosed })

// deskRoles are the roles inquiries are assigned to.
var deskRoles = []string{RoleAdmin, RoleOfficer}

// LoadDeskStats reads the dashboard's figures for the inquiries received in
// the period; now decides what is overdue. The queries run in one
// read-only snapshot, so that their totals agree with each other.
func LoadDeskStats(ctx context.Context, db *gorm.DB, p StatsPeriod, now time.Time) (DeskStats, error) {
	var s DeskStats
	cal, err := LoadWorkCalendar(ctx, db)
	if err != nil {
		return s, err
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		steps := []func(*gorm.DB) error{
			func(tx *gorm.DB) (err error) { s.Funnel, err = pipelineFunnel(tx, p); return },
			func(tx *gorm.DB) (err error) { s.Reasons, s.Closed, err = closedByReason(tx, p); return },
			func(tx *gorm.DB) (err error) { s.Regions, err = byRegion(tx, p); return },
			func(tx *gorm.DB) (err error) { s.Chains, err = byChain(tx, p); return },
			func(tx *gorm.DB) (err error) { s.Responses, err = countResponses(tx, p, now); return },
			func(tx *gorm.DB) (err error) { s.Times, err = responseTimes(tx, cal, p); return },
			func(tx *gorm.DB) (err error) { s.Load, err = officerLoad(tx, p, now); return },
			func(tx *gorm.DB) (err error) { s.Signed, s.Totals, err = signedProjects(tx, p); return },
		}
		for _, step := range steps {
			if err := step(tx); err != nil {
				return err
			}
		}
		return nil
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	return s, err
}

// periodArgs are the named parameters every statement below uses.
func periodArgs(p StatsPeriod, extra map[string]any) map[string]any {
	args := map[string]any{"from": p.From, "to": p.To}
	for k, v := range extra {
		args[k] = v
	}
	return args
}

// pipelineFunnel counts, for each stage, the inquiries that got at least
// that far: the furthest of their current stage and every stage their
// history passed through, so that an inquiry closed after a site visit
// counts as having reached it. Skipped stages count as passed.
func pipelineFunnel(tx *gorm.DB, p StatsPeriod) ([]StageReach, error) {
	var rows []StageReach
	err := tx.Raw(`
WITH pipeline (stage, pos) AS (
    SELECT * FROM unnest(string_to_array(@stages, ',')) WITH ORDINALITY
), received AS (
    SELECT id, stage FROM inquiries WHERE created_at >= @from AND created_at < @to
), furthest AS (
    SELECT r.id, r.stage, coalesce(max(p.pos), 1) AS pos
    FROM received r
    CROSS JOIN LATERAL (
        SELECT r.stage
        UNION ALL SELECT e.from_value FROM inquiry_events e WHERE e.inquiry_id = r.id AND e.kind = 'stage'
        UNION ALL SELECT e.to_value FROM inquiry_events e WHERE e.inquiry_id = r.id AND e.kind = 'stage'
    ) AS seen (stage)
    LEFT JOIN pipeline p ON p.stage = seen.stage
    GROUP BY r.id, r.stage
)
SELECT p.stage, count(f.id) FILTER (WHERE f.pos >= p.pos) AS reached, count(f.id) FILTER (WHERE f.stage = p.stage) AS current
FROM pipeline p LEFT JOIN furthest f ON true
GROUP BY p.stage, p.pos ORDER BY p.pos`,
		periodArgs(p, map[string]any{"stages": strings.Join(pipeline, ",")})).Scan(&rows).Error
	return rows, err
}

// closedByReason counts the closed inquiries by reason, every reason
// listed, and in all.
func closedByReason(tx *gorm.DB, p StatsPeriod) ([]ReasonCount, int64, error) {
	var rows []ReasonCount
	err := tx.Raw(`SELECT close_reason AS reason, count(*) AS count FROM inquiries
WHERE created_at >= @from AND created_at < @to AND stage = 'closed' GROUP BY close_reason`, periodArgs(p, nil)).Scan(&rows).Error
	if err != nil {
		return nil, 0, err
	}
	out := make([]ReasonCount, len(CloseReasons))
	var total int64
	for i, reason := range CloseReasons {
		out[i].Reason = reason
		for _, r := range rows {
			if r.Reason == reason {
				out[i].Count = r.Count
			}
		}
		total += out[i].Count
	}
	return out, total, nil
}

// byRegion counts inquiries by the region they named.
func byRegion(tx *gorm.DB, p StatsPeriod) ([]GroupCount, error) {
	var rows []GroupCount
	err := tx.Raw(`SELECT coalesce(r.id, 0) AS id, coalesce(r.name, '') AS name, coalesce(r.name_en, '') AS name_en, count(*) AS count
FROM inquiries i LEFT JOIN regions r ON r.id = i.region_id
WHERE i.created_at >= @from AND i.created_at < @to
GROUP BY r.id ORDER BY count DESC, r.id IS NULL, r.name, r.id`, periodArgs(p, nil)).Scan(&rows).Error
	return rows, err
}

// byChain counts inquiries by the industry chain (the sector) they named.
func byChain(tx *gorm.DB, p StatsPeriod) ([]GroupCount, error) {
	var rows []GroupCount
	err := tx.Raw(`SELECT coalesce(c.id, 0) AS id, coalesce(c.name, '') AS name, coalesce(c.name_en, '') AS name_en,
    coalesce(r.name, '') AS region_name, coalesce(r.name_en, '') AS region_name_en, count(*) AS count
FROM inquiries i LEFT JOIN industry_chains c ON c.id = i.chain_id LEFT JOIN regions r ON r.id = c.region_id
WHERE i.created_at >= @from AND i.created_at < @to
GROUP BY c.id, r.id ORDER BY count DESC, c.id IS NULL, c.name, c.id`, periodArgs(p, nil)).Scan(&rows).Error
	return rows, err
}

// countResponses counts answered and unanswered inquiries, and how the
// ones whose response was due fared.
func countResponses(tx *gorm.DB, p StatsPeriod, now time.Time) (ResponseCounts, error) {
	var c ResponseCounts
	err := tx.Raw(`SELECT count(*) AS received,
    count(*) FILTER (WHERE first_response_at IS NOT NULL) AS answered,
    count(*) FILTER (WHERE first_response_at IS NULL) AS unanswered,
    count(*) FILTER (WHERE response_due_at IS NOT NULL AND (first_response_at IS NOT NULL OR response_due_at < @now)) AS due,
    count(*) FILTER (WHERE first_response_at <= response_due_at) AS on_time,
    count(*) FILTER (WHERE first_response_at > response_due_at) AS late,
    count(*) FILTER (WHERE first_response_at IS NULL AND response_due_at < @now) AS overdue
FROM inquiries WHERE created_at >= @from AND created_at < @to`, periodArgs(p, map[string]any{"now": now})).Scan(&c).Error
	return c, err
}

// responseTimes reads when each answered inquiry came and was first
// answered, and counts the working hours between, shortest first.
func responseTimes(tx *gorm.DB, cal *calendar.WorkCalendar, p StatsPeriod) (ResponseTimes, error) {
	var rows []struct{ CreatedAt, FirstResponseAt time.Time }
	err := tx.Raw(`SELECT created_at, first_response_at FROM inquiries
WHERE created_at >= @from AND created_at < @to AND first_response_at IS NOT NULL`, periodArgs(p, nil)).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	times := make(ResponseTimes, len(rows))
	for i, r := range rows {
		times[i] = cal.WorkingHours(r.CreatedAt, r.FirstResponseAt)
	}
	slices.Sort(times)
	return times, nil
}

// officerLoad counts each desk member's open and overdue inquiries: every
// active administrator and officer, anyone else still holding open ones (a
// disabled account's are waiting to be handed on), and the unassigned
// queue.
func officerLoad(tx *gorm.DB, p StatsPeriod, now time.Time) ([]OfficerLoad, error) {
	var rows []OfficerLoad
	err := tx.Raw(`SELECT * FROM (
    SELECT s.id AS staff_id, s.name, s.role, s.disabled_at IS NOT NULL AS disabled, count(i.id) AS open,
        count(i.id) FILTER (WHERE i.first_response_at IS NULL AND i.response_due_at < @now) AS overdue
    FROM staff_users s
    LEFT JOIN inquiries i ON i.assignee_id = s.id AND i.stage IN @open AND i.created_at >= @from AND i.created_at < @to
    GROUP BY s.id
    HAVING (s.disabled_at IS NULL AND s.role IN @roles) OR count(i.id) > 0
    UNION ALL
    SELECT 0, '', '', false, count(*), count(*) FILTER (WHERE first_response_at IS NULL AND response_due_at < @now)
    FROM inquiries WHERE assignee_id IS NULL AND stage IN @open AND created_at >= @from AND created_at < @to
) AS load
ORDER BY staff_id = 0, disabled, name, staff_id`,
		periodArgs(p, map[string]any{"now": now, "open": openStages, "roles": deskRoles})).Scan(&rows).Error
	return rows, err
}

// signedProjects lists the projects the period's inquiries became, by name,
// with their totals.
func signedProjects(tx *gorm.DB, p StatsPeriod) ([]SignedProject, SignedTotals, error) {
	var rows []SignedProject
	var totals SignedTotals
	const perProject = `SELECT pr.id, pr.name, pr.name_en, pr.slug, pr.contracted_amount_yuan AS contracted_yuan, count(*) AS inquiries
FROM inquiries i JOIN projects pr ON pr.id = i.signed_project_id
WHERE i.created_at >= @from AND i.created_at < @to
GROUP BY pr.id`
	args := periodArgs(p, nil)
	if err := tx.Raw(perProject+` ORDER BY pr.name, pr.id`, args).Scan(&rows).Error; err != nil {
		return nil, totals, err
	}
	err := tx.Raw(`SELECT coalesce(sum(inquiries), 0) AS inquiries, count(*) AS projects,
    coalesce(sum(contracted_yuan), 0) AS contracted_yuan, count(*) FILTER (WHERE contracted_yuan IS NULL) AS unknown_amount
FROM (`+perProject+`) AS signed`, args).Scan(&totals).Error
	return rows, totals, err
}
