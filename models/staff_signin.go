package models

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/argon2id"
	"gorm.io/gorm"
)

// Sign-in throttling counts failed passwords per account and client address
// together: five within the window lock that address out of that account
// for the lockout, and twenty for any accounts lock the address out of all.
// An attacker elsewhere therefore locks out only themselves, never a member
// of staff signing in from the office.
const (
	MaxFailedSignIns          = 5
	MaxFailedSignInsPerClient = 20
	SignInLockout             = 15 * time.Minute // also the window failures are counted in
)

// ErrBadCredentials is every refused sign-in: wrong password, unknown
// address, disabled account or a throttled address. They are not told
// apart, to the visitor or by the time they take.
var ErrBadCredentials = errors.New("wrong e-mail address or password, or too many attempts")

// SignInKeys say who is trying from where, as keyed hashes made by the
// caller: of the lower-cased e-mail address typed and of the client's
// network address.
type SignInKeys struct {
	Account, Client []byte
}

// comparePassword checks a password against a hash; a variable so that a
// test can count how often each path hashes.
var comparePassword = argon2id.ComparePasswordAndHash

// dummyHash is compared against when the e-mail address is unknown, so an
// unknown address costs one hash like any other. It is made on first use:
// hashing costs 19 MiB and tens of milliseconds, which binaries that never
// check a password should not pay at start.
var dummyHash = sync.OnceValue(func() string {
	hash, err := argon2id.CreateHash("not-a-real-password", argonParams)
	if err != nil {
		panic(err) // only a broken random source fails here
	}
	return hash
})

// Authenticate checks an e-mail address and password. Every path does the
// same work, whatever the outcome: one read of the account, one read of the
// throttle, one password hash, one write. A refusal, for whatever reason, is
// ErrBadCredentials and counts towards the throttle; a success clears this
// address's count for the account.
func Authenticate(ctx context.Context, db *gorm.DB, email, password string, keys SignInKeys) (StaffUser, error) {
	db = db.WithContext(ctx)
	var found []StaffUser
	if err := db.Where("lower(email) = lower(?)", strings.TrimSpace(email)).Limit(1).Find(&found).Error; err != nil {
		return StaffUser{}, err
	}
	throttled, err := signInThrottled(db, keys)
	if err != nil {
		return StaffUser{}, err
	}
	hash := dummyHash()
	if len(found) == 1 {
		hash = found[0].PasswordHash
	}
	match, err := checkPassword(password, hash)
	if err != nil {
		return StaffUser{}, err
	}
	if len(found) == 0 || !match || throttled || found[0].DisabledAt != nil {
		if err := recordSignInFailure(db, keys); err != nil {
			return StaffUser{}, err
		}
		return StaffUser{}, ErrBadCredentials
	}
	u := found[0]
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := clearSignInFailures(tx, keys); err != nil {
			return err
		}
		return tx.Model(&u).UpdateColumn("last_sign_in_at", gorm.Expr("now()")).Error
	})
	return u, err
}

// checkPassword compares a password with a hash, refusing absurd lengths
// without hashing them (the length alone says nothing about the account).
func checkPassword(password, hash string) (bool, error) {
	if len(password) > maxPasswordBytes {
		password = ""
	}
	return comparePassword(password, hash)
}

// ChangePassword replaces an account's password after checking the current
// one, and raises its session epoch so that its other sessions end; it
// returns the new epoch for the session that made the change. A wrong
// current password counts towards the sign-in throttle like a wrong
// sign-in, and a throttled address is refused the same way.
func ChangePassword(ctx context.Context, db *gorm.DB, userID int64, current, next string, keys SignInKeys) (int, error) {
	db = db.WithContext(ctx)
	var u StaffUser
	if err := notFound(db.Take(&u, userID).Error); err != nil {
		return 0, err
	}
	throttled, err := signInThrottled(db, keys)
	if err != nil {
		return 0, err
	}
	match, err := checkPassword(current, u.PasswordHash)
	if err != nil {
		return 0, err
	}
	if !match || throttled {
		if err := recordSignInFailure(db, keys); err != nil {
			return 0, err
		}
		return 0, ErrBadCredentials
	}
	hash, err := HashPassword(next)
	if err != nil {
		return 0, err
	}
	var epoch int
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := clearSignInFailures(tx, keys); err != nil {
			return err
		}
		return tx.Raw(`UPDATE staff_users SET password_hash = ?, password_changed_at = now(), updated_at = now(),
			session_epoch = session_epoch + 1 WHERE id = ? RETURNING session_epoch`, hash, userID).Scan(&epoch).Error
	})
	return epoch, err
}

// signInThrottled reports whether the address is locked out of the
// account, or out of every account.
func signInThrottled(db *gorm.DB, keys SignInKeys) (bool, error) {
	var state struct {
		Locked       bool
		ClientFailed int
	}
	err := db.Raw(`SELECT
			EXISTS (SELECT 1 FROM sign_in_failures WHERE account_key = ? AND client_key = ? AND locked_until > now()) AS locked,
			(SELECT coalesce(sum(failures), 0) FROM sign_in_failures
				WHERE client_key = ? AND window_start > now() - make_interval(secs => ?)) AS client_failed`,
		keys.Account, keys.Client, keys.Client, SignInLockout.Seconds()).Scan(&state).Error
	return state.Locked || state.ClientFailed >= MaxFailedSignInsPerClient, err
}

// recordSignInFailure counts one failure for the account and address,
// starting a new window when the last one is over, and locks the pair at
// the limit. An active lock is kept as it is, not extended.
func recordSignInFailure(db *gorm.DB, keys SignInKeys) error {
	return db.Exec(`INSERT INTO sign_in_failures AS f (account_key, client_key, failures, window_start)
		VALUES ($1, $2, 1, now())
		ON CONFLICT (account_key, client_key) DO UPDATE SET
			failures = CASE WHEN f.window_start > now() - make_interval(secs => $3) THEN f.failures + 1 ELSE 1 END,
			window_start = CASE WHEN f.window_start > now() - make_interval(secs => $3) THEN f.window_start ELSE now() END,
			locked_until = CASE
				WHEN f.locked_until > now() THEN f.locked_until
				WHEN f.window_start > now() - make_interval(secs => $3) AND f.failures + 1 >= $4
					THEN now() + make_interval(secs => $3)
				END`,
		keys.Account, keys.Client, SignInLockout.Seconds(), MaxFailedSignIns).Error
}

func clearSignInFailures(tx *gorm.DB, keys SignInKeys) error {
	return tx.Exec("DELETE FROM sign_in_failures WHERE account_key = ? AND client_key = ?", keys.Account, keys.Client).Error
}

// LockedSignIns counts, per account key, the client addresses locked out
// of it now, for the accounts list.
func LockedSignIns(ctx context.Context, db *gorm.DB, accountKeys [][]byte) (map[string]int, error) {
	var rows []struct {
		AccountKey []byte
		N          int
	}
	err := db.WithContext(ctx).Raw(`SELECT account_key, count(*) AS n FROM sign_in_failures
		WHERE account_key IN ? AND locked_until > now() GROUP BY account_key`, accountKeys).Scan(&rows).Error
	locked := map[string]int{}
	for _, r := range rows {
		locked[string(r.AccountKey)] = r.N
	}
	return locked, err
}

// DeleteStaleSignInFailures forgets failures whose window and lock are over.
func DeleteStaleSignInFailures(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec(`DELETE FROM sign_in_failures
		WHERE window_start < now() - make_interval(secs => ?) AND (locked_until IS NULL OR locked_until < now())`,
		SignInLockout.Seconds()).Error
}
