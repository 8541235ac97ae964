package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"investportal/models"
)

const policySlug = "chifeng-electronics-intelligent-manufacturing-support"

// The whole stack, started as `make cluster` starts it, on 127.0.0.1 only:
// a primary and its streaming replica, SeaweedFS, two portal instances and
// nginx in front. What one instance does, the other sees; and an instance
// killed under load loses no acknowledged inquiry.
func TestTwoInstancesBehindNginx(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	s, err := startStack(context.Background(), stackOptions{Dir: t.TempDir(), PortalBin: buildPortal(t), Log: quiet})
	if err != nil {
		if s != nil {
			t.Fatalf("%v\n%s", err, instanceLogs(s))
		}
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	db, err := models.Open(context.Background(), s.PrimaryURL, models.DefaultPool, 10*time.Second, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	a, b, front := "http://"+s.Instances[0].Addr, "http://"+s.Instances[1].Addr, "http://"+s.NginxAddr

	// A session signed in through A is valid on B.
	staff := newBrowser("")
	staff.signIn(t, a, s.AdminEmail, s.AdminPassword)
	if code, _ := staff.get(t, b+"/admin"); code != http.StatusOK {
		t.Fatalf("the admin on B with A's session = %d, want 200", code)
	}

	// A staff edit on A is seen on B at the next request, and through nginx.
	var id int64
	db.Raw("SELECT id FROM policies WHERE slug = ?", policySlug).Scan(&id)
	path := fmt.Sprintf("/admin/policies/%d", id)
	_, page := staff.get(t, a+path)
	form := contentForm(t, page)
	form.Set("title", "集群测试:实例A的修改")
	if code, _ := staff.post(t, a+path, form); code != http.StatusSeeOther {
		t.Fatalf("saving the policy on A = %d", code)
	}
	for _, base := range []string{b, front, front} {
		if _, page := newBrowser("").get(t, base+"/policies/"+policySlug); !strings.Contains(page, "集群测试:实例A的修改") {
			t.Errorf("the policy page from %s after the edit on A lacks the new title", base)
		}
	}

	// An image uploaded through A is served by B.
	picture := pngBytes(t)
	if code := staff.upload(t, a, picture); code != http.StatusCreated {
		t.Fatalf("upload on A = %d", code)
	}
	var name string
	db.Raw("SELECT name FROM uploads ORDER BY id DESC LIMIT 1").Scan(&name)
	resp, err := http.Get(b + "/uploads/" + name)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Equal(served, picture) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("the upload from B: %d, %d bytes, %s", resp.StatusCode, len(served), resp.Header.Get("Content-Type"))
	}

	// Rate limits count across both instances: 20 form posts a minute
	// from one visitor, whichever instance takes them.
	visitor := newBrowser("198.51.100.20")
	for i := range 20 {
		base := a
		if i%2 == 1 {
			base = b
		}
		if code, _ := visitor.post(t, base+"/inquiries", url.Values{"company": {"x"}}); code == http.StatusTooManyRequests {
			t.Fatalf("form post %d refused as too many", i+1)
		}
	}
	for _, base := range []string{a, b} {
		if code, _ := visitor.post(t, base+"/inquiries", url.Values{"company": {"x"}}); code != http.StatusTooManyRequests {
			t.Errorf("the 21st form post in a minute, on %s = %d, want 429", base, code)
		}
	}

	// A is killed under load: every acknowledged inquiry is stored, and
	// nginx moves the traffic to B.
	killed := make(chan time.Time, 1)
	go func() {
		time.Sleep(2 * time.Second)
		s.KillInstance(0)
		killed <- time.Now()
	}()
	outcomes := investorsPosting(t, front, 8, 6*time.Second)
	killedAt := <-killed
	acknowledged, afterKill := 0, 0
	for _, o := range outcomes {
		if o.status != http.StatusSeeOther {
			continue
		}
		acknowledged++
		if o.at.After(killedAt.Add(time.Second)) {
			afterKill++
		}
		var stored int64
		db.Raw("SELECT count(*) FROM inquiries WHERE email = ?", o.email).Scan(&stored)
		if stored != 1 {
			t.Errorf("acknowledged inquiry from %s stored %d times", o.email, stored)
		}
	}
	t.Logf("%d inquiries posted, %d acknowledged, %d of them after A was killed", len(outcomes), acknowledged, afterKill)
	if afterKill == 0 {
		t.Errorf("no inquiry acknowledged after A was killed: nginx did not move the traffic to B\n%s", instanceLogs(s))
	}

	// No message is sent twice: each instance runs an outbox worker.
	sent := map[string]int{}
	for _, in := range s.Instances {
		log, _ := os.ReadFile(in.LogPath)
		for _, m := range regexp.MustCompile(`msg="outbox: sent" message="?([^ "]+)`).FindAllSubmatch(log, -1) {
			sent[string(m[1])]++
		}
	}
	for id, n := range sent {
		if n > 1 {
			t.Errorf("message %s sent %d times", id, n)
		}
	}
	if len(sent) == 0 {
		t.Error("no e-mail sent by either instance")
	}
	checkMetrics(t, s)
}

// checkMetrics reads B's /metrics: requests by route, the replica up.
func checkMetrics(t *testing.T, s *stack) {
	t.Helper()
	resp, err := http.Get("http://" + s.Instances[1].MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`route="/policies/:slug"`, `portal_replica_up{replica="replica1"} 1`, `go_sql_open_connections{db_name="replica1"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("B's /metrics lacks %s", want)
		}
	}
}

// buildPortal builds the portal binary for the stack.
func buildPortal(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portal")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "investportal/cmd/portal") // #nosec G204 -- the go command, our package
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the portal: %v\n%s", err, out)
	}
	return bin
}

func instanceLogs(s *stack) string {
	var out strings.Builder
	for _, in := range s.Instances {
		if in == nil {
			continue
		}
		log, _ := os.ReadFile(in.LogPath)
		if len(log) > 3000 {
			log = log[len(log)-3000:]
		}
		fmt.Fprintf(&out, "--- instance %s\n%s\n", in.Name, log)
	}
	return out.String()
}

// browser keeps cookies, follows no redirects, and may say, as a proxy
// the portal trusts would, which address it comes from.
type browser struct {
	client *http.Client
	from   string
}

func newBrowser(from string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{from: from, client: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (br *browser) do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	if br.from != "" {
		req.Header.Set("X-Forwarded-For", br.from)
	}
	resp, err := br.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (br *browser) get(t *testing.T, target string) (int, string) {
	req, _ := http.NewRequest(http.MethodGet, target, nil)
	return br.do(t, req)
}

func (br *browser) post(t *testing.T, target string, form url.Values) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return br.do(t, req)
}

func (br *browser) token(t *testing.T, target string) string {
	t.Helper()
	_, page := br.get(t, target)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(page))
	token, _ := doc.Find(`form input[name="_csrf"]`).Attr("value")
	if token == "" {
		t.Fatalf("no form token on %s", target)
	}
	return token
}

func (br *browser) signIn(t *testing.T, base, email, password string) {
	t.Helper()
	form := url.Values{"_csrf": {br.token(t, base+"/admin/login")}, "email": {email}, "password": {password}}
	if code, _ := br.post(t, base+"/admin/login", form); code != http.StatusSeeOther {
		t.Fatalf("sign-in on %s = %d", base, code)
	}
}

func (br *browser) upload(t *testing.T, base string, data []byte) int {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", br.token(t, base+"/admin/uploads"))
	part, _ := w.CreateFormFile("file", "园区.png")
	_, _ = part.Write(data)
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, base+"/admin/uploads", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	code, _ := br.do(t, req)
	return code
}

// contentForm is the values of an admin content form as the page holds them.
func contentForm(t *testing.T, page string) url.Values {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	doc.Find(`form[data-testid="content-form"] input`).Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("type", "") == "checkbox" && s.AttrOr("checked", "no") == "no" {
			return
		}
		form.Set(s.AttrOr("name", ""), s.AttrOr("value", ""))
	})
	doc.Find(`form[data-testid="content-form"] select`).Each(func(_ int, s *goquery.Selection) {
		form.Set(s.AttrOr("name", ""), s.Find("option[selected]").AttrOr("value", ""))
	})
	doc.Find(`form[data-testid="content-form"] textarea`).Each(func(_ int, s *goquery.Selection) {
		form.Set(s.AttrOr("name", ""), strings.TrimPrefix(s.Text(), "\n"))
	})
	if form.Get("_csrf") == "" {
		t.Fatal("no content form on the page")
	}
	return form
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 40, 30))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// posted is what one investor's inquiry got.
type posted struct {
	email  string
	status int // 0: no answer
	at     time.Time
}

// investorsPosting has workers send inquiries through base for the given
// time, each investor from a loopback address of its own (nginx passes it
// on), so that no limit is reached.
func investorsPosting(t *testing.T, base string, workers int, length time.Duration) []posted {
	var mu sync.Mutex
	var all []posted
	var wg sync.WaitGroup
	stop := time.Now().Add(length)
	for w := range workers {
		wg.Go(func() {
			for n := 0; time.Now().Before(stop); n++ {
				ip := fmt.Sprintf("127.%d.%d.%d", 10+w, n/250, 1+n%250)
				p := postInquiry(ip, base, fmt.Sprintf("investor%d.%d@cluster.example", w, n))
				mu.Lock()
				all = append(all, p)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return all
}

// postInquiry opens the form and sends it, as one investor from ip.
func postInquiry(ip, base, email string) posted {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		Transport:     &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer client.CloseIdleConnections()
	p := posted{email: email}
	resp, err := client.Get(base + "/inquiries/new")
	if err != nil {
		p.at = time.Now()
		return p
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		p.at = time.Now()
		return p
	}
	form := url.Values{"name": {"投资者"}, "email": {email}, "message": {"我们计划投资建设生产线,想了解扶持政策。"},
		"language": {"zh-Hans"}, "consent": {"yes"}}
	for _, field := range []string{"_csrf", "submission_key"} {
		form.Set(field, doc.Find(`input[name="`+field+`"]`).AttrOr("value", ""))
	}
	resp, err = client.PostForm(base+"/inquiries", form)
	p.at = time.Now()
	if err == nil {
		p.status = resp.StatusCode
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return p
}
