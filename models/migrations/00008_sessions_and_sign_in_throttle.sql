-- Staff sessions end when their account's credentials or rights change, and
-- sign-in throttling counts by account and client address together.

-- +goose Up
-- Raised whenever a password is changed or reset, or the role or the
-- disabled state changes; a session remembers the value it signed in with
-- and ends at its next request once they differ.
ALTER TABLE staff_users ADD COLUMN session_epoch integer NOT NULL DEFAULT 1 CHECK (session_epoch > 0);

-- Sign-in attempts (and current-password checks) per account and client
-- address, both as keyed hashes: typed addresses are not stored (people type
-- passwords into the wrong field), and unknown addresses are counted exactly
-- like known ones. An attempt is counted before its password is checked and
-- the row is removed when one succeeds, so what remains are failures. A lock
-- holds one address out of one account, so guesses from elsewhere cannot
-- lock a member of staff out of the office.
CREATE TABLE sign_in_failures (
    account_key   bytea NOT NULL,
    client_key    bytea NOT NULL,
    attempts      integer NOT NULL CHECK (attempts > 0),
    window_start  timestamptz NOT NULL,
    locked_until  timestamptz,
    PRIMARY KEY (account_key, client_key)
);
CREATE INDEX sign_in_failures_client_idx ON sign_in_failures (client_key, window_start);

ALTER TABLE staff_users DROP COLUMN failed_sign_ins, DROP COLUMN locked_until;

-- +goose Down
ALTER TABLE staff_users
    ADD COLUMN failed_sign_ins integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    ADD COLUMN locked_until timestamptz;
DROP TABLE sign_in_failures;
ALTER TABLE staff_users DROP COLUMN session_epoch;
