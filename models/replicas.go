package models

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"
)

// Replicas are PostgreSQL streaming replicas of the primary that public
// pages may read from. A replica serves a request only when it has
// replayed every content change the instance knows of: the content
// version it last reported (content_versions '*', which every content
// change raises in its own transaction) is at least the version the
// content watch heard from the primary. Otherwise, and when no replica
// answers, the primary serves. So a page never shows content older than
// what the same instance would show from the primary, and nothing read
// from a lagging replica is kept as current (see MayKeep).
//
// Staff pages, forms, inquiries and everything that writes read the
// primary: only anonymous public pages ask for a replica.
type Replicas struct {
	primary *gorm.DB
	watch   *ContentWatch
	log     *slog.Logger
	list    []*replica
	next    atomic.Uint64 // round robin
}

type replica struct {
	name      string // host:port, for logs; never the credentials
	db        *gorm.DB
	up        atomic.Bool
	version   atomic.Int64 // content_versions '*' as last read from it
	err       atomic.Pointer[string]
	rechecks  singleflight.Group // one re-check at a time from requests
	checkedAt atomic.Int64       // when the last check began, in Unix nanoseconds
}

// How often each replica is asked how far it has replayed, and how long
// it may take to answer.
const (
	replicaPoll    = 500 * time.Millisecond
	replicaTimeout = time.Second
	// A request asks a replica that seemed behind again at most this often,
	// and waits this long for the answer.
	recheckEvery   = 20 * time.Millisecond
	recheckTimeout = 300 * time.Millisecond
	// For this long after content changed by itself (a scheduled
	// publication fell due, or the day changed in Beijing), pages read the
	// primary: the filters compare with the server's clock, and a replica's
	// may be a little behind the primary's, by which the watch times them.
	boundaryGuard = 5 * time.Second
)

// OpenReplicas makes a pool for each replica URL. It connects to none yet:
// Run finds out which are up, so that a replica that is down does not
// stop the portal from starting.
func OpenReplicas(urls []string, pool PoolConfig, primary *gorm.DB, watch *ContentWatch, log *slog.Logger) (*Replicas, error) {
	r := &Replicas{primary: primary, watch: watch, log: log}
	for _, u := range urls {
		db, err := openPool(u, pool)
		if err != nil {
			_ = r.Close()
			return nil, err
		}
		name := "replica"
		if parsed, err := url.Parse(u); err == nil && parsed.Host != "" {
			name = parsed.Host
		}
		r.list = append(r.list, &replica{name: name, db: db})
	}
	return r, nil
}

// Close closes the replicas' pools.
func (r *Replicas) Close() error {
	if r == nil {
		return nil
	}
	var errs []error
	for _, rep := range r.list {
		errs = append(errs, Close(rep.db))
	}
	return errors.Join(errs...)
}

// Run asks each replica, until ctx ends, whether it answers and how far it
// has replayed.
func (r *Replicas) Run(ctx context.Context) {
	if r == nil || len(r.list) == 0 {
		return
	}
	for {
		for _, rep := range r.list {
			r.check(ctx, rep, replicaTimeout)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(replicaPoll):
		}
	}
}

// check reads a replica's content version, and marks it up or down.
func (r *Replicas) check(ctx context.Context, rep *replica, timeout time.Duration) {
	rep.checkedAt.Store(time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var version int64
	err := rep.db.WithContext(ctx).Raw(`SELECT version FROM content_versions WHERE table_name = '*'`).Scan(&version).Error
	if err == nil && version == 0 {
		err = errors.New("content_versions has no '*' row: not a replica of the portal's database")
	}
	if err != nil {
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return // shutting down
		}
		r.markDown(rep, err)
		return
	}
	rep.version.Store(version)
	rep.err.Store(nil)
	if !rep.up.Swap(true) {
		r.log.Info("read replica up: public pages may read from it", "replica", rep.name)
	}
}

func (r *Replicas) markDown(rep *replica, err error) {
	message := err.Error()
	rep.err.Store(&message)
	if rep.up.Swap(false) {
		r.log.Warn("read replica down: the primary serves its reads", "replica", rep.name, "err", err)
	}
}

// readFloorKey marks a context whose reads go to a replica, with the
// content version that replica had replayed when chosen.
type readFloorKey struct{}

// ForPublicPage is the database an anonymous public page reads from, and
// the context to read it with: a replica that has replayed every content
// change this instance knows of, or the primary. It asks a replica that
// seemed behind once more before passing it over, so that a page after an
// edit reads from a replica as soon as the replica has it.
// The replica chosen is named by its place in the list (Failed takes
// it); -1 is the primary.
func (r *Replicas) ForPublicPage(ctx context.Context) (context.Context, *gorm.DB, int) {
	if r == nil || len(r.list) == 0 {
		return ctx, r.primaryOrNil(), -1
	}
	state := r.watch.State()
	known, ok := state.Version()
	if !ok || time.Since(state.Passed()) < boundaryGuard {
		// Nothing says what the primary holds now, or content has just
		// changed by the clock: only the primary is sure to be current.
		return ctx, r.primary, -1
	}
	start := int(r.next.Add(1) % uint64(len(r.list))) // #nosec G115 -- below len(r.list)
	for i := range r.list {
		index := (start + i) % len(r.list)
		rep := r.list[index]
		if !rep.up.Load() {
			continue
		}
		if rep.version.Load() < known {
			r.recheck(rep)
			if !rep.up.Load() || rep.version.Load() < known {
				continue
			}
		}
		return context.WithValue(ctx, readFloorKey{}, rep.version.Load()), rep.db, index
	}
	return ctx, r.primary, -1
}

// recheck asks a replica that seemed behind how far it is now, for the
// requests that want it: one question at a time, not more often than
// recheckEvery. It asks on a context of its own, so that the page is not
// recorded as reading content_versions (which would tie it to every
// change), and so that a visitor who leaves does not mark the replica
// down.
func (r *Replicas) recheck(rep *replica) {
	if time.Since(time.Unix(0, rep.checkedAt.Load())) < recheckEvery {
		return
	}
	_, _, _ = rep.rechecks.Do("", func() (any, error) {
		r.check(context.Background(), rep, recheckTimeout)
		return nil, nil
	})
}

func (r *Replicas) primaryOrNil() *gorm.DB {
	if r == nil {
		return nil
	}
	return r.primary
}

// Failed marks the replica ForPublicPage chose down after a request's
// statement on it failed for want of the server, so that the next
// requests go elsewhere at once.
func (r *Replicas) Failed(index int, err error) {
	if r != nil && index >= 0 && index < len(r.list) {
		r.markDown(r.list[index], err)
	}
}

// ReplicaFailure tells what a statement's error on a replica means: the
// server is gone or going (mark it down, and read the page again from the
// primary); the standby cancelled the statement to go on replaying, which
// happens to long reads (read again from the primary, the replica is
// fine); or neither, such as a statement past its timeout, which the
// primary would meet as well, or a visitor who left.
func ReplicaFailure(err error) (down, again bool) {
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "40001": // canceling statement due to conflict with recovery
			return false, true
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"): // connection lost, server shutting down or starting
			return true, true
		}
		return false, false
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return false, false
	case Unavailable(err):
		return true, true
	}
	return false, false
}

// Pools are the replicas' connection pools, in the order configured (for
// their figures in /metrics).
func (r *Replicas) Pools() []*sql.DB {
	if r == nil {
		return nil
	}
	var pools []*sql.DB
	for _, rep := range r.list {
		if pool, err := rep.db.DB(); err == nil {
			pools = append(pools, pool)
		}
	}
	return pools
}

// ReplicaStatus is one replica as /readyz reports it.
type ReplicaStatus struct {
	Name    string `json:"name"`
	Up      bool   `json:"up"`
	Version int64  `json:"content_version"`
	Error   string `json:"error,omitempty"`
}

// Status is what is known of each replica now.
func (r *Replicas) Status() []ReplicaStatus {
	if r == nil {
		return nil
	}
	out := make([]ReplicaStatus, 0, len(r.list))
	for _, rep := range r.list {
		s := ReplicaStatus{Name: rep.name, Up: rep.up.Load(), Version: rep.version.Load()}
		if e := rep.err.Load(); e != nil {
			s.Error = *e
		}
		out = append(out, s)
	}
	return out
}

// MayKeep reports whether what was computed under ctx may be kept as
// current at content version all ('*'): not when it was read from a
// replica that had replayed less. (The watch may hear of a change between
// the choice of the replica and a memo's look at the versions.)
func MayKeep(ctx context.Context, all int64) bool {
	floor, fromReplica := ctx.Value(readFloorKey{}).(int64)
	return !fromReplica || all <= floor
}
