// Package dbtest gives every test its own PostgreSQL database, cloned from
// template databases that one test binary migrates (and seeds) once: a clone
// takes a few tens of milliseconds, so tests stay isolated and fast. Every
// database it creates is dropped again when the test, or the run, ends.
//
// It connects to TEST_DATABASE_URL, else DATABASE_URL; `make test` sets the
// latter to the project-local cluster when neither is given.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"investportal/models"
	"investportal/models/seed"
)

// Kind is what a new test database holds.
type Kind int

// The kinds of test database.
const (
	Empty    Kind = iota // no tables at all
	Migrated             // the schema, no rows
	Seeded               // the schema and the demo content
)

var (
	serverURL *url.URL // the server the run uses, database part replaced per use
	runID     string   // prefix of every database this run creates
	templates = map[Kind]string{}
)

// Main runs a package's tests between creating and dropping the template
// databases. Use it from TestMain: os.Exit(dbtest.Main(m)).
func Main(m *testing.M) int {
	if err := setUp(); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	code := m.Run()
	if err := dropMatching(runID + "%"); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: cleaning up:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func setUp() error {
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		raw = os.Getenv("DATABASE_URL")
	}
	if raw == "" {
		return fmt.Errorf("set TEST_DATABASE_URL or DATABASE_URL, or run the tests with `make test`, which starts a local PostgreSQL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("bad database URL: %w", err)
	}
	serverURL = u
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	runID = fmt.Sprintf("portal_test_%s_", hex.EncodeToString(suffix))

	ctx := context.Background()
	templates[Empty] = runID + "tmpl_empty"
	templates[Migrated] = runID + "tmpl_migrated"
	templates[Seeded] = runID + "tmpl_seeded"
	for kind, name := range templates {
		if err := exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return err
		}
		if kind == Empty {
			continue
		}
		if err := prepare(ctx, name, kind == Seeded); err != nil {
			return fmt.Errorf("prepare %s: %w", name, err)
		}
	}
	return nil
}

func prepare(ctx context.Context, name string, withSeed bool) error {
	db, err := models.Open(ctx, URL(name), models.DefaultPool, 10*time.Second, quietLogger())
	if err != nil {
		return err
	}
	defer models.Close(db)
	if _, err := models.Migrate(ctx, db); err != nil {
		return err
	}
	if withSeed {
		_, err = seed.Load(ctx, db)
	}
	return err
}

// URL is the connection URL of the named database on the test server.
func URL(database string) string {
	u := *serverURL
	u.Path = "/" + database
	return u.String()
}

// NewDatabase creates a database of the given kind for one test, dropped
// when the test ends, and returns its name.
func NewDatabase(t testing.TB, kind Kind) string {
	t.Helper()
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := runID + hex.EncodeToString(buf)
	ctx := context.Background()
	err := exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{templates[kind]}.Sanitize()))
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if err := Drop(name); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return name
}

// New creates a database of the given kind for one test and opens it; the
// pool is closed and the database dropped when the test ends.
func New(t testing.TB, kind Kind) *gorm.DB {
	t.Helper()
	return NewWithPool(t, kind, models.DefaultPool)
}

// NewWithURL is New that also gives the database's connection URL, for a
// test that opens connections of its own (a listener, a second instance).
func NewWithURL(t testing.TB, kind Kind) (*gorm.DB, string) {
	t.Helper()
	name := NewDatabase(t, kind)
	return open(t, name, models.DefaultPool), URL(name)
}

// NewWithPool is New with a pool of its own settings (a statement timeout,
// a single connection), for tests of what happens when the database is slow.
func NewWithPool(t testing.TB, kind Kind, pool models.PoolConfig) *gorm.DB {
	t.Helper()
	return open(t, NewDatabase(t, kind), pool)
}

func open(t testing.TB, name string, pool models.PoolConfig) *gorm.DB {
	t.Helper()
	db, err := models.Open(context.Background(), URL(name), pool, 10*time.Second, quietLogger())
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	// Registered after NewDatabase's cleanup, so it runs first: close, then drop.
	t.Cleanup(func() { _ = models.Close(db) })
	return db
}

// Drop drops a database, ending any sessions still connected to it.
func Drop(name string) error {
	return exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func dropMatching(pattern string) error {
	conn, err := pgx.Connect(context.Background(), URL("postgres"))
	if err != nil {
		return err
	}
	rows, err := conn.Query(context.Background(), "SELECT datname FROM pg_database WHERE datname LIKE $1", pattern)
	if err != nil {
		_ = conn.Close(context.Background())
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	_ = conn.Close(context.Background())
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := Drop(name); err != nil {
			return err
		}
	}
	return nil
}

// exec runs one statement on the maintenance database. CREATE and DROP
// DATABASE cannot run inside a transaction, so each gets its own connection.
func exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the test server: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// MustExec runs a statement on a test database and fails the test if the
// database refuses it, so that a test never goes on from a state it did
// not set up.
func MustExec(t testing.TB, db *gorm.DB, sql string, args ...any) {
	t.Helper()
	if err := db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// Count is how many rows of a table meet a condition (SQL, from the test).
func Count(t testing.TB, db *gorm.DB, table, condition string) int64 {
	t.Helper()
	var n int64
	if err := db.Table(table).Where(condition).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// SQLRecorder is a GORM logger that keeps the SQL of every statement, so
// that plans can be explained for the queries the code really sends.
type SQLRecorder struct {
	logger.Interface
	Statements []string
}

// Trace records one statement.
func (r *SQLRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()
	r.Statements = append(r.Statements, sql)
}

// RecordSQL runs fn on a session that records its SQL, and returns the
// statements it sent.
func RecordSQL(db *gorm.DB, fn func(*gorm.DB) error) ([]string, error) {
	rec := &SQLRecorder{Interface: logger.Discard}
	err := fn(db.Session(&gorm.Session{Logger: rec}))
	return rec.Statements, err
}
