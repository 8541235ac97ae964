package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"investportal/models"
	"investportal/models/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

func TestCreateAdmin(t *testing.T) {
	name := dbtest.NewDatabase(t, dbtest.Migrated)
	cfg := Config{DatabaseURL: dbtest.URL(name), Pool: models.DefaultPool, DBWait: 5e9}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()

	var out bytes.Buffer
	err := createAdmin(ctx, cfg, quiet, []string{"-email", "chief@bureau.example", "-name", "局长"}, strings.NewReader(""), &out)
	if err != nil {
		t.Fatal(err)
	}
	_, password, ok := strings.Cut(out.String(), "password (shown once, change it after signing in): ")
	password = strings.TrimSpace(password)
	if !ok || len(password) < 20 {
		t.Fatalf("no random password printed:\n%s", out.String())
	}
	out.Reset()
	err = createAdmin(ctx, cfg, quiet, []string{"-email", "deputy@bureau.example", "-name", "副局长", "-password-stdin"},
		strings.NewReader("a long chosen password\n"), &out)
	if err != nil || strings.Contains(out.String(), "password") {
		t.Fatalf("err %v; a piped password must not be echoed:\n%s", err, out.String())
	}
	if err := createAdmin(ctx, cfg, quiet, []string{"-email", "x@bureau.example", "-name", "x", "-password-stdin"},
		strings.NewReader("short\n"), &out); err == nil {
		t.Error("a short password was accepted")
	}
	if err := createAdmin(ctx, cfg, quiet, []string{"-email", "chief@bureau.example", "-name", "again"}, nil, &out); err == nil {
		t.Error("a second account with the same e-mail was created")
	}

	db := dbtest.New(t, dbtest.Migrated)
	for _, p := range []struct{ db, email, password string }{{name, "chief@bureau.example", password}, {name, "deputy@bureau.example", "a long chosen password"}} {
		d, _ := models.Open(ctx, dbtest.URL(p.db), models.DefaultPool, 5e9, quiet)
		if u, err := models.Authenticate(ctx, d, p.email, p.password, models.SignInKeys{Account: []byte("test account"), Client: []byte("test client")}); err != nil || u.Role != models.RoleAdmin {
			t.Errorf("%s cannot sign in as administrator: %v", p.email, err)
		}
		models.Close(d)
	}

	// make run's demo administrator: created once, password printed once.
	out.Reset()
	if err := ensureDemoAdmin(ctx, db, &out); err != nil || !strings.Contains(out.String(), "password (shown once)") {
		t.Fatalf("demo admin: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := ensureDemoAdmin(ctx, db, &out); err != nil || out.Len() != 0 {
		t.Errorf("second start printed %q (err %v)", out.String(), err)
	}
}
