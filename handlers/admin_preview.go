package handlers

import (
	"github.com/labstack/echo/v4"

	"investportal/models"
)

// contentPreview shows a record, draft or scheduled, exactly as its public
// page will: the public handler runs with this one record let through.
func (h *Handler) contentPreview(t contentType) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := h.loadContent(c, t, false)
		if err != nil {
			return err
		}
		req := c.Request()
		c.SetRequest(req.WithContext(models.WithPreview(req.Context(), t.Table, r.ID)))
		c.SetParamNames("slug")
		c.SetParamValues(r.Values["slug"])
		return h.publicPage(t)(c)
	}
}

// publicPage is the handler of a content type's public page.
func (h *Handler) publicPage(t contentType) echo.HandlerFunc {
	switch t.Key {
	case "regions":
		return h.ShowRegion
	case "parks":
		return h.ShowPark
	case "chains":
		return h.ShowChain
	case "policies":
		return h.ShowPolicy
	case "events":
		return h.ShowEvent
	case "projects":
		return h.ShowProject
	case "reported-statistics":
		return h.ShowReportedStatisticRegion
	default:
		return h.ShowNews
	}
}
