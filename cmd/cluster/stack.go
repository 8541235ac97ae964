package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"investportal/cmd/portal/localpg"
	"investportal/models"
	"investportal/models/seed"
	"investportal/models/storage/seaweed"
)

type stackOptions struct {
	Dir       string // an empty folder of the stack's own
	PortalBin string
	NginxPort int // 0: any free port
	Log       *slog.Logger
}

// stack is every part of the cluster, started and stopped together.
type stack struct {
	opts          stackOptions
	primary       *localpg.Cluster
	replica       *localpg.Cluster
	store         *seaweed.Server
	nginx         *exec.Cmd
	PrimaryURL    string
	ReplicaURL    string
	NginxAddr     string
	Instances     [2]*instance
	Secret        string
	AdminEmail    string
	AdminPassword string
	instanceEnv   []string // settings every instance is started with besides the stack's
}

// instance is one portal process.
type instance struct {
	Name, Addr, MetricsAddr, LogPath string
	cmd                              *exec.Cmd
	exited                           chan struct{}
}

// startStack starts the primary (with the schema, the demo content and an
// administrator), its replica, the store, two instances and nginx, each
// waited for; on any failure it stops what it started.
func startStack(ctx context.Context, opts stackOptions) (s *stack, err error) {
	s = &stack{opts: opts, Secret: rand.Text() + rand.Text()}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, err
	}
	if s.primary, err = localpg.New(filepath.Join(opts.Dir, "primary"), opts.Log); err != nil {
		return s, err
	}
	if s.PrimaryURL, _, err = s.primary.Start(ctx); err != nil {
		return s, err
	}
	if err := s.prepareDatabase(ctx); err != nil {
		return s, err
	}
	u, _ := url.Parse(s.PrimaryURL)
	primaryPort, _ := strconv.Atoi(u.Port())
	if s.replica, err = localpg.New(filepath.Join(opts.Dir, "replica"), opts.Log); err != nil {
		return s, err
	}
	replicaPort, err := s.replica.StartReplica(ctx, primaryPort)
	if err != nil {
		return s, err
	}
	s.ReplicaURL = localpg.URL(replicaPort)
	storeDir := filepath.Join(opts.Dir, "store")
	if err := os.MkdirAll(storeDir, 0o750); err != nil {
		return s, err
	}
	if s.store, err = seaweed.Start(ctx, storeDir, "portal-uploads"); err != nil {
		return s, err
	}
	if s.NginxAddr, err = addrOn(opts.NginxPort); err != nil {
		return s, err
	}
	for i, name := range []string{"a", "b"} {
		in := &instance{Name: name, LogPath: filepath.Join(opts.Dir, "portal-"+name+".log")}
		if in.Addr, err = addrOn(0); err != nil {
			return s, err
		}
		if in.MetricsAddr, err = addrOn(0); err != nil {
			return s, err
		}
		s.Instances[i] = in
		if err := s.StartInstance(ctx, i); err != nil {
			return s, err
		}
	}
	return s, s.startNginx()
}

// prepareDatabase applies the migrations, loads the demo content and
// makes an administrator with a random password.
func (s *stack) prepareDatabase(ctx context.Context) error {
	db, err := models.Open(ctx, s.PrimaryURL, models.DefaultPool, 30*time.Second, s.opts.Log)
	if err != nil {
		return err
	}
	defer func() { _ = models.Close(db) }()
	if _, err := models.Migrate(ctx, db); err != nil {
		return err
	}
	if _, err := seed.Load(ctx, db); err != nil {
		return err
	}
	s.AdminEmail, s.AdminPassword = "admin@cluster.localdomain", rand.Text()
	_, err = models.CreateStaffUser(ctx, db, s.AdminEmail, "集群管理员", models.RoleAdmin, s.AdminPassword)
	return err
}

// StartInstance starts (or starts again) instance i and waits until it is
// ready.
func (s *stack) StartInstance(ctx context.Context, i int) error {
	in := s.Instances[i]
	logFile, err := os.OpenFile(in.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.opts.PortalBin, "serve") // #nosec G204 -- the portal binary the operator named
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+s.PrimaryURL,
		"DATABASE_REPLICA_URLS="+s.ReplicaURL,
		"PORTAL_ADDR="+in.Addr,
		"PORTAL_BASE_URL=http://"+s.NginxAddr,
		"PORTAL_SESSION_SECRET="+s.Secret,
		"PORTAL_TRUSTED_PROXIES=127.0.0.1",
		"PORTAL_METRICS_ADDR="+in.MetricsAddr,
		"PORTAL_S3_ENDPOINT="+s.store.S3.Endpoint,
		"PORTAL_S3_BUCKET="+s.store.S3.Bucket,
		"AWS_ACCESS_KEY_ID="+s.store.S3.AccessKey,
		"AWS_SECRET_ACCESS_KEY="+s.store.S3.SecretKey,
		"PORTAL_INQUIRY_TEAM_EMAIL=team@cluster.localdomain",
		"PORTAL_DB_MAX_CONNS=10",
	)
	cmd.Env = append(cmd.Env, s.instanceEnv...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return err
	}
	in.cmd, in.exited = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); _ = logFile.Close(); close(in.exited) }()
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-in.exited:
			return fmt.Errorf("instance %s exited at start: see %s", in.Name, in.LogPath)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if res, err := client.Get("http://" + in.Addr + "/readyz"); err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("instance %s not ready after 60 s: see %s", in.Name, in.LogPath)
}

// KillInstance kills instance i at once (SIGKILL), as a crash would.
func (s *stack) KillInstance(i int) {
	in := s.Instances[i]
	if in == nil || in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Kill()
	<-in.exited
}

// stopInstance lets instance i finish its requests (SIGTERM).
func (s *stack) stopInstance(i int) {
	in := s.Instances[i]
	if in == nil || in.cmd == nil {
		return
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
	case <-time.After(20 * time.Second):
		s.KillInstance(i)
	}
}

// nginxConf is nginx in front of both instances: the README's proxy
// headers, and an upstream that stops sending to an instance that refuses
// connections (a request not yet sent to it goes to the other).
const nginxConf = `daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    upstream portal {
        server %[3]s max_fails=1 fail_timeout=10s;
        server %[4]s max_fails=1 fail_timeout=10s;
        keepalive 32;
    }
    server {
        listen %[2]s;
        location / {
            proxy_pass http://portal;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-ID $request_id;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            client_max_body_size 6m;
        }
    }
}
`

func (s *stack) startNginx() error {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/nginx"); statErr != nil {
			return errors.New("nginx is not installed: `make cluster` and `make test` install it with apt")
		}
		bin = "/usr/sbin/nginx"
	}
	dir := filepath.Join(s.opts.Dir, "nginx")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, s.NginxAddr, s.Instances[0].Addr, s.Instances[1].Addr), 0o600); err != nil {
		return err
	}
	s.nginx = exec.Command(bin, "-p", dir, "-c", conf) // #nosec G204 -- Debian's nginx with our configuration
	s.nginx.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.nginx.Start(); err != nil {
		return err
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", s.NginxAddr); err == nil {
			_ = c.Close()
			return nil
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "error.log")) // #nosec G304 -- our own folder
	return fmt.Errorf("nginx did not start:\n%s", log)
}

// Stop stops everything that was started, front to back.
func (s *stack) Stop() {
	if s.nginx != nil && s.nginx.Process != nil {
		_ = s.nginx.Process.Kill()
		_ = s.nginx.Wait()
	}
	for i := range s.Instances {
		s.stopInstance(i)
	}
	if s.store != nil {
		s.store.Stop()
	}
	for _, c := range []*localpg.Cluster{s.replica, s.primary} {
		if c != nil {
			if err := c.Stop(); err != nil {
				s.opts.Log.Warn("stopping PostgreSQL", "err", err)
			}
		}
	}
}

// addrOn is 127.0.0.1 at port, or at a free port when port is 0.
func addrOn(port int) (string, error) {
	if port == 0 {
		var err error
		if port, err = localpg.FreePort(); err != nil {
			return "", err
		}
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}
