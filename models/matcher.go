package models

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"gorm.io/gorm"

	"investportal/models/calendar"
)

// The incentive matcher (政策计算器): which benefit items a planned
// project may qualify for, from the eligibility rules editors keep on each
// item (migration 00024), never from the policy text.

// MatchAnswers is what an investor told the matcher about a project; the
// region chooses the candidates (LoadMatchCandidates).
type MatchAnswers struct {
	ChainID        int64  // its industry chain; 0 when not answered
	InvestmentYuan *int64 // planned investment; nil when not answered
	// Qualifications the project holds or will create: for the three
	// centres LevelNational or LevelProvincial, for the others "yes".
	Qualifications map[string]string
}

// BenefitCandidate is a benefit item of a policy in force (or not yet in
// force) that applies in the chosen region, one of its parents, or one of
// the places within it, with the texts an answer shows.
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

// benefitRule is what the matcher weighs of a candidate: its rules, its
// amount and its policy, without any text. A province may have thousands
// of candidates; only the few an answer lists are read in full.
type benefitRule struct {
	ID, PolicyID                           int64
	AmountYuan, ChainID, MinInvestmentYuan *int64
	Qualification, QualificationLevel      string
	ExclusiveGroup                         string
	EffectiveOn                            *time.Time
	Within                                 bool
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
	// GrantedInstead is, for MatchSuperseded, the amount of the item of
	// its group that is granted instead.
	GrantedInstead *int64
}

// MatchResult is the matcher's answer.
type MatchResult struct {
	// Items are the first items of each outcome, in the order of their
	// policies (newest first), as many of each as the caller asked for.
	Items []MatchedBenefit
	// Counts says how many items each outcome has, listed or not.
	Counts map[string]int
	// Omitted is how many items the answer counts but does not list.
	Omitted int
	// Estimate sums the published amounts of all the matched items;
	// Unpriced counts the matched ones whose amount is not published.
	Estimate, Unpriced int64
}

// Count is how many items have one outcome.
func (r MatchResult) Count(outcome string) int { return r.Counts[outcome] }

// MatchCandidates are what the matcher weighs for one region on one day:
// the benefit items of the policies of the region, the regions above it
// and those below it, leaving out policies that expired before the day in
// Beijing, as rules without their texts; and the policies of those regions
// that have no items entered, which an answer names without weighing.
// They do not depend on the answers, so they may be kept for a day.
type MatchCandidates struct {
	rules      []benefitRule
	Unitemised []UnitemisedPolicy
	// texts are every candidate's texts by item id, where there are at
	// most keptMatchTexts candidates; nil where there are more, and an
	// answer reads those of the items it lists.
	texts map[int64]BenefitCandidate
}

// keptMatchTexts is how many candidates' texts are kept with their rules:
// a city's few hundred items, not a province's thousands.
const keptMatchTexts = 300

// LoadMatchCandidates reads the candidates for a project in a region, and
// their texts where they are few. The rules come in one statement, as
// narrow rows in no order, and are sorted here: with 100 000 projects a
// city has 2 500 policies in and around it with 7 500 items, and
// PostgreSQL's sort, its scan of every policy, its second pass for the
// policies without items and the texts read only to be dropped made most
// of the first answer after an edit. The policies without items and the
// kept texts are then read by id, only where there are any.
func LoadMatchCandidates(ctx context.Context, db *gorm.DB, regionID int64, now time.Time) (MatchCandidates, error) {
	q := matcherStatements.get(ctx)
	var read candidateRules
	err := readPage(ctx, db, func(b *pgx.Batch) {
		args := pgx.NamedArgs{"region": regionID, "today": now.In(calendar.Beijing).Format(time.DateOnly)}
		b.Queue(q.rules, args).Query(read.scan)
	})
	if err != nil {
		return MatchCandidates{}, err
	}
	c := MatchCandidates{rules: read.sorted()}
	if len(read.unitemised) == 0 && (len(c.rules) > keptMatchTexts || len(c.rules) == 0) {
		return c, nil // nothing more to read
	}

	var texts []BenefitCandidate
	err = readPage(ctx, db, func(b *pgx.Batch) {
		if len(read.unitemised) > 0 {
			b.Queue(q.unitemised, pgx.NamedArgs{"ids": read.unitemised}).Query(collect(&c.Unitemised, func(rows pgx.Rows, u *UnitemisedPolicy) error {
				return rows.Scan(&u.Slug, &u.Title, &u.TitleEn, &u.IssuingBody)
			}))
		}
		if len(c.rules) <= keptMatchTexts {
			ids := make([]int64, len(c.rules))
			for i, r := range c.rules {
				ids[i] = r.ID
			}
			b.Queue(q.texts, pgx.NamedArgs{"ids": ids}).Query(collect(&texts, scanBenefitTexts))
		}
	})
	if err == nil && len(c.rules) <= keptMatchTexts {
		c.texts = make(map[int64]BenefitCandidate, len(texts))
		for _, t := range texts {
			c.texts[t.ID] = t
		}
	}
	return c, err
}

// candidateRules are the rows of the rules statement as read: the items,
// in blocks so that reading them copies nothing, and the policies
// without items.
type candidateRules struct {
	blocks     [][]candidateRow
	count      int
	unitemised []int64
}

const candidateBlock = 1024

// candidateRow is a benefit item of a candidate policy, with what the
// matcher weighs of it and its place in the order: ORDER BY
// p.effective_on DESC NULLS LAST, p.id, b.position.
type candidateRow struct {
	newest                                 int64 // minus the date's Unix time; MaxInt64 for none
	policyID                               int64
	position                               int32
	within                                 bool
	id                                     int64
	amountYuan, chainID, minInvestmentYuan pgtype.Int8
	qualification, qualificationLevel      pgtype.Text
	exclusiveGroup                         pgtype.Text
}

// scan reads the rows into values rather than pointers: pgx fills a
// pointer to a pointer by reflection, which cost more than the rest of
// the row.
func (c *candidateRules) scan(rows pgx.Rows) error {
	var (
		effectiveOn pgtype.Date
		itemID      pgtype.Int8
		position    pgtype.Int4
		r           candidateRow
	)
	for rows.Next() {
		if err := rows.Scan(&r.policyID, &effectiveOn, &r.within, &itemID, &position, &r.amountYuan, &r.chainID,
			&r.minInvestmentYuan, &r.qualification, &r.qualificationLevel, &r.exclusiveGroup); err != nil {
			return err
		}
		if !itemID.Valid {
			c.unitemised = append(c.unitemised, r.policyID)
			continue
		}
		r.id, r.position, r.newest = itemID.Int64, position.Int32, math.MaxInt64
		if effectiveOn.Valid {
			if effectiveOn.InfinityModifier != pgtype.Finite {
				return fmt.Errorf("policy %d: effective_on is %s", r.policyID, effectiveOn.InfinityModifier)
			}
			r.newest = -effectiveOn.Time.Unix()
		}
		if n := len(c.blocks); n == 0 || len(c.blocks[n-1]) == cap(c.blocks[n-1]) {
			c.blocks = append(c.blocks, make([]candidateRow, 0, candidateBlock))
		}
		last := &c.blocks[len(c.blocks)-1]
		*last = append(*last, r)
		c.count++
	}
	return rows.Err()
}

// sorted is the rules in their order. Their nullable values point into
// one array of values and one of dates, rather than into thousands of
// small allocations.
func (c *candidateRules) sorted() []benefitRule {
	// Sorting small keys by value cost half what sorting the rows did.
	type key struct {
		newest, policyID int64
		position, index  int32
	}
	keys := make([]key, 0, c.count)
	values := 0
	for b, block := range c.blocks {
		for i, r := range block {
			keys = append(keys, key{r.newest, r.policyID, r.position, int32(b*candidateBlock + i)})
			for _, v := range [...]pgtype.Int8{r.amountYuan, r.chainID, r.minInvestmentYuan} {
				if v.Valid {
					values++
				}
			}
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.newest, b.newest), cmp.Compare(a.policyID, b.policyID), cmp.Compare(a.position, b.position))
	})
	vals, dates := make([]int64, 0, values), make([]time.Time, 0, len(keys))
	value := func(v pgtype.Int8) *int64 {
		if !v.Valid {
			return nil
		}
		vals = append(vals, v.Int64)
		return &vals[len(vals)-1]
	}
	rules := make([]benefitRule, len(keys))
	for i, k := range keys {
		r := &c.blocks[k.index/candidateBlock][k.index%candidateBlock]
		rules[i] = benefitRule{ID: r.id, PolicyID: r.policyID, AmountYuan: value(r.amountYuan), ChainID: value(r.chainID),
			MinInvestmentYuan: value(r.minInvestmentYuan), Qualification: r.qualification.String,
			QualificationLevel: r.qualificationLevel.String, ExclusiveGroup: r.exclusiveGroup.String, Within: r.within}
		switch {
		case r.newest == math.MaxInt64:
		case i > 0 && rules[i-1].PolicyID == r.policyID:
			rules[i].EffectiveOn = rules[i-1].EffectiveOn // the items of a policy share its date
		default:
			dates = append(dates, time.Unix(-r.newest, 0).UTC())
			rules[i].EffectiveOn = &dates[len(dates)-1]
		}
	}
	return rules
}

func scanBenefitTexts(rows pgx.Rows, c *BenefitCandidate) error {
	return rows.Scan(&c.ID, &c.Position, &c.Kind, &c.Level, &c.Recipient, &c.RecipientEn, &c.Condition, &c.ConditionEn,
		&c.PolicySlug, &c.PolicyTitle, &c.PolicyTitleEn, &c.IssuingBody, &c.PolicyEffectiveOn, &c.PolicyExpiresOn,
		&c.RegionSlug, &c.RegionName, &c.RegionNameEn, &c.ChainName, &c.ChainNameEn)
}

// MatchBenefits answers the matcher for the answers a: it weighs every
// candidate, sums the estimate over all of them, and reads in full the
// first listed of each outcome. Weighing reads no text; the texts come
// from the candidates where they are few, and are otherwise read for the
// listed items only (at most 4×listed): a province's thousands of
// candidates made most of a request's time in scanning texts nobody saw.
func MatchBenefits(ctx context.Context, db *gorm.DB, c MatchCandidates, a MatchAnswers, now time.Time, listed int) (res MatchResult, err error) {
	rules := c.rules
	weighed := make([]weighedRule, 0, len(rules))
	for i := range rules {
		if outcome, ok := judge(&rules[i], a, nil); ok {
			weighed = append(weighed, weighedRule{rule: &rules[i], outcome: outcome, grantedInstead: -1})
		}
	}
	supersede(weighed)
	res.Counts = map[string]int{}
	var shown []*weighedRule
	for i := range weighed {
		w := &weighed[i]
		res.Counts[w.outcome]++
		if res.Counts[w.outcome] <= listed {
			shown = append(shown, w)
		} else {
			res.Omitted++
		}
		if w.outcome != MatchYes {
			continue
		}
		if w.rule.AmountYuan != nil {
			res.Estimate += *w.rule.AmountYuan
		} else {
			res.Unpriced++
		}
	}
	if len(shown) == 0 {
		return res, nil
	}

	texts := c.texts
	if texts == nil {
		if texts, err = listedTexts(ctx, db, shown); err != nil {
			return res, err
		}
	}
	today := now.In(calendar.Beijing).Format(time.DateOnly)
	for _, w := range shown {
		c, ok := texts[w.rule.ID] // a copy: the kept texts are shared
		if !ok {
			continue // deleted between the two reads: the next request weighs without it
		}
		r := w.rule
		c.PolicyID, c.AmountYuan, c.ChainID, c.MinInvestmentYuan = r.PolicyID, r.AmountYuan, r.ChainID, r.MinInvestmentYuan
		c.Qualification, c.QualificationLevel, c.ExclusiveGroup, c.Within = r.Qualification, r.QualificationLevel, r.ExclusiveGroup, r.Within
		m := MatchedBenefit{BenefitCandidate: c, Outcome: w.outcome}
		judge(r, a, &m.Reasons)
		m.NotYetInForce = r.EffectiveOn != nil && r.EffectiveOn.Format(time.DateOnly) > today
		if w.grantedInstead >= 0 {
			m.GrantedInstead = weighed[w.grantedInstead].rule.AmountYuan
		}
		res.Items = append(res.Items, m)
	}
	return res, nil
}

// listedTexts reads the texts of the items an answer lists.
func listedTexts(ctx context.Context, db *gorm.DB, shown []*weighedRule) (map[int64]BenefitCandidate, error) {
	ids := make([]int64, len(shown))
	for i, w := range shown {
		ids[i] = w.rule.ID
	}
	var texts []BenefitCandidate
	err := readPage(ctx, db, func(b *pgx.Batch) {
		b.Queue(matcherStatements.get(ctx).texts, pgx.NamedArgs{"ids": ids}).Query(collect(&texts, scanBenefitTexts))
	})
	byID := make(map[int64]BenefitCandidate, len(texts))
	for _, t := range texts {
		byID[t.ID] = t
	}
	return byID, err
}

// matcherStatements find the policies of the region @region and of those
// above and below it, in force on @today or later, with their benefit
// items (rules), and read the texts of the items @ids and of the policies
// @ids. The policies are found by region from an index alone (migration
// 00033): an IN over the two common table expressions made PostgreSQL
// scan every policy.
var matcherStatements = newStatements(func(ctx context.Context) (q struct{ rules, unitemised, texts string }) {
	q.rules = regionsAboveAndBelow + `
SELECT p.id, p.effective_on, p.region_id = ANY(ARRAY(SELECT id FROM below)), b.id, b.position,
	b.amount_yuan, b.chain_id, b.min_investment_yuan,
	nullif(b.qualification, ''), nullif(b.qualification_level, ''), nullif(b.exclusive_group, '')
FROM policies p
LEFT JOIN benefit_items b ON b.policy_id = p.id
WHERE p.region_id = ANY(ARRAY(SELECT id FROM above UNION ALL SELECT id FROM below))
	AND ` + publicRow(ctx, "p", "policies") + `
	AND (p.expires_on IS NULL OR p.expires_on >= CAST(@today AS date))`
	q.unitemised = `
SELECT p.slug, p.title, p.title_en, p.issuing_body
FROM policies p
WHERE p.id = ANY(@ids) AND ` + publicRow(ctx, "p", "policies") + `
ORDER BY p.effective_on DESC NULLS LAST, p.id`
	q.texts = `
SELECT b.id, b.position, b.kind, b.level, b.recipient, b.recipient_en, b.condition, b.condition_en,
	p.slug, p.title, p.title_en, p.issuing_body, p.effective_on, p.expires_on,
	r.slug, r.name, r.name_en, coalesce(c.name, ''), coalesce(c.name_en, '')
FROM benefit_items b
JOIN policies p ON p.id = b.policy_id
JOIN regions r ON r.id = p.region_id
LEFT JOIN industry_chains c ON c.id = b.chain_id AND ` + publicRow(ctx, "c", "industry_chains") + `
WHERE b.id = ANY(@ids)`
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

// weighedRule is a candidate that is not ruled out, with its outcome and,
// when superseded, the index of the item granted instead (-1 if none).
type weighedRule struct {
	rule           *benefitRule
	outcome        string
	grantedInstead int
}

// judge checks one candidate against the answers. An item is matched
// when every rule it has is met; undecided when none fails but an answer
// it needs is missing; "if qualify" when only its qualification is
// lacking; ruled out (ok false) when another rule fails. The rules met or
// waiting for an answer are appended to reasons, unless it is nil.
func judge(r *benefitRule, a MatchAnswers, reasons *[]MatchReason) (outcome string, ok bool) {
	failed, lacking, missing := false, false, false
	reason := func(rule string, missingAnswer bool) {
		if reasons != nil {
			*reasons = append(*reasons, MatchReason{Rule: rule, Missing: missingAnswer})
		}
		missing = missing || missingAnswer
	}
	// Region: a policy of a place within the chosen region applies only
	// if the project goes there; the form cannot know that.
	reason("region", r.Within)
	if r.ChainID != nil {
		switch {
		case a.ChainID == 0:
			reason("chain", true)
		case a.ChainID == *r.ChainID:
			reason("chain", false)
		default:
			failed = true
		}
	}
	if r.MinInvestmentYuan != nil {
		switch {
		case a.InvestmentYuan == nil:
			reason("investment", true)
		case *a.InvestmentYuan >= *r.MinInvestmentYuan:
			reason("investment", false)
		default:
			failed = true
		}
	}
	if r.Qualification != "" {
		if holds(a.Qualifications, r.Qualification, r.QualificationLevel) {
			reason("qualification", false)
		} else {
			lacking = true
		}
	}
	switch {
	case failed:
		return "", false
	case lacking:
		return MatchIfQualify, true
	case missing:
		return MatchUndecided, true
	}
	return MatchYes, true
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
func supersede(items []weighedRule) {
	type group struct {
		policy int64
		name   string
	}
	best := map[group]int{}
	for i, it := range items {
		if it.outcome != MatchYes || it.rule.ExclusiveGroup == "" {
			continue
		}
		g := group{it.rule.PolicyID, it.rule.ExclusiveGroup}
		j, seen := best[g]
		if !seen || amount(it.rule.AmountYuan) > amount(items[j].rule.AmountYuan) {
			best[g] = i
		}
	}
	for i := range items {
		it := &items[i]
		if it.outcome != MatchYes || it.rule.ExclusiveGroup == "" {
			continue
		}
		if j := best[group{it.rule.PolicyID, it.rule.ExclusiveGroup}]; j != i {
			it.outcome, it.grantedInstead = MatchSuperseded, j
		}
	}
}

func amount(v *int64) int64 {
	if v == nil {
		return -1
	}
	return *v
}
