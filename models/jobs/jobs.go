// Package jobs runs the portal's scheduled work inside the portal itself,
// with no cron: every instance ticks, and a job runs on whichever instance
// holds its lease, a row in PostgreSQL's job_leases. The lease is taken
// with the database's clock, held (renewed) for the length of the run and
// given back after it; a holder that crashes mid-run stops renewing, its
// lease runs out and the next instance to tick takes the job over.
//
// A lease keeps two instances from doing the same work at the same time;
// it is not what makes a job's effects happen once. A job must still be
// safe to run twice (one instance's run can end just as another's begins,
// and a lease can run out under a stalled holder): the desk reminders, for
// one, record each e-mail under a primary key in the same transaction.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"os"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Job is a piece of scheduled work. Run gets the time of the tick, so
// that tests (and catch-up runs) can say when "now" is; it must be safe to
// run again, and its errors are logged, so they must not carry personal
// data (an inquiry's id, not its investor's address).
type Job struct {
	Name string // the lease's name: the same on every instance
	Run  func(ctx context.Context, now time.Time) error
}

// ErrLeaseLost ends a run whose lease was taken by another holder, or
// could not be renewed before it ran out.
var ErrLeaseLost = errors.New("job lease lost")

// releaseTimeout bounds giving a lease back at shutdown: if the database
// does not answer, the lease runs out by itself.
const releaseTimeout = 5 * time.Second

// Runner runs jobs under leases. One per process: its holder id is random,
// so two runners are two holders, even in one process.
type Runner struct {
	DB     *gorm.DB
	Log    *slog.Logger
	Lease  time.Duration // how long a lease lasts unless renewed; renewed every third of it
	Tick   time.Duration // how often Run tries every job
	Jitter time.Duration // up to this much is added to each wait, so instances spread out
	Now    func() time.Time

	holder string
	jobs   []Job
}

// New returns a runner for jobs with the portal's defaults: a tick a
// minute (up to 10 s later), a two-minute lease.
func New(db *gorm.DB, log *slog.Logger, jobs ...Job) *Runner {
	return &Runner{DB: db, Log: log, Lease: 2 * time.Minute, Tick: time.Minute, Jitter: 10 * time.Second,
		Now: time.Now, holder: newHolder(), jobs: jobs}
}

// newHolder names this runner in job_leases: the host and process, for an
// operator reading the table, and random bytes, so that it is unique.
func newHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b)
}

// Holder is the runner's id in job_leases.
func (r *Runner) Holder() string { return r.holder }

// Run ticks until ctx ends, running every job whose lease it gets: soon
// after start (within the jitter), then every tick. A job running when ctx
// ends is cancelled (it must leave nothing half done: a transaction per
// unit of work), and its lease is given back.
func (r *Runner) Run(ctx context.Context) {
	wait := r.jitter()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if _, err := r.RunOnce(ctx, r.Now()); err != nil && ctx.Err() == nil {
			r.Log.Warn("jobs: a scheduled job failed; it runs again at the next tick", "err", err)
		}
		wait = r.Tick + r.jitter()
	}
}

// jitter is a random wait of up to r.Jitter.
func (r *Runner) jitter() time.Duration {
	if r.Jitter <= 0 {
		return 0
	}
	return mathrand.N(r.Jitter) // #nosec G404 -- spreads instances' ticks; nothing secret
}

// RunOnce runs, one after the other, every job whose lease this runner
// gets at now, and says how many ran. A job whose lease another holder has
// is skipped; the errors of the jobs that ran are returned together.
func (r *Runner) RunOnce(ctx context.Context, now time.Time) (int, error) {
	ran := 0
	var errs []error
	for _, job := range r.jobs {
		ok, err := r.acquire(ctx, job.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("job %s: lease: %w", job.Name, err))
			continue
		}
		if !ok {
			continue
		}
		ran++
		if err := r.runHeld(ctx, job, now); err != nil {
			errs = append(errs, fmt.Errorf("job %s: %w", job.Name, err))
		}
	}
	return ran, errors.Join(errs...)
}

// runHeld runs a job whose lease is held, renews the lease while it runs,
// and gives it back after.
func (r *Runner) runHeld(ctx context.Context, job Job, now time.Time) error {
	jobCtx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var holding sync.WaitGroup
	holding.Go(func() { r.hold(jobCtx, job.Name, done, cancel) })

	err := runSafely(jobCtx, job, now)
	close(done)
	holding.Wait()
	if errors.Is(context.Cause(jobCtx), ErrLeaseLost) {
		err = errors.Join(context.Cause(jobCtx), err)
	}
	cancel(nil)
	// Given back even when ctx ended (shutdown), so that another instance
	// need not wait for the lease to run out.
	releaseCtx, cancelRelease := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancelRelease()
	if relErr := r.release(releaseCtx, job.Name); relErr != nil {
		err = errors.Join(err, fmt.Errorf("release lease: %w", relErr))
	}
	return err
}

// runSafely turns a job's panic into an error, so that a bug in one job
// neither kills the portal nor keeps its lease.
func runSafely(ctx context.Context, job Job, now time.Time) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return job.Run(ctx, now)
}

// hold renews the lease every third of its length until done is closed.
// When another holder has the lease, or renewals have failed for as long as
// the lease lasts, the job is cancelled: another instance may be running
// it by then.
func (r *Runner) hold(ctx context.Context, name string, done <-chan struct{}, cancel context.CancelCauseFunc) {
	ticker := time.NewTicker(r.Lease / 3)
	defer ticker.Stop()
	renewed := time.Now()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		ok, err := r.renew(ctx, name)
		switch {
		case err == nil && ok:
			renewed = time.Now()
		case err == nil && !ok:
			cancel(ErrLeaseLost)
			return
		case time.Since(renewed) >= r.Lease:
			cancel(fmt.Errorf("%w: %w", ErrLeaseLost, err))
			return
		}
	}
}

// acquire takes the lease when it is free, has run out, or is already
// this runner's. The database's clock decides, so instances whose clocks
// differ still agree.
func (r *Runner) acquire(ctx context.Context, name string) (bool, error) {
	var holders []string
	err := r.DB.WithContext(ctx).Raw(`
		INSERT INTO job_leases (name, holder, leased_until) VALUES (?, ?, now() + make_interval(secs => ?))
		ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, leased_until = EXCLUDED.leased_until
		WHERE job_leases.leased_until < now() OR job_leases.holder = EXCLUDED.holder
		RETURNING holder`, name, r.holder, r.Lease.Seconds()).Scan(&holders).Error
	return len(holders) == 1, err
}

// renew extends a lease this runner holds; false: it holds it no more.
func (r *Runner) renew(ctx context.Context, name string) (bool, error) {
	res := r.DB.WithContext(ctx).Exec(`UPDATE job_leases SET leased_until = now() + make_interval(secs => ?)
		WHERE name = ? AND holder = ?`, r.Lease.Seconds(), name, r.holder)
	return res.RowsAffected == 1, res.Error
}

// release gives a lease back, if this runner still holds it.
func (r *Runner) release(ctx context.Context, name string) error {
	return r.DB.WithContext(ctx).Exec("DELETE FROM job_leases WHERE name = ? AND holder = ?", name, r.holder).Error
}
