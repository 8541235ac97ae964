// Package models owns the portal's data: the schema (embedded SQL
// migrations), the GORM structs that mirror it, and the queries the handlers
// need. Queries take a context and return domain errors such as ErrNotFound.
package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"investportal/models/storage"
)

// ErrNotFound is returned when a record does not exist or is not public.
var ErrNotFound = errors.New("not found")

// notFound turns GORM's "no row" into ErrNotFound; other errors pass.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// PoolConfig sizes the connection pool.
type PoolConfig struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	ConnMaxIdleTime time.Duration
	// StatementTimeout ends any statement that runs longer (PostgreSQL's
	// statement_timeout on every connection); 0: no limit, for migrations.
	StatementTimeout time.Duration
}

// DefaultPool suits one portal instance on a small machine: PostgreSQL's
// default max_connections is 100, so several instances still fit. Every
// open connection may stay idle: under load, closing the ones above an
// idle limit and opening them again (a new PostgreSQL backend each time)
// cost more than the pages, a third of the CPU in make bench.
var DefaultPool = PoolConfig{
	MaxOpenConns:    20,
	MaxIdleConns:    20,
	ConnMaxLifetime: 30 * time.Minute,
	ConnMaxIdleTime: 5 * time.Minute,
}

// Open connects to PostgreSQL, retrying with exponential back-off until the
// server answers or wait runs out: a freshly started server (or a container
// that comes up beside the portal) refuses connections for a few seconds.
func Open(ctx context.Context, url string, pool PoolConfig, wait time.Duration, log *slog.Logger) (*gorm.DB, error) {
	db, err := openPool(url, pool)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	delay := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = sqlDB.PingContext(pingCtx)
		cancel()
		if err == nil {
			return db, nil
		}
		if time.Now().Add(delay).After(deadline) {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("database not reachable after %d attempts: %w", attempt, err)
		}
		log.Warn("database not reachable yet, retrying", "attempt", attempt, "retry_in", delay, "err", err)
		select {
		case <-ctx.Done():
			_ = sqlDB.Close()
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// openPool makes a connection pool; it connects on first use.
func openPool(url string, pool PoolConfig) (*gorm.DB, error) {
	connConfig, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if pool.StatementTimeout > 0 {
		connConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(pool.StatementTimeout.Milliseconds(), 10)
	}
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: stdlib.OpenDB(*connConfig)}), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true, // single statements need no wrapping transaction
		TranslateError:         true,
		DisableAutomaticPing:   true, // Open pings, with retries; a replica is checked by its poller
	})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := noteReadsOfEveryStatement(db); err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(pool.MaxOpenConns)
	sqlDB.SetMaxIdleConns(pool.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(pool.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(pool.ConnMaxIdleTime)
	return db, nil
}

// noteReadsOfEveryStatement lets a memo see the tables its computation
// reads (memo.go), through whichever of GORM's ways a statement is sent.
func noteReadsOfEveryStatement(db *gorm.DB) error {
	note := func(tx *gorm.DB) {
		if tx.Statement.Context != nil {
			noteReads(tx.Statement.Context, tx.Statement.Table+" "+tx.Statement.SQL.String())
		}
	}
	for _, err := range []error{
		db.Callback().Query().After("gorm:query").Register("portal:note_reads", note),
		db.Callback().Row().After("gorm:row").Register("portal:note_reads", note),
		db.Callback().Raw().After("gorm:raw").Register("portal:note_reads", note),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Unavailable reports whether err means the database could not answer in
// time (down, restarting, dropped, every connection busy, a statement past
// its timeout), or the upload store could not, rather than that a query
// was wrong, so that visitors get "try again later" (503) instead of
// "server error" (500).
func Unavailable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, storage.ErrUnavailable) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, context.DeadlineExceeded) ||
		// The server went away with the connection open: it was closed
		// under a statement (a restart, a network cut).
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	// 08: connection exceptions; 57P: the server is shutting down or ended
	// the session; 57014: statement timeout (or a cancelled statement);
	// 53300: too many connections.
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "08") ||
		strings.HasPrefix(pgErr.Code, "57P") || pgErr.Code == "57014" || pgErr.Code == "53300")
}

// Ping reports whether the database answers within the context's deadline.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the connection pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
