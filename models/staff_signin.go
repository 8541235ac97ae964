package models

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"gorm.io/gorm"
)

// Sign-in throttling counts attempts per account and client address
// together: five failures within the window lock that address out of that
// account for the lockout, and twenty over any accounts lock the address out
// of all. An attacker elsewhere therefore locks out only themselves, never a
// member of staff signing in from the office.
const (
	MaxFailedSignIns          = 5
	MaxFailedSignInsPerClient = 20
	SignInLockout             = 15 * time.Minute // also the window attempts are counted in
)

// Sign-in outcomes.
var (
	// ErrBadCredentials is every refused sign-in: wrong password, unknown
	// address, disabled account or a throttled address. They are not told
	// apart, to the visitor or by the time they take.
	ErrBadCredentials = errors.New("wrong e-mail address or password, or too many attempts")
	// ErrSessionEnded refuses a password change from a session whose
	// account changed meanwhile (a reset, a new role, a disable).
	ErrSessionEnded = errors.New("the session ended while the password was being changed")
)

// SignInKeys say who is trying from where, as keyed hashes made by the
// caller: of the lower-cased e-mail address typed and of the client's
// network address.
type SignInKeys struct {
	Account, Client []byte
}

// comparePassword checks a password against a hash; a variable so that a
// test can count how often each path hashes.
var comparePassword = argon2id.ComparePasswordAndHash

// hashSlots bounds the password hashes running at once: each takes 19 MiB,
// and a flood of sign-ins from many addresses must not take the server's
// memory with it. A request waits for a slot until its deadline (a 503).
var hashSlots = make(chan struct{}, 4)

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

// Authenticate checks an e-mail address and password. The attempt is
// counted first, in one statement, so that attempts made at once cannot all
// slip under the limit; then every path does the same work whatever the
// outcome: one read of the account, one password hash. A refusal, for
// whatever reason, is ErrBadCredentials; a success clears the count of this
// address for the account.
func Authenticate(ctx context.Context, db *gorm.DB, email, password string, keys SignInKeys) (StaffUser, error) {
	db = db.WithContext(ctx)
	allowed, err := countSignInAttempt(db, keys)
	if err != nil {
		return StaffUser{}, err
	}
	email = strings.TrimSpace(email)
	if !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		email = "" // PostgreSQL would refuse the bytes; nobody has this address
	}
	var found []StaffUser
	if err := db.Where("lower(email) = lower(?)", email).Limit(1).Find(&found).Error; err != nil {
		return StaffUser{}, err
	}
	hash := dummyHash()
	if len(found) == 1 {
		hash = found[0].PasswordHash
	}
	match, err := checkPassword(ctx, password, hash)
	if err != nil {
		return StaffUser{}, err
	}
	if !allowed || len(found) == 0 || !match || found[0].DisabledAt != nil {
		return StaffUser{}, ErrBadCredentials
	}
	u := found[0]
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := clearSignInAttempts(tx, keys); err != nil {
			return err
		}
		return tx.Model(&u).UpdateColumn("last_sign_in_at", gorm.Expr("now()")).Error
	})
	return u, err
}

// checkPassword compares a password with a hash in one of the hash slots,
// refusing absurd lengths without hashing them (the length alone says
// nothing about the account).
func checkPassword(ctx context.Context, password, hash string) (bool, error) {
	if len(password) > maxPasswordBytes {
		password = ""
	}
	select {
	case hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-hashSlots }()
	return comparePassword(password, hash)
}

// ChangePassword replaces an account's password after checking the current
// one, and raises its session epoch so that its other sessions end; it
// returns the new epoch for the session that made the change. The current
// password counts as a sign-in attempt: a wrong one towards the throttle,
// and a throttled address is refused the same way. sessionEpoch is the
// epoch the session signed in with: if the account changed meanwhile (a
// reset in the same instant), nothing is written and ErrSessionEnded says so.
func ChangePassword(ctx context.Context, db *gorm.DB, userID int64, sessionEpoch int, current, next string, keys SignInKeys) (int, error) {
	db = db.WithContext(ctx)
	hash, err := HashPassword(next) // a weak new password says nothing of the current one
	if err != nil {
		return 0, err
	}
	allowed, err := countSignInAttempt(db, keys)
	if err != nil {
		return 0, err
	}
	var u StaffUser
	if err := notFound(db.Take(&u, userID).Error); err != nil {
		return 0, err
	}
	match, err := checkPassword(ctx, current, u.PasswordHash)
	if err != nil {
		return 0, err
	}
	if !allowed || !match {
		return 0, ErrBadCredentials
	}
	var epochs []int
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := clearSignInAttempts(tx, keys); err != nil {
			return err
		}
		return tx.Raw(`UPDATE staff_users SET password_hash = ?, password_changed_at = now(), updated_at = now(),
			session_epoch = session_epoch + 1
			WHERE id = ? AND session_epoch = ? AND disabled_at IS NULL RETURNING session_epoch`,
			hash, userID, sessionEpoch).Scan(&epochs).Error
	})
	if err == nil && len(epochs) == 0 {
		return 0, ErrSessionEnded
	}
	if err != nil {
		return 0, err
	}
	return epochs[0], nil
}

// countSignInAttempt counts one attempt for the account and address before
// its password is checked, starting a new window when the last one is over
// (and no lock holds), and locks the pair once the attempts pass the limit.
// It reports whether this attempt may succeed at all: the pair is not
// locked, and the address has not failed too often for any accounts.
func countSignInAttempt(db *gorm.DB, keys SignInKeys) (bool, error) {
	var state struct {
		Attempts       int
		Locked         bool
		ClientAttempts int
	}
	err := db.Raw(`WITH counted AS (
			INSERT INTO sign_in_failures AS f (account_key, client_key, attempts, window_start)
			VALUES ($1, $2, 1, now())
			ON CONFLICT (account_key, client_key) DO UPDATE SET
				attempts = CASE WHEN f.window_start > now() - make_interval(secs => $3) OR f.locked_until > now()
					THEN f.attempts + 1 ELSE 1 END,
				window_start = CASE WHEN f.window_start > now() - make_interval(secs => $3) OR f.locked_until > now()
					THEN f.window_start ELSE now() END,
				locked_until = CASE
					WHEN f.locked_until > now() THEN f.locked_until
					WHEN f.window_start > now() - make_interval(secs => $3) AND f.attempts + 1 > $4
						THEN now() + make_interval(secs => $3)
					END
			RETURNING attempts, coalesce(locked_until > now(), false) AS locked
		)
		SELECT counted.attempts, counted.locked,
			(SELECT coalesce(sum(attempts), 0) FROM sign_in_failures
				WHERE client_key = $2 AND window_start > now() - make_interval(secs => $3)) AS client_attempts
		FROM counted`,
		keys.Account, keys.Client, SignInLockout.Seconds(), MaxFailedSignIns).Scan(&state).Error
	// The subquery sees the table as it was before this attempt.
	return err == nil && !state.Locked && state.Attempts <= MaxFailedSignIns &&
		state.ClientAttempts < MaxFailedSignInsPerClient, err
}

func clearSignInAttempts(tx *gorm.DB, keys SignInKeys) error {
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

// DeleteStaleSignInFailures forgets attempts whose window and lock are over.
func DeleteStaleSignInFailures(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec(`DELETE FROM sign_in_failures
		WHERE window_start < now() - make_interval(secs => ?) AND (locked_until IS NULL OR locked_until < now())`,
		SignInLockout.Seconds()).Error
}
