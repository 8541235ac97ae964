package views

import (
	"bytes"

	"github.com/a-h/templ"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
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
