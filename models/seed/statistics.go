package seed

import (
	"github.com/shopspring/decimal"

	"investportal/models"
)

// reportedSeed is one aggregate an article publishes, as it publishes it.
type reportedSeed struct {
	Slug, Label, Region, Indicator string
	Value                          string // count or percentage, exact; "" for an amount
	Amount                         *int64 // amount indicators
	Min                            *int64 // the article's threshold, measured on Basis
	Basis                          string
	ScopeCategory, ScopeBuildType  string
	Signed                         bool // counts only the projects signed in the period (新签约)
	From, To, AsOf, Note, Article  string
}

// Hongshan District, 2021, as reported on 17 October 2021: the year's
// projects of 1 000 000 yuan or more in total investment (拟实施总投资100万元
// 以上), new and continuing, and of them those started or resumed.
const (
	hongshanFrom = "2021-01-01"
	hongshanTo   = "2021-10-17"
	hongshanAsOf = "截至2021年10月17日报道"
)

// Tongliao, from 2022 to the article of 28 March 2023 (2022年至今).
const (
	tongliaoFrom = "2022-01-01"
	tongliaoTo   = "2023-03-28"
	tongliaoAsOf = "2022年至今(2023年3月28日报道)"
)

// hongshan is a Hongshan 2021 figure of the projects of 100万元 or more.
func hongshan(slug, label, indicator, value string, amount *int64, category, build string) reportedSeed {
	return reportedSeed{Slug: slug, Label: label, Region: "hongshan", Indicator: indicator, Value: value, Amount: amount,
		Min: wan("100"), Basis: models.BasisPlanned, ScopeCategory: category, ScopeBuildType: build,
		From: hongshanFrom, To: hongshanTo, AsOf: hongshanAsOf, Article: artHongshan}
}

var reportedStatistics = []reportedSeed{
	hongshan("hongshan-2021-projects", "拟实施总投资100万元以上项目", models.IndicatorProjectCount, "181", nil, "", ""),
	hongshan("hongshan-2021-started", "已开复工项目", models.IndicatorStartedCount, "111", nil, "", ""),
	hongshan("hongshan-2021-start-rate", "开复工率", models.IndicatorStartRate, "61.3", nil, "", ""),
	hongshan("hongshan-2021-completed", "完成投资", models.IndicatorCompletedYuan, "", yi("35.7"), "", ""),
	hongshan("hongshan-2021-planned", "计划总投资", models.IndicatorPlannedYuan, "", yi("290.4"), "", ""),
	hongshan("hongshan-2021-new-projects", "新建项目", models.IndicatorProjectCount, "107", nil, "", models.BuildNew),
	hongshan("hongshan-2021-new-started", "新建项目开工", models.IndicatorStartedCount, "44", nil, "", models.BuildNew),
	hongshan("hongshan-2021-new-completed", "新建项目完成投资", models.IndicatorCompletedYuan, "", yi("8.7"), "", models.BuildNew),
	hongshan("hongshan-2021-continuing-projects", "续建项目", models.IndicatorProjectCount, "74", nil, "", models.BuildContinuing),
	hongshan("hongshan-2021-continuing-started", "续建项目已复工", models.IndicatorStartedCount, "67", nil, "", models.BuildContinuing),
	hongshan("hongshan-2021-continuing-completed", "续建项目完成投资", models.IndicatorCompletedYuan, "", yi("27"), "", models.BuildContinuing),
	hongshan("hongshan-2021-agriculture-started", "农业项目开复工", models.IndicatorStartedCount, "5", nil, models.CategoryAgriculture, ""),
	hongshan("hongshan-2021-agriculture-completed", "农业项目完成投资", models.IndicatorCompletedYuan, "", yi("2.4"), models.CategoryAgriculture, ""),
	hongshan("hongshan-2021-industry-started", "工业项目开复工", models.IndicatorStartedCount, "36", nil, models.CategoryIndustry, ""),
	hongshan("hongshan-2021-industry-completed", "工业项目完成投资", models.IndicatorCompletedYuan, "", yi("7.7"), models.CategoryIndustry, ""),
	hongshan("hongshan-2021-commerce-started", "商贸流通项目开复工", models.IndicatorStartedCount, "13", nil, models.CategoryCommerceLogistics, ""),
	hongshan("hongshan-2021-commerce-completed", "商贸流通项目完成投资", models.IndicatorCompletedYuan, "", yi("1.9"), models.CategoryCommerceLogistics, ""),
	hongshan("hongshan-2021-infrastructure-started", "基础设施项目开复工", models.IndicatorStartedCount, "42", nil, models.CategoryInfrastructure, ""),
	hongshan("hongshan-2021-infrastructure-completed", "基础设施项目完成投资", models.IndicatorCompletedYuan, "", yi("20.2"), models.CategoryInfrastructure, ""),
	hongshan("hongshan-2021-social-started", "社会事业项目开复工", models.IndicatorStartedCount, "15", nil, models.CategorySocial, ""),
	hongshan("hongshan-2021-social-completed", "社会事业项目完成投资", models.IndicatorCompletedYuan, "", yi("3.5"), models.CategorySocial, ""),

	// The key industrial projects of 50 million yuan or more planned at the
	// start of the year (年初计划实施5000万元以上重点工业项目30个).
	hongshanKeyIndustrial("hongshan-2021-key-industrial-projects", "年初计划实施5000万元以上重点工业项目", models.IndicatorProjectCount, "30", nil,
		"原文另报计划完成投资22.18亿元。"),
	hongshanKeyIndustrial("hongshan-2021-key-industrial-started", "重点工业项目已开复工", models.IndicatorStartedCount, "14", nil, ""),
	hongshanKeyIndustrial("hongshan-2021-key-industrial-start-rate", "重点工业项目开工率", models.IndicatorStartRate, "46.7", nil, ""),
	hongshanKeyIndustrial("hongshan-2021-key-industrial-completed", "重点工业项目完成投资", models.IndicatorCompletedYuan, "", yi("2.75"), ""),

	// Tongliao: signings of 10 million yuan or more, and of 100 million or
	// more among them; construction starts likewise; funds in place.
	tongliao("tongliao-2022-2023-signed-projects", "新签约千万元以上项目", models.IndicatorProjectCount, "762", nil, wan("1000"), models.BasisContracted, true, ""),
	tongliao("tongliao-2022-2023-signed-amount", "新签约千万元以上项目总签约额", models.IndicatorContractedYuan, "", yi("3762.2"), wan("1000"), models.BasisContracted, true, ""),
	tongliao("tongliao-2022-2023-signed-projects-100m", "其中亿元以上项目", models.IndicatorProjectCount, "304", nil, yi("1"), models.BasisContracted, true, ""),
	tongliao("tongliao-2022-2023-signed-amount-100m", "亿元以上项目签约额", models.IndicatorContractedYuan, "", yi("3600.47"), yi("1"), models.BasisContracted, true, ""),
	tongliao("tongliao-2022-2023-started", "新开工千万元以上项目", models.IndicatorStartedCount, "330", nil, wan("1000"), models.BasisPlanned, false,
		"原文另报这些项目总投资681.66亿元。"),
	tongliao("tongliao-2022-2023-started-100m", "新开工亿元以上项目", models.IndicatorStartedCount, "78", nil, yi("1"), models.BasisPlanned, false,
		"原文另报这些项目投资额597.25亿元。"),
	tongliao("tongliao-2022-2023-funds-in-place", "招商引资到位资金", models.IndicatorFundsInPlaceYuan, "", yi("336.38"), nil, "", false, ""),
}

func hongshanKeyIndustrial(slug, label, indicator, value string, amount *int64, note string) reportedSeed {
	s := hongshan(slug, label, indicator, value, amount, models.CategoryIndustry, "")
	s.Min, s.Note = wan("5000"), note
	return s
}

func tongliao(slug, label, indicator, value string, amount, threshold *int64, basis string, signed bool, note string) reportedSeed {
	return reportedSeed{Slug: slug, Label: label, Region: "tongliao", Indicator: indicator, Value: value, Amount: amount,
		Min: threshold, Basis: basis, Signed: signed, From: tongliaoFrom, To: tongliaoTo, AsOf: tongliaoAsOf, Note: note,
		Article: artTongliao}
}

// reportedStatistics loads the aggregates the articles publish.
func (l *loader) reportedStatistics() error {
	for _, s := range reportedStatistics {
		rec := models.ReportedStatistic{
			Slug: s.Slug, Label: s.Label, RegionID: l.mustID("regions", s.Region), Indicator: s.Indicator,
			AmountYuan: s.Amount, MinAmountYuan: s.Min, MinAmountBasis: s.Basis, ScopeCategory: s.ScopeCategory,
			ScopeBuildType: s.ScopeBuildType, ProjectSet: models.ProjectSetOnRecord, PeriodFrom: *date(s.From), PeriodTo: *date(s.To),
			AsOf: s.AsOf, Note: s.Note, SourceArticleID: l.mustID("news_articles", s.Article), Publishing: published(),
		}
		if s.Signed {
			rec.ProjectSet = models.ProjectSetSigned
		}
		if s.Value != "" {
			rec.Value = decimal.NewNullDecimal(decimal.RequireFromString(s.Value))
		}
		if _, _, err := l.upsertBySlug("reported_statistics", s.Slug, &rec); err != nil {
			return err
		}
	}
	return nil
}
