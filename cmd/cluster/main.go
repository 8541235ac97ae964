// Command cluster runs the portal as it runs at scale, on 127.0.0.1 only:
// a PostgreSQL primary and a streaming replica of it (Debian's binaries,
// pg_basebackup), an S3-compatible object store (SeaweedFS), two portal
// instances reading from the replica and storing uploads in the store, and
// nginx in front of both with the trusted-proxy setting. `make cluster`
// builds and starts it, prints where everything is, and stops it all on
// Ctrl-C. cmd/cluster's test drives the same stack.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

func main() {
	portal := flag.String("portal", "bin/portal", "the portal binary")
	dir := flag.String("dir", ".cluster", "folder for the databases, the store, the logs and nginx (git-ignored; emptied at start)")
	port := flag.Int("port", 8090, "port of nginx on 127.0.0.1")
	bench := flag.Bool("bench", false, "measure pages through nginx with two instances and with one, print the figures and stop")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	abs, err := filepath.Abs(*dir)
	if err == nil {
		err = os.RemoveAll(abs)
	}
	if err != nil {
		log.Error("cluster folder", "err", err)
		os.Exit(1)
	}
	s, err := startStack(ctx, stackOptions{Dir: abs, PortalBin: *portal, NginxPort: *port, Log: log})
	if err != nil {
		log.Error("the cluster did not start", "err", err)
		os.Exit(1)
	}
	defer s.Stop()
	if *bench {
		if err := benchThroughNginx(ctx, s); err != nil {
			log.Error("cluster bench", "err", err)
			s.Stop()
			os.Exit(1)
		}
		return
	}
	fmt.Printf(`
the portal at scale, on 127.0.0.1:
  nginx           http://%s/   (in front of both instances)
  instance A      http://%s/   metrics http://%s/metrics   log %s
  instance B      http://%s/   metrics http://%s/metrics   log %s
  primary         %s
  replica         %s
  object store    %s (bucket %s)
  administrator   %s, password (shown once) %s

Ctrl-C stops everything.
`, s.NginxAddr, s.Instances[0].Addr, s.Instances[0].MetricsAddr, s.Instances[0].LogPath,
		s.Instances[1].Addr, s.Instances[1].MetricsAddr, s.Instances[1].LogPath,
		s.PrimaryURL, s.ReplicaURL, s.store.S3.Endpoint, s.store.S3.Bucket, s.AdminEmail, s.AdminPassword)
	<-ctx.Done()
	log.Info("stopping the cluster")
}
