// Package i18n knows the portal's three languages: Simplified Chinese (the
// default, at /), Traditional Chinese (/zh-hant/…) and English (/en/…). It
// holds the message catalog of every piece of interface text and converts
// Chinese content to the script of the page.
//
// Interface text lives in locales/zh-Hans.json and locales/en.json, and
// in one <area>.zh-Hans.json and <area>.en.json pair per larger part; the
// Traditional catalog is made from the Simplified one with OpenCC (s2tw:
// the Taiwan standard forms, 峰 rather than 峯) when the
// program starts, so it can never lag behind.
package i18n

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/longbridgeapp/opencc"
	"github.com/maypok86/otter/v2"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Lang is one of the portal's languages, as a BCP 47 tag.
type Lang string

// The portal's languages; Hans is the default.
const (
	Hans Lang = "zh-Hans"
	Hant Lang = "zh-Hant"
	En   Lang = "en"
)

// All lists the languages in the order the language switch shows them.
var All = []Lang{Hans, Hant, En}

// prefixes are the URL path prefixes of the languages: visible, shareable.
var prefixes = map[Lang]string{Hans: "", Hant: "/zh-hant", En: "/en"}

// Prefix is the language's URL path prefix ("" for the default).
func (l Lang) Prefix() string { return prefixes[l] }

// Path puts a language-neutral path ("/regions/chifeng") under the
// language's prefix ("/en/regions/chifeng"); "/" becomes the prefix itself.
func (l Lang) Path(path string) string {
	if l.Prefix() != "" && path == "/" {
		return l.Prefix()
	}
	return l.Prefix() + path
}

// Name is the language's own name, for the language switch.
func (l Lang) Name() string {
	return map[Lang]string{Hans: "简体中文", Hant: "繁體中文", En: "English"}[l]
}

// Parse returns the language with the given tag (zh-Hans, zh-Hant, en).
func Parse(tag string) (Lang, bool) {
	for _, l := range All {
		if string(l) == tag {
			return l, true
		}
	}
	return "", false
}

// IsChinese reports whether the language is one of the Chinese scripts.
func (l Lang) IsChinese() bool { return l == Hans || l == Hant }

// FromPath splits a request path into its language and the neutral rest.
func FromPath(path string) (Lang, string) {
	for _, l := range []Lang{Hant, En} {
		p := l.Prefix()
		if path == p {
			return l, "/"
		}
		if strings.HasPrefix(path, p+"/") {
			return l, strings.TrimPrefix(path, p)
		}
	}
	return Hans, path
}

type ctxKey struct{}

// WithLang returns a context that carries the page's language.
func WithLang(ctx context.Context, l Lang) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the page's language, Simplified Chinese if none is set.
func FromContext(ctx context.Context) Lang {
	if l, ok := ctx.Value(ctxKey{}).(Lang); ok {
		return l
	}
	return Hans
}

//go:embed locales/*.json
var localeFiles embed.FS

type catalog struct {
	localizers map[Lang]*goi18n.Localizer
	ids        map[Lang]map[string]bool
	// plain holds the messages without placeholders, which T returns
	// as they are: most of a page's messages, and go-i18n's lookup of
	// each was a tenth of rendering the statistics page.
	plain map[Lang]map[string]string
	// fields holds the messages whose placeholders are all plain
	// {{.Name}} fields (every one in the catalogs), split at them, so
	// that T fills them in without executing a template: go-i18n's did,
	// a tenth of rendering the home page.
	fields   map[Lang]map[string][]messagePart
	s2t, t2s *opencc.OpenCC
	// converted memoises script conversion: pages show the same names and
	// texts over and over, and OpenCC's segmentation of a text costs far
	// more than looking it up (it was the largest cost of rendering).
	converted *otter.Cache[conversion, string]
}

// messagePart is literal text followed by the field a placeholder names
// (none after the last part).
type messagePart struct{ text, field string }

// placeholder is a plain field placeholder, {{.Name}}.
var placeholder = regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// splitMessage splits a message at its placeholders, or reports that
// one is more than a plain field (left to go-i18n).
func splitMessage(text string) ([]messagePart, bool) {
	var parts []messagePart
	rest := text
	for {
		loc := placeholder.FindStringSubmatchIndex(rest)
		if loc == nil {
			if strings.Contains(rest, "{{") {
				return nil, false
			}
			return append(parts, messagePart{text: rest}), true
		}
		if strings.Contains(rest[:loc[0]], "{{") {
			return nil, false
		}
		parts = append(parts, messagePart{text: rest[:loc[0]], field: rest[loc[2]:loc[3]]})
		rest = rest[loc[1]:]
	}
}

// conversion is a text and the script it is converted to.
type conversion struct {
	to   Lang
	text string
}

// convertedBudget bounds the memo's size: the bytes of the texts and
// their conversions. The demo content fills a small part of it; with
// more, the least used texts are converted again when next shown.
const convertedBudget = 32 << 20

// conversionOverhead is an estimate of a memo entry's own bytes: the key,
// the two string headers and the cache's node.
const conversionOverhead = 96

var (
	loadOnce sync.Once
	loaded   *catalog
	loadErr  error
)

// Load builds the catalog once. The portal calls it at start-up, so that a
// broken message file stops the start with an error that names it instead
// of failing a visitor's request.
func Load() error {
	loadOnce.Do(func() { loaded, loadErr = build(localeFiles) })
	return loadErr
}

// mustCatalog is the catalog Load built. Tests and tools that skip Load
// get it built on first use; a broken catalog there is a programming error.
func mustCatalog() *catalog {
	if err := Load(); err != nil {
		panic(err)
	}
	return loaded
}

func build(files fs.FS) (*catalog, error) {
	c := &catalog{localizers: map[Lang]*goi18n.Localizer{}, ids: map[Lang]map[string]bool{}, plain: map[Lang]map[string]string{},
		fields: map[Lang]map[string][]messagePart{},
		converted: otter.Must(&otter.Options[conversion, string]{
			MaximumWeight: convertedBudget,
			Weigher: func(k conversion, v string) uint32 {
				// The texts, and roughly what an entry costs beside them,
				// which dominates for short ones such as amounts.
				return uint32(min(len(k.text)+len(v)+conversionOverhead, 1<<31)) // #nosec G115 -- bounded just before
			},
		})}
	var err error
	if c.s2t, err = opencc.New("s2tw"); err != nil {
		return nil, fmt.Errorf("opencc s2tw: %w", err)
	}
	if c.t2s, err = opencc.New("t2s"); err != nil {
		return nil, fmt.Errorf("opencc t2s: %w", err)
	}
	bundle := goi18n.NewBundle(language.MustParse(string(Hans)))
	messages := map[Lang]map[string]string{}
	for _, l := range []Lang{Hans, En} {
		m, err := readCatalog(files, l)
		if err != nil {
			return nil, err
		}
		messages[l] = m
	}
	messages[Hant] = map[string]string{}
	for id, text := range messages[Hans] {
		if messages[Hant][id], err = c.s2t.Convert(text); err != nil {
			return nil, err
		}
	}
	for l, m := range messages {
		tag := language.MustParse(string(l))
		c.ids[l], c.plain[l], c.fields[l] = map[string]bool{}, map[string]string{}, map[string][]messagePart{}
		for id, text := range m {
			if text != "" && !strings.Contains(text, "{{") { // go-i18n treats "" as missing
				c.plain[l][id] = text
			} else if parts, ok := splitMessage(text); ok && text != "" {
				c.fields[l][id] = parts
			}
			if err := bundle.AddMessages(tag, &goi18n.Message{ID: id, Other: text}); err != nil {
				return nil, err
			}
			c.ids[l][id] = true
		}
		c.localizers[l] = goi18n.NewLocalizer(bundle, string(l))
	}
	return c, nil
}

// readCatalog reads a language's messages: locales/<lang>.json and every
// locales/<area>.<lang>.json beside it, one file per part of the portal.
// An id defined in two files is an error, not a silent override.
func readCatalog(files fs.FS, l Lang) (map[string]string, error) {
	names, err := fs.Glob(files, "locales/*."+string(l)+".json")
	if err != nil {
		return nil, err
	}
	names = append([]string{"locales/" + string(l) + ".json"}, names...)
	m := map[string]string{}
	for _, name := range names {
		raw, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		part := map[string]string{}
		if err := json.Unmarshal(raw, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for id, text := range part {
			if _, dup := m[id]; dup {
				return nil, fmt.Errorf("%s: message %q is defined in another file too", name, id)
			}
			// go-i18n parses placeholders only when a message is shown.
			if _, err := template.New(id).Parse(text); err != nil {
				return nil, fmt.Errorf("%s: message %q: %w", name, id, err)
			}
			m[id] = text
		}
	}
	return m, nil
}

// T translates a message id into the page's language; data fills
// {{.Name}}-style placeholders. A missing id shows as the id itself, which
// the catalog tests catch before it reaches a visitor.
func T(ctx context.Context, id string, data ...map[string]any) string {
	c := mustCatalog()
	lang := FromContext(ctx)
	if text, ok := c.plain[lang][id]; ok {
		return text
	}
	if parts, ok := c.fields[lang][id]; ok {
		var values map[string]any
		if len(data) > 0 {
			values = data[0]
		}
		return fill(parts, values)
	}
	return localize(c, lang, id, data...)
}

// fill writes a split message with its fields, printed as text/template
// prints them.
func fill(parts []messagePart, values map[string]any) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.text)
		if p.field == "" {
			continue
		}
		switch v, ok := values[p.field]; x := v.(type) {
		case string:
			b.WriteString(x)
		case int:
			b.WriteString(strconv.Itoa(x))
		case int64:
			b.WriteString(strconv.FormatInt(x, 10))
		default:
			if !ok {
				b.WriteString("<no value>")
			} else {
				fmt.Fprint(&b, v)
			}
		}
	}
	return b.String()
}

// localize is T through go-i18n, for a message with more than plain fields.
func localize(c *catalog, lang Lang, id string, data ...map[string]any) string {
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
	}
	text, err := c.localizers[lang].Localize(cfg)
	if err != nil {
		return id
	}
	return text
}

// Chinese converts Chinese content to the page's script: Simplified text on
// Traditional pages and the Traditional source articles on Simplified pages.
// English pages get the text unchanged.
func Chinese(ctx context.Context, text string) string {
	c := mustCatalog()
	lang := FromContext(ctx)
	var conv *opencc.OpenCC
	switch lang {
	case Hant:
		conv = c.s2t
	case Hans:
		conv = c.t2s
	default:
		return text
	}
	if !hasHan(text) { // digits, Latin names and units need no conversion
		return text
	}
	key := conversion{lang, text}
	if out, ok := c.converted.GetIfPresent(key); ok {
		return out
	}
	out, err := conv.Convert(text)
	if err != nil {
		return text
	}
	c.converted.Set(key, out)
	return out
}

// hasHan reports whether text holds a character OpenCC could convert: a
// Chinese one, in or above the CJK blocks. Every key of OpenCC's
// dictionaries holds one (U盤 and SQL注入 too), so text without one is
// left as it is.
func hasHan(text string) bool {
	for _, r := range text {
		if r >= 0x2E80 {
			return true
		}
	}
	return false
}

// Content picks the text for the page: the English text on English pages
// when there is one, otherwise the Chinese text in the page's script.
// fallback reports that an English page shows Chinese text.
func Content(ctx context.Context, zh, en string) (text string, fallback bool) {
	if FromContext(ctx) == En {
		if strings.TrimSpace(en) != "" {
			return en, false
		}
		return zh, strings.TrimSpace(zh) != ""
	}
	return Chinese(ctx, zh), false
}

// MissingIDs lists the message ids that lang lacks compared with the
// default catalog, for the tests.
func MissingIDs(l Lang) []string {
	c := mustCatalog()
	var missing []string
	for id := range c.ids[Hans] {
		if !c.ids[l][id] {
			missing = append(missing, id)
		}
	}
	return missing
}

// ScriptForms returns a query in the forms it may be stored in: as typed,
// in Simplified and in Traditional characters, without repeats, so that 经济
// finds the Traditional articles and 經濟 the Simplified pages.
func ScriptForms(q string) []string {
	c := mustCatalog()
	forms := []string{q}
	for _, conv := range []*opencc.OpenCC{c.t2s, c.s2t} {
		if out, err := conv.Convert(q); err == nil && !slices.Contains(forms, out) {
			forms = append(forms, out)
		}
	}
	return forms
}
