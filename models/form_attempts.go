package models

import (
	"context"

	"gorm.io/gorm"
)

// CountFormAttempt counts one form post from a client (a keyed hash of its
// network) in the current minute of the database's clock, and returns how
// many that client has made in it, this one included.
func CountFormAttempt(ctx context.Context, db *gorm.DB, clientKey string) (int, error) {
	var attempts int
	err := db.WithContext(ctx).Raw(`
		INSERT INTO form_attempts (client_key, window_start, attempts) VALUES (?, date_trunc('minute', now()), 1)
		ON CONFLICT (client_key, window_start) DO UPDATE SET attempts = form_attempts.attempts + 1
		RETURNING attempts`, clientKey).Scan(&attempts).Error
	return attempts, err
}

// DeleteOldFormAttempts forgets the counts of minutes that are over.
func DeleteOldFormAttempts(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec(`DELETE FROM form_attempts WHERE window_start < date_trunc('minute', now())`).Error
}
