package models

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// MaxSlugLength is the schema's limit on slugs.
const MaxSlugLength = 120

// SlugPattern is the schema's rule for slugs: lower-case words of letters
// and digits joined by single hyphens.
var SlugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether the schema's slug domain would accept s.
func ValidSlug(s string) bool { return len(s) <= MaxSlugLength && SlugPattern.MatchString(s) }

var pinyinArgs = pinyin.NewArgs() // tone-less syllables: 赤峰 → chi, feng

// SlugFromTitle makes a readable slug from a Chinese or English title: each
// Chinese character becomes its pinyin syllable, Latin letters and digits
// are kept, everything else separates words. 赤峰市2023年招商引资大会 →
// chi-feng-shi-2023-nian-zhao-shang-yin-zi-da-hui. It is cut at a word
// boundary to fit the schema, and may be empty (a title of symbols only).
func SlugFromTitle(title string) string {
	var words []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			words = append(words, word.String())
			word.Reset()
		}
	}
	for _, r := range title {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			word.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Han, r):
			flush()
			if syllables := pinyin.SinglePinyin(r, pinyinArgs); len(syllables) > 0 {
				words = append(words, syllables[0])
			}
		default:
			flush()
		}
	}
	flush()
	slug := ""
	for _, w := range words {
		next := w
		if slug != "" {
			next = slug + "-" + w
		}
		if len(next) > MaxSlugLength {
			break
		}
		slug = next
	}
	return slug
}
