package views

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"investportal/views/i18n"
)

var (
	hans = i18n.WithLang(context.Background(), i18n.Hans)
	hant = i18n.WithLang(context.Background(), i18n.Hant)
	en   = i18n.WithLang(context.Background(), i18n.En)
)

func TestYuan(t *testing.T) {
	cases := []struct {
		yuan           int64
		hans, hant, en string
	}{
		{0, "0元", "0元", "0 yuan"},
		{9_999, "9999元", "9999元", "9,999 yuan"},
		{10_000, "1万元", "1萬元", "10,000 yuan"},
		{6_577_000, "657.7万元", "657.7萬元", "6,577,000 yuan"},
		{10_000_000, "1000万元", "1000萬元", "10,000,000 yuan"},
		{8_480_000_000, "84.8亿元", "84.8億元", "8,480,000,000 yuan"},
		{102_715_000_000, "1027.15亿元", "1027.15億元", "102,715,000,000 yuan"},
		{123_456_789, "1.23456789亿元", "1.23456789億元", "123,456,789 yuan"},
	}
	for _, c := range cases {
		for ctx, want := range map[context.Context]string{hans: c.hans, hant: c.hant, en: c.en} {
			if got := Yuan(ctx, c.yuan); got != want {
				t.Errorf("Yuan(%s, %d) = %q, want %q", i18n.FromContext(ctx), c.yuan, got, want)
			}
		}
	}
	if got := YuanPtr(hans, nil); got != "未公布" {
		t.Errorf("YuanPtr(nil) = %q", got)
	}
}

func TestYuanShort(t *testing.T) {
	for yuan, want := range map[int64]string{170_390_000_000: "170.39 billion yuan", 6_577_000: "6.577 million yuan", 500_000: "500,000 yuan"} {
		if got := YuanShort(en, yuan); got != want {
			t.Errorf("YuanShort(en, %d) = %q, want %q", yuan, got, want)
		}
	}
	if got := YuanShort(hans, 170_390_000_000); got != "1703.9亿元" {
		t.Errorf("YuanShort(zh-Hans) = %q", got)
	}
}

func TestFigure(t *testing.T) {
	cases := []struct {
		value, qualifier, unit, hans, en string
	}{
		{"53.1000", "", "%", "53.1%", "53.1%"},
		{"100", "over", "万人", "逾100万人", "over 1 million people"},
		{"130", "about", "平方公里", "约130平方公里", "about 130 km²"},
		{"3762.2", "", "亿元", "3762.2亿元", "376.22 billion yuan"},
		{"5499", "", "户", "5499户", "5,499"},
		{"762", "", "个", "762个", "762"},
	}
	for _, c := range cases {
		v := decimal.RequireFromString(c.value)
		if got := Figure(hans, v, c.qualifier, c.unit); got != c.hans {
			t.Errorf("Figure(zh-Hans, %s, %q, %q) = %q, want %q", c.value, c.qualifier, c.unit, got, c.hans)
		}
		if got := Figure(en, v, c.qualifier, c.unit); got != c.en {
			t.Errorf("Figure(en, %s, %q, %q) = %q, want %q", c.value, c.qualifier, c.unit, got, c.en)
		}
	}
}

func TestDate(t *testing.T) {
	d := time.Date(2023, 3, 22, 0, 0, 0, 0, time.UTC)
	if got := Date(hans, d); got != "2023年3月22日" {
		t.Errorf("Date = %q", got)
	}
	if got := Date(en, d); got != "22 March 2023" {
		t.Errorf("English date = %q", got)
	}
	if got := ISODate(d); got != "2023-03-22" {
		t.Errorf("ISODate = %q", got)
	}
	if got := DatePtr(en, nil); got != "Date not stated" {
		t.Errorf("DatePtr(nil) = %q", got)
	}
}
