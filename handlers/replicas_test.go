package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/cmd/portal/localpg"
	"investportal/handlers"
	"investportal/models"
	"investportal/models/dbtest"
	"investportal/models/seed"
)

// replicated is a primary of the test's own with the portal's schema and
// demo content, and a real streaming replica of it made by pg_basebackup.
type replicated struct {
	primary      *gorm.DB
	primaryURL   string
	replica      *localpg.Cluster
	replicaURL   string
	replicaAdmin *gorm.DB // on the replica's postgres database, to pause replay
}

func startReplicated(t *testing.T) replicated {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	primary, err := localpg.New(filepath.Join(dir, "primary"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	primaryURL, _, err := primary.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Stop() })
	db, err := models.Open(ctx, primaryURL, models.DefaultPool, 10*time.Second, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	if _, err := models.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, db); err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(primaryURL)
	primaryPort, _ := strconv.Atoi(u.Port())
	replica, err := localpg.New(filepath.Join(dir, "replica"), quiet)
	if err != nil {
		t.Fatal(err)
	}
	port, err := replica.StartReplica(ctx, primaryPort)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = replica.Stop() })
	admin, err := models.Open(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), models.DefaultPool, 10*time.Second, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(admin) })
	return replicated{primary: db, primaryURL: primaryURL, replica: replica, replicaURL: localpg.URL(port), replicaAdmin: admin}
}

// replicasRunning opens the replicas and polls them for the length of the test.
func replicasRunning(t *testing.T, primary *gorm.DB, w *models.ContentWatch, urls ...string) *models.Replicas {
	t.Helper()
	r, err := models.OpenReplicas(urls, models.DefaultPool, primary, w, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; _ = r.Close() })
	return r
}

type readyReport struct {
	Primary  string   `json:"primary"`
	Replicas []string `json:"replicas"`
	Store    string   `json:"store"`
}

func readyz(t *testing.T, e http.Handler) (int, readyReport) {
	t.Helper()
	rec := get(t, e, http.MethodGet, "/readyz")
	var report readyReport
	if err := json.Unmarshal(rec.Body.Bytes(), &report); err != nil {
		t.Fatalf("/readyz: %v\n%s", err, rec.Body.String())
	}
	return rec.Code, report
}

func policyTitle(t *testing.T, e http.Handler, v *visitor) string {
	t.Helper()
	var rec *httptest.ResponseRecorder
	if v != nil {
		rec = v.get("/policies/" + electronicsPolicy)
	} else {
		rec = get(t, e, http.MethodGet, "/policies/"+electronicsPolicy)
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("policy page = %d", rec.Code)
	}
	return strings.TrimSpace(parse(t, rec).Find("main h1").First().Text())
}

// Public pages read from a real streaming replica while it is current; a
// replica that lags behind an edit, or is down, is passed over for the
// primary; staff always read the primary; /readyz tells each part apart.
func TestPublicPagesReadFromACurrentReplica(t *testing.T) {
	cluster := startReplicated(t)
	db := cluster.primary
	w := watched(t, cluster.primaryURL)
	replicas := replicasRunning(t, db, w, cluster.replicaURL)
	d := cachingDeps(db, w)
	d.Replicas = replicas
	d.PageCacheBytes = 0 // every request renders, so each read is seen
	e := handlers.New(d)
	editor := signedIn(t, db, e, models.RoleEditor, "192.0.2.97")

	waitFor(t, 20*time.Second, "the replica to be current", func() bool {
		code, r := readyz(t, e)
		return code == http.StatusOK && len(r.Replicas) == 1 && r.Replicas[0] == "ok"
	})
	original := policyTitle(t, e, nil)

	// Replay paused, the primary changes a title without raising the
	// content version (triggers off for that session): a page read from
	// the replica still shows the old title, so the replica is what serves.
	dbtest.MustExec(t, cluster.replicaAdmin, "SELECT pg_wal_replay_pause()")
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL session_replication_role = replica").Error; err != nil {
			return err
		}
		return tx.Exec("UPDATE policies SET title = '只在主库' WHERE slug = ?", electronicsPolicy).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := policyTitle(t, e, nil); got != original {
		t.Fatalf("a visitor's page was not read from the replica: %q", got)
	}

	// A member of staff saves while the replica lags: the admin page after
	// the save, their view of the public page and every visitor's show the
	// edit at once, from the primary; /readyz says the replica is behind.
	id := policyIDBySlug(t, db, electronicsPolicy)
	path := "/admin/policies/" + strconv.FormatInt(id, 10)
	form := editor.openContentForm(path)
	form.Set("title", "主库已修改")
	rec := editor.post(path, form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("save = %d\n%s", rec.Code, rec.Body.String())
	}
	if got := formValues(parse(t, editor.get(rec.Header().Get("Location")))).Get("title"); got != "主库已修改" {
		t.Errorf("the admin page after the save shows %q", got)
	}
	for range 3 {
		if got := policyTitle(t, e, nil); got != "主库已修改" {
			t.Fatalf("a visitor's page after the save, with the replica behind = %q", got)
		}
	}
	if got := policyTitle(t, e, editor); got != "主库已修改" {
		t.Errorf("staff's public page after the save = %q", got)
	}
	if _, r := readyz(t, e); r.Replicas[0] != "behind" {
		t.Errorf("/readyz with replay paused after an edit: %+v", r)
	}

	// Replay resumes: the replica serves again, with the edit.
	dbtest.MustExec(t, cluster.replicaAdmin, "SELECT pg_wal_replay_resume()")
	waitFor(t, 10*time.Second, "the replica to catch up", func() bool {
		_, r := readyz(t, e)
		return r.Replicas[0] == "ok"
	})
	if got := policyTitle(t, e, nil); got != "主库已修改" {
		t.Errorf("the page from the caught-up replica = %q", got)
	}

	// The replica goes down: pages are served by the primary, with no
	// error (a project filter with an amount is read afresh each time, so
	// a request may meet the replica down before the poll does), and the
	// instance stays ready.
	if err := cluster.replica.Stop(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if rec := get(t, e, http.MethodGet, "/projects?min=1"); rec.Code != http.StatusOK {
			t.Fatalf("a project filter with the replica down = %d", rec.Code)
		}
		if got := policyTitle(t, e, nil); got != "主库已修改" {
			t.Errorf("the page with the replica down = %q", got)
		}
	}
	code, report := readyz(t, e)
	if code != http.StatusOK || report.Primary != "ok" || report.Replicas[0] != "down" || report.Store != "ok" {
		t.Errorf("/readyz with the replica down = %d %+v", code, report)
	}
}
