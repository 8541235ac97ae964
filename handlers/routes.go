package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"investportal/views/i18n"
)

// routes is the one place that answers "which URLs exist, and who may call
// them". Middleware order matters: the request id comes first so that every
// log line and error page carries it, and Recover sits inside the logger so
// that a panic is logged as the 500 it becomes.
func (h *Handler) routes(e *echo.Echo) {
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: 301}))
	e.Pre(requestIDFromTrustedProxy(h.proxies))
	e.Use(middleware.RequestID())
	e.Use(h.requestLogger())
	e.Use(requestDeadline(h.timeout))
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: h.logPanic}))
	e.Use(securityHeaders())
	e.Use(siteBodyLimit())

	// Language-neutral endpoints. GET and HEAD alike: monitors and link
	// checkers send HEAD, and Echo does not derive it from GET.
	readOnly := []string{http.MethodGet, http.MethodHead}
	e.Match(readOnly, "/healthz", h.Healthz)
	e.Match(readOnly, "/readyz", h.Readyz)
	e.Match(readOnly, "/static/*", h.StaticFile)
	// Public pages are kept rendered until their content changes
	// (pagecache.go); pages with a form are not. What they render is read
	// from a current replica where there is one (replicas.go).
	page := func(next echo.HandlerFunc) echo.HandlerFunc { return h.pages.serve(h.publicReads(next)) }
	e.Match(readOnly, "/sitemap.xml", h.Sitemap, page)
	e.Match(readOnly, "/robots.txt", h.Robots)
	e.Match(readOnly, "/uploads/:name", h.ServeUpload)

	// Pages, under every language prefix (see localized).
	localized(e, "/", h.Home, page)
	localized(e, "/regions", h.ListRegions, page)
	localized(e, "/regions/:slug", h.ShowRegion, page)
	localized(e, "/parks", h.ListParks, page)
	localized(e, "/parks/:slug", h.ShowPark, page)
	localized(e, "/sites", h.ListSites, page)
	localized(e, "/chains", h.ListChains, page)
	localized(e, "/chains/:slug", h.ShowChain, page)
	localized(e, "/policies", h.ListPolicies, page)
	localized(e, "/policies/:slug", h.ShowPolicy, page)
	localized(e, "/projects", h.ListProjects, page)
	localized(e, "/projects/:slug", h.ShowProject, page)
	localized(e, "/events", h.ListEvents, page)
	localized(e, "/events/:slug", h.ShowEvent, page)
	localized(e, "/statistics", h.ShowStatistics, page)
	localized(e, "/statistics/:file", h.StatisticsData, page)
	localized(e, "/news", h.ListNews, page)
	localized(e, "/news/:slug", h.ShowNews, page)
	localized(e, "/search", h.Search, page)
	localized(e, "/match", h.Match, page)
	localized(e, "/contact", h.Contact, page)
	localized(e, "/privacy", h.Privacy, page)

	// Inquiries: the forms carry a CSRF token; posts are size- and
	// rate-limited before anything reads them.
	csrf := h.csrfProtection()
	posts := []echo.MiddlewareFunc{middleware.BodyLimit(inquiryBodyLimit), h.formAttemptLimit(), csrf}
	localized(e, "/inquiries/new", h.NewInquiry, csrf)
	localizedPost(e, "/inquiries", h.CreateInquiry, posts...)
	localized(e, "/inquiries/status/:token", h.ShowInquiryStatus, csrf)
	localizedPost(e, "/inquiries/status/:token", h.AddInquiryMessage, posts...)

	// Investors' briefs: made from a confirmation page with a form token;
	// a brief's own page is not kept in the page cache (each has its own
	// address, read by few).
	localized(e, "/briefs/new", h.NewBrief, csrf)
	localizedPost(e, "/briefs", h.CreateBrief, posts...)
	localized(e, "/briefs/:token", h.ShowBrief)

	h.adminRoutes(e, csrf)
}

// adminRoutes registers the staff admin (Simplified Chinese only). Sign-in
// is public; every other route goes through staffRoute, which checks the
// session and the permissions that open the route (permissions.go) before
// anything reads the request body, and then the form token tied to the
// session. handlers/admin_test.go walks every route registered here
// against its own table of who may use it.
func (h *Handler) adminRoutes(e *echo.Echo, csrf echo.MiddlewareFunc) {
	g := e.Group(adminPrefix, withLang(i18n.Hans), noStore, echo.WrapMiddleware(h.sessions.LoadAndSave))
	g.GET("/login", h.AdminLoginForm, csrf)
	g.POST("/login", h.AdminLogin, middleware.BodyLimit("16K"), h.formAttemptLimit(), csrf)
	staff := func(method, path string, handler echo.HandlerFunc, perms ...permission) {
		h.staffRoute(g, method, path, handler, perms...)
	}
	const get, post = http.MethodGet, http.MethodPost

	staff(post, "/logout", h.AdminLogout, permUseAdmin)
	staff(get, "", h.AdminDashboard, permUseAdmin)
	staff(get, "/password", h.AdminPasswordForm, permUseAdmin)
	staff(post, "/password", h.formAttemptLimit()(h.AdminChangePassword), permUseAdmin) // it checks a password: limited like sign-in

	// Content: every type the same way (admin_content_types.go).
	for _, t := range contentTypes {
		base := "/" + t.Key
		staff(get, base, h.contentList(t), permReadContent)
		staff(get, base+"/new", h.contentNew(t), permEditContent)
		staff(post, base, h.contentCreate(t), permEditContent)
		staff(get, base+"/:id", h.contentEdit(t), permReadContent)
		if t.Key == "projects" {
			// Officers too, for the projects assigned to them (checked per record).
			staff(post, base+"/:id", h.contentUpdate(t), permEditContent, permEditAssignedProjects)
		} else {
			staff(post, base+"/:id", h.contentUpdate(t), permEditContent)
		}
		staff(get, base+"/:id/delete", h.contentDeleteForm(t), permEditContent)
		staff(post, base+"/:id/delete", h.contentDelete(t), permEditContent)
		staff(post, base+"/:id/restore", h.contentRestore(t), permEditContent)
		staff(get, base+"/:id/preview", h.contentPreview(t), permReadContent)
		staff(get, base+"/:id/history", h.contentHistory(t), permReadContent)
	}
	staff(get, "/audit", h.AdminAuditLog, permReadContent)
	staff(get, "/uploads", h.AdminUploads, permEditContent)
	staff(post, "/uploads", h.AdminUpload, permEditContent)

	// Inquiries hold investors' personal data.
	staff(get, "/inquiries", h.AdminInquiries, permWorkInquiries)
	staff(get, "/inquiries.csv", h.AdminInquiriesCSV, permWorkInquiries)
	staff(post, "/inquiries/:ref/take", h.AdminTakeInquiry, permWorkInquiries)
	staff(get, "/desk", h.AdminDeskDashboard, permLeadDesk)
	staff(get, "/calendar", h.AdminCalendar, permLeadDesk)
	staff(post, "/calendar", h.AdminSaveCalendarDay, permLeadDesk)
	staff(post, "/calendar/:day/delete", h.AdminDeleteCalendarDay, permLeadDesk)
	staff(get, "/inquiries/:ref", h.AdminInquiry, permWorkInquiries)
	staff(post, "/inquiries/:ref/stage", h.AdminChangeInquiryStage, permWorkInquiries)
	staff(post, "/inquiries/:ref/assign", h.AdminAssignInquiry, permLeadDesk)
	staff(post, "/inquiries/:ref/notes", h.AdminAddInquiryNote, permWorkInquiries)

	// Following signed projects.
	staff(get, "/my-projects", h.AdminMyProjects, permEditAssignedProjects)
	staff(get, "/my-projects/:id/report", h.AdminReportForm, permEditAssignedProjects)
	staff(post, "/my-projects/:id/report", h.AdminFileReport, permEditAssignedProjects)
	staff(post, "/my-projects/:id/problems/:pid/solve", h.AdminSolveProblem, permEditAssignedProjects)
	staff(post, "/my-projects/:id/commitments", h.AdminAddCommitment, permEditAssignedProjects)
	staff(post, "/my-projects/:id/commitments/:cid/deliver", h.AdminDeliverCommitment, permEditAssignedProjects)
	staff(get, "/red-projects", h.AdminRedProjects, permLeadProjects)

	// Accounts.
	staff(get, "/users", h.AdminUsers, permManageAccounts)
	staff(get, "/users/new", h.AdminNewUser, permManageAccounts)
	staff(post, "/users", h.AdminCreateUser, permManageAccounts)
	staff(get, "/users/:id", h.AdminEditUser, permManageAccounts)
	staff(post, "/users/:id", h.AdminUpdateUser, permManageAccounts)
	staff(post, "/users/:id/password", h.AdminResetPassword, permManageAccounts)
}
