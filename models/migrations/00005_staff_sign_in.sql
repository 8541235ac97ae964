-- What staff sign-in needs: sessions shared by every portal instance, and
-- the counters that throttle password guessing.

-- +goose Up
-- The table github.com/alexedwards/scs/postgresstore reads and writes.
CREATE TABLE sessions (
    token   text PRIMARY KEY,
    data    bytea NOT NULL,
    expiry  timestamptz NOT NULL
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

ALTER TABLE staff_users
    ADD COLUMN failed_sign_ins integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    ADD COLUMN locked_until timestamptz,          -- too many wrong passwords: no sign-in until then
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_sign_in_at timestamptz;

-- +goose Down
ALTER TABLE staff_users DROP COLUMN last_sign_in_at, DROP COLUMN password_changed_at,
    DROP COLUMN locked_until, DROP COLUMN failed_sign_ins;
DROP TABLE sessions;
