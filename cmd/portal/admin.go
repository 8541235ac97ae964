package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"gorm.io/gorm"

	"investportal/models"
)

// createAdmin adds an administrator account. The password is read from
// standard input when one is piped in (one line); otherwise a random one
// is made and printed once. There is never a default password.
func createAdmin(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	flags := flag.NewFlagSet("create-admin", flag.ContinueOnError)
	email := flags.String("email", "", "the administrator's e-mail address (required)")
	name := flags.String("name", "", "the administrator's name (required)")
	passwordFromStdin := flags.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return fmt.Errorf("create-admin needs -email and -name")
	}
	password, printPassword := "", false
	if *passwordFromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password, printPassword = randomPassword(), true
	}
	return withDatabase(ctx, cfg, log, func(db *gorm.DB, _ string) error {
		if _, err := models.Migrate(ctx, db); err != nil {
			return err
		}
		u, err := models.CreateStaffUser(ctx, db, *email, *name, models.RoleAdmin, password)
		if err != nil {
			return fmt.Errorf("create administrator %s: %w", *email, err)
		}
		fmt.Fprintf(stdout, "administrator %s created (id %d)\n", u.Email, u.ID)
		if printPassword {
			fmt.Fprintf(stdout, "password (shown once, change it after signing in): %s\n", password)
		}
		return nil
	})
}

// ensureDemoAdmin gives a fresh demo database an administrator with a
// random password, printed once; a database with accounts is left alone.
func ensureDemoAdmin(ctx context.Context, db *gorm.DB, stdout io.Writer) error {
	n, err := models.CountStaffUsers(ctx, db)
	if err != nil || n > 0 {
		return err
	}
	password := randomPassword()
	u, err := models.CreateStaffUser(ctx, db, "admin@localhost.localdomain", "演示管理员", models.RoleAdmin, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\ndemo administrator created: %s\npassword (shown once): %s\n\n", u.Email, password)
	return nil
}

// randomPassword is 26 random base32 characters (128 bits).
func randomPassword() string { return rand.Text() }
