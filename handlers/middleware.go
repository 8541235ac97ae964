package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
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
				slog.String("uri", redactStatusToken(v.URI)),
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

// statusTokenInPath finds an investor's status token in a request path.
var statusTokenInPath = regexp.MustCompile(`(/inquiries/status/)[^/?#]+`)

// redactStatusToken keeps investors' private links out of the logs: the
// token is as good as a password to their inquiry.
func redactStatusToken(uri string) string {
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
