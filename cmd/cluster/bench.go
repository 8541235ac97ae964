package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// benchPages are read through nginx: cached, they measure nginx and the
// instances' page caches; rendered per request, the replica and the memos.
var benchPages = []string{"/", "/policies", "/policies/" + benchPolicy, "/regions/chifeng",
	"/projects?region=chifeng", "/search?q=" + url.QueryEscape("电子")}

const (
	benchPolicy   = "chifeng-electronics-intelligent-manufacturing-support"
	benchDuration = 5 * time.Second
)

// benchThroughNginx runs wrk (2 threads, 32 connections) on each page
// through nginx with both instances, then with B stopped, first with the
// page cache and then without it, and prints requests a second and the
// ratio of two instances to one, measured in the same run.
func benchThroughNginx(ctx context.Context, s *stack) error {
	fmt.Printf("wrk -t2 -c32 -d%s through nginx on 127.0.0.1; ratio: two instances / one, same run\n", benchDuration)
	for _, mode := range []struct {
		name     string
		cacheMiB string
	}{{"page cache on", "64"}, {"page cache off (each page rendered, data from the replica and the memos)", "0"}} {
		s.instanceEnv = []string{"PORTAL_PAGE_CACHE_MB=" + mode.cacheMiB, "PORTAL_LOG_LEVEL=warn"}
		for i := range s.Instances {
			s.stopInstance(i)
			if err := s.StartInstance(ctx, i); err != nil {
				return err
			}
		}
		two, err := wrkEach(s)
		if err != nil {
			return err
		}
		s.stopInstance(1)
		one, err := wrkEach(s)
		if err != nil {
			return err
		}
		fmt.Printf("\n%s\n\n| page | two instances req/s | one instance req/s | ratio |\n|---|---:|---:|---:|\n", mode.name)
		for i, page := range benchPages {
			fmt.Printf("| `%s` | %.0f | %.0f | %.2f |\n", page, two[i], one[i], two[i]/one[i])
		}
		if err := s.StartInstance(ctx, 1); err != nil {
			return err
		}
	}
	return nil
}

func wrkEach(s *stack) ([]float64, error) {
	var rates []float64
	for _, page := range benchPages {
		target := "http://" + s.NginxAddr + page
		// One request first, so that nginx has marked a stopped instance
		// failed before the run counts.
		if resp, err := http.Get(target); err == nil { // #nosec G107 -- our own loopback stack
			_ = resp.Body.Close()
		}
		out, err := exec.Command("wrk", "-t2", "-c32", "-d"+benchDuration.String(), "--timeout", "10s", target).CombinedOutput() // #nosec G204 -- wrk against our own loopback stack
		if err != nil {
			return nil, fmt.Errorf("wrk: %w\n%s", err, out)
		}
		if bad := regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`).FindSubmatch(out); bad != nil {
			return nil, fmt.Errorf("%s: %s responses not 2xx\n%s", page, bad[1], out)
		}
		m := regexp.MustCompile(`Requests/sec:\s+(\S+)`).FindSubmatch(out)
		if m == nil {
			return nil, errors.New("wrk's output not understood:\n" + string(out))
		}
		rate, err := strconv.ParseFloat(string(m[1]), 64)
		if err != nil {
			return nil, err
		}
		rates = append(rates, rate)
	}
	return rates, nil
}
