package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"investportal/models/calendar"
)

// ContentWatch knows, without asking the database on each request, the
// version of every content table (migration 00020): it listens on a
// connection of its own for the notification every committed content
// change sends (migration 00022) and reads the versions again. Something
// computed from some tables is current while their versions are those it
// was computed under, until the time content next changes by itself (a
// scheduled row falls due, or the day changes in Beijing, since pages
// filter policies by today's date), and within one epoch:
//
//   - when a change is heard, the versions are unknown at once, until
//     they are read again, so nothing is current meanwhile;
//   - when a member of staff saves on this instance and the change is
//     not heard within a second, likewise (CatchUp);
//   - when the listener loses its connection, connects again, or finds
//     the versions lower than before (a restored backup), a new epoch
//     begins: nothing from before is trusted.
//
// While the connection is lost, or the listener has not proved for a
// moment that it is still hearing (a heartbeat on the same connection,
// twice a second), State says so and nothing may be served from memory:
// a silently dead connection is noticed within watchStaleAfter.
type ContentWatch struct {
	connect   func(context.Context) (*pgx.Conn, error)
	log       *slog.Logger
	heartbeat time.Duration
	mu        sync.Mutex // orders state changes
	state     atomic.Pointer[watchState]
	moved     chan struct{} // closed (and replaced) at each change of state; under mu
	started   time.Time     // the monotonic base of heard
	heard     atomic.Int64  // when the listener last proved itself current, since started
}

// watchState is replaced whole, never changed in place.
type watchState struct {
	epoch    uint64 // a new listening connection, or none
	changes  uint64 // counts every change of state
	live     bool
	versions *ContentVersions // nil: a change was heard and they are being read again
	until    time.Time        // when content next changes by itself (local clock)
	passed   time.Time        // when it last did (a scheduled time passed), as known
}

// ContentState is what the watch knows at one moment.
type ContentState struct {
	// Epoch changes whenever nothing known before may be trusted.
	Epoch uint64
	// Seq changes with every change of what the watch knows: two states
	// with equal Seq know the same.
	Seq uint64
	// Current: the listener is connected and was heard from recently, so
	// what was computed under the versions it knows is still current.
	// When false, read from the database.
	Current  bool
	versions *ContentVersions
	until    time.Time
	passed   time.Time
}

// VersionsOf is the versions of the given tables, false when they are
// not known now.
func (s ContentState) VersionsOf(tables []string) ([]int64, bool) {
	if !s.Current || s.versions == nil {
		return nil, false
	}
	out := make([]int64, len(tables))
	for i, t := range tables {
		out[i] = s.versions.versions[t]
	}
	return out, true
}

// Unchanged reports whether the tables still have the versions given.
func (s ContentState) Unchanged(tables []string, versions []int64) bool {
	if !s.Current || s.versions == nil {
		return false
	}
	for i, t := range tables {
		if s.versions.versions[t] != versions[i] {
			return false
		}
	}
	return true
}

// Version is the version of all content ('*'), false when not known now.
func (s ContentState) Version() (int64, bool) {
	if !s.Current || s.versions == nil {
		return 0, false
	}
	return s.versions.versions["*"], true
}

// Passed is when content last changed by itself (a scheduled publication
// fell due, or the day changed in Beijing), as far as the watch saw one
// pass; zero if none.
func (s ContentState) Passed() time.Time { return s.passed }

// Until is when content next changes by itself.
func (s ContentState) Until() time.Time { return s.until }

// The listener's rhythm: a heartbeat every half second when nothing is
// heard, and no trust in what it knows once it has not been heard for two.
const (
	watchHeartbeat  = 500 * time.Millisecond
	watchStaleAfter = 2 * time.Second
	// The channel migration 00022 notifies.
	contentChannel = "content_versions"
	// The listener's name in pg_stat_activity.
	contentWatchName = "portal-content-watch"
)

// NewContentWatch prepares a watch that listens through its own
// connection to the database at url. Nothing is current until Run has
// connected.
func NewContentWatch(url string, log *slog.Logger) (*ContentWatch, error) {
	config, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	config.RuntimeParams["application_name"] = contentWatchName
	config.ConnectTimeout = 5 * time.Second
	w := &ContentWatch{
		connect:   func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, config) },
		log:       log,
		heartbeat: watchHeartbeat,
		started:   time.Now(),
		moved:     make(chan struct{}),
	}
	w.state.Store(&watchState{epoch: 1})
	return w, nil
}

// State is what the watch knows now. A nil watch knows nothing.
func (w *ContentWatch) State() ContentState {
	if w == nil {
		return ContentState{}
	}
	s := w.state.Load()
	now := time.Since(w.started)
	current := s.live && time.Now().Before(s.until) && now-time.Duration(w.heard.Load()) < watchStaleAfter
	return ContentState{Epoch: s.epoch, Seq: s.changes, Current: current, versions: s.versions, until: s.until, passed: s.passed}
}

// CatchUp returns once the watch knows of every content change committed
// so far (at most a second later: then it assumes a change), so that a
// member of staff who has just saved sees the change on this instance,
// and other instances, which hear of it at the same moment, see it too.
func (w *ContentWatch) CatchUp(ctx context.Context, db *gorm.DB) {
	if w == nil {
		return
	}
	var committed int64
	err := db.WithContext(ctx).Raw(`SELECT version FROM content_versions WHERE table_name = '*'`).Scan(&committed).Error
	wait := time.NewTimer(time.Second)
	defer wait.Stop()
	for err == nil {
		w.mu.Lock()
		s, moved := w.state.Load(), w.moved
		w.mu.Unlock()
		if !s.live || s.versions != nil && s.versions.versions["*"] >= committed {
			return // caught up, or not caching at all
		}
		select {
		case <-moved:
		case <-wait.C:
			err = errors.New("no notification within a second")
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	w.log.Warn("content watch behind a local change: reading the versions again", "err", err)
	w.update(func(s *watchState) { s.versions = nil })
}

// update replaces the state with a changed copy of it.
func (w *ContentWatch) update(change func(*watchState)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	next := *w.state.Load()
	next.changes++
	change(&next)
	w.store(&next)
}

// store publishes a new state and wakes those waiting for one; under mu.
func (w *ContentWatch) store(s *watchState) {
	w.state.Store(s)
	close(w.moved)
	w.moved = make(chan struct{})
}

// Run listens until ctx ends, connecting again (with back-off) whenever
// the connection is lost. Nothing is current while it is.
func (w *ContentWatch) Run(ctx context.Context) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		began := time.Now()
		err := w.listen(ctx)
		w.update(func(s *watchState) { s.live, s.versions, s.epoch = false, nil, s.epoch+1 })
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > time.Minute {
			delay = 100 * time.Millisecond // it had been listening: try again soon
		}
		w.log.Warn("content notifications lost: pages are read from the database until they are back", "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// listen holds one connection until it fails.
func (w *ContentWatch) listen(ctx context.Context) error {
	conn, err := w.connect(ctx)
	if err != nil {
		return err
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closing)
	}()
	// Listen first, then read: a change committed in between is both in
	// what is read and announced, never in neither.
	if _, err := conn.Exec(ctx, "LISTEN "+contentChannel); err != nil {
		return err
	}
	if err := w.refresh(ctx, conn, true); err != nil {
		return err
	}
	w.log.Info("listening for content changes: pages are cached")
	for {
		wait := w.heartbeat
		if until := time.Until(w.state.Load().until); until < wait {
			wait = max(until, time.Millisecond)
		}
		waitCtx, cancel := context.WithTimeout(ctx, wait)
		_, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			// A change: whatever was computed before it is stale from now.
			w.update(func(s *watchState) { s.versions = nil })
			if err := w.refresh(ctx, conn, false); err != nil {
				return err
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case pgconn.Timeout(err):
			if err := w.refresh(ctx, conn, false); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// refresh reads the versions and the next scheduled publication on the
// listener's connection, which also proves that the connection still
// delivers (notifications precede the answer). A version that changed
// without being heard (a lost notification) is simply read; a new epoch
// begins when the listener has just connected, and when the versions are
// lower than before (a database restored from a backup, whose versions
// may climb back to ones known from before).
func (w *ContentWatch) refresh(ctx context.Context, conn *pgx.Conn, connected bool) error {
	before := w.state.Load().changes
	readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	versions, until, err := readContentState(readCtx, conn)
	if err != nil {
		return err
	}
	w.heard.Store(int64(time.Since(w.started)))
	w.mu.Lock()
	defer w.mu.Unlock()
	s := *w.state.Load()
	// Versions read while a change was announced may predate it: they
	// are left unknown until the next read.
	trusted := s.changes == before
	if connected || !s.live || (trusted && s.versions != nil && versions.versions["*"] < s.versions.versions["*"]) {
		s.epoch++
	}
	s.changes++
	if !s.until.IsZero() && !time.Now().Before(s.until) {
		s.passed = s.until
	}
	s.live, s.until, s.versions = true, until, nil
	if trusted {
		s.versions = &versions
	}
	w.store(&s)
	return nil
}

// readContentState reads every table's version and when content next
// changes by itself: the next scheduled publication, or midnight in
// Beijing, whichever comes first, on the local clock.
func readContentState(ctx context.Context, conn *pgx.Conn) (ContentVersions, time.Time, error) {
	v := ContentVersions{versions: map[string]int64{}}
	rows, err := conn.Query(ctx, `SELECT table_name, version FROM content_versions`)
	if err != nil {
		return v, time.Time{}, err
	}
	var name string
	var version int64
	_, err = pgx.ForEachRow(rows, []any{&name, &version}, func() error {
		v.versions[name] = version
		return nil
	})
	if err != nil {
		return v, time.Time{}, err
	}
	if v.versions["*"] == 0 {
		return v, time.Time{}, errors.New("content_versions has no '*' row: migration 00020 is missing or its rows were deleted")
	}
	var next *time.Time
	var dbNow time.Time
	err = conn.QueryRow(ctx, `SELECT (`+nextPublicationSQL(scheduledTables, "statement_timestamp()")+`), statement_timestamp()`).Scan(&next, &dbNow)
	if err != nil {
		return v, time.Time{}, err
	}
	now := time.Now()
	v.now = now
	until := nextBeijingMidnight(now)
	// On the local clock: the two clocks may differ, the interval not.
	if next != nil && now.Add(next.Sub(dbNow)).Before(until) {
		until = now.Add(next.Sub(dbNow))
	}
	return v, until, nil
}

// nextBeijingMidnight is when the date next changes where the bureau is.
func nextBeijingMidnight(now time.Time) time.Time {
	b := now.In(calendar.Beijing)
	return time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, calendar.Beijing)
}
