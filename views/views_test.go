package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func renderDoc(t *testing.T, render func(*bytes.Buffer) error) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestHomeEscapesContent(t *testing.T) {
	v := HomeView{
		Page:    Page{Title: "首页", Section: "home"},
		Regions: []RegionCard{{Name: `<script>alert(1)</script>`, Kind: "地级市", Summary: `"><img src=x onerror=alert(1)>`}},
	}
	doc := renderDoc(t, func(b *bytes.Buffer) error { return Home(v).Render(hans, b) })
	if doc.Find("script").Length() != 0 || doc.Find("img[onerror]").Length() != 0 {
		t.Error("content was rendered as markup")
	}
	if !strings.Contains(doc.Find("#regions").Text(), "<script>alert(1)</script>") {
		t.Error("escaped content not shown as text")
	}
	if cur, _ := doc.Find(`.site-nav a[aria-current="page"]`).Attr("href"); cur != "/" {
		t.Errorf("current navigation entry = %q, want /", cur)
	}
	if doc.Find(`a.skip-link[href="#main"]`).Length() != 1 || doc.Find("main#main").Length() != 1 {
		t.Error("skip link or its target missing")
	}
	if got := doc.Find("title").Text(); got != "首页 | 投资促进门户" {
		t.Errorf("title = %q", got)
	}
}

func TestErrorPageShowsRequestID(t *testing.T) {
	v := ErrorView{Status: 404, Heading: "页面不存在", Message: "没有这个页面", RequestID: "abc123"}
	doc := renderDoc(t, func(b *bytes.Buffer) error { return ErrorPage(v).Render(en, b) })
	if got := doc.Find(`[data-testid="request-id"]`).Text(); got != "abc123" {
		t.Errorf("request id = %q", got)
	}
	if got := doc.Find(".error-status").Text(); got != "404" {
		t.Errorf("status = %q", got)
	}
	if got, _ := doc.Find("html").Attr("lang"); got != "en" {
		t.Errorf("English error page has lang=%q", got)
	}
	if href, _ := doc.Find(`[data-testid="error-page"] a`).Attr("href"); href != "/en" {
		t.Errorf("English error page links home to %q, want /en", href)
	}
}

func TestSanitizeMarkdownRemovesRawHTML(t *testing.T) {
	cases := map[string]string{
		"**粗体** 和 [链接](https://example.com)":     "**粗体** 和 [链接](https://example.com)",
		"前<script>alert(1)</script>后":            "前alert(1)后",
		"<div onclick=\"x()\">\n块\n</div>\n\n正文": "\n正文",
		"<scr<b>ipt>alert(1)</script>":           "",
		"x <scr<b>ipt>alert(1)</script>":         "x alert(1)",
		"`<b>代码里的标签保留</b>`":                      "`<b>代码里的标签保留</b>`",
		"1 < 2 且 3 > 2":                          "1 < 2 且 3 > 2",
	}
	for in, want := range cases {
		got := SanitizeMarkdown(in)
		if got != want {
			t.Errorf("SanitizeMarkdown(%q) = %q, want %q", in, got, want)
		}
		var buf bytes.Buffer
		if err := RichText(got).Render(context.Background(), &buf); err != nil || strings.Contains(buf.String(), "<script") {
			t.Errorf("%q still renders a script", in)
		}
	}
}
