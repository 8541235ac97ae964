package models

import (
	"strings"
	"testing"
)

func TestSlugFromTitle(t *testing.T) {
	cases := map[string]string{
		"赤峰市2023年招商引资大会":         "chi-feng-shi-2023-nian-zhao-shang-yin-zi-da-hui",
		"Chifeng High-Tech Zone": "chifeng-high-tech-zone",
		"红山区《招商引资优惠政策》":          "hong-shan-qu-zhao-shang-yin-zi-you-hui-zheng-ce",
		"臺灣":  "tai-wan",
		"!!!": "",
		"":    "",
	}
	for title, want := range cases {
		if got := SlugFromTitle(title); got != want {
			t.Errorf("SlugFromTitle(%q) = %q, want %q", title, got, want)
		}
	}
	long := SlugFromTitle(strings.Repeat("招商", 100))
	if len(long) > MaxSlugLength || !SlugPattern.MatchString(long) || strings.HasSuffix(long, "-") {
		t.Errorf("long title gave %q (%d bytes)", long, len(long))
	}
}
