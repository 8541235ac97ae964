package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Backlog is what waits in the database that someone should look at when
// it grows: mail not sent yet, mail given up on, inquiries past their
// response time.
type Backlog struct {
	OutboxPending       int64   // not sent yet, still to be tried
	OutboxFailed        int64   // given up after the last attempt
	OutboxOldestSeconds float64 // how long the oldest pending message has waited
	InquiriesOverdue    int64   // no first response, past the due time
}

// ReadBacklog reads the backlog in one statement.
func ReadBacklog(ctx context.Context, db *gorm.DB) (Backlog, error) {
	var b Backlog
	err := db.WithContext(ctx).Raw(`
		SELECT
		  (SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL AND failed_at IS NULL) AS outbox_pending,
		  (SELECT count(*) FROM outbox_messages WHERE failed_at IS NOT NULL) AS outbox_failed,
		  COALESCE((SELECT extract(epoch FROM now() - min(created_at))::float8 FROM outbox_messages
		            WHERE sent_at IS NULL AND failed_at IS NULL), 0) AS outbox_oldest_seconds,
		  (SELECT count(*) FROM inquiries WHERE `+waitingSQL+` AND inquiries.response_due_at < ?) AS inquiries_overdue`,
		time.Now()).Scan(&b).Error
	return b, err
}
