package views

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestYuan(t *testing.T) {
	cases := map[int64]string{
		0:               "0元",
		9_999:           "9999元",
		10_000:          "1万元",
		500_000:         "50万元",
		6_577_000:       "657.7万元",
		10_000_000:      "1000万元",
		100_000_000:     "1亿元",
		8_480_000_000:   "84.8亿元",
		102_715_000_000: "1027.15亿元",
		170_390_000_000: "1703.9亿元",
		123_456_789:     "1.23456789亿元",
	}
	for yuan, want := range cases {
		if got := Yuan(yuan); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", yuan, got, want)
		}
	}
	if got := YuanPtr(nil); got != "未公布" {
		t.Errorf("YuanPtr(nil) = %q", got)
	}
}

func TestFigure(t *testing.T) {
	cases := []struct {
		value, qualifier, unit, want string
	}{
		{"53.1000", "", "%", "53.1%"},
		{"100", "over", "万人", "逾100万人"},
		{"130", "about", "平方公里", "约130平方公里"},
	}
	for _, c := range cases {
		if got := Figure(decimal.RequireFromString(c.value), c.qualifier, c.unit); got != c.want {
			t.Errorf("Figure(%s, %q, %q) = %q, want %q", c.value, c.qualifier, c.unit, got, c.want)
		}
	}
}

func TestDate(t *testing.T) {
	d := time.Date(2023, 3, 22, 0, 0, 0, 0, time.UTC)
	if got := Date(d); got != "2023年3月22日" {
		t.Errorf("Date = %q", got)
	}
	if got := ISODate(d); got != "2023-03-22" {
		t.Errorf("ISODate = %q", got)
	}
}
