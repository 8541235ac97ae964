package handlers

import "github.com/labstack/echo/v4"

// DecodeMemory lets the tests compare the estimate with what decoders
// really allocate.
var DecodeMemory = decodeMemory

// NewWithPageCache is New, with a look at how much the page cache holds.
func NewWithPageCache(d Deps) (router *echo.Echo, weight func() uint64) {
	h, e := build(d)
	return e, h.pages.entries.WeightedSize
}
