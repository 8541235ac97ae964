package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models/dbtest"
	"investportal/models/jobs"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// noon is the time every test job is run for: jobs get it, not the clock.
var noon = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// leaseHolder is who holds a job's lease now; "" when no one does.
func leaseHolder(t *testing.T, db *gorm.DB, name string) string {
	t.Helper()
	var holders []string
	if err := db.Raw("SELECT holder FROM job_leases WHERE name = ? AND leased_until > now()", name).Scan(&holders).Error; err != nil {
		t.Fatal(err)
	}
	if len(holders) == 0 {
		return ""
	}
	return holders[0]
}

// Runners started together on one database never run a job at the same
// time, and whoever ran it gives the lease back.
func TestTwoHoldersNeverRunAJobAtOnce(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var active, most, runs atomic.Int32
	job := jobs.Job{Name: "count", Run: func(ctx context.Context, now time.Time) error {
		if !now.Equal(noon) {
			t.Errorf("job got now = %v, want the tick's time", now)
		}
		n := active.Add(1)
		defer active.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		runs.Add(1)
		time.Sleep(50 * time.Millisecond)
		return nil
	}}
	runners := make([]*jobs.Runner, 4)
	for i := range runners {
		runners[i] = jobs.New(db, quiet, job)
	}
	if runners[0].Holder() == runners[1].Holder() {
		t.Fatal("two runners share a holder id")
	}
	for round := range 3 {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, r := range runners {
			wg.Go(func() {
				<-start
				if _, err := r.RunOnce(context.Background(), noon); err != nil {
					t.Error(err)
				}
			})
		}
		close(start)
		wg.Wait()
		if runs.Load() < int32(round+1) {
			t.Errorf("round %d: the job ran %d times in all, want at least once a round", round, runs.Load())
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d runs at once, want 1", most.Load())
	}
	if n := dbtest.Count(t, db, "job_leases", "true"); n != 0 {
		t.Errorf("%d leases left after the runs, want them given back", n)
	}
}

// The lease is renewed for as long as the run takes, even past its length,
// and given back at the end.
func TestLeaseIsHeldForTheWholeRun(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	release := make(chan struct{})
	running := make(chan struct{})
	slow := jobs.New(db, quiet, jobs.Job{Name: "slow", Run: func(ctx context.Context, _ time.Time) error {
		close(running)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}})
	slow.Lease = 150 * time.Millisecond
	other := jobs.New(db, quiet, jobs.Job{Name: "slow", Run: func(context.Context, time.Time) error { return nil }})

	result := make(chan error, 1)
	go func() {
		_, err := slow.RunOnce(context.Background(), noon)
		result <- err
	}()
	<-running
	time.Sleep(400 * time.Millisecond) // more than two lease lengths
	if ran, err := other.RunOnce(context.Background(), noon); err != nil || ran != 0 {
		t.Errorf("while the lease is held: another holder ran %d jobs, err %v", ran, err)
	}
	if got := leaseHolder(t, db, "slow"); got != slow.Holder() {
		t.Errorf("lease held by %q during the run, want %q", got, slow.Holder())
	}
	close(release)
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	if got := leaseHolder(t, db, "slow"); got != "" {
		t.Errorf("lease still held by %q after the run", got)
	}
	if ran, err := other.RunOnce(context.Background(), noon); err != nil || ran != 1 {
		t.Errorf("after the run: the other holder ran %d jobs, err %v; want 1", ran, err)
	}
}

// A holder that crashed leaves its lease behind; once it runs out, another
// instance runs the job.
func TestACrashedHoldersLeaseRunsOut(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var runs atomic.Int32
	r := jobs.New(db, quiet, jobs.Job{Name: "desk", Run: func(context.Context, time.Time) error {
		runs.Add(1)
		return nil
	}})
	dbtest.MustExec(t, db, "INSERT INTO job_leases (name, holder, leased_until) VALUES ('desk', 'crashed', now() + interval '1 minute')")
	if ran, err := r.RunOnce(context.Background(), noon); err != nil || ran != 0 || runs.Load() != 0 {
		t.Fatalf("under a live lease: ran %d, err %v", ran, err)
	}
	dbtest.MustExec(t, db, "UPDATE job_leases SET leased_until = now() - interval '1 second'")
	if ran, err := r.RunOnce(context.Background(), noon); err != nil || ran != 1 || runs.Load() != 1 {
		t.Fatalf("after the lease ran out: ran %d, err %v", ran, err)
	}
	if n := dbtest.Count(t, db, "job_leases", "true"); n != 0 {
		t.Errorf("%d leases left, want the taken-over one given back", n)
	}
}

// A run whose lease another holder took (the run stalled past its lease)
// is cancelled and says so; the new holder's lease is left alone.
func TestARunThatLosesItsLeaseIsCancelled(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	running := make(chan struct{})
	r := jobs.New(db, quiet, jobs.Job{Name: "desk", Run: func(ctx context.Context, _ time.Time) error {
		close(running)
		<-ctx.Done()
		return ctx.Err()
	}})
	r.Lease = 150 * time.Millisecond
	result := make(chan error, 1)
	go func() {
		_, err := r.RunOnce(context.Background(), noon)
		result <- err
	}()
	<-running
	dbtest.MustExec(t, db, "UPDATE job_leases SET holder = 'other instance', leased_until = now() + interval '1 minute'")
	select {
	case err := <-result:
		if !errors.Is(err, jobs.ErrLeaseLost) {
			t.Errorf("run ended with %v, want ErrLeaseLost", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the run went on after losing its lease")
	}
	if got := leaseHolder(t, db, "desk"); got != "other instance" {
		t.Errorf("lease held by %q, want the new holder's left alone", got)
	}
}

// A job's error or panic is reported and its lease given back; the other
// jobs still run.
func TestFailingJobsDoNotStopTheOthers(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var ran atomic.Bool
	r := jobs.New(db, quiet,
		jobs.Job{Name: "fails", Run: func(context.Context, time.Time) error { return errors.New("inquiry 17: boom") }},
		jobs.Job{Name: "panics", Run: func(context.Context, time.Time) error { panic("bug") }},
		jobs.Job{Name: "works", Run: func(context.Context, time.Time) error { ran.Store(true); return nil }},
	)
	n, err := r.RunOnce(context.Background(), noon)
	if n != 3 || !ran.Load() {
		t.Errorf("ran %d jobs (last one ran: %v), want all 3", n, ran.Load())
	}
	if err == nil || !strings.Contains(err.Error(), "job fails: inquiry 17: boom") || !strings.Contains(err.Error(), "job panics: panic: bug") {
		t.Errorf("err = %v, want both failures named", err)
	}
	if n := dbtest.Count(t, db, "job_leases", "true"); n != 0 {
		t.Errorf("%d leases left, want all given back", n)
	}
}

// Run ticks, passes the clock's time, logs failures and stops when its
// context ends.
func TestRunTicksUntilCancelled(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	var logs bytes.Buffer
	var mu sync.Mutex
	var runs atomic.Int32
	r := jobs.New(db, slog.New(slog.NewTextHandler(&syncWriter{w: &logs, mu: &mu}, nil)),
		jobs.Job{Name: "tick", Run: func(_ context.Context, now time.Time) error {
			if !now.Equal(noon) {
				t.Errorf("now = %v, want the runner's clock", now)
			}
			runs.Add(1)
			return errors.New("inquiry 5 failed")
		}})
	r.Tick, r.Jitter, r.Now = 20*time.Millisecond, 10*time.Millisecond, func() time.Time { return noon }
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx); close(stopped) }()
	deadline := time.Now().Add(2 * time.Second)
	for runs.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(time.Second):
		t.Fatal("Run did not stop after its context ended")
	}
	if runs.Load() < 3 {
		t.Errorf("%d runs in 2 s at a 20 ms tick", runs.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "job tick: inquiry 5 failed") {
		t.Errorf("the failure was not logged:\n%s", logs.String())
	}
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
