package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/sync/errgroup"

	"investportal/models"
)

// Healthz answers while the process is up, whatever the database does, so
// that an orchestrator restarts only a process that is really stuck.
func (h *Handler) Healthz(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.String(http.StatusOK, "ok\n")
}

// readiness is what /readyz reports of each part: "ok", "down", and for
// a replica "behind" (it answers, but has not replayed the latest content
// change this instance knows of, so the primary serves its reads). Names,
// addresses and errors are logged, not shown: the endpoint is public.
type readiness struct {
	Primary  string   `json:"primary"`
	Replicas []string `json:"replicas,omitempty"`
	Store    string   `json:"store"`
}

// Readyz answers 200 only while the primary database answers, so that a
// load balancer sends no visitors to an instance that cannot serve them.
// A replica or the upload store being down is reported but does not make
// the instance unready: pages are still served (uploads are refused, and
// the primary takes the replica's reads), and every instance shares them.
//
// Requests that come while a check runs share its answer, so that a flood
// of /readyz asks the database and the store once at a time.
func (h *Handler) Readyz(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	answer, _, _ := h.ready.Do("", func() (any, error) {
		report, status := h.checkReadiness(requestID(c))
		return readyAnswer{report, status}, nil
	})
	a := answer.(readyAnswer)
	return c.JSON(a.status, a.report)
}

type readyAnswer struct {
	report readiness
	status int
}

// checkReadiness asks each part, on a context of its own: the answer is
// shared with requests other than the one that asked.
func (h *Handler) checkReadiness(requestID string) (readiness, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	report, status := readiness{Primary: "ok", Store: "ok"}, http.StatusOK
	var checks errgroup.Group
	checks.Go(func() error {
		if err := models.Ping(ctx, h.db); err != nil {
			h.log.Warn("readiness: the primary database does not answer", "request_id", requestID, "err", err)
			report.Primary, status = "down", http.StatusServiceUnavailable
		}
		return nil
	})
	checks.Go(func() error {
		if h.uploads == nil {
			report.Store = "none"
		} else if err := h.uploads.Check(ctx); err != nil {
			h.log.Warn("readiness: the upload store does not answer", "request_id", requestID, "err", err)
			report.Store = "down"
		}
		return nil
	})
	_ = checks.Wait()
	known, knownOK := h.watch.State().Version()
	for _, r := range h.replicas.Status() {
		switch {
		case !r.Up:
			report.Replicas = append(report.Replicas, "down")
		case !knownOK || r.Version < known:
			report.Replicas = append(report.Replicas, "behind")
		default:
			report.Replicas = append(report.Replicas, "ok")
		}
	}
	return report, status
}
