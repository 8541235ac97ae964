package seed

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"gorm.io/gorm"

	"investportal/models"
)

// demoInquiry is one made-up inquiry that shows the desk at work in the
// demo: the companies and people do not exist, the addresses are on
// example.com, and none of them has a status link.
type demoInquiry struct {
	name, company, email, region, chain string
	amountYuan                          int64
	message                             string
	age                                 time.Duration // received this long before the demo starts
	stage, closeReason, signedProject   string
	reply                               string // a staff reply, some hours after receipt
	idle                                bool   // no activity for a month: dormant
}

var demoInquiries = []demoInquiry{
	{name: "王芳", company: "苏州示例电子科技有限公司", email: "wang.fang@example.com", region: "chifeng", chain: "chifeng-electronics",
		amountYuan: 200_000_000, age: 2 * time.Hour,
		message: "计划投资2亿元建设电子装备工厂,需要约5000平方米标准厂房,想了解设备补贴和厂房租金。"},
	{name: "Li Wei", company: "Example Storage Systems Ltd.", email: "li.wei@example.com", region: "tongliao", chain: "tongliao-new-energy",
		amountYuan: 1_500_000_000, age: 5 * 24 * time.Hour,
		message: "We plan an energy-storage plant of about 1.5 billion yuan and would like to discuss land and grid connection."},
	{name: "张强", company: "示例新材料股份有限公司", email: "zhang.qiang@example.com", region: "hongshan",
		amountYuan: 30_000_000, age: 9 * 24 * time.Hour, stage: models.InquiryQualified,
		message: "想在红山区租用仓储用地,请介绍物流园区的情况。", reply: "张总您好,红山物流园有现成仓库,我们下周安排您实地考察。"},
	{name: "陈敏", company: "示例绿色能源有限公司", email: "chen.min@example.com", region: "taiyuan-xinzhou-zone", chain: "taixin-green-energy",
		amountYuan: 500_000_000, age: 45 * 24 * time.Hour, stage: models.InquirySiteVisit, idle: true,
		message: "关注太忻经济区的绿色能源项目,希望了解配套政策。", reply: "陈女士您好,已将太忻一体化经济区绿色能源政策发至您的邮箱。"},
	{name: "刘洋", company: "深圳示例智能装备有限公司", email: "liu.yang@example.com", region: "harqin", chain: "chifeng-electronics",
		amountYuan: 100_000_000, age: 120 * 24 * time.Hour, stage: models.InquirySigned, signedProject: "harqin-smart-electronics-processing",
		message: "我们有意在喀喇沁旗投资电子智能产品加工项目。", reply: "刘总您好,项目已列入签约清单,欢迎参加签约活动。"},
	{name: "赵磊", company: "示例贸易有限公司", email: "zhao.lei@example.com", age: 30 * 24 * time.Hour,
		stage: models.InquiryClosed, closeReason: models.CloseWithdrawn,
		message: "想了解赤峰的农产品加工政策。", reply: "赵总您好,相关政策已发送,请查收。"},
}

// DemoInquiries stores the demo inquiries when there are none at all, so
// `make run` shows the inquiry desk with something to work: one due soon,
// one overdue, one answered, one dormant, one signed and one closed. It
// never runs against a database that has real inquiries. It returns how
// many it stored.
func DemoInquiries(ctx context.Context, db *gorm.DB, rules models.DeskRules) (int, error) {
	db = db.WithContext(ctx)
	var existing int64
	if err := db.Model(&models.Inquiry{}).Count(&existing).Error; err != nil || existing > 0 {
		return 0, err
	}
	cal, err := models.LoadWorkCalendar(ctx, db)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	err = db.Transaction(func(tx *gorm.DB) error {
		for _, d := range demoInquiries {
			if err := storeDemoInquiry(tx, cal.ResponseDue(now.Add(-d.age), rules.ResponseDays), now, d); err != nil {
				return fmt.Errorf("demo inquiry %s: %w", d.email, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(demoInquiries), nil
}

func storeDemoInquiry(tx *gorm.DB, due, now time.Time, d demoInquiry) error {
	received := now.Add(-d.age)
	token := make([]byte, 32)
	_, _ = rand.Read(token)
	in := models.Inquiry{Name: d.name, Company: d.company, Email: d.email, Message: d.message, Language: "zh-Hans",
		StatusTokenHash: token, ConsentAt: received, ResponseDueAt: &due, CreatedAt: received, UpdatedAt: received,
		LastActivityAt: received, Stage: models.InquiryNew}
	if d.amountYuan > 0 {
		in.PlannedAmountYuan = &d.amountYuan
	}
	lookup := func(table, slug string) (*int64, error) {
		if slug == "" {
			return nil, nil
		}
		var id int64
		err := tx.Raw("SELECT id FROM "+table+" WHERE slug = ?", slug).Scan(&id).Error
		if err != nil || id == 0 {
			return nil, fmt.Errorf("%s %s missing: %v", table, slug, err)
		}
		return &id, nil
	}
	var err error
	if in.RegionID, err = lookup("regions", d.region); err != nil {
		return err
	}
	if in.ChainID, err = lookup("industry_chains", d.chain); err != nil {
		return err
	}
	if err := tx.Raw(`INSERT INTO inquiry_reference_counters AS c (year, last_number)
		VALUES (extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::integer, 1)
		ON CONFLICT (year) DO UPDATE SET last_number = c.last_number + 1
		RETURNING 'INQ-' || lpad(year::text, 4, '0') || '-' || lpad(last_number::text, 6, '0')`).Scan(&in.Reference).Error; err != nil {
		return err
	}
	if d.reply != "" {
		answered := received.Add(3 * time.Hour)
		in.FirstResponseAt, in.LastActivityAt = &answered, answered
	}
	if d.idle {
		in.LastActivityAt = now.Add(-30 * 24 * time.Hour)
	}
	if d.stage != "" {
		in.Stage = d.stage
	}
	if d.closeReason != "" {
		in.CloseReason = &d.closeReason
	}
	if in.SignedProjectID, err = lookup("projects", d.signedProject); err != nil {
		return err
	}
	if err := tx.Omit("AssigneeID").Create(&in).Error; err != nil {
		return err
	}
	if d.reply != "" {
		return tx.Create(&models.InquiryNote{InquiryID: in.ID, Kind: models.NoteReply, AuthorKind: models.AuthorStaff,
			VisibleToInvestor: true, Body: d.reply, CreatedAt: *in.FirstResponseAt}).Error
	}
	return nil
}
