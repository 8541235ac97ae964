package seed

import (
	"regexp"
	"testing"
)

var han = regexp.MustCompile(`\p{Han}`)

// Every seeded record a foreign investor reads has its English: names and
// summaries, figure labels, business-environment measures, benefit items,
// policy summaries and an English summary of each article. English fields
// hold no Chinese characters.
func TestEverySeededRecordHasEnglish(t *testing.T) {
	check := func(where, zh, en string) {
		t.Helper()
		switch {
		case zh != "" && en == "":
			t.Errorf("%s: no English for %q", where, zh)
		case han.MatchString(en):
			t.Errorf("%s: English %q holds Chinese characters", where, en)
		}
	}
	for _, a := range articles {
		check(a.Slug+" title", a.Title, a.TitleEn)
		check(a.Slug+" summary", a.Summary, a.SummaryEn)
	}
	for _, r := range regions {
		check(r.Slug+" name", r.Name, r.NameEn)
		check(r.Slug+" summary", r.Summary, r.SummaryEn)
		for _, f := range r.Figures {
			check(r.Slug+" figure", f.Label, f.LabelEn)
			check(r.Slug+" figure as of", f.AsOf, f.AsOfEn)
		}
		for _, m := range r.Measures {
			check(r.Slug+" measure", m.Title, m.TitleEn)
			check(r.Slug+" measure description", m.Description, m.DescriptionEn)
		}
	}
	for _, p := range parks {
		check(p.Slug+" name", p.Name, p.NameEn)
		check(p.Slug+" summary", p.Summary, p.SummaryEn)
		for _, s := range p.Sites {
			check(p.Slug+" site", s.Name, s.NameEn)
			check(p.Slug+" site description", s.Description, s.DescriptionEn)
		}
	}
	for _, c := range chains {
		check(c.Slug+" name", c.Name, c.NameEn)
		check(c.Slug+" summary", c.Summary, c.SummaryEn)
	}
	for _, c := range contacts {
		check("contact", c.Name, c.NameEn)
		check("contact title", c.Title, c.TitleEn)
		check("contact organisation", c.Organisation, c.OrganisationEn)
	}
	for _, p := range policies {
		check(p.Slug+" title", p.Title, p.TitleEn)
		check(p.Slug+" summary", p.Summary, p.SummaryEn)
		for _, b := range p.Benefits {
			check(p.Slug+" benefit recipient", b.Recipient, b.RecipientEn)
			check(p.Slug+" benefit condition", b.Condition, b.ConditionEn)
		}
	}
	for _, e := range events {
		check(e.Slug+" name", e.Name, e.NameEn)
		check(e.Slug+" summary", e.Summary, e.SummaryEn)
	}
	for _, p := range projects {
		check(p.Slug+" name", p.Name, p.NameEn)
		check(p.Slug+" summary", p.Summary, p.SummaryEn)
	}
}
