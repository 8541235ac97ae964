package i18n

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestCatalogsAreComplete(t *testing.T) {
	if err := Load(); err != nil {
		t.Fatal(err)
	}
	for _, l := range []Lang{Hant, En} {
		if missing := MissingIDs(l); len(missing) > 0 {
			t.Errorf("%s lacks %d messages: %v", l, len(missing), missing)
		}
	}
	c := mustCatalog()
	for id := range c.ids[En] {
		if !c.ids[Hans][id] {
			t.Errorf("en has %q, which the default catalog lacks", id)
		}
	}
}

func TestBrokenCatalogIsAnErrorNamingTheFile(t *testing.T) {
	good, err := fs.ReadFile(localeFiles, "locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, broken := range map[string]string{
		"not JSON":           `{"nav.regions": "地区"`,
		"broken placeholder": `{"nav.regions": "{{.Name"}`,
	} {
		_, err := build(fstest.MapFS{
			"locales/zh-Hans.json": {Data: []byte(broken)},
			"locales/en.json":      {Data: good},
		})
		if err == nil || !strings.Contains(err.Error(), "locales/zh-Hans.json") {
			t.Errorf("%s: build = %v, want an error naming the file", name, err)
		}
	}
}

func TestCatalogPartsMergeAndRefuseDuplicates(t *testing.T) {
	files := fstest.MapFS{
		"locales/zh-Hans.json":      {Data: []byte(`{"nav.regions": "地区"}`)},
		"locales/desk.zh-Hans.json": {Data: []byte(`{"desk.title": "咨询台"}`)},
		"locales/en.json":           {Data: []byte(`{"nav.regions": "Regions"}`)},
		"locales/desk.en.json":      {Data: []byte(`{"desk.title": "Desk"}`)},
	}
	c, err := build(files)
	if err != nil || !c.ids[Hant]["desk.title"] || !c.ids[En]["nav.regions"] {
		t.Fatalf("parts not merged: %v", err)
	}
	files["locales/desk.en.json"] = &fstest.MapFile{Data: []byte(`{"nav.regions": "Areas"}`)}
	if _, err := build(files); err == nil || !strings.Contains(err.Error(), "desk.en.json") {
		t.Errorf("an id in two files: build = %v, want an error naming the file", err)
	}
}

func TestTranslateAndConvert(t *testing.T) {
	hans := WithLang(context.Background(), Hans)
	hant := WithLang(context.Background(), Hant)
	en := WithLang(context.Background(), En)

	if got := T(hans, "nav.regions"); got != "地区" {
		t.Errorf("zh-Hans nav.regions = %q", got)
	}
	if got := T(hant, "nav.regions"); got != "地區" {
		t.Errorf("zh-Hant nav.regions = %q (made by OpenCC)", got)
	}
	if got := T(en, "stat.events.value", map[string]any{"N": 5}); got != "5" {
		t.Errorf("en stat.events.value = %q", got)
	}
	if got := T(hans, "stat.events.value", map[string]any{"N": 5}); got != "5场" {
		t.Errorf("zh-Hans stat.events.value = %q", got)
	}
	if got := Chinese(hant, "赤峰市区域经济合作局"); got != "赤峰市區域經濟合作局" {
		t.Errorf("s2t = %q", got)
	}
	if got := Chinese(hans, "太忻一體化經濟區"); got != "太忻一体化经济区" {
		t.Errorf("t2s = %q", got)
	}
	// Converted again from the memo, and per script: the same text is
	// not mixed up between the two.
	for range 2 {
		if got := Chinese(hant, "经济区 U盘"); got != "經濟區 U盤" {
			t.Errorf("s2tw from the memo = %q", got)
		}
		if got := Chinese(hans, "经济区 U盘"); got != "经济区 U盘" {
			t.Errorf("t2s of Simplified text = %q", got)
		}
	}
	if got := Chinese(hant, "2,000 m² (USD)"); got != "2,000 m² (USD)" {
		t.Errorf("text without Chinese = %q", got)
	}
	if text, fallback := Content(en, "赤峰市", ""); text != "赤峰市" || !fallback {
		t.Errorf("English page without English text = %q, %v; want the Chinese text and a notice", text, fallback)
	}
	if text, fallback := Content(en, "赤峰市", "Chifeng"); text != "Chifeng" || fallback {
		t.Errorf("English page = %q, %v", text, fallback)
	}
}

func TestPaths(t *testing.T) {
	cases := []struct {
		path string
		lang Lang
		rest string
	}{
		{"/", Hans, "/"}, {"/regions/chifeng", Hans, "/regions/chifeng"},
		{"/en", En, "/"}, {"/en/regions", En, "/regions"}, {"/zh-hant/news/x", Hant, "/news/x"},
		{"/english", Hans, "/english"},
	}
	for _, c := range cases {
		l, rest := FromPath(c.path)
		if l != c.lang || rest != c.rest {
			t.Errorf("FromPath(%q) = %s, %q; want %s, %q", c.path, l, rest, c.lang, c.rest)
		}
		if back := l.Path(rest); back != c.path {
			t.Errorf("%s.Path(%q) = %q, want %q", l, rest, back, c.path)
		}
	}
}

// Every message T fills in itself reads as go-i18n would have made it,
// whatever the values: text, numbers, a missing one.
func TestFieldsAreFilledInAsTemplatesWould(t *testing.T) {
	c := mustCatalog()
	values := []map[string]any{nil, {}}
	for _, v := range []any{"赤峰<市>", 42, int64(-7), 3.5, true} {
		m := map[string]any{}
		for _, name := range []string{"N", "Name", "Date", "To", "From", "Share", "Reference", "Amount", "At", "Due",
			"Value", "Top", "Year", "Title", "Kind", "Days", "All", "Source", "Q"} {
			m[name] = v
		}
		values = append(values, m)
	}
	checked := 0
	for _, l := range All {
		for id := range c.fields[l] {
			for _, data := range values {
				want := localize(c, l, id, data)
				if got := T(WithLang(context.Background(), l), id, data); got != want {
					t.Errorf("%s %s with %v: %q, go-i18n %q", l, id, data, got, want)
				}
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d messages filled in without a template", checked)
	}
	if _, ok := splitMessage("{{if .N}}x{{end}}"); ok {
		t.Error("a message with an action was taken for plain fields")
	}
}
