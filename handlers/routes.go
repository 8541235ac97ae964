package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the one place that answers "which URLs exist, and who may call
// them". Middleware order matters: the request id comes first so that every
// log line and error page carries it, and Recover sits inside the logger so
// that a panic is logged as the 500 it becomes.
func (h *Handler) routes(e *echo.Echo) {
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: 301}))
	e.Use(middleware.RequestID())
	e.Use(h.requestLogger())
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: h.logPanic}))
	e.Use(securityHeaders())
	e.Use(siteBodyLimit())

	// Language-neutral endpoints. GET and HEAD alike: monitors and link
	// checkers send HEAD, and Echo does not derive it from GET.
	readOnly := []string{http.MethodGet, http.MethodHead}
	e.Match(readOnly, "/healthz", h.Healthz)
	e.Match(readOnly, "/readyz", h.Readyz)
	e.Match(readOnly, "/static/*", h.StaticFile)
	e.Match(readOnly, "/sitemap.xml", h.Sitemap)
	e.Match(readOnly, "/robots.txt", h.Robots)
	e.Match(readOnly, "/uploads/:name", h.ServeUpload)

	// Pages, under every language prefix (see localized).
	localized(e, "/", h.Home)
	localized(e, "/regions", h.ListRegions)
	localized(e, "/regions/:slug", h.ShowRegion)
	localized(e, "/parks", h.ListParks)
	localized(e, "/parks/:slug", h.ShowPark)
	localized(e, "/chains", h.ListChains)
	localized(e, "/chains/:slug", h.ShowChain)
	localized(e, "/policies", h.ListPolicies)
	localized(e, "/policies/:slug", h.ShowPolicy)
	localized(e, "/projects", h.ListProjects)
	localized(e, "/projects/:slug", h.ShowProject)
	localized(e, "/events", h.ListEvents)
	localized(e, "/events/:slug", h.ShowEvent)
	localized(e, "/news", h.ListNews)
	localized(e, "/news/:slug", h.ShowNews)
	localized(e, "/search", h.Search)
	localized(e, "/privacy", h.Privacy)

	// Inquiries: the forms carry a CSRF token; posts are size- and
	// rate-limited before anything reads them.
	csrf := h.csrfProtection()
	posts := []echo.MiddlewareFunc{middleware.BodyLimit(inquiryBodyLimit), formAttemptLimit(), csrf}
	localized(e, "/inquiries/new", h.NewInquiry, csrf)
	localizedPost(e, "/inquiries", h.CreateInquiry, posts...)
	localized(e, "/inquiries/status/:token", h.ShowInquiryStatus, csrf)
	localizedPost(e, "/inquiries/status/:token", h.AddInquiryMessage, posts...)

	// Staff admin (Simplified Chinese only): see adminRoutes.
	h.adminRoutes(e, csrf)
}
