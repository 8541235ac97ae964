package models_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"investportal/models"
	"investportal/models/dbtest"
)

func TestStaffSignInThrottlesAndLocks(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	u, err := models.CreateStaffUser(ctx, db, "Editor@Bureau.example", "编辑", models.RoleEditor, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(u.PasswordHash, "correct") || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("password stored as %q", u.PasswordHash)
	}
	if _, err := models.Authenticate(ctx, db, "editor@bureau.example", "correct horse battery"); err != nil {
		t.Fatalf("right password, any case of e-mail: %v", err)
	}
	if _, err := models.Authenticate(ctx, db, "nobody@bureau.example", "correct horse battery"); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("unknown e-mail: %v", err)
	}
	for i := 1; i < models.MaxFailedSignIns; i++ {
		if _, err := models.Authenticate(ctx, db, "editor@bureau.example", "wrong"); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("wrong password %d: %v", i, err)
		}
	}
	// The fifth wrong password locks the account: now even the right one fails.
	models.Authenticate(ctx, db, "editor@bureau.example", "wrong")
	if _, err := models.Authenticate(ctx, db, "editor@bureau.example", "correct horse battery"); !errors.Is(err, models.ErrAccountLocked) {
		t.Errorf("after %d wrong passwords: %v, want locked", models.MaxFailedSignIns, err)
	}
	// When the lock runs out, the right password works and clears the count.
	dbtest.MustExec(t, db, "UPDATE staff_users SET locked_until = now() - interval '1 second'")
	if _, err := models.Authenticate(ctx, db, "editor@bureau.example", "correct horse battery"); err != nil {
		t.Errorf("after the lock: %v", err)
	}
	// Disabled accounts cannot sign in.
	dbtest.MustExec(t, db, "UPDATE staff_users SET disabled_at = now()")
	if _, err := models.Authenticate(ctx, db, "editor@bureau.example", "correct horse battery"); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("disabled account: %v", err)
	}
	if _, err := models.CreateStaffUser(ctx, db, "x@bureau.example", "x", models.RoleViewer, "short"); !errors.Is(err, models.ErrWeakPassword) {
		t.Errorf("short password: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	u, _ := models.CreateStaffUser(ctx, db, "a@bureau.example", "a", models.RoleAdmin, "first password here")
	if err := models.ChangePassword(ctx, db, u.ID, "not it", "second password here"); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("wrong current password: %v", err)
	}
	if err := models.ChangePassword(ctx, db, u.ID, "first password here", "short"); !errors.Is(err, models.ErrWeakPassword) {
		t.Errorf("weak new password: %v", err)
	}
	if err := models.ChangePassword(ctx, db, u.ID, "first password here", "second password here"); err != nil {
		t.Fatal(err)
	}
	if _, err := models.Authenticate(ctx, db, "a@bureau.example", "second password here"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := models.Authenticate(ctx, db, "a@bureau.example", "first password here"); err == nil {
		t.Error("old password still works")
	}
}

func TestTheLastAdministratorStaysOne(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	admin, err := models.CreateStaffUser(ctx, db, "only@bureau.example", "唯一管理员", models.RoleAdmin, "a long test password")
	if err != nil {
		t.Fatal(err)
	}
	// Another administrator demoted meanwhile, so no active one would remain.
	for _, change := range []models.StaffChange{{Name: "唯一管理员", Role: models.RoleEditor}, {Name: "唯一管理员", Role: models.RoleAdmin, Disabled: true}} {
		if err := models.UpdateStaffUser(ctx, db, admin.ID, change, models.Actor{StaffID: admin.ID + 1}); !errors.Is(err, models.ErrLastAdmin) {
			t.Errorf("%+v: %v, want models.ErrLastAdmin", change, err)
		}
	}
	second, _, err := models.AddStaffUser(ctx, db, "second@bureau.example", "第二位", models.RoleAdmin, models.Actor{StaffID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateStaffUser(ctx, db, admin.ID, models.StaffChange{Name: "唯一管理员", Role: models.RoleViewer}, models.Actor{StaffID: second.ID}); err != nil {
		t.Errorf("demotion with another administrator left: %v", err)
	}
}
