package views

import (
	"bytes"
	"slices"
	"strings"

	"github.com/a-h/templ"
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

// RichText renders Markdown as sanitised HTML.
func RichText(source string) templ.Component {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(source), &buf); err != nil {
		return templ.Raw(sanitiser.Sanitize(templ.EscapeString(source)))
	}
	return templ.Raw(sanitiser.Sanitize(buf.String()))
}

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
