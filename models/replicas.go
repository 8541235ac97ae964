package models

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

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
	name    string // host:port, for logs and /readyz; never the credentials
	db      *gorm.DB
	up      atomic.Bool
	version atomic.Int64 // content_versions '*' as last read from it
	err     atomic.Pointer[string]
}

// How often each replica is asked how far it has replayed, and how long
// it may take to answer.
const (
	replicaPoll    = 500 * time.Millisecond
	replicaTimeout = time.Second
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
			r.check(ctx, rep)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(replicaPoll):
		}
	}
}

// check reads a replica's content version, and marks it up or down.
func (r *Replicas) check(ctx context.Context, rep *replica) {
	ctx, cancel := context.WithTimeout(ctx, replicaTimeout)
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
func (r *Replicas) ForPublicPage(ctx context.Context) (context.Context, *gorm.DB, string) {
	if r == nil || len(r.list) == 0 {
		return ctx, r.primaryOrNil(), ""
	}
	known, ok := r.watch.State().Version()
	if !ok {
		// Nothing says what the primary holds now: only it is sure to be current.
		return ctx, r.primary, ""
	}
	start := r.next.Add(1)
	for i := range r.list {
		rep := r.list[(start+uint64(i))%uint64(len(r.list))]
		if !rep.up.Load() {
			continue
		}
		if rep.version.Load() < known {
			r.check(ctx, rep)
			if !rep.up.Load() || rep.version.Load() < known {
				continue
			}
		}
		return context.WithValue(ctx, readFloorKey{}, rep.version.Load()), rep.db, rep.name
	}
	return ctx, r.primary, ""
}

func (r *Replicas) primaryOrNil() *gorm.DB {
	if r == nil {
		return nil
	}
	return r.primary
}

// Failed marks a replica down after a request's statement on it failed
// for want of the server, so that the next requests go elsewhere at once.
func (r *Replicas) Failed(name string, err error) {
	if r == nil {
		return
	}
	for _, rep := range r.list {
		if rep.name == name {
			r.markDown(rep, err)
		}
	}
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
