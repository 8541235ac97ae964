package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestProfilesServedOnTheirOwnListenerUntilStopped(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { serveProfiles(ctx, addr, slog.New(slog.DiscardHandler)); close(done) }()

	var resp *http.Response
	for range 50 { // the listener may take a moment to open
		if resp, err = http.Get("http://" + addr + "/debug/pprof/"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("profile index: %d %.200s", resp.StatusCode, body)
	}
	stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("profile listener still running after its context ended")
	}
	if _, err := http.Get("http://" + addr + "/debug/pprof/"); err == nil {
		t.Error("profiles still served after stop")
	}
}
