// Package seed holds the portal's demo content, written from the five
// source articles in articles/, and loads it idempotently: a record whose
// slug exists is left alone (with everything beneath it), so loading twice
// gives the same rows and never overwrites what staff have edited since.
//
// Every figure, policy, event and project names the article it came from.
// Where an article leaves a value out (a project's amount, an official's
// phone number), the value is left empty rather than invented.
package seed

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

type articleSeed struct {
	Slug, File      string // File is under articles/
	Title, TitleEn  string
	Source, Author  string
	Published       string // YYYY-MM-DD, or "" where the article is undated
	Script, Summary string
	SummaryEn       string // an English summary of the article, nothing added
}

type regionSeed struct {
	Slug, Parent, Kind  string
	Name, NameEn        string
	Summary, SummaryEn  string
	Description         string
	Transport, Talent   string
	BusinessEnvironment string
	Article             string
	Figures             []figureSeed
	Measures            []measureSeed
}

type figureSeed struct {
	Label     string
	LabelEn   string
	Value     string // exact decimal, never a float
	Unit      string
	Qualifier string
	Year      int
	AsOf      string
	AsOfEn    string
	Article   string
	Featured  bool
}

type measureSeed struct {
	Title, Description, Article string
	TitleEn, DescriptionEn      string
}

type parkSeed struct {
	Slug, Region, Parent, Kind string
	Name, NameEn               string
	AreaKm2                    string
	StandardFactoryM2          int64
	FocusIndustries            string
	Summary, Description       string
	SummaryEn                  string
	Article                    string
	Sites                      []siteSeed
}

type siteSeed struct {
	Name, Kind, AreaM2, Status, Description, Article string
	NameEn, DescriptionEn                            string
}

type chainSeed struct {
	Slug, Region, Name, NameEn, Summary, Article string
	SummaryEn                                    string
	Parks                                        []string
}

type contactSeed struct {
	Region, Park, Chain       string // exactly one
	Name, Title, Organisation string
	NameEn                    string // in pinyin
	TitleEn, OrganisationEn   string
	Article                   string
}

type policySeed struct {
	Slug, Region, Title, TitleEn, IssuingBody string
	Summary, Body, Article                    string
	SummaryEn                                 string
	Chains                                    []string
	Benefits                                  []benefitSeed
}

type benefitSeed struct {
	Kind, Level, Recipient string
	RecipientEn            string
	AmountYuan             *int64
	Condition              string
	ConditionEn            string
	// Eligibility: the chain's slug, the qualification and its level, and
	// the group of items not granted together.
	Chain, Qual, QualLevel, Group string
}

type eventSeed struct {
	Slug, Region, Kind, Name, NameEn, HeldOn, Place, Organiser string
	Projects, Companies                                        *int
	TotalYuan                                                  *int64
	Summary, Article                                           string
	SummaryEn                                                  string
}

type projectSeed struct {
	Slug, Name, Investor, Region, Chain, Park, Event string
	NameEn, SummaryEn                                string
	Category, BuildType, Stage                       string
	CompletedYuan                                    int64
	LandAreaMu                                       string
	Summary, Article                                 string
	Reports                                          []reportSeed
}

type reportSeed struct {
	On, Stage, Body, Article string
}

// yi converts an amount written in 亿元 ("84.8") to whole yuan, exactly.
func yi(amount string) *int64 { return scaled(amount, 8) }

// wan converts an amount written in 万元 ("500") to whole yuan, exactly.
func wan(amount string) *int64 { return scaled(amount, 4) }

func scaled(amount string, exp int32) *int64 {
	d := decimal.RequireFromString(amount).Shift(exp)
	if !d.IsInteger() {
		panic(fmt.Sprintf("seed: %s×10^%d is not a whole number of yuan", amount, exp))
	}
	v := d.IntPart()
	return &v
}

func count(n int) *int { return &n }

func date(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic("seed: bad date " + s)
	}
	return &t
}
