// Command portal is the investment promotion portal: one binary that serves
// the site and runs its maintenance tasks.
//
//	portal [serve] [-demo]        serve the portal (-demo: migrate and load the demo content first)
//	portal migrate [up|status]    apply or list the schema migrations
//	portal seed                   load the demo content (idempotent)
//	portal localdb start|stop     start or stop the project-local PostgreSQL
//	portal localdb run -- CMD…    run CMD with DATABASE_URL set to the local cluster
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"gorm.io/gorm"

	"investportal/cmd/portal/localpg"
	"investportal/handlers"
	"investportal/models"
	"investportal/models/jobs"
	"investportal/models/outbox"
	"investportal/models/seed"
	"investportal/models/storage"
	"investportal/views/i18n"
)

const usage = `usage:
  portal [serve] [-demo]        serve the portal (-demo: migrate and load the demo content first)
  portal migrate [up|status]    apply or list the schema migrations
  portal seed                   load the demo content (idempotent)
  portal create-admin -email E -name N [-password-stdin]
                                add an administrator (a random password is printed once unless one is piped in)
  portal localdb start|stop     start or stop the project-local PostgreSQL
  portal localdb run -- CMD...  run CMD with DATABASE_URL set to the project-local PostgreSQL
`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	command := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		command, args = args[0], args[1:]
	}
	if command == "help" {
		fmt.Print(usage)
		return 0
	}
	cfg, err := loadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := newLogger(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if command != "serve" {
		// Migrations and seeding may take as long as they need; the
		// statement timeout protects the serving portal's pool.
		cfg.Pool.StatementTimeout = 0
	}
	switch command {
	case "serve":
		err = serve(ctx, cfg, log, args)
	case "migrate":
		err = migrate(ctx, cfg, log, args)
	case "seed":
		err = withDatabase(ctx, cfg, log, func(db *gorm.DB, _ string) error {
			return seedDemo(ctx, db, log)
		})
	case "create-admin":
		err = createAdmin(ctx, cfg, log, args, os.Stdin, os.Stdout)
	case "localdb":
		return localDB(ctx, cfg, log, args)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n%s", command, usage)
		return 2
	}
	if err != nil {
		log.Error("command failed", "command", command, "err", err)
		return 1
	}
	return 0
}

func newLogger(cfg Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Env == "production" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// withDatabase opens the configured database, or the project-local cluster
// when DATABASE_URL is unset, runs fn with it and its URL, and closes (and
// stops) what it opened.
func withDatabase(ctx context.Context, cfg Config, log *slog.Logger, fn func(db *gorm.DB, url string) error) (err error) {
	url := cfg.DatabaseURL
	if url == "" {
		cluster, err := localpg.New(cfg.LocalDBDir, log)
		if err != nil {
			return err
		}
		var started bool
		url, started, err = cluster.Start(ctx)
		if err != nil {
			return err
		}
		if started {
			defer func() { err = errors.Join(err, cluster.Stop()) }()
		}
	}
	db, err := models.Open(ctx, url, cfg.Pool, cfg.DBWait, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, models.Close(db)) }()
	return fn(db, url)
}

func serve(ctx context.Context, cfg Config, log *slog.Logger, args []string) error {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	demo := flags.Bool("demo", false, "apply migrations and load the demo content before serving")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if err := i18n.Load(); err != nil {
		return fmt.Errorf("message catalog: %w", err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// Pages the cache drops are garbage until the collector runs; by
		// default it lets the heap grow to twice what is live, so the
		// cache's budget would count double and then some.
		debug.SetMemoryLimit(defaultMemoryLimit(cfg.PageCacheBytes))
	}
	return withDatabase(ctx, cfg, log, func(db *gorm.DB, url string) error {
		if *demo {
			if err := seedDemo(ctx, db, log); err != nil {
				return err
			}
			if err := ensureDemoAdmin(ctx, db, os.Stdout); err != nil {
				return err
			}
		}
		worker, err := mailWorker(cfg, db, log)
		if err != nil {
			return err
		}
		// Public pages are kept rendered until a change to content is
		// heard on a connection of the watch's own.
		watch, err := models.NewContentWatch(url, log)
		if err != nil {
			return err
		}
		uploads, err := uploadStore(cfg)
		if err != nil {
			return err
		}
		replicas, err := models.OpenReplicas(cfg.ReplicaURLs, cfg.Pool, db, watch, log)
		if err != nil {
			return fmt.Errorf("DATABASE_REPLICA_URLS: %w", err)
		}
		defer replicas.Close()
		metrics, err := newMetrics(db, replicas)
		if err != nil {
			return err
		}
		deps := handlers.Deps{DB: db, Replicas: replicas, Metrics: metrics, Log: log, BaseURL: cfg.BaseURL, Secret: cfg.SessionSecret,
			Inquiries: handlers.InquirySettings{TeamEmail: cfg.TeamEmail, RetentionDays: cfg.RetentionDays, Desk: cfg.Desk, WakeOutbox: worker.Wake},
			Uploads:   uploads, TrustedProxies: cfg.TrustedProxies, RequestTimeout: cfg.RequestTimeout,
			BlockingDays: cfg.BlockingDays, Watch: watch, PageCacheBytes: cfg.PageCacheBytes}
		worker.Prepare = handlers.StatusLinks(deps) // investors' private links are put in as mail goes out, never stored
		// Inquiries stored before the desk had due times get theirs.
		if err := models.RefreshResponseDue(ctx, db, cfg.Desk); err != nil {
			log.Warn("setting response due times failed; the next start tries again", "err", err)
		}
		// Scheduled jobs run on whichever instance holds their lease, so
		// several instances can share one database (see models/jobs).
		scheduled := jobs.New(db, log, jobs.Job{Name: "desk-reminders", Run: handlers.DeskReminders(deps)},
			jobs.Job{Name: "project-flags", Run: handlers.ProjectFlags(deps)})
		background, stopBackground := context.WithCancel(ctx)
		var running sync.WaitGroup
		running.Go(func() { worker.Run(background) })
		running.Go(func() { housekeeping(background, db, cfg.RetentionDays, log) })
		running.Go(func() { scheduled.Run(background) })
		running.Go(func() { watch.Run(background) })
		running.Go(func() { replicas.Run(background) })
		defer func() { stopBackground(); running.Wait() }() // a message being sent is finished and recorded
		if cfg.DebugAddr != "" {
			running.Go(func() { serveProfiles(background, cfg.DebugAddr, log) })
		}
		if cfg.MetricsAddr != "" {
			running.Go(func() { serveMetrics(background, cfg.MetricsAddr, metrics, log) })
		}

		return serveUntilDone(ctx, handlers.NewServer(cfg.Addr, handlers.New(deps)), cfg.ShutdownGrace, log)
	})
}

// uploadStore is the bucket when one is configured, else the folder.
func uploadStore(cfg Config) (storage.Store, error) {
	if cfg.S3.Endpoint == "" {
		return storage.Folder{Dir: cfg.UploadDir}, nil
	}
	return storage.NewBucket(cfg.S3)
}

// defaultMemoryLimit is the Go runtime's soft memory limit when
// GOMEMLIMIT is unset: what the portal needs besides its page cache, and
// the cache's budget with room for the pages it replaces.
func defaultMemoryLimit(pageCacheBytes int64) int64 {
	return 128<<20 + 2*pageCacheBytes
}

// mailWorker sends the outbox over SMTP, or logs it when no server is set.
func mailWorker(cfg Config, db *gorm.DB, log *slog.Logger) (*outbox.Worker, error) {
	if cfg.SMTPURL == "" {
		log.Warn("no PORTAL_SMTP_URL: e-mail will be logged, not sent")
		return outbox.NewWorker(db, outbox.LogSender{Log: log}, log), nil
	}
	sender, err := outbox.NewSMTPSender(cfg.SMTPURL, cfg.MailFrom)
	if err != nil {
		return nil, err
	}
	return outbox.NewWorker(db, sender, log), nil
}

// housekeeping removes the personal data of inquiries closed longer than
// the retention period, expired staff sessions, sign-in failures whose
// window is over and day-old submission keys, at start and then hourly.
func housekeeping(ctx context.Context, db *gorm.DB, retentionDays int, log *slog.Logger) {
	for {
		if err := models.DeleteExpiredSessions(ctx, db); err != nil && ctx.Err() == nil {
			log.Warn("removing expired staff sessions failed; will try again", "err", err)
		}
		if err := models.DeleteStaleSignInFailures(ctx, db); err != nil && ctx.Err() == nil {
			log.Warn("removing old sign-in failures failed; will try again", "err", err)
		}
		if err := models.DeleteOldFormAttempts(ctx, db); err != nil && ctx.Err() == nil {
			log.Warn("forgetting old form attempt counts failed; will try again", "err", err)
		}
		if err := models.ForgetOldSubmissionKeys(ctx, db); err != nil && ctx.Err() == nil {
			log.Warn("forgetting old submission keys failed; will try again", "err", err)
		}
		n, err := models.AnonymiseClosedInquiries(ctx, db, time.Now().AddDate(0, 0, -retentionDays))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("anonymising closed inquiries failed; will try again", "err", err)
		case n > 0:
			log.Info("anonymised closed inquiries", "count", n, "retention_days", retentionDays)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// serveUntilDone serves until ctx ends (SIGTERM, Ctrl-C), then stops taking
// connections and lets in-flight requests finish within grace.
func serveUntilDone(ctx context.Context, srv *http.Server, grace time.Duration, log *slog.Logger) error {
	errs := make(chan error, 1)
	go func() {
		log.Info("portal listening", "addr", srv.Addr, "url", "http://"+srv.Addr+"/")
		errs <- srv.ListenAndServe()
	}()
	select {
	case err := <-errs:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errs; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func seedDemo(ctx context.Context, db *gorm.DB, log *slog.Logger) error {
	applied, err := models.Migrate(ctx, db)
	if err != nil {
		return err
	}
	log.Info("migrations applied", "count", applied)
	counts, err := seed.Load(ctx, db)
	if err != nil {
		return err
	}
	log.Info("demo content loaded", "inserted", counts)
	n, err := seed.DemoInquiries(ctx, db, models.DefaultDeskRules)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("demo inquiries loaded", "inserted", n)
	}
	return nil
}

func migrate(ctx context.Context, cfg Config, log *slog.Logger, args []string) error {
	action := "up"
	if len(args) > 0 {
		action = args[0]
	}
	return withDatabase(ctx, cfg, log, func(db *gorm.DB, _ string) error {
		switch action {
		case "up":
			n, err := models.Migrate(ctx, db)
			if err != nil {
				return err
			}
			fmt.Printf("applied %d migration(s)\n", n)
		case "status":
			states, err := models.MigrationStatus(ctx, db)
			if err != nil {
				return err
			}
			for _, s := range states {
				state := "pending"
				if s.Applied {
					state = "applied"
				}
				fmt.Printf("%05d  %-8s  %s\n", s.Version, state, s.Source)
			}
		default:
			return fmt.Errorf("unknown migrate action %q: use up or status", action)
		}
		return nil
	})
}

// localDB manages the project-local cluster for the Makefile.
func localDB(ctx context.Context, cfg Config, log *slog.Logger, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	cluster, err := localpg.New(cfg.LocalDBDir, log)
	if err != nil {
		log.Error("local database", "err", err)
		return 1
	}
	switch args[0] {
	case "start":
		url, _, err := cluster.Start(ctx)
		if err != nil {
			log.Error("local database", "err", err)
			return 1
		}
		fmt.Println(url)
		return 0
	case "stop":
		if err := cluster.Stop(); err != nil {
			log.Error("local database", "err", err)
			return 1
		}
		return 0
	case "run":
		rest := args[1:]
		if len(rest) > 0 && rest[0] == "--" {
			rest = rest[1:]
		}
		if len(rest) == 0 {
			fmt.Fprint(os.Stderr, usage)
			return 2
		}
		return runWithLocalDB(ctx, cluster, log, rest)
	}
	fmt.Fprintf(os.Stderr, "unknown localdb action %q\n%s", args[0], usage)
	return 2
}

// runWithLocalDB runs a command against the local cluster and stops the
// cluster afterwards if it started it here. A Ctrl-C reaches the command
// (same terminal) while this process waits to clean up.
func runWithLocalDB(ctx context.Context, cluster *localpg.Cluster, log *slog.Logger, command []string) int {
	url, started, err := cluster.Start(ctx)
	if err != nil {
		log.Error("local database", "err", err)
		return 1
	}
	if started {
		defer func() {
			if err := cluster.Stop(); err != nil {
				log.Error("local database", "err", err)
			}
		}()
	}
	cmd := exec.Command(command[0], command[1:]...) // #nosec G204 G702 -- `portal localdb run -- CMD` runs the operator's own command, as documented
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return max(exit.ExitCode(), 1) // -1: killed by a signal
	case err != nil:
		log.Error("run", "command", command[0], "err", err)
		return 1
	}
	return 0
}
