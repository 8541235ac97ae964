package models

import (
	"context"
	"github.com/jackc/pgx/v5"
	"time"

	"gorm.io/gorm"

	"investportal/models/calendar"
)

// The incentive matcher (政策计算器): which benefit items a planned
// project may qualify for, from the eligibility rules editors keep on each
// item (migration 00024), never from the policy text.

// MatchAnswers is what an investor told the matcher about a project.
type MatchAnswers struct {
	RegionID       int64  // where the project would go
	ChainID        int64  // its industry chain; 0 when not answered
	InvestmentYuan *int64 // planned investment; nil when not answered
	// Qualifications the project holds or will create: for the three
	// centres LevelNational or LevelProvincial, for the others "yes".
	Qualifications map[string]string
}

// BenefitCandidate is a benefit item of a policy in force (or not yet in
// force) that applies in the chosen region, one of its parents, or one of
// the places within it.
type BenefitCandidate struct {
	BenefitItem
	PolicySlug, PolicyTitle, PolicyTitleEn, IssuingBody string
	PolicyEffectiveOn, PolicyExpiresOn                  *time.Time
	RegionSlug, RegionName, RegionNameEn                string
	ChainName, ChainNameEn                              string // the item's chain, when it has one
	// Within: the policy is of a place within the chosen region, so it
	// applies only if the project goes there.
	Within bool
}

// Match outcomes.
const (
	MatchYes        = "matched"    // every rule is met
	MatchUndecided  = "undecided"  // no rule fails, but an answer is missing
	MatchIfQualify  = "if_qualify" // only a qualification the project lacks fails
	MatchSuperseded = "superseded" // met, but a higher item of its group is granted instead
)

// MatchReason is one rule an item was checked against: met, or waiting
// for an answer (Missing).
type MatchReason struct {
	Rule    string // "region", "chain", "investment" or "qualification"; the values are the item's
	Missing bool
}

// MatchedBenefit is a candidate with its outcome and the reasons for it.
type MatchedBenefit struct {
	BenefitCandidate
	Outcome       string
	Reasons       []MatchReason
	NotYetInForce bool
	SupersededBy  *MatchedBenefit // for MatchSuperseded
}

// MatchResult is the matcher's answer.
type MatchResult struct {
	Items []MatchedBenefit
	// Estimate sums the published amounts of the matched items;
	// Unpriced counts the matched ones whose amount is not published.
	Estimate, Unpriced int64
}

// Count is how many items have one outcome.
func (r MatchResult) Count(outcome string) int {
	n := 0
	for i := range r.Items {
		if r.Items[i].Outcome == outcome {
			n++
		}
	}
	return n
}

// BenefitCandidates reads the benefit items of the public policies that
// may apply in a region: those of the region and the regions above it
// (they apply there), and those of the regions below it (they apply if the
// project goes there), leaving out policies that expired before today in
// Beijing. With them come the policies of those regions that have no items
// entered, which the answer names without weighing. One round trip, scanned
// by pgx: a province's thousands of items were two fifths of a request in
// GORM's reflective scanning.
func BenefitCandidates(ctx context.Context, db *gorm.DB, regionID int64, now time.Time) (candidates []BenefitCandidate, unitemised []UnitemisedPolicy, err error) {
	args := pgx.NamedArgs{"region": regionID, "today": now.In(calendar.Beijing).Format(time.DateOnly)}
	q := matcherStatements.get(ctx)
	err = readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(q.candidates, args).Query(collect(&candidates, func(rows pgx.Rows, c *BenefitCandidate) error {
			return rows.Scan(&c.ID, &c.PolicyID, &c.Position, &c.Kind, &c.Level, &c.Recipient, &c.RecipientEn, &c.AmountYuan,
				&c.Condition, &c.ConditionEn, &c.ChainID, &c.MinInvestmentYuan, &c.Qualification, &c.QualificationLevel,
				&c.ExclusiveGroup, &c.PolicySlug, &c.PolicyTitle, &c.PolicyTitleEn, &c.IssuingBody, &c.PolicyEffectiveOn,
				&c.PolicyExpiresOn, &c.RegionSlug, &c.RegionName, &c.RegionNameEn, &c.ChainName, &c.ChainNameEn, &c.Within)
		}))
		b.Queue(q.unitemised, args).Query(collect(&unitemised, func(rows pgx.Rows, u *UnitemisedPolicy) error {
			return rows.Scan(&u.Slug, &u.Title, &u.TitleEn, &u.IssuingBody)
		}))
	})
	return candidates, unitemised, err
}

// matcherStatements find the policies of the region @region and of those
// above and below it, in force on @today or later.
var matcherStatements = newStatements(func(ctx context.Context) (q struct{ candidates, unitemised string }) {
	applies := `(p.region_id IN (SELECT id FROM above) OR p.region_id IN (SELECT id FROM below))
	AND ` + publicRow(ctx, "p", "policies") + `
	AND (p.expires_on IS NULL OR p.expires_on >= CAST(@today AS date))`
	q.candidates = regionsAboveAndBelow + `
SELECT b.id, b.policy_id, b.position, b.kind, b.level, b.recipient, b.recipient_en, b.amount_yuan, b.condition, b.condition_en,
	b.chain_id, b.min_investment_yuan, b.qualification, b.qualification_level, b.exclusive_group,
	p.slug, p.title, p.title_en, p.issuing_body, p.effective_on, p.expires_on,
	r.slug, r.name, r.name_en, coalesce(c.name, ''), coalesce(c.name_en, ''),
	p.region_id IN (SELECT id FROM below)
FROM benefit_items b
JOIN policies p ON p.id = b.policy_id
JOIN regions r ON r.id = p.region_id
LEFT JOIN industry_chains c ON c.id = b.chain_id AND ` + publicRow(ctx, "c", "industry_chains") + `
WHERE ` + applies + `
ORDER BY p.effective_on DESC NULLS LAST, p.id, b.position`
	q.unitemised = regionsAboveAndBelow + `
SELECT p.slug, p.title, p.title_en, p.issuing_body
FROM policies p
WHERE ` + applies + `
	AND NOT EXISTS (SELECT 1 FROM benefit_items b WHERE b.policy_id = p.id)
ORDER BY p.effective_on DESC NULLS LAST, p.id`
	return q
})

// regionsAboveAndBelow names the chosen region (@region) with the regions
// above it ("above") and the regions below it ("below").
const regionsAboveAndBelow = `
WITH RECURSIVE above AS (
	SELECT id, parent_id FROM regions WHERE id = @region
	UNION ALL SELECT r.id, r.parent_id FROM regions r JOIN above a ON r.id = a.parent_id
), below AS (
	SELECT id FROM regions WHERE parent_id = @region
	UNION ALL SELECT r.id FROM regions r JOIN below b ON r.parent_id = b.id
)`

// UnitemisedPolicy is a policy in force where the project would go whose
// benefit items are not entered, so the matcher cannot weigh it.
type UnitemisedPolicy struct {
	Slug, Title, TitleEn, IssuingBody string
}

// Match checks every candidate against the answers. An item is matched
// when every rule it has is met; undecided when none fails but an answer
// it needs is missing; "if qualify" when only its qualification is
// lacking. Of the matched items of one policy and exclusive group, only
// the highest amount is granted. Items of policies not yet in force are
// marked; expired ones never reach here.
func Match(candidates []BenefitCandidate, a MatchAnswers, now time.Time) MatchResult {
	today := now.In(calendar.Beijing).Format(time.DateOnly)
	var res MatchResult
	for _, c := range candidates {
		m := MatchedBenefit{BenefitCandidate: c}
		m.NotYetInForce = c.PolicyEffectiveOn != nil && c.PolicyEffectiveOn.Format(time.DateOnly) > today
		failed, lacking, missing := false, false, false
		reason := func(rule string, missingAnswer bool) {
			m.Reasons = append(m.Reasons, MatchReason{Rule: rule, Missing: missingAnswer})
			missing = missing || missingAnswer
		}
		// Region: a policy of a place within the chosen region applies
		// only if the project goes there; the form cannot know that.
		reason("region", c.Within)
		if c.ChainID != nil {
			switch {
			case a.ChainID == 0:
				reason("chain", true)
			case a.ChainID == *c.ChainID:
				reason("chain", false)
			default:
				failed = true
			}
		}
		if c.MinInvestmentYuan != nil {
			switch {
			case a.InvestmentYuan == nil:
				reason("investment", true)
			case *a.InvestmentYuan >= *c.MinInvestmentYuan:
				reason("investment", false)
			default:
				failed = true
			}
		}
		if c.Qualification != "" {
			if holds(a.Qualifications, c.Qualification, c.QualificationLevel) {
				reason("qualification", false)
			} else {
				lacking = true
			}
		}
		switch {
		case failed:
			continue
		case lacking:
			m.Outcome = MatchIfQualify
		case missing:
			m.Outcome = MatchUndecided
		default:
			m.Outcome = MatchYes
		}
		res.Items = append(res.Items, m)
	}
	supersede(res.Items)
	for _, it := range res.Items {
		if it.Outcome != MatchYes {
			continue
		}
		if it.AmountYuan != nil {
			res.Estimate += *it.AmountYuan
		} else {
			res.Unpriced++
		}
	}
	return res
}

// holds reports whether the answers meet a qualification at a level: a
// national centre meets a provincial requirement too.
func holds(quals map[string]string, q, level string) bool {
	have := quals[q]
	switch {
	case have == "":
		return false
	case level == LevelProvincial:
		return have == LevelProvincial || have == LevelNational
	case level == LevelNational:
		return have == LevelNational
	}
	return true
}

// supersede keeps, of the matched items of one policy and exclusive
// group, the one with the highest amount (the first, among equals).
func supersede(items []MatchedBenefit) {
	type group struct {
		policy int64
		name   string
	}
	best := map[group]int{}
	for i, it := range items {
		if it.Outcome != MatchYes || it.ExclusiveGroup == "" {
			continue
		}
		g := group{it.PolicyID, it.ExclusiveGroup}
		j, seen := best[g]
		if !seen {
			best[g] = i
			continue
		}
		if amount(it.AmountYuan) > amount(items[j].AmountYuan) {
			best[g] = i
		}
	}
	for i := range items {
		it := &items[i]
		if it.Outcome != MatchYes || it.ExclusiveGroup == "" {
			continue
		}
		if j := best[group{it.PolicyID, it.ExclusiveGroup}]; j != i {
			it.Outcome, it.SupersededBy = MatchSuperseded, &items[j]
		}
	}
}

func amount(v *int64) int64 {
	if v == nil {
		return -1
	}
	return *v
}
