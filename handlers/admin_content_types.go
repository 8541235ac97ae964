package handlers

import (
	"strings"

	"github.com/shopspring/decimal"

	"investportal/models"
)

// The content types staff edit, described once: the admin's routes,
// lists, forms, validation and audit all follow from these descriptions.
// The admin is Simplified Chinese only, so field labels are written here,
// beside the fields they name. Limits equal the schema's CHECKs.

// fieldWidget is how a field is typed in and what it accepts.
type fieldWidget int

const (
	widgetText     fieldWidget = iota // one line of text
	widgetTextarea                    // several lines of plain text
	widgetMarkdown                    // Markdown, sanitised when saved and when shown
	widgetSlug                        // made from the title when left empty
	widgetChoice                      // one of fixed values
	widgetRef                         // another record
	widgetDate                        // YYYY-MM-DD
	widgetTime                        // Beijing time, YYYY-MM-DDTHH:MM
	widgetMoney                       // typed in 万元, stored in yuan
	widgetInt                         // whole number ≥ 0
	widgetDecimal                     // number ≥ 0 with up to two decimals
	widgetCheckbox                    // yes or no
	widgetURL                         // http(s) address
	widgetEmail                       // e-mail address
	widgetPhone                       // phone number as printed on a card
)

// adminField is one editable column.
type adminField struct {
	Name     string // the column
	Label    string
	Widget   fieldWidget
	Required bool
	Max      int      // characters, for text widgets
	Choices  []string // values of a widgetChoice
	Labels   string   // catalog prefix naming each choice ("region.kind."); "" shows fixedLabels or the value
	Ref      string   // content type key a widgetRef points at
	Help     string
	Digits   int32 // widgetDecimal: digits before the point (default 8)
	Decimals int32 // widgetDecimal: digits after it (default 2)
}

// childSpec is a table of repeatable rows under a record.
type childSpec struct {
	Table, ParentKey, Label string
	FirstPosition           int
	Fields                  []adminField
	check                   func(row map[string]string, errs fieldErrors, prefix string)
	// checkRows tests rules across the rows, such as "each event once";
	// an error goes to the field of the row at fault (rowPrefix).
	checkRows func(rows []map[string]string, errs fieldErrors, rowPrefix func(i int) string)
}

// contentType is one kind of content the admin edits.
type contentType struct {
	Key        string // URL segment under /admin
	Table      string
	Kind       string // catalog key suffix: kind.<Kind>
	TitleField string
	PublicPath string // the public page, followed by the slug
	Fields     []adminField
	Children   []childSpec
	check      func(values map[string]string, errs fieldErrors) // rules across fields
	// ParentField names the column by which records of the type nest
	// (regions, parks); the form refuses a parent at or below the record.
	ParentField string
}

// fixedLabels names choices the catalog does not.
var fixedLabels = map[string]string{
	"over": "超过(突破、余)", "about": "约", "": "—",
	"zh-Hans": "简体中文", "zh-Hant": "繁體中文", "en": "English",
	"draft": "草稿", "published": "发布",
}

var (
	statusField    = adminField{Name: "status", Label: "状态", Widget: widgetChoice, Required: true, Choices: []string{models.StatusDraft, models.StatusPublished}}
	publishAtField = adminField{Name: "publish_at", Label: "发布时间(北京时间)", Widget: widgetTime,
		Help: "留空则发布后立即公开;填写将来的时间则到时自动公开。"}
	slugField   = adminField{Name: "slug", Label: "网址标识", Widget: widgetSlug, Max: models.MaxSlugLength, Help: "小写字母、数字和连字符;留空则按标题的拼音生成。公开后请勿随意修改,旧链接会失效。"}
	sourceField = adminField{Name: "source_article_id", Label: "信息来源(新闻)", Widget: widgetRef, Ref: "news"}
	regionField = adminField{Name: "region_id", Label: "所属地区", Widget: widgetRef, Ref: "regions", Required: true}
)

func textField(name, label string, max int, required bool) adminField {
	return adminField{Name: name, Label: label, Widget: widgetText, Max: max, Required: required}
}

func areaField(name, label string, widget fieldWidget) adminField {
	return adminField{Name: name, Label: label, Widget: widget, Max: 20000}
}

// contactChild is the named officers of a region, park or chain.
func contactChild(parentKey string) childSpec {
	return childSpec{Table: "contacts", ParentKey: parentKey, Label: "联系人", Fields: []adminField{
		textField("name", "姓名", 100, true),
		textField("name_en", "英文姓名", 200, false),
		textField("title", "职务", 200, true), textField("title_en", "英文职务", 400, false),
		textField("organisation", "单位", 200, true), textField("organisation_en", "英文单位", 400, false),
		{Name: "phone", Label: "电话", Widget: widgetPhone, Max: 30},
		{Name: "email", Label: "电子邮件", Widget: widgetEmail, Max: 254},
		{Name: "languages", Label: "语言", Widget: widgetText, Max: 50, Required: true, Help: "如 zh,en"},
	}, check: checkContact}
}

var contentTypes = []contentType{
	{
		Key: "regions", Table: "regions", Kind: "region", TitleField: "name", PublicPath: "/regions/",
		Fields: []adminField{
			textField("name", "名称", 100, true), slugField, textField("name_en", "英文名称", 200, false),
			{Name: "kind", Label: "类型", Widget: widgetChoice, Required: true, Labels: "region.kind.",
				Choices: []string{"province", "city", "district", "banner", "county", "economic_zone"}},
			{Name: "parent_id", Label: "上级地区", Widget: widgetRef, Ref: "regions"},
			areaField("summary", "简介", widgetTextarea), areaField("summary_en", "英文简介", widgetTextarea),
			areaField("description", "概况", widgetMarkdown), areaField("transport", "交通区位", widgetMarkdown),
			areaField("talent", "人才资源", widgetMarkdown), areaField("business_environment", "营商环境", widgetMarkdown),
			sourceField, statusField, publishAtField,
		},
		Children: []childSpec{{Table: "region_figures", ParentKey: "region_id", Label: "主要数据", Fields: []adminField{
			textField("label", "指标", 100, true), textField("label_en", "英文指标", 200, false),
			{Name: "value", Label: "数值", Widget: widgetDecimal, Required: true, Digits: 16, Decimals: 4},
			textField("unit", "单位", 20, false),
			{Name: "qualifier", Label: "限定", Widget: widgetChoice, Choices: []string{"", "over", "about"}},
			{Name: "year", Label: "年份", Widget: widgetInt, Required: true},
			textField("as_of", "统计口径", 100, false), textField("as_of_en", "英文统计口径", 200, false),
			{Name: "source_article_id", Label: "来源新闻", Widget: widgetRef, Ref: "news"},
			textField("source_note", "来源说明", 300, false),
			{Name: "featured", Label: "首页展示", Widget: widgetCheckbox},
		}, check: checkFigure}, {Table: "business_measures", ParentKey: "region_id", Label: "营商环境措施(投资简报中的审批服务)", Fields: []adminField{
			textField("title", "措施", 200, true), textField("title_en", "英文措施", 400, false),
			textField("description", "说明", 2000, false), textField("description_en", "英文说明", 4000, false),
			sourceField,
		}}, contactChild("region_id")},
		ParentField: "parent_id",
	},
	{
		Key: "parks", Table: "parks", Kind: "park", TitleField: "name", PublicPath: "/parks/",
		Fields: []adminField{
			textField("name", "名称", 100, true), slugField, textField("name_en", "英文名称", 200, false),
			regionField,
			{Name: "parent_park_id", Label: "所在园区", Widget: widgetRef, Ref: "parks"},
			{Name: "kind", Label: "类型", Widget: widgetChoice, Required: true, Labels: "park.kind.",
				Choices: []string{"high_tech_zone", "development_zone", "industrial_park", "agricultural_zone", "logistics_park", "incubator"}},
			{Name: "area_km2", Label: "面积(平方公里)", Widget: widgetDecimal},
			{Name: "standard_factory_m2", Label: "标准化厂房(平方米)", Widget: widgetInt},
			textField("focus_industries", "主导产业", 500, false),
			areaField("summary", "简介", widgetTextarea), areaField("summary_en", "英文简介", widgetTextarea),
			areaField("description", "详细介绍", widgetMarkdown),
			sourceField, statusField, publishAtField,
		},
		Children: []childSpec{contactChild("park_id"), {Table: "park_sites", ParentKey: "park_id", Label: "可用场地(智慧选址)", Fields: []adminField{
			textField("name", "名称", 200, true), textField("name_en", "英文名称", 400, false),
			{Name: "kind", Label: "类型", Widget: widgetChoice, Required: true, Labels: "site.kind.", Choices: []string{models.SiteLand, models.SiteStandardFactory, models.SiteOffice}},
			{Name: "area_m2", Label: "面积(平方米)", Widget: widgetDecimal, Required: true, Digits: 12},
			{Name: "rent_yuan_per_m2_month", Label: "租金(元/平方米/月)", Widget: widgetDecimal},
			{Name: "sale_price_yuan", Label: "售价(万元)", Widget: widgetMoney},
			{Name: "ready_on", Label: "交付日期", Widget: widgetDate, Help: "留空表示现在即可交付(状态为可租售时)。"},
			{Name: "status", Label: "状态", Widget: widgetChoice, Required: true, Labels: "site.status.",
				Choices: []string{models.SiteAvailable, models.SiteUnderConstruction, models.SiteReserved, models.SiteTaken}},
			textField("description", "说明", 1000, false), textField("description_en", "英文说明", 2000, false),
			sourceField,
		}, check: checkSite}},
		ParentField: "parent_park_id",
	},
	{
		Key: "chains", Table: "industry_chains", Kind: "chain", TitleField: "name", PublicPath: "/chains/",
		Fields: []adminField{
			textField("name", "名称", 100, true), slugField, textField("name_en", "英文名称", 200, false),
			regionField,
			textField("leader_name", "链长", 100, false), textField("leader_title", "链长职务", 200, false),
			areaField("summary", "简介", widgetTextarea), areaField("summary_en", "英文简介", widgetTextarea),
			areaField("description", "详细介绍", widgetMarkdown),
			sourceField, statusField, publishAtField,
		},
		Children: []childSpec{contactChild("chain_id"), {Table: "chain_links", ParentKey: "chain_id", Label: "产业链环节(补链招商)", Fields: []adminField{
			{Name: "stage", Label: "位置", Widget: widgetChoice, Required: true, Labels: "chainmap.stage.", Choices: models.ChainStages},
			textField("name", "环节", 100, true), textField("name_en", "英文名称", 200, false),
			{Name: "presence", Label: "本地情况", Widget: widgetChoice, Required: true, Labels: "chainmap.presence.",
				Choices: []string{models.LinkPresent, models.LinkWeak, models.LinkGap},
				Help:    "选“缺失,正在招商”时须填写招商需求。"},
			textField("description", "环节说明", 1000, false),
			textField("local_players", "本地企业与项目", 1000, false),
			textField("sought", "招商需求", 1000, false),
			sourceField,
		}, check: checkChainLink}},
	},
	{
		Key: "policies", Table: "policies", Kind: "policy", TitleField: "title", PublicPath: "/policies/",
		Fields: []adminField{
			textField("title", "标题", 300, true), slugField, textField("title_en", "英文标题", 300, false),
			regionField,
			textField("issuing_body", "发布机关", 200, true), textField("document_number", "文号", 100, false),
			{Name: "issued_on", Label: "发布日期", Widget: widgetDate},
			{Name: "effective_on", Label: "施行日期", Widget: widgetDate},
			{Name: "expires_on", Label: "失效日期", Widget: widgetDate},
			areaField("summary", "摘要", widgetTextarea), areaField("summary_en", "英文摘要", widgetTextarea),
			areaField("body", "正文", widgetMarkdown),
			sourceField, statusField, publishAtField,
		},
		Children: []childSpec{{Table: "benefit_items", ParentKey: "policy_id", Label: "扶持条款", Fields: []adminField{
			{Name: "kind", Label: "类别", Widget: widgetChoice, Required: true, Labels: "benefit.kind.", Choices: models.BenefitKinds},
			{Name: "level", Label: "级别", Widget: widgetChoice, Labels: "benefit.level.",
				Choices: []string{"", models.LevelNational, models.LevelProvincial, models.LevelCity, models.LevelDistrict}},
			textField("recipient", "适用对象", 200, true), textField("recipient_en", "英文适用对象", 400, false),
			{Name: "amount_yuan", Label: "金额(万元)", Widget: widgetMoney},
			textField("condition", "条件", 1000, false), textField("condition_en", "英文条件", 2000, false),
			// Eligibility, read by the incentive matcher (政策计算器).
			{Name: "chain_id", Label: "适用产业链", Widget: widgetRef, Ref: "chains", Help: "政策计算器只对所选产业链的项目列出此条;留空则不限产业链。"},
			{Name: "min_investment_yuan", Label: "最低计划投资(万元)", Widget: widgetMoney, Help: "留空则不限投资额。"},
			{Name: "qualification", Label: "需要的资质", Widget: widgetChoice, Labels: "match.qual.", Choices: append([]string{""}, models.Qualifications...)},
			{Name: "qualification_level", Label: "资质级别", Widget: widgetChoice, Labels: "benefit.level.",
				Choices: []string{"", models.LevelNational, models.LevelProvincial}, Help: "仅用于三类中心;要求省级(自治区级)时,国家级也符合。"},
			{Name: "exclusive_group", Label: "不重复享受组", Widget: widgetText, Max: 50,
				Help: "同一政策中组名相同的条款只享受金额最高的一项,如国家级与自治区级的同类奖励都填“制造业创新中心奖励”。"},
		}, check: checkBenefitEligibility}},
		check: checkDateOrder("effective_on", "expires_on"),
	},
	{
		Key: "events", Table: "signing_events", Kind: "event", TitleField: "name", PublicPath: "/events/",
		Fields: []adminField{
			textField("name", "名称", 200, true), slugField, textField("name_en", "英文名称", 300, false),
			regionField,
			{Name: "kind", Label: "类型", Widget: widgetChoice, Required: true, Labels: "event.kind.",
				Choices: []string{"ceremony", "online_signing", "conference", "groundbreaking", "cooperation"}},
			{Name: "held_on", Label: "举办日期", Widget: widgetDate, Required: true},
			textField("place", "地点", 200, false), textField("organiser", "主办单位", 200, false),
			{Name: "reported_project_count", Label: "公布的签约项目数", Widget: widgetInt},
			{Name: "reported_company_count", Label: "公布的签约企业数", Widget: widgetInt},
			{Name: "reported_total_yuan", Label: "公布的签约总额(万元)", Widget: widgetMoney},
			areaField("summary", "简介", widgetTextarea), areaField("summary_en", "英文简介", widgetTextarea),
			sourceField, statusField, publishAtField,
		},
	},
	{
		Key: "projects", Table: "projects", Kind: "project", TitleField: "name", PublicPath: "/projects/",
		Fields: []adminField{
			textField("name", "项目名称", 200, true), slugField, textField("name_en", "英文名称", 300, false),
			textField("investor", "投资方", 200, false),
			regionField,
			{Name: "chain_id", Label: "产业链", Widget: widgetRef, Ref: "chains"},
			{Name: "park_id", Label: "所在园区", Widget: widgetRef, Ref: "parks"},
			{Name: "category", Label: "类别", Widget: widgetChoice, Required: true, Labels: "project.category.", Choices: models.ProjectCategories},
			{Name: "build_type", Label: "建设性质", Widget: widgetChoice, Required: true, Labels: "project.build.", Choices: []string{"new", "continuing"}},
			{Name: "contracted_amount_yuan", Label: "签约额(万元)", Widget: widgetMoney,
				Help: "以外币签约时由原币金额和汇率算出,无需填写。"},
			{Name: "contract_currency", Label: "签约币种", Widget: widgetChoice, Required: true, Labels: "currency.", Choices: models.ContractCurrencies},
			{Name: "contract_amount_original", Label: "原币签约额(万)", Widget: widgetMoney,
				Help: "仅外币签约填写:按签约币种计,单位为万。"},
			{Name: "contract_rate_to_yuan", Label: "汇率(1单位外币合人民币元)", Widget: widgetDecimal, Digits: 6, Decimals: 6},
			{Name: "contract_rate_on", Label: "汇率日期", Widget: widgetDate},
			{Name: "planned_investment_yuan", Label: "计划总投资(万元)", Widget: widgetMoney},
			{Name: "completed_investment_yuan", Label: "已完成投资(万元)", Widget: widgetMoney, Required: true},
			{Name: "stage", Label: "进度", Widget: widgetChoice, Required: true, Labels: "project.stage.", Choices: models.ProjectStages},
			// No flag: it is computed from the project's reports, problems and
			// commitments (models/projectflag), never typed.
			{Name: "signed_on", Label: "签约日期", Widget: widgetDate},
			{Name: "officer_id", Label: "负责的招商专员", Widget: widgetRef, Ref: refOfficers,
				Help: "跟踪项目直至投产;该专员可以修改此项目,每半月报送进展。红绿旗由系统根据进展、问题和承诺计算。"},
			{Name: "land_area_mu", Label: "用地(亩)", Widget: widgetDecimal},
			areaField("summary", "简介", widgetTextarea), areaField("summary_en", "英文简介", widgetTextarea),
			areaField("description", "详细介绍", widgetMarkdown),
			sourceField, statusField, publishAtField,
		},
		check: checkContractConversion,
		Children: []childSpec{
			{Table: "project_managers", ParentKey: "project_id", Label: "项目管家", FirstPosition: 1, Fields: []adminField{
				textField("name", "姓名", 100, true), textField("title", "职务", 200, false),
			}},
			// Every event the project was announced at, each once (a
			// unique constraint): the project itself is never entered twice.
			{Table: "project_appearances", ParentKey: "project_id", Label: "亮相的签约活动", FirstPosition: 1, Fields: []adminField{
				{Name: "signing_event_id", Label: "签约活动", Widget: widgetRef, Ref: "events", Required: true},
				{Name: "role", Label: "身份", Widget: widgetChoice, Required: true, Labels: "appearance.role.", Choices: models.AppearanceRoles},
			}, checkRows: checkAppearances},
		},
	},
	{
		Key: "news", Table: "news_articles", Kind: "news", TitleField: "title", PublicPath: "/news/",
		Fields: []adminField{
			textField("title", "标题", 300, true), slugField, textField("title_en", "英文标题", 300, false),
			textField("source_name", "来源媒体", 200, true),
			{Name: "source_url", Label: "原文链接", Widget: widgetURL, Max: 2000},
			textField("author", "作者", 200, false),
			{Name: "published_on", Label: "发表日期", Widget: widgetDate},
			{Name: "script", Label: "原文字体", Widget: widgetChoice, Required: true, Choices: []string{"zh-Hans", "zh-Hant", "en"}},
			areaField("summary", "摘要", widgetTextarea),
			{Name: "summary_en", Label: "英文摘要", Widget: widgetTextarea, Max: 2000, Help: "中文原文的英文摘要,如实概括,不添加原文没有的内容;英文页面标明为摘要。"},
			{Name: "body", Label: "正文", Widget: widgetMarkdown, Max: 100000, Required: true},
			statusField, publishAtField,
		},
	},
	{
		// Aggregates as the source articles publish them, shown beside what
		// the portal computes from its own records (reported_statistics.go).
		// They have no page of their own: the public statistics page shows
		// them, each row anchored by its slug.
		Key: "reported-statistics", Table: "reported_statistics", Kind: "reported_statistic", TitleField: "label",
		PublicPath: "/statistics#",
		Fields: []adminField{
			{Name: "label", Label: "原文表述", Widget: widgetText, Max: 200, Required: true, Help: "按原文照录,如“已开复工项目”“新签约千万元以上项目”。"},
			slugField,
			regionField,
			{Name: "indicator", Label: "指标", Widget: widgetChoice, Required: true, Labels: "reported.indicator.", Choices: models.Indicators},
			{Name: "value", Label: "数值(项目数或百分比)", Widget: widgetDecimal, Digits: 16, Decimals: 4,
				Help: "项目数填整数;开复工率填百分数,61.3%填 61.3。金额类指标此栏留空。"},
			{Name: "amount_yuan", Label: "金额(万元)", Widget: widgetMoney,
				Help: "完成投资、签约额、计划总投资、到位资金填此栏,单位万元:35.7亿元填 357000。"},
			{Name: "project_set", Label: "统计的项目", Widget: widgetChoice, Required: true, Labels: "reported.set.", Choices: models.ProjectSets},
			{Name: "period_from", Label: "统计期起", Widget: widgetDate, Required: true},
			{Name: "period_to", Label: "统计期止", Widget: widgetDate, Required: true, Help: "原文为“截至目前”时,填文章发表日期。"},
			{Name: "as_of", Label: "原文时间口径", Widget: widgetText, Max: 100, Help: "如“截至10月”“2022年至今”。"},
			{Name: "min_amount_yuan", Label: "规模门槛(万元)", Widget: widgetMoney, Help: "原文只统计一定规模以上的项目时填写:“100万元以上”填 100。"},
			{Name: "min_amount_basis", Label: "门槛按", Widget: widgetChoice, Labels: "reported.basis.", Choices: append([]string{""}, models.ThresholdBases...)},
			{Name: "scope_category", Label: "仅统计此类别的项目", Widget: widgetChoice, Labels: "reported.category.", Choices: append([]string{""}, models.ProjectCategories...)},
			{Name: "scope_build_type", Label: "仅统计新建或续建项目", Widget: widgetChoice, Labels: "reported.build.", Choices: []string{"", models.BuildNew, models.BuildContinuing}},
			{Name: "note", Label: "说明", Widget: widgetTextarea, Max: 1000},
			{Name: "source_article_id", Label: "信息来源(新闻)", Widget: widgetRef, Ref: "news", Required: true,
				Help: "公布数据必须注明出处。"},
			statusField, publishAtField,
		},
		check: checkReportedStatistic,
	},
}

// refOfficers is the widgetRef target of fields naming an officer.
const refOfficers = "officers"

// contentTypeByKey finds a content type by its URL segment.
func contentTypeByKey(key string) (contentType, bool) {
	for _, t := range contentTypes {
		if t.Key == key {
			return t, true
		}
	}
	return contentType{}, false
}

// editable is what the models need to know of a content type.
func (t contentType) editable() models.EditableTable {
	e := models.EditableTable{Table: t.Table, TitleColumn: t.TitleField, Columns: columnsOf(t.Fields), EnglishPairs: t.englishPairs()}
	for _, ch := range t.Children {
		e.Children = append(e.Children, models.ChildTable{Table: ch.Table, ParentKey: ch.ParentKey,
			FirstPosition: ch.FirstPosition, Columns: columnsOf(ch.Fields)})
	}
	return e
}

// englishPairs are the record's columns written in Chinese with an English
// column beside them (name and name_en), whose parity the admin shows.
func (t contentType) englishPairs() []models.EnglishPair {
	names := map[string]bool{}
	for _, f := range t.Fields {
		names[f.Name] = true
	}
	var pairs []models.EnglishPair
	for _, f := range t.Fields {
		if zh, ok := strings.CutSuffix(f.Name, "_en"); ok && names[zh] {
			pairs = append(pairs, models.EnglishPair{Chinese: zh, English: f.Name})
		}
	}
	return pairs
}

func columnsOf(fields []adminField) []models.Column {
	cols := make([]models.Column, len(fields))
	for i, f := range fields {
		cols[i] = models.Column{Name: f.Name, Kind: f.Widget.columnKind()}
	}
	return cols
}

func (w fieldWidget) columnKind() models.ColumnKind {
	switch w {
	case widgetRef:
		return models.KindRef
	case widgetDate:
		return models.KindDate
	case widgetTime:
		return models.KindTime
	case widgetMoney:
		return models.KindMoney
	case widgetInt:
		return models.KindInt
	case widgetDecimal:
		return models.KindDecimal
	case widgetCheckbox:
		return models.KindBool
	default:
		return models.KindText
	}
}

// Rules across fields, each reported beside the field to correct.

func checkDateOrder(from, until string) func(map[string]string, fieldErrors) {
	return func(values map[string]string, errs fieldErrors) {
		// Canonical dates compare as text.
		if values[from] != "" && values[until] != "" && values[until] < values[from] {
			errs[until] = fieldError{ID: "admin.err.date_order"}
		}
	}
}

func checkFigure(row map[string]string, errs fieldErrors, prefix string) {
	if row["source_article_id"] == "" && row["source_note"] == "" {
		errs[prefix+"source_note"] = fieldError{ID: "admin.err.figure_source"}
	}
	if y := row["year"]; y != "" && (y < "1949" || y > "2100" || len(y) != 4) {
		errs[prefix+"year"] = fieldError{ID: "admin.err.year"}
	}
}

// checkBenefitEligibility keeps a level to the three kinds of centre, as
// the database's CHECK does.
func checkBenefitEligibility(row map[string]string, errs fieldErrors, prefix string) {
	if row["qualification_level"] != "" && !models.LeveledQualification(row["qualification"]) {
		errs[prefix+"qualification_level"] = fieldError{ID: "admin.err.qualification_level"}
	}
}

// checkSite refuses a site without area, as the database's CHECK does.
func checkSite(row map[string]string, errs fieldErrors, prefix string) {
	if area, err := decimal.NewFromString(row["area_m2"]); err == nil && !area.IsPositive() {
		errs[prefix+"area_m2"] = fieldError{ID: "admin.err.positive"}
	}
}

// checkChainLink asks what the region wants in a gap it seeks
// investment for, as the database's CHECK does.
func checkChainLink(row map[string]string, errs fieldErrors, prefix string) {
	if row["presence"] == models.LinkGap && row["sought"] == "" {
		errs[prefix+"sought"] = fieldError{ID: "chainmap.err.sought"}
	}
}

func checkContact(row map[string]string, errs fieldErrors, prefix string) {
	if row["languages"] != "" && !languageListPattern.MatchString(row["languages"]) {
		errs[prefix+"languages"] = fieldError{ID: "admin.err.languages"}
	}
}

// checkContractConversion keeps a project signed in another currency whole:
// the amount as signed, the rate and its date go together, and the amount
// in yuan is computed from them (as the database's CHECK requires), never
// typed. A yuan signing carries none of them.
func checkContractConversion(values map[string]string, errs fieldErrors) {
	foreign := []string{"contract_amount_original", "contract_rate_to_yuan", "contract_rate_on"}
	if values["contract_currency"] == models.CurrencyYuan {
		for _, name := range foreign {
			if values[name] != "" {
				errs[name] = fieldError{ID: "admin.err.yuan_no_rate"}
			}
		}
		return
	}
	for _, name := range foreign {
		if values[name] == "" && errs[name].ID == "" {
			errs[name] = fieldError{ID: "admin.err.rate_needed"}
		}
	}
	original, err1 := decimal.NewFromString(values["contract_amount_original"])
	rate, err2 := decimal.NewFromString(values["contract_rate_to_yuan"])
	for name, v := range map[string]decimal.Decimal{"contract_amount_original": original, "contract_rate_to_yuan": rate} {
		if values[name] != "" && errs[name].ID == "" && !v.IsPositive() {
			errs[name] = fieldError{ID: "admin.err.positive"}
		}
	}
	if err1 != nil || err2 != nil || !rate.IsPositive() || !original.IsPositive() {
		return
	}
	yuan := original.Mul(rate).Round(0)
	if yuan.GreaterThan(maxMoneyWan.Mul(decimal.NewFromInt(yuanPerWan))) {
		errs["contract_rate_to_yuan"] = fieldError{ID: "admin.err.money"}
		return
	}
	values["contracted_amount_yuan"] = yuan.String()
}

// checkAppearances keeps a project's events whole, as the database's
// unique indexes do (migration 00015): each event once, and one first
// signing.
func checkAppearances(rows []map[string]string, errs fieldErrors, rowPrefix func(int) string) {
	seen := map[string]bool{}
	signed := false
	for i, row := range rows {
		if event := row["signing_event_id"]; event != "" {
			if seen[event] && errs[rowPrefix(i)+"signing_event_id"].ID == "" {
				errs[rowPrefix(i)+"signing_event_id"] = fieldError{ID: "admin.err.appearance_twice"}
			}
			seen[event] = true
		}
		if row["role"] == models.RoleSigned {
			if signed {
				errs[rowPrefix(i)+"role"] = fieldError{ID: "admin.err.signed_once"}
			}
			signed = true
		}
	}
}

// checkReportedStatistic keeps a reported figure whole: its number in the
// field its indicator reads (an amount in 万元, or a count or a percentage),
// a period in order, and a threshold together with what it is measured on.
// The database's CHECKs hold the same rules (migration 00017).
func checkReportedStatistic(values map[string]string, errs fieldErrors) {
	checkDateOrder("period_from", "period_to")(values, errs)
	if errs["period_to"].ID == "admin.err.date_order" {
		errs["period_to"] = fieldError{ID: "reported.err.period_order"} // the shared message names a policy's dates
	}
	if indicator := values["indicator"]; indicator != "" {
		needed, unwanted := "value", "amount_yuan"
		if models.IndicatorIsAmount(indicator) {
			needed, unwanted = unwanted, needed
		}
		if values[needed] == "" && errs[needed].ID == "" {
			errs[needed] = fieldError{ID: "reported.err." + needed + "_needed"}
		}
		if values[unwanted] != "" {
			errs[unwanted] = fieldError{ID: "reported.err." + unwanted + "_unwanted"}
		}
		if v, err := decimal.NewFromString(values["value"]); err == nil && needed == "value" {
			switch {
			case (indicator == models.IndicatorProjectCount || indicator == models.IndicatorStartedCount) && !v.IsInteger():
				errs["value"] = fieldError{ID: "reported.err.whole"}
			case indicator == models.IndicatorStartRate && v.GreaterThan(decimal.NewFromInt(100)):
				errs["value"] = fieldError{ID: "reported.err.rate"}
			}
		}
	}
	switch threshold, basis := values["min_amount_yuan"], values["min_amount_basis"]; {
	case threshold != "" && basis == "" && errs["min_amount_basis"].ID == "":
		errs["min_amount_basis"] = fieldError{ID: "reported.err.basis_needed"}
	case threshold == "" && basis != "" && errs["min_amount_yuan"].ID == "":
		errs["min_amount_yuan"] = fieldError{ID: "reported.err.threshold_needed"}
	}
}
