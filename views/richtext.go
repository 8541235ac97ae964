package views

import (
	"bytes"
	"slices"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/maypok86/otter/v2"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// markdown renders staff-written text; raw HTML in the source is not passed
// through (goldmark's default), and the output is sanitised again, so a
// stored script can never reach a visitor.
var (
	markdown  = goldmark.New()
	sanitiser = bluemonday.UGCPolicy()
)

// RichText renders Markdown as sanitised HTML, once per text: parsing
// and sanitising an article was most of the cost of rendering its page.
func RichText(source string) templ.Component {
	memo := renderedMarkdown()
	if html, ok := memo.GetIfPresent(source); ok {
		return templ.Raw(html)
	}
	var buf bytes.Buffer
	html := ""
	if err := markdown.Convert([]byte(source), &buf); err != nil {
		html = sanitiser.Sanitize(templ.EscapeString(source))
	} else {
		html = sanitiser.Sanitize(buf.String())
	}
	memo.Set(source, html)
	return templ.Raw(html)
}

// renderedMarkdownBudget bounds the memo of rendered texts: both the
// source and its HTML count, with what an entry costs beside them.
const renderedMarkdownBudget = 16 << 20

var renderedMarkdown = sync.OnceValue(func() *otter.Cache[string, string] {
	return otter.Must(&otter.Options[string, string]{
		MaximumWeight: renderedMarkdownBudget,
		Weigher: func(source, html string) uint32 {
			return uint32(min(len(source)+len(html)+96, 1<<31)) // #nosec G115 -- bounded just before
		},
	})
})

// SanitizeMarkdown removes raw HTML from Markdown before it is stored, so
// the stored text is plain Markdown whatever was pasted in. Cutting a tag
// can join its neighbours into a new one (<scr<b>ipt>), so it repeats
// until nothing is left to cut. RichText sanitises again when showing.
func SanitizeMarkdown(source string) string {
	for range 10 {
		cuts := rawHTMLSegments([]byte(source))
		if len(cuts) == 0 {
			return source
		}
		var b strings.Builder
		last := 0
		for _, cut := range cuts {
			if cut.Start < last {
				continue
			}
			b.WriteString(source[last:cut.Start])
			last = cut.Stop
		}
		b.WriteString(source[last:])
		source = b.String()
	}
	return templ.EscapeString(source) // still HTML after ten passes: keep it as text
}

func rawHTMLSegments(source []byte) []text.Segment {
	var cuts []text.Segment
	doc := markdown.Parser().Parse(text.NewReader(source))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.HTMLBlock:
			for i := range n.Lines().Len() {
				cuts = append(cuts, n.Lines().At(i))
			}
			if n.HasClosure() {
				cuts = append(cuts, n.ClosureLine)
			}
		case *ast.RawHTML:
			for i := range n.Segments.Len() {
				cuts = append(cuts, n.Segments.At(i))
			}
		}
		return ast.WalkContinue, nil
	})
	slices.SortFunc(cuts, func(a, b text.Segment) int { return a.Start - b.Start })
	return cuts
}
