package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// Contact is the site-wide way to reach a person: the general inquiry
// form, what happens after it is sent, and the named officers of every
// region, park and industry chain.
func (h *Handler) Contact(c echo.Context) error {
	cx := ctx(c)
	days := h.inquiries.Desk.ResponseDays
	v := views.ContactView{
		Page:         h.page(c, "contact", i18n.T(cx, "contact.page.title"), i18n.T(cx, "contact.page.lead", map[string]any{"Days": days})),
		ResponseDays: days,
	}
	contacts, err := models.ContactDirectory(cx, h.reads(cx))
	if err != nil {
		return err
	}
	for _, pc := range contacts {
		kindPath := kindPaths[pc.PlaceKind] + pc.PlaceSlug
		if n := len(v.Groups); n == 0 || v.Groups[n-1].Place.Path != kindPath {
			name, _ := i18n.Content(cx, pc.PlaceName, pc.PlaceNameEn)
			v.Groups = append(v.Groups, views.ContactGroup{Place: views.LinkItem{Path: kindPath, Name: name, Meta: i18n.T(cx, "kind."+pc.PlaceKind)}})
		}
		g := &v.Groups[len(v.Groups)-1]
		g.Contacts = append(g.Contacts, contactCard(cx, pc.Contact))
	}
	return render(c, http.StatusOK, views.ContactPage(v))
}
