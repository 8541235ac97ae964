package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"investportal/models"
	"investportal/views/i18n"
)

// Request body limits and the form-post rate, per client address.
const (
	siteBodyLimitSize  = "1M"  // any request
	inquiryBodyLimit   = "64K" // the investor's forms
	formAttemptsPerMin = 20    // posts of a form per address and minute, valid or not, counted in PostgreSQL
)

// contentSecurityPolicy allows only the portal's own files: no inline script,
// no inline style, no framing by other sites.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the strict headers every response carries. HSTS is
// added by Echo only when the request came over HTTPS.
func securityHeaders() echo.MiddlewareFunc {
	secure := middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0", // the legacy filter causes more harm than good; CSP replaces it
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            31536000,
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "strict-origin-when-cross-origin",
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withSecure := secure(next)
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
			return withSecure(c)
		}
	}
}

// requestDeadline gives each request's context a deadline, so that a
// request waiting for a free database connection or a slow statement is
// answered with a 503 in time rather than holding its client until the
// server's write timeout cuts it off.
func requestDeadline(timeout time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if timeout <= 0 {
			return next
		}
		return func(c echo.Context) error {
			visitor := c.Request().Context()
			cx, cancel := context.WithTimeout(visitor, timeout)
			defer cancel()
			c.SetRequest(c.Request().WithContext(cx))
			err := next(c)
			// Checked before cancel() makes every request's context look
			// cancelled. Only errors the visitor's leaving can cause: an
			// SQL error or a bug is still logged as one.
			if err != nil && errors.Is(visitor.Err(), context.Canceled) && (errors.Is(err, context.Canceled) || models.Unavailable(err)) {
				c.Set(visitorLeftKey, true)
			}
			return err
		}
	}
}

// visitorLeftKey marks, in the Echo context, a request whose statement
// was cut short because its visitor went away.
const visitorLeftKey = "visitor-left"

// requestLogger writes one structured line per request, with its id.
func (h *Handler) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:    true,
		LogMethod:    true,
		LogURI:       true,
		LogLatency:   true,
		LogRequestID: true,
		LogRemoteIP:  true,
		LogError:     true,
		HandleError:  true, // let the error handler set the status before logging it
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			h.metrics.observe(c.Path(), v.Method, v.Status, v.Latency)
			level := slog.LevelInfo
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case v.Status >= 400:
				level = slog.LevelWarn
			}
			attrs := []slog.Attr{
				slog.String("request_id", v.RequestID),
				slog.String("method", v.Method),
				slog.String("uri", loggableURI(v.URI)),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("remote_ip", v.RemoteIP),
			}
			if v.Error != nil {
				attrs = append(attrs, slog.String("err", v.Error.Error()))
			}
			h.log.LogAttrs(context.Background(), level, "request", attrs...)
			return nil
		},
	})
}

// statusTokenInPath finds an investor's status token in a request path;
// briefTokens find a brief's token, the only key to it, in a path or in
// the inquiry form's query.
var (
	statusTokenInPath = regexp.MustCompile(`(/inquiries/status/)[^/?#]+`)
	briefTokens       = regexp.MustCompile(`(/briefs/|[?&]brief=)[A-Za-z0-9_-]{22}\b`)
)

// loggableURI is a request URI as the logs may keep it. An investor's
// status token is as good as a password to their inquiry: it is replaced.
// Admin query strings can hold personal data (a search for an investor's
// e-mail address, a phone number): they are dropped.
func loggableURI(uri string) string {
	if path, _, found := strings.Cut(uri, "?"); found && (path == adminPrefix || strings.HasPrefix(path, adminPrefix+"/")) {
		uri = path + "?[dropped]"
	}
	uri = briefTokens.ReplaceAllString(uri, "${1}[redacted]")
	return statusTokenInPath.ReplaceAllString(uri, "${1}[redacted]")
}

// logPanic logs a recovered panic with its stack; the error then reaches the
// error handler, which answers with the 500 page.
func (h *Handler) logPanic(c echo.Context, err error, stack []byte) error {
	h.log.Error("panic", "request_id", requestID(c), "err", err, "stack", string(stack))
	return fmt.Errorf("panic: %w", err)
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// csrfProtection guards the public forms and staff sign-in: a token in a
// cookie that the form must repeat, or a browser's Sec-Fetch-Site saying
// the request came from this site. Over HTTPS the cookie carries the
// __Host- prefix, which browsers accept only when it is Secure, for path /
// and for no Domain, so that no sibling subdomain can plant one.
func (h *Handler) csrfProtection() echo.MiddlewareFunc {
	name := "_csrf"
	if h.secureCookies {
		name = "__Host-csrf"
	}
	return middleware.CSRFWithConfig(middleware.CSRFConfig{ // #nosec G101 -- names of the token's field and cookie, no credential
		TokenLookup:    "form:_csrf",
		CookieName:     name,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   h.secureCookies,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			h.log.Warn("form refused: CSRF check failed", "request_id", requestID(c), "err", err)
			return &userError{status: http.StatusForbidden, message: i18n.T(ctx(c), "inquiry.csrf")}
		},
	})
}

// csrfSessionKey holds a staff session's form token.
const csrfSessionKey = "csrf"

// staffCSRF guards the admin's forms with a token kept in the staff
// session itself (made at sign-in), not in a cookie of its own: a token
// planted from elsewhere never matches, and signing out ends it. It runs
// after requireStaff, so the body is read only for a known member of staff.
func (h *Handler) staffCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		cx := ctx(c)
		token := h.sessions.GetString(cx, csrfSessionKey)
		if token == "" {
			token = h.newStaffCSRFToken(c)
		}
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead:
		default:
			if subtle.ConstantTimeCompare([]byte(c.FormValue("_csrf")), []byte(token)) != 1 {
				h.log.Warn("admin form refused: CSRF token missing or wrong", "request_id", requestID(c))
				return &userError{status: http.StatusForbidden, message: i18n.T(cx, "admin.csrf")}
			}
		}
		c.Set("csrf", token)
		return next(c)
	}
}

// newStaffCSRFToken gives the staff session a fresh form token, as at
// sign-in, and returns it.
func (h *Handler) newStaffCSRFToken(c echo.Context) string {
	token := rand.Text()
	h.sessions.Put(ctx(c), csrfSessionKey, token)
	c.Set("csrf", token)
	return token
}

// formAttemptLimit bounds the posts of a form from one client network
// (an IPv6 client by its /64) to formAttemptsPerMin a minute, before the
// body is read, so that nobody can hammer validation or the database;
// stored inquiries have their own, stricter limits. The count is kept in
// PostgreSQL, so that every instance counts the same posts (a fixed
// minute: a burst across the turn of a minute may reach twice the limit).
// A count kept in memory comes first, so that a flood is turned away by
// each instance without a write per post; and if the shared count cannot
// be written the post goes on: it needs the database itself, and will
// say so.
func (h *Handler) formAttemptLimit() echo.MiddlewareFunc {
	deny := func(c echo.Context, _ string, _ error) error {
		c.Response().Header().Set("Retry-After", strconv.Itoa(61-time.Now().Second()))
		return &userError{status: http.StatusTooManyRequests, message: i18n.T(ctx(c), "error.429.text")}
	}
	client := func(c echo.Context) (string, error) { return c.Path() + "\x00" + clientNetwork(c.RealIP()), nil }
	local := middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(formAttemptsPerMin / 60.0), Burst: formAttemptsPerMin, ExpiresIn: 10 * time.Minute,
		}),
		IdentifierExtractor: client,
		DenyHandler:         deny,
	})
	shared := middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               sharedAttempts{h},
		IdentifierExtractor: client,
		DenyHandler:         deny,
	})
	return func(next echo.HandlerFunc) echo.HandlerFunc { return local(shared(next)) }
}

// sharedAttempts is Echo's rate limiter store, counted in PostgreSQL.
type sharedAttempts struct{ h *Handler }

func (s sharedAttempts) Allow(client string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	attempts, err := models.CountFormAttempt(ctx, s.h.db, hex.EncodeToString(s.h.keyedHash("form-attempts", client)))
	if err != nil {
		s.h.log.Warn("form attempts not counted", "err", err)
		return true, nil
	}
	return attempts <= formAttemptsPerMin, nil
}

func csrfToken(c echo.Context) string {
	token, _ := c.Get("csrf").(string)
	return token
}

// privatePage keeps a page holding personal data out of caches, referrers
// and search engines.
func privatePage(c echo.Context) {
	hd := c.Response().Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Robots-Tag", "noindex")
}

// isUpload tells the image upload apart, which may be larger than any
// other request.
func isUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == adminPrefix+"/uploads"
}

// siteBodyLimit caps every request body at 1 MB, and an image upload at
// its own limit. It runs after routing, so it knows the route.
func siteBodyLimit() echo.MiddlewareFunc {
	site, upload := middleware.BodyLimit(siteBodyLimitSize), middleware.BodyLimit(uploadBodyLimit)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		siteNext, uploadNext := site(next), upload(next)
		return func(c echo.Context) error {
			if isUpload(c) {
				return uploadNext(c)
			}
			return siteNext(c)
		}
	}
}

func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "no-store")
		c.Response().Header().Set("X-Robots-Tag", "noindex")
		return next(c)
	}
}
