package localpg

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStartReuseStop runs a real cluster in a temporary folder: created on
// the first start, reused while running, kept across a stop and a restart.
func TestStartReuseStop(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "localdb")
	c, err := New(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	url, started, err := c.Start(ctx)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if !started {
		t.Fatal("first start reports a running cluster")
	}
	exec := func(url, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("connect %s: %v", url, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(url, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (42)")

	again, startedAgain, err := c.Start(ctx)
	if err != nil || startedAgain || again != url {
		t.Fatalf("second start = %q, %v, %v; want the running cluster %q", again, startedAgain, err, url)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION")); err != nil {
		t.Fatalf("cluster not under the project folder: %v", err)
	}

	if err := c.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := pgx.Connect(ctx, url); err == nil {
		t.Fatal("cluster still answers after stop")
	}
	url, started, err = c.Start(ctx)
	if err != nil || !started {
		t.Fatalf("restart: %v (started %v)", err, started)
	}
	exec(url, "DO $$ BEGIN IF (SELECT n FROM kept) <> 42 THEN RAISE 'data lost'; END IF; END $$")
}
