package handlers

import (
	"net"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"
)

// The portal speaks plain HTTP, so in production it sits behind a reverse
// proxy that terminates TLS. Then every connection comes from the proxy,
// and the visitor's own address (which rate limits and sign-in throttling
// count by) is in X-Forwarded-For. A header is anyone's to write, so it is
// believed only when the connection comes from a proxy the operator named
// (PORTAL_TRUSTED_PROXIES), and never otherwise.

// clientAddressOf returns how the router finds a request's client address:
// the connection's own, or, from a trusted proxy, the nearest address in
// X-Forwarded-For that is not itself a trusted proxy. Echo's defaults would
// trust every loopback, link-local and private address: they are off.
func clientAddressOf(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// requestIDPattern is what an accepted X-Request-ID looks like: nginx's
// $request_id (32 hex digits) and similar tokens, nothing that could carry
// markup or break a log line.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$`)

// requestIDFromTrustedProxy drops an incoming X-Request-ID unless a trusted
// proxy sent it and it is well formed, so that the id Echo's RequestID
// middleware keeps (or makes) and the audit log records is never chosen by
// a visitor. It runs before routing.
func requestIDFromTrustedProxy(trusted []*net.IPNet) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if id := r.Header.Get(echo.HeaderXRequestID); id != "" && !(fromTrusted(r, trusted) && requestIDPattern.MatchString(id)) {
				r.Header.Del(echo.HeaderXRequestID)
			}
			return next(c)
		}
	}
}

// fromTrusted reports whether the connection itself comes from a trusted proxy.
func fromTrusted(r *http.Request, trusted []*net.IPNet) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	for _, n := range trusted {
		if ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// clientNetwork is what limits and throttles count a client address as:
// an IPv4 address itself, and an IPv6 address by its /64, the smallest
// network a home or office line is given, so that one line cannot take a
// fresh address for every try.
func clientNetwork(address string) string {
	ip := net.ParseIP(address)
	if ip == nil || ip.To4() != nil {
		return address
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}
