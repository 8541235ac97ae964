package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// Staff sessions end after this long without a request, and after this
// long in any case.
const (
	adminIdleTimeout = 30 * time.Minute
	adminLifetime    = 12 * time.Hour
	adminPrefix      = "/admin"
	staffIDKey       = "staff_id"
	staffEpochKey    = "staff_epoch" // the account's session epoch at sign-in
)

// newSessions keeps staff sessions in PostgreSQL, so every portal instance
// shares them; expired rows are removed by the serve command's hourly job.
func (h *Handler) newSessions() *scs.SessionManager {
	sm := scs.New()
	if sqlDB, err := h.db.DB(); err == nil {
		sm.Store = hashedTokens{postgresstore.NewWithCleanupInterval(sqlDB, 0)}
	}
	sm.IdleTimeout = adminIdleTimeout
	sm.Lifetime = adminLifetime
	// Over HTTPS the __Host- prefix: Secure, path /, no Domain, so that no
	// sibling subdomain can plant a session cookie (a more specific path
	// would otherwise win).
	sm.Cookie.Name = "portal_admin"
	if h.secureCookies {
		sm.Cookie.Name = "__Host-portal_admin"
	}
	sm.Cookie.Path = "/"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = h.secureCookies
	sm.Cookie.Persist = false // gone when the browser closes
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		h.log.Error("admin session store failed", "err", err)
		http.Error(w, "服务暂时不可用 / service unavailable", http.StatusServiceUnavailable)
	}
	return sm
}

// staffRoute registers an admin route that opens to the holders of any of
// the permissions; it refuses to register one that names none.
func (h *Handler) staffRoute(g *echo.Group, method, path string, handler echo.HandlerFunc, perms ...permission) {
	if len(perms) == 0 {
		panic("admin route " + path + " names no permission")
	}
	if method == http.MethodPost {
		handler = h.contentMayHaveChanged(handler)
	}
	g.Add(method, path, handler, h.requireStaff(perms), h.staffCSRF)
}

// contentMayHaveChanged holds a staff post's answer, after its
// transaction, until the content watch has heard of what it committed, so
// that the page the member of staff opens next shows it, on this instance
// and on the others, which hear of it at the same moment.
func (h *Handler) contentMayHaveChanged(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Before(func() { h.watch.CatchUp(ctx(c), h.db) })
		return next(c)
	}
}

// requireStaff lets a request through only for a signed-in, enabled
// account whose role holds one of the permissions. Anonymous visitors are
// sent to sign in (GET) or refused (anything else). It reads nothing of the
// request body, so nobody's upload is parsed before they are known.
func (h *Handler) requireStaff(perms []permission) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			cx := ctx(c)
			id := h.sessions.GetInt64(cx, staffIDKey)
			var user models.StaffUser
			var err error
			if id != 0 {
				user, err = models.ActiveStaffUser(cx, h.db, id)
				switch {
				case errors.Is(err, models.ErrNotFound) || err == nil && user.SessionEpoch != h.sessions.GetInt(cx, staffEpochKey):
					// Disabled or removed, or its password, role or state
					// changed since this session signed in.
					if err := h.sessions.Destroy(cx); err != nil {
						return err
					}
					id = 0
				case err != nil:
					return err
				}
			}
			if id == 0 {
				if c.Request().Method == http.MethodGet {
					return c.Redirect(http.StatusSeeOther, adminPrefix+"/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				return &userError{status: http.StatusForbidden, message: i18n.T(cx, "admin.login.expired")}
			}
			if !roleMayAny(user.Role, perms) {
				return &userError{status: http.StatusForbidden, message: i18n.T(cx, "admin.forbidden")}
			}
			c.Set("staff", user)
			return next(c)
		}
	}
}

// hashedTokens keeps staff sessions under the SHA-256 of their token, so
// that a copy of the sessions table (a backup, a replica, a reporting
// account) signs nobody in.
type hashedTokens struct{ scs.Store }

func hashedToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s hashedTokens) Find(token string) ([]byte, bool, error) {
	return s.Store.Find(hashedToken(token))
}
func (s hashedTokens) Delete(token string) error { return s.Store.Delete(hashedToken(token)) }
func (s hashedTokens) Commit(token string, b []byte, expiry time.Time) error {
	return s.Store.Commit(hashedToken(token), b, expiry)
}

func currentStaff(c echo.Context) models.StaffUser {
	u, _ := c.Get("staff").(models.StaffUser)
	return u
}

func (h *Handler) adminPage(c echo.Context, title string) views.Page {
	return views.Page{Title: title + " | " + i18n.T(ctx(c), "admin.title"), NoIndex: true}
}

// adminNav is the staff header for the request: the entries of the staff
// navigation the role may open (the same permissions as their routes in
// routes.go), the account's own pages, and the entry the page belongs to.
func (h *Handler) adminNav(c echo.Context) views.AdminNav {
	cx := ctx(c)
	u := currentStaff(c)
	nav := views.AdminNav{
		UserLine:  i18n.T(cx, "admin.signed_in_as", map[string]any{"Name": u.Name, "Role": i18n.T(cx, "admin.role."+u.Role)}),
		CSRFToken: csrfToken(c),
	}
	link := func(p permission, path, name string) {
		if may(c, p) {
			nav.Links = append(nav.Links, views.LinkItem{Path: path, Name: name})
		}
	}
	link(permUseAdmin, adminPrefix, i18n.T(cx, "admin.nav.dashboard"))
	for _, t := range contentTypes {
		link(permReadContent, t.adminPath(), i18n.T(cx, "kind."+t.Kind))
	}
	link(permWorkInquiries, adminPrefix+"/inquiries", i18n.T(cx, "admin.nav.inquiries"))
	link(permLeadDesk, adminPrefix+"/desk", i18n.T(cx, "staff.nav.desk"))
	link(permLeadDesk, adminPrefix+"/calendar", i18n.T(cx, "staff.nav.calendar"))
	link(permEditAssignedProjects, adminPrefix+"/my-projects", i18n.T(cx, "staff.nav.my_projects"))
	link(permLeadProjects, adminPrefix+"/red-projects", i18n.T(cx, "staff.nav.red_projects"))
	link(permEditContent, adminPrefix+"/uploads", i18n.T(cx, "admin.nav.uploads"))
	link(permReadContent, adminPrefix+"/audit", i18n.T(cx, "admin.nav.audit"))
	link(permManageAccounts, adminPrefix+"/users", i18n.T(cx, "admin.nav.users"))
	nav.Account = []views.LinkItem{{Path: adminPrefix + "/password", Name: i18n.T(cx, "admin.nav.password")}}
	nav.Current = currentEntry(c.Request().URL.Path, slices.Concat(nav.Links, nav.Account))
	return nav
}

// currentEntry is the path of the entry a page belongs to: the entry's own
// page or one below it (/admin/policies/7/history is under the policies),
// the longest if several fit. The dashboard, /admin, is only itself, not
// the parent of every page.
func currentEntry(path string, links []views.LinkItem) string {
	current := ""
	for _, l := range links {
		fits := path == l.Path || l.Path != adminPrefix && strings.HasPrefix(path, l.Path+"/")
		if fits && len(l.Path) > len(current) {
			current = l.Path
		}
	}
	return current
}

// AdminLoginForm shows the sign-in form.
func (h *Handler) AdminLoginForm(c echo.Context) error {
	return render(c, http.StatusOK, views.AdminLogin(views.AdminLoginView{
		Page: h.adminPage(c, i18n.T(ctx(c), "admin.login.title")), CSRFToken: csrfToken(c),
	}))
}

// AdminLogin checks the password and starts a session under a new id, so
// a session id planted before sign-in is worthless after it. Every refusal
// (wrong password, unknown address, disabled account, throttled address)
// gets the same answer.
func (h *Handler) AdminLogin(c echo.Context) error {
	cx := ctx(c)
	email, password := strings.TrimSpace(c.FormValue("email")), c.FormValue("password")
	user, err := models.Authenticate(cx, h.db, email, password, h.signInKeys(c, email))
	if errors.Is(err, models.ErrBadCredentials) {
		h.log.Warn("staff sign-in refused", "request_id", requestID(c), "remote_ip", c.RealIP())
		return render(c, http.StatusUnauthorized, views.AdminLogin(views.AdminLoginView{
			Page: h.adminPage(c, i18n.T(cx, "admin.login.title")), Email: email, CSRFToken: csrfToken(c),
			Message: i18n.T(cx, "admin.login.failed", map[string]any{"N": models.MaxFailedSignIns, "Minutes": int(models.SignInLockout.Minutes())}),
		}))
	}
	if err != nil {
		return err
	}
	if err := h.startStaffSession(c, user.ID, user.SessionEpoch); err != nil {
		return err
	}
	h.log.Info("staff signed in", "request_id", requestID(c), "staff_id", user.ID)
	next := c.QueryParam("next")
	if !strings.HasPrefix(next, adminPrefix) || strings.HasPrefix(next, "//") {
		next = adminPrefix
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// startStaffSession gives the request's session a new id, the account and
// its session epoch, and a fresh form token: at sign-in, and when the
// session changes its own account's password.
func (h *Handler) startStaffSession(c echo.Context, staffID int64, epoch int) error {
	cx := ctx(c)
	if err := h.sessions.RenewToken(cx); err != nil {
		return err
	}
	h.sessions.Put(cx, staffIDKey, staffID)
	h.sessions.Put(cx, staffEpochKey, epoch)
	h.newStaffCSRFToken(c)
	return nil
}

// signInKeys are the keyed hashes sign-in throttling counts by: the
// address typed, lower-cased, and the client's network address.
func (h *Handler) signInKeys(c echo.Context, email string) models.SignInKeys {
	return models.SignInKeys{
		Account: h.keyedHash("sign-in-account", strings.ToLower(strings.TrimSpace(email))),
		Client:  h.keyedHash("client", clientNetwork(c.RealIP())),
	}
}

// AdminLogout ends the session.
func (h *Handler) AdminLogout(c echo.Context) error {
	if err := h.sessions.Destroy(ctx(c)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/login")
}

// AdminDashboard shows counts by type, drafts waiting and new inquiries.
func (h *Handler) AdminDashboard(c echo.Context) error {
	cx := ctx(c)
	counts, err := models.CountContent(cx, h.db)
	if err != nil {
		return err
	}
	v := views.AdminDashboardView{Page: h.adminPage(c, i18n.T(cx, "admin.nav.dashboard")), Nav: h.adminNav(c)}
	for _, ct := range counts {
		t, _ := contentTypeForTable(ct.Table)
		english, err := models.CountEnglishParity(cx, h.db, t.editable())
		if err != nil {
			return err
		}
		v.Counts = append(v.Counts, views.AdminCount{Label: i18n.T(cx, "kind."+t.Kind), Path: t.adminPath(),
			Published: ct.Published, Scheduled: ct.Scheduled, Drafts: ct.Drafts,
			EnglishMissing: english.Missing, EnglishStale: english.Stale, HasEnglish: len(t.englishPairs()) > 0})
	}
	recent, _, err := models.AuditEntries(cx, h.db, models.AuditQuery{EntityTypes: visibleAuditTypes(c), Inquiries: inquiryScope(c), Limit: 10})
	if err != nil {
		return err
	}
	if v.Changes, err = h.auditRows(cx, recent); err != nil {
		return err
	}
	if may(c, permWorkInquiries) {
		list, fresh, err := models.RecentInquiryList(cx, h.db, inquiryScope(c), 10)
		if err != nil {
			return err
		}
		v.ShowInquiry, v.NewInquiries, v.Inquiries = true, fresh, h.inquiryRows(c, list)
	}
	return render(c, http.StatusOK, views.AdminDashboard(v))
}

func (h *Handler) inquiryRows(c echo.Context, list []models.Inquiry) []views.AdminInquiryRow {
	cx := ctx(c)
	rows := make([]views.AdminInquiryRow, len(list))
	for i, in := range list {
		rows[i] = views.AdminInquiryRow{Reference: in.Reference, Received: views.DateTime(cx, in.CreatedAt),
			Name: in.Name, Company: in.Company, Stage: i18n.T(cx, "inquiry.stage."+in.Stage),
			Path: adminPrefix + "/inquiries/" + in.Reference}
	}
	return rows
}

// AdminPasswordForm shows the change-of-password form.
func (h *Handler) AdminPasswordForm(c echo.Context) error {
	return h.renderPasswordForm(c, http.StatusOK, nil, "")
}

func (h *Handler) renderPasswordForm(c echo.Context, status int, errs map[string]string, notice string) error {
	cx := ctx(c)
	return render(c, status, views.AdminPassword(views.AdminPasswordView{
		Page: h.adminPage(c, i18n.T(cx, "admin.password.title")), Nav: h.adminNav(c),
		Errors: errs, Notice: notice, MinChars: models.MinPasswordRunes,
	}))
}

// AdminChangePassword changes the signed-in account's own password, ends
// its other sessions and renews this one's id.
func (h *Handler) AdminChangePassword(c echo.Context) error {
	cx := ctx(c)
	current, next, confirm := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	min := map[string]any{"Min": models.MinPasswordRunes}
	if next != confirm {
		return h.renderPasswordForm(c, http.StatusUnprocessableEntity, map[string]string{"confirm": i18n.T(cx, "admin.password.mismatch")}, "")
	}
	u := currentStaff(c)
	epoch, err := models.ChangePassword(cx, h.db, u.ID, h.sessions.GetInt(cx, staffEpochKey), current, next, h.signInKeys(c, u.Email))
	switch {
	case errors.Is(err, models.ErrSessionEnded):
		// The account was reset or changed meanwhile: this session is over.
		if err := h.sessions.Destroy(cx); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, adminPrefix+"/login")
	case errors.Is(err, models.ErrBadCredentials):
		return h.renderPasswordForm(c, http.StatusUnprocessableEntity, map[string]string{"current": i18n.T(cx, "admin.password.wrong")}, "")
	case errors.Is(err, models.ErrWeakPassword):
		return h.renderPasswordForm(c, http.StatusUnprocessableEntity, map[string]string{"new": i18n.T(cx, "admin.password.weak", min)}, "")
	case err != nil:
		return err
	}
	// Every other session of the account ends; this one goes on under a new id.
	if err := h.startStaffSession(c, u.ID, epoch); err != nil {
		return err
	}
	return h.renderPasswordForm(c, http.StatusOK, nil, i18n.T(cx, "admin.password.changed"))
}
