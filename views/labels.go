package views

import (
	"context"

	"github.com/a-h/templ"

	"investportal/views/i18n"
)

// t translates interface text into the page's language.
func t(ctx context.Context, id string, data ...map[string]any) string {
	return i18n.T(ctx, id, data...)
}

// href puts a language-neutral path under the page's language prefix.
func href(ctx context.Context, path string) templ.SafeURL {
	return templ.SafeURL(i18n.FromContext(ctx).Path(path))
}

// RegionKind labels a region kind: city reads 地级市.
func RegionKind(ctx context.Context, kind string) string { return i18n.T(ctx, "region.kind."+kind) }

// EventKind labels a signing-event kind: online_signing reads 网上签约.
func EventKind(ctx context.Context, kind string) string { return i18n.T(ctx, "event.kind."+kind) }
