package views

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"investportal/models/calendar"
	"investportal/views/i18n"
)

// Yuan formats a whole-yuan amount for the page's language. Chinese pages
// show 亿元 from one hundred million and 万元 from ten thousand; English
// pages show yuan with thousands separators. The arithmetic is exact, so
// 102 715 000 000 reads 1027.15亿元, never 1027.1499….
func Yuan(ctx context.Context, amount int64) string {
	v := decimal.NewFromInt(amount)
	var s string
	switch lang := i18n.FromContext(ctx); {
	case lang == i18n.En:
		return Thousands(v.String()) + " yuan"
	case amount >= 100_000_000:
		s = v.Shift(-8).String() + "亿元"
	case amount >= 10_000:
		s = v.Shift(-4).String() + "万元"
	default:
		s = v.String() + "元"
	}
	return i18n.Chinese(ctx, s)
}

// ForeignAmount formats an amount as signed in another currency, with the
// currency's name in the page's language: "5000万美元", "50,000,000 USD".
func ForeignAmount(ctx context.Context, amount decimal.Decimal, currency string) string {
	if i18n.FromContext(ctx) == i18n.En {
		return Thousands(amount.String()) + " " + currency
	}
	name := i18n.T(ctx, "currency."+currency)
	switch {
	case amount.GreaterThanOrEqual(decimal.NewFromInt(100_000_000)):
		return amount.Shift(-8).String() + "亿" + name
	case amount.GreaterThanOrEqual(decimal.NewFromInt(10_000)):
		return amount.Shift(-4).String() + "万" + name
	}
	return amount.String() + name
}

// YuanShort formats an amount for a headline card, where a twelve-digit
// number does not fit: Chinese pages as Yuan, English pages in millions or
// billions ("170.39 billion yuan").
func YuanShort(ctx context.Context, amount int64) string {
	if i18n.FromContext(ctx) == i18n.En {
		return englishCompact(decimal.NewFromInt(amount)) + " yuan"
	}
	return Yuan(ctx, amount)
}

// englishCompact writes large numbers in millions or billions, exactly.
func englishCompact(v decimal.Decimal) string {
	switch {
	case v.Abs().GreaterThanOrEqual(decimal.NewFromInt(1_000_000_000)):
		return Thousands(v.Shift(-9).String()) + " billion"
	case v.Abs().GreaterThanOrEqual(decimal.NewFromInt(1_000_000)):
		return Thousands(v.Shift(-6).String()) + " million"
	default:
		return Thousands(v.String())
	}
}

// YuanPtr formats an amount that may be unknown.
func YuanPtr(ctx context.Context, amount *int64) string {
	if amount == nil {
		return i18n.T(ctx, "amount.unknown")
	}
	return Yuan(ctx, *amount)
}

// Thousands puts comma separators into the integer part of a decimal string.
func Thousands(number string) string {
	intPart, frac, hasFrac := strings.Cut(number, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if hasFrac {
		out += "." + frac
	}
	return out
}

// englishUnits turns the Chinese units of key figures into English ones;
// 万 and 亿 scale the value instead.
var englishUnits = map[string]struct {
	scale int32
	unit  string
}{
	"平方公里": {0, " km²"}, "公里": {0, " km"}, "%": {0, "%"},
	"万人": {4, " people"}, "人": {0, " people"}, "亿元": {8, " yuan"}, "万元": {4, " yuan"},
	"万平方米": {4, " m²"}, "平方米": {0, " m²"}, "万户": {4, ""}, "亩": {0, " mu"},
}

// Figure formats a key figure's value with its qualifier and unit:
// 突破100万人 reads 逾100万人 in Chinese and "over 1 million people" in English.
func Figure(ctx context.Context, value decimal.Decimal, qualifier, unit string) string {
	if i18n.FromContext(ctx) == i18n.En {
		prefix := map[string]string{"over": "over ", "about": "about "}[qualifier]
		u, ok := englishUnits[unit]
		if !ok {
			u.unit = "" // counters such as 个, 支, 次 need no word in English
		}
		return prefix + englishCompact(value.Shift(u.scale)) + u.unit
	}
	prefix := map[string]string{"over": "逾", "about": "约"}[qualifier]
	return i18n.Chinese(ctx, prefix+value.String()+unit)
}

// Date formats a date: 2023年3月22日, or 22 March 2023 in English.
func Date(ctx context.Context, t time.Time) string {
	if i18n.FromContext(ctx) == i18n.En {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// DateTime formats a moment in China Standard Time, to the minute, with
// the zone spelled out for investors elsewhere.
func DateTime(ctx context.Context, t time.Time) string {
	t = t.In(calendar.Beijing)
	if i18n.FromContext(ctx) == i18n.En {
		return t.Format("2 January 2006, 15:04") + " (UTC+8)"
	}
	return fmt.Sprintf("%d年%d月%d日 %s(北京时间)", t.Year(), int(t.Month()), t.Day(), t.Format("15:04"))
}

// DatePtr formats a date that may be unknown.
func DatePtr(ctx context.Context, t *time.Time) string {
	if t == nil {
		return i18n.T(ctx, "date.unknown")
	}
	return Date(ctx, *t)
}

// ISODate formats a date for a <time datetime> attribute.
func ISODate(t time.Time) string { return t.Format("2006-01-02") }

// Count formats a whole number.
func Count(n int64) string { return strconv.FormatInt(n, 10) }

// ariaBool is a boolean ARIA state's value: "true" or "false" (a bare
// attribute reads as "" and means false to assistive technology).
func ariaBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// problemName is the form field of a report's i-th problem row: problem1,
// department1, blocking1, …
func problemName(field string, i int) string { return field + strconv.Itoa(i+1) }
