package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
)

// errorText is what a visitor reads for each status: plain words, never
// the internal error.
var errorText = map[int][2]string{
	http.StatusBadRequest:            {"请求有误", "请求中的参数无法识别,请检查后重试。"},
	http.StatusForbidden:             {"没有访问权限", "您没有权限访问此页面。"},
	http.StatusNotFound:              {"页面不存在", "您访问的页面不存在或已被移除。"},
	http.StatusMethodNotAllowed:      {"不支持的请求方式", "此页面不支持该请求方式。"},
	http.StatusRequestEntityTooLarge: {"提交内容过大", "提交的内容超过了允许的大小,请精简后重试。"},
	http.StatusTooManyRequests:       {"请求过于频繁", "请稍后再试。"},
	http.StatusServiceUnavailable:    {"服务暂时不可用", "系统正在维护或数据库暂时无法访问,请稍后再试。"},
	http.StatusInternalServerError:   {"服务器出错了", "我们已记录此问题,请稍后再试。"},
}

// handleError is Echo's one error handler: it maps any error to a status,
// logs server-side failures with the request id, and renders the error page.
func (h *Handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	var httpErr *echo.HTTPError
	switch {
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
			"uri", c.Request().RequestURI, "status", status, "err", err)
	}
	text, ok := errorText[status]
	if !ok {
		text = [2]string{http.StatusText(status), ""}
	}
	page := views.ErrorPage(views.ErrorView{
		Page:      views.Page{Title: text[0]},
		Status:    status,
		Heading:   text[0],
		Message:   text[1],
		RequestID: requestID(c),
	})
	if renderErr := render(c, status, page); renderErr != nil {
		h.log.Error("error page failed to render", "request_id", requestID(c), "err", renderErr)
		_ = c.String(status, text[0])
	}
}
