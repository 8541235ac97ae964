-- Form posts per client network and minute, counted in PostgreSQL so that
-- every instance behind a load balancer counts the same posts; each used
-- to keep its own count in memory, so two instances let twice as many
-- through. The client is a keyed hash, never the address. Unlogged: a
-- count lost in a crash only gives a client a fresh minute, and a row
-- written per post costs no WAL (nor reaches a replica, which never reads
-- it).

-- +goose Up
CREATE UNLOGGED TABLE form_attempts (
    client_key   text NOT NULL, -- hex of the keyed hash
    window_start timestamptz NOT NULL,
    attempts     integer NOT NULL CHECK (attempts > 0),
    PRIMARY KEY (client_key, window_start)
);

-- +goose Down
DROP TABLE form_attempts;
