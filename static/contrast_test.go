package static

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// The text and background colours the stylesheet pairs, by where they
// meet; each must reach WCAG 2 AA for normal text (4.5:1). Add a pair here
// when the stylesheet sets a new text colour on a new background.
var colourPairs = []struct{ where, text, background string }{
	{"body text", "--ink", "--paper"},
	{"body text on panels", "--ink", "--wash"},
	{"secondary text", "--muted", "--paper"},
	{"secondary text on panels and stage track", "--muted", "--wash"},
	{"links", "--brand", "--paper"},
	{"links on panels", "--brand", "--wash"},
	{"hovered links, figures", "--brand-dark", "--paper"},
	{"header, buttons, current stage", "#ffffff", "--brand"},
	{"current navigation item, hovered button", "#ffffff", "--brand-dark"},
	{"current language", "--brand-dark", "#ffffff"},
	{"header search button", "--ink", "--accent"},
	{"fallback notice", "--ink", "#fff7e0"},
	{"available site", "#0a6b2f", "--paper"},
	{"completed stage", "#0a4d23", "#d9ece1"},
	{"field errors", "#b42318", "--paper"},
	{"error banner", "--ink", "#fdecea"},
	{"success banner", "--ink", "#e6f4ea"},
	{"button links", "#ffffff", "--brand"},
}

func TestColourPairsMeetAA(t *testing.T) {
	css, err := files.ReadFile("css/site.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`(--[a-z-]+):\s*(#[0-9a-fA-F]{6})\b`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	colour := func(name string) string {
		if hex, ok := vars[name]; ok {
			return hex
		}
		if name[0] != '#' {
			t.Fatalf("the stylesheet defines no %s", name)
		}
		return name
	}
	for _, p := range colourPairs {
		ratio := contrast(colour(p.text), colour(p.background))
		if ratio < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f:1, below AA's 4.5:1", p.where, p.text, p.background, ratio)
		}
	}
}

// contrast is WCAG 2's contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	channel := func(s string) float64 {
		v, _ := strconv.ParseUint(s, 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(hex[1:3]) + 0.7152*channel(hex[3:5]) + 0.0722*channel(hex[5:7])
}
