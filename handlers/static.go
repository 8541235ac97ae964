package handlers

import (
	"github.com/labstack/echo/v4"

	"investportal/static"
)

// StaticFile serves an embedded asset by its content-hashed name.
func (h *Handler) StaticFile(c echo.Context) error {
	if !static.Default.Serve(c.Response(), c.Request()) {
		return echo.ErrNotFound
	}
	return nil
}
