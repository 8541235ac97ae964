package models_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"investportal/models"
	"investportal/models/dbtest"
)

// keysFor stands in for the keyed hashes the handlers make.
func keysFor(email, client string) models.SignInKeys {
	return models.SignInKeys{Account: []byte("account:" + strings.ToLower(email)), Client: []byte("client:" + client)}
}

func TestStaffSignInThrottlesByAccountAndAddress(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	u, err := models.CreateStaffUser(ctx, db, "Editor@Bureau.example", "编辑", models.RoleEditor, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(u.PasswordHash, "correct") || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("password stored as %q", u.PasswordHash)
	}
	const email, right = "editor@bureau.example", "correct horse battery"
	office, attacker := keysFor(email, "office"), keysFor(email, "attacker")
	signIn := func(password string, keys models.SignInKeys) error {
		_, err := models.Authenticate(ctx, db, email, password, keys)
		return err
	}
	if err := signIn(right, office); err != nil {
		t.Fatalf("right password, any case of e-mail: %v", err)
	}
	if _, err := models.Authenticate(ctx, db, "nobody@bureau.example", right, keysFor("nobody@bureau.example", "office")); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("unknown e-mail: %v", err)
	}
	// Five wrong passwords from one address lock that address out of the
	// account, even with the right password; the office is not locked out.
	for i := range models.MaxFailedSignIns {
		if err := signIn("wrong", attacker); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("wrong password %d: %v", i+1, err)
		}
	}
	if err := signIn(right, attacker); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("right password from the locked address: %v, want refused", err)
	}
	if err := signIn(right, office); err != nil {
		t.Errorf("right password from the office while another address is locked: %v", err)
	}
	// Guessing on while locked does not extend the lock; once it is over,
	// the right password works again.
	dbtest.MustExec(t, db, "UPDATE sign_in_failures SET window_start = now() - interval '16 minutes', locked_until = now() - interval '1 second'")
	if err := signIn(right, attacker); err != nil {
		t.Errorf("after the lock: %v", err)
	}
	if n := dbtest.Count(t, db, "sign_in_failures", "account_key = convert_to('account:editor@bureau.example', 'UTF8') AND client_key = convert_to('client:attacker', 'UTF8')"); n != 0 {
		t.Errorf("a successful sign-in left %d failure rows for its address", n)
	}
	// Twenty failures from one address, spread over many accounts, lock it
	// out of every account.
	for i := range models.MaxFailedSignInsPerClient {
		other := fmt.Sprintf("guess%d@bureau.example", i)
		models.Authenticate(ctx, db, other, "wrong", keysFor(other, "sprayer"))
	}
	if err := signIn(right, keysFor(email, "sprayer")); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("right password from an address that tried many accounts: %v, want refused", err)
	}
	if err := signIn(right, office); err != nil {
		t.Errorf("the office after someone sprayed guesses: %v", err)
	}
	// Disabled accounts cannot sign in.
	dbtest.MustExec(t, db, "UPDATE staff_users SET disabled_at = now()")
	if err := signIn(right, office); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("disabled account: %v", err)
	}
	if _, err := models.CreateStaffUser(ctx, db, "x@bureau.example", "x", models.RoleViewer, "short"); !errors.Is(err, models.ErrWeakPassword) {
		t.Errorf("short password: %v", err)
	}
}

// Every refused sign-in does the same work, so the time it takes does not
// tell a locked, disabled or unknown account from a wrong password: one
// password hash and the same statements in the same order.
func TestRefusedSignInsDoTheSameWork(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	const right = "correct horse battery"
	for _, email := range []string{"known@bureau.example", "locked@bureau.example", "disabled@bureau.example"} {
		if _, err := models.CreateStaffUser(ctx, db, email, "某人", models.RoleEditor, right); err != nil {
			t.Fatal(err)
		}
	}
	dbtest.MustExec(t, db, "UPDATE staff_users SET disabled_at = now() WHERE email = 'disabled@bureau.example'")
	for range models.MaxFailedSignIns + 1 {
		models.Authenticate(ctx, db, "locked@bureau.example", "wrong", keysFor("locked@bureau.example", "here"))
	}
	hashes := 0
	compare := *models.ComparePassword
	*models.ComparePassword = func(password, hash string) (bool, error) { hashes++; return compare(password, hash) }
	defer func() { *models.ComparePassword = compare }()
	literal := regexp.MustCompile(`'[^']*'|\b\d+(\.\d+)?\b`)
	var reference []string
	for _, c := range []struct{ name, email, password string }{
		{"wrong password", "known@bureau.example", "wrong"},
		{"unknown address", "nobody@bureau.example", right},
		{"locked address", "locked@bureau.example", right},
		{"disabled account", "disabled@bureau.example", right},
		{"password of a megabyte", "known@bureau.example", strings.Repeat("x", 1<<20)},
	} {
		hashes = 0
		statements, err := dbtest.RecordSQL(db, func(d *gorm.DB) error {
			_, err := models.Authenticate(ctx, d, c.email, c.password, keysFor(c.email, "here"))
			return err
		})
		if !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("%s: %v, want ErrBadCredentials", c.name, err)
		}
		if hashes != 1 {
			t.Errorf("%s hashed %d times, want 1", c.name, hashes)
		}
		for i := range statements {
			statements[i] = literal.ReplaceAllString(statements[i], "?")
		}
		if reference == nil {
			reference = statements
		} else if !slices.Equal(statements, reference) {
			t.Errorf("%s sends\n%s\nwhere a wrong password sends\n%s", c.name, strings.Join(statements, "\n"), strings.Join(reference, "\n"))
		}
	}
}

// A wrong current password on the change-password form counts towards the
// same throttle as sign-in; a right one changes the password and raises
// the session epoch; a weak new password is refused before the current one
// is looked at; a session whose account changed meanwhile changes nothing.
func TestChangePassword(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	u, _ := models.CreateStaffUser(ctx, db, "a@bureau.example", "a", models.RoleAdmin, "first password here")
	here := keysFor("a@bureau.example", "here")
	epoch := u.SessionEpoch
	if _, err := models.ChangePassword(ctx, db, u.ID, epoch, "not it", "second password here", here); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("wrong current password: %v", err)
	}
	if _, err := models.ChangePassword(ctx, db, u.ID, epoch, "not it either", "short", here); !errors.Is(err, models.ErrWeakPassword) {
		t.Errorf("weak new password with a wrong current one: %v, want ErrWeakPassword, which says nothing of the current one", err)
	}
	next, err := models.ChangePassword(ctx, db, u.ID, epoch, "first password here", "second password here", here)
	if err != nil {
		t.Fatal(err)
	}
	if next != epoch+1 {
		t.Errorf("session epoch %d after a change from %d", next, epoch)
	}
	if _, err := models.Authenticate(ctx, db, "a@bureau.example", "second password here", here); err != nil {
		t.Errorf("new password: %v", err)
	}
	if _, err := models.Authenticate(ctx, db, "a@bureau.example", "first password here", here); err == nil {
		t.Error("old password still works")
	}
	// A session still on the old epoch (the account was reset meanwhile)
	// writes nothing.
	if _, err := models.ChangePassword(ctx, db, u.ID, epoch, "second password here", "third password here", here); !errors.Is(err, models.ErrSessionEnded) {
		t.Errorf("change from a stale session: %v, want ErrSessionEnded", err)
	}
	if _, err := models.Authenticate(ctx, db, "a@bureau.example", "second password here", here); err != nil {
		t.Errorf("a stale session's change took effect: %v", err)
	}
	for range models.MaxFailedSignIns + 1 {
		models.ChangePassword(ctx, db, u.ID, next, "guess", "third password here", here)
	}
	if _, err := models.ChangePassword(ctx, db, u.ID, next, "second password here", "third password here", here); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("right current password after %d wrong ones: %v, want refused", models.MaxFailedSignIns, err)
	}
	if _, err := models.Authenticate(ctx, db, "a@bureau.example", "second password here", here); !errors.Is(err, models.ErrBadCredentials) {
		t.Errorf("sign-in from the address that guessed the current password: %v, want refused", err)
	}
}

// Attempts made at once are counted before any password is checked, so a
// burst gets no more tries than one attempt after another; and no more than
// four hashes run at once, whatever the burst.
func TestSignInBurstsGetNoMoreTries(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	const right = "correct horse battery"
	if _, err := models.CreateStaffUser(ctx, db, "burst@bureau.example", "某人", models.RoleEditor, right); err != nil {
		t.Fatal(err)
	}
	const burst = 12
	keys := keysFor("burst@bureau.example", "one address")
	var mu sync.Mutex
	inside, most := 0, 0
	var allCounted sync.Once
	compare := *models.ComparePassword
	*models.ComparePassword = func(password, hash string) (bool, error) {
		// Hold the first hashes until every attempt of the burst is counted.
		allCounted.Do(func() {
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				var counted int64
				db.Raw("SELECT coalesce(sum(attempts), 0) FROM sign_in_failures").Scan(&counted)
				if counted >= burst {
					return
				}
			}
			t.Error("the burst was never counted in full")
		})
		mu.Lock()
		inside++
		most = max(most, inside)
		mu.Unlock()
		defer func() { mu.Lock(); inside--; mu.Unlock() }()
		return compare(password, hash)
	}
	defer func() { *models.ComparePassword = compare }()
	var wg sync.WaitGroup
	var succeeded int64
	for range burst {
		wg.Go(func() {
			if _, err := models.Authenticate(ctx, db, "burst@bureau.example", right, keys); err == nil {
				mu.Lock()
				succeeded++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if succeeded != models.MaxFailedSignIns {
		t.Errorf("%d of %d attempts at once were let through, want %d", succeeded, burst, models.MaxFailedSignIns)
	}
	if most > 4 {
		t.Errorf("%d password hashes ran at once, want at most 4", most)
	}
	// Bytes PostgreSQL cannot take as text are an unknown address, not an error.
	for _, email := range []string{"a\x00b@bureau.example", "a\xffb@bureau.example"} {
		if _, err := models.Authenticate(ctx, db, email, right, keysFor(email, "elsewhere")); !errors.Is(err, models.ErrBadCredentials) {
			t.Errorf("e-mail %q: %v, want ErrBadCredentials", email, err)
		}
	}
}

func TestTheLastAdministratorStaysOne(t *testing.T) {
	db := dbtest.New(t, dbtest.Migrated)
	ctx := context.Background()
	admin, err := models.CreateStaffUser(ctx, db, "only@bureau.example", "唯一管理员", models.RoleAdmin, "a long test password")
	if err != nil {
		t.Fatal(err)
	}
	// Another administrator demoted meanwhile, so no active one would remain.
	for _, change := range []models.StaffChange{{Name: "唯一管理员", Role: models.RoleEditor}, {Name: "唯一管理员", Role: models.RoleAdmin, Disabled: true}} {
		if err := models.UpdateStaffUser(ctx, db, admin.ID, change, models.Actor{StaffID: admin.ID + 1}); !errors.Is(err, models.ErrLastAdmin) {
			t.Errorf("%+v: %v, want models.ErrLastAdmin", change, err)
		}
	}
	second, _, err := models.AddStaffUser(ctx, db, "second@bureau.example", "第二位", models.RoleAdmin, models.Actor{StaffID: admin.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := models.UpdateStaffUser(ctx, db, admin.ID, models.StaffChange{Name: "唯一管理员", Role: models.RoleViewer}, models.Actor{StaffID: second.ID}); err != nil {
		t.Errorf("demotion with another administrator left: %v", err)
	}
}
