package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// userError is an error whose message is written for the visitor, such as
// which filter value was not understood.
type userError struct {
	status  int
	message string
}

func (e *userError) Error() string { return e.message }

// badRequest answers 400 with a message that says what was wrong.
func badRequest(message string) error {
	return &userError{status: http.StatusBadRequest, message: message}
}

// knownErrorStatus lists the statuses with their own words in the catalog.
var knownErrorStatus = map[int]bool{400: true, 403: true, 404: true, 405: true, 413: true, 429: true, 500: true, 503: true}

// handleError is Echo's one error handler: it maps any error to a status,
// logs server-side failures with the request id, and renders the error page.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	left, _ := c.Get(visitorLeftKey).(bool)
	if left || errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		// The visitor went away mid-request (closed the tab, a load test
		// stopping): nobody reads the answer, and it is not a server fault,
		// whatever the error says (a statement cut short may end as "bad
		// connection" rather than as cancelled).
		c.Response().Status = 499 // for the request log only: nginx's "client closed request"
		h.log.Info("client went away", "request_id", requestID(c), "method", c.Request().Method,
			"uri", loggableURI(c.Request().RequestURI), "err", err)
		return
	}
	status := http.StatusInternalServerError
	var httpErr *echo.HTTPError
	var userErr *userError
	switch {
	case errors.As(err, &userErr):
		status = userErr.status
	case errors.As(err, &httpErr):
		status = httpErr.Code
	case errors.Is(err, models.ErrNotFound):
		status = http.StatusNotFound
	case models.Unavailable(err):
		status = http.StatusServiceUnavailable
	}
	if status == http.StatusServiceUnavailable {
		c.Response().Header().Set("Retry-After", "30")
	}
	if status >= 500 {
		h.log.Error("request failed", "request_id", requestID(c), "method", c.Request().Method,
			"uri", loggableURI(c.Request().RequestURI), "status", status, "err", err)
	}
	// Unmatched URLs never ran a route's language middleware: take the
	// language from the path so a 404 under /en/ is in English.
	lang, _ := i18n.FromPath(c.Request().URL.Path)
	setLang(c, lang)
	heading, message := http.StatusText(status), ""
	if knownErrorStatus[status] {
		key := "error." + strconv.Itoa(status)
		heading, message = i18n.T(ctx(c), key), i18n.T(ctx(c), key+".text")
	}
	if userErr != nil {
		message = userErr.message
	}
	page := views.ErrorPage(views.ErrorView{
		Page:      views.Page{Title: heading, NoIndex: true},
		Status:    status,
		Heading:   heading,
		Message:   message,
		RequestID: requestID(c),
	})
	// The request's deadline (middleware.go) is cancelled once the route
	// returns, before Echo calls this handler: the page is rendered without
	// it, or every error page would fall back to plain text.
	c.SetRequest(c.Request().WithContext(context.WithoutCancel(c.Request().Context())))
	if renderErr := render(c, status, page); renderErr != nil {
		h.log.Error("error page failed to render", "request_id", requestID(c), "err", renderErr)
		_ = c.String(status, heading)
	}
}
