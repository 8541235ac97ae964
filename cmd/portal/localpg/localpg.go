// Package localpg runs a project-local PostgreSQL cluster from Debian's
// server binaries, for `make run` and `make test` when no DATABASE_URL is
// given. The cluster lives in a git-ignored folder of the project, listens
// only on 127.0.0.1 at a free port (never a Unix socket, so it cannot clash
// with a system server), and is reused by the next run.
//
// PostgreSQL refuses to run as root, so when the portal runs as root the
// cluster runs as the unprivileged user that Debian's package creates
// (postgres) and its folder belongs to that user.
package localpg

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// DatabaseName is the database the portal uses inside the local cluster.
const DatabaseName = "portal"

// ServiceUser is the unprivileged account the cluster runs as under root.
const ServiceUser = "postgres"

// Cluster is a PostgreSQL cluster kept under Dir.
type Cluster struct {
	Dir    string // the project-local folder, e.g. .localdb
	BinDir string // where initdb, pg_ctl and postgres live
	log    *slog.Logger
	owner  *syscall.Credential // nil: run as the current user
}

// New finds PostgreSQL's server binaries and the account to run them as.
func New(dir string, log *slog.Logger) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, BinDir: bin, log: log}
	if os.Geteuid() == 0 {
		u, err := user.Lookup(ServiceUser)
		if err != nil {
			return nil, fmt.Errorf("running as root, the local database needs the unprivileged %q account that Debian's postgresql package creates (apt-get install postgresql): %w", ServiceUser, err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		c.owner = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	return c, nil
}

// findBinDir prefers PG_BINDIR, then the newest /usr/lib/postgresql/N/bin,
// then whatever pg_ctl is on the PATH.
func findBinDir() (string, error) {
	var candidates []string
	if d := os.Getenv("PG_BINDIR"); d != "" {
		candidates = append(candidates, d)
	}
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(versions, func(i, j int) bool { return pgMajor(versions[i]) > pgMajor(versions[j]) })
	candidates = append(candidates, versions...)
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			p = resolved
		}
		candidates = append(candidates, filepath.Dir(p))
	}
	for _, d := range candidates {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) && isExecutable(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install Debian's postgresql package (make installs it with apt), or set PG_BINDIR or DATABASE_URL")
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExecutable(path string) bool {
	st, err := os.Stat(path) // #nosec G703 -- PG_BINDIR and the Debian folders are the operator's, not a visitor's
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }
func (c *Cluster) logFile() string { return filepath.Join(c.Dir, "postgres.log") }

// URL is the connection string of the portal's database on port.
func URL(port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, DatabaseName)
}

// Start starts the cluster, creating it on first use, and makes sure the
// portal's database exists. When the cluster is already running (another
// `make run` or `make test`), it is reused and started reports false, so only
// the process that started it stops it.
func (c *Cluster) Start(ctx context.Context) (url string, started bool, err error) {
	if err := c.prepareDir(); err != nil {
		return "", false, err
	}
	unlock, err := c.lock()
	if err != nil {
		return "", false, err
	}
	defer unlock()

	if err := c.initIfMissing(ctx); err != nil {
		return "", false, err
	}
	if port, ok := c.runningPort(ctx); ok {
		c.log.Info("reusing the running local PostgreSQL", "dir", c.Dir, "port", port)
		return URL(port), false, c.ensureDatabase(ctx, port)
	}
	port, err := FreePort()
	if err != nil {
		return "", false, err
	}
	if err := c.startOn(ctx, port); err != nil {
		return "", false, err
	}
	if err := c.ensureDatabase(ctx, port); err != nil {
		_ = c.Stop()
		return "", false, err
	}
	return URL(port), true, nil
}

// StartOn starts a stopped cluster again on the port it had, so that its
// clients' URLs stay valid: for tests of what the portal does while its
// database is away.
func (c *Cluster) StartOn(ctx context.Context, port int) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return c.startOn(ctx, port)
}

func (c *Cluster) startOn(ctx context.Context, port int) error {
	c.log.Info("starting local PostgreSQL", "dir", c.Dir, "port", port, "binaries", c.BinDir)
	out, err := c.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", c.dataDir(), "-l", c.logFile(),
		"-o", fmt.Sprintf("-p %d", port))
	if err != nil {
		return fmt.Errorf("pg_ctl start failed (see %s): %w\n%s", c.logFile(), err, out)
	}
	return nil
}

// StartReplica makes the cluster a streaming replica of the one listening
// on primaryPort (pg_basebackup, which writes the settings to follow the
// primary) and starts it on a free port, which it returns. The primary
// must allow replication connections from 127.0.0.1 (initdb's default).
func (c *Cluster) StartReplica(ctx context.Context, primaryPort int) (int, error) {
	if err := c.prepareDir(); err != nil {
		return 0, err
	}
	unlock, err := c.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	out, err := c.run(ctx, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primaryPort), "-U", "postgres",
		"-D", c.dataDir(), "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast")
	if err != nil {
		return 0, fmt.Errorf("pg_basebackup: %w\n%s", err, out)
	}
	port, err := FreePort()
	if err != nil {
		return 0, err
	}
	return port, c.startOn(ctx, port)
}

// Stop shuts the cluster down: fast mode ends sessions and checkpoints cleanly.
func (c *Cluster) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := c.run(ctx, "pg_ctl", "stop", "-w", "-m", "fast", "-D", c.dataDir())
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	c.log.Info("stopped local PostgreSQL", "dir", c.Dir)
	return nil
}

// prepareDir creates the folder and, under root, hands it to the service
// account and makes sure that account can reach it.
func (c *Cluster) prepareDir() error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	if c.owner == nil {
		return nil
	}
	// Inside an os.Root, so that a link put in place meanwhile cannot lead
	// the walk, and the chown, outside the folder.
	root, err := os.OpenRoot(c.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	err = fs.WalkDir(root.FS(), ".", func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return root.Lchown(path, int(c.owner.Uid), int(c.owner.Gid))
	})
	if err != nil {
		return fmt.Errorf("hand %s to %s: %w", c.Dir, ServiceUser, err)
	}
	return c.makeReachable()
}

// makeReachable lets the service account pass through every folder above
// the cluster (search permission only, never read): a temporary folder made
// by mktemp, or /root, is closed to other users.
func (c *Cluster) makeReachable() error {
	for dir := filepath.Dir(c.Dir); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		sys := st.Sys().(*syscall.Stat_t)
		mode := st.Mode().Perm()
		reachable := mode&0o001 != 0 ||
			(sys.Uid == c.owner.Uid && mode&0o100 != 0) ||
			(sys.Gid == c.owner.Gid && mode&0o010 != 0)
		if !reachable {
			c.log.Warn("letting the database account pass through a parent folder (search only, no listing)", "folder", dir, "account", ServiceUser)
			if err := os.Chmod(dir, st.Mode()|0o001); err != nil {
				return fmt.Errorf("make %s reachable for %s: %w", dir, ServiceUser, err)
			}
		}
		if dir == "/" {
			return nil
		}
	}
}

// lock keeps two processes from initialising or starting the cluster at once.
func (c *Cluster) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(c.Dir, "start.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
}

func (c *Cluster) initIfMissing(ctx context.Context) error {
	versionFile := filepath.Join(c.dataDir(), "PG_VERSION")
	if v, err := os.ReadFile(versionFile); err == nil { // #nosec G304 -- the cluster's own folder
		if want := strconv.Itoa(pgMajor(c.BinDir)); want != "0" && strings.TrimSpace(string(v)) != want {
			return fmt.Errorf("%s holds a PostgreSQL %s cluster but the binaries in %s are version %s: remove %s to start afresh",
				c.dataDir(), strings.TrimSpace(string(v)), c.BinDir, want, c.Dir)
		}
		return nil
	}
	c.log.Info("creating local PostgreSQL cluster", "dir", c.dataDir())
	out, err := c.run(ctx, "initdb", "-D", c.dataDir(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	// Loopback TCP only; no Unix socket, whose path could clash or be too long.
	conf := "\n# project-local cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
	f, err := os.OpenFile(filepath.Join(c.dataDir(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(conf)
	return err
}

// runningPort reads the port of a running postmaster from postmaster.pid.
func (c *Cluster) runningPort(ctx context.Context) (int, bool) {
	if _, err := c.run(ctx, "pg_ctl", "status", "-D", c.dataDir()); err != nil {
		return 0, false
	}
	f, err := os.Open(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for i := 1; lines.Scan(); i++ {
		if i == 4 { // the fourth line of postmaster.pid is the port
			port, err := strconv.Atoi(strings.TrimSpace(lines.Text()))
			return port, err == nil
		}
	}
	return 0, false
}

func (c *Cluster) ensureDatabase(ctx context.Context, port int) error {
	conn, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port))
	if err != nil {
		return fmt.Errorf("connect to local PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", DatabaseName).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{DatabaseName}.Sanitize())
	return err
}

// run runs one of the server binaries as the cluster's owner, in its own
// process group so that a Ctrl-C meant for the portal does not reach the
// postmaster before the portal has finished its requests.
func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...) // #nosec G204 -- PostgreSQL's own binaries, with arguments made here
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: c.owner}
	return cmd.CombinedOutput()
}

// FreePort is a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
