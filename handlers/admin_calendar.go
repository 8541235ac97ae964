package handlers

import "github.com/labstack/echo/v4"

// AdminCalendar lists the working calendar's overrides with a form to add one.
func (h *Handler) AdminCalendar(c echo.Context) error { return echo.ErrNotFound }

// AdminSaveCalendarDay sets whether a date is a working day.
func (h *Handler) AdminSaveCalendarDay(c echo.Context) error { return echo.ErrNotFound }

// AdminDeleteCalendarDay removes an override: the official schedule applies again.
func (h *Handler) AdminDeleteCalendarDay(c echo.Context) error { return echo.ErrNotFound }
