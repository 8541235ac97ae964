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
// route, read the primary. If the replica goes away under the page, it
// is marked down and the page is read again from the primary: a visitor
// never sees a replica's failure. A statement the standby cancelled to go
// on replaying is read again from the primary too.
func (h *Handler) publicReads(next echo.HandlerFunc) echo.HandlerFunc {
	if h.replicas == nil {
		return next
	}
	return func(c echo.Context) error {
		req := c.Request()
		if h.pages.forStaff(req) {
			return next(c)
		}
		readCtx, db, chosen := h.replicas.ForPublicPage(req.Context())
		if chosen < 0 {
			return next(c)
		}
		c.SetRequest(req.WithContext(context.WithValue(readCtx, readDBKey{}, db)))
		err := next(c)
		if err == nil || c.Response().Committed || req.Context().Err() != nil {
			return err
		}
		down, again := models.ReplicaFailure(err)
		if down {
			h.replicas.Failed(chosen, err)
		}
		if again {
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
