package handlers

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// slugParam reads a page's slug; one the schema could not hold cannot
// exist, so it is a 404 without asking the database.
func slugParam(c echo.Context) (string, error) {
	slug := c.Param("slug")
	if !models.ValidSlug(slug) {
		return "", echo.ErrNotFound
	}
	return slug, nil
}

// projectRow shapes a project for a list; Region must be loaded.
func projectRow(cx context.Context, p models.Project) views.ProjectRow {
	name, _ := i18n.Content(cx, p.Name, p.NameEn)
	row := views.ProjectRow{
		Path: "/projects/" + p.Slug, Name: name, Investor: i18n.Chinese(cx, p.Investor),
		Stage: i18n.T(cx, "project.stage."+p.Stage), Category: i18n.T(cx, "project.category."+p.Category),
		Amount: views.YuanPtr(cx, p.ContractedAmountYuan),
	}
	if p.Region != nil {
		row.Region, _ = i18n.Content(cx, p.Region.Name, p.Region.NameEn)
	}
	if p.SignedOn != nil {
		row.Signed = views.Date(cx, *p.SignedOn)
	}
	return row
}

// languageNames names the working languages of contacts in their own words.
var languageNames = map[string]string{"zh": "中文", "en": "English", "mn": "Монгол", "ru": "Русский", "ja": "日本語", "ko": "한국어"}

// contactCard shapes a named officer.
func contactCard(cx context.Context, c models.Contact) views.ContactCard {
	name, _ := i18n.Content(cx, c.Name, c.NameEn)
	langs := strings.Split(c.Languages, ",")
	for i, tag := range langs {
		if name, ok := languageNames[tag]; ok {
			langs[i] = name
		}
	}
	return views.ContactCard{
		Name: name, Title: content(cx, c.Title, c.TitleEn), Organisation: content(cx, c.Organisation, c.OrganisationEn),
		Phone: c.Phone, Email: c.Email, Languages: strings.Join(langs, ", "),
	}
}

// chainLinks lists industry chains as links with their summaries.
func chainLinks(cx context.Context, chains []models.IndustryChain) []views.LinkItem {
	var items []views.LinkItem
	for _, ch := range chains {
		n, _ := i18n.Content(cx, ch.Name, ch.NameEn)
		s, _ := i18n.Content(cx, ch.Summary, ch.SummaryEn)
		items = append(items, views.LinkItem{Path: "/chains/" + ch.Slug, Name: n, Text: s})
	}
	return items
}

// policyLinks lists policies as links with their issuing body.
func policyLinks(cx context.Context, policies []models.Policy) []views.LinkItem {
	var items []views.LinkItem
	for _, p := range policies {
		n, _ := i18n.Content(cx, p.Title, p.TitleEn)
		items = append(items, views.LinkItem{Path: "/policies/" + p.Slug, Name: n, Meta: i18n.Chinese(cx, p.IssuingBody)})
	}
	return items
}

// sourceLine names the article a record cites and links to it.
func sourceLine(cx context.Context, a *models.NewsArticle) (source, path string) {
	if a == nil {
		return "", ""
	}
	return i18n.Chinese(cx, a.SourceName), "/news/" + a.Slug
}

// content is a record's text in the page's language: the English where
// it is written, the Chinese otherwise (in the page's script).
func content(cx context.Context, zh, en string) string {
	text, _ := i18n.Content(cx, zh, en)
	return text
}
