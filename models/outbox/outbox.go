// Package outbox delivers e-mail written by other transactions. A message
// is stored in the same transaction as the record it is about (an
// inquiry), so it exists exactly when that record does; a Worker sends it
// later, retrying with back-off, so a mail server's failure or slowness
// never loses, delays or blocks the record.
package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"gorm.io/gorm"
)

// Message is one e-mail to one recipient.
type Message struct {
	ID            int64
	InquiryID     *int64
	MessageID     string // the Message-ID header, the same on every attempt
	ToAddress     string
	Subject       string
	Body          string // plain text
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   *time.Time
	SentAt        *time.Time
	FailedAt      *time.Time
	LastError     string
	CreatedAt     time.Time
}

// TableName keeps GORM on the schema's name.
func (Message) TableName() string { return "outbox_messages" }

// Enqueue stores messages within the caller's transaction. Each gets a
// Message-ID of its own, under domain (the portal's host name).
func Enqueue(tx *gorm.DB, domain string, msgs ...Message) error {
	for i := range msgs {
		id := make([]byte, 16)
		if _, err := rand.Read(id); err != nil {
			return err
		}
		msgs[i].MessageID = "<" + hex.EncodeToString(id) + "@" + domain + ">"
		if err := tx.Omit("NextAttemptAt", "CreatedAt").Create(&msgs[i]).Error; err != nil {
			return fmt.Errorf("enqueue mail: %w", err)
		}
	}
	return nil
}

// Sender delivers one message; an error means it was not accepted.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Worker sends due messages one at a time. Several workers (one per
// portal instance) may share a table: a claim is a lease on the row, taken
// with SKIP LOCKED, so no two send the same message; a lease that a dead
// worker left behind expires and the message is tried again.
type Worker struct {
	DB          *gorm.DB
	Sender      Sender
	Log         *slog.Logger
	MaxAttempts int           // then the message is marked failed and left for staff to see
	Lease       time.Duration // longer than a send may take
	Poll        time.Duration // how often to look for due messages when not woken
	// Backoff is the wait before attempt n+1 after attempt n failed.
	Backoff func(attempt int) time.Duration
	// Prepare, when set, completes a message just before it is sent with
	// what must never be stored (an investor's private link); an error
	// counts as a failed attempt.
	Prepare func(ctx context.Context, m *Message) error

	wake chan struct{}
}

// NewWorker returns a worker with the portal's defaults: 8 attempts over
// about four hours (30 s, 1 min, 2 min, … capped at 1 h).
func NewWorker(db *gorm.DB, sender Sender, log *slog.Logger) *Worker {
	return &Worker{
		DB: db, Sender: sender, Log: log,
		MaxAttempts: 8, Lease: 2 * time.Minute, Poll: 10 * time.Second,
		Backoff: func(attempt int) time.Duration {
			d := 30 * time.Second << (attempt - 1)
			return min(d, time.Hour)
		},
		wake: make(chan struct{}, 1),
	}
}

// Wake asks the worker to look for messages now rather than at the next
// poll; it never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run works the outbox until ctx ends. A message being sent when ctx ends
// is finished and recorded, so a restart does not send it again.
func (w *Worker) Run(ctx context.Context) {
	ticker := time.NewTicker(w.Poll)
	defer ticker.Stop()
	for {
		if _, err := w.Work(context.WithoutCancel(ctx), ctx.Done()); err != nil {
			w.Log.Warn("outbox: working failed; will try again", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-w.wake:
		}
	}
}

// Work sends every message due when it starts, one at a time, until none
// is left or stop is closed, and says how many it sent. A message that
// fails waits for a later pass, even with no back-off.
func (w *Worker) Work(ctx context.Context, stop <-chan struct{}) (int, error) {
	var passStart time.Time
	if err := w.DB.WithContext(ctx).Raw("SELECT clock_timestamp()").Scan(&passStart).Error; err != nil {
		return 0, err
	}
	sent := 0
	for {
		select {
		case <-stop:
			return sent, nil
		default:
		}
		m, ok, err := w.claim(ctx, passStart)
		if err != nil || !ok {
			return sent, err
		}
		delivered, err := w.deliver(ctx, m)
		if err != nil {
			return sent, err
		}
		if delivered {
			sent++
		}
	}
}

// claim leases the next due message and counts the attempt.
func (w *Worker) claim(ctx context.Context, dueBy time.Time) (Message, bool, error) {
	var msgs []Message
	err := w.DB.WithContext(ctx).Raw(`
		UPDATE outbox_messages SET locked_until = now() + make_interval(secs => ?), attempts = attempts + 1
		WHERE id = (
			SELECT id FROM outbox_messages
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ?
			  AND (locked_until IS NULL OR locked_until < now())
			ORDER BY next_attempt_at, id
			LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING *`, w.Lease.Seconds(), dueBy).Scan(&msgs).Error
	if err != nil || len(msgs) == 0 {
		return Message{}, false, err
	}
	return msgs[0], true, nil
}

// deliver sends a claimed message and records the outcome.
func (w *Worker) deliver(ctx context.Context, m Message) (bool, error) {
	sendCtx, cancel := context.WithTimeout(ctx, w.Lease/2)
	var sendErr error
	if w.Prepare != nil {
		sendErr = w.Prepare(sendCtx, &m)
	}
	if sendErr == nil {
		sendErr = w.Sender.Send(sendCtx, m)
	}
	cancel()
	if sendErr == nil {
		w.Log.Info("outbox: sent", "message", m.MessageID, "attempt", m.Attempts)
		return true, w.record(ctx, m, map[string]any{"sent_at": gorm.Expr("now()"), "locked_until": nil, "last_error": ""})
	}
	errText := sendErr.Error()
	if len(errText) > 1000 {
		errText = errText[:1000]
	}
	if m.Attempts >= w.MaxAttempts {
		w.Log.Error("outbox: giving up", "message", m.MessageID, "attempts", m.Attempts, "err", withoutAddresses(errText))
		return false, w.record(ctx, m, map[string]any{"failed_at": gorm.Expr("now()"), "locked_until": nil, "last_error": errText})
	}
	wait := w.Backoff(m.Attempts)
	w.Log.Warn("outbox: send failed; will retry", "message", m.MessageID, "attempt", m.Attempts, "retry_in", wait, "err", withoutAddresses(errText))
	return false, w.record(ctx, m, map[string]any{
		"next_attempt_at": gorm.Expr("now() + make_interval(secs => ?)", wait.Seconds()),
		"locked_until":    nil, "last_error": errText,
	})
}

// record writes the outcome of an attempt. The mail server has already
// answered, so if the database is away for a moment the write is tried
// again for half a lease: giving up early would leave the lease to run out
// and a delivered message to be sent a second time.
func (w *Worker) record(ctx context.Context, m Message, outcome map[string]any) error {
	deadline := time.Now().Add(w.Lease / 2)
	delay := 100 * time.Millisecond
	for {
		err := w.DB.WithContext(ctx).Model(&Message{}).Where("id = ?", m.ID).Updates(outcome).Error
		if err == nil || time.Now().Add(delay).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(delay*2, 5*time.Second)
	}
}

// emailAddress finds e-mail addresses in a mail server's answer, such as
// "550 5.1.1 <someone@example.com>: Recipient address rejected".
var emailAddress = regexp.MustCompile(`[^\s<>"':;,()\[\]]+@[^\s<>"':;,()\[\]]+`)

// withoutAddresses is a send error as the logs may keep it: the recipient's
// address is personal data. (The outbox row keeps the whole answer.)
func withoutAddresses(errText string) string {
	return emailAddress.ReplaceAllString(errText, "[address]")
}
