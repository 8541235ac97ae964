package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"investportal/models"
)

// Healthz answers while the process is up, whatever the database does, so
// that an orchestrator restarts only a process that is really stuck.
func (h *Handler) Healthz(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// Readyz answers 200 only while the database answers, so that a load
// balancer sends no visitors to an instance that cannot serve them.
func (h *Handler) Readyz(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := models.Ping(ctx, h.db); err != nil {
		h.log.Warn("readiness check failed", "request_id", requestID(c), "err", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
