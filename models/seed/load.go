package seed

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"investportal/models"
)

//go:embed articles/*.md
var articleFiles embed.FS

// Counts says how many rows of each table one Load inserted.
type Counts map[string]int

// Load inserts the demo content that is missing, in one transaction. A
// record whose slug already exists is left as it is, children included, so
// a second Load inserts nothing and staff edits survive.
func Load(ctx context.Context, db *gorm.DB) (Counts, error) {
	l := &loader{counts: Counts{}, ids: map[string]map[string]int64{}}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		l.tx = tx
		for _, step := range []func() error{
			l.articles, l.regions, l.parks, l.chains, l.contacts, l.policies, l.events, l.projects, l.reportedStatistics,
		} {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return l.counts, nil
}

type loader struct {
	tx     *gorm.DB
	counts Counts
	ids    map[string]map[string]int64 // table -> slug -> id
}

// upsertBySlug inserts rec unless a row with its slug exists, and reports the
// row's id and whether this call inserted it.
func (l *loader) upsertBySlug(table, slug string, rec any) (int64, bool, error) {
	res := l.tx.Table(table).Omit(clause.Associations).
		Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true}).
		Create(rec)
	if res.Error != nil {
		return 0, false, fmt.Errorf("%s %s: %w", table, slug, res.Error)
	}
	var id int64
	if err := l.tx.Table(table).Select("id").Where("slug = ?", slug).Scan(&id).Error; err != nil {
		return 0, false, err
	}
	if l.ids[table] == nil {
		l.ids[table] = map[string]int64{}
	}
	l.ids[table][slug] = id
	inserted := res.RowsAffected == 1
	if inserted {
		l.counts[table]++
	}
	return id, inserted, nil
}

// insert adds child rows of a freshly inserted parent.
func (l *loader) insert(table string, rows any, n int) error {
	if n == 0 {
		return nil
	}
	if err := l.tx.Table(table).Omit(clause.Associations).Create(rows).Error; err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	l.counts[table] += n
	return nil
}

// id resolves a slug that an earlier step loaded; "" resolves to nil.
func (l *loader) id(table, slug string) *int64 {
	if slug == "" {
		return nil
	}
	id, ok := l.ids[table][slug]
	if !ok {
		panic(fmt.Sprintf("seed: %s %q is referenced but not defined", table, slug))
	}
	return &id
}

func (l *loader) mustID(table, slug string) int64 { return *l.id(table, slug) }

func (l *loader) article(slug string) *int64 { return l.id("news_articles", slug) }

func published() models.Publishing { return models.Publishing{Status: models.StatusPublished} }

func (l *loader) articles() error {
	for _, a := range articles {
		body, err := articleFiles.ReadFile("articles/" + a.File)
		if err != nil {
			return err
		}
		rec := models.NewsArticle{
			Slug: a.Slug, Title: a.Title, TitleEn: a.TitleEn, SourceName: a.Source, Author: a.Author,
			PublishedOn: date(a.Published), Script: a.Script, Summary: a.Summary, SummaryEn: a.SummaryEn,
			Body: strings.TrimSpace(string(body)), Publishing: published(),
		}
		if _, _, err := l.upsertBySlug("news_articles", a.Slug, &rec); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) regions() error {
	for _, r := range regions {
		rec := models.Region{
			Slug: r.Slug, ParentID: l.id("regions", r.Parent), Kind: r.Kind, Name: r.Name, NameEn: r.NameEn,
			Summary: r.Summary, SummaryEn: r.SummaryEn, Description: r.Description, Transport: r.Transport,
			Talent: r.Talent, BusinessEnvironment: r.BusinessEnvironment, SourceArticleID: l.article(r.Article),
			Publishing: published(),
		}
		id, inserted, err := l.upsertBySlug("regions", r.Slug, &rec)
		if err != nil {
			return err
		}
		if !inserted {
			continue
		}
		figures := make([]models.RegionFigure, len(r.Figures))
		for i, f := range r.Figures {
			figures[i] = models.RegionFigure{
				RegionID: id, Position: i, Label: f.Label, LabelEn: f.LabelEn, Value: decimal.RequireFromString(f.Value), Unit: f.Unit,
				Qualifier: f.Qualifier, Year: f.Year, AsOf: f.AsOf, AsOfEn: f.AsOfEn, SourceArticleID: l.article(f.Article), Featured: f.Featured,
			}
		}
		if err := l.insert("region_figures", &figures, len(figures)); err != nil {
			return err
		}
		measures := make([]models.BusinessMeasure, len(r.Measures))
		for i, m := range r.Measures {
			measures[i] = models.BusinessMeasure{RegionID: id, Position: i, Title: m.Title, TitleEn: m.TitleEn, Description: m.Description,
				DescriptionEn: m.DescriptionEn, SourceArticleID: l.article(m.Article)}
		}
		if err := l.insert("business_measures", &measures, len(measures)); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) parks() error {
	for _, p := range parks {
		rec := models.Park{
			Slug: p.Slug, RegionID: l.mustID("regions", p.Region), ParentParkID: l.id("parks", p.Parent), Kind: p.Kind,
			Name: p.Name, NameEn: p.NameEn, FocusIndustries: p.FocusIndustries, Summary: p.Summary, SummaryEn: p.SummaryEn,
			Description: p.Description, SourceArticleID: l.article(p.Article), Publishing: published(),
		}
		if p.AreaKm2 != "" {
			rec.AreaKm2 = decimal.NewNullDecimal(decimal.RequireFromString(p.AreaKm2))
		}
		if p.StandardFactoryM2 > 0 {
			rec.StandardFactoryM2 = &p.StandardFactoryM2
		}
		id, inserted, err := l.upsertBySlug("parks", p.Slug, &rec)
		if err != nil {
			return err
		}
		if !inserted {
			continue
		}
		sites := make([]models.ParkSite, len(p.Sites))
		for i, s := range p.Sites {
			sites[i] = models.ParkSite{
				ParkID: id, Position: i, Name: s.Name, NameEn: s.NameEn, Kind: s.Kind, AreaM2: decimal.RequireFromString(s.AreaM2),
				Status: s.Status, Description: s.Description, DescriptionEn: s.DescriptionEn, SourceArticleID: l.article(s.Article),
			}
		}
		if err := l.insert("park_sites", &sites, len(sites)); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) chains() error {
	for _, c := range chains {
		rec := models.IndustryChain{
			Slug: c.Slug, RegionID: l.mustID("regions", c.Region), Name: c.Name, NameEn: c.NameEn,
			Summary: c.Summary, SummaryEn: c.SummaryEn, SourceArticleID: l.article(c.Article), Publishing: published(),
		}
		id, inserted, err := l.upsertBySlug("industry_chains", c.Slug, &rec)
		if err != nil {
			return err
		}
		if !inserted {
			continue
		}
		links := make([]map[string]any, len(c.Parks))
		for i, park := range c.Parks {
			links[i] = map[string]any{"chain_id": id, "park_id": l.mustID("parks", park)}
		}
		if err := l.insert("chain_parks", &links, len(links)); err != nil {
			return err
		}
	}
	return nil
}

// contacts have no slug: they are loaded once, together with the first
// region that the seed inserts (a fresh database).
func (l *loader) contacts() error {
	if l.counts["regions"] == 0 {
		return nil
	}
	rows := make([]models.Contact, len(contacts))
	for i, c := range contacts {
		rows[i] = models.Contact{
			RegionID: l.id("regions", c.Region), ParkID: l.id("parks", c.Park), ChainID: l.id("industry_chains", c.Chain),
			Name: c.Name, NameEn: c.NameEn, Title: c.Title, TitleEn: c.TitleEn, Organisation: c.Organisation, OrganisationEn: c.OrganisationEn, Languages: "zh", SourceArticleID: l.article(c.Article),
		}
	}
	return l.insert("contacts", &rows, len(rows))
}

func (l *loader) policies() error {
	for _, p := range policies {
		rec := models.Policy{
			Slug: p.Slug, RegionID: l.mustID("regions", p.Region), Title: p.Title, TitleEn: p.TitleEn,
			IssuingBody: p.IssuingBody, Summary: p.Summary, SummaryEn: p.SummaryEn, Body: p.Body, SourceArticleID: l.article(p.Article),
			Publishing: published(),
		}
		id, inserted, err := l.upsertBySlug("policies", p.Slug, &rec)
		if err != nil {
			return err
		}
		if !inserted {
			continue
		}
		benefits := make([]models.BenefitItem, len(p.Benefits))
		for i, b := range p.Benefits {
			benefits[i] = models.BenefitItem{PolicyID: id, Position: i, Kind: b.Kind, Level: b.Level, Recipient: b.Recipient, RecipientEn: b.RecipientEn, AmountYuan: b.AmountYuan, Condition: b.Condition, ConditionEn: b.ConditionEn,
				Qualification: b.Qual, QualificationLevel: b.QualLevel, ExclusiveGroup: b.Group}
			if b.Chain != "" {
				chain := l.mustID("industry_chains", b.Chain)
				benefits[i].ChainID = &chain
			}
		}
		if err := l.insert("benefit_items", &benefits, len(benefits)); err != nil {
			return err
		}
		links := make([]map[string]any, len(p.Chains))
		for i, chain := range p.Chains {
			links[i] = map[string]any{"policy_id": id, "chain_id": l.mustID("industry_chains", chain)}
		}
		if err := l.insert("policy_chains", &links, len(links)); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) events() error {
	for _, e := range events {
		rec := models.SigningEvent{
			Slug: e.Slug, RegionID: l.mustID("regions", e.Region), Kind: e.Kind, Name: e.Name, NameEn: e.NameEn,
			HeldOn: *date(e.HeldOn), Place: e.Place, Organiser: e.Organiser, ReportedProjectCount: e.Projects,
			ReportedCompanyCount: e.Companies, ReportedTotalYuan: e.TotalYuan, Summary: e.Summary, SummaryEn: e.SummaryEn,
			SourceArticleID: l.article(e.Article), Publishing: published(),
		}
		if _, _, err := l.upsertBySlug("signing_events", e.Slug, &rec); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) projects() error {
	for _, p := range projects {
		rec := models.Project{
			Slug: p.Slug, Name: p.Name, NameEn: p.NameEn, Investor: p.Investor, RegionID: l.mustID("regions", p.Region),
			ChainID: l.id("industry_chains", p.Chain), ParkID: l.id("parks", p.Park),
			Category: p.Category, BuildType: p.BuildType, CompletedInvestmentYuan: p.CompletedYuan, Stage: p.Stage,
			Flag: models.FlagNone, Summary: p.Summary, SummaryEn: p.SummaryEn, SourceArticleID: l.article(p.Article), Publishing: published(),
		}
		if p.Event != "" {
			held := *date(eventHeldOn(p.Event))
			rec.SignedOn = &held
		}
		if p.LandAreaMu != "" {
			rec.LandAreaMu = decimal.NewNullDecimal(decimal.RequireFromString(p.LandAreaMu))
		}
		id, inserted, err := l.upsertBySlug("projects", p.Slug, &rec)
		if err != nil {
			return err
		}
		if !inserted {
			continue
		}
		if p.Event != "" {
			signed := []models.ProjectAppearance{{ProjectID: id, Position: 1, SigningEventID: l.mustID("signing_events", p.Event), Role: models.RoleSigned}}
			if err := l.insert("project_appearances", &signed, 1); err != nil {
				return err
			}
		}
		reports := make([]models.ProjectReport, len(p.Reports))
		for i, r := range p.Reports {
			reports[i] = models.ProjectReport{
				ProjectID: id, ReportedOn: *date(r.On), Stage: r.Stage, Flag: models.FlagNone,
				CompletedInvestmentYuan: p.CompletedYuan, Body: r.Body, SourceArticleID: l.article(r.Article),
			}
		}
		if err := l.insert("project_reports", &reports, len(reports)); err != nil {
			return err
		}
	}
	return nil
}

func eventHeldOn(slug string) string {
	for _, e := range events {
		if e.Slug == slug {
			return e.HeldOn
		}
	}
	panic("seed: unknown signing event " + slug)
}
