package handlers

import (
	"context"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"investportal/models"
)

// readDBKey holds, in a request's context, the database a public page
// reads.
type readDBKey struct{}

// publicReads lets an anonymous visitor's public page read from a replica
// that is current (models.Replicas); signed-in staff, and every other
// route, read the primary. If the replica fails under the page, it is
// marked down and the page is read again from the primary: a visitor
// never sees a replica's failure.
func (h *Handler) publicReads(next echo.HandlerFunc) echo.HandlerFunc {
	if h.replicas == nil {
		return next
	}
	return func(c echo.Context) error {
		req := c.Request()
		if h.pages.forStaff(req) {
			return next(c)
		}
		readCtx, db, name := h.replicas.ForPublicPage(req.Context())
		if name == "" {
			return next(c)
		}
		c.SetRequest(req.WithContext(context.WithValue(readCtx, readDBKey{}, db)))
		err := next(c)
		if err != nil && models.Unavailable(err) && !c.Response().Committed && req.Context().Err() == nil {
			h.replicas.Failed(name, err)
			c.SetRequest(req)
			return next(c)
		}
		return err
	}
}

// reads is the database a handler reads from: the one publicReads chose,
// or the primary.
func (h *Handler) reads(cx context.Context) *gorm.DB {
	if db, ok := cx.Value(readDBKey{}).(*gorm.DB); ok {
		return db
	}
	return h.db
}
