// Package seaweed runs a real S3-compatible object store, SeaweedFS, on
// 127.0.0.1 for the tests and for `make cluster`. Its binary is built from
// the Go module proxy by `make test` (see weedtool/go.mod, a module of its
// own so that SeaweedFS's hundreds of dependencies stay out of the
// portal's go.mod) into bin/weed.
package seaweed

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"investportal/models/storage"
)

// Server is a running SeaweedFS: master, volume, filer and S3 gateway in
// one process, every port on 127.0.0.1.
type Server struct {
	// S3 is how to reach the bucket, credentials included.
	S3  storage.S3Config
	cmd *exec.Cmd
	log *bytes.Buffer
	mu  *sync.Mutex // guards log
	end chan struct{}
}

// Binary finds the weed binary: $PORTAL_WEED, or bin/weed in the
// repository that holds the working directory.
func Binary() (string, error) {
	if path := os.Getenv("PORTAL_WEED"); path != "" {
		return path, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "models", "storage", "seaweed")); err == nil {
				path := filepath.Join(dir, "bin", "weed")
				if _, err := os.Stat(path); err != nil {
					return "", errors.New("bin/weed is missing: `make test` (or `make bin/weed`) builds it")
				}
				return path, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the portal's repository: set PORTAL_WEED to the weed binary")
		}
		dir = parent
	}
}

// Start runs SeaweedFS with its data in dir and one bucket, named bucket,
// for an identity with random keys, and waits until the bucket answers.
func Start(ctx context.Context, dir, bucket string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	ports := make([]int, 8)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	accessKey, secretKey := randomHex(10), randomHex(20)
	identities, _ := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        "portal",
		"credentials": []any{map[string]string{"accessKey": accessKey, "secretKey": secretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	config := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(config, identities, 0o600); err != nil {
		return nil, err
	}
	port := func(i int) string { return strconv.Itoa(ports[i]) }
	// #nosec G204 -- the binary is the project's own build, the arguments ours.
	cmd := exec.Command(bin, "server", "-dir="+dir, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port="+port(0), "-master.port.grpc="+port(1), "-master.volumeSizeLimitMB=32",
		"-volume.port="+port(2), "-volume.port.grpc="+port(3), "-volume.max=4",
		"-filer", "-filer.port="+port(4), "-filer.port.grpc="+port(5),
		"-s3", "-s3.port="+port(6), "-s3.port.grpc="+port(7), "-s3.config="+config,
		"-s3.port.iceberg=0", "-s3.port.lance=0")
	s := &Server{
		S3: storage.S3Config{Endpoint: "http://127.0.0.1:" + port(6), Bucket: bucket,
			AccessKey: accessKey, SecretKey: secretKey},
		cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}, end: make(chan struct{}),
	}
	cmd.Stdout, cmd.Stderr = lockedWriter{s}, lockedWriter{s}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = cmd.Wait(); close(s.end) }()
	if err := s.makeBucket(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("seaweedfs did not come up: %w\n%s", err, s.Log())
	}
	return s, nil
}

// makeBucket creates the bucket once the gateway answers, and writes a
// first object (a minute at most: the master, volume and filer start
// first, and the first write waits for the volumes to be made, some
// seconds).
func (s *Server) makeBucket(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		err := storage.MakeBucket(ctx, s.S3)
		if err == nil {
			var bucket *storage.Bucket
			if bucket, err = storage.NewBucket(s.S3); err == nil {
				if err = bucket.Put(ctx, "ready-probe", []byte("ready")); err == nil {
					return bucket.Delete(ctx, "ready-probe")
				}
			}
		}
		select {
		case <-s.end:
			return errors.New("weed exited")
		case <-ctx.Done():
			return err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop ends the server and waits for it.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-s.end
}

// Log is what the server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// ForTest starts a server for one test and stops it after.
func ForTest(t testing.TB) *Server {
	t.Helper()
	s, err := Start(context.Background(), t.TempDir(), "portal-uploads")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

type lockedWriter struct{ s *Server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
