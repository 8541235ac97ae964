package views

import (
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Yuan formats a whole-yuan amount the Chinese way: in 亿元 from one hundred
// million, in 万元 from ten thousand, otherwise in 元. The division is exact,
// so 102 715 000 000 reads 1027.15亿元, never 1027.1499….
func Yuan(amount int64) string {
	v := decimal.NewFromInt(amount)
	switch {
	case amount >= 100_000_000:
		return v.Shift(-8).String() + "亿元"
	case amount >= 10_000:
		return v.Shift(-4).String() + "万元"
	default:
		return v.String() + "元"
	}
}

// YuanPtr formats an amount that may be unknown.
func YuanPtr(amount *int64) string {
	if amount == nil {
		return "未公布"
	}
	return Yuan(*amount)
}

// Figure formats a key figure's value with its qualifier and unit:
// 突破100万人 reads "逾100万人".
func Figure(value decimal.Decimal, qualifier, unit string) string {
	prefix := map[string]string{"over": "逾", "about": "约"}[qualifier]
	return prefix + value.String() + unit
}

// Date formats a date as 2023年3月22日.
func Date(t time.Time) string {
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// ISODate formats a date for a <time datetime> attribute.
func ISODate(t time.Time) string { return t.Format("2006-01-02") }

// Count formats a whole number.
func Count(n int64) string { return strconv.FormatInt(n, 10) }
