package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"investportal/models"
	"investportal/views"
	"investportal/views/i18n"
)

// AdminUsers lists the accounts.
func (h *Handler) AdminUsers(c echo.Context) error {
	cx := ctx(c)
	list, err := models.ListStaffUsers(cx, h.db)
	if err != nil {
		return err
	}
	keys := make([][]byte, len(list))
	for i, u := range list {
		keys[i] = h.signInKeys(c, u.Email).Account
	}
	locked, err := models.LockedSignIns(cx, h.db, keys)
	if err != nil {
		return err
	}
	v := views.AdminUsersView{Page: h.adminPage(c, i18n.T(cx, "admin.users.title")), Nav: h.adminNav(c)}
	for i, u := range list {
		row := views.AdminUserRow{Name: u.Name, Email: u.Email, Role: i18n.T(cx, "admin.role."+u.Role),
			Path: adminPrefix + "/users/" + strconv.FormatInt(u.ID, 10), State: i18n.T(cx, "admin.users.active"),
			LastSignIn: "—"}
		switch {
		case u.DisabledAt != nil:
			row.State = i18n.T(cx, "admin.users.disabled")
		case locked[string(keys[i])] > 0:
			row.State = i18n.T(cx, "admin.users.locked", map[string]any{"N": locked[string(keys[i])]})
		}
		if u.LastSignInAt != nil {
			row.LastSignIn = views.DateTime(cx, *u.LastSignInAt)
		}
		v.Users = append(v.Users, row)
	}
	return render(c, http.StatusOK, views.AdminUsers(v))
}

// AdminNewUser shows the form for a new account.
func (h *Handler) AdminNewUser(c echo.Context) error {
	return h.renderUserForm(c, http.StatusOK, models.StaffUser{Role: models.RoleEditor}, nil, "")
}

func (h *Handler) renderUserForm(c echo.Context, status int, u models.StaffUser, errs fieldErrors, notice string) error {
	cx := ctx(c)
	v := views.AdminUserFormView{Nav: h.adminNav(c), Email: u.Email, Name: u.Name, Disabled: u.DisabledAt != nil,
		Notice: notice, Errors: map[string]string{}, IsNew: u.ID == 0, Action: adminPrefix + "/users"}
	for name, e := range errs {
		v.Errors[name] = i18n.T(cx, e.ID, e.Data)
	}
	for _, r := range models.StaffRoles {
		v.Roles = append(v.Roles, views.Option{Value: r, Label: i18n.T(cx, "admin.role."+r) + ":" + i18n.T(cx, "admin.role_help."+r), Selected: r == u.Role})
	}
	if u.ID == 0 {
		v.Heading = i18n.T(cx, "admin.users.new")
	} else {
		v.Heading = u.Name
		v.Action += "/" + strconv.FormatInt(u.ID, 10)
		v.HistoryPath = "/admin/audit?type=staff_users"
	}
	v.Page = h.adminPage(c, v.Heading)
	return render(c, status, views.AdminUserForm(v))
}

// readUserForm checks the account form's fields.
func readUserForm(c echo.Context) (email, name, role string, errs fieldErrors) {
	errs = fieldErrors{}
	email, name, role = strings.TrimSpace(c.FormValue("email")), strings.TrimSpace(c.FormValue("name")), c.FormValue("role")
	if err := checkText(name, 100, true, false); err != nil {
		errs["name"] = *err
	}
	if !slices.Contains(models.StaffRoles, role) {
		errs["role"] = fieldError{ID: "form.err.choice"}
	}
	return email, name, role, errs
}

// AdminCreateUser creates an account and shows its password once.
func (h *Handler) AdminCreateUser(c echo.Context) error {
	cx := ctx(c)
	email, name, role, errs := readUserForm(c)
	if err := checkText(email, 254, true, false); err != nil {
		errs["email"] = *err
	} else if parsed, ok := parseEmail(email); !ok {
		errs["email"] = fieldError{ID: "form.err.email"}
	} else {
		email = parsed
	}
	typed := models.StaffUser{Email: email, Name: name, Role: role}
	if len(errs) > 0 {
		return h.renderUserForm(c, http.StatusUnprocessableEntity, typed, errs, "")
	}
	u, password, err := models.AddStaffUser(cx, h.db, email, name, role, actor(c))
	if errors.Is(err, models.ErrEmailTaken) {
		return h.renderUserForm(c, http.StatusUnprocessableEntity, typed, fieldErrors{"email": {ID: "admin.users.email_taken"}}, "")
	} else if err != nil {
		return err
	}
	return h.renderNewPassword(c, u, password)
}

// renderNewPassword shows a new password once; the page is not cached.
func (h *Handler) renderNewPassword(c echo.Context, u models.StaffUser, password string) error {
	cx := ctx(c)
	return render(c, http.StatusOK, views.AdminNewPassword(views.AdminNewPasswordView{
		Page: h.adminPage(c, i18n.T(cx, "admin.users.password_title")), Nav: h.adminNav(c),
		Name: u.Name, Email: u.Email, Password: password, Back: adminPrefix + "/users/" + strconv.FormatInt(u.ID, 10),
	}))
}

func (h *Handler) userParam(c echo.Context) (models.StaffUser, error) {
	id, err := idParam(c)
	if err != nil {
		return models.StaffUser{}, err
	}
	u, err := models.StaffUserByID(ctx(c), h.db, id)
	if errors.Is(err, models.ErrNotFound) {
		return u, echo.ErrNotFound
	}
	return u, err
}

// AdminEditUser shows an account's form.
func (h *Handler) AdminEditUser(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	notice := ""
	if c.QueryParam("saved") != "" {
		notice = i18n.T(ctx(c), "admin.saved")
	}
	return h.renderUserForm(c, http.StatusOK, u, nil, notice)
}

// AdminUpdateUser changes an account's name, role or state.
func (h *Handler) AdminUpdateUser(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	_, name, role, errs := readUserForm(c)
	disabled := c.FormValue("disabled") != ""
	typed := u
	typed.Name, typed.Role = name, role
	if disabled {
		now := time.Now()
		typed.DisabledAt = &now
	} else {
		typed.DisabledAt = nil
	}
	if len(errs) > 0 {
		return h.renderUserForm(c, http.StatusUnprocessableEntity, typed, errs, "")
	}
	err = models.UpdateStaffUser(ctx(c), h.db, u.ID, models.StaffChange{Name: name, Role: role, Disabled: disabled}, actor(c))
	switch {
	case errors.Is(err, models.ErrOwnAccountLock):
		return h.renderUserForm(c, http.StatusUnprocessableEntity, typed, fieldErrors{"role": {ID: "admin.users.own_account"}}, "")
	case errors.Is(err, models.ErrLastAdmin):
		return h.renderUserForm(c, http.StatusUnprocessableEntity, typed, fieldErrors{"role": {ID: "admin.users.last_admin"}}, "")
	case errors.Is(err, models.ErrNoChange):
		return h.renderUserForm(c, http.StatusOK, u, nil, i18n.T(ctx(c), "admin.unchanged"))
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, adminPrefix+"/users/"+strconv.FormatInt(u.ID, 10)+"?saved=1")
}

// AdminResetPassword gives an account a new password, shown once; its
// sessions end and its sign-in locks are lifted.
func (h *Handler) AdminResetPassword(c echo.Context) error {
	u, err := h.userParam(c)
	if err != nil {
		return err
	}
	password, epoch, err := models.ResetStaffPassword(ctx(c), h.db, u.ID, h.signInKeys(c, u.Email).Account, actor(c))
	if err != nil {
		return err
	}
	if u.ID == currentStaff(c).ID {
		// Administrators resetting their own password keep this session.
		if err := h.startStaffSession(c, u.ID, epoch); err != nil {
			return err
		}
	}
	return h.renderNewPassword(c, u, password)
}
