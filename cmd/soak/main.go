// Command soak proves that the portal loses nothing it acknowledged when
// things go wrong. It runs the real portal binary on a PostgreSQL cluster of
// its own (so it may kill and restart both), drives it from 127.0.0.1 only,
// and checks three faults:
//
//   - kill -9: investors post inquiries concurrently and the portal is
//     killed partway; every inquiry that got its 303 is stored with its
//     e-mails, none is stored twice (the unanswered forms are sent again, as
//     an investor would), and the restarted portal serves at once;
//   - PostgreSQL restart under load: 503 (the inquiry form kept, saying it
//     was not received) while the database is away, never a 500 or a false
//     success; the portal and its outbox worker recover by themselves;
//   - pool exhaustion: 200 clients whose searches wait on a locked table
//     get a 503 within the request deadline, 200 clients that send their headers
//     too slowly are cut off by the server, and a normal visitor is served
//     meanwhile.
//
// It prints a summary and exits 1 if any check fails. `make soak` builds the
// portal and runs it; every phase is bounded, so it ends by itself.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"investportal/cmd/portal/localpg"
)

func main() {
	portalBin := flag.String("portal", "bin/portal", "the portal binary to soak")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	s, err := newSoak(ctx, *portalBin, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	ok := s.run(ctx)
	s.close()
	if !ok {
		fmt.Println("soak: FAILED")
		os.Exit(1)
	}
	fmt.Println("soak: all checks passed")
}

// soak holds the cluster, the running portal and what the checks found.
type soak struct {
	dir       string
	cluster   *localpg.Cluster
	dbURL     string
	dbPort    int
	portalBin string
	addr      string
	portal    *exec.Cmd
	portalLog *os.File
	failures  []string
}

func newSoak(ctx context.Context, portalBin string, log *slog.Logger) (*soak, error) {
	abs, err := filepath.Abs(portalBin)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "portal-soak-")
	if err != nil {
		return nil, err
	}
	s := &soak{dir: dir, portalBin: abs}
	if s.cluster, err = localpg.New(filepath.Join(dir, "db"), log); err != nil {
		return nil, err
	}
	if s.dbURL, _, err = s.cluster.Start(ctx); err != nil {
		return nil, err
	}
	u, err := url.Parse(s.dbURL)
	if err != nil {
		return nil, err
	}
	if s.dbPort, err = strconv.Atoi(u.Port()); err != nil {
		return nil, fmt.Errorf("local cluster URL %s: %w", s.dbURL, err)
	}
	port, err := localpg.FreePort()
	if err != nil {
		return nil, err
	}
	s.addr = fmt.Sprintf("127.0.0.1:%d", port)
	if s.portalLog, err = os.Create(filepath.Join(dir, "portal.log")); err != nil { // #nosec G304 -- a file in the harness's own temporary folder
		return nil, err
	}
	return s, nil
}

func (s *soak) close() {
	s.stopPortal(syscall.SIGTERM)
	_ = s.cluster.Stop()
	_ = s.portalLog.Close()
	if len(s.failures) == 0 {
		_ = os.RemoveAll(s.dir)
	} else {
		fmt.Println("soak: portal and database logs kept in", s.dir)
	}
}

func (s *soak) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.failures = append(s.failures, msg)
	fmt.Println("  FAIL:", msg)
}

func (s *soak) run(ctx context.Context) bool {
	start := time.Now()
	if _, err := s.startPortal(ctx, true); err != nil {
		s.fail("portal did not start: %v", err)
		return false
	}
	s.killNine(ctx)
	s.databaseRestart(ctx)
	s.poolExhaustion(ctx)
	fmt.Printf("soak: %d failed checks, %s in all\n", len(s.failures), time.Since(start).Round(time.Second))
	return len(s.failures) == 0
}

// startPortal starts the portal and waits until /readyz answers 200; it
// returns how long that took.
func (s *soak) startPortal(ctx context.Context, demo bool) (time.Duration, error) {
	args := []string{"serve"}
	if demo {
		args = append(args, "-demo")
	}
	cmd := exec.Command(s.portalBin, args...) // #nosec G204 -- the portal binary the operator named, with arguments made here
	cmd.Env = append(os.Environ(),
		"DATABASE_URL="+s.dbURL,
		"PORTAL_ADDR="+s.addr,
		"PORTAL_BASE_URL=http://"+s.addr,
		"PORTAL_SESSION_SECRET=soak-secret-soak-secret-soak-secret-0123",
		"PORTAL_TRUSTED_PROXIES=127.0.0.1", // the harness plays the proxy, one address per investor
		"PORTAL_INQUIRY_TEAM_EMAIL=team@soak.example",
		"PORTAL_DB_MAX_CONNS=10",
		"PORTAL_DB_STATEMENT_TIMEOUT=2s",
		"PORTAL_REQUEST_TIMEOUT=4s",
		"PORTAL_DB_WAIT=60s",
		"PORTAL_UPLOAD_DIR="+filepath.Join(s.dir, "uploads"),
		"PORTAL_LOG_LEVEL=warn",
	)
	cmd.Stdout, cmd.Stderr = s.portalLog, s.portalLog
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	s.portal = cmd
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		res, err := client.Get("http://" + s.addr + "/readyz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(began), nil
			}
		}
	}
	return 0, errors.New("not ready after 60 s")
}

func (s *soak) stopPortal(sig syscall.Signal) {
	if s.portal == nil || s.portal.Process == nil {
		return
	}
	_ = s.portal.Process.Signal(sig)
	_ = s.portal.Wait()
	s.portal = nil
}

// investor is one browser: its cookies and the address the harness, as a
// trusted proxy, says it comes from.
type investor struct {
	client *http.Client
	ip     string
	base   string
}

func (s *soak) newInvestor() *investor {
	jar, _ := cookiejar.New(nil)
	return &investor{
		client: &http.Client{Jar: jar, Timeout: 15 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		ip:   fmt.Sprintf("10.%d.%d.%d", rand.IntN(256), rand.IntN(256), 1+rand.IntN(254)), // #nosec G404 -- made-up test addresses, no secret
		base: "http://" + s.addr,
	}
}

func (iv *investor) do(req *http.Request) (*http.Response, []byte, error) {
	req.Header.Set("X-Forwarded-For", iv.ip)
	res, err := iv.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res, body, err
}

// form is an inquiry form as an investor filled it in.
type form struct {
	values url.Values
	email  string
}

// openForm loads the inquiry form and fills it in with a unique address.
func (iv *investor) openForm(n int) (form, error) {
	req, _ := http.NewRequest(http.MethodGet, iv.base+"/inquiries/new", nil)
	res, body, err := iv.do(req)
	if err != nil {
		return form{}, err
	}
	if res.StatusCode != http.StatusOK {
		return form{}, fmt.Errorf("form = %d", res.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return form{}, err
	}
	v := url.Values{}
	for _, name := range []string{"_csrf", "submission_key"} {
		value, _ := doc.Find(`input[name="` + name + `"]`).Attr("value")
		v.Set(name, value)
	}
	email := fmt.Sprintf("investor%d.%d@soak.example", n, rand.IntN(1e9)) // #nosec G404 -- made-up test addresses, no secret
	v.Set("name", fmt.Sprintf("投资者%d", n))
	v.Set("email", email)
	v.Set("message", "我们计划投资建设生产线,想了解扶持政策。")
	v.Set("language", "zh-Hans")
	v.Set("consent", "yes")
	return form{values: v, email: email}, nil
}

// outcome is what one post of a form got.
type outcome struct {
	form   form
	status int    // 0: no answer (connection refused or cut)
	token  string // from the 303's Location
	body   []byte
}

func (iv *investor) send(f form) outcome {
	req, _ := http.NewRequest(http.MethodPost, iv.base+"/inquiries", strings.NewReader(f.values.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, body, err := iv.do(req)
	if err != nil {
		return outcome{form: f}
	}
	o := outcome{form: f, status: res.StatusCode, body: body}
	if res.StatusCode == http.StatusSeeOther {
		loc := res.Header.Get("Location")
		o.token = strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/inquiries/status/")
	}
	return o
}

// load runs investors posting inquiries until stop closes, and returns
// every outcome. Now and then a form is sent twice at once, as a double
// click would.
func (s *soak) load(workers int, stop <-chan struct{}) []outcome {
	var mu sync.Mutex
	var all []outcome
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				iv := s.newInvestor()
				f, err := iv.openForm(w*100000 + n)
				if err != nil {
					mu.Lock()
					all = append(all, outcome{form: f})
					mu.Unlock()
					time.Sleep(50 * time.Millisecond)
					continue
				}
				results := []outcome{iv.send(f)}
				if n%5 == 0 {
					results = append(results, iv.send(f))
				}
				mu.Lock()
				all = append(all, results...)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return all
}

func (s *soak) connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, s.dbURL)
}

// storedCheck verifies that every acknowledged inquiry is stored with its
// two e-mails, and that no e-mail address has more than one inquiry.
func (s *soak) storedCheck(ctx context.Context, phase string, outcomes []outcome) {
	conn, err := s.connect(ctx)
	if err != nil {
		s.fail("%s: connect to check: %v", phase, err)
		return
	}
	defer conn.Close(ctx)
	acknowledged := 0
	for _, o := range outcomes {
		if o.status != http.StatusSeeOther || o.token == "" {
			continue
		}
		acknowledged++
		sum := sha256.Sum256([]byte(o.token))
		var email string
		var mails int
		err := conn.QueryRow(ctx, `SELECT i.email, (SELECT count(*) FROM outbox_messages m WHERE m.inquiry_id = i.id)
			FROM inquiries i WHERE i.status_token_hash = $1`, sum[:]).Scan(&email, &mails)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			s.fail("%s: an acknowledged inquiry (%s) is not stored", phase, o.form.email)
		case err != nil:
			s.fail("%s: check: %v", phase, err)
		case email != o.form.email:
			s.fail("%s: the status link of %s leads to %s's inquiry", phase, o.form.email, email)
		case mails != 2:
			s.fail("%s: inquiry of %s has %d e-mails in the outbox, want 2", phase, o.form.email, mails)
		}
	}
	var twice int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT email FROM inquiries GROUP BY email HAVING count(*) > 1) d`).Scan(&twice); err != nil {
		s.fail("%s: check: %v", phase, err)
	}
	if twice > 0 {
		s.fail("%s: %d inquiries stored twice", phase, twice)
	}
	fmt.Printf("  %d acknowledged inquiries all stored with their e-mails; none stored twice\n", acknowledged)
}

// killNine kills the portal with SIGKILL while investors post inquiries.
func (s *soak) killNine(ctx context.Context) {
	fmt.Println("== kill -9 while 8 investors post inquiries")
	stop := make(chan struct{})
	done := make(chan []outcome)
	go func() { done <- s.load(8, stop) }()
	time.Sleep(3 * time.Second)
	s.stopPortal(syscall.SIGKILL)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	outcomes := <-done

	counts := map[int]int{}
	var unanswered []outcome
	for _, o := range outcomes {
		if o.form.values == nil {
			continue // the form could not be opened: the portal was gone
		}
		counts[o.status]++
		if o.status == 0 {
			unanswered = append(unanswered, o)
		}
		if o.status >= 500 {
			s.fail("kill -9: a post before the kill got %d", o.status)
		}
	}
	fmt.Printf("  %d posts: %d answered 303, %d cut off by the kill (sent again after the restart), other: %v\n",
		counts[http.StatusSeeOther]+len(unanswered), counts[http.StatusSeeOther], len(unanswered), otherThan(counts, 303, 0))

	took, err := s.startPortal(ctx, false)
	if err != nil {
		s.fail("kill -9: the portal did not come back: %v", err)
		return
	}
	fmt.Printf("  restarted portal ready in %s\n", took.Round(time.Millisecond))
	if took > 10*time.Second {
		s.fail("kill -9: the restarted portal took %s to serve", took)
	}
	// The investors who got no answer send their form again.
	for _, o := range unanswered {
		outcomes = append(outcomes, s.resend(o.form))
	}
	s.storedCheck(ctx, "kill -9", outcomes)
}

// resend posts a form again, as an investor whose first try got no answer
// would: the same submission key, with a CSRF token from a fresh page.
func (s *soak) resend(f form) outcome {
	iv := s.newInvestor()
	fresh, err := iv.openForm(0)
	if err != nil {
		return outcome{form: f}
	}
	f.values.Set("_csrf", fresh.values.Get("_csrf"))
	return iv.send(f)
}

// databaseRestart stops PostgreSQL for a few seconds while investors post
// inquiries and visitors read pages.
func (s *soak) databaseRestart(ctx context.Context) {
	fmt.Println("== PostgreSQL stopped for 4 s under load")
	stop := make(chan struct{})
	done := make(chan []outcome)
	go func() { done <- s.load(6, stop) }()
	var pages sync.Map // status → count, for page reads
	var readers sync.WaitGroup
	var firstOKAfterStart time.Time
	var mu sync.Mutex
	var restartedAt time.Time
	for range 4 {
		readers.Go(func() {
			client := &http.Client{Timeout: 15 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := client.Get("http://" + s.addr + "/regions/chifeng")
				status := 0
				if err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					_ = res.Body.Close()
					status = res.StatusCode
				}
				n, _ := pages.LoadOrStore(status, new(int))
				mu.Lock()
				*n.(*int)++
				if status == http.StatusOK && !restartedAt.IsZero() && firstOKAfterStart.IsZero() {
					firstOKAfterStart = time.Now()
				}
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	time.Sleep(2 * time.Second)
	if err := s.cluster.Stop(); err != nil {
		s.fail("stop PostgreSQL: %v", err)
	}
	time.Sleep(4 * time.Second)
	if err := s.cluster.StartOn(ctx, s.dbPort); err != nil {
		s.fail("start PostgreSQL again: %v", err)
		close(stop)
		<-done
		return
	}
	mu.Lock()
	restartedAt = time.Now()
	mu.Unlock()
	time.Sleep(6 * time.Second)
	close(stop)
	outcomes := <-done
	readers.Wait()

	counts := map[int]int{}
	for _, o := range outcomes {
		counts[o.status]++
		switch {
		case o.status >= 500 && o.status != http.StatusServiceUnavailable:
			s.fail("database restart: an inquiry post got %d", o.status)
		case o.status == 0:
			s.fail("database restart: an inquiry post got no answer")
		case o.status == http.StatusServiceUnavailable && o.form.values != nil &&
			(!bytes.Contains(o.body, []byte(o.form.values.Get("name"))) || !bytes.Contains(o.body, []byte("尚未送达"))):
			s.fail("database restart: a 503 did not keep the form or did not say it was not received")
		}
	}
	pageCounts := map[int]int{}
	pages.Range(func(k, v any) bool { pageCounts[k.(int)] = *v.(*int); return true })
	for status := range pageCounts {
		if status != http.StatusOK && status != http.StatusServiceUnavailable {
			s.fail("database restart: a page read got %d", status)
		}
	}
	fmt.Printf("  inquiry posts: %d answered 303, %d answered 503 (form kept, \"not received\"), other: %v\n",
		counts[http.StatusSeeOther], counts[http.StatusServiceUnavailable], otherThan(counts, 303, 503))
	fmt.Printf("  page reads: %d answered 200, %d answered 503, other: %v\n",
		pageCounts[http.StatusOK], pageCounts[http.StatusServiceUnavailable], otherThan(pageCounts, 200, 503))
	if counts[http.StatusServiceUnavailable]+pageCounts[http.StatusServiceUnavailable] == 0 {
		s.fail("database restart: nothing answered 503 while PostgreSQL was stopped")
	}
	if firstOKAfterStart.IsZero() {
		s.fail("database restart: no page was served after PostgreSQL came back")
	} else {
		fmt.Printf("  pages served again %s after PostgreSQL was back, without restarting the portal\n", firstOKAfterStart.Sub(restartedAt).Round(time.Millisecond))
	}
	s.storedCheck(ctx, "database restart", outcomes)

	// The outbox worker resumes: everything queued gets sent. A message
	// whose claim the outage cut off (claimed on the server, never heard of
	// by the worker) waits for its lease to run out, then goes.
	conn, err := s.connect(ctx)
	if err != nil {
		s.fail("database restart: connect: %v", err)
		return
	}
	defer conn.Close(ctx)
	waitStart := time.Now()
	var waiting, leased, leasedAtFirst int
	deadline := waitStart.Add(3 * time.Minute) // the worker's lease is 2 minutes
	for first := true; time.Now().Before(deadline); first = false {
		if err := conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE locked_until > now())
			FROM outbox_messages WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&waiting, &leased); err != nil {
			s.fail("database restart: %v", err)
			return
		}
		if first {
			leasedAtFirst = leased
		}
		if waiting == 0 {
			break
		}
		time.Sleep(time.Second)
	}
	if waiting > 0 {
		s.fail("database restart: %d e-mails still waiting 3 minutes later: the outbox worker did not resume", waiting)
	} else {
		fmt.Printf("  outbox worker resumed: every queued e-mail sent, the last %s after the load ended (%d had a claim the outage cut off and waited for its lease)\n",
			time.Since(waitStart).Round(time.Second), leasedAtFirst)
	}
}

func otherThan(counts map[int]int, known ...int) map[int]int {
	other := map[int]int{}
	for status, n := range counts {
		if !slices.Contains(known, status) {
			other[status] = n
		}
	}
	return other
}

// poolExhaustion holds the regions table so that every page needing it
// waits, sends 200 clients at once, and separately opens 200 connections
// that send their request headers too slowly.
func (s *soak) poolExhaustion(ctx context.Context) {
	fmt.Println("== 200 clients waiting on a locked table (the pool holds 10)")
	conn, err := s.connect(ctx)
	if err != nil {
		s.fail("pool: connect: %v", err)
		return
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		s.fail("pool: %v", err)
		return
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE regions IN ACCESS EXCLUSIVE MODE"); err != nil {
		s.fail("pool: lock: %v", err)
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	var slowest time.Duration
	for i := range 200 {
		wg.Go(func() {
			client := &http.Client{Timeout: 40 * time.Second}
			began := time.Now()
			// A search nobody made before reads the locked table: a page
			// the portal holds in memory would be served regardless.
			res, err := client.Get("http://" + s.addr + "/search?q=" + url.QueryEscape("等待"+strconv.Itoa(i)))
			took := time.Since(began)
			status := 0
			if err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				status = res.StatusCode
			}
			mu.Lock()
			statuses[status]++
			slowest = max(slowest, took)
			mu.Unlock()
		})
	}
	wg.Wait()
	_ = tx.Rollback(ctx)
	fmt.Printf("  answers: %v; the slowest took %s (request deadline 4 s, write timeout 30 s)\n", statuses, slowest.Round(time.Millisecond))
	if statuses[http.StatusServiceUnavailable] != 200 {
		s.fail("pool: %d of 200 waiting clients got a 503, want all", statuses[http.StatusServiceUnavailable])
	}
	if slowest > 10*time.Second {
		s.fail("pool: a waiting client was held %s", slowest)
	}
	if res, err := http.Get("http://" + s.addr + "/regions"); err != nil || res.StatusCode != http.StatusOK {
		s.fail("pool: /regions after the lock was released: %v %v", err, res)
	} else {
		_ = res.Body.Close()
	}

	fmt.Println("== 200 clients sending their headers a byte a second")
	var slow []net.Conn
	for range 200 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			s.fail("slow clients: dial: %v", err)
			break
		}
		if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")); err != nil {
			s.fail("slow clients: %v", err)
		}
		slow = append(slow, c)
	}
	began := time.Now()
	// A normal visitor is served meanwhile.
	served, slowestVisit := 0, time.Duration(0)
	for range 20 {
		t := time.Now()
		res, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + s.addr + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				served++
			}
		}
		slowestVisit = max(slowestVisit, time.Since(t))
	}
	// Keep dribbling until the server cuts the slow clients off.
	cut := 0
	var wgSlow sync.WaitGroup
	var cutMu sync.Mutex
	var lastCut time.Duration
	for _, c := range slow {
		wgSlow.Go(func() {
			defer c.Close()
			buf := make([]byte, 512)
			for time.Since(began) < 20*time.Second {
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				if _, err := c.Read(buf); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						if _, err := c.Write([]byte("X")); err != nil {
							break
						}
						continue
					}
					break // the server answered or closed: cut off
				}
			}
			if time.Since(began) < 20*time.Second {
				cutMu.Lock()
				cut++
				lastCut = max(lastCut, time.Since(began))
				cutMu.Unlock()
			}
		})
	}
	wgSlow.Wait()
	fmt.Printf("  a normal visitor was served %d of 20 times meanwhile (slowest %s); %d of 200 slow clients cut off, the last after %s\n",
		served, slowestVisit.Round(time.Millisecond), cut, lastCut.Round(time.Millisecond))
	if served != 20 {
		s.fail("slow clients: the normal visitor was served %d of 20 times", served)
	}
	if cut != len(slow) {
		s.fail("slow clients: %d of %d were still connected after 20 s", len(slow)-cut, len(slow))
	}
}
