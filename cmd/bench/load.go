package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gorm.io/gorm"

	"investportal/models"
)

// page is one public page the bench drives. A page with vary set adds
// that parameter with a new random value to each request: a filter or a
// query nobody asked for before, which no cache holds.
type page struct{ name, path, vary string }

// commonPages are the pages whose addresses are the same in both datasets.
func commonPages(park, chain, project, event, news string) []page {
	return []page{
		{"home", "/", ""},
		{"home, English", "/en", ""},
		{"regions", "/regions", ""},
		{"region (Chifeng)", "/regions/chifeng", ""},
		{"parks", "/parks", ""},
		{"park", "/parks/" + park, ""},
		{"chains", "/chains", ""},
		{"chain", "/chains/" + chain, ""},
		{"policy list", "/policies", ""},
		{"policy filter", "/policies?benefit=rent_subsidy&validity=in_force", ""},
		{"policy detail", "/policies/chifeng-electronics-intelligent-manufacturing-support", ""},
		{"project list", "/projects", ""},
		{"project filter", "/projects?region=chifeng&stage=under_construction&min=10000", ""},
		{"project filter, new", "/projects?region=chifeng&stage=under_construction", "min"},
		{"project detail", "/projects/" + project, ""},
		{"events", "/events", ""},
		{"event", "/events/" + event, ""},
		{"news list", "/news", ""},
		{"news article", "/news/" + news, ""},
		{"site finder", "/sites?kind=standard_factory&min_area=2000&max_area=10000&sort=rent", ""},
		{"site finder, new", "/sites?kind=land", "min_area"},
		{"incentive matcher", "/match?region=chifeng&chain=chifeng-electronics&amount=2&unit=yi&innovation_centre=national", ""},
		{"incentive matcher, new", "/match?region=hongshan&unit=wan&high_tech=yes", "amount"},
		{"search 电子", "/search?q=" + url.QueryEscape("电子"), ""},
		{"search, new", "/search", "q"},
		{"statistics", "/statistics", ""},
		{"statistics, Chifeng", "/statistics?region=chifeng", ""},
		{"statistics CSV", "/statistics/by-region.csv", ""},
	}
}

// demoPages names the demo content's first record of each kind.
func demoPages(ctx context.Context, db *gorm.DB) []page {
	first := func(table string) string {
		var slug string
		db.WithContext(ctx).Raw("SELECT slug FROM " + table + " ORDER BY id LIMIT 1").Scan(&slug) // #nosec G202 -- the bench's own table names
		return slug
	}
	return commonPages(first("parks"), first("industry_chains"), first("projects"), first("signing_events"), first("news_articles"))
}

// largePages use synthetic records in the middle of the large dataset.
func largePages(ctx context.Context, db *gorm.DB) []page {
	p := demoPages(ctx, db)
	for i := range p {
		switch p[i].name {
		case "project detail":
			p[i].path = "/projects/synthetic-project-4242"
		case "event":
			p[i].path = "/events/synthetic-event-250"
		}
	}
	return p
}

// The wrk runs: one thread and 32 connections, as many as a busy portal
// might see, for a few seconds each.
const (
	wrkConnections = 32
	wrkDuration    = 3 * time.Second
	firstViews     = 25 // requests per page timed on the first view after an edit
)

// measure drives every page against the reference, the portal with its
// page cache and the portal without one, then times first views after
// an edit, and reports the portals' peak memory and any server errors.
func measure(ctx context.Context, binary string, d *dataset, pages []page) error {
	cached, err := startPortal(ctx, binary, d.url, 64)
	if err != nil {
		return err
	}
	defer cached.stop()
	uncached, err := startPortal(ctx, binary, d.url, 0)
	if err != nil {
		return err
	}
	defer uncached.stop()
	ref, err := startReference(cached.base, pages)
	if err != nil {
		return err
	}
	defer ref.Close()

	fmt.Printf("wrk -t1 -c%d, %s a run, on 127.0.0.1; reference: the same bytes from memory with plain net/http; ratio: to the reference in the same run\n",
		wrkConnections, wrkDuration)
	fmt.Printf("%-22s %10s %9s | %10s %6s %9s | %10s %6s %9s %9s\n", "page", "reference", "p99", "cached", "ratio", "p99", "miss", "ratio", "p50", "p99")
	var cachedOK, missOK int
	for _, p := range pages {
		r, err := runWrk("http://"+ref.Addr, p)
		if err != nil {
			return fmt.Errorf("%s on the reference: %w", p.name, err)
		}
		c, err := runWrk(cached.base, p)
		if err != nil {
			return fmt.Errorf("%s with the page cache: %w", p.name, err)
		}
		m, err := runWrk(uncached.base, p)
		if err != nil {
			return fmt.Errorf("%s without the page cache: %w", p.name, err)
		}
		if c.rate/r.rate >= 0.5 && c.p99 < 10*time.Millisecond {
			cachedOK++
		}
		if m.rate/r.rate >= 0.18 {
			missOK++
		}
		fmt.Printf("%-22s %10.0f %9s | %10.0f %6.3f %9s | %10.0f %6.3f %9s %9s\n", p.name, r.rate, round(r.p99),
			c.rate, c.rate/r.rate, round(c.p99), m.rate, m.rate/r.rate, round(m.p50), round(m.p99))
	}
	fmt.Printf("cached: %d of %d pages at 0.5 of the reference or more with p99 under 10 ms; misses: %d of %d at 0.18 or more\n",
		cachedOK, len(pages), missOK, len(pages))

	if err := timeFirstViews(ctx, d, cached, pages); err != nil {
		return err
	}
	for _, p := range []*portalProcess{cached, uncached} {
		fmt.Printf("peak memory (VmHWM) of the portal %s: %s\n", p.label, p.peakRSS())
	}
	cached.reportErrors()
	uncached.reportErrors()
	return nil
}

// timeFirstViews times each page, one request at a time, on its first
// view after an edit: before each request a row of every content table
// is saved (raising every version), and the request waits until the edit
// has been announced, as it would be by the time a visitor arrives.
// Nothing the page cache or the memos kept is current then: the page is
// read from the database and rendered, all of it.
func timeFirstViews(ctx context.Context, d *dataset, p *portalProcess, pages []page) error {
	watch, err := models.NewContentWatch(d.url, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	go watch.Run(watchCtx)
	for !watch.State().Current {
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("\nfirst view after an edit, %d requests a page, one at a time, with the page cache:\n", firstViews)
	fmt.Printf("%-22s %9s %9s\n", "page", "p50", "p90")
	slowest := time.Duration(0)
	client := &http.Client{Timeout: 30 * time.Second}
	for _, pg := range pages {
		if pg.vary != "" {
			continue // every request of those is a first view
		}
		took := make([]time.Duration, 0, firstViews)
		for range firstViews {
			if err := saveEveryTable(ctx, d.db); err != nil {
				return err
			}
			watch.CatchUp(ctx, d.db)
			time.Sleep(5 * time.Millisecond) // the portal's listener hears it at the same moment
			start := time.Now()
			if err := fetch(client, p.base+pg.path, nil); err != nil {
				return fmt.Errorf("%s: %w", pg.name, err)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		slowest = max(slowest, took[firstViews/2])
		fmt.Printf("%-22s %9s %9s\n", pg.name, round(took[firstViews/2]), round(took[firstViews*9/10]))
	}
	fmt.Printf("slowest p50: %s (target: under 20 ms)\n", round(slowest))
	return nil
}

// saveEveryTable saves one row of every content table, unchanged, in one
// transaction: every content version goes up.
func saveEveryTable(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, table := range contentTables {
			column := "id"
			if table == "chain_parks" || table == "policy_chains" {
				column = "chain_id" // join tables: no id of their own
			}
			err := tx.Exec(`UPDATE ` + table + ` SET ` + column + ` = ` + column + ` WHERE ctid = (SELECT ctid FROM ` + table + ` LIMIT 1)`).Error // #nosec G202 -- the bench's own list of tables
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
		}
		return nil
	})
}

// contentTables are the tables with a content version (migration 00020).
var contentTables = []string{"benefit_items", "business_measures", "chain_links", "chain_parks", "contacts", "industry_chains",
	"news_articles", "park_sites", "parks", "policies", "policy_chains", "project_appearances",
	"project_managers", "project_reports", "projects", "region_figures", "regions",
	"reported_statistics", "signing_events", "uploads"}

// portalProcess is the real portal binary, serving on a free port.
type portalProcess struct {
	label string
	base  string
	cmd   *exec.Cmd
	log   string // its log file
}

func startPortal(ctx context.Context, binary, databaseURL string, cacheMB int) (*portalProcess, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	_ = l.Close()
	dir, err := os.MkdirTemp("", "portal-bench-")
	if err != nil {
		return nil, err
	}
	p := &portalProcess{label: "with its page cache", base: "http://" + addr, log: filepath.Join(dir, "portal.log")}
	if cacheMB == 0 {
		p.label = "without a page cache"
	}
	logFile, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	p.cmd = exec.CommandContext(ctx, binary, "serve") // #nosec G204 -- the portal binary make bench built
	// The default settings, request logs at info included (to a file).
	p.cmd.Env = append(os.Environ(), "DATABASE_URL="+databaseURL, "PORTAL_ADDR="+addr, "PORTAL_BASE_URL="+p.base,
		"PORTAL_PAGE_CACHE_MB="+strconv.Itoa(cacheMB), "PORTAL_UPLOAD_DIR="+filepath.Join(dir, "uploads"))
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	// Ready once it answers and listens for content changes.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		logged, _ := os.ReadFile(p.log)
		if fetch(http.DefaultClient, p.base+"/readyz", nil) == nil && strings.Contains(string(logged), "listening for content changes") {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("the portal was not ready within a minute:\n%s", logged)
		}
	}
}

func (p *portalProcess) stop() {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		_ = p.cmd.Wait()
	}
}

// peakRSS is the process's peak resident memory so far.
func (p *portalProcess) peakRSS() string {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status); err == nil && m != nil {
		kb, _ := strconv.Atoi(string(m[1]))
		return fmt.Sprintf("%d MB", kb/1024)
	}
	return "unknown"
}

// reportErrors prints the server errors the portal logged, so that a
// failing page says why.
func (p *portalProcess) reportErrors() {
	f, err := os.Open(p.log)
	if err != nil {
		return
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if strings.Contains(lines.Text(), "level=ERROR") {
			fmt.Fprintf(os.Stderr, "portal %s: %s\n", p.label, lines.Text())
		}
	}
}

// variation is the parameter a varying page is first fetched with.
func variation(p page) string {
	if p.vary == "" {
		return ""
	}
	sep := "?"
	if strings.Contains(p.path, "?") {
		sep = "&"
	}
	return sep + p.vary + "=1"
}

// canonical is a path with its query in a fixed order, as the reference
// looks it up.
func canonical(path string) string {
	u, err := url.Parse(path)
	if err != nil || u.RawQuery == "" {
		return path
	}
	return u.Path + "?" + u.Query().Encode()
}

// varyScript writes a wrk script that sends each request with a new
// random value: a number for amounts, two random Chinese characters for
// a text query.
func varyScript(p page) (string, error) {
	sep := "?"
	if strings.Contains(p.path, "?") {
		sep = "&"
	}
	value := `tostring(math.random(1, 1000000000))`
	switch p.vary {
	case "q":
		value = `han() .. han()`
	case "amount": // the matcher refuses more than 1,000,000 of a unit
		value = `tostring(math.random(1, 999999))`
	}
	// wrk's Lua is 5.1: the UTF-8 of a character is written by hand.
	script := fmt.Sprintf(`math.randomseed(os.time())
local function han()
  local c = math.random(19968, 40869)
  return string.format("%%%%%%02X%%%%%%02X%%%%%%02X", 224 + math.floor(c / 4096), 128 + math.floor(c / 64) %% 64, 128 + c %% 64)
end
request = function()
  return wrk.format("GET", %q .. %s)
end
`, p.path+sep+p.vary+"=", value)
	f, err := os.CreateTemp("", "bench-*.lua")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.WriteString(script)
	return f.Name(), err
}

// startReference serves each page's bytes, as the portal sent them, from
// memory with plain net/http.
func startReference(base string, pages []page) (*http.Server, error) {
	type stored struct {
		contentType string
		body        []byte
	}
	bodies := map[string]stored{}
	for _, p := range pages {
		var s stored
		err := fetch(http.DefaultClient, base+p.path+variation(p), func(res *http.Response) error {
			var err error
			s.contentType = res.Header.Get("Content-Type")
			s.body, err = io.ReadAll(res.Body)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		bodies[canonical(p.path)] = s
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Addr: l.Addr().String(), ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := bodies[canonical(r.URL.RequestURI())]
		if !ok { // a varying page: the random value left out
			q := r.URL.Query()
			for _, p := range pages {
				q.Del(p.vary)
			}
			uri := r.URL.Path
			if len(q) > 0 {
				uri += "?" + q.Encode()
			}
			s, ok = bodies[uri]
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", s.contentType)
		_, _ = w.Write(s.body)
	})}
	go func() { _ = srv.Serve(l) }()
	return srv, nil
}

// fetch gets a page and fails on anything but 200; read, if given, reads it.
func fetch(client *http.Client, target string, read func(*http.Response) error) error {
	res, err := client.Get(target)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answers %d", target, res.StatusCode)
	}
	if read != nil {
		return read(res)
	}
	_, err = io.Copy(io.Discard, res.Body)
	return err
}

type wrkResult struct {
	rate     float64
	p50, p99 time.Duration
}

func runWrk(base string, p page) (wrkResult, error) {
	args := []string{"-t1", "-c" + strconv.Itoa(wrkConnections), "-d" + wrkDuration.String(), "--latency", "--timeout", "10s"}
	if p.vary != "" {
		script, err := varyScript(p)
		if err != nil {
			return wrkResult{}, err
		}
		defer os.Remove(script)
		args = append(args, "-s", script)
	}
	out, err := exec.Command("wrk", append(args, base+p.path)...).CombinedOutput() // #nosec G204 -- wrk against the bench's own loopback servers
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	if bad := field(out, `Non-2xx or 3xx responses:\s+(\d+)`); bad != "?" {
		return wrkResult{}, fmt.Errorf("%s non-2xx responses\n%s", bad, out)
	}
	var r wrkResult
	r.rate, err = strconv.ParseFloat(field(out, `Requests/sec:\s+(\S+)`), 64)
	if err == nil {
		r.p50, err = time.ParseDuration(field(out, `\s50%\s+(\S+)`))
	}
	if err == nil {
		r.p99, err = time.ParseDuration(field(out, `\s99%\s+(\S+)`))
	}
	if err != nil || r.rate == 0 {
		return r, errors.Join(errors.New("wrk's output not understood"), err)
	}
	return r, nil
}

func round(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}
