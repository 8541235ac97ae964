package handlers

import "github.com/labstack/echo/v4"

// AdminDeskDashboard is the pipeline dashboard for a chosen period.
func (h *Handler) AdminDeskDashboard(c echo.Context) error { return echo.ErrNotFound }
