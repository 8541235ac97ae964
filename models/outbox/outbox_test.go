package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"gorm.io/gorm"

	"investportal/models/dbtest"
	"investportal/models/outbox"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// mailServer is a real SMTP server on 127.0.0.1 that refuses the first
// failures messages with a temporary error and keeps what it accepts.
type mailServer struct {
	mu       sync.Mutex
	failures int
	received []string
	addr     string
}

func startMailServer(t *testing.T, failures int) *mailServer {
	t.Helper()
	ms := &mailServer{failures: failures}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{server: ms}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ms
}

func (ms *mailServer) messages() []string {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]string(nil), ms.received...)
}

type mailSession struct{ server *mailServer }

func (s *mailSession) AuthPlain(string, string) error       { return nil }
func (s *mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Reset()                               {}
func (s *mailSession) Logout() error                        { return nil }
func (s *mailSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	if s.server.failures > 0 {
		s.server.failures--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.server.received = append(s.server.received, string(body))
	return nil
}

func newWorker(t *testing.T, db *gorm.DB, addr string) *outbox.Worker {
	t.Helper()
	sender, err := outbox.NewSMTPSender("smtp://"+addr, "noreply@portal.example")
	if err != nil {
		t.Fatal(err)
	}
	w := outbox.NewWorker(db, sender, slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.Backoff = func(int) time.Duration { return 0 } // retry at once in tests
	return w
}

func enqueue(t *testing.T, db *gorm.DB, subject string) {
	t.Helper()
	err := db.Transaction(func(tx *gorm.DB) error {
		return outbox.Enqueue(tx, "portal.example", outbox.Message{ToAddress: "investor@example.com", Subject: subject, Body: "正文 body"})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutboxRetriesAfterSMTPFailureAndSendsOnce(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	server := startMailServer(t, 2)
	enqueue(t, db, "已收到您的咨询")
	w := newWorker(t, db, server.addr)
	ctx := context.Background()

	for attempt := 1; attempt <= 2; attempt++ {
		if sent, err := w.Work(ctx, nil); err != nil || sent != 0 {
			t.Fatalf("attempt %d: sent %d, err %v; want the server's refusal recorded", attempt, sent, err)
		}
	}
	var m outbox.Message
	db.Take(&m)
	if m.Attempts != 2 || m.SentAt != nil || !strings.Contains(m.LastError, "try again later") {
		t.Fatalf("after two refusals: %+v", m)
	}
	if sent, err := w.Work(ctx, nil); err != nil || sent != 1 {
		t.Fatalf("third attempt: sent %d, err %v", sent, err)
	}
	// A restarted worker finds nothing to send.
	if sent, err := newWorker(t, db, server.addr).Work(ctx, nil); err != nil || sent != 0 {
		t.Fatalf("after restart: sent %d, err %v", sent, err)
	}
	got := server.messages()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	db.Take(&m)
	if m.SentAt == nil || m.LastError != "" || !strings.Contains(got[0], "Message-Id: "+m.MessageID) && !strings.Contains(got[0], "Message-ID: "+m.MessageID) {
		t.Errorf("sent message %+v; received:\n%s", m, got[0])
	}
}

func TestOutboxGivesUpAfterMaxAttempts(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	server := startMailServer(t, 100)
	enqueue(t, db, "subject")
	w := newWorker(t, db, server.addr)
	w.MaxAttempts = 3
	for range 5 {
		if _, err := w.Work(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	var m outbox.Message
	db.Take(&m)
	if m.Attempts != 3 || m.FailedAt == nil || m.SentAt != nil {
		t.Errorf("after giving up: %+v", m)
	}
}

func TestOutboxLeaseKeepsTwoWorkersFromSendingTheSameMessage(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	server := startMailServer(t, 0)
	for range 20 {
		enqueue(t, db, "subject")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sent, err := newWorker(t, db, server.addr).Work(context.Background(), nil)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			total += sent
			mu.Unlock()
		}()
	}
	wg.Wait()
	if got := len(server.messages()); got != 20 || total != 20 {
		t.Errorf("server received %d, workers counted %d; want 20 each", got, total)
	}
	seen := map[string]bool{}
	for _, m := range server.messages() {
		for _, line := range strings.Split(m, "\r\n") {
			if strings.HasPrefix(strings.ToLower(line), "message-id:") {
				if seen[line] {
					t.Errorf("sent twice: %s", line)
				}
				seen[line] = true
			}
		}
	}
}

// A server that cannot be reached is a failed attempt, not a lost message.
func TestOutboxSurvivesAnUnreachableServer(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens here now
	enqueue(t, db, "subject")
	if sent, err := newWorker(t, db, addr).Work(context.Background(), nil); err != nil || sent != 0 {
		t.Fatalf("sent %d, err %v", sent, err)
	}
	var m outbox.Message
	db.Take(&m)
	if m.Attempts != 1 || m.LastError == "" || m.SentAt != nil || m.FailedAt != nil {
		t.Errorf("%+v", m)
	}
}

// Prepare completes a message as it goes out, and never in the stored row;
// when it fails, the attempt counts as failed and nothing is sent.
func TestOutboxPreparesMessagesAsTheyGoOut(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	server := startMailServer(t, 0)
	enqueue(t, db, "subject")
	w := newWorker(t, db, server.addr)
	w.Prepare = func(context.Context, *outbox.Message) error { return errors.New("no link to put in") }
	if sent, err := w.Work(context.Background(), nil); err != nil || sent != 0 {
		t.Fatalf("with a failing Prepare: sent %d, err %v", sent, err)
	}
	var m outbox.Message
	db.Take(&m)
	if m.Attempts != 1 || m.SentAt != nil || !strings.Contains(m.LastError, "no link") || len(server.messages()) != 0 {
		t.Fatalf("after a failed Prepare: %+v, %d sent", m, len(server.messages()))
	}
	w.Prepare = func(_ context.Context, m *outbox.Message) error {
		m.Body = strings.ReplaceAll(m.Body, "body", "body with its secret link")
		return nil
	}
	if sent, err := w.Work(context.Background(), nil); err != nil || sent != 1 {
		t.Fatalf("sent %d, err %v", sent, err)
	}
	db.Take(&m)
	if got := server.messages(); len(got) != 1 || !strings.Contains(got[0], "secret link") || strings.Contains(m.Body, "secret link") {
		t.Errorf("sent %q; stored body %q", got, m.Body)
	}
}
